import { App, Duration, Stack, aws_certificatemanager as acm, aws_s3 as s3 } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { MicroserviceEnvironment, MicroserviceEnvironmentProps } from '../../src';
import { attempt, expectValidationError } from '../error-contract';

const ENV = { account: '111111111111', region: 'us-east-1' };
const CERT_ARN = 'arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555';

function stack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } }), 'Test', { env: ENV });
}

/** An environment with the shared load balancer, which creates the access-log bucket. */
function withLoadBalancer(props: MicroserviceEnvironmentProps = {}): { s: Stack; env: MicroserviceEnvironment; t: Template } {
  const s = stack();
  const env = new MicroserviceEnvironment(s, 'Env', {
    createLoadBalancer: true,
    certificate: acm.Certificate.fromCertificateArn(s, 'Cert', CERT_ARN),
    ...props,
  });
  return { s, env, t: Template.fromStack(s) };
}

function accessLogBucket(s: Stack, env: MicroserviceEnvironment, t: Template): { [key: string]: any } {
  const bucket = env.accessLogsBucket as s3.Bucket;
  expect(bucket).toBeInstanceOf(s3.Bucket);
  return t.findResources('AWS::S3::Bucket')[s.getLogicalId(bucket.node.defaultChild as s3.CfnBucket)];
}

describe('the load balancer access-log bucket (defect 9)', () => {
  test('Object Lock activated but no default retention: every ELB write is accepted, and no warning', () => {
    const { s, env, t } = withLoadBalancer();
    const bucket = accessLogBucket(s, env, t);
    // ELB access logs are not S3 server access logs: Object Lock itself is allowed here.
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toBeUndefined();
    expect(bucket.Metadata.guard.SuppressedRules).not.toContain('s3_bucket_object_lock_enabled_check');
    expect(Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('accessLogsObjectLockChecksum'))).toHaveLength(0);
  });

  test.each([
    ['GOVERNANCE', s3.ObjectLockRetention.governance(Duration.days(30)), { Days: 30, Mode: 'GOVERNANCE' }],
    ['COMPLIANCE', s3.ObjectLockRetention.compliance(Duration.days(400)), { Days: 400, Mode: 'COMPLIANCE' }],
  ])('accessLogsObjectLockRetention %s gives the default retention, with the checksum warning', (_mode, retention, expected) => {
    const { s, env, t } = withLoadBalancer({ accessLogsObjectLockRetention: retention });
    const bucket = accessLogBucket(s, env, t);
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({ ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: expected } });
    const warnings = Annotations.fromStack(s).findWarning('/Test/Env', Match.stringLikeRegexp('accessLogsObjectLockChecksum'));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0].entry.data)).toContain('S3 then refuses every PutObject without a Content-MD5 or x-amz-checksum-* header');
    expect(String(warnings[0].entry.data)).toContain('Whether Elastic Load Balancing sends one is not documented');
  });

  test.each<[string, (s: Stack) => MicroserviceEnvironmentProps, string]>([
    ['not a retention', () => ({ accessLogsObjectLockRetention: { days: 30 } as never }),
      '`accessLogsObjectLockRetention` {"days":30} is not an s3.ObjectLockRetention; use s3.ObjectLockRetention.governance(...) or .compliance(...)'],
    ['with a brought bucket', (s) => ({
      accessLogsBucket: s3.Bucket.fromBucketName(s, 'Mine', 'my-logs'),
      accessLogsObjectLockRetention: s3.ObjectLockRetention.governance(Duration.days(30)),
    }), '`accessLogsObjectLockRetention` configures the access-log bucket we create, but `accessLogsBucket` brings one'],
  ])('accessLogsObjectLockRetention %s is refused', (_name, props, problem) => {
    const s = stack();
    const err = attempt(() => new MicroserviceEnvironment(s, 'Env', props(s)));
    expect(expectValidationError(err, {
      classes: ['MicroserviceEnvironment'], path: 'Test/Env', props: ['accessLogsObjectLockRetention', 'accessLogsBucket'],
    })).toContain(problem);
  });
});

describe('fixed-name retained resources do not block a retried first deployment (defect 8)', () => {
  test('the WAF log group (a fixed aws-waf-logs-* name) is RetainExceptOnCreate, kept on replacement', () => {
    const { t } = withLoadBalancer();
    const groups = Object.values(t.findResources('AWS::Logs::LogGroup'))
      .filter((g) => typeof g.Properties.LogGroupName === 'string' && g.Properties.LogGroupName.startsWith('aws-waf-logs-'));
    expect(groups).toHaveLength(1);
    expect(groups[0].DeletionPolicy).toBe('RetainExceptOnCreate');
    expect(groups[0].UpdateReplacePolicy).toBe('Retain');
  });

  test('every log group and bucket of the environment with a fixed name is RetainExceptOnCreate or deleted', () => {
    const { t } = withLoadBalancer();
    const named = Object.values({ ...t.findResources('AWS::Logs::LogGroup'), ...t.findResources('AWS::S3::Bucket') })
      .filter((r) => r.Properties?.LogGroupName !== undefined || r.Properties?.BucketName !== undefined);
    expect(named.length).toBeGreaterThan(0);
    for (const r of named) expect(['RetainExceptOnCreate', 'Delete', undefined]).toContain(r.DeletionPolicy);
  });
});
