/**
 * How the rollout state machine calls AWS: the resource of an AWS SDK integration, the errors
 * each integration retries with backoff, and the names a rollout fails with.
 */

/** A state (or any object) of the definition, as plain data. */
export type State = { [key: string]: unknown };

/** The error names a rollout fails with. */
export const ROLLOUT_ERRORS = {
  invalidInput: 'CanaryDeployment.InvalidInput',
  inProgress: 'CanaryDeployment.RolloutInProgress',
  releaseFailed: 'CanaryDeployment.ReleaseFailed',
  unhealthy: 'CanaryDeployment.IdleSlotUnhealthy',
  rolledBack: 'CanaryDeployment.RolledBack',
  aborted: 'CanaryDeployment.Aborted',
  approvalTimedOut: 'CanaryDeployment.ApprovalTimedOut',
  dnsNotInSync: 'CanaryDeployment.DnsNotInSync',
  stepFailed: 'CanaryDeployment.StepFailed',
  rollbackFailed: 'CanaryDeployment.RollbackFailed',
  lockTakenOver: 'CanaryDeployment.LockTakenOver',
};

/**
 * Throttling and transient error names, per integration, retried with backoff: each one a name
 * the integration can raise, as Step Functions reports it.
 *
 * - AWS SDK integrations (`arn:aws:states:::aws-sdk:...`) report `<Service>.<ErrorName>`, the
 *   error name as the AWS SDK for Java v2 spells its exception class (the `Exception` suffix
 *   always there); see "Learning to use AWS service SDK integrations", section on errors:
 *   https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
 *   An error the service does not model (ECS, CloudWatch and Application Auto Scaling model no
 *   throttling error, yet answer `ThrottlingException` / `Throttling` with "Rate exceeded")
 *   reaches the SDK as the service's base exception, so Step Functions reports
 *   `<Service>.<Service>Exception`: `Ecs.EcsException`, `CloudWatch.CloudWatchException`,
 *   `ApplicationAutoScaling.ApplicationAutoScalingException`, `Route53.Route53Exception`, `Sfn.SfnException`
 *   (retried this way by github.com/CloudSnorkel/cdk-github-runners, src/providers/fargate.ts;
 *   the optimized ECS integration's "Rate exceeded ... Error Code: ThrottlingException" arrives
 *   as its base `ECS.AmazonECSException`: github.com/cdklabs/construct-hub/pull/415).
 *   CloudWatch's `InternalServiceFault` is the Java class `InternalServiceException`.
 * - Optimized integrations report the service's modeled error with the `Exception` suffix
 *   (DynamoDB `RequestLimitExceeded` -> `DynamoDB.RequestLimitExceededException`,
 *   `InternalServerError` -> `DynamoDB.InternalServerErrorException`), an unmodeled one under
 *   the integration's base exception (`DynamoDB.AmazonDynamoDBException`,
 *   `SNS.AmazonSNSException`, `EventBridge.AmazonEventBridgeException`), and PutEvents with a
 *   failed entry (a throttled entry among them) as `EventBridge.FailedEntry`:
 *   https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html
 *   https://docs.aws.amazon.com/step-functions/latest/dg/connect-ddb.html
 *   https://docs.aws.amazon.com/step-functions/latest/dg/connect-sns.html
 *
 * The modeled names are those the services' published models hold (the AWS SDK for
 * JavaScript v3 clients export each as an exception class).
 */
export const RETRIED_ERRORS: { [service: string]: string[] } = {
  dynamodb: [
    'DynamoDB.ProvisionedThroughputExceededException', 'DynamoDB.ThrottlingException', 'DynamoDB.RequestLimitExceededException',
    'DynamoDB.InternalServerErrorException', 'DynamoDB.AmazonDynamoDBException',
  ],
  ecs: ['Ecs.ServerException', 'Ecs.EcsException'],
  route53: ['Route53.ThrottlingException', 'Route53.PriorRequestNotCompleteException', 'Route53.Route53Exception'],
  cloudwatch: ['CloudWatch.InternalServiceException', 'CloudWatch.CloudWatchException'],
  autoscaling: [
    'ApplicationAutoScaling.ConcurrentUpdateException', 'ApplicationAutoScaling.InternalServiceException',
    'ApplicationAutoScaling.ApplicationAutoScalingException',
  ],
  events: ['EventBridge.ThrottlingException', 'EventBridge.InternalException', 'EventBridge.FailedEntry', 'EventBridge.AmazonEventBridgeException'],
  sns: ['SNS.ThrottledException', 'SNS.InternalErrorException', 'SNS.KMSThrottlingException', 'SNS.AmazonSNSException'],
  // Step Functions models no throttling error of its API (a throttled DescribeExecution arrives as
  // the base exception); KmsThrottlingException is modeled, for executions encrypted with a key.
  sfn: ['Sfn.KmsThrottlingException', 'Sfn.SfnException'],
};

/** The retry of a task calling `service` (a key of RETRIED_ERRORS): exponential backoff with full jitter. */
export function retry(service: string, attempts = 6): State[] {
  return [{ ErrorEquals: RETRIED_ERRORS[service], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: attempts, MaxDelaySeconds: 20, JitterStrategy: 'FULL' }];
}

/** The resource of an AWS SDK integration. */
export function sdk(service: string, action: string): string {
  return `arn:aws:states:::aws-sdk:${service}:${action}`;
}

/** The Cause of each named failure that ends a rollout after its outcome is recorded. */
export const FAILURE_CAUSES: { [error: string]: string } = {
  [ROLLOUT_ERRORS.releaseFailed]: 'The release could not be registered or deployed to the idle slot; no traffic was shifted.',
  [ROLLOUT_ERRORS.unhealthy]: 'The idle slot did not become steady and healthy in time (or ECS rolled its deployment back); no traffic was shifted.',
  [ROLLOUT_ERRORS.rolledBack]: 'An alarm fired during a step: all traffic is back on the live slot.',
  [ROLLOUT_ERRORS.aborted]: 'The rollout was aborted (the last step refused, or an operator asked): all traffic is back on the live slot.',
  [ROLLOUT_ERRORS.approvalTimedOut]: 'Nobody approved the last step in time: all traffic is back on the live slot.',
  [ROLLOUT_ERRORS.dnsNotInSync]: 'Route 53 did not report the weight change INSYNC in time: all traffic is back on the live slot.',
  [ROLLOUT_ERRORS.stepFailed]: 'An AWS call of a step failed after its retries: all traffic is back on the live slot.',
};
