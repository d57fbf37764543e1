import { App, Stack, Token, aws_config as config } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { formatGateReports, GateReport, runGates } from '../../examples/store/gates';
import { ComplianceRule, ComplianceRules, ComplianceRulesProps } from '../../src/compliance';

const ACCOUNT = '111111111111';
const RULE = 'AWS::Config::ConfigRule';

function newStack(): Stack {
  const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
  return new Stack(app, 'Test', { env: { account: ACCOUNT, region: 'us-east-1' } });
}

function synth(props: ComplianceRulesProps = {}): { stack: Stack; rules: ComplianceRules; template: Template } {
  const stack = newStack();
  const rules = new ComplianceRules(stack, 'Rules', props);
  return { stack, rules, template: Template.fromStack(stack) };
}

/** The properties of the rule behind one value of the set. */
function propsOf(stack: Stack, template: Template, rule: config.IRule | undefined): { [key: string]: any } {
  expect(rule).toBeDefined();
  const logicalId = stack.getLogicalId((rule as unknown as config.ManagedRule).node.defaultChild as never);
  return template.toJSON().Resources[logicalId].Properties;
}

const ALL = Object.values(ComplianceRule);

interface Expected {
  readonly which: ComplianceRule;
  readonly id: string;
  readonly identifier?: string;
  readonly types: string[];
  readonly periodic?: boolean;
  readonly input?: { [key: string]: string };
  readonly guardRule?: string;
}

const EXPECTED: Expected[] = [
  { which: ComplianceRule.ECS_NON_PRIVILEGED, id: 'EcsNonPrivileged', identifier: 'ECS_CONTAINERS_NONPRIVILEGED', types: ['AWS::ECS::TaskDefinition'] },
  { which: ComplianceRule.ECS_READ_ONLY_ROOT_FILESYSTEM, id: 'EcsReadOnlyRootFilesystem', identifier: 'ECS_CONTAINERS_READONLY_ACCESS', types: ['AWS::ECS::TaskDefinition'] },
  { which: ComplianceRule.ECS_NON_ROOT_USER, id: 'EcsNonRootUser', identifier: 'ECS_TASK_DEFINITION_LINUX_USER_NON_ROOT', types: ['AWS::ECS::TaskDefinition'] },
  { which: ComplianceRule.ECS_LOG_CONFIGURATION, id: 'EcsLogConfiguration', identifier: 'ECS_TASK_DEFINITION_LOG_CONFIGURATION', types: ['AWS::ECS::TaskDefinition'] },
  {
    which: ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS,
    id: 'EcsNoEnvironmentSecrets',
    identifier: 'ECS_NO_ENVIRONMENT_SECRETS',
    types: ['AWS::ECS::TaskDefinition'],
    input: { secretKeys: 'AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY,ECS_ENGINE_AUTH_DATA' },
  },
  { which: ComplianceRule.ECS_FARGATE_LATEST_PLATFORM, id: 'EcsFargateLatestPlatform', identifier: 'ECS_FARGATE_LATEST_PLATFORM_VERSION', types: ['AWS::ECS::Service'] },
  { which: ComplianceRule.SNS_ENCRYPTED_KMS, id: 'SnsEncryptedKms', identifier: 'SNS_ENCRYPTED_KMS', types: ['AWS::SNS::Topic'] },
  {
    which: ComplianceRule.ALB_HTTP_TO_HTTPS_REDIRECTION,
    id: 'AlbHttpToHttpsRedirection',
    identifier: 'ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK',
    types: ['AWS::ElasticLoadBalancingV2::LoadBalancer'],
    periodic: true,
  },
  { which: ComplianceRule.API_GATEWAY_SSL, id: 'ApiGatewaySsl', identifier: 'API_GW_SSL_ENABLED', types: ['AWS::ApiGateway::Stage'] },
  { which: ComplianceRule.VPC_FLOW_LOGS, id: 'VpcFlowLogs', identifier: 'VPC_FLOW_LOGS_ENABLED', types: ['AWS::EC2::VPC'], periodic: true },
  { which: ComplianceRule.SQS_ENCRYPTED, id: 'SqsEncrypted', types: ['AWS::SQS::Queue'], guardRule: 'sqs_encrypted' },
  { which: ComplianceRule.SQS_DEAD_LETTER_QUEUE, id: 'SqsDeadLetterQueue', types: ['AWS::SQS::Queue'], guardRule: 'sqs_has_dlq' },
  { which: ComplianceRule.ELBV2_LISTENER_HTTPS, id: 'Elbv2ListenerHttps', types: ['AWS::ElasticLoadBalancingV2::Listener'], guardRule: 'http_listener_redirects_to_https' },
];

