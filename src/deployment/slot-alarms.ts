/**
 * The default alarms of a canary slot: target 5XX rate, p99 latency and unhealthy hosts, with
 * the slot's error log alarm in a composite alarm that rolls a rollout to the slot back.
 */
import {
  Duration,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { targetErrorRate, targetResponseTime, targetUnhealthyHosts } from '../observability/signals';
import { TwelveFactorService } from '../service';

/** The period of each slot's default alarms, by slot: the dashboards graph the same metrics. */
const alarmPeriods = new WeakMap<TwelveFactorService, Duration>();

/**
 * The period of the default alarms of a canary slot, or undefined when the canary has none
 * (`defaultAlarms: false`): a dashboard graphs the alarms' metrics with it.
 */
export function slotAlarmPeriod(slot: TwelveFactorService): Duration | undefined {
  return alarmPeriods.get(slot);
}

/** The tuning of the default alarms (the canary's props of the same names). */
export interface SlotAlarmOptions {
  /** @default 5 */
  readonly errorRatePercent?: number;
  /** @default Duration.seconds(2) */
  readonly latencyThreshold?: Duration;
  /** @default Duration.minutes(1) */
  readonly alarmPeriod?: Duration;
  /** @default 2 */
  readonly alarmEvaluationPeriods?: number;
}

/**
 * Creates the default alarms of the slot `slotId` ('Blue' or 'Green') of `canary`, under
 * `<slotId>Alarms`, each notifying the environment's alarm topic; returns the composite alarm.
 */
export function createSlotAlarms(
  canary: Construct, slotId: string, service: TwelveFactorService, options: SlotAlarmOptions,
): cloudwatch.CompositeAlarm {
  const targetGroup = service.targetGroup!;
  const period = options.alarmPeriod ?? Duration.minutes(1);
  const evaluationPeriods = options.alarmEvaluationPeriods ?? 2;
  const errorRate = options.errorRatePercent ?? 5;
  const latency = options.latencyThreshold ?? Duration.seconds(2);
  const scope = new Construct(canary, `${slotId}Alarms`);
  alarmPeriods.set(service, period);
  const action = new cloudwatchActions.SnsAction(service.environment.alarmTopic);
  const common = {
    evaluationPeriods,
    datapointsToAlarm: evaluationPeriods,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  };
  const errors = new cloudwatch.Alarm(scope, 'ErrorRate', {
    ...common,
    alarmDescription: `Target 5XX responses above ${errorRate}% of requests in the ${slotId.toLowerCase()} slot of ${canary.node.path}`,
    metric: targetErrorRate(targetGroup, period),
    threshold: errorRate,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  });
  const slow = new cloudwatch.Alarm(scope, 'Latency', {
    ...common,
    alarmDescription: `p99 target response time above ${latency.toHumanString()} in the ${slotId.toLowerCase()} slot of ${canary.node.path}`,
    metric: targetResponseTime(targetGroup, 'p99', period),
    threshold: latency.toMilliseconds() / 1000,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  });
  const unhealthy = new cloudwatch.Alarm(scope, 'UnhealthyHosts', {
    ...common,
    alarmDescription: `Unhealthy targets in the ${slotId.toLowerCase()} slot of ${canary.node.path}`,
    metric: targetUnhealthyHosts(targetGroup, period),
    threshold: 0,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  });
  for (const alarm of [errors, slow, unhealthy]) alarm.addAlarmAction(action);
  // The slot's error log alarm (TwelveFactorService errorAlarm) counts too.
  const children: cloudwatch.IAlarm[] = [errors, slow, unhealthy, ...(service.errorAlarm ? [service.errorAlarm] : [])];
  const composite = new cloudwatch.CompositeAlarm(scope, 'Composite', {
    alarmDescription: `Any default alarm of the ${slotId.toLowerCase()} slot of ${canary.node.path}, or its error log alarm: a rollout to this slot rolls back`,
    alarmRule: cloudwatch.AlarmRule.anyOf(...children),
  });
  composite.addAlarmAction(action);
  return composite;
}
