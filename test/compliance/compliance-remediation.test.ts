/**
 * Remediation in ComplianceRules: the AWS Config remediation configurations (AWS-provided and
 * our own SSM Automation documents), their roles proven least-privilege with an IAM policy
 * simulator, the on-demand start grant, refusals, and the compliance gates.
 */
import {
  App,
  CfnElement,
  Duration,
  Lazy,
  RemovalPolicy,
  Stack,
  aws_iam as iam,
  aws_kms as kms,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { formatGateReports, GateReport, runGates } from '../../examples/store/gates';
import { ComplianceRule, ComplianceRules, ComplianceRulesProps, Remediation, RemediationOptions } from '../../src/compliance';
import { attempt, expectValidationError } from '../error-contract';
import { ACCOUNT, CfnResource, Decision, ExampleResolver, Principal, principalOf, REGION, simulate } from '../iam-simulation';

const REMEDIATION = 'AWS::Config::RemediationConfiguration';
const DOCUMENT = 'AWS::SSM::Document';
const OTHER_ACCOUNT = '222222222222';
const OTHER_REGION = 'us-west-2';

interface World {
  readonly app: App;
  readonly stack: Stack;
  readonly rules: ComplianceRules;
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;
}

function world(props: ComplianceRulesProps = {}): World {
  const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
  const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: REGION } });
  const rules = new ComplianceRules(stack, 'Rules', props);
  const key = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
  const bucket = new s3.Bucket(stack, 'FlowLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  return { app, stack, rules, key, bucket };
}

/** All three remediations, with their required options. */
function remediateAll(w: World, common: RemediationOptions = {}): void {
  w.rules.remediate(Remediation.snsEncryptedKms({ ...common, kmsKey: w.key }));
  w.rules.remediate(Remediation.elbv2ListenerHttps(common));
  w.rules.remediate(Remediation.vpcFlowLogs({ ...common, bucket: w.bucket }));
}

const idOf = (construct: IConstruct) => Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);

function propsOf(w: World, construct: IConstruct): any {
  return Template.fromStack(w.stack).toJSON().Resources[idOf(construct)].Properties;
}

const roleArnOf = (w: World, which: ComplianceRule) => ({ 'Fn::GetAtt': [idOf(w.rules.remediationRole(which)!), 'Arn'] });

// ---------------------------------------------------------------------------------------
// The remediation configurations.
// ---------------------------------------------------------------------------------------

