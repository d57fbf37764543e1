import { Token, aws_config as config } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CONFIG_RULE_NAME } from '../private/naming';
import { checkKinds, enumProblem, MicroservicesValidationError, Problems, show } from '../private/validation';

const CLASS = 'ComplianceRules';

const MAX_RULE_NAME = 128;
/** Resource types as AWS Config names them: `AWS::Service::Resource`. */
const RESOURCE_TYPE = /^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/;
/** Tag keys: 1 to 128 Unicode letters, digits, spaces and `_ . : / = + - @`, not starting with `aws:`. */
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
/** Tag values: up to 256 of the same characters. */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
/** The longest Guard policy text AWS Config accepts. */
const MAX_POLICY_TEXT = 10_000;
/** An environment variable name for the comma-separated `secretKeys` parameter: no commas or white space. */
const ENV_NAME = /^[^,\s]+$/;

/**
 * The rules of the curated set of `ComplianceRules`. Each is on by default; name the ones to
 * leave out in `disabledRules`.
 */
export enum ComplianceRule {
  /** ECS containers do not run privileged (managed rule `ECS_CONTAINERS_NONPRIVILEGED`). */
  ECS_NON_PRIVILEGED = 'ECS_NON_PRIVILEGED',
  /** ECS containers have a read-only root file system (managed rule `ECS_CONTAINERS_READONLY_ACCESS`). */
  ECS_READ_ONLY_ROOT_FILESYSTEM = 'ECS_READ_ONLY_ROOT_FILESYSTEM',
  /**
   * Linux containers of ECS task definitions run as a user other than root (managed rule
   * `ECS_TASK_DEFINITION_LINUX_USER_NON_ROOT`, which covers Fargate; `ECS_TASK_DEFINITION_NONROOT_USER`
   * evaluates the EC2 launch type only).
   */
  ECS_NON_ROOT_USER = 'ECS_NON_ROOT_USER',
  /** ECS containers have a log configuration (managed rule `ECS_TASK_DEFINITION_LOG_CONFIGURATION`). */
  ECS_LOG_CONFIGURATION = 'ECS_LOG_CONFIGURATION',
  /** ECS containers hold no credentials in plain environment variables (managed rule `ECS_NO_ENVIRONMENT_SECRETS`). */
  ECS_NO_ENVIRONMENT_SECRETS = 'ECS_NO_ENVIRONMENT_SECRETS',
  /** ECS Fargate services run the latest platform version (managed rule `ECS_FARGATE_LATEST_PLATFORM_VERSION`). */
  ECS_FARGATE_LATEST_PLATFORM = 'ECS_FARGATE_LATEST_PLATFORM',
  /** SNS topics are encrypted with KMS (managed rule `SNS_ENCRYPTED_KMS`). */
  SNS_ENCRYPTED_KMS = 'SNS_ENCRYPTED_KMS',
  /**
   * HTTP listeners of Application Load Balancers redirect to HTTPS (managed rule
   * `ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK`, periodic: one result per load balancer a day).
   */
  ALB_HTTP_TO_HTTPS_REDIRECTION = 'ALB_HTTP_TO_HTTPS_REDIRECTION',
  /**
   * REST API stages use a client certificate towards HTTP backends (managed rule
   * `API_GW_SSL_ENABLED`). It is not about TLS to clients: stages without HTTP integrations
   * are NOT_APPLICABLE.
   */
  API_GATEWAY_SSL = 'API_GATEWAY_SSL',
  /** VPCs have flow logs (managed rule `VPC_FLOW_LOGS_ENABLED`, periodic). */
  VPC_FLOW_LOGS = 'VPC_FLOW_LOGS',
  /** SQS queues are encrypted at rest, with SSE-KMS or SSE-SQS (a Guard custom policy rule). */
  SQS_ENCRYPTED = 'SQS_ENCRYPTED',
  /**
   * SQS queues have a dead-letter queue, unless they are one: a queue whose redrive allow
   * policy is `allowAll` or `byQueue` counts as a dead-letter queue, as in AWS Control Tower
   * CT.SQS.PR.1 (a Guard custom policy rule).
   */
  SQS_DEAD_LETTER_QUEUE = 'SQS_DEAD_LETTER_QUEUE',
  /**
   * Load balancer listeners are HTTPS or TLS, or HTTP listeners whose default actions only
   * redirect to HTTPS (a Guard custom policy rule, change-triggered: one result per listener).
   */
  ELBV2_LISTENER_HTTPS = 'ELBV2_LISTENER_HTTPS',
}

