/**
 * A worker (no port, no load balancer) with an SQS queue attached as a backing service.
 *
 * The assertions wait until ECS runs the one task and check that the task definition
 * carries the queue's URL in the variable the attachment injects.
 */
import { ExpectedResult, Match } from '@aws-cdk/integ-tests-alpha';
import {
  Duration,
  RemovalPolicies,
  Stack,
  aws_ecs as ecs,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { BackingService, MicroserviceEnvironment, StageProfile, TwelveFactorService } from '../src';
import { expectRunningTasks, integApp, integTest } from './common';

const app = integApp();
const stack = new Stack(app, 'IntegWorkerStack');

const environment = new MicroserviceEnvironment(stack, 'Env', {
  stageProfile: StageProfile.DEVELOPMENT,
  maxAzs: 2,
});

const deadLetters = new sqs.Queue(stack, 'DeadLetters', {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
  retentionPeriod: Duration.days(14),
});
const queue = new sqs.Queue(stack, 'Queue', {
  encryption: sqs.QueueEncryption.SQS_MANAGED,
  enforceSSL: true,
  deadLetterQueue: { queue: deadLetters, maxReceiveCount: 3 },
});

// nginx stands in for a worker: it keeps running without a port mapping (our props have
// no command for the app container, and an image like busybox would exit at once).
const worker = new TwelveFactorService(stack, 'Worker', {
  environment,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
  // nginx writes to /var/cache and /var/run.
  readonlyRootFilesystem: false,
  minTasks: 1,
  maxTasks: 2,
});
worker.attach(BackingService.sqsQueue(queue));

// Everything the test creates goes away with the stack (keys, log groups included).
RemovalPolicies.of(stack).destroy();

const integ = integTest(app, 'WorkerTest', stack);

expectRunningTasks(integ, environment.cluster, worker.service, 1);

// Match the whole answer (about 2.5 KB, under the 4 KB limit): ECS does not keep the order
// of environment variables, so a path such as `environment.1.name` would be flaky.
integ.assertions
  .awsApiCall('ECS', 'describeTaskDefinition', {
    taskDefinition: worker.taskDefinition.taskDefinitionArn,
  })
  .expect(ExpectedResult.objectLike({
    taskDefinition: {
      containerDefinitions: Match.arrayWith([
        Match.objectLike({
          environment: Match.arrayWith([{ name: 'QUEUE_URL', value: queue.queueUrl }]),
        }),
      ]),
    },
  }));

app.synth();
