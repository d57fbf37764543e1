/**
 * The Guard policy texts of the Guard custom policy rules of ComplianceRules, on their own: each
 * is evaluated locally with the cfn-guard binary that cdk-validator-cfnguard bundles (3.1.x; AWS
 * Config runs Guard 2.x, and the policies use 2.x syntax only) against compliant, non-compliant
 * and not-applicable configuration items (test/compliance/guard/*.json, shaped as AWS Config
 * records them), and checked for what AWS Config requires of a policy text.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, aws_config as config } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ComplianceRule, ComplianceRules } from '../../src/compliance';
import { ELBV2_LISTENER_HTTPS_POLICY, SQS_DEAD_LETTER_QUEUE_POLICY, SQS_ENCRYPTED_POLICY } from '../../src/compliance/guard-policies';

const POLICIES: Array<[ComplianceRule, string, string, string]> = [
  // rule of the set, policy text, Guard rule name, resource type it guards on
  [ComplianceRule.SQS_ENCRYPTED, SQS_ENCRYPTED_POLICY, 'sqs_encrypted', 'AWS::SQS::Queue'],
  [ComplianceRule.SQS_DEAD_LETTER_QUEUE, SQS_DEAD_LETTER_QUEUE_POLICY, 'sqs_has_dlq', 'AWS::SQS::Queue'],
  [ComplianceRule.ELBV2_LISTENER_HTTPS, ELBV2_LISTENER_HTTPS_POLICY, 'http_listener_redirects_to_https', 'AWS::ElasticLoadBalancingV2::Listener'],
];

describe('Guard policy texts: what AWS Config requires of them', () => {
  test.each(POLICIES)('%s: one named rule guarded by its resource type, within 10,000 characters', (_which, text, name, type) => {
    expect(text.length).toBeLessThanOrEqual(10_000);
    const rules = [...text.matchAll(/^rule (\w+) when resourceType == "([^"]+)"/gm)];
    expect(rules.map((m) => [m[1], m[2]])).toEqual([[name, type]]);
    // Every check carries a message, so a NON_COMPLIANT annotation says what to fix.
    expect(text).toMatch(/<<[^>]+>>/);
  });

  test.each(POLICIES)('%s: ComplianceRules creates its rule with exactly this text', (which, text) => {
    const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
    const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
    const rules = new ComplianceRules(stack, 'Rules');
    const logicalId = stack.getLogicalId((rules.rule(which) as config.CustomPolicy).node.defaultChild as never);
    const props = Template.fromStack(stack).toJSON().Resources[logicalId].Properties;
    expect(props.Source.CustomPolicyDetails).toEqual({ PolicyRuntime: 'guard-2.x.x', PolicyText: text, EnableDebugLogDelivery: false });
  });
});

const GUARD_PACKAGE = path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
const GUARD_BINARY = (() => {
  const platform = ({ linux: 'ubuntu', darwin: 'macos' } as Record<string, string>)[os.platform()];
  const arch = ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[os.arch()];
  return platform && arch ? path.join(GUARD_PACKAGE, 'bin', platform, arch, 'cfn-guard') : undefined;
})();
const SAMPLES = path.join(__dirname, 'guard');

type Verdict = 'NON_COMPLIANT' | 'COMPLIANT' | 'NOT_APPLICABLE';

/** Runs a policy over one configuration item: FAIL is NON_COMPLIANT, PASS COMPLIANT, SKIP NOT_APPLICABLE. */
function evaluate(policyText: string, sample: string): Verdict {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-policies-'));
  try {
    const rules = path.join(dir, 'policy.guard');
    fs.writeFileSync(rules, policyText);
    let stdout: string;
    try {
      stdout = execFileSync(GUARD_BINARY!, ['validate', '--rules', rules, '--data', path.join(SAMPLES, sample),
        '--output-format', 'json', '--show-summary', 'none', '--structured'], { encoding: 'utf8' });
    } catch (e) {
      const err = e as { status?: number; stdout?: string; stderr?: string };
      if (err.status !== 19 && err.status !== 5) throw new Error(`cfn-guard failed (${err.status}): ${err.stderr}`);
      stdout = err.stdout!;
    }
    const [result] = JSON.parse(stdout);
    return ({ FAIL: 'NON_COMPLIANT', PASS: 'COMPLIANT', SKIP: 'NOT_APPLICABLE' } as Record<string, Verdict>)[result.status];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const describeGuard = GUARD_BINARY && fs.existsSync(GUARD_BINARY) ? describe : describe.skip;

describeGuard('Guard policy texts: cfn-guard evaluates sample configuration items', () => {
  test.each<[string, string, string, Verdict]>([
    ['SQS_ENCRYPTED', SQS_ENCRYPTED_POLICY, 'sqs-sse-redrive-string.json', 'COMPLIANT'],
    ['SQS_ENCRYPTED', SQS_ENCRYPTED_POLICY, 'sqs-kms-redrive-object.json', 'COMPLIANT'],
    ['SQS_ENCRYPTED', SQS_ENCRYPTED_POLICY, 'sqs-dlq-string.json', 'COMPLIANT'],
    ['SQS_ENCRYPTED', SQS_ENCRYPTED_POLICY, 'sqs-unencrypted-no-dlq.json', 'NON_COMPLIANT'],
    ['SQS_ENCRYPTED', SQS_ENCRYPTED_POLICY, 'sqs-deny-all.json', 'NON_COMPLIANT'],
    ['SQS_ENCRYPTED', SQS_ENCRYPTED_POLICY, 'sns-topic.json', 'NOT_APPLICABLE'],
    ['SQS_DEAD_LETTER_QUEUE', SQS_DEAD_LETTER_QUEUE_POLICY, 'sqs-sse-redrive-string.json', 'COMPLIANT'],
    ['SQS_DEAD_LETTER_QUEUE', SQS_DEAD_LETTER_QUEUE_POLICY, 'sqs-kms-redrive-object.json', 'COMPLIANT'],
    ['SQS_DEAD_LETTER_QUEUE', SQS_DEAD_LETTER_QUEUE_POLICY, 'sqs-dlq-string.json', 'NOT_APPLICABLE'],
    ['SQS_DEAD_LETTER_QUEUE', SQS_DEAD_LETTER_QUEUE_POLICY, 'sqs-dlq-object.json', 'NOT_APPLICABLE'],
    ['SQS_DEAD_LETTER_QUEUE', SQS_DEAD_LETTER_QUEUE_POLICY, 'sqs-unencrypted-no-dlq.json', 'NON_COMPLIANT'],
    ['SQS_DEAD_LETTER_QUEUE', SQS_DEAD_LETTER_QUEUE_POLICY, 'sqs-deny-all.json', 'NON_COMPLIANT'],
    ['SQS_DEAD_LETTER_QUEUE', SQS_DEAD_LETTER_QUEUE_POLICY, 'sns-topic.json', 'NOT_APPLICABLE'],
    ['ELBV2_LISTENER_HTTPS', ELBV2_LISTENER_HTTPS_POLICY, 'listener-http-redirect.json', 'COMPLIANT'],
    ['ELBV2_LISTENER_HTTPS', ELBV2_LISTENER_HTTPS_POLICY, 'listener-http-forward.json', 'NON_COMPLIANT'],
    ['ELBV2_LISTENER_HTTPS', ELBV2_LISTENER_HTTPS_POLICY, 'listener-https.json', 'NOT_APPLICABLE'],
    ['ELBV2_LISTENER_HTTPS', ELBV2_LISTENER_HTTPS_POLICY, 'sns-topic.json', 'NOT_APPLICABLE'],
  ])('%s on %s: %s', (_name, text, sample, verdict) => {
    expect(evaluate(text, sample)).toBe(verdict);
  });
});
