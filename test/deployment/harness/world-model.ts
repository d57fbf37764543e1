/**
 * What the simulated world speaks: the errors integrations raise (`AwsError`, `THROTTLING`), the
 * types of its scenario knobs and records, the Task resources it simulates (`RESOURCE_API`) and
 * Route 53 records as the AWS SDK integration answers them.
 */
import { Json } from './json';

/** An error as a service integration raises it: Step Functions matches `name`. */
export class AwsError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The throttling error each kind of call raises, named as Step Functions reports it (see
 * RETRIED_ERRORS in src/deployment/rollout-integrations.ts for the sources):
 * - ECS, CloudWatch and Application Auto Scaling model no throttling error: their
 *   `ThrottlingException` ("Rate exceeded") reaches an AWS SDK integration as the service's base
 *   exception of the AWS SDK for Java v2, `<Service>.<Service>Exception`;
 * - Route 53 models `ThrottlingException` and `PriorRequestNotComplete` (suffix added);
 * - the optimized DynamoDB integration: `ProvisionedThroughputExceededException`,
 *   `ThrottlingException` and `RequestLimitExceeded` (suffix added);
 * - the optimized SNS and EventBridge integrations: `ThrottledException`, `ThrottlingException`;
 * - Step Functions models no throttling error of its API: its `ThrottlingException` reaches the
 *   AWS SDK integration as `Sfn.SfnException`.
 */
export const THROTTLING: { [api: string]: string } = {
  'dynamodb:updateItem': 'DynamoDB.ProvisionedThroughputExceededException',
  'dynamodb:putItem': 'DynamoDB.ThrottlingException',
  'dynamodb:getItem': 'DynamoDB.RequestLimitExceededException',
  'ecs:describeServices': 'Ecs.EcsException',
  'ecs:describeTaskDefinition': 'Ecs.EcsException',
  'ecs:registerTaskDefinition': 'Ecs.EcsException',
  'ecs:updateService': 'Ecs.EcsException',
  'applicationautoscaling:registerScalableTarget': 'ApplicationAutoScaling.ApplicationAutoScalingException',
  'route53:changeResourceRecordSets': 'Route53.PriorRequestNotCompleteException',
  'route53:getChange': 'Route53.ThrottlingException',
  'cloudwatch:describeAlarms': 'CloudWatch.CloudWatchException',
  'cloudwatch:putMetricData': 'CloudWatch.CloudWatchException',
  'events:putEvents': 'EventBridge.ThrottlingException',
  'sns:publish': 'SNS.ThrottledException',
  'sfn:describeExecution': 'Sfn.SfnException',
};

/** The error code the service sends with each throttling error (for the error's cause, as Step Functions gives it). */
export const THROTTLING_CODE: { [error: string]: string } = {
  'Ecs.EcsException': 'ThrottlingException',
  'ApplicationAutoScaling.ApplicationAutoScalingException': 'ThrottlingException',
  'CloudWatch.CloudWatchException': 'Throttling',
  'Sfn.SfnException': 'ThrottlingException',
};

/** How the idle slot's deployment goes. */
export type DeploymentOutcome =
  /** RolloutState IN_PROGRESS for `describesUntilSteady` describes, then COMPLETED with one deployment. */
  | 'COMPLETED'
  /** Never steady: IN_PROGRESS forever, fewer tasks running than desired. */
  | 'STUCK'
  /** The circuit breaker marks our deployment FAILED (it stays first). */
  | 'FAILED'
  /** The circuit breaker rolls back: a new PRIMARY deployment (another id) of the previous task definition. */
  | 'ROLLED_BACK';

/** What an approval request gets. */
export type ApprovalAnswer = 'approve' | 'abort' | 'timeout' | 'hang';

/** What an alarm check sees. */
export interface AlarmContext {
  /** The state that calls DescribeAlarms. */
  readonly state: string;
  /** Current weights per slot. */
  readonly weights: { blue: number; green: number };
  /** DescribeAlarms calls since the last weight change (0 for the first one after it). */
  readonly checksSinceWeightChange: number;
}

/** One weight change, in order. */
export interface WeightChange {
  readonly state: string;
  readonly blue: number;
  readonly green: number;
}

/** One data point a PutMetricData call published, with its dimensions as a map. */
export interface MetricPoint {
  /** The state that published it. */
  readonly state: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: { [name: string]: string };
  readonly value: number;
  readonly unit?: string;
}

/** One call a handler received. */
export interface Call {
  readonly state: string;
  readonly api: string;
  readonly params: Json;
  /** The error it raised, if any. */
  error?: string;
}

/** The Task resources the rollout uses, and the API each one is. */
export const RESOURCE_API: { [resource: string]: string } = {
  'arn:aws:states:::dynamodb:updateItem': 'dynamodb:updateItem',
  'arn:aws:states:::dynamodb:putItem': 'dynamodb:putItem',
  'arn:aws:states:::dynamodb:getItem': 'dynamodb:getItem',
  'arn:aws:states:::aws-sdk:ecs:describeServices': 'ecs:describeServices',
  'arn:aws:states:::aws-sdk:ecs:describeTaskDefinition': 'ecs:describeTaskDefinition',
  'arn:aws:states:::aws-sdk:ecs:registerTaskDefinition': 'ecs:registerTaskDefinition',
  'arn:aws:states:::aws-sdk:ecs:updateService': 'ecs:updateService',
  'arn:aws:states:::aws-sdk:applicationautoscaling:registerScalableTarget': 'applicationautoscaling:registerScalableTarget',
  'arn:aws:states:::aws-sdk:route53:changeResourceRecordSets': 'route53:changeResourceRecordSets',
  'arn:aws:states:::aws-sdk:route53:getChange': 'route53:getChange',
  'arn:aws:states:::aws-sdk:cloudwatch:describeAlarms': 'cloudwatch:describeAlarms',
  'arn:aws:states:::aws-sdk:cloudwatch:putMetricData': 'cloudwatch:putMetricData',
  'arn:aws:states:::events:putEvents': 'events:putEvents',
  'arn:aws:states:::sns:publish.waitForTaskToken': 'sns:publish',
  'arn:aws:states:::aws-sdk:sfn:describeExecution': 'sfn:describeExecution',
};

/** An execution status as DescribeExecution answers it (ExecutionStatus of the Step Functions model). */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** An execution of a state machine, as the simulated Step Functions knows it. */
export interface Execution {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  status: ExecutionStatus;
  readonly startDate: string;
  stopDate?: string;
}

/**
 * A record as Route 53 answers it through the AWS SDK integration (member names as the AWS SDK
 * for Java v2 spells them: `TTL` -> `Ttl`, `AliasTarget.DNSName` -> `DnsName`), from the
 * template's record set (CloudFormation's names: `TTL` a string, `ResourceRecords` a list of
 * strings, `AliasTarget.DNSName`).
 */
export function recordFromTemplate(r: Json): Json {
  const record: Json = { Name: r.Name, Type: r.Type, SetIdentifier: r.SetIdentifier, Weight: Number(r.Weight) };
  if (r.AliasTarget) {
    const alias = r.AliasTarget;
    record.AliasTarget = { HostedZoneId: alias.HostedZoneId, DnsName: alias.DNSName, EvaluateTargetHealth: alias.EvaluateTargetHealth ?? false };
  }
  if (r.TTL !== undefined) record.Ttl = Number(r.TTL);
  if (r.ResourceRecords) record.ResourceRecords = r.ResourceRecords.map((v: string) => ({ Value: v }));
  return record;
}

export function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
}