describe('ComplianceRules: the curated set', () => {
  test('every rule of the set is created by default, and only those', () => {
    const { rules, template } = synth();
    expect(EXPECTED.map((e) => e.which).sort()).toEqual([...ALL].sort());
    template.resourceCountIs(RULE, ALL.length);
    expect(rules.rules).toHaveLength(ALL.length);
    expect(rules.ruleNames).toHaveLength(ALL.length);
    for (const which of ALL) expect(rules.rule(which)).toBeDefined();
  });

  test('neither the EC2-only non-root rule nor the deprecated memory rule is used', () => {
    const text = JSON.stringify(synth().template.toJSON());
    expect(text).not.toContain('ECS_TASK_DEFINITION_NONROOT_USER');
    expect(text).not.toContain('ECS_TASK_DEFINITION_MEMORY_HARD_LIMIT');
  });

  test('nothing else is created: no recorder, delivery channel, remediation or role', () => {
    const resources = synth().template.toJSON().Resources;
    expect(new Set(Object.values(resources).map((r: any) => r.Type))).toEqual(new Set([RULE]));
  });

  test.each(EXPECTED)('$which: source, scope, parameters and trigger', (e) => {
    const { stack, rules, template } = synth();
    const props = propsOf(stack, template, rules.rule(e.which));
    expect(rules.node.findChild(e.id)).toBe(rules.rule(e.which));
    // Periodic-only managed rules have no change trigger: no scope (AWS Config refuses one).
    if (e.periodic) expect(props.Scope).toBeUndefined();
    else expect(props.Scope).toEqual({ ComplianceResourceTypes: e.types });
    expect(props.ConfigRuleName).toBeUndefined();
    expect(typeof props.Description).toBe('string');
    if (e.identifier) {
      expect(props.Source).toEqual({ Owner: 'AWS', SourceIdentifier: e.identifier });
      expect(props.InputParameters).toEqual(e.input);
    } else {
      expect(props.Source.Owner).toBe('CUSTOM_POLICY');
      expect(props.Source.CustomPolicyDetails.PolicyRuntime).toBe('guard-2.x.x');
      expect(props.Source.CustomPolicyDetails.PolicyText).toContain(`rule ${e.guardRule} when resourceType == "${e.types[0]}"`);
      expect(props.Source.CustomPolicyDetails.EnableDebugLogDelivery).toBe(false);
      expect(props.Source.SourceDetails).toEqual([
        { EventSource: 'aws.config', MessageType: 'ConfigurationItemChangeNotification' },
        { EventSource: 'aws.config', MessageType: 'OversizedConfigurationItemChangeNotification' },
      ]);
      expect(props.InputParameters).toBeUndefined();
    }
    if (e.periodic) expect(props.MaximumExecutionFrequency).toBe('TwentyFour_Hours');
    else expect(props.MaximumExecutionFrequency).toBeUndefined();
  });

  test.each(EXPECTED)('$which can be disabled, leaving the others', (e) => {
    const { rules, template } = synth({ disabledRules: [e.which, e.which] });
    template.resourceCountIs(RULE, ALL.length - 1);
    expect(rules.rule(e.which)).toBeUndefined();
    expect(rules.node.tryFindChild(e.id)).toBeUndefined();
    expect(rules.ruleNames).toHaveLength(ALL.length - 1);
  });

  test('every rule can be disabled', () => {
    const { rules, template } = synth({ disabledRules: ALL });
    template.resourceCountIs(RULE, 0);
    expect(rules.ruleNames).toEqual([]);
  });

  test('environmentSecretKeys replaces the secret names, duplicates merged', () => {
    const { stack, rules, template } = synth({ environmentSecretKeys: ['DB_PASSWORD', 'API_TOKEN', 'DB_PASSWORD'] });
    expect(propsOf(stack, template, rules.rule(ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS)).InputParameters)
      .toEqual({ secretKeys: 'DB_PASSWORD,API_TOKEN' });
  });
});