/** The Guard policy that SQS queues are encrypted at rest. */
const SQS_ENCRYPTED_POLICY = `# SQS queue is encrypted at rest (SSE-SQS or SSE-KMS)
rule sqs_encrypted when resourceType == "AWS::SQS::Queue" {
    configuration.KmsMasterKeyId exists or
    configuration.SqsManagedSseEnabled in [true, "true"]
    <<SQS queue is not encrypted at rest: set KmsMasterKeyId (SSE-KMS) or SqsManagedSseEnabled (SSE-SQS)>>
}
`;

/** The Guard policy that SQS queues have a dead-letter queue unless they are one. */
const SQS_DEAD_LETTER_QUEUE_POLICY = `# Every queue that is not itself a dead-letter queue has one. A DLQ is recognised by its redrive
# allow policy (allowAll or byQueue); RedriveAllowPolicy may be recorded as a JSON string or an object.
rule sqs_has_dlq when resourceType == "AWS::SQS::Queue" {
    when configuration.RedriveAllowPolicy not exists or
         configuration.RedriveAllowPolicy == /denyAll/ or
         configuration.RedriveAllowPolicy.redrivePermission == "denyAll" {
        configuration.RedrivePolicy exists
        configuration.RedrivePolicy == /deadLetterTargetArn/ or
        configuration.RedrivePolicy.deadLetterTargetArn exists
        <<SQS queue has no dead-letter queue: set RedrivePolicy.deadLetterTargetArn, or mark a DLQ with RedriveAllowPolicy>>
    }
}
`;

/** The Guard policy that HTTP listeners of load balancers only redirect to HTTPS. */
const ELBV2_LISTENER_HTTPS_POLICY = `# An HTTP listener on a load balancer only redirects to HTTPS
rule http_listener_redirects_to_https when resourceType == "AWS::ElasticLoadBalancingV2::Listener"
                                             configuration.Protocol == "HTTP" {
    configuration.DefaultActions[*].Type == "redirect"
        <<HTTP listener must only redirect (to HTTPS)>>
    configuration.DefaultActions[*].RedirectConfig.Protocol == "HTTPS"
        <<HTTP listener redirect must go to HTTPS>>
}
`;

/** The environment variable names `ECS_NO_ENVIRONMENT_SECRETS` looks for by default (as AWS Control Tower CT.ECS.PR.12). */
const DEFAULT_SECRET_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'ECS_ENGINE_AUTH_DATA'];

interface ManagedDefinition {
  readonly kind: 'managed';
  readonly id: string;
  readonly name: string;
  readonly identifier: string;
  readonly resourceTypes: string[];
  readonly periodic?: boolean;
  readonly description: string;
}

interface GuardDefinition {
  readonly kind: 'guard';
  readonly id: string;
  readonly name: string;
  readonly policyText: string;
  readonly resourceTypes: string[];
  readonly description: string;
}

const TASK_DEFINITION = 'AWS::ECS::TaskDefinition';

