/**
 * Delivery end to end: what AWS services, not our roles, deliver to our resources.
 *
 * The stack is a minimal MicroserviceEnvironment (one zone, no NAT gateway, no load
 * balancer, no task) and a ComplianceAlerts whose dead-letter alarms notify the
 * environment's alarm topic. A queue of the test (SQS-managed encryption) is subscribed to
 * that topic with raw message delivery, so that its messages are what CloudWatch published.
 *
 * 1. Alarm -> alarm topic -> queue. `SetAlarmState` forces the ComplianceAlerts consumer
 *    dead-letter alarm (built by the library, with the library's SNS action on
 *    `environment.alarmTopic`) into ALARM; a message naming that alarm, in state ALARM, with
 *    the reason the test gave, must arrive in the queue. This proves that CloudWatch may
 *    publish to the topic (its topic policy) and use the environment's key that encrypts it
 *    (its key policy), and that the topic delivers to SQS.
 *    SetAlarmState runs the alarm's actions only when the state changes
 *    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html):
 *    the consumer dead-letter alarm is one that stays out of ALARM whatever path 2 does (the
 *    delivery dead-letter alarm would go off by itself if path 2 failed, and a forced ALARM
 *    would then change nothing and send nothing).
 *    It does not prove that the alarm goes off by itself when its metric breaches: the state
 *    is forced.
 *
 * 2. Compliance change -> ComplianceAlerts rule -> encrypted topic -> encrypted queue.
 *    EventBridge refuses PutEvents entries whose source is an AWS service's
 *    (`NotAuthorizedForSourceException`,
 *    https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEventsResultEntry.html),
 *    so a test cannot put an `aws.config` event, and waiting for AWS Config needs a
 *    recorder the account may not have. Instead:
 *    a. EventBridge's own matcher (`TestEventPattern`) says that the pattern the library
 *       writes matches a Config compliance change of the documented shape, NON_COMPLIANT,
 *       and does not match the same change when COMPLIANT
 *       (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html,
 *       event shape from https://docs.aws.amazon.com/config/latest/developerguide/monitor-config-with-cloudwatchevents.html).
 *    b. In this test stack only, the deployed rule's `source` list also holds a test
 *       source (`TEST_SOURCE`); everything else of the rule is as the library writes it
 *       (detail-type, detail filters, target, retry policy, dead-letter queue), and the
 *       topic, key, subscription and queue are untouched. A compliance change with the
 *       test source is put on the default bus, and the same event (by the id EventBridge
 *       gave it) must arrive in the alerts queue. This proves the real rule's ARN is what
 *       the topic policy and the key policy let EventBridge publish with, and that SNS may
 *       use the key to deliver to the encrypted queue.
 *    It does not prove that AWS Config sends its events to the default bus with source
 *    `aws.config` (AWS documents it; 2a only shows the pattern would match), nor that a
 *    rule whose source list holds only `aws.config` behaves differently from the widened
 *    one (EventBridge evaluates the rule's ARN, not its pattern, in the policies).
 */
import { AwsApiCall, ExpectedResult, IApiCall, Match } from '@aws-cdk/integ-tests-alpha';
import {
  Aws,
  Duration,
  RemovalPolicies,
  Stack,
  aws_events as events,
  aws_sns_subscriptions as subscriptions,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { ComplianceAlerts, MicroserviceEnvironment, StageProfile } from '../src';
import { COMPLIANCE_CHANGE_EVENT, integApp, integTest } from './common';

const app = integApp();

const env = { region: 'us-east-1' };
const stack = new Stack(app, 'IntegDeliveryStack', { env });
const assertionStack = new Stack(app, 'IntegDeliveryAssertions', { env });

// The cheapest environment: one zone, no NAT gateway (isolated private subnets), no load
// balancer. Nothing runs in it; it brings the alarm topic and the key that encrypts it.
const environment = new MicroserviceEnvironment(stack, 'Env', {
  stageProfile: StageProfile.DEVELOPMENT,
  maxAzs: 1,
  natGateways: 0,
});

// A consumer of the alarm topic. Raw delivery: the SQS body is the message CloudWatch
// published (its JSON alarm notification), not SNS's envelope
// (https://docs.aws.amazon.com/sns/latest/dg/sns-large-payload-raw-message-delivery.html).
// SqsSubscription adds the queue policy that lets sns.amazonaws.com send from this topic only
// (aws:SourceArn); with SQS-managed encryption SNS needs no key permission for the queue
// (https://docs.aws.amazon.com/sns/latest/dg/sns-sqs-as-subscriber.html).
const alarmQueue = new sqs.Queue(stack, 'AlarmQueue', {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
  retentionPeriod: Duration.hours(1),
});
environment.alarmTopic.addSubscription(new subscriptions.SqsSubscription(alarmQueue, { rawMessageDelivery: true }));

const alerts = new ComplianceAlerts(stack, 'Alerts', { alarmTopic: environment.alarmTopic });

/** The source of the test's compliance changes: any source but an AWS service's may be put. */
const TEST_SOURCE = 'integ.cdk-microservices.config';

// The pattern the library writes, before the test widens the deployed one (2a tests this one).
const rule = alerts.rule.node.defaultChild as events.CfnRule;
const libraryPattern: unknown = stack.resolve(rule.eventPattern);
rule.addPropertyOverride('EventPattern.source', ['aws.config', TEST_SOURCE]);

// Everything the test creates goes away with the stack: the environment's key and log group
// (kept by default) and the alerts' key and queues.
RemovalPolicies.of(stack).destroy();

const integ = integTest(app, 'DeliveryTest', stack, assertionStack);

/**
 * Lets the roles of a call's providers (the call's and its waiter's) decrypt with the key
 * `keyArn`. The calls of a stack share their providers' functions and roles: each role gets
 * the statement once.
 */
const keyUsers = new Set<string>();
function decrypting(call: IApiCall, keyArn: string): IApiCall {
  const waiter = call instanceof AwsApiCall ? call.waiterProvider : undefined;
  for (const provider of [call.provider, waiter]) {
    if (!provider || keyUsers.has(`${provider.handlerRoleArn} ${keyArn}`)) continue;
    keyUsers.add(`${provider.handlerRoleArn} ${keyArn}`);
    provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [keyArn] });
  }
  return call;
}

