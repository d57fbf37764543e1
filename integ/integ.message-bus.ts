/**
 * A message bus: a publisher service, a `user-signup` topic and two subscriber services, each
 * with its own queue: `email` gets every signup, `billing` only those whose `plan` message
 * attribute is `paid`.
 *
 * The assertions publish to the topic themselves and read the subscribers' queues: a paid
 * signup reaches both queues, a free signup reaches the email queue and not the billing one.
 * They also ask IAM whether the services' roles may do what the bus granted, and no more.
 */
import { AwsApiCall, IApiCall } from '@aws-cdk/integ-tests-alpha';
import {
  Duration,
  RemovalPolicies,
  Stack,
  aws_ecs as ecs,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { MessageBus, MicroserviceEnvironment, StageProfile, TwelveFactorService } from '../src';
import { exactly, integApp, integTest } from './common';

const app = integApp();
const stack = new Stack(app, 'IntegMessageBusStack');

const environment = new MicroserviceEnvironment(stack, 'Env', {
  stageProfile: StageProfile.DEVELOPMENT,
  maxAzs: 2,
  natGateways: 1,
});

// No task has to run: the assertions publish and receive themselves. The services scale to
// zero, so nothing consumes the queues while the assertions read them (nginx would not read
// them anyway: it stands in for the real publisher and workers, as in integ.worker.ts).
const worker = (id: string): TwelveFactorService => new TwelveFactorService(stack, id, {
  environment,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
  // nginx writes to /var/cache and /var/run.
  readonlyRootFilesystem: false,
  minTasks: 0,
  maxTasks: 1,
});
const users = worker('Users');
const email = worker('Email');
const billing = worker('Billing');

const bus = new MessageBus(stack, 'Bus', { environment });
const signups = bus.addTopic('user-signup');
users.attach(signups.asBackingService());
const emailSubscription = signups.subscribe(email);
const billingSubscription = signups.subscribe(billing, {
  filterPolicy: { plan: sns.SubscriptionFilter.stringFilter({ allowlist: ['paid'] }) },
});

// Everything the test creates goes away with the stack (the bus's key included).
RemovalPolicies.of(stack).destroy();

const integ = integTest(app, 'MessageBusTest', stack);

// The topic and the queues are encrypted with the bus's key: publishing needs
// kms:GenerateDataKey* and kms:Decrypt, receiving kms:Decrypt. The API calls of a stack share
// one provider function and the waiters another: each role gets each action once, on this key only.
const keyActions = new Map<unknown, Set<string>>();
function allowKeyUse(call: IApiCall, actions: string[]): IApiCall {
  const waiter = call instanceof AwsApiCall ? call.waiterProvider : undefined;
  for (const provider of [call.provider, waiter]) {
    if (!provider) continue;
    const granted = keyActions.get(provider.handlerRoleArn) ?? new Set<string>();
    keyActions.set(provider.handlerRoleArn, granted);
    const missing = actions.filter((a) => !granted.has(a));
    if (missing.length === 0) continue;
    missing.forEach((a) => granted.add(a));
    provider.addToRolePolicy({ Effect: 'Allow', Action: missing, Resource: [bus.encryptionKey.keyArn] });
  }
  return call;
}

const PAID = 'integ-message-bus: a signup on the paid plan';
const FREE = 'integ-message-bus: a signup on the free plan';

function publish(body: string, plan: string): IApiCall {
  return allowKeyUse(integ.assertions.awsApiCall('SNS', 'publish', {
    TopicArn: signups.topic.topicArn,
    Message: body,
    MessageAttributes: { plan: { DataType: 'String', StringValue: plan } },
  }), ['kms:Decrypt', 'kms:GenerateDataKey*']);
}

/**
 * Waits until the queue hands out a message and checks it is `body`. Subscriptions are not
 * raw, so the SQS body is SNS's JSON envelope; the provider parses it and the assertion reads
 * the published text in its `Message` field. One message a call keeps the answer small.
 */
function receive(queueUrl: string, body: string): IApiCall {
  const call = integ.assertions
    .awsApiCall('SQS', 'receiveMessage', { QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 10 })
    .assertAtPath('Messages.0.Body.Message', exactly(body))
    .waitForAssertions({ totalTimeout: Duration.minutes(5), interval: Duration.seconds(10) });
  return allowKeyUse(call, ['kms:Decrypt']);
}

/** Deletes the message `received` got, so that a later receive cannot see it again. */
function deleteReceived(queueUrl: string, received: IApiCall): IApiCall {
  return integ.assertions.awsApiCall('SQS', 'deleteMessage', {
    QueueUrl: queueUrl,
    ReceiptHandle: received.getAttString('Messages.0.ReceiptHandle'),
  });
}

const emailQueue = emailSubscription.queue.queueUrl;
const billingQueue = billingSubscription.queue.queueUrl;

// 1. A paid signup reaches both queues; each copy is deleted once checked.
const publishPaid = publish(PAID, 'paid');
const emailGetsPaid = receive(emailQueue, PAID);
const billingGetsPaid = receive(billingQueue, PAID);
publishPaid
  .next(emailGetsPaid)
  .next(deleteReceived(emailQueue, emailGetsPaid))
  .next(billingGetsPaid)
  .next(deleteReceived(billingQueue, billingGetsPaid))
  // 2. A free signup reaches the email queue ...
  .next(publish(FREE, 'free'))
  .next(receive(emailQueue, FREE))
  // ... and not the billing queue. "Not delivered" is asserted as an answer holding no message
  // at all, exactly {} (an empty receive has no `Messages` key): the billing queue is empty
  // once its paid copy is deleted, so anything in it now is the free signup. SNS fans a message
  // out to all subscriptions at once and the email queue already has it; a long poll of 20
  // seconds (which asks every SQS server, not a sample) then leaves a late delivery time to show
  // up. One call, no waiter: retrying until the queue looks empty would pass on any empty moment.
  // Not ApproximateNumberOfMessages either: it lags, so it may read 0 before a delivery counts.
  .next(allowKeyUse(integ.assertions.awsApiCall('SQS', 'receiveMessage', {
    QueueUrl: billingQueue,
    MaxNumberOfMessages: 1,
    WaitTimeSeconds: 20,
  }), ['kms:Decrypt']).expect(exactly({})));

// 3. The grants, as IAM evaluates the services' task roles: the publisher may publish to the
// topic, and a subscriber may consume its own queue but not another subscriber's.
function decision(principal: TwelveFactorService, action: string, resource: string, expected: string): void {
  integ.assertions
    .awsApiCall('IAM', 'simulatePrincipalPolicy', {
      PolicySourceArn: principal.taskRole.roleArn,
      ActionNames: [action],
      ResourceArns: [resource],
    })
    .assertAtPath('EvaluationResults.0.EvalDecision', exactly(expected));
}
decision(users, 'sns:Publish', signups.topic.topicArn, 'allowed');
decision(billing, 'sqs:ReceiveMessage', billingSubscription.queue.queueArn, 'allowed');
decision(billing, 'sqs:ReceiveMessage', emailSubscription.queue.queueArn, 'implicitDeny');

app.synth();