/** The curated set, in the order the rules are created. */
const DEFINITIONS: { [rule: string]: ManagedDefinition | GuardDefinition } = {
  [ComplianceRule.ECS_NON_PRIVILEGED]: {
    kind: 'managed',
    id: 'EcsNonPrivileged',
    name: 'ecs-containers-nonprivileged',
    identifier: config.ManagedRuleIdentifiers.ECS_CONTAINERS_NONPRIVILEGED,
    resourceTypes: [TASK_DEFINITION],
    description: 'ECS containers do not run privileged',
  },
  [ComplianceRule.ECS_READ_ONLY_ROOT_FILESYSTEM]: {
    kind: 'managed',
    id: 'EcsReadOnlyRootFilesystem',
    name: 'ecs-containers-readonly-access',
    identifier: config.ManagedRuleIdentifiers.ECS_CONTAINERS_READONLY_ACCESS,
    resourceTypes: [TASK_DEFINITION],
    description: 'ECS containers have a read-only root file system',
  },
  [ComplianceRule.ECS_NON_ROOT_USER]: {
    // No ManagedRuleIdentifiers constant in aws-cdk-lib 2.257.
    kind: 'managed',
    id: 'EcsNonRootUser',
    name: 'ecs-task-definition-linux-user-non-root',
    identifier: 'ECS_TASK_DEFINITION_LINUX_USER_NON_ROOT',
    resourceTypes: [TASK_DEFINITION],
    description: 'Linux containers of ECS task definitions run as a user other than root',
  },
  [ComplianceRule.ECS_LOG_CONFIGURATION]: {
    kind: 'managed',
    id: 'EcsLogConfiguration',
    name: 'ecs-task-definition-log-configuration',
    identifier: config.ManagedRuleIdentifiers.ECS_TASK_DEFINITION_LOG_CONFIGURATION,
    resourceTypes: [TASK_DEFINITION],
    description: 'ECS containers have a log configuration',
  },
  [ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS]: {
    kind: 'managed',
    id: 'EcsNoEnvironmentSecrets',
    name: 'ecs-no-environment-secrets',
    identifier: config.ManagedRuleIdentifiers.ECS_NO_ENVIRONMENT_SECRETS,
    resourceTypes: [TASK_DEFINITION],
    description: 'ECS containers hold no credentials in plain environment variables',
  },
  [ComplianceRule.ECS_FARGATE_LATEST_PLATFORM]: {
    kind: 'managed',
    id: 'EcsFargateLatestPlatform',
    name: 'ecs-fargate-latest-platform-version',
    identifier: config.ManagedRuleIdentifiers.ECS_FARGATE_LATEST_PLATFORM_VERSION,
    resourceTypes: ['AWS::ECS::Service'],
    description: 'ECS Fargate services run the latest platform version',
  },
  [ComplianceRule.SNS_ENCRYPTED_KMS]: {
    kind: 'managed',
    id: 'SnsEncryptedKms',
    name: 'sns-encrypted-kms',
    identifier: config.ManagedRuleIdentifiers.SNS_ENCRYPTED_KMS,
    resourceTypes: ['AWS::SNS::Topic'],
    description: 'SNS topics are encrypted with KMS',
  },
  [ComplianceRule.ALB_HTTP_TO_HTTPS_REDIRECTION]: {
    kind: 'managed',
    id: 'AlbHttpToHttpsRedirection',
    name: 'alb-http-to-https-redirection-check',
    identifier: config.ManagedRuleIdentifiers.ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK,
    resourceTypes: ['AWS::ElasticLoadBalancingV2::LoadBalancer'],
    periodic: true,
    description: 'HTTP listeners of Application Load Balancers redirect to HTTPS',
  },
  [ComplianceRule.API_GATEWAY_SSL]: {
    kind: 'managed',
    id: 'ApiGatewaySsl',
    name: 'api-gw-ssl-enabled',
    identifier: config.ManagedRuleIdentifiers.API_GW_SSL_ENABLED,
    resourceTypes: ['AWS::ApiGateway::Stage'],
    description: 'REST API stages use a client certificate towards HTTP backends',
  },
  [ComplianceRule.VPC_FLOW_LOGS]: {
    kind: 'managed',
    id: 'VpcFlowLogs',
    name: 'vpc-flow-logs-enabled',
    identifier: config.ManagedRuleIdentifiers.VPC_FLOW_LOGS_ENABLED,
    resourceTypes: ['AWS::EC2::VPC'],
    periodic: true,
    description: 'VPCs have flow logs',
  },
  [ComplianceRule.SQS_ENCRYPTED]: {
    kind: 'guard',
    id: 'SqsEncrypted',
    name: 'sqs-encrypted',
    policyText: SQS_ENCRYPTED_POLICY,
    resourceTypes: ['AWS::SQS::Queue'],
    description: 'SQS queues are encrypted at rest (SSE-KMS or SSE-SQS)',
  },
  [ComplianceRule.SQS_DEAD_LETTER_QUEUE]: {
    kind: 'guard',
    id: 'SqsDeadLetterQueue',
    name: 'sqs-has-dead-letter-queue',
    policyText: SQS_DEAD_LETTER_QUEUE_POLICY,
    resourceTypes: ['AWS::SQS::Queue'],
    description: 'SQS queues that are not dead-letter queues have one',
  },
  [ComplianceRule.ELBV2_LISTENER_HTTPS]: {
    kind: 'guard',
    id: 'Elbv2ListenerHttps',
    name: 'elbv2-listener-https',
    policyText: ELBV2_LISTENER_HTTPS_POLICY,
    resourceTypes: ['AWS::ElasticLoadBalancingV2::Listener'],
    description: 'Load balancer listeners are HTTPS or TLS, or HTTP listeners that only redirect to HTTPS',
  },
};

