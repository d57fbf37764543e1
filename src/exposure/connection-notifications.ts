/**
 * Connection notifications of a PrivateLink exposure: the events, the topic they go to (with
 * the topic and key policies that let `vpce.amazonaws.com` publish), and the checks of the
 * props that choose them.
 */
import { Annotations, Aws, Names, Stack, aws_ec2 as ec2, aws_iam as iam, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { PrivateLinkExposureProps } from './private-link-exposure';
import { sharingOf } from '../environment/sharing';
import { Problems, enumProblem, show } from '../private/validation';

/**
 * The events of an endpoint service that send a connection notification.
 */
export enum ConnectionEvent {
  /** A consumer asked to connect (an endpoint was created). */
  CONNECT = 'Connect',
  /** A connection request was accepted. */
  ACCEPT = 'Accept',
  /** A connection request was rejected. */
  REJECT = 'Reject',
  /** An endpoint connected to the service was deleted. */
  DELETE = 'Delete',
}

/**
 * Whether connection notifications are on: as asked, else when acceptance is required or a
 * topic is given.
 * @internal
 */
export function connectionNotificationsEnabled(props: PrivateLinkExposureProps): boolean {
  return props.enableConnectionNotifications ?? ((props.acceptanceRequired ?? true) || props.notificationTopic !== undefined);
}

/**
 * Records the problems of `enableConnectionNotifications`, `notificationTopic` and
 * `connectionEvents`.
 * @internal
 */
export function connectionNotificationProblems(p: Problems, props: PrivateLinkExposureProps): void {
  if (props.enableConnectionNotifications === false && props.notificationTopic !== undefined) {
    p.add('`notificationTopic` is given but `enableConnectionNotifications` is false; remove one of them');
  }
  if (props.enableConnectionNotifications === false && props.connectionEvents !== undefined) {
    p.add('`connectionEvents` is given but `enableConnectionNotifications` is false; remove one of them');
  }
  if (props.notificationTopic !== undefined && (props.notificationTopic === null || typeof props.notificationTopic.topicArn !== 'string')) {
    p.add(`\`notificationTopic\` ${show(props.notificationTopic)} is not an sns.ITopic`);
  }
  const events = props.connectionEvents;
  if (events !== undefined) {
    if (!Array.isArray(events) || events.length === 0) {
      p.add(`\`connectionEvents\` ${show(events)} is not a non-empty list of ConnectionEvent; leave it out for all four`);
    } else {
      events.forEach((event, i) => {
        const problem = enumProblem(`connectionEvents[${i}]`, event, ConnectionEvent, 'ConnectionEvent');
        if (problem) p.add(problem);
      });
    }
  }
  if (!connectionNotificationsEnabled(props) && events !== undefined && props.enableConnectionNotifications === undefined) {
    p.add('`connectionEvents` needs notifications, which are off when acceptance is not required; set `enableConnectionNotifications` to true');
  }
}

/**
 * The key policy statement that lets `vpce.amazonaws.com` encrypt connection notifications
 * for topics encrypted with the key, from endpoint services of its account:
 * https://docs.aws.amazon.com/vpc/latest/privatelink/create-endpoint-service.html#create-endpoint-service-notification
 * (an encrypted topic needs the key policy to allow the publishing service:
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
 * @internal
 */
export function notificationKeyStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'PrivateLinkConnectionNotifications',
    principals: [new iam.ServicePrincipal('vpce.amazonaws.com')],
    actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
    resources: ['*'],
    conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
  });
}

/**
 * Sends the endpoint service's connection notifications to the user's topic or a new one
 * encrypted with the environment's key (under `exposure`), with the policies that let
 * `vpce.amazonaws.com` publish; returns the topic.
 * @internal
 */
export function addConnectionNotifications(exposure: Construct, endpointServiceId: string, props: PrivateLinkExposureProps): sns.ITopic {
  const env = props.service.environment;
  const stack = Stack.of(exposure);
  const topic = props.notificationTopic ?? new sns.Topic(exposure, 'NotificationTopic', {
    displayName: `PrivateLink connections of ${props.service.node.path}`,
    masterKey: env.encryptionKey,
    enforceSSL: true,
  });
  const serviceArn = stack.formatArn({ service: 'ec2', resource: 'vpc-endpoint-service', resourceName: endpointServiceId });
  // A topic of the user may serve several exposures: statement ids must differ within a policy.
  const sid = props.notificationTopic ? `PrivateLinkConnectionNotifications${Names.uniqueId(exposure)}` : 'PrivateLinkConnectionNotifications';
  const topicStatement = topic.addToResourcePolicy(new iam.PolicyStatement({
    sid,
    principals: [new iam.ServicePrincipal('vpce.amazonaws.com')],
    actions: ['sns:Publish'],
    resources: [topic.topicArn],
    conditions: {
      StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
      ArnLike: { 'aws:SourceArn': serviceArn },
    },
  }));
  if (!topicStatement.statementAdded) {
    Annotations.of(exposure).addWarningV2('cdk-microservices:notificationTopicPolicy',
      'The notification topic is imported: its policy must let vpce.amazonaws.com publish (sns:Publish, with aws:SourceAccount and aws:SourceArn of this endpoint service), or connection notifications are not delivered.');
  }
  if (!props.notificationTopic) {
    const added = env.encryptionKey.addToResourcePolicy(notificationKeyStatement(), true);
    // An environment shared with team apps says so in its own key policy (shareEnvironment).
    if (!added.statementAdded && !sharingOf(env)?.imported) {
      Annotations.of(exposure).addWarningV2('cdk-microservices:notificationKey',
        'The environment\'s key is imported: its key policy must let vpce.amazonaws.com use it (kms:GenerateDataKey*, kms:Decrypt), or connection notifications are not delivered.');
    }
  }
  const notification = new ec2.CfnVPCEndpointConnectionNotification(exposure, 'ConnectionNotification', {
    serviceId: endpointServiceId,
    connectionNotificationArn: topic.topicArn,
    connectionEvents: [...new Set(props.connectionEvents ?? Object.values(ConnectionEvent))],
  });
  // EC2 may check that it can publish when the notification is created: policies first.
  const topicPolicy = topic instanceof sns.Topic ? topic.node.tryFindChild('Policy') : undefined;
  if (topicPolicy && Stack.of(topicPolicy) === stack) notification.node.addDependency(topicPolicy);
  if (!props.notificationTopic) notification.node.addDependency(env.encryptionKey);
  return topic;
}