describe('ComplianceRules: scope and names', () => {
  const periodic = EXPECTED.filter((e) => e.periodic);
  const changeTriggered = EXPECTED.filter((e) => !e.periodic);

  test('a tag scope replaces the resource types on every change-triggered rule (a scope is types or a tag, not both)', () => {
    const { stack, rules, template } = synth({ scopeTagKey: 'app', scopeTagValue: 'store' });
    expect(changeTriggered.length).toBe(ALL.length - 2);
    for (const e of changeTriggered) expect(propsOf(stack, template, rules.rule(e.which)).Scope).toEqual({ TagKey: 'app', TagValue: 'store' });
  });

  test('a tag key alone matches any value', () => {
    const { stack, rules, template } = synth({ scopeTagKey: 'compliance:scope' });
    for (const e of changeTriggered) expect(propsOf(stack, template, rules.rule(e.which)).Scope).toEqual({ TagKey: 'compliance:scope' });
  });

  test('the periodic rules get no tag scope either, and a warning says they judge untagged resources too', () => {
    const { stack, rules, template } = synth({ scopeTagKey: 'app', scopeTagValue: 'store' });
    expect(periodic.map((e) => e.identifier).sort()).toEqual(['ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK', 'VPC_FLOW_LOGS_ENABLED']);
    for (const e of periodic) {
      const props = propsOf(stack, template, rules.rule(e.which));
      expect(props.Scope).toBeUndefined();
      expect(props.MaximumExecutionFrequency).toBe('TwentyFour_Hours');
    }
    const warnings = Annotations.fromStack(stack).findWarning('/Test/Rules', Match.stringLikeRegexp('periodicRulesIgnoreTagScope'));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0].entry.data)).toContain('ComplianceRule.ALB_HTTP_TO_HTTPS_REDIRECTION and ComplianceRule.VPC_FLOW_LOGS are periodic');
  });

  test('no periodic warning without a tag scope, nor when the periodic rules are disabled', () => {
    const plain = synth();
    expect(Annotations.fromStack(plain.stack).findWarning('*', Match.stringLikeRegexp('periodicRulesIgnoreTagScope'))).toHaveLength(0);
    const off = synth({ scopeTagKey: 'app', disabledRules: [ComplianceRule.VPC_FLOW_LOGS, ComplianceRule.ALB_HTTP_TO_HTTPS_REDIRECTION] });
    expect(Annotations.fromStack(off.stack).findWarning('*', Match.stringLikeRegexp('periodicRulesIgnoreTagScope'))).toHaveLength(0);
  });

  test('names are generated by CloudFormation by default', () => {
    const { rules, template } = synth();
    for (const r of Object.values(template.findResources(RULE))) expect(r.Properties.ConfigRuleName).toBeUndefined();
    for (const name of rules.ruleNames) expect(Token.isUnresolved(name)).toBe(true);
  });

  test('ruleNamePrefix names every rule <prefix><rule>', () => {
    const { rules, template } = synth({ ruleNamePrefix: 'store-' });
    const names = Object.values(template.findResources(RULE)).map((r) => r.Properties.ConfigRuleName).sort();
    expect(names).toEqual([
      'store-alb-http-to-https-redirection-check', 'store-api-gw-ssl-enabled', 'store-ecs-containers-nonprivileged',
      'store-ecs-containers-readonly-access', 'store-ecs-fargate-latest-platform-version', 'store-ecs-no-environment-secrets',
      'store-ecs-task-definition-linux-user-non-root', 'store-ecs-task-definition-log-configuration', 'store-elbv2-listener-https',
      'store-sns-encrypted-kms', 'store-sqs-encrypted', 'store-sqs-has-dead-letter-queue', 'store-vpc-flow-logs-enabled',
    ]);
    expect(rules.ruleNames).toContain('store-sqs-encrypted');
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
  });

  test('the longest prefix allowed keeps every name within 128 characters', () => {
    const { template } = synth({ ruleNamePrefix: 'p'.repeat(89) });
    for (const r of Object.values(template.findResources(RULE))) expect(r.Properties.ConfigRuleName.length).toBeLessThanOrEqual(128);
  });
});

