/**
 * The one definition of each metric that both an alarm and a dashboard widget read: the alarms
 * of the library (a canary slot's 5XX rate, p99 latency and unhealthy hosts, a subscription's
 * dead-letter depth) and the dashboards call these functions, so a graph always shows what the
 * alarm evaluates. Module-private: not exported from the package (jsii exports no functions);
 * the metrics a user may want on a service are listed in the dashboards' README section.
 *
 * Imports nothing of the constructs at run time, so that `src/deployment` and `src/messaging`
 * can use it without an import cycle.
 */
import {
  Duration,
  aws_cloudwatch as cloudwatch,
  aws_elasticloadbalancingv2 as elbv2,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import type { ITwelveFactorService } from '../service/service-interface';

/** The period of the signals when no alarm says otherwise. */
export const SIGNAL_PERIOD = Duration.minutes(1);

/** Target 5XX responses as a percentage of requests (0 without requests): the canary's ErrorRate alarm. */
export function targetErrorRate(targetGroup: elbv2.ApplicationTargetGroup, period: Duration = SIGNAL_PERIOD): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
    usingMetrics: {
      errors: targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' }),
      requests: targetRequests(targetGroup, period),
    },
    period,
    label: '5XX rate (%)',
  });
}

/** Requests to the targets (ALB `RequestCount` of the target group), the sum per period. */
export function targetRequests(targetGroup: elbv2.ApplicationTargetGroup, period: Duration = SIGNAL_PERIOD): cloudwatch.Metric {
  return targetGroup.metrics.requestCount({ period, statistic: 'Sum' });
}

/**
 * Target response time in seconds (ALB `TargetResponseTime`) at a percentile such as `p99`
 * (the canary's Latency alarm) or `p50`.
 */
export function targetResponseTime(
  targetGroup: elbv2.ApplicationTargetGroup, statistic: string, period: Duration = SIGNAL_PERIOD,
): cloudwatch.Metric {
  return targetGroup.metrics.targetResponseTime({ period, statistic });
}

/** Unhealthy targets (ALB `UnHealthyHostCount`), the maximum per period: the canary's UnhealthyHosts alarm. */
export function targetUnhealthyHosts(targetGroup: elbv2.ApplicationTargetGroup, period: Duration = SIGNAL_PERIOD): cloudwatch.Metric {
  return targetGroup.metrics.unhealthyHostCount({ period, statistic: 'Maximum' });
}

/**
 * Tasks the service wants (Container Insights `DesiredTaskCount`), average over a minute: the
 * counterpart of the service's `metricRunningTaskCount`, with the same namespace and dimensions.
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
 */
export function desiredTaskCount(service: ITwelveFactorService): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'ECS/ContainerInsights',
    metricName: 'DesiredTaskCount',
    dimensionsMap: { ClusterName: service.environment.cluster.clusterName, ServiceName: service.service.serviceName },
    statistic: cloudwatch.Stats.AVERAGE,
    period: SIGNAL_PERIOD,
  });
}

/**
 * Messages visible in a queue, the maximum over a minute: what a dead-letter queue's
 * "not empty" alarm evaluates (`queueNotEmptyAlarm`) and its depth on a dashboard.
 */
export function queueMessagesVisible(queue: sqs.IQueue): cloudwatch.Metric {
  return queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: SIGNAL_PERIOD });
}
