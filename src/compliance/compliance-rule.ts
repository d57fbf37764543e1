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
