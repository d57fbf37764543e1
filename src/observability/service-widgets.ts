/**
 * The widgets of one service's golden signals, shared by the service, canary and environment
 * dashboards. Every metric that an alarm of the library evaluates comes from the function the
 * alarm calls (`signals.ts`, the service's `metricErrors`, the subscription's
 * `metricApproximateAgeOfOldestMessage`). Module-private: not exported from the package.
 */
import { Duration, aws_cloudwatch as cloudwatch, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { CountedWidget, alarmStatus, graphs } from './dashboard-support';
import { SIGNAL_PERIOD, desiredTaskCount, queueMessagesVisible, targetErrorRate, targetRequests, targetResponseTime, targetUnhealthyHosts } from './signals';
import { EventSubscription } from '../messaging/event-subscription';
import { ITwelveFactorService } from '../service/service-interface';

/** How the widgets of a service are drawn. */
export interface WidgetOptions {
  /** Width of each widget, in the 24 columns of a dashboard. */
  readonly width: number;
  /** Put before each title (a canary slot's name). */
  readonly titlePrefix?: string;
  /** The period of the load balancer signals (a canary slot's alarm period). */
  readonly period?: Duration;
}

/**
 * The target group of an HTTP service (any implementation with a `targetGroup`), or undefined
 * for a worker or a service no load balancer routes to.
 */
export function targetGroupOf(service: ITwelveFactorService): elbv2.ApplicationTargetGroup | undefined {
  const tg = (service as { targetGroup?: unknown }).targetGroup;
  return tg instanceof elbv2.ApplicationTargetGroup ? tg : undefined;
}

/** The service's error log alarm, when it has one (any implementation with an `errorAlarm`). */
export function errorAlarmOf(service: ITwelveFactorService): cloudwatch.IAlarm | undefined {
  const alarm = (service as { errorAlarm?: unknown }).errorAlarm;
  return alarm instanceof cloudwatch.Alarm ? alarm : undefined;
}

/** The subscriptions created under the service (`topic.subscribe(service)` puts them there). */
export function subscriptionsUnder(service: ITwelveFactorService): EventSubscription[] {
  return service.node.children.filter((c): c is EventSubscription => c instanceof EventSubscription);
}

/** The alarms of a service and its subscriptions. */
export function alarmsOf(service: ITwelveFactorService, subscriptions: EventSubscription[]): cloudwatch.IAlarm[] {
  const error = errorAlarmOf(service);
  return [...(error ? [error] : []), ...subscriptions.flatMap((s) => s.alarms)];
}

function title(options: WidgetOptions, what: string): string {
  return `${options.titlePrefix ?? ''}${what}`;
}

/**
 * Requests, 5XX rate, latency (p50, p90, p99) and unhealthy targets of an HTTP service, from its
 * target group, at the period of the canary's alarms when given.
 */
export function httpWidgets(targetGroup: elbv2.ApplicationTargetGroup, options: WidgetOptions): CountedWidget[] {
  const period = options.period ?? SIGNAL_PERIOD;
  const width = options.width;
  return [
    ...graphs({ title: title(options, 'Requests'), left: [targetRequests(targetGroup, period).with({ label: 'Requests' })], width }),
    ...graphs({ title: title(options, 'Target 5XX rate (%)'), left: [targetErrorRate(targetGroup, period)], width, leftYAxis: { min: 0 } }),
    ...graphs({
      title: title(options, 'Target response time (s)'),
      left: ['p50', 'p90', 'p99'].map((p) => targetResponseTime(targetGroup, p, period).with({ label: p })),
      width,
      leftYAxis: { min: 0 },
    }),
    ...graphs({ title: title(options, 'Unhealthy targets'), left: [targetUnhealthyHosts(targetGroup, period).with({ label: 'Unhealthy targets' })], width, leftYAxis: { min: 0 } }),
  ];
}

/** Running vs desired tasks. */
export function taskWidgets(service: ITwelveFactorService, options: WidgetOptions): CountedWidget[] {
  return graphs({
    title: title(options, 'Tasks: running vs desired'),
    left: [service.metricRunningTaskCount({ label: 'Running' }), desiredTaskCount(service).with({ label: 'Desired' })],
    width: options.width,
    leftYAxis: { min: 0 },
  });
}

/** CPU and memory utilization, tasks running vs desired, and error log lines of any service. */
export function capacityWidgets(service: ITwelveFactorService, options: WidgetOptions): CountedWidget[] {
  return [
    ...graphs({
      title: title(options, 'CPU and memory utilization (%)'),
      left: [
        service.metricCpuUtilization({ label: 'CPU', period: SIGNAL_PERIOD }),
        service.metricMemoryUtilization({ label: 'Memory', period: SIGNAL_PERIOD }),
      ],
      width: options.width,
      leftYAxis: { min: 0, max: 100 },
    }),
    ...taskWidgets(service, options),
    ...graphs({ title: title(options, 'Error log lines'), left: [service.metricErrors({ label: 'Error log lines' })], width: options.width, leftYAxis: { min: 0 } }),
  ];
}

/** Backlog per task, oldest message age and dead-letter queue depths of a subscription. */
export function subscriptionWidgets(subscription: EventSubscription, options: WidgetOptions): CountedWidget[] {
  const topic = subscription.topic.name;
  const target = subscription.backlogPerTaskTarget;
  const deadLetters = [
    ...(subscription.deadLetterQueue ? [queueMessagesVisible(subscription.deadLetterQueue).with({ label: 'Dead-letter queue' })] : []),
    queueMessagesVisible(subscription.subscriptionDeadLetterQueue).with({ label: 'Undeliverable (subscription dead-letter queue)' }),
  ];
  return [
    ...graphs({
      title: title(options, `${topic}: backlog per task`),
      left: [subscription.metricBacklogPerTask({ label: 'Visible messages per running task' })],
      width: options.width,
      leftYAxis: { min: 0 },
      leftAnnotations: target !== undefined ? [{ value: target, label: 'Scaling target' }] : undefined,
    }),
    ...graphs({
      title: title(options, `${topic}: oldest message age (s)`),
      left: [subscription.metricApproximateAgeOfOldestMessage({ label: 'Oldest message age' })],
      width: options.width,
      leftYAxis: { min: 0 },
    }),
    ...graphs({ title: title(options, `${topic}: dead-letter queues`), left: deadLetters, width: options.width, leftYAxis: { min: 0 } }),
  ];
}

/** Every widget of one service: its alarms, HTTP signals, capacity and subscriptions. */
export function serviceWidgets(service: ITwelveFactorService, subscriptions: EventSubscription[], options: WidgetOptions): CountedWidget[] {
  const targetGroup = targetGroupOf(service);
  return [
    ...alarmStatus(title(options, 'Alarms'), alarmsOf(service, subscriptions), options.width),
    ...(targetGroup ? httpWidgets(targetGroup, options) : []),
    ...capacityWidgets(service, options),
    ...subscriptions.flatMap((s) => subscriptionWidgets(s, options)),
  ];
}
