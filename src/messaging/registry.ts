/**
 * What a topic knows of its publishers and subscriptions. Each construct or binding records
 * itself here when it is made (an `EventSubscription` in its own constructor, a publisher when
 * the topic's backing service binds), so a topic counts them however they were created.
 * Module-private: not exported from the package.
 */
import { aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { EventSubscription } from './event-subscription';
import type { EventTopic, EventTopicOptions } from './event-topic';
import type { IEventTopic } from './event-topic-interface';
import type { ITwelveFactorService } from '../service/service-interface';

/** A service that publishes to a topic, with the variable it got. */
export interface Publisher {
  readonly service: ITwelveFactorService;
  readonly envVarName: string;
  readonly grant: iam.Grant;
}

/** The publishers and subscriptions of one topic, by the consuming service's path. */
export interface TopicMembers {
  readonly publishers: Map<string, Publisher>;
  readonly subscriptions: Map<string, EventSubscription>;
}

const members = new WeakMap<IEventTopic, TopicMembers>();

/** The publishers and subscriptions of a topic (empty until one registers). */
export function membersOf(topic: IEventTopic): TopicMembers {
  let found = members.get(topic);
  if (!found) {
    found = { publishers: new Map(), subscriptions: new Map() };
    members.set(topic, found);
  }
  return found;
}

/** A topic of a bus, with the options it was made with. */
export interface BusTopic {
  readonly topic: EventTopic;
  readonly options: EventTopicOptions;
}

const busTopics = new WeakMap<object, Map<string, BusTopic>>();

/**
 * The topics of a bus by name, in the order they were made: each `EventTopic` records itself
 * in its constructor, so a topic made with `new EventTopic(...)` counts as one made by `addTopic`.
 */
export function topicsOf(bus: object): Map<string, BusTopic> {
  let found = busTopics.get(bus);
  if (!found) {
    found = new Map();
    busTopics.set(bus, found);
  }
  return found;
}

/** Gives the key that encrypts a subscriber's queues when the subscription brings none. */
export type QueueKeyProvider = (subscription: IConstruct) => kms.IKey;

const queueKeys = new WeakMap<IEventTopic, QueueKeyProvider>();

/**
 * Records how a topic's subscriptions get their queue key by default: the bus's key for a
 * topic of a bus of this app, a key of the importing app for an imported topic.
 */
export function setDefaultQueueKey(topic: IEventTopic, provider: QueueKeyProvider): void {
  queueKeys.set(topic, provider);
}

/** The default key of the queues of a subscription to `topic`, or undefined when it has none. */
export function defaultQueueKey(topic: IEventTopic, subscription: IConstruct): kms.IKey | undefined {
  return queueKeys.get(topic)?.(subscription);
}

/** Whether subscriptions to `topic` get a queue key by default (without creating it). */
export function hasDefaultQueueKey(topic: IEventTopic): boolean {
  return queueKeys.has(topic);
}
