/**
 * What the platform's bus offers the teams' apps: the sign-up topic, by a name fixed in the
 * platform app, so that a team app knows its ARN at synth time without a lookup, encrypted
 * with the environment's key, whose ARN the environment document gives.
 */
import { Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EventTopic, IEventTopic, IMicroserviceEnvironment } from '../../src';

/** The event name: services get USER_SIGNUP_TOPIC_ARN, USER_SIGNUP_QUEUE_URL. */
export const SIGNUP_EVENT = 'user-signup';
/** The SNS topic's name (the platform sets it; team apps derive the ARN from it). */
export const SIGNUP_TOPIC_NAME = 'store-user-signup';

/** The platform's sign-up topic, imported in a team app's stack. */
export function signupTopic(scope: Construct, environment: IMicroserviceEnvironment): IEventTopic {
  return EventTopic.fromEventTopicAttributes(scope, 'Signups', {
    topicArn: Stack.of(scope).formatArn({ service: 'sns', resource: SIGNUP_TOPIC_NAME }),
    name: SIGNUP_EVENT,
    environment,
    encryptionKeyArn: environment.encryptionKey.keyArn,
  });
}
