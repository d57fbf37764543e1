/**
 * The CloudWatch metrics of a rollout: the weight of each slot and the current step, published
 * by the state machine after every weight change (`PutMetricData`) and read by the construct's
 * `metricWeight()` and `metricStep()`. Names, dimensions and units are defined here only.
 */
import { State, retry, sdk } from './rollout-integrations';
import { shortAscii } from './rollout-text';

/** The namespace of the metrics (custom: it does not begin with `AWS/`). */
export const METRICS_NAMESPACE = 'CdkMicroservices/Canary';

/** The metric names, their dimension names and units. */
export const ROLLOUT_METRICS = {
  /** The percentage of the traffic a slot's weighted record gets (0 to 100). */
  weight: 'Weight',
  /** The step whose weights are set: 1 to N during a rollout, 0 after a rollback, N at promotion. */
  step: 'Step',
  /** The dimension naming the canary (`canaryDimensionValue`). */
  canaryDimension: 'Canary',
  /** The dimension naming the slot of a `Weight` (`blue` or `green`). */
  slotDimension: 'Slot',
  /** StandardUnit of `Weight` (the CloudWatch API model's enum). */
  weightUnit: 'Percent',
  /** StandardUnit of `Step`: an index, no unit. */
  stepUnit: 'None',
};

/**
 * The longest `Canary` dimension value. CloudWatch takes a dimension value of 1 to 1024 ASCII
 * characters, not only whitespace, no control characters (`Dimension` in the API reference and
 * the model's documentation:
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Dimension.html), but
 * aws-cdk-lib's `cloudwatch.Metric` refuses a value over 255 characters
 * (DimensionValueLengthInvalid): the metric methods must accept the value the state machine
 * publishes, so both keep to 255.
 */
export const DIMENSION_VALUE_LIMIT = 255;

/**
 * The value of the `Canary` dimension: the canary's construct path (known at synth, stable
 * across deployments, the `service` of its events), as printable ASCII of at most 255
 * characters (a longer path keeps its end after '...').
 */
export function canaryDimensionValue(path: string): string {
  return shortAscii(path, DIMENSION_VALUE_LIMIT);
}

/** A number in a PutMetricData datum: a constant, or a JSONPath (ending the key with `.$`). */
type NumberOrPath = number | { path: string };

/** Where the slots' names are in the state's input, and what to publish for them. */
export interface MetricsPoint {
  /** The weight of the slot at `$.slots.idle` (the new release). */
  readonly idleWeight: NumberOrPath;
  /** The weight of the slot at `$.slots.live` (the one live before the rollout). */
  readonly liveWeight: NumberOrPath;
  /** The step: a constant or a path. */
  readonly step: NumberOrPath;
}

/**
 * A Task that publishes the weights of both slots and the step in one PutMetricData call, then
 * goes on to `next`. A failure never changes the rollout: throttling and CloudWatch's transient
 * errors are retried (3 attempts, at most about 7 s of backoff), then any error is caught, kept at
 * `$.metricsError` (which no state reads) and the rollout goes on to `next` as well.
 *
 * Member names are those of the AWS SDK integration (the AWS SDK for Java v2 spelling of the
 * `PutMetricData` input: Namespace, MetricData[].MetricName, Dimensions[].Name/Value, Value, Unit).
 */
export function publishMetricsState(canary: string, point: MetricsPoint, next: string): State {
  const value = (v: NumberOrPath): State => (typeof v === 'number' ? { Value: v } : { 'Value.$': v.path });
  const canaryDimension = { Name: ROLLOUT_METRICS.canaryDimension, Value: canaryDimensionValue(canary) };
  const weight = (slotPath: string, v: NumberOrPath): State => ({
    MetricName: ROLLOUT_METRICS.weight,
    Dimensions: [canaryDimension, { 'Name': ROLLOUT_METRICS.slotDimension, 'Value.$': slotPath }],
    ...value(v),
    Unit: ROLLOUT_METRICS.weightUnit,
  });
  return {
    Type: 'Task',
    Resource: sdk('cloudwatch', 'putMetricData'),
    Parameters: {
      Namespace: METRICS_NAMESPACE,
      MetricData: [
        weight('$.slots.idle.name', point.idleWeight),
        weight('$.slots.live.name', point.liveWeight),
        { MetricName: ROLLOUT_METRICS.step, Dimensions: [canaryDimension], ...value(point.step), Unit: ROLLOUT_METRICS.stepUnit },
      ],
    },
    ResultPath: null,
    Retry: retry('cloudwatch', 3),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.metricsError', Next: next }],
    Next: next,
  };
}
