/**
 * Compliance alerts: an EventBridge rule on AWS Config "Config Rules Compliance Change" events
 * that publishes to a KMS-encrypted SNS topic, with an email subscription (it stays pending:
 * nobody confirms it) and an SQS queue subscribed with raw message delivery.
 *
 * The assertions check that the rule is enabled on the compliance change events, and that the
 * topic delivers to the queue: they publish an event shaped like a Config compliance change to
 * the topic and receive it from the queue as is (raw delivery: the body is the event itself,
 * not SNS's JSON envelope). They do not wait for AWS Config: the account may have no recorder.
 * The path from the rule itself (EventBridge publishing to the encrypted topic) is proven by
 * integ.delivery.ts.
 */
import { AwsApiCall } from '@aws-cdk/integ-tests-alpha';
import { Duration, RemovalPolicies, Stack } from 'aws-cdk-lib';
import { ComplianceAlerts } from '../src';
import { COMPLIANCE_CHANGE_EVENT, exactly, expectComplianceChangeRule, integApp, integTest } from './common';

const app = integApp();

const env = { region: 'us-east-1' };
const stack = new Stack(app, 'IntegCompliance', { env });
const assertionStack = new Stack(app, 'IntegComplianceAssertions', { env });

const alerts = new ComplianceAlerts(stack, 'Alerts', { emails: ['platform@example.com'] });

// Everything the test creates goes away with the stack (the key and the queues included).
RemovalPolicies.of(stack).destroy();

const integ = integTest(app, 'ComplianceTest', stack, assertionStack);

// 1. The rule is enabled and matches AWS Config's compliance change events.
expectComplianceChangeRule(integ, alerts.rule.ruleName);

// 2. The topic delivers to the queue an event as AWS Config would send it.
const publish = integ.assertions.awsApiCall('SNS', 'publish', {
  TopicArn: alerts.topic.topicArn,
  Message: JSON.stringify(COMPLIANCE_CHANGE_EVENT),
});

// Raw delivery: the SQS body is the event; the provider parses it, so the path reads its
// fields (with SNS's envelope it would be Body.Message.detail...). One message a call keeps the
// answer small.
const receive = integ.assertions
  .awsApiCall('SQS', 'receiveMessage', { QueueUrl: alerts.queue!.queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 20 })
  .assertAtPath('Messages.0.Body.detail.newEvaluationResult.complianceType', exactly('NON_COMPLIANT'))
  .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(10) });

publish.next(receive);

// The topic and the queue are encrypted with the alerts' key: publishing needs
// kms:GenerateDataKey* and kms:Decrypt, receiving kms:Decrypt. The API calls of the assertion
// stack share one provider function (publish's; the receive's only starts its waiter), the
// waiter's checks another: each role gets the key actions once, on this key only.
publish.provider.addToRolePolicy({
  Effect: 'Allow',
  Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
  Resource: [alerts.encryptionKey.keyArn],
});
if (receive instanceof AwsApiCall) {
  receive.waiterProvider?.addToRolePolicy({
    Effect: 'Allow',
    Action: ['kms:Decrypt'],
    Resource: [alerts.encryptionKey.keyArn],
  });
}

app.synth();