describe('ComplianceRules.remediate(): the remediation configurations', () => {
  test('nothing is remediated unless asked', () => {
    const w = world();
    const template = Template.fromStack(w.stack);
    template.resourceCountIs(REMEDIATION, 0);
    template.resourceCountIs(DOCUMENT, 0);
    template.resourceCountIs('AWS::IAM::Role', 0);
    expect(w.rules.remediations).toEqual([]);
    expect(w.rules.remediation(ComplianceRule.ELBV2_LISTENER_HTTPS)).toBeUndefined();
    expect(w.rules.remediationRole(ComplianceRule.ELBV2_LISTENER_HTTPS)).toBeUndefined();
  });

  test('SNS_ENCRYPTED_KMS: the AWS-provided AWSConfigRemediation-EncryptSNSTopic with the key, the topic from RESOURCE_ID and the role', () => {
    const w = world();
    const configuration = w.rules.remediate(Remediation.snsEncryptedKms({ kmsKey: w.key }));
    expect(w.rules.remediation(ComplianceRule.SNS_ENCRYPTED_KMS)).toBe(configuration);
    expect(w.rules.remediationDocument(ComplianceRule.SNS_ENCRYPTED_KMS)).toBeUndefined();
    expect(propsOf(w, configuration)).toEqual({
      ConfigRuleName: { Ref: idOf(w.rules.rule(ComplianceRule.SNS_ENCRYPTED_KMS)!) },
      TargetType: 'SSM_DOCUMENT',
      TargetId: 'AWSConfigRemediation-EncryptSNSTopic',
      ResourceType: 'AWS::SNS::Topic',
      Parameters: {
        TopicArn: { ResourceValue: { Value: 'RESOURCE_ID' } },
        KmsKeyArn: { StaticValue: { Values: [{ 'Fn::GetAtt': [idOf(w.key), 'Arn'] }] } },
        AutomationAssumeRole: { StaticValue: { Values: [roleArnOf(w, ComplianceRule.SNS_ENCRYPTED_KMS)] } },
      },
      Automatic: true,
      MaximumAutomaticAttempts: 3,
      RetryAttemptSeconds: 60,
      ExecutionControls: { SsmControls: { ConcurrentExecutionRatePercentage: 10, ErrorPercentage: 10 } },
    });
    Template.fromStack(w.stack).resourceCountIs(DOCUMENT, 0);
  });

  test('ELBV2_LISTENER_HTTPS: our own document, the listener from RESOURCE_ID, the HTTPS port and the role', () => {
    const w = world();
    const configuration = w.rules.remediate(Remediation.elbv2ListenerHttps());
    const document = w.rules.remediationDocument(ComplianceRule.ELBV2_LISTENER_HTTPS)!;
    expect(document).toBeDefined();
    expect(propsOf(w, configuration)).toEqual({
      ConfigRuleName: { Ref: idOf(w.rules.rule(ComplianceRule.ELBV2_LISTENER_HTTPS)!) },
      TargetType: 'SSM_DOCUMENT',
      TargetId: { Ref: idOf(document) },
      ResourceType: 'AWS::ElasticLoadBalancingV2::Listener',
      Parameters: {
        ListenerArn: { ResourceValue: { Value: 'RESOURCE_ID' } },
        HttpsPort: { StaticValue: { Values: ['443'] } },
        AutomationAssumeRole: { StaticValue: { Values: [roleArnOf(w, ComplianceRule.ELBV2_LISTENER_HTTPS)] } },
      },
      Automatic: true,
      MaximumAutomaticAttempts: 3,
      RetryAttemptSeconds: 60,
      ExecutionControls: { SsmControls: { ConcurrentExecutionRatePercentage: 10, ErrorPercentage: 10 } },
    });
    Template.fromStack(w.stack).hasResourceProperties(DOCUMENT, { DocumentType: 'Automation', Content: Match.objectLike({ schemaVersion: '0.3' }) });
  });

  test('VPC_FLOW_LOGS: our own document, the VPC from RESOURCE_ID, the bucket and the role', () => {
    const w = world();
    const configuration = w.rules.remediate(Remediation.vpcFlowLogs({ bucket: w.bucket }));
    const document = w.rules.remediationDocument(ComplianceRule.VPC_FLOW_LOGS)!;
    expect(propsOf(w, configuration)).toEqual(expect.objectContaining({
      ConfigRuleName: { Ref: idOf(w.rules.rule(ComplianceRule.VPC_FLOW_LOGS)!) },
      TargetType: 'SSM_DOCUMENT',
      TargetId: { Ref: idOf(document) },
      ResourceType: 'AWS::EC2::VPC',
      Parameters: {
        VpcId: { ResourceValue: { Value: 'RESOURCE_ID' } },
        LogDestination: { StaticValue: { Values: [{ 'Fn::GetAtt': [idOf(w.bucket), 'Arn'] }] } },
        AutomationAssumeRole: { StaticValue: { Values: [roleArnOf(w, ComplianceRule.VPC_FLOW_LOGS)] } },
      },
    }));
  });

  test('every remediation references its rule (so CloudFormation creates the rule first, no redundant DependsOn), has its own role, and the remediations are listed in order', () => {
    const w = world();
    remediateAll(w);
    const template = Template.fromStack(w.stack).toJSON();
    const remediable = [ComplianceRule.SNS_ENCRYPTED_KMS, ComplianceRule.ELBV2_LISTENER_HTTPS, ComplianceRule.VPC_FLOW_LOGS];
    expect(w.rules.remediations).toEqual(remediable.map((which) => w.rules.remediation(which)));
    for (const which of remediable) {
      const remediation = template.Resources[idOf(w.rules.remediation(which)!)];
      expect(remediation.Properties.ConfigRuleName).toEqual({ Ref: idOf(w.rules.rule(which)!) });
      expect(remediation.DependsOn).toBeUndefined();
    }
    expect(new Set(remediable.map((which) => idOf(w.rules.remediationRole(which)!))).size).toBe(3);
    Template.fromStack(w.stack).resourceCountIs('AWS::IAM::Role', 3);
  });

  test('the options are honoured', () => {
    const w = world();
    const configuration = w.rules.remediate(Remediation.elbv2ListenerHttps({
      maximumAutomaticAttempts: 25, retryInterval: Duration.minutes(5), concurrentExecutionRatePercentage: 100, errorPercentage: 1, httpsPort: 8443,
    }));
    expect(propsOf(w, configuration)).toEqual(expect.objectContaining({
      Automatic: true,
      MaximumAutomaticAttempts: 25,
      RetryAttemptSeconds: 300,
      ExecutionControls: { SsmControls: { ConcurrentExecutionRatePercentage: 100, ErrorPercentage: 1 } },
      Parameters: expect.objectContaining({ HttpsPort: { StaticValue: { Values: ['8443'] } } }),
    }));
  });

  test('automatic: false is an approval mode: no retries, the rate limits stay, and the rule is listed for a consumer', () => {
    const w = world({ ruleNamePrefix: 'store-' });
    const configuration = w.rules.remediate(Remediation.elbv2ListenerHttps({ automatic: false }));
    w.rules.remediate(Remediation.vpcFlowLogs({ bucket: w.bucket }));
    const props = propsOf(w, configuration);
    expect(props.Automatic).toBe(false);
    expect(props.MaximumAutomaticAttempts).toBeUndefined();
    expect(props.RetryAttemptSeconds).toBeUndefined();
    expect(props.ExecutionControls).toEqual({ SsmControls: { ConcurrentExecutionRatePercentage: 10, ErrorPercentage: 10 } });
    expect(w.rules.manualRemediationRuleNames).toEqual(['store-elbv2-listener-https']);
  });

  test('manualRemediationRuleNames are tokens for the generated names, and empty when every remediation is automatic', () => {
    const w = world();
    w.rules.remediate(Remediation.elbv2ListenerHttps());
    expect(w.rules.manualRemediationRuleNames).toEqual([]);
    const v = world();
    v.rules.remediate(Remediation.elbv2ListenerHttps({ automatic: false }));
    expect(v.stack.resolve(v.rules.manualRemediationRuleNames)).toEqual([{ Ref: idOf(v.rules.rule(ComplianceRule.ELBV2_LISTENER_HTTPS)!) }]);
  });

  test('a role the user brings is used, gets the document\'s permissions, and no role is created', () => {
    const w = world();
    const role = new iam.Role(w.stack, 'Mine', { assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com') });
    const configuration = w.rules.remediate(Remediation.elbv2ListenerHttps({ role }));
    expect(w.rules.remediationRole(ComplianceRule.ELBV2_LISTENER_HTTPS)).toBe(role);
    expect(propsOf(w, configuration).Parameters.AutomationAssumeRole).toEqual({ StaticValue: { Values: [{ 'Fn::GetAtt': [idOf(role), 'Arn'] }] } });
    const template = Template.fromStack(w.stack);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: idOf(role) }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'elasticloadbalancing:ModifyListener' })]) },
    });
  });

  test('an imported role is used as it is', () => {
    const w = world();
    const role = iam.Role.fromRoleArn(w.stack, 'Imported', `arn:aws:iam::${ACCOUNT}:role/remediation`, { mutable: false });
    const configuration = w.rules.remediate(Remediation.elbv2ListenerHttps({ role }));
    expect(propsOf(w, configuration).Parameters.AutomationAssumeRole).toEqual({ StaticValue: { Values: [`arn:aws:iam::${ACCOUNT}:role/remediation`] } });
    Template.fromStack(w.stack).resourceCountIs('AWS::IAM::Role', 0);
    Template.fromStack(w.stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('the new role trusts ssm.amazonaws.com only for this account\'s automation executions', () => {
    const w = world();
    w.rules.remediate(Remediation.elbv2ListenerHttps());
    expect(propsOf(w, w.rules.remediationRole(ComplianceRule.ELBV2_LISTENER_HTTPS)!).AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{
        Effect: 'Allow',
        Principal: { Service: 'ssm.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
          ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ssm:${REGION}:${ACCOUNT}:automation-execution/*`]] } },
        },
      }],
    });
  });

  test('the flow-logs bucket of the app gets the log delivery statements, with source conditions', () => {
    const w = world();
    w.rules.remediate(Remediation.vpcFlowLogs({ bucket: w.bucket }));
    const source = {
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:logs:${REGION}:${ACCOUNT}:*`]] } },
    };
    Template.fromStack(w.stack).hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AWSLogDeliveryWrite',
            Effect: 'Allow',
            Principal: { Service: 'delivery.logs.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [idOf(w.bucket), 'Arn'] }, `/AWSLogs/${ACCOUNT}/*`]] },
            Condition: { ...source, StringEquals: { 'aws:SourceAccount': ACCOUNT, 's3:x-amz-acl': 'bucket-owner-full-control' } },
          }),
          Match.objectLike({
            Sid: 'AWSLogDeliveryAclCheck',
            Principal: { Service: 'delivery.logs.amazonaws.com' },
            Action: 's3:GetBucketAcl',
            Resource: { 'Fn::GetAtt': [idOf(w.bucket), 'Arn'] },
            Condition: source,
          }),
        ]),
      },
    });
    Annotations.fromStack(w.stack).hasNoWarning('*', Match.stringLikeRegexp('flowLogsBucketPolicy'));
  });

  test('a flow-logs bucket encrypted with a key of the app: the key lets the log delivery service use it', () => {
    const w = world();
    const key = new kms.Key(w.stack, 'LogsKey', { enableKeyRotation: true });
    const bucket = new s3.Bucket(w.stack, 'Encrypted', { encryptionKey: key, enforceSSL: true });
    w.rules.remediate(Remediation.vpcFlowLogs({ bucket: bucket }));
    Template.fromStack(w.stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowVpcFlowLogsDelivery',
          Principal: { Service: 'delivery.logs.amazonaws.com' },
          Action: Match.arrayWith(['kms:Decrypt', 'kms:GenerateDataKey*']),
          Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': ACCOUNT } }),
        })]),
      },
    });
  });

  test('an imported flow-logs bucket is left as it is, with a warning', () => {
    const w = world();
    const bucket = s3.Bucket.fromBucketName(w.stack, 'Imported', 'central-flow-logs');
    const configuration = w.rules.remediate(Remediation.vpcFlowLogs({ bucket: bucket }));
    expect(propsOf(w, configuration).Parameters.LogDestination).toEqual({
      StaticValue: { Values: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::central-flow-logs']] }] },
    });
    Annotations.fromStack(w.stack).hasWarning('/Test/Rules/VpcFlowLogsRemediation', Match.stringLikeRegexp('delivery.logs.amazonaws.com'));
  });

  test('automatic remediation warns of drift and of runs on compliant resources; approval mode does not', () => {
    const w = world();
    w.rules.remediate(Remediation.elbv2ListenerHttps());
    w.rules.remediate(Remediation.vpcFlowLogs({ bucket: w.bucket, automatic: false }));
    const annotations = Annotations.fromStack(w.stack);
    annotations.hasWarning('/Test/Rules/Elbv2ListenerHttpsRemediation', Match.stringLikeRegexp('drift.*already compliant.*automaticRemediation'));
    annotations.hasNoWarning('/Test/Rules/VpcFlowLogsRemediation', Match.stringLikeRegexp('automaticRemediation'));
  });

  test('the SNS remediation warns that the key must let the topics\' publishers use it', () => {
    const w = world();
    w.rules.remediate(Remediation.snsEncryptedKms({ kmsKey: w.key, automatic: false }));
    Annotations.fromStack(w.stack).hasWarning('/Test/Rules/SnsEncryptedKmsRemediation', Match.stringLikeRegexp('publishers.*remediationKeyPolicy'));
  });

  test('values that are tokens are not validated', () => {
    const w = world();
    const n = (value: number) => Lazy.number({ produce: () => value });
    const configuration = w.rules.remediate(Remediation.elbv2ListenerHttps({
      maximumAutomaticAttempts: n(99),
      retryInterval: Duration.seconds(n(0)),
      concurrentExecutionRatePercentage: n(500),
      errorPercentage: n(0),
      httpsPort: n(70000),
    }));
    const props = propsOf(w, configuration);
    expect(props.MaximumAutomaticAttempts).toBe(99);
    expect(props.Parameters.HttpsPort).toEqual({ StaticValue: { Values: ['70000'] } });
  });
});

// ---------------------------------------------------------------------------------------
// Refusals.
// ---------------------------------------------------------------------------------------

describe('ComplianceRules.remediate(): refusals', () => {
  const OPTION_PROPS = [
    'which', 'options', 'automatic', 'maximumAutomaticAttempts', 'retryInterval', 'concurrentExecutionRatePercentage', 'errorPercentage',
    'role', 'kmsKey', 'httpsPort', 'bucket', 'disabledRules', 'grantee', 'remediation',
  ];
  const expected = { classes: ['ComplianceRules'], path: 'Test/Rules', props: OPTION_PROPS };
  const REMEDIABLE = [ComplianceRule.SNS_ENCRYPTED_KMS, ComplianceRule.ELBV2_LISTENER_HTTPS, ComplianceRule.VPC_FLOW_LOGS];
  const NOT_REMEDIABLE = Object.values(ComplianceRule).filter((r) => !REMEDIABLE.includes(r));

  test('Remediation has a factory for exactly the rules with a remediation', () => {
    expect([
      Remediation.snsEncryptedKms({ kmsKey: world().key }).rule,
      Remediation.elbv2ListenerHttps().rule,
      Remediation.vpcFlowLogs({ bucket: world().bucket }).rule,
    ]).toEqual(REMEDIABLE);
    expect(NOT_REMEDIABLE).toHaveLength(10);
  });

  const cases: Array<[string, (w: World) => void, string]> = [
    ['a value that is not a Remediation', (w) => w.rules.remediate(ComplianceRule.VPC_FLOW_LOGS as never),
      '`remediation` \'VPC_FLOW_LOGS\' is not a Remediation; use Remediation.snsEncryptedKms(...), Remediation.elbv2ListenerHttps(...) or Remediation.vpcFlowLogs(...)'],
    ['options that are not an object', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps(null as never)),
      '`options` of Remediation.elbv2ListenerHttps() null are not an object of Elbv2ListenerHttpsRemediationOptions'],
    ['the same rule twice', (w) => { w.rules.remediate(Remediation.elbv2ListenerHttps()); w.rules.remediate(Remediation.elbv2ListenerHttps()); }, 'already has a remediation'],
    ['maximumAutomaticAttempts 0', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ maximumAutomaticAttempts: 0 })), '`maximumAutomaticAttempts` 0'],
    ['maximumAutomaticAttempts 26', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ maximumAutomaticAttempts: 26 })), '`maximumAutomaticAttempts` 26'],
    ['maximumAutomaticAttempts 1.5', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ maximumAutomaticAttempts: 1.5 })), '`maximumAutomaticAttempts` 1.5'],
    ['retryInterval under a second', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ retryInterval: Duration.millis(500) })), '`retryInterval`'],
    ['retryInterval over 2678000 seconds', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ retryInterval: Duration.seconds(2_678_001) })), '`retryInterval`'],
    ['retryInterval of part seconds', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ retryInterval: Duration.millis(1500) })), '`retryInterval`'],
    ['concurrentExecutionRatePercentage 0', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ concurrentExecutionRatePercentage: 0 })), '`concurrentExecutionRatePercentage` 0'],
    ['concurrentExecutionRatePercentage 101', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ concurrentExecutionRatePercentage: 101 })), '`concurrentExecutionRatePercentage` 101'],
    ['errorPercentage 0', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ errorPercentage: 0 })), '`errorPercentage` 0'],
    ['errorPercentage 101', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ errorPercentage: 101 })), '`errorPercentage` 101'],
    ['httpsPort 0', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ httpsPort: 0 })), '`httpsPort` 0'],
    ['httpsPort 65536', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ httpsPort: 65536 })), '`httpsPort` 65536'],
    ['kmsKey missing (from JavaScript)', (w) => w.rules.remediate(Remediation.snsEncryptedKms({} as never)),
      '`kmsKey` is missing; Remediation.snsEncryptedKms() needs it: give the customer managed key that topics are encrypted with'],
    ['bucket missing (from JavaScript)', (w) => w.rules.remediate(Remediation.vpcFlowLogs({} as never)),
      '`bucket` is missing; Remediation.vpcFlowLogs() needs it: give the S3 bucket that receives the flow logs'],
    ['a bucket that is not a bucket', (w) => w.rules.remediate(Remediation.vpcFlowLogs({ bucket: 'flow-logs' as never })), '`bucket` \'flow-logs\' is not an s3.IBucket'],
    ['httpsPort that is not a number', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ httpsPort: '443' as never })), '`httpsPort` \'443\' is not a number'],
    ['retries with automatic: false', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ automatic: false, maximumAutomaticAttempts: 3 })), 'automatic remediation only'],
    ['a retry interval with automatic: false', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ automatic: false, retryInterval: Duration.minutes(1) })), '`retryInterval` applies'],
    ['automatic that is not a boolean', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ automatic: 'yes' as never })), '`automatic` \'yes\' is not a boolean'],
    ['a role that is not a role', (w) => w.rules.remediate(Remediation.elbv2ListenerHttps({ role: {} as never })), '`role` {} is not an iam.IRole'],
    ['a key that is not a key', (w) => w.rules.remediate(Remediation.snsEncryptedKms({ kmsKey: 'alias/x' as never })), '`kmsKey` \'alias/x\' is not an kms.IKey'],
  ];

  test.each(cases)('%s is refused', (_name, build, fragment) => {
    const w = world();
    const message = expectValidationError(attempt(() => build(w)), expected);
    expect(message).toContain(fragment);
  });

  test('a disabled rule is refused, naming disabledRules', () => {
    const w = world({ disabledRules: [ComplianceRule.ELBV2_LISTENER_HTTPS] });
    const message = expectValidationError(attempt(() => w.rules.remediate(Remediation.elbv2ListenerHttps())), expected);
    expect(message).toContain('Remediation.elbv2ListenerHttps() remediates ComplianceRule.ELBV2_LISTENER_HTTPS, which is turned off in `disabledRules`');
  });

  test('every problem in one error, and nothing is created', () => {
    const w = world();
    const err = attempt(() => w.rules.remediate(Remediation.snsEncryptedKms({
      maximumAutomaticAttempts: 0, errorPercentage: 200, role: 'role' as never,
    } as never)));
    expectValidationError(err, expected);
    expect((err as { problems: string[] }).problems).toEqual([
      expect.stringContaining('`role` \'role\' is not an iam.IRole'),
      expect.stringContaining('`kmsKey` is missing'),
      expect.stringContaining('`maximumAutomaticAttempts` 0'),
      expect.stringContaining('`errorPercentage` 200'),
    ]);
    expect((err as Error).message.startsWith('`ComplianceRules` at Test/Rules:\n  - `remediate()`: ')).toBe(true);
    Template.fromStack(w.stack).resourceCountIs(REMEDIATION, 0);
    expect(w.rules.node.tryFindChild('SnsEncryptedKmsRemediation')).toBeUndefined();
  });

  test('the accessors refuse values that are not a ComplianceRule', () => {
    const w = world();
    for (const read of [
      () => w.rules.remediation('NOPE' as ComplianceRule),
      () => w.rules.remediationRole('NOPE' as ComplianceRule),
      () => w.rules.remediationDocument('NOPE' as ComplianceRule),
    ]) {
      expectValidationError(attempt(read), expected);
    }
  });

  test('grantStartRemediation refuses a rule without a remediation, a disabled rule and a missing grantee', () => {
    const w = world({ disabledRules: [ComplianceRule.VPC_FLOW_LOGS] });
    const role = new iam.Role(w.stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    expect(expectValidationError(attempt(() => w.rules.grantStartRemediation(role, ComplianceRule.SQS_ENCRYPTED)), expected))
      .toContain('`grantStartRemediation()`: `which` ComplianceRule.SQS_ENCRYPTED has no remediation');
    expect(expectValidationError(attempt(() => w.rules.grantStartRemediation(role, ComplianceRule.VPC_FLOW_LOGS)), expected))
      .toContain('`disabledRules`');
    expect(expectValidationError(attempt(() => w.rules.grantStartRemediation(undefined as never, ComplianceRule.ELBV2_LISTENER_HTTPS)), expected))
      .toContain('`grantee` undefined');
  });

  test('a start grant for a rule that is never remediated fails synthesis', () => {
    const w = world();
    const role = new iam.Role(w.stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    w.rules.grantStartRemediation(role, ComplianceRule.ELBV2_LISTENER_HTTPS);
    expect(() => w.app.synth()).toThrow(/`ComplianceRules` at Test\/Rules: `grantStartRemediation\(\)`: `which` ComplianceRule.ELBV2_LISTENER_HTTPS has no remediation/);
  });

  test('a start grant given before remediate() is fine once remediated', () => {
    const w = world();
    const role = new iam.Role(w.stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    w.rules.grantStartRemediation(role, ComplianceRule.ELBV2_LISTENER_HTTPS);
    w.rules.remediate(Remediation.elbv2ListenerHttps({ automatic: false }));
    expect(() => w.app.synth()).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------
// The Automation documents, checked structurally.
// ---------------------------------------------------------------------------------------

/** The steps an Automation document may use here. */
const ACTIONS = ['aws:executeAwsApi', 'aws:branch', 'aws:assertAwsResourceProperty', 'aws:sleep'];

/** Checks what every schema 0.3 document must hold together, and returns its steps by name. */
function checkDocument(content: any): Map<string, any> {
  expect(content.schemaVersion).toBe('0.3');
  expect(content.assumeRole).toBe('{{ AutomationAssumeRole }}');
  expect(content.parameters.AutomationAssumeRole).toEqual(expect.objectContaining({ type: 'String' }));
  const steps = new Map<string, any>(content.mainSteps.map((s: any) => [s.name, s]));
  expect(steps.size).toBe(content.mainSteps.length);
  const targets = (s: any): string[] => [
    ...(s.nextStep ? [s.nextStep] : []),
    ...(typeof s.onFailure === 'string' && s.onFailure.startsWith('step:') ? [s.onFailure.slice(5)] : []),
    ...(s.action === 'aws:branch' ? [...s.inputs.Choices.map((c: any) => c.NextStep), s.inputs.Default] : []),
  ];
  content.mainSteps.forEach((s: any, i: number) => {
    expect(ACTIONS).toContain(s.action);
    expect(s.inputs).toBeDefined();
    for (const target of targets(s)) expect(steps.has(target)).toBe(true);
    // Each step either ends the automation, names where to go, or is the last step; never both ends.
    const last = i === content.mainSteps.length - 1;
    expect(s.isEnd === true || targets(s).length > 0 || last).toBe(true);
    if (s.isEnd) expect(s.nextStep).toBeUndefined();
  });
  // Every {{ reference }} is a parameter or an output of a step.
  const outputs = new Set(content.mainSteps.flatMap((s: any) => (s.outputs ?? []).map((o: any) => `${s.name}.${o.Name}`)));
  for (const ref of JSON.stringify(content.mainSteps).match(/\{\{\s*[\w.]+\s*\}\}/g) ?? []) {
    const name = ref.replace(/[{}\s]/g, '');
    expect(name in content.parameters || outputs.has(name)).toBe(true);
  }
  // Every step is reachable from the first.
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    targets(steps.get(name)).forEach(visit);
  };
  visit(content.mainSteps[0].name);
  expect([...seen].sort()).toEqual([...steps.keys()].sort());
  return steps;
}

describe('the Automation documents', () => {
  const w = world();
  remediateAll(w);
  const template = Template.fromStack(w.stack).toJSON();
  const contentOf = (which: ComplianceRule) => template.Resources[idOf(w.rules.remediationDocument(which)!)].Properties;

  test('both are Automation documents, without fixed names', () => {
    for (const which of [ComplianceRule.ELBV2_LISTENER_HTTPS, ComplianceRule.VPC_FLOW_LOGS]) {
      const props = contentOf(which);
      expect(props.DocumentType).toBe('Automation');
      expect(props.Name).toBeUndefined();
    }
    Template.fromStack(w.stack).resourceCountIs(DOCUMENT, 2);
  });

  describe('restore HTTPS-only (ELBV2_LISTENER_HTTPS)', () => {
    const content = contentOf(ComplianceRule.ELBV2_LISTENER_HTTPS).Content;
    const steps = checkDocument(content);

    test('its parameters: the role, the listener ARN and the HTTPS port (443 by default)', () => {
      expect(Object.keys(content.parameters).sort()).toEqual(['AutomationAssumeRole', 'HttpsPort', 'ListenerArn']);
      expect(content.parameters.HttpsPort.default).toBe('443');
      const role = new RegExp(content.parameters.AutomationAssumeRole.allowedPattern);
      expect(role.test(`arn:aws:iam::${ACCOUNT}:role/Test-RulesRole-ABC`)).toBe(true);
      expect(role.test('arn:aws-us-gov:iam::123456789012:role/path/x')).toBe(true);
      expect(role.test(`arn:aws:iam::${ACCOUNT}:user/alice`)).toBe(false);
      const listener = new RegExp(content.parameters.ListenerArn.allowedPattern);
      expect(listener.test(`arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/my-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`)).toBe(true);
      expect(listener.test(`arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/net/my-nlb/50dc6c495c0c9188/f2f7dc8efc522ab2`)).toBe(true);
      expect(listener.test(`arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/my-alb/50dc6c495c0c9188`)).toBe(false);
      expect(listener.test('i-0123456789abcdef0')).toBe(false);
      const port = new RegExp(content.parameters.HttpsPort.allowedPattern);
      for (const ok of ['1', '443', '8443', '65535']) expect(port.test(ok)).toBe(true);
      for (const bad of ['0', '65536', '99999', '443a', '']) expect(port.test(bad)).toBe(false);
    });

    test('it describes the listener and reads its protocol', () => {
      expect(content.mainSteps[0]).toEqual(expect.objectContaining({
        name: 'DescribeListener',
        action: 'aws:executeAwsApi',
        inputs: { Service: 'elbv2', Api: 'DescribeListeners', ListenerArns: ['{{ ListenerArn }}'] },
        outputs: [{ Name: 'Protocol', Selector: '$.Listeners[0].Protocol', Type: 'String' }],
        nextStep: 'OnlyPlainHttp',
      }));
    });

    test('it goes on only for HTTP listeners; the others end in a step that changes nothing', () => {
      expect(steps.get('OnlyPlainHttp')).toEqual(expect.objectContaining({
        action: 'aws:branch',
        inputs: {
          Choices: [{ NextStep: 'CheckRedirectsToHttps', Variable: '{{ DescribeListener.Protocol }}', StringEquals: 'HTTP' }],
          Default: 'NothingToDo',
        },
      }));
      expect(steps.get('NothingToDo')).toEqual(expect.objectContaining({ action: 'aws:sleep', isEnd: true }));
    });

    test('an HTTP listener that already redirects to HTTPS is left alone (idempotent)', () => {
      expect(steps.get('CheckRedirectsToHttps')).toEqual(expect.objectContaining({
        action: 'aws:assertAwsResourceProperty',
        inputs: {
          Service: 'elbv2',
          Api: 'DescribeListeners',
          ListenerArns: ['{{ ListenerArn }}'],
          PropertySelector: '$.Listeners[0].DefaultActions[0].RedirectConfig.Protocol',
          DesiredValues: ['HTTPS'],
        },
        isCritical: false,
        onFailure: 'step:RedirectToHttps',
        nextStep: 'NothingToDo',
      }));
    });

    test('the change: only the default action, to a permanent redirect to HTTPS on the port, keeping host, path and query', () => {
      expect(steps.get('RedirectToHttps')).toEqual(expect.objectContaining({
        action: 'aws:executeAwsApi',
        inputs: {
          Service: 'elbv2',
          Api: 'ModifyListener',
          ListenerArn: '{{ ListenerArn }}',
          DefaultActions: [{
            Type: 'redirect',
            RedirectConfig: { Protocol: 'HTTPS', Port: '{{ HttpsPort }}', Host: '#{host}', Path: '/#{path}', Query: '#{query}', StatusCode: 'HTTP_301' },
          }],
        },
        nextStep: 'VerifyRedirect',
      }));
      // Nothing else is changed: one ModifyListener call, no other write API.
      const apis = content.mainSteps.filter((s: any) => s.action === 'aws:executeAwsApi').map((s: any) => s.inputs.Api);
      expect(apis).toEqual(['DescribeListeners', 'ModifyListener']);
    });

    test('it verifies the redirect', () => {
      expect(steps.get('VerifyRedirect')).toEqual(expect.objectContaining({
        action: 'aws:assertAwsResourceProperty',
        inputs: expect.objectContaining({ Api: 'DescribeListeners', PropertySelector: '$.Listeners[0].DefaultActions[0].RedirectConfig.Protocol', DesiredValues: ['HTTPS'] }),
        isEnd: true,
      }));
    });
  });

  describe('enable VPC flow logs (VPC_FLOW_LOGS)', () => {
    const content = contentOf(ComplianceRule.VPC_FLOW_LOGS).Content;
    const steps = checkDocument(content);
    const describeFlowLogs = { Service: 'ec2', Api: 'DescribeFlowLogs', Filter: [{ Name: 'resource-id', Values: ['{{ VpcId }}'] }] };

    test('its parameters: the role, the VPC id and the destination bucket ARN', () => {
      expect(Object.keys(content.parameters).sort()).toEqual(['AutomationAssumeRole', 'LogDestination', 'VpcId']);
      const vpc = new RegExp(content.parameters.VpcId.allowedPattern);
      expect(vpc.test('vpc-0123456789abcdef0')).toBe(true);
      expect(vpc.test('vpc-12345678')).toBe(true);
      expect(vpc.test('subnet-0123456789abcdef0')).toBe(false);
      const destination = new RegExp(content.parameters.LogDestination.allowedPattern);
      expect(destination.test('arn:aws:s3:::flow-logs-bucket')).toBe(true);
      expect(destination.test('arn:aws:s3:::flow-logs-bucket/vpc/')).toBe(true);
      expect(destination.test(`arn:aws:logs:${REGION}:${ACCOUNT}:log-group:x`)).toBe(false);
    });

    test('a VPC with an active flow log is left alone (idempotent); one without goes on to the creation', () => {
      expect(content.mainSteps[0]).toEqual(expect.objectContaining({
        name: 'CheckFlowLogs',
        action: 'aws:assertAwsResourceProperty',
        inputs: { ...describeFlowLogs, PropertySelector: '$.FlowLogs[0].FlowLogStatus', DesiredValues: ['ACTIVE'] },
        isCritical: false,
        onFailure: 'step:CreateFlowLogs',
        nextStep: 'NothingToDo',
      }));
    });

    test('the change: one flow log of all traffic of the VPC to the S3 bucket, then a check', () => {
      expect(steps.get('CreateFlowLogs')).toEqual(expect.objectContaining({
        action: 'aws:executeAwsApi',
        inputs: {
          Service: 'ec2',
          Api: 'CreateFlowLogs',
          ResourceIds: ['{{ VpcId }}'],
          ResourceType: 'VPC',
          TrafficType: 'ALL',
          LogDestinationType: 's3',
          LogDestination: '{{ LogDestination }}',
        },
        nextStep: 'VerifyFlowLogs',
      }));
      expect(steps.get('VerifyFlowLogs')).toEqual(expect.objectContaining({
        action: 'aws:assertAwsResourceProperty',
        inputs: { ...describeFlowLogs, PropertySelector: '$.FlowLogs[0].FlowLogStatus', DesiredValues: ['ACTIVE'] },
        isEnd: true,
      }));
    });
  });
});

// ---------------------------------------------------------------------------------------
// Least privilege, evaluated with the IAM policy simulator.
// ---------------------------------------------------------------------------------------

const LISTENER = (account = ACCOUNT, region = REGION, type = 'app') =>
  `arn:aws:elasticloadbalancing:${region}:${account}:listener/${type}/store/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const LOAD_BALANCER = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/store/50dc6c495c0c9188`;
const LISTENER_RULE = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener-rule/app/store/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const TOPIC = (account = ACCOUNT, region = REGION) => `arn:aws:sns:${region}:${account}:orders`;
const VPC = (account = ACCOUNT, region = REGION) => `arn:aws:ec2:${region}:${account}:vpc/vpc-0123456789abcdef0`;

interface Roles {
  readonly resolver: ExampleResolver;
  readonly resources: Record<string, CfnResource>;
  readonly listener: Principal;
  readonly topics: Principal;
  readonly flowLogs: Principal;
  readonly consumer: Principal;
  readonly listenerRoleArn: string;
  readonly trust: any;
}

function roles(props: ComplianceRulesProps = {}): Roles {
  const w = world(props);
  remediateAll(w);
  const consumer = new iam.Role(w.stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
  w.rules.grantStartRemediation(consumer, ComplianceRule.ELBV2_LISTENER_HTTPS);
  const resources = Template.fromStack(w.stack).toJSON().Resources as Record<string, CfnResource>;
  const resolver = new ExampleResolver(resources);
  const principal = (construct: IConstruct) => principalOf(resources, resolver, idOf(construct));
  const listenerRole = w.rules.remediationRole(ComplianceRule.ELBV2_LISTENER_HTTPS)!;
  return {
    resolver,
    resources,
    listener: principal(listenerRole),
    topics: principal(w.rules.remediationRole(ComplianceRule.SNS_ENCRYPTED_KMS)!),
    flowLogs: principal(w.rules.remediationRole(ComplianceRule.VPC_FLOW_LOGS)!),
    consumer: principal(consumer),
    listenerRoleArn: resolver.arnOf(idOf(listenerRole)),
    trust: resolver.resolve(resources[idOf(listenerRole)].Properties.AssumeRolePolicyDocument),
  };
}

type Requests = Array<[string, string, Record<string, string>?]>;

async function decisions(principal: Principal, requests: Requests): Promise<Array<[string, string, Decision]>> {
  const out: Array<[string, string, Decision]> = [];
  for (const [action, resource, context] of requests) out.push([action, resource, await simulate({ principal, action, resource, context })]);
  return out;
}

const every = (requests: Array<[string, string, unknown?]>, decision: Decision) => requests.map(([a, r]) => [a, r, decision]);

describe('least privilege of the remediation roles (IAM policy simulator)', () => {
  const r = roles();

  test('the policies are fully resolved and each role has its own', () => {
    for (const p of [r.listener, r.topics, r.flowLogs, r.consumer]) expect(p.policies.length).toBe(1);
    expect(JSON.stringify([r.listener.policies, r.topics.policies, r.flowLogs.policies])).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"/);
  });

  test('the listener role can describe listeners and redirect an Application Load Balancer listener of the account and Region', async () => {
    const allowed: Array<[string, string]> = [
      ['elasticloadbalancing:DescribeListeners', '*'],
      ['elasticloadbalancing:ModifyListener', LISTENER()],
    ];
    expect(await decisions(r.listener, allowed)).toEqual(every(allowed, 'Allowed'));
  });

  test('the listener role can change nothing else', async () => {
    const denied: Array<[string, string]> = [
      ['elasticloadbalancing:ModifyListener', LISTENER(OTHER_ACCOUNT)],
      ['elasticloadbalancing:ModifyListener', LISTENER(ACCOUNT, OTHER_REGION)],
      ['elasticloadbalancing:ModifyListener', LISTENER(ACCOUNT, REGION, 'net')],
      ['elasticloadbalancing:DeleteListener', LISTENER()],
      ['elasticloadbalancing:CreateListener', LOAD_BALANCER],
      ['elasticloadbalancing:ModifyLoadBalancerAttributes', LOAD_BALANCER],
      ['elasticloadbalancing:ModifyRule', LISTENER_RULE],
      ['elasticloadbalancing:AddListenerCertificates', LISTENER()],
      ['sns:SetTopicAttributes', TOPIC()],
      ['ec2:CreateFlowLogs', VPC()],
    ];
    expect(await decisions(r.listener, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
  });

  test('the topic role can read and set the attributes of a topic of the account and Region, and follow its runbook', async () => {
    const allowed: Array<[string, string]> = [
      ['sns:GetTopicAttributes', TOPIC()],
      ['sns:SetTopicAttributes', TOPIC()],
      ['ssm:StartAutomationExecution', `arn:aws:ssm:${REGION}:${ACCOUNT}:automation-definition/AWSConfigRemediation-EncryptSNSTopic:$DEFAULT`],
      ['ssm:GetAutomationExecution', `arn:aws:ssm:${REGION}:${ACCOUNT}:automation-execution/0123abcd-0123-4567-89ab-0123456789ab`],
    ];
    expect(await decisions(r.topics, allowed)).toEqual(every(allowed, 'Allowed'));
  });

  test('the topic role can change nothing else', async () => {
    const denied: Array<[string, string]> = [
      ['sns:SetTopicAttributes', TOPIC(OTHER_ACCOUNT)],
      ['sns:SetTopicAttributes', TOPIC(ACCOUNT, OTHER_REGION)],
      ['sns:DeleteTopic', TOPIC()],
      ['sns:Publish', TOPIC()],
      ['sns:Subscribe', TOPIC()],
      ['sns:AddPermission', TOPIC()],
      ['ssm:StartAutomationExecution', `arn:aws:ssm:${REGION}:${ACCOUNT}:automation-definition/AWS-RunShellScript:$DEFAULT`],
      ['kms:Decrypt', `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`],
      ['elasticloadbalancing:ModifyListener', LISTENER()],
    ];
    expect(await decisions(r.topics, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
  });

  test('the flow-logs role can describe flow logs and create one for a VPC of the account and Region, to S3', async () => {
    const allowed: Array<[string, string]> = [
      ['ec2:DescribeFlowLogs', '*'],
      ['ec2:CreateFlowLogs', VPC()],
      ['ec2:CreateFlowLogs', `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc-flow-log/fl-0123456789abcdef0`],
      ['logs:CreateLogDelivery', '*'],
      ['logs:DeleteLogDelivery', '*'],
    ];
    expect(await decisions(r.flowLogs, allowed)).toEqual(every(allowed, 'Allowed'));
  });

  test('the flow-logs role can change nothing else', async () => {
    const denied: Array<[string, string]> = [
      ['ec2:CreateFlowLogs', VPC(OTHER_ACCOUNT)],
      ['ec2:CreateFlowLogs', VPC(ACCOUNT, OTHER_REGION)],
      ['ec2:CreateFlowLogs', `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/subnet-0123456789abcdef0`],
      ['ec2:CreateFlowLogs', `arn:aws:ec2:${REGION}:${ACCOUNT}:network-interface/eni-0123456789abcdef0`],
      ['ec2:DeleteFlowLogs', `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc-flow-log/fl-0123456789abcdef0`],
      ['ec2:DeleteVpc', VPC()],
      ['s3:PutObject', 'arn:aws:s3:::flowlogs/AWSLogs/111111111111/x'],
      ['s3:PutBucketPolicy', 'arn:aws:s3:::flowlogs'],
      ['iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/anything`],
      ['logs:CreateLogGroup', `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:x`],
    ];
    expect(await decisions(r.flowLogs, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
  });

  test('only ssm.amazonaws.com may assume a remediation role, for automation executions of this account', async () => {
    const assume = (principal: string, context: Record<string, string>) =>
      simulate({ principal, action: 'sts:AssumeRole', resource: r.listenerRoleArn, resourcePolicy: r.trust, context });
    const ours = { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': `arn:aws:ssm:${REGION}:${ACCOUNT}:automation-execution/0123abcd-0123-4567-89ab-0123456789ab` };
    expect(await assume('ssm.amazonaws.com', ours)).toBe('Allowed');
    expect(await assume('ssm.amazonaws.com', { ...ours, 'aws:SourceAccount': OTHER_ACCOUNT })).toBe('ImplicitlyDenied');
    expect(await assume('ssm.amazonaws.com', {
      'aws:SourceAccount': OTHER_ACCOUNT, 'aws:SourceArn': `arn:aws:ssm:${REGION}:${OTHER_ACCOUNT}:automation-execution/x`,
    })).toBe('ImplicitlyDenied');
    expect(await assume('ssm.amazonaws.com', { ...ours, 'aws:SourceArn': `arn:aws:ssm:${REGION}:${ACCOUNT}:document/x` })).toBe('ImplicitlyDenied');
    expect(await assume('ssm.amazonaws.com', {})).toBe('ImplicitlyDenied');
    expect(await assume('lambda.amazonaws.com', ours)).toBe('ImplicitlyDenied');
    expect(await assume('config.amazonaws.com', ours)).toBe('ImplicitlyDenied');
  });

  test('grantStartRemediation allows StartRemediationExecution (no resource-level permissions: on *), reading execution status, and nothing else', async () => {
    const rule = `arn:aws:config:${REGION}:${ACCOUNT}:config-rule/config-rule-abc123`;
    const status = `arn:aws:config:${REGION}:${ACCOUNT}:remediation-configuration/store-elbv2-listener-https/abc`;
    const allowed: Array<[string, string]> = [['config:StartRemediationExecution', '*'], ['config:DescribeRemediationExecutionStatus', status]];
    expect(await decisions(r.consumer, allowed)).toEqual(every(allowed, 'Allowed'));
    const elsewhere: Array<[string, string]> = [
      ['config:DescribeRemediationExecutionStatus', `arn:aws:config:eu-west-1:${ACCOUNT}:remediation-configuration/x/abc`],
      ['config:DescribeRemediationExecutionStatus', `arn:aws:config:${REGION}:222222222222:remediation-configuration/x/abc`],
    ];
    expect(await decisions(r.consumer, elsewhere)).toEqual(every(elsewhere, 'ImplicitlyDenied'));
    const denied: Array<[string, string]> = [
      ['config:PutRemediationConfigurations', `arn:aws:config:${REGION}:${ACCOUNT}:remediation-configuration/abc`],
      ['config:DeleteRemediationConfiguration', `arn:aws:config:${REGION}:${ACCOUNT}:remediation-configuration/abc`],
      ['config:PutRemediationExceptions', '*'],
      ['config:StartConfigRulesEvaluation', rule],
      ['config:DeleteConfigRule', rule],
      ['ssm:StartAutomationExecution', `arn:aws:ssm:${REGION}:${ACCOUNT}:automation-definition/x:$DEFAULT`],
      ['iam:PassRole', r.listenerRoleArn],
    ];
    expect(await decisions(r.consumer, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
    expect(r.consumer.policies[0].policy.Statement).toEqual([
      { Effect: 'Allow', Action: 'config:StartRemediationExecution', Resource: '*' },
      { Effect: 'Allow', Action: 'config:DescribeRemediationExecutionStatus', Resource: `arn:aws:config:${REGION}:${ACCOUNT}:remediation-configuration/*` },
    ]);
  });
});

describe('least privilege with tag-scoped rules: changes only to resources carrying the tag', () => {
  const scoped = roles({ scopeTagKey: 'team', scopeTagValue: 'store' });
  const anyValue = roles({ scopeTagKey: 'team' });
  const tagged = { 'aws:ResourceTag/team': 'store' };
  const otherTeam = { 'aws:ResourceTag/team': 'billing' };

  test('with the tag and value, the changes are allowed', async () => {
    expect(await simulate({ principal: scoped.listener, action: 'elasticloadbalancing:ModifyListener', resource: LISTENER(), context: tagged })).toBe('Allowed');
    expect(await simulate({ principal: scoped.topics, action: 'sns:SetTopicAttributes', resource: TOPIC(), context: tagged })).toBe('Allowed');
    expect(await simulate({ principal: scoped.flowLogs, action: 'ec2:CreateFlowLogs', resource: VPC(), context: tagged })).toBe('Allowed');
  });

  test.each([['without the tag', {}], ['with another value', otherTeam]])('%s, the changes are denied', async (_name, context) => {
    const requests: Array<[Principal, string, string]> = [
      [scoped.listener, 'elasticloadbalancing:ModifyListener', LISTENER()],
      [scoped.topics, 'sns:SetTopicAttributes', TOPIC()],
      [scoped.flowLogs, 'ec2:CreateFlowLogs', VPC()],
    ];
    for (const [principal, action, resource] of requests) {
      expect([action, await simulate({ principal, action, resource, context: context as Record<string, string> })]).toEqual([action, 'ImplicitlyDenied']);
    }
  });

  test('reads are not tag-scoped: AWS Config only passes resources in scope', async () => {
    expect(await simulate({ principal: scoped.listener, action: 'elasticloadbalancing:DescribeListeners', resource: '*' })).toBe('Allowed');
    expect(await simulate({ principal: scoped.topics, action: 'sns:GetTopicAttributes', resource: TOPIC() })).toBe('Allowed');
  });

  test('a tag key without a value: any value of the tag, but the tag is required', async () => {
    expect(await simulate({ principal: anyValue.listener, action: 'elasticloadbalancing:ModifyListener', resource: LISTENER(), context: otherTeam })).toBe('Allowed');
    expect(await simulate({ principal: anyValue.listener, action: 'elasticloadbalancing:ModifyListener', resource: LISTENER() })).toBe('ImplicitlyDenied');
  });
});

// ---------------------------------------------------------------------------------------
// Compliance gates.
// ---------------------------------------------------------------------------------------

/**
 * Every gate of the reference app (cdk-nag packs, Control Tower controls, CloudFormation
 * template validator) over the three remediations, automatic and in approval mode, with and
 * without tag scope: what ComplianceRules creates must have zero unacknowledged findings. The
 * user's key, bucket and consumer role are filtered out by path.
 */
describe('ComplianceRules remediation: compliance gates', () => {
  let reports: GateReport[];
  const ours = ['Test/Rules/', 'Test/Scoped/'];

  beforeAll(async () => {
    const w = world();
    remediateAll(w);
    const scoped = new ComplianceRules(w.stack, 'Scoped', { scopeTagKey: 'team', scopeTagValue: 'store', ruleNamePrefix: 'scoped-' });
    scoped.remediate(Remediation.elbv2ListenerHttps({ automatic: false, httpsPort: 8443 }));
    scoped.remediate(Remediation.snsEncryptedKms({ automatic: false, kmsKey: w.key }));
    scoped.remediate(Remediation.vpcFlowLogs({ bucket: w.bucket, retryInterval: Duration.minutes(10) }));
    const consumer = new iam.Role(w.stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    scoped.grantStartRemediation(consumer, ComplianceRule.ELBV2_LISTENER_HTTPS);
    // A wildcard of the user's own on the same role: the gates must still report it.
    consumer.addToPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::reports/*'] }));
    reports = await runGates(w.app, w.app.synth());
  }, 120_000);

  test.each(['cdk-nag AwsSolutions', 'cdk-nag NIST.800.53.R5', 'cdk-nag HIPAA.Security', 'cfn-guard Control Tower', 'cloudformation-validate'])(
    '%s: no finding on a resource the remediations create',
    (gate) => {
      const report = reports.find((r) => r.gate === gate)!;
      expect(report).toBeDefined();
      const mine = report.findings.filter((f) => ours.some((p) => f.resource.startsWith(p)));
      if (mine.length > 0) throw new Error(formatGateReports([{ ...report, findings: mine, warnings: [] }]));
    },
  );

  test('the roles\' findings are acknowledged, not absent (IAM5 on the ARN patterns, IAMNoInlinePolicy)', () => {
    const nag = reports.find((r) => r.gate === 'cdk-nag AwsSolutions')!;
    expect(nag.acknowledged).toBeGreaterThanOrEqual(6);
    const nist = reports.find((r) => r.gate === 'cdk-nag NIST.800.53.R5')!;
    expect(nist.acknowledged).toBeGreaterThanOrEqual(6);
  });

  test('the start grant\'s wildcards (the API\'s) are acknowledged on the consumer; the gates still report the user\'s own wildcard', () => {
    const nag = reports.find((r) => r.gate === 'cdk-nag AwsSolutions')!;
    const consumer = nag.findings.filter((f) => f.resource.startsWith('Test/Consumer/')).map((f) => f.rule);
    expect(consumer).toEqual(['AwsSolutions-IAM5[Resource::arn:aws:s3:::reports/*]']);
  });
});
