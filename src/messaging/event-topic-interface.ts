import {
  aws_cloudwatch as cloudwatch,
  aws_iam as iam,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { EventSubscription, SubscribeOptions } from './event-subscription';
import type { BackingService } from '../service/backing-service';
import type { ITwelveFactorService } from '../service/service-interface';

/**
 * Options for attaching a topic to a service as a backing service it publishes to
 * (`asBackingService`).
 */
export interface PublishOptions {
  /**
   * The prefix of the injected variable: `<PREFIX>_TOPIC_ARN`.
   *
   * @default - the topic's name in upper snake case, for example `USER_SIGNUP`
   */
  readonly envVarPrefix?: string;
}

/**
 * A topic of a message bus as publishers and subscribers use it: a topic of a `MessageBus` of
 * this app (`EventTopic`), or one another app of the same account and Region created,
 * imported with `EventTopic.fromEventTopicAttributes`. Subscribing and publishing work the same
 * on either; what they create lands in the subscriber's or publisher's stack.
 */
export interface IEventTopic extends IConstruct {
  /** The event name, for example `user-signup`. */
  readonly name: string;
  /** The SNS topic. */
  readonly topic: sns.ITopic;
  /** Whether the topic is FIFO. */
  readonly fifo: boolean;
  /** The prefix of the variables this topic injects by default, for example `USER_SIGNUP`. */
  readonly envVarPrefix: string;
  /**
   * The services of this app the topic is attached to as a backing service, in the order they
   * were attached.
   */
  readonly publishers: ITwelveFactorService[];
  /** The subscriptions made in this app, in the order they were made. */
  readonly subscriptions: EventSubscription[];

  /**
   * Subscribes a service through its own queue, created in the service's stack with its
   * dead-letter queues, alarms, filter policy and backlog scaling (see `SubscribeOptions`).
   */
  subscribe(service: ITwelveFactorService, options?: SubscribeOptions): EventSubscription;

  /**
   * The topic as a backing service the service publishes to: `sns:Publish` on this topic and
   * use of its key, and the `<PREFIX>_TOPIC_ARN` variable.
   */
  asBackingService(options?: PublishOptions): BackingService;

  /** Lets a principal publish to this topic: `sns:Publish` on it and use of its key. */
  grantPublish(grantee: iam.IGrantable): iam.Grant;

  /** Messages published to the topic. */
  metricNumberOfMessagesPublished(options?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Deliveries SNS could not make. */
  metricNumberOfNotificationsFailed(options?: cloudwatch.MetricOptions): cloudwatch.Metric;
}