/** The longest rule name of the curated set, to bound the prefix. */
const LONGEST_NAME = Math.max(...Object.values(DEFINITIONS).map((d) => d.name.length));

/**
 * Properties of `ComplianceRules`.
 */
export interface ComplianceRulesProps {
  /**
   * Rules of the curated set to leave out. Duplicates are merged; values that are not a
   * `ComplianceRule` are refused.
   *
   * @default - none: every rule of the set is created
   */
  readonly disabledRules?: ComplianceRule[];

  /**
   * Scope every rule to resources carrying this tag, instead of to the resource types it
   * checks: an AWS Config rule scope is either resource types or one tag, never both. The
   * managed rules still evaluate only their own resource types, and the Guard rules only
   * theirs (`when resourceType == ...`); a change to a tagged resource of another type
   * triggers an evaluation that does not apply to it. For the periodic rules
   * (`ALB_HTTP_TO_HTTPS_REDIRECTION`, `VPC_FLOW_LOGS`) the scope is not a trigger. Rules
   * added with `addManagedRule()` or `addCustomPolicy()` get this scope only when they are
   * given no resource types.
   *
   * A tag key is 1 to 128 letters, digits, spaces and `_ . : / = + - @`, and does not start
   * with `aws:`.
   *
   * @see https://docs.aws.amazon.com/config/latest/APIReference/API_Scope.html
   * @default - each rule is scoped to the resource types it checks
   */
  readonly scopeTagKey?: string;

  /**
   * With `scopeTagKey`, the value the tag must have: up to 256 of the same characters.
   * Refused without `scopeTagKey`.
   *
   * @default - any value of the tag `scopeTagKey`
   */
  readonly scopeTagValue?: string;

  /**
   * Name the rules `<prefix><rule>`, for example `store-sqs-encrypted` with the prefix
   * `store-`, instead of letting CloudFormation generate names. Each rule of the set has a
   * fixed suffix (for example `ecs-containers-nonprivileged`); rules added with
   * `addManagedRule()` and `addCustomPolicy()` take their id as suffix. A rule name is 1 to
   * 128 letters, digits, hyphens and underscores, so the prefix is at most
   * 128 - 39 = 89 characters. Named rules cannot be replaced in place: two stacks in one
   * account and Region need different prefixes.
   *
   * @default - names generated by CloudFormation
   */
  readonly ruleNamePrefix?: string;

  /**
   * The environment variable names that `ECS_NO_ENVIRONMENT_SECRETS` reports when a
   * container sets them in plain text (its `secretKeys` parameter, exact names). Duplicates
   * are merged; an empty list is refused (disable the rule instead).
   *
   * @default ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'ECS_ENGINE_AUTH_DATA']
   */
  readonly environmentSecretKeys?: string[];
}