/**
 * Waits until `queue` gives a message whose body (JSON) matches `body`. One message a
 * receive keeps the answer well under the 4 KB a custom resource may return; a message that
 * does not match stays hidden for the queue's visibility timeout, and a later try gets the
 * next one.
 */
function receives(queue: sqs.IQueue, body: Record<string, unknown>): IApiCall {
  return integ.assertions
    .awsApiCall('SQS', 'receiveMessage', { QueueUrl: queue.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 20 })
    .expect(ExpectedResult.objectLike({
      Messages: [Match.objectLike({ Body: Match.serializedJson(Match.objectLike(body)) })],
    }))
    .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(10) });
}

// 1. A forced alarm reaches the queue subscribed to the alarm topic.
const alarm = alerts.deadLetterAlarm!;
const REASON = 'Forced into ALARM by the cdk-microservices delivery integ test';
integ.assertions
  .awsApiCall('CloudWatch', 'setAlarmState', { AlarmName: alarm.alarmName, StateValue: 'ALARM', StateReason: REASON })
  // The notification's fields: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
  .next(receives(alarmQueue, { AlarmName: alarm.alarmName, NewStateValue: 'ALARM', NewStateReason: REASON }));

// 2a. EventBridge's matcher: the library's pattern matches a NON_COMPLIANT Config change, not a
// COMPLIANT one. The whole answer, not a path: the assertion handler reads a false (or 0) at a
// path as missing.
function matches(event: unknown, expected: boolean): void {
  integ.assertions
    .awsApiCall('EventBridge', 'testEventPattern', { EventPattern: JSON.stringify(libraryPattern), Event: JSON.stringify(event) })
    .expect(ExpectedResult.objectLike({ Result: expected }));
}
const configEvent = { ...COMPLIANCE_CHANGE_EVENT, account: Aws.ACCOUNT_ID, region: Aws.REGION };
matches(configEvent, true);
matches({
  ...configEvent,
  detail: {
    ...configEvent.detail,
    newEvaluationResult: { ...configEvent.detail.newEvaluationResult, complianceType: 'COMPLIANT' },
  },
}, false);

// 2b. A compliance change through the deployed rule reaches the alerts queue, as EventBridge
// put it (raw delivery: the body is the event). The alerts queue is encrypted with the alerts'
// key: receiving needs kms:Decrypt.
const put = integ.assertions
  .awsApiCall('EventBridge', 'putEvents', {
    Entries: [{
      Source: TEST_SOURCE,
      DetailType: COMPLIANCE_CHANGE_EVENT['detail-type'],
      Detail: JSON.stringify(COMPLIANCE_CHANGE_EVENT.detail),
    }],
  })
  // Accepted: EventBridge gave the entry an id (a failed entry has an ErrorCode instead).
  .assertAtPath('Entries.0.EventId', ExpectedResult.stringLikeRegexp('\\S'));
const eventId = put.getAttString('Entries.0.EventId');
put.next(decrypting(receives(alerts.queue!, {
  'id': eventId,
  'source': TEST_SOURCE,
  'detail-type': 'Config Rules Compliance Change',
  'detail': Match.objectLike({
    configRuleName: COMPLIANCE_CHANGE_EVENT.detail.configRuleName,
    newEvaluationResult: Match.objectLike({ complianceType: 'NON_COMPLIANT' }),
  }),
}), alerts.encryptionKey.keyArn));

app.synth();