describe('ComplianceRules: addManagedRule and addCustomPolicy', () => {
  test('addManagedRule adds a managed rule with its types, parameters and frequency', () => {
    const { stack, rules } = (() => {
      const s = newStack();
      return { stack: s, rules: new ComplianceRules(s, 'Rules', { disabledRules: ALL }) };
    })();
    const rule = rules.addManagedRule('S3Versioning', {
      identifier: config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED,
      resourceTypes: ['AWS::S3::Bucket', 'AWS::S3::Bucket'],
      inputParameters: { isMfaDeleteEnabled: 'false' },
      maximumExecutionFrequency: config.MaximumExecutionFrequency.SIX_HOURS,
      description: 'Buckets are versioned',
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs(RULE, 1);
    template.hasResourceProperties(RULE, {
      Source: { Owner: 'AWS', SourceIdentifier: 'S3_BUCKET_VERSIONING_ENABLED' },
      Scope: { ComplianceResourceTypes: ['AWS::S3::Bucket'] },
      InputParameters: { isMfaDeleteEnabled: 'false' },
      MaximumExecutionFrequency: 'Six_Hours',
      Description: 'Buckets are versioned',
      ConfigRuleName: Match.absent(),
    });
    expect(rules.rules).toEqual([rule]);
    expect(rules.ruleNames).toEqual([rule.configRuleName]);
  });

  test('addCustomPolicy adds a Guard rule without debug logs', () => {
    const stack = newStack();
    const rules = new ComplianceRules(stack, 'Rules', { disabledRules: ALL, ruleNamePrefix: 'store-' });
    const policyText = 'rule bucket_named when resourceType == "AWS::S3::Bucket" { configuration.name exists }';
    rules.addCustomPolicy('BucketNamed', { policyText, resourceTypes: ['AWS::S3::Bucket'], description: 'Buckets are named' });
    Template.fromStack(stack).hasResourceProperties(RULE, {
      ConfigRuleName: 'store-BucketNamed',
      Description: 'Buckets are named',
      Scope: { ComplianceResourceTypes: ['AWS::S3::Bucket'] },
      Source: {
        Owner: 'CUSTOM_POLICY',
        CustomPolicyDetails: { PolicyRuntime: 'guard-2.x.x', PolicyText: policyText, EnableDebugLogDelivery: false },
      },
    });
    expect(rules.ruleNames).toEqual(['store-BucketNamed']);
  });

  test('added rules without resource types take the tag scope, or none; with types they keep the types', () => {
    const stack = newStack();
    const tagged = new ComplianceRules(stack, 'Tagged', { disabledRules: ALL, scopeTagKey: 'app', scopeTagValue: 'store' });
    tagged.addManagedRule('Any', { identifier: 'REQUIRED_TAGS', inputParameters: { tag1Key: 'app' } });
    tagged.addCustomPolicy('Typed', { policyText: 'rule x { resourceType exists }', resourceTypes: ['AWS::SNS::Topic'] });
    const plain = new ComplianceRules(stack, 'Plain', { disabledRules: ALL });
    plain.addManagedRule('Everything', { identifier: 'REQUIRED_TAGS', inputParameters: { tag1Key: 'app' } });
    const template = Template.fromStack(stack);
    const scope = (r: config.IRule) => propsOf(stack, template, r).Scope;
    expect(scope(tagged.rules[0])).toEqual({ TagKey: 'app', TagValue: 'store' });
    expect(scope(tagged.rules[1])).toEqual({ ComplianceResourceTypes: ['AWS::SNS::Topic'] });
    expect(scope(plain.rules[0])).toBeUndefined();
  });

  test('added rules come after the curated set in ruleNames', () => {
    const { rules } = synth();
    rules.addManagedRule('Extra', { identifier: 'REQUIRED_TAGS' });
    expect(rules.ruleNames).toHaveLength(ALL.length + 1);
    expect(rules.rules[ALL.length]).toBe(rules.node.findChild('Extra'));
  });
});

describe('ComplianceRules: refusals', () => {
  test.each<[string, any, string]>([
    ['disabledRules', { disabledRules: ['NOPE'] }, "`disabledRules` 'NOPE' is not a ComplianceRule; use one of ComplianceRule.ECS_NON_PRIVILEGED"],
    ['disabledRules', { disabledRules: 'SQS_ENCRYPTED' }, "`disabledRules` 'SQS_ENCRYPTED' is not a list of strings"],
    ['scopeTagValue', { scopeTagValue: 'store' }, '`scopeTagValue` is set without `scopeTagKey`'],
    ['scopeTagKey', { scopeTagKey: '' }, "`scopeTagKey` '' is not a tag key"],
    ['scopeTagKey', { scopeTagKey: 'aws:cloudformation:stack-name' }, "`scopeTagKey` 'aws:cloudformation:stack-name' is not a tag key"],
    ['scopeTagKey', { scopeTagKey: 'a'.repeat(129) }, '`scopeTagKey` \'aaaa'],
    ['scopeTagKey', { scopeTagKey: 'bad#key' }, "`scopeTagKey` 'bad#key' is not a tag key"],
    ['scopeTagKey', { scopeTagKey: 7 }, '`scopeTagKey` 7 is not a string'],
    ['scopeTagValue', { scopeTagKey: 'app', scopeTagValue: 'v'.repeat(257) }, '`scopeTagValue` \'vvvv'],
    ['scopeTagValue', { scopeTagKey: 'app', scopeTagValue: 'a*b' }, "`scopeTagValue` 'a*b' is not a tag value"],
    ['ruleNamePrefix', { ruleNamePrefix: '' }, "`ruleNamePrefix` '' is not valid; use 1 to 89"],
    ['ruleNamePrefix', { ruleNamePrefix: 'store.' }, "`ruleNamePrefix` 'store.' is not valid"],
    ['ruleNamePrefix', { ruleNamePrefix: 'p'.repeat(90) }, '`ruleNamePrefix` \'pppp'],
    ['ruleNamePrefix', { ruleNamePrefix: Token.asString({ Ref: 'Prefix' }) }, '`ruleNamePrefix` is a token'],
    ['environmentSecretKeys', { environmentSecretKeys: [] }, '`environmentSecretKeys` is empty'],
    ['environmentSecretKeys', { environmentSecretKeys: ['A,B'] }, "`environmentSecretKeys` 'A,B' is not an environment variable name"],
    ['environmentSecretKeys', { environmentSecretKeys: ['A'], disabledRules: [ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS] }, '`environmentSecretKeys` configures ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS'],
  ])('%s: %j', (_prop, props, message) => {
    const stack = newStack();
    expect(() => new ComplianceRules(stack, 'Rules', props)).toThrow(`\`ComplianceRules\` at Test/Rules: ${message}`);
    expect(stack.node.tryFindChild('Rules')).toBeUndefined();
  });

  test('props that are not an object are refused', () => {
    expect(() => new ComplianceRules(newStack(), 'Rules', 'x' as any)).toThrow("`ComplianceRules` at Test/Rules: props 'x' are not an object of ComplianceRulesProps");
  });

  test('every problem is reported in one error', () => {
    expect(() => new ComplianceRules(newStack(), 'Rules', { disabledRules: ['X' as ComplianceRule], scopeTagValue: 'v', ruleNamePrefix: 'a b' }))
      .toThrow(/`disabledRules` 'X'[\s\S]*`scopeTagValue` is set without[\s\S]*`ruleNamePrefix` 'a b'/);
  });

  test('rule() refuses a value that is not a ComplianceRule', () => {
    const { rules } = synth();
    expect(() => rules.rule('NOPE' as ComplianceRule)).toThrow("`ComplianceRules` at Test/Rules: `rule()`: `which` 'NOPE' is not a ComplianceRule");
  });

  test.each<[string, string, any, string]>([
    ['identifier', 'Id', {}, '`addManagedRule()`: `identifier` is missing'],
    ['identifier', 'Id', { identifier: 'not a rule' }, "`addManagedRule()`: `identifier` 'not a rule' is not an AWS managed rule identifier"],
    ['identifier', 'Id', { identifier: 3 }, '`addManagedRule()`: `identifier` 3 is not a string'],
    ['resourceTypes', 'Id', { identifier: 'REQUIRED_TAGS', resourceTypes: [] }, '`addManagedRule()`: `resourceTypes` is empty'],
    ['resourceTypes', 'Id', { identifier: 'REQUIRED_TAGS', resourceTypes: ['S3::Bucket'] }, "`addManagedRule()`: `resourceTypes` 'S3::Bucket' is not a resource type; use the form AWS::Service::Resource"],
    ['resourceTypes', 'Id', { identifier: 'REQUIRED_TAGS', resourceTypes: ['AWS::S3::Buckets'] },
      "`addManagedRule()`: `resourceTypes` 'AWS::S3::Buckets' is not a resource type AWS Config records; see the resource types AWS Config supports"],
    ['resourceTypes', 'Id', { identifier: 'REQUIRED_TAGS', resourceTypes: ['AWS::Foo::Bar'] }, "`addManagedRule()`: `resourceTypes` 'AWS::Foo::Bar' is not a resource type AWS Config records"],
    ['resourceTypes', 'Id', { identifier: 'REQUIRED_TAGS', resourceTypes: ['AWS::EC2::Vpc'] },
      "`addManagedRule()`: `resourceTypes` 'AWS::EC2::Vpc' is not a resource type AWS Config records; did you mean 'AWS::EC2::VPC'?"],
    ['inputParameters', 'Id', { identifier: 'REQUIRED_TAGS', inputParameters: { a: 1 } }, '`addManagedRule()`: `inputParameters` {"a":1} is not a map of strings'],
    ['maximumExecutionFrequency', 'Id', { identifier: 'REQUIRED_TAGS', maximumExecutionFrequency: 'Hourly' }, "`addManagedRule()`: `maximumExecutionFrequency` 'Hourly' is not a MaximumExecutionFrequency"],
    ['id', 'SqsEncrypted', { identifier: 'REQUIRED_TAGS' }, "`addManagedRule()`: `id` 'SqsEncrypted' is taken by another rule of this construct"],
    ['id', '', { identifier: 'REQUIRED_TAGS' }, "`addManagedRule()`: `id` '' is not a construct id"],
    ['id', 'Has.Dot', { identifier: 'REQUIRED_TAGS' }, "`addManagedRule()`: `id` 'Has.Dot' with `ruleNamePrefix` 'store-' does not make an AWS Config rule name"],
    ['options', 'Id', undefined, '`addManagedRule()`: options undefined are not an object of ManagedRuleOptions'],
  ])('addManagedRule %s: %j %j', (_prop, ruleId, options, message) => {
    const { rules } = synth({ ruleNamePrefix: 'store-' });
    expect(() => rules.addManagedRule(ruleId, options)).toThrow(`\`ComplianceRules\` at Test/Rules: ${message}`);
    expect(rules.rules).toHaveLength(ALL.length);
  });

  test.each<[string, string, any, string]>([
    ['policyText', 'Id', { resourceTypes: ['AWS::S3::Bucket'] }, '`addCustomPolicy()`: `policyText` is missing'],
    ['policyText', 'Id', { policyText: '  \n' }, '`addCustomPolicy()`: `policyText` is empty'],
    ['policyText', 'Id', { policyText: 'r'.repeat(10_001) }, '`addCustomPolicy()`: `policyText` has 10001 characters; AWS Config accepts at most 10000'],
    ['policyText', 'Id', { policyText: ['rule x {}'] }, '`addCustomPolicy()`: `policyText` ["rule x {}"] is not a string'],
    ['resourceTypes', 'Id', { policyText: 'rule x {}', resourceTypes: [] }, '`addCustomPolicy()`: `resourceTypes` is empty'],
    ['resourceTypes', 'Id', { policyText: 'rule x {}', resourceTypes: ['AWS::SQS::Queue', 'aws::sqs::queue::x'] }, "`addCustomPolicy()`: `resourceTypes` 'aws::sqs::queue::x' is not a resource type"],
    ['id', 'VpcFlowLogs', { policyText: 'rule x {}' }, "`addCustomPolicy()`: `id` 'VpcFlowLogs' is taken by another rule of this construct"],
    ['id', 'x'.repeat(123), { policyText: 'rule x {}' }, '`addCustomPolicy()`: `id` \'xxxx'],
    ['options', 'Id', null, '`addCustomPolicy()`: options null are not an object of CustomPolicyRuleOptions'],
  ])('addCustomPolicy %s: %j', (_prop, ruleId, options, message) => {
    const { rules } = synth({ ruleNamePrefix: 'store-' });
    expect(() => rules.addCustomPolicy(ruleId, options)).toThrow(`\`ComplianceRules\` at Test/Rules: ${message}`);
    expect(rules.rules).toHaveLength(ALL.length);
  });
});

/**
 * AWS Config rule names are 1 to 128 characters (ConfigRuleName,
 * https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRule.html): every name built
 * from `ruleNamePrefix` stays within it, and a name that would not is refused with its length.
 */
describe('ComplianceRules: rule names within the AWS Config limit', () => {
  const PREFIX = 'store-';
  type Add = 'addCustomPolicy' | 'addManagedRule';
  const add = (rules: ComplianceRules, method: Add, id: string) => (method === 'addCustomPolicy'
    ? rules.addCustomPolicy(id, { policyText: 'rule x { resourceType exists }' })
    : rules.addManagedRule(id, { identifier: 'REQUIRED_TAGS' }));

  test.each<[Add, number]>([
    ['addCustomPolicy', 200],
    ['addCustomPolicy', 123],
    ['addManagedRule', 200],
    ['addManagedRule', 123],
  ])('%s with an id of %d characters after the prefix is refused with the length of the name', (method, length) => {
    const { rules } = synth({ ruleNamePrefix: PREFIX });
    expect(() => add(rules, method, 'x'.repeat(length))).toThrow(new RegExp(
      `^\`ComplianceRules\` at Test/Rules: \`${method}\\(\\)\`: \`id\` 'x+\\.\\.\\. with \`ruleNamePrefix\` 'store-' does not make an AWS Config rule name: `
      + `the name would have ${PREFIX.length + length} characters and AWS Config allows at most 128; use an id of at most ${128 - PREFIX.length} characters$`));
    expect(rules.rules).toHaveLength(ALL.length);
  });

  test.each<Add>(['addCustomPolicy', 'addManagedRule'])('%s with a name of exactly 128 characters is accepted, named so', (method) => {
    const stack = newStack();
    const rules = new ComplianceRules(stack, 'Rules', { ruleNamePrefix: PREFIX });
    add(rules, method, 'x'.repeat(128 - PREFIX.length));
    const name = `${PREFIX}${'x'.repeat(122)}`;
    expect(name).toHaveLength(128);
    Template.fromStack(stack).hasResourceProperties(RULE, { ConfigRuleName: name });
    expect(rules.ruleNames).toContain(name);
  });

  test('the longest prefix keeps every name of the set within 128 characters', () => {
    const longest = 'p'.repeat(89);
    const { template } = synth({ ruleNamePrefix: longest });
    const names = Object.values(template.findResources(RULE)).map((r) => r.Properties.ConfigRuleName as string);
    expect(names).toHaveLength(ALL.length);
    expect(Math.max(...names.map((n) => n.length))).toBeLessThanOrEqual(128);
    expect(() => synth({ ruleNamePrefix: `${longest}p` })).toThrow(/`ruleNamePrefix` 'p+\.\.\. is not valid; use 1 to 89 letters/);
  });

  test('without a prefix the id does not name the rule: CloudFormation generates the name', () => {
    const stack = newStack();
    const rules = new ComplianceRules(stack, 'Rules');
    add(rules, 'addCustomPolicy', 'x'.repeat(200));
    const added = rules.rules[rules.rules.length - 1];
    expect(propsOf(stack, Template.fromStack(stack), added).ConfigRuleName).toBeUndefined();
  });
});

/**
 * Every gate of the reference app over ComplianceRules: the rules it creates must have zero
 * unacknowledged findings.
 */
describe('ComplianceRules: compliance gates', () => {
  let reports: GateReport[];
  const ours = ['Test/Rules/', 'Test/Tagged/'];

  beforeAll(async () => {
    const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
    const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const rules = new ComplianceRules(stack, 'Rules', { ruleNamePrefix: 'store-' });
    rules.addManagedRule('S3Versioning', { identifier: 'S3_BUCKET_VERSIONING_ENABLED', resourceTypes: ['AWS::S3::Bucket'] });
    rules.addCustomPolicy('TopicNamed', { policyText: 'rule t when resourceType == "AWS::SNS::Topic" { configuration.TopicName exists }', resourceTypes: ['AWS::SNS::Topic'] });
    new ComplianceRules(stack, 'Tagged', { scopeTagKey: 'app', scopeTagValue: 'store' });
    reports = await runGates(app, app.synth());
  }, 120_000);

  test.each(['cdk-nag AwsSolutions', 'cdk-nag NIST.800.53.R5', 'cdk-nag HIPAA.Security', 'cfn-guard Control Tower', 'cloudformation-validate'])(
    '%s: no finding on a resource ComplianceRules creates',
    (gate) => {
      const report = reports.find((r) => r.gate === gate)!;
      expect(report).toBeDefined();
      const mine = report.findings.filter((f) => ours.some((p) => f.resource.startsWith(p)));
      if (mine.length > 0) throw new Error(formatGateReports([{ ...report, findings: mine, warnings: [] }]));
    },
  );
});