/**
 * Options of `ComplianceRules.addManagedRule()`.
 */
export interface ManagedRuleOptions {
  /**
   * The identifier of the AWS managed rule, for example `config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED`
   * or `'ECS_TASK_DEFINITION_PID_MODE_CHECK'`.
   *
   * @see https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html
   */
  readonly identifier: string;

  /**
   * The resource types that trigger the rule, for example `['AWS::S3::Bucket']`.
   *
   * @default - the construct's tag scope when `scopeTagKey` is set, else every recorded resource
   */
  readonly resourceTypes?: string[];

  /**
   * The rule's parameters, as strings (lists are comma-separated).
   *
   * @default - no parameters
   */
  readonly inputParameters?: { [key: string]: string };

  /**
   * Run the rule periodically at this frequency, for rules with a periodic trigger.
   *
   * @default - change-triggered (a periodic-only managed rule then runs every 24 hours)
   */
  readonly maximumExecutionFrequency?: config.MaximumExecutionFrequency;

  /**
   * A description of the rule.
   *
   * @default - no description
   */
  readonly description?: string;
}

/**
 * Options of `ComplianceRules.addCustomPolicy()`.
 */
export interface CustomPolicyRuleOptions {
  /**
   * The rule in AWS CloudFormation Guard 2.x syntax, up to 10,000 characters. It sees the
   * whole configuration item (`resourceType`, `configuration.*`, `tags`); guard it with
   * `when resourceType == "..."`. A rule that fails makes the resource NON_COMPLIANT.
   *
   * @see https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config_develop-rules_cfn-guard.html
   */
  readonly policyText: string;

  /**
   * The resource types whose changes trigger the rule, of the form `AWS::Service::Resource`.
   *
   * @default - the construct's tag scope when `scopeTagKey` is set, else every recorded resource
   */
  readonly resourceTypes?: string[];

  /**
   * A description of the rule.
   *
   * @default - no description
   */
  readonly description?: string;
}

/**
 * A curated set of AWS Config rules for containerized microservices: ECS task definitions
 * and services, SNS topics, SQS queues, load balancers, API Gateway stages and VPCs. Every
 * rule is on by default and can be turned off with `disabledRules`.
 *
 * Ten are AWS managed rules (`ECS_CONTAINERS_NONPRIVILEGED`, `ECS_CONTAINERS_READONLY_ACCESS`,
 * `ECS_TASK_DEFINITION_LINUX_USER_NON_ROOT`, `ECS_TASK_DEFINITION_LOG_CONFIGURATION`,
 * `ECS_NO_ENVIRONMENT_SECRETS`, `ECS_FARGATE_LATEST_PLATFORM_VERSION`, `SNS_ENCRYPTED_KMS`,
 * `ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK`, `API_GW_SSL_ENABLED`, `VPC_FLOW_LOGS_ENABLED`); three
 * are Guard custom policy rules where no managed rule exists (SQS encryption, SQS dead-letter
 * queues, load balancer listeners HTTPS-only). `ECS_TASK_DEFINITION_MEMORY_HARD_LIMIT` is left
 * out: AWS Config stopped evaluating it on 2026-04-03.
 *
 * AWS Config must be recording in the account and Region (a configuration recorder that
 * records these resource types) for the rules to evaluate; without one, evaluations fail with
 * `NoAvailableConfigurationRecorderException`. This construct creates no recorder, no
 * remediation and no delivery channel. Each rule evaluation is billed (AWS Config rule
 * evaluations are priced per evaluation per Region, on top of the configuration items
 * recorded; custom policy rules are also billed per evaluation), so the set costs in
 * proportion to how often the checked resources change. Some ECS rules are not available in
 * every Region.
 *
 * Send the results to people and to a consumer with `ComplianceAlerts`, for example
 * `ruleNames: rules.ruleNames`.
 *
 * @see https://aws.amazon.com/config/pricing/
 * @see https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config.html
 *
 * @example
 * const rules = new ComplianceRules(this, 'ComplianceRules', {
 *   disabledRules: [ComplianceRule.API_GATEWAY_SSL],
 *   ruleNamePrefix: 'store-',
 * });
 * rules.addManagedRule('S3Versioning', {
 *   identifier: config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED,
 *   resourceTypes: ['AWS::S3::Bucket'],
 * });
 * new ComplianceAlerts(this, 'ComplianceAlerts', { ruleNames: rules.ruleNames });
 */
