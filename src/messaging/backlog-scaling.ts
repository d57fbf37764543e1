/**
 * Scaling a subscriber on its backlog: visible messages per running task kept at a target,
 * and a step policy that starts the first task when none runs.
 */
import {
  Annotations,
  Duration,
  Names,
  aws_applicationautoscaling as appscaling,
  aws_cloudwatch as cloudwatch,
} from 'aws-cdk-lib';
import type { EventSubscription } from './event-subscription';
import { known } from '../private/validation';

/** Visible messages per running task; with no task running, the whole backlog. */
export const BACKLOG_PER_TASK = 'IF(FILL(tasks, 0) > 0, messages / FILL(tasks, 0), messages)';

/** The policies `configureBacklogScaling` made. */
export interface BacklogScaling {
  readonly targetTracking: appscaling.CfnScalingPolicy;
  readonly fromZero?: appscaling.StepScalingPolicy;
}

/**
 * Target tracking on backlog per task through the customized metric specification with
 * metric math, which the CDK L2 does not accept (aws-cdk issue #34072), and a step policy
 * that starts the first task when none runs (target tracking cannot scale out from zero
 * capacity, Copilot issue #3376). The subscriber must scale (`service.scaling`).
 */
export function configureBacklogScaling(subscription: EventSubscription): BacklogScaling {
  const service = subscription.service;
  const scaling = service.scaling!;
  const target = scaling.node.findChild('Target') as appscaling.ScalableTarget;
  const cluster = service.environment.cluster;
  if (cluster.node.scope !== service.environment) {
    Annotations.of(subscription).addWarningV2('cdk-microservices:containerInsights',
      'Backlog scaling divides by Container Insights\' RunningTaskCount: make sure the cluster you brought has Container Insights enabled, or the service scales as if one task ran and, with minTasks 0, adds a task a minute while messages wait.');
  }
  const queueName = subscription.queue.queueName;
  const targetTracking = new appscaling.CfnScalingPolicy(subscription, 'BacklogScaling', {
    policyName: Names.uniqueResourceName(subscription, { maxLength: 255, separator: '-' }),
    policyType: 'TargetTrackingScaling',
    scalingTargetId: target.scalableTargetId,
    targetTrackingScalingPolicyConfiguration: {
      targetValue: subscription.backlogPerTaskTarget ?? 1,
      scaleOutCooldown: 60,
      scaleInCooldown: 120,
      customizedMetricSpecification: {
        metrics: [
          {
            id: 'messages',
            label: 'Visible messages',
            returnData: false,
            metricStat: {
              metric: {
                namespace: 'AWS/SQS',
                metricName: 'ApproximateNumberOfMessagesVisible',
                dimensions: [{ name: 'QueueName', value: queueName }],
              },
              stat: 'Maximum',
            },
          },
          {
            id: 'tasks',
            label: 'Running tasks',
            returnData: false,
            metricStat: {
              metric: {
                namespace: 'ECS/ContainerInsights',
                metricName: 'RunningTaskCount',
                dimensions: [
                  { name: 'ClusterName', value: cluster.clusterName },
                  { name: 'ServiceName', value: service.service.serviceName },
                ],
              },
              stat: 'Average',
            },
          },
          { id: 'backlogPerTask', label: 'Backlog per task', expression: BACKLOG_PER_TASK, returnData: true },
        ],
      },
    },
  });
  let fromZero: appscaling.StepScalingPolicy | undefined;
  if (!known(service.minTasks) || service.minTasks === 0) {
    const id = `FromZero-${Names.uniqueId(subscription).slice(-40)}`;
    scaling.scaleOnMetric(id, {
      metric: new cloudwatch.MathExpression({
        expression: 'IF(FILL(tasks, 0) < 1, messages, 0)',
        usingMetrics: { messages: subscription.metricApproximateNumberOfMessagesVisible(), tasks: service.metricRunningTaskCount() },
        label: 'Visible messages while no task runs',
        period: Duration.minutes(1),
      }),
      scalingSteps: [
        { upper: 0, change: 0 },
        { lower: 1, change: 1 },
      ],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      cooldown: Duration.minutes(1),
      evaluationPeriods: 1,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
    });
    fromZero = target.node.findChild(id) as appscaling.StepScalingPolicy;
  }
  return { targetTracking, fromZero };
}
