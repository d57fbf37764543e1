/**
 * The curated set of `ComplianceRules`: for each `ComplianceRule`, the AWS managed rule or
 * Guard custom policy that implements it. Not exported from the package.
 */
import { aws_config as config } from 'aws-cdk-lib';
import { ComplianceRule } from './compliance-rule';
import { ELBV2_LISTENER_HTTPS_POLICY, SQS_DEAD_LETTER_QUEUE_POLICY, SQS_ENCRYPTED_POLICY } from './guard-policies';

/** The environment variable names `ECS_NO_ENVIRONMENT_SECRETS` looks for by default (as AWS Control Tower CT.ECS.PR.12). */
export const DEFAULT_SECRET_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'ECS_ENGINE_AUTH_DATA'];

export interface ManagedDefinition {
  readonly kind: 'managed';
  readonly id: string;
  readonly name: string;
  readonly identifier: string;
  readonly resourceTypes: string[];
  readonly periodic?: boolean;
  readonly description: string;
}

export interface GuardDefinition {
  readonly kind: 'guard';
  readonly id: string;
  readonly name: string;
  readonly policyText: string;
  readonly resourceTypes: string[];
  readonly description: string;
}

const TASK_DEFINITION = 'AWS::ECS::TaskDefinition';

/** The curated set, in the order the rules are created. */
export const DEFINITIONS: { [rule: string]: ManagedDefinition | GuardDefinition } = {
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
export const LONGEST_NAME = Math.max(...Object.values(DEFINITIONS).map((d) => d.name.length));