export class ComplianceRules extends Construct {
  private readonly byRule = new Map<string, config.IRule>();
  private readonly all: config.IRule[] = [];
  private readonly names: string[] = [];
  private readonly tagScope?: config.RuleScope;
  private readonly prefix?: string;

  constructor(scope: Construct, id: string, props: ComplianceRulesProps = {}) {
    super(scope, id);
    const problems = this.validate(props);
    if (problems.length > 0) {
      scope.node.tryRemoveChild(id);
      throw new MicroservicesValidationError(CLASS, this, problems);
    }
    this.prefix = props.ruleNamePrefix;
    if (props.scopeTagKey !== undefined) this.tagScope = config.RuleScope.fromTag(props.scopeTagKey, props.scopeTagValue);

    const disabled = new Set<string>(props.disabledRules ?? []);
    const secretKeys = [...new Set(props.environmentSecretKeys ?? DEFAULT_SECRET_KEYS)];
    for (const [which, d] of Object.entries(DEFINITIONS)) {
      if (disabled.has(which)) continue;
      const ruleScope = this.tagScope ?? config.RuleScope.fromResources(d.resourceTypes.map((t) => config.ResourceType.of(t)));
      const configRuleName = this.prefix === undefined ? undefined : `${this.prefix}${d.name}`;
      let rule: config.IRule;
      if (d.kind === 'managed') {
        rule = new config.ManagedRule(this, d.id, {
          identifier: d.identifier,
          ruleScope,
          configRuleName,
          description: d.description,
          inputParameters: which === ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS ? { secretKeys: secretKeys.join(',') } : undefined,
          // Periodic managed rules run every 24 hours without a frequency; say so in the template.
          maximumExecutionFrequency: d.periodic ? config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS : undefined,
        });
      } else {
        rule = new config.CustomPolicy(this, d.id, {
          policyText: d.policyText,
          enableDebugLog: false,
          ruleScope,
          configRuleName,
          description: d.description,
        });
      }
      this.byRule.set(which, rule);
      this.all.push(rule);
      this.names.push(configRuleName ?? rule.configRuleName);
    }
  }

  /**
   * The names of every rule created here, curated and added, in the order created: the
   * literal names with `ruleNamePrefix`, else tokens that resolve to the names CloudFormation
   * generates. Pass them to `ComplianceAlerts`' `ruleNames`.
   */
  public get ruleNames(): string[] {
    return [...this.names];
  }

  /** Every rule created here, curated and added, in the order created. */
  public get rules(): config.IRule[] {
    return [...this.all];
  }

  /**
   * The rule of the curated set, or undefined when it is disabled.
   *
   * @param which the rule of the set
   */
  public rule(which: ComplianceRule): config.IRule | undefined {
    const problem = enumProblem('which', which, ComplianceRule, 'ComplianceRule');
    if (problem) throw new MicroservicesValidationError(CLASS, this, [`\`rule()\`: ${problem}`]);
    return this.byRule.get(which);
  }

