import {
  Annotations,
  ArnFormat,
  Duration,
  Stack,
  Token,
  Tokenization,
  aws_config as config,
  aws_iam as iam,
  aws_kms as kms,
  aws_s3 as s3,
  aws_ssm as ssm,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { enableVpcFlowLogsContent, restoreHttpsOnlyContent } from './remediation-documents';
import { acknowledge, Acknowledgement, nagString, nistAndHipaa } from '../private/acknowledge';
import { resourceTypeProblem } from '../private/config-resource-types';
import { CONFIG_RULE_NAME } from '../private/naming';
import { checkInt, checkKinds, checkSeconds, enumProblem, MicroservicesValidationError, Problems, refuseConstruction, show } from '../private/validation';

const CLASS = 'ComplianceRules';

/**
 * The longest AWS Config rule name: `ConfigRuleName` is 1 to 128 characters (pattern `.*\S.*`;
 * we take letters, digits, hyphens and underscores only, see CONFIG_RULE_NAME). Every name
 * built here (`ruleNamePrefix` + a rule's suffix or an added rule's id) is checked against it.
 *
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRule.html
 */
const MAX_RULE_NAME = 128;
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
   * triggers an evaluation that does not apply to it. The periodic rules
   * (`ALB_HTTP_TO_HTTPS_REDIRECTION`, `VPC_FLOW_LOGS`) get no scope at all: a scope names the
   * resource changes that trigger an evaluation, and these rules are triggered by time only.
   * They evaluate every load balancer and VPC of the account and Region, tagged or not (a
   * remediation still changes tagged resources only), and a warning says so. Rules added
   * with `addManagedRule()` or `addCustomPolicy()` get this scope only when they are given
   * no resource types.
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

/** The AWS-provided SSM Automation document that encrypts an SNS topic with a customer managed key. */
const ENCRYPT_SNS_TOPIC = 'AWSConfigRemediation-EncryptSNSTopic';

/** How each remediable rule of the set is remediated. */
interface RemediationDefinition {
  /** The resource type AWS Config passes the id of. */
  readonly resourceType: string;
  /** What the remediation does, for the role's description. */
  readonly does: string;
}

const REMEDIATIONS: { [rule: string]: RemediationDefinition } = {
  [ComplianceRule.SNS_ENCRYPTED_KMS]: {
    resourceType: 'AWS::SNS::Topic',
    does: `encrypts SNS topics with a customer managed key (${ENCRYPT_SNS_TOPIC})`,
  },
  [ComplianceRule.ELBV2_LISTENER_HTTPS]: {
    resourceType: 'AWS::ElasticLoadBalancingV2::Listener',
    does: 'makes HTTP listeners of Application Load Balancers redirect to HTTPS',
  },
  [ComplianceRule.VPC_FLOW_LOGS]: {
    resourceType: 'AWS::EC2::VPC',
    does: 'turns on flow logs to S3 for VPCs without flow logs',
  },
};

/** The rules of the set that `remediate()` accepts, for messages. */
const REMEDIABLE = Object.keys(REMEDIATIONS).map((r) => `ComplianceRule.${r}`).join(', ');

/** The longest retry interval AWS Config accepts (RetryAttemptSeconds). */
const MAX_RETRY_SECONDS = 2_678_000;

/**
 * Options of `ComplianceRules.remediate()`: how AWS Config runs the remediation of one rule of
 * the set, and what the rule's remediation needs.
 *
 * @see https://docs.aws.amazon.com/config/latest/developerguide/remediation.html
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_RemediationConfiguration.html
 */
export interface RemediationOptions {
  /**
   * Let AWS Config start the remediation for every NON_COMPLIANT resource. With `false` the
   * remediation runs only when started: from the console, or by a consumer given
   * `grantStartRemediation()` calling `StartRemediationExecution` (an approval mode).
   *
   * An automatic remediation changes resources that CloudFormation may manage, so their stacks
   * drift, and AWS Config may start it for resources that are already compliant: the
   * documents leave those alone.
   *
   * @default true
   */
  readonly automatic?: boolean;

  /**
   * How many times AWS Config tries an automatic remediation of a resource before it gives up,
   * 1 to 25. Refused with `automatic: false`.
   *
   * @default 3
   */
  readonly maximumAutomaticAttempts?: number;

  /**
   * How long AWS Config waits between attempts of an automatic remediation, whole seconds from
   * 1 second to 2,678,000 seconds (31 days). Refused with `automatic: false`.
   *
   * @default Duration.seconds(60)
   */
  readonly retryInterval?: Duration;

  /**
   * The share of the rule's NON_COMPLIANT resources remediated at the same time, 1 to 100
   * percent (SSM rate control).
   *
   * @default 10
   */
  readonly concurrentExecutionRatePercentage?: number;

  /**
   * The share of failed remediations, 1 to 100 percent, at which AWS Config stops starting
   * more for the rule (SSM error threshold).
   *
   * @default 10
   */
  readonly errorPercentage?: number;

  /**
   * The role Systems Manager Automation assumes to remediate (the document's
   * `AutomationAssumeRole`). It must trust `ssm.amazonaws.com`. The permissions the document
   * needs are added to its policy; an imported role is left as it is, so give it those
   * yourself.
   *
   * @default - a new role for this remediation only, trusted by `ssm.amazonaws.com` for this
   * account's automation executions, allowed only what the document does
   */
  readonly role?: iam.IRole;

  /**
   * For `ComplianceRule.SNS_ENCRYPTED_KMS` (required; refused for the other rules): the
   * customer managed key the topics are encrypted with. Its key policy must let the
   * publishers of each topic it encrypts use it (`kms:GenerateDataKey*` and `kms:Decrypt`):
   * AWS services such as EventBridge and CloudWatch through the key policy, roles through
   * their IAM policies. This construct does not change the key policy: the publishers are not
   * known here.
   *
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
   * @see https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-encrypt-sns-topic.html
   * @default - none; required for ComplianceRule.SNS_ENCRYPTED_KMS
   */
  readonly kmsKey?: kms.IKey;

  /**
   * For `ComplianceRule.ELBV2_LISTENER_HTTPS` (refused for the other rules): the port of the
   * HTTPS listener that HTTP listeners redirect to, 1 to 65535.
   *
   * @default 443
   */
  readonly httpsPort?: number;

  /**
   * For `ComplianceRule.VPC_FLOW_LOGS` (required; refused for the other rules): the bucket
   * that receives the flow logs (all traffic) of VPCs that have none. For a bucket of this
   * app, the bucket policy statements the log delivery service needs are added (and, when it
   * is encrypted with a key of this app, the key policy statement); for an imported bucket,
   * add them yourself.
   *
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html
   * @default - none; required for ComplianceRule.VPC_FLOW_LOGS
   */
  readonly flowLogsBucket?: s3.IBucket;
}

/** What one remediation created. */
interface RemediationRecord {
  readonly configuration: config.CfnRemediationConfiguration;
  readonly role: iam.IRole;
  readonly document?: ssm.CfnDocument;
  readonly automatic: boolean;
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
 * `NoAvailableConfigurationRecorderException`. This construct creates no recorder and no
 * delivery channel, and remediates nothing unless asked: `remediate()` attaches an SSM
 * Automation remediation to `SNS_ENCRYPTED_KMS`, `ELBV2_LISTENER_HTTPS` or `VPC_FLOW_LOGS`. Each rule evaluation is billed (AWS Config rule
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
 * rules.remediate(ComplianceRule.ELBV2_LISTENER_HTTPS);
 * new ComplianceAlerts(this, 'ComplianceAlerts', { ruleNames: rules.ruleNames });
 */
export class ComplianceRules extends Construct {
  private readonly byRule = new Map<string, config.IRule>();
  private readonly nameByRule = new Map<string, string>();
  private readonly all: config.IRule[] = [];
  private readonly names: string[] = [];
  private readonly tagScope?: config.RuleScope;
  private readonly prefix?: string;
  private readonly scopeTagKey?: string;
  private readonly scopeTagValue?: string;
  private readonly remediationsByRule = new Map<string, RemediationRecord>();
  private readonly startGrants = new Set<string>();

  constructor(scope: Construct, id: string, props: ComplianceRulesProps = {}) {
    super(scope, id);
    const problems = this.validate(props);
    if (problems.length > 0) refuseConstruction(CLASS, this, problems);
    this.prefix = props.ruleNamePrefix;
    if (props.scopeTagKey !== undefined) this.tagScope = config.RuleScope.fromTag(props.scopeTagKey, props.scopeTagValue);
    this.scopeTagKey = props.scopeTagKey;
    this.scopeTagValue = props.scopeTagValue;
    this.node.addValidation({ validate: () => this.validateStartGrants() });

    const disabled = new Set<string>(props.disabledRules ?? []);
    const periodicUnscoped: string[] = [];
    const secretKeys = [...new Set(props.environmentSecretKeys ?? DEFAULT_SECRET_KEYS)];
    for (const [which, d] of Object.entries(DEFINITIONS)) {
      if (disabled.has(which)) continue;
      // A scope says which resource changes trigger an evaluation
      // (https://docs.aws.amazon.com/config/latest/APIReference/API_Scope.html); the periodic-only
      // managed rules ("Trigger type: Periodic" on
      // https://docs.aws.amazon.com/config/latest/developerguide/vpc-flow-logs-enabled.html and
      // https://docs.aws.amazon.com/config/latest/developerguide/alb-http-to-https-redirection-check.html)
      // have no change trigger ("Periodic rules are rules that AWS Config evaluates periodically
      // at a frequency that you specify":
      // https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-trigger-type.html),
      // so they get neither the resource-type nor the tag scope. AWS
      // Config is also reported to refuse a scope on a periodic rule with
      // InvalidParameterValueException since early 2025 (cloud-custodian/cloud-custodian#10008,
      // confirmed there by AWS Support); the Config pages above do not say so.
      const periodic = d.kind === 'managed' && d.periodic === true;
      const ruleScope = periodic
        ? undefined
        : this.tagScope ?? config.RuleScope.fromResources(d.resourceTypes.map((t) => config.ResourceType.of(t)));
      if (periodic && this.tagScope !== undefined) periodicUnscoped.push(`ComplianceRule.${which}`);
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
      this.nameByRule.set(which, configRuleName ?? rule.configRuleName);
      this.all.push(rule);
      this.names.push(configRuleName ?? rule.configRuleName);
    }
    if (periodicUnscoped.length > 0) {
      Annotations.of(this).addWarningV2('cdk-microservices:periodicRulesIgnoreTagScope',
        `\`scopeTagKey\` scopes the rules of ${this.node.path} to tagged resources, but ${periodicUnscoped.join(' and ')} `
        + 'are periodic: AWS Config takes no scope for them, so they evaluate every resource of their type in the account and Region. '
        + 'A remediation of theirs (`remediate()`) still changes tagged resources only (its role is limited to the tag) and fails on the others. '
        + 'Disable them with `disabledRules` if only tagged resources may be judged.');
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

  /**
   * Attaches an AWS Config remediation (an SSM Automation document run for each NON_COMPLIANT
   * resource, with retries and rate limits) to a rule of the set. Three rules have one:
   *
   * - `SNS_ENCRYPTED_KMS`: the AWS-provided `AWSConfigRemediation-EncryptSNSTopic` encrypts the
   *   topic with `kmsKey` (required).
   * - `ELBV2_LISTENER_HTTPS`: our own Automation document (created here) makes the default
   *   action of an HTTP listener a permanent redirect to HTTPS on `httpsPort`; listeners that
   *   are not HTTP or already redirect to HTTPS are left alone, and listener rules are not
   *   changed.
   * - `VPC_FLOW_LOGS`: our own Automation document (created here) turns on flow logs of all
   *   traffic to `flowLogsBucket` (required) for a VPC without an active flow log.
   *
   * The others are refused: no AWS document fits them, and fixing a task definition or a queue
   * belongs in the code that deploys it. Each rule has at most one remediation. Unless `role`
   * is given, a new role is created, trusted by `ssm.amazonaws.com` for this account's
   * automation executions and allowed only what the document does (within `scopeTagKey`'s
   * tag, when set, for the changes).
   *
   * @param which the rule to remediate
   * @param options how
   * @returns the remediation configuration
   * @see https://docs.aws.amazon.com/config/latest/developerguide/remediation.html
   * @see https://docs.aws.amazon.com/config/latest/developerguide/setup-autoremediation.html
   * @see https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-encrypt-sns-topic.html
   */
  public remediate(which: ComplianceRule, options: RemediationOptions = {}): config.CfnRemediationConfiguration {
    const p = new Problems(CLASS, this);
    if (options === null || typeof options !== 'object') {
      p.add(`\`options\` ${show(options)} are not an object of RemediationOptions`);
      this.throwAdd('remediate', p);
    }
    const o = checkKinds(p, options, [
      ['automatic', 'boolean'], ['maximumAutomaticAttempts', 'number'], ['retryInterval', 'Duration'],
      ['concurrentExecutionRatePercentage', 'number'], ['errorPercentage', 'number'], ['httpsPort', 'number'],
    ]);
    const ruleProblem = this.remediableProblem(which);
    if (ruleProblem) {
      p.add(ruleProblem);
    } else if (this.remediationsByRule.has(which)) {
      p.add(`\`which\` ComplianceRule.${which} already has a remediation; AWS Config keeps one per rule, so configure it in one call`);
    }
    this.checkReferences(p, o);
    const automatic = o.automatic ?? true;
    for (const problem of [
      checkInt('maximumAutomaticAttempts', o.maximumAutomaticAttempts, 1, 25),
      checkSeconds('retryInterval', o.retryInterval, 1, MAX_RETRY_SECONDS, '1 to 2678000 (31 days)'),
      checkInt('concurrentExecutionRatePercentage', o.concurrentExecutionRatePercentage, 1, 100),
      checkInt('errorPercentage', o.errorPercentage, 1, 100),
      checkInt('httpsPort', o.httpsPort, 1, 65535),
    ]) {
      if (problem) p.add(problem);
    }
    if (!automatic) {
      for (const prop of ['maximumAutomaticAttempts', 'retryInterval'] as const) {
        if (options[prop] !== undefined) p.add(`\`${prop}\` applies to automatic remediation only, and \`automatic\` is false; remove it`);
      }
    }
    if (!ruleProblem) this.checkRuleOptions(p, which, options);
    if (p.any) this.throwAdd('remediate', p);

    const scope = new Construct(this, `${DEFINITIONS[which].id}Remediation`);
    const role = o.role ?? this.newAutomationRole(scope, which);
    let document: ssm.CfnDocument | undefined;
    let targetId: string;
    let parameters: { [name: string]: unknown };
    const assumeRole = { StaticValue: { Values: [role.roleArn] } };
    const resourceId = { ResourceValue: { Value: 'RESOURCE_ID' } };
    switch (which) {
      case ComplianceRule.SNS_ENCRYPTED_KMS:
        targetId = ENCRYPT_SNS_TOPIC;
        parameters = { TopicArn: resourceId, KmsKeyArn: { StaticValue: { Values: [o.kmsKey!.keyArn] } }, AutomationAssumeRole: assumeRole };
        this.allowEncryptTopics(role);
        Annotations.of(scope).addWarningV2('cdk-microservices:remediationKeyPolicy',
          'The key given as `kmsKey` must let the publishers of each topic it encrypts use it (kms:GenerateDataKey* and kms:Decrypt): '
          + 'AWS services such as EventBridge and CloudWatch through its key policy, roles through their IAM policies. Publishers it does not allow fail.');
        break;
      case ComplianceRule.ELBV2_LISTENER_HTTPS: {
        document = new ssm.CfnDocument(scope, 'Document', { documentType: 'Automation', content: restoreHttpsOnlyContent() });
        targetId = document.ref;
        const port = o.httpsPort ?? 443;
        parameters = {
          ListenerArn: resourceId,
          HttpsPort: { StaticValue: { Values: [Token.isUnresolved(port) ? Tokenization.stringifyNumber(port) : String(port)] } },
          AutomationAssumeRole: assumeRole,
        };
        this.allowRestoreHttpsOnly(role);
        break;
      }
      default: {
        document = new ssm.CfnDocument(scope, 'Document', { documentType: 'Automation', content: enableVpcFlowLogsContent() });
        targetId = document.ref;
        parameters = {
          VpcId: resourceId,
          LogDestination: { StaticValue: { Values: [o.flowLogsBucket!.bucketArn] } },
          AutomationAssumeRole: assumeRole,
        };
        this.allowEnableFlowLogs(scope, role, o.flowLogsBucket!);
        break;
      }
    }
    if (o.role === undefined) acknowledge(role, this.roleAcknowledgements(which));

    const configuration = new config.CfnRemediationConfiguration(scope, 'Resource', {
      configRuleName: this.byRule.get(which)!.configRuleName,
      targetType: 'SSM_DOCUMENT',
      targetId,
      resourceType: REMEDIATIONS[which].resourceType,
      parameters,
      automatic,
      maximumAutomaticAttempts: automatic ? o.maximumAutomaticAttempts ?? 3 : undefined,
      retryAttemptSeconds: automatic ? (o.retryInterval ?? Duration.seconds(60)).toSeconds() : undefined,
      executionControls: {
        ssmControls: {
          concurrentExecutionRatePercentage: o.concurrentExecutionRatePercentage ?? 10,
          errorPercentage: o.errorPercentage ?? 10,
        },
      },
    });
    if (automatic) {
      Annotations.of(scope).addWarningV2('cdk-microservices:automaticRemediation',
        `ComplianceRule.${which} is remediated automatically: the document changes resources that CloudFormation may manage, so their stacks `
        + 'drift (a template that declares the old setting puts it back on its next update), and AWS Config may run it for resources that '
        + 'are already compliant (the document leaves those alone). Use `automatic: false` to approve each remediation.');
    }
    this.remediationsByRule.set(which, { configuration, role, document, automatic });
    return configuration;
  }

  /**
   * Lets a principal start the remediation of the rules of this account on demand (AWS Config
   * `StartRemediationExecution`), for example a consumer of `ComplianceAlerts` that approves
   * the NON_COMPLIANT findings of a rule remediated with `automatic: false`. The rule's name
   * is `rule(which).configRuleName`; `manualRemediationRuleNames` lists those in approval mode.
   *
   * `config:StartRemediationExecution` has no resource-level permissions (the Service
   * Authorization Reference lists no resource type for it), so the grant is on `*`: the
   * principal can start any remediation configured in the account and Region, each of which
   * runs only its own document with its own role. `which` must be remediated with
   * `remediate()` by synthesis time. The grant also lets the principal read the status of
   * remediation executions (`DescribeRemediationExecutionStatus`, on the remediation
   * configurations of this account and Region), to tell a remediation already under way from
   * one that failed.
   *
   * @param grantee the principal, for example the consumer's task role
   * @param which the rule whose remediation the principal starts
   * @see https://docs.aws.amazon.com/config/latest/APIReference/API_StartRemediationExecution.html
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsconfig.html
   */
  public grantStartRemediation(grantee: iam.IGrantable, which: ComplianceRule): iam.Grant {
    const p = new Problems(CLASS, this);
    const problem = this.remediableProblem(which);
    if (problem) p.add(problem);
    if (grantee === null || typeof grantee !== 'object' || grantee.grantPrincipal === undefined) {
      p.add(`\`grantee\` ${show(grantee)} is not an iam.IGrantable; give a role or another principal`);
    }
    if (p.any) this.throwAdd('grantStartRemediation', p);
    this.startGrants.add(which);
    const stack = Stack.of(this);
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['config:StartRemediationExecution'], resourceArns: ['*'] });
    // To tell a remediation already under way (a duplicate alert) from one that failed to start.
    const configurations = `arn:${stack.partition}:config:${stack.region}:${stack.account}:remediation-configuration/*`;
    const status = iam.Grant.addToPrincipal({ grantee, actions: ['config:DescribeRemediationExecutionStatus'], resourceArns: [configurations] });
    // The two wildcards are the API's, not a choice: say so where cdk-nag reports them (the
    // principal's policy), as the service does for CDK's grants on its task role.
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      acknowledge(principal, [
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'config:StartRemediationExecution has no resource-level permission (ComplianceRules.grantStartRemediation); '
          + 'it can only start remediations already configured, each running its own document with its own role.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::${nagString(stack, configurations)}]`,
          reason: 'Reading the status of remediation executions '
          + '(ComplianceRules.grantStartRemediation): the ids of remediation configurations are not known before deployment.',
        },
      ]);
    }
    return grant.combine(status);
  }

  /**
   * The remediation configuration of a rule of the set, or undefined when `remediate()` was
   * not called for it.
   *
   * @param which the rule of the set
   */
  public remediation(which: ComplianceRule): config.CfnRemediationConfiguration | undefined {
    return this.recordOf('remediation', which)?.configuration;
  }

  /**
   * The role Systems Manager Automation assumes to remediate a rule of the set (created here,
   * or the `role` given), or undefined when the rule has no remediation.
   *
   * @param which the rule of the set
   */
  public remediationRole(which: ComplianceRule): iam.IRole | undefined {
    return this.recordOf('remediationRole', which)?.role;
  }

  /**
   * The Automation document created for the remediation of a rule of the set; undefined when
   * the rule has no remediation or uses a document provided by AWS (`SNS_ENCRYPTED_KMS`).
   *
   * @param which the rule of the set
   */
  public remediationDocument(which: ComplianceRule): ssm.CfnDocument | undefined {
    return this.recordOf('remediationDocument', which)?.document;
  }

  /** The remediation configurations created with `remediate()`, in the order created. */
  public get remediations(): config.CfnRemediationConfiguration[] {
    return [...this.remediationsByRule.values()].map((r) => r.configuration);
  }

  /**
   * The names of the rules remediated with `automatic: false`, whose remediations a consumer
   * starts (`StartRemediationExecution`) after approving a NON_COMPLIANT finding: literal
   * names with `ruleNamePrefix`, else tokens.
   */
  public get manualRemediationRuleNames(): string[] {
    return [...this.remediationsByRule.entries()].filter(([, r]) => !r.automatic).map(([which]) => this.nameByRule.get(which)!);
  }

  /** Why `which` cannot be remediated, or undefined when it can. */
  private remediableProblem(which: ComplianceRule): string | undefined {
    const problem = enumProblem('which', which, ComplianceRule, 'ComplianceRule');
    if (problem) return problem;
    if (REMEDIATIONS[which] === undefined) {
      return `\`which\` ComplianceRule.${which} has no remediation (no AWS-provided document fits it, and its fix belongs in the code that `
        + `deploys the resource); the rules with one are ${REMEDIABLE}. Send its findings to people with ComplianceAlerts instead`;
    }
    if (!this.byRule.has(which)) {
      return `\`which\` ComplianceRule.${which} is turned off in \`disabledRules\`; enable the rule to remediate it`;
    }
    return undefined;
  }

  /** The options that reference constructs must hold what they claim to be. */
  private checkReferences(p: Problems, o: RemediationOptions): void {
    const refs: Array<[keyof RemediationOptions, string, string]> = [
      ['role', 'roleArn', 'iam.IRole'], ['kmsKey', 'keyArn', 'kms.IKey'], ['flowLogsBucket', 'bucketArn', 's3.IBucket'],
    ];
    for (const [prop, arn, type] of refs) {
      const value = o[prop] as unknown as { [key: string]: unknown } | undefined;
      if (value !== undefined && (value === null || typeof value !== 'object' || typeof value[arn] !== 'string')) {
        p.add(`\`${prop}\` ${show(value)} is not an ${type}`);
      }
    }
  }

  /** The options that only some rules take: required where needed, refused elsewhere. */
  private checkRuleOptions(p: Problems, which: ComplianceRule, o: RemediationOptions): void {
    const perRule: Array<[keyof RemediationOptions, ComplianceRule, boolean, string]> = [
      ['kmsKey', ComplianceRule.SNS_ENCRYPTED_KMS, true, 'give the customer managed key that topics are encrypted with'],
      ['httpsPort', ComplianceRule.ELBV2_LISTENER_HTTPS, false, ''],
      ['flowLogsBucket', ComplianceRule.VPC_FLOW_LOGS, true, 'give the S3 bucket that receives the flow logs'],
    ];
    for (const [prop, owner, required, hint] of perRule) {
      if (which === owner && required && o[prop] === undefined) {
        p.add(`\`${prop}\` is missing; ComplianceRule.${owner} needs it: ${hint}`);
      } else if (which !== owner && o[prop] !== undefined) {
        p.add(`\`${prop}\` is only for ComplianceRule.${owner}, not ComplianceRule.${which}; remove it`);
      }
    }
  }

  /** The remediation of `which`, after checking `which`. */
  private recordOf(method: string, which: ComplianceRule): RemediationRecord | undefined {
    const problem = enumProblem('which', which, ComplianceRule, 'ComplianceRule');
    if (problem) throw new MicroservicesValidationError(CLASS, this, [`\`${method}()\`: ${problem}`]);
    return this.remediationsByRule.get(which);
  }

  /** Every rule given to `grantStartRemediation()` must have a remediation once the tree is complete. */
  private validateStartGrants(): string[] {
    return [...this.startGrants].filter((which) => !this.remediationsByRule.has(which)).map((which) =>
      `\`${CLASS}\` at ${this.node.path}: \`grantStartRemediation()\`: \`which\` ComplianceRule.${which} has no remediation; `
      + `call remediate(ComplianceRule.${which}, ...) too, or drop the grant`);
  }

  /**
   * A role for one remediation, trusted by Systems Manager only for automation executions of
   * this account (confused-deputy conditions).
   */
  private newAutomationRole(scope: Construct, which: ComplianceRule): iam.Role {
    const stack = Stack.of(this);
    return new iam.Role(scope, 'Role', {
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ssm', resource: 'automation-execution', resourceName: '*' }) },
        },
      }),
      description: `SSM Automation role of the AWS Config remediation that ${REMEDIATIONS[which].does}`,
    });
  }

  /** The condition that limits changes to resources carrying the scope tag, when the rules are tag-scoped. */
  private tagConditions(): { [operator: string]: { [key: string]: string } } | undefined {
    if (this.scopeTagKey === undefined) return undefined;
    const key = `aws:ResourceTag/${this.scopeTagKey}`;
    return this.scopeTagValue === undefined ? { Null: { [key]: 'false' } } : { StringEquals: { [key]: this.scopeTagValue } };
  }

  /** The ARNs the roles' statements name, built once so that acknowledgements name them exactly. */
  private arns() {
    const stack = Stack.of(this);
    return {
      appListeners: stack.formatArn({ service: 'elasticloadbalancing', resource: 'listener', resourceName: 'app/*' }),
      topics: stack.formatArn({ service: 'sns', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }),
      encryptTopicDefinition: stack.formatArn({
        service: 'ssm', account: '*', resource: 'automation-definition', resourceName: `${ENCRYPT_SNS_TOPIC}:*`,
      }),
      automationExecutions: stack.formatArn({ service: 'ssm', resource: 'automation-execution', resourceName: '*' }),
      vpcs: stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: '*' }),
      flowLogs: stack.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' }),
    };
  }

  /** What `AWSConfigRemediation-EncryptSNSTopic` needs (its runbook page): read and set topic attributes, follow its own execution. */
  private allowEncryptTopics(role: iam.IRole): void {
    const arns = this.arns();
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadTopics', actions: ['sns:GetTopicAttributes'], resources: [arns.topics] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'EncryptTopics', actions: ['sns:SetTopicAttributes'], resources: [arns.topics], conditions: this.tagConditions(),
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'RunEncryptTopicDocument', actions: ['ssm:StartAutomationExecution'], resources: [arns.encryptTopicDefinition],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'FollowAutomation', actions: ['ssm:GetAutomationExecution'], resources: [arns.automationExecutions],
    }));
  }

  /** What the HTTPS-restore document calls: describe any listener, modify Application Load Balancer listeners. */
  private allowRestoreHttpsOnly(role: iam.IRole): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadListeners', actions: ['elasticloadbalancing:DescribeListeners'], resources: ['*'] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'RedirectListeners', actions: ['elasticloadbalancing:ModifyListener'], resources: [this.arns().appListeners], conditions: this.tagConditions(),
    }));
  }

  /**
   * What the flow-logs document calls (and what EC2 needs of whoever creates a flow log to S3:
   * `logs:CreateLogDelivery` and `logs:DeleteLogDelivery`), plus, for a bucket (and key) of this
   * app, the log delivery service's access to it.
   */
  private allowEnableFlowLogs(scope: Construct, role: iam.IRole, bucket: s3.IBucket): void {
    const arns = this.arns();
    const stack = Stack.of(this);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadFlowLogs', actions: ['ec2:DescribeFlowLogs'], resources: ['*'] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'CreateFlowLogsOfVpcs', actions: ['ec2:CreateFlowLogs'], resources: [arns.vpcs], conditions: this.tagConditions(),
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'CreateFlowLogs', actions: ['ec2:CreateFlowLogs'], resources: [arns.flowLogs] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DeliverFlowLogs', actions: ['logs:CreateLogDelivery', 'logs:DeleteLogDelivery'], resources: ['*'],
    }));

    const delivery = new iam.ServicePrincipal('delivery.logs.amazonaws.com');
    const source = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }) },
    };
    const write = bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AWSLogDeliveryWrite',
      principals: [delivery],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
      conditions: { ...source, StringEquals: { ...source.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' } },
    }));
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AWSLogDeliveryAclCheck', principals: [delivery], actions: ['s3:GetBucketAcl'], resources: [bucket.bucketArn], conditions: source,
    }));
    const key = bucket.encryptionKey?.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowVpcFlowLogsDelivery',
      principals: [delivery],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: source,
    }));
    if (!write.statementAdded || (key !== undefined && !key.statementAdded)) {
      Annotations.of(scope).addWarningV2('cdk-microservices:flowLogsBucketPolicy',
        'The `flowLogsBucket` (or its key) is imported, so its policy is left as it is: it must let delivery.logs.amazonaws.com write '
        + 'AWSLogs/<account>/* and read the bucket ACL (and use the key), or the flow logs the remediation creates deliver nothing.');
    }
  }

  /** The findings a role created here has on purpose, with the reasons. */
  private roleAcknowledgements(which: ComplianceRule): Acknowledgement[] {
    const stack = Stack.of(this);
    const arns = this.arns();
    const iam5 = (resource: string, reason: string): Acknowledgement => ({ id: `AwsSolutions-IAM5[Resource::${nagString(stack, resource)}]`, reason });
    const acks: Acknowledgement[] = [
      ...nistAndHipaa('IAMNoInlinePolicy', 'The role serves one remediation and has one policy, scoped to what its document calls; a customer-managed policy would add no reuse.'),
    ];
    switch (which) {
      case ComplianceRule.SNS_ENCRYPTED_KMS:
        acks.push(
          iam5(arns.topics, 'AWS Config passes any NON_COMPLIANT topic of the account and Region; the role may only read and set topic attributes (set only within the scope tag, when the rules are tag-scoped).'),
          iam5(arns.encryptTopicDefinition, 'The AWS-owned runbook AWSConfigRemediation-EncryptSNSTopic, any version; its page lists ssm:StartAutomationExecution among what the role needs.'),
          iam5(arns.automationExecutions, 'Execution ids are generated per run; its runbook page lists ssm:GetAutomationExecution among what the role needs.'),
        );
        break;
      case ComplianceRule.ELBV2_LISTENER_HTTPS:
        acks.push(
          iam5('*', 'elasticloadbalancing:DescribeListeners has no resource-level permissions.'),
          iam5(arns.appListeners, 'AWS Config passes any NON_COMPLIANT listener of the account and Region; the role may only modify Application Load Balancer listeners (within the scope tag, when the rules are tag-scoped).'),
        );
        break;
      default:
        acks.push(
          iam5('*', 'ec2:DescribeFlowLogs, logs:CreateLogDelivery and logs:DeleteLogDelivery have no resource-level permissions; EC2 requires the last two of whoever creates a flow log to S3.'),
          iam5(arns.vpcs, 'AWS Config passes any NON_COMPLIANT VPC of the account and Region; the role may only create flow logs for it (within the scope tag, when the rules are tag-scoped).'),
          iam5(arns.flowLogs, 'The flow log is created by the call, so its id is not known in advance.'),
        );
    }
    return acks;
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
    const name = this.nameFor(id);
    if (name !== undefined && name.length > MAX_RULE_NAME) {
      p.add(`\`id\` ${show(id)} with \`ruleNamePrefix\` '${this.prefix}' does not make an AWS Config rule name: the name would have ${name.length} characters and AWS Config allows at most ${MAX_RULE_NAME}; use an id of at most ${MAX_RULE_NAME - this.prefix!.length} characters`);
    } else if (name !== undefined && !CONFIG_RULE_NAME.test(name)) {
      p.add(`\`id\` '${id}' with \`ruleNamePrefix\` '${this.prefix}' does not make an AWS Config rule name; use 1 to ${MAX_RULE_NAME} letters, digits, hyphens (-) and underscores (_) in all`);
    }
    if (resourceTypes !== undefined) {
      if (resourceTypes.length === 0) p.add('`resourceTypes` is empty; omit it for the tag scope or every recorded resource, or name at least one type');
      for (const t of resourceTypes) {
        const problem = resourceTypeProblem('resourceTypes', t);
        if (problem) p.add(problem);
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
