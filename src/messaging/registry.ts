/**
 * What a topic knows of its publishers and subscriptions. Each construct or binding records
 * itself here when it is made (an `EventSubscription` in its own constructor, a publisher when
 * the topic's backing service binds), so a topic counts them however they were created.
 * Module-private: not exported from the package.
 */
import { aws_iam as iam } from 'aws-cdk-lib';
import type { EventSubscription } from './event-subscription';
import type { EventTopic } from './event-topic';
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

const members = new WeakMap<EventTopic, TopicMembers>();

/** The publishers and subscriptions of a topic (empty until one registers). */
export function membersOf(topic: EventTopic): TopicMembers {
  let found = members.get(topic);
  if (!found) {
    found = { publishers: new Map(), subscriptions: new Map() };
    members.set(topic, found);
  }
  return found;
}