  /**
   * Adds an AWS managed rule beside the curated set, with the same naming and tag scope.
   *
   * @param id the construct id, and the name suffix with `ruleNamePrefix`
   * @param options the rule
   */
  public addManagedRule(id: string, options: ManagedRuleOptions): config.ManagedRule {
    const p = new Problems(CLASS, this);
    if (options === null || typeof options !== 'object') {
      p.add(`\`addManagedRule()\`: options ${show(options)} are not an object of ManagedRuleOptions`);
      p.throwIfAny();
    }
    const o = checkKinds(p, options, [
      ['identifier', 'string'], ['resourceTypes', 'list of strings'], ['inputParameters', 'map of strings'], ['description', 'string'],
    ]);
    if (typeof o.identifier === 'string' && !Token.isUnresolved(o.identifier) && !/^[A-Z0-9_]{1,256}$/.test(o.identifier)) {
      p.add(`\`identifier\` ${show(o.identifier)} is not an AWS managed rule identifier; use one such as 'S3_BUCKET_VERSIONING_ENABLED' (config.ManagedRuleIdentifiers)`);
    }
    if (options.identifier === undefined) p.add('`identifier` is missing; name the AWS managed rule, for example config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED');
    const frequency = enumProblem('maximumExecutionFrequency', o.maximumExecutionFrequency, config.MaximumExecutionFrequency, 'MaximumExecutionFrequency');
    if (frequency) p.add(frequency);
    this.checkAdded(p, id, o.resourceTypes);
    if (p.any) this.throwAdd('addManagedRule', p);
    return this.track(new config.ManagedRule(this, id, {
      identifier: o.identifier,
      ruleScope: this.scopeFor(o.resourceTypes),
      configRuleName: this.nameFor(id),
      inputParameters: o.inputParameters,
      maximumExecutionFrequency: o.maximumExecutionFrequency,
      description: o.description,
    }), this.nameFor(id));
  }

  /**
   * Adds a Guard custom policy rule beside the curated set, with the same naming and tag
   * scope; debug logs are off.
   *
   * @param id the construct id, and the name suffix with `ruleNamePrefix`
   * @param options the rule
   */
  public addCustomPolicy(id: string, options: CustomPolicyRuleOptions): config.CustomPolicy {
    const p = new Problems(CLASS, this);
    if (options === null || typeof options !== 'object') {
      p.add(`\`addCustomPolicy()\`: options ${show(options)} are not an object of CustomPolicyRuleOptions`);
      p.throwIfAny();
    }
    const o = checkKinds(p, options, [['policyText', 'string'], ['resourceTypes', 'list of strings'], ['description', 'string']]);
    if (options.policyText === undefined) {
      p.add('`policyText` is missing; give a Guard 2.x rule');
    } else if (typeof o.policyText === 'string' && !Token.isUnresolved(o.policyText)) {
      if (o.policyText.trim() === '') p.add('`policyText` is empty; give a Guard 2.x rule');
      if (o.policyText.length > MAX_POLICY_TEXT) {
        p.add(`\`policyText\` has ${o.policyText.length} characters; AWS Config accepts at most ${MAX_POLICY_TEXT}`);
      }
    }
    this.checkAdded(p, id, o.resourceTypes);
    if (p.any) this.throwAdd('addCustomPolicy', p);
    return this.track(new config.CustomPolicy(this, id, {
      policyText: o.policyText,
      enableDebugLog: false,
      ruleScope: this.scopeFor(o.resourceTypes),
      configRuleName: this.nameFor(id),
      description: o.description,
    }), this.nameFor(id));
  }

  private track<T extends config.IRule>(rule: T, name: string | undefined): T {
    this.all.push(rule);
    this.names.push(name ?? rule.configRuleName);
    return rule;
  }

  private scopeFor(resourceTypes: string[] | undefined): config.RuleScope | undefined {
    if (resourceTypes !== undefined) return config.RuleScope.fromResources([...new Set(resourceTypes)].map((t) => config.ResourceType.of(t)));
    return this.tagScope;
  }

  private nameFor(id: string): string | undefined {
    return this.prefix === undefined ? undefined : `${this.prefix}${id}`;
  }

  private throwAdd(method: string, p: Problems): never {
    throw new MicroservicesValidationError(CLASS, this, p.all.map((problem) => `\`${method}()\`: ${problem}`));
  }

