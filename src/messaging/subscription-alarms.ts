/**
 * The alarms of a subscription: dead-letter queues not empty and the oldest message too old,
 * notifying the subscriber's environment's alarm topic.
 */
import {
  Duration,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import type { EventSubscription, SubscribeOptions } from './event-subscription';
import { queueNotEmptyAlarm } from '../private/alarms';
import { known } from '../private/validation';

/** The alarms `createSubscriptionAlarms` made. */
export interface SubscriptionAlarms {
  readonly deadLetter?: cloudwatch.Alarm;
  readonly subscriptionDeadLetter: cloudwatch.Alarm;
  readonly oldest: cloudwatch.Alarm;
}

/**
 * Creates the alarms of a subscription under it: its queue's dead-letter queue not empty
 * (when that queue is known), the subscription's dead-letter queue not empty, and the oldest
 * message older than `oldestMessageAgeThreshold`.
 */
export function createSubscriptionAlarms(subscription: EventSubscription, props: SubscribeOptions): SubscriptionAlarms {
  const service = subscription.service;
  const topic = subscription.topic;
  const action = new cloudwatchActions.SnsAction(service.environment.alarmTopic);
  const notEmpty = (id: string, queue: sqs.IQueue, what: string): cloudwatch.Alarm => queueNotEmptyAlarm(subscription, id, queue, action, what);
  const deadLetter = subscription.deadLetterQueue
    ? notEmpty('DeadLetterAlarm', subscription.deadLetterQueue, `${service.node.path} failed to process messages of the ${topic.name} topic ${props.maxReceiveCount ?? 10} times: they are in its dead-letter queue`)
    : undefined;
  const subscriptionDeadLetter = notEmpty('SubscriptionDeadLetterAlarm', subscription.subscriptionDeadLetterQueue,
    `SNS could not deliver messages of the ${topic.name} topic to the queue of ${service.node.path}: they are in the subscription's dead-letter queue`);
  const threshold = props.oldestMessageAgeThreshold ?? defaultAgeThreshold(props.retentionPeriod);
  const oldest = new cloudwatch.Alarm(subscription, 'OldestMessageAlarm', {
    alarmDescription: `A message of the ${topic.name} topic has waited more than ${threshold.toHumanString()} in the queue of ${service.node.path}`,
    metric: subscription.metricApproximateAgeOfOldestMessage(),
    threshold: threshold.toSeconds(),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    evaluationPeriods: 1,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  oldest.addAlarmAction(action);
  return { deadLetter, subscriptionDeadLetter, oldest };
}

/** 15 minutes, or half the retention period when that is shorter (the alarm must be able to go off). */
export function defaultAgeThreshold(retention: Duration | undefined): Duration {
  const fifteen = Duration.minutes(15);
  if (!known(retention) || retention.toMilliseconds() > 2 * fifteen.toMilliseconds()) return fifteen;
  return Duration.seconds(Math.floor(retention.toMilliseconds() / 2000));
}