  private checkAdded(p: Problems, id: string, resourceTypes: string[] | undefined): void {
    if (typeof id !== 'string' || id === '') {
      p.add(`\`id\` ${show(id)} is not a construct id; use a non-empty string such as 'S3Versioning'`);
      return;
    }
    if (this.node.tryFindChild(id)) p.add(`\`id\` '${id}' is taken by another rule of this construct; use another id`);
    if (this.prefix !== undefined && !CONFIG_RULE_NAME.test(`${this.prefix}${id}`)) {
      p.add(`\`id\` '${id}' with \`ruleNamePrefix\` '${this.prefix}' does not make an AWS Config rule name; use 1 to 128 letters, digits, hyphens (-) and underscores (_) in all`);
    }
    if (resourceTypes !== undefined) {
      if (resourceTypes.length === 0) p.add('`resourceTypes` is empty; omit it for the tag scope or every recorded resource, or name at least one type');
      for (const t of resourceTypes) {
        if (!Token.isUnresolved(t) && !RESOURCE_TYPE.test(t)) {
          p.add(`\`resourceTypes\` ${show(t)} is not a resource type; use the form AWS::Service::Resource, for example AWS::S3::Bucket`);
        }
      }
    }
  }

  private validate(props: ComplianceRulesProps): string[] {
    if (props === null || typeof props !== 'object') return [`props ${show(props)} are not an object of ComplianceRulesProps`];
    const p = new Problems(CLASS, this);
    const o = checkKinds(p, props, [
      ['disabledRules', 'list of strings'], ['scopeTagKey', 'string'], ['scopeTagValue', 'string'],
      ['ruleNamePrefix', 'string'], ['environmentSecretKeys', 'list of strings'],
    ]);
    for (const rule of o.disabledRules ?? []) {
      const problem = enumProblem('disabledRules', rule, ComplianceRule, 'ComplianceRule');
      if (problem) p.add(problem);
    }
    if (o.scopeTagValue !== undefined && props.scopeTagKey === undefined) {
      p.add('`scopeTagValue` is set without `scopeTagKey`; set the tag key too, or remove the value');
    }
    if (o.scopeTagKey !== undefined && !Token.isUnresolved(o.scopeTagKey)) {
      if (!TAG_KEY.test(o.scopeTagKey) || o.scopeTagKey.toLowerCase().startsWith('aws:')) {
        p.add(`\`scopeTagKey\` ${show(o.scopeTagKey)} is not a tag key; use 1 to 128 letters, digits, spaces and _ . : / = + - @, not starting with aws:`);
      }
    }
    if (o.scopeTagValue !== undefined && !Token.isUnresolved(o.scopeTagValue) && !TAG_VALUE.test(o.scopeTagValue)) {
      p.add(`\`scopeTagValue\` ${show(o.scopeTagValue)} is not a tag value; use up to 256 letters, digits, spaces and _ . : / = + - @`);
    }
    if (o.ruleNamePrefix !== undefined) {
      if (Token.isUnresolved(o.ruleNamePrefix)) {
        p.add('`ruleNamePrefix` is a token; rule names are checked and built at synth time, so give a literal prefix');
      } else if (!/^[A-Za-z0-9_-]+$/.test(o.ruleNamePrefix) || o.ruleNamePrefix.length + LONGEST_NAME > MAX_RULE_NAME) {
        p.add(`\`ruleNamePrefix\` ${show(o.ruleNamePrefix)} is not valid; use 1 to ${MAX_RULE_NAME - LONGEST_NAME} letters, digits, hyphens (-) and underscores (_), so that every rule name stays within ${MAX_RULE_NAME}`);
      }
    }
    if (o.environmentSecretKeys !== undefined) {
      if (o.environmentSecretKeys.length === 0) {
        p.add('`environmentSecretKeys` is empty; omit it for the default names, or disable ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS');
      }
      for (const name of o.environmentSecretKeys) {
        if (!Token.isUnresolved(name) && !ENV_NAME.test(name)) {
          p.add(`\`environmentSecretKeys\` ${show(name)} is not an environment variable name; use a name without commas or spaces, such as AWS_SECRET_ACCESS_KEY`);
        }
      }
      if (o.disabledRules?.includes(ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS)) {
        p.add('`environmentSecretKeys` configures ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS, which `disabledRules` turns off; remove one of them');
      }
    }
    return p.all;
  }
}
