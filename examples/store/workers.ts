/**
 * The workers team's app of the reference store: the email worker (scaled on its backlog, from
 * zero) and the billing worker (paid plans only), each consuming the platform's sign-up topic
 * from its own queue, and the daily replay of the email worker's dead letters.
 *
 * Like the users app, it finds the environment with `MicroserviceEnvironment.fromLookup` and
 * the topic through SSM: its templates hold no `Fn::ImportValue`.
 */
import {
  Duration,
  Stack,
  StackProps,
  aws_ecs as ecs,
  aws_events as events,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ENVIRONMENT_NAME, WORKER_HEALTH_CHECK, WORKERS } from './platform';
import { signupTopic } from './topics';
import { IMicroserviceEnvironment, MicroserviceEnvironment, ServiceDashboard, TwelveFactorService } from '../../src';

/** The sign-up workers of the reference store. */
export class WorkersStack extends Stack {
  public readonly platform: IMicroserviceEnvironment;
  public readonly emailWorker: TwelveFactorService;
  public readonly billingWorker: TwelveFactorService;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.platform = MicroserviceEnvironment.fromLookup(this, 'Env', { environmentName: ENVIRONMENT_NAME });
    const signups = signupTopic(this, this.platform);

    // Both workers run the sign-up worker image (services/workers, target signup-worker), each
    // with its handler.
    const signupWorkerImage = ecs.ContainerImage.fromAsset(WORKERS, { target: 'signup-worker' });
    this.emailWorker = new TwelveFactorService(this, 'EmailWorker', {
      environment: this.platform,
      image: signupWorkerImage,
      tracing: true,
      config: { SIGNUP_HANDLER: 'welcome-email' },
      user: 'node',
      scratchVolumePath: '/tmp',
      containerHealthCheck: WORKER_HEALTH_CHECK,
      minTasks: 0,
      maxTasks: 4,
      spotWeight: 1,
      onDemandBase: 0,
    });
    const emailSignups = signups.subscribe(this.emailWorker, {
      acceptableLatency: Duration.minutes(1),
      messageProcessingTime: Duration.seconds(2),
    });

    this.billingWorker = new TwelveFactorService(this, 'BillingWorker', {
      environment: this.platform,
      image: signupWorkerImage,
      tracing: true,
      config: { SIGNUP_HANDLER: 'invoice' },
      user: 'node',
      scratchVolumePath: '/tmp',
      containerHealthCheck: WORKER_HEALTH_CHECK,
      minTasks: 1,
      maxTasks: 2,
      stopTimeout: Duration.seconds(60),
    });
    signups.subscribe(this.billingWorker, {
      filterPolicy: { plan: sns.SubscriptionFilter.stringFilter({ allowlist: ['paid'] }) },
      rawMessageDelivery: true,
      enableDeploymentAlarms: true,
    });

    // Every day at 04:00 UTC, the sign-ups that went to the email worker's dead-letter queue are
    // sent back to its queue (the worker's `--replay` mode: receive from the DLQ, SendMessageBatch
    // to the queue, delete from the DLQ what SQS accepted, then exit). The task runs with the
    // service's task role (an admin process sees what the service sees), which is granted the
    // DLQ's receive and delete and the queue's send; the DLQ's URL is injected as
    // USER_SIGNUP_DLQ_URL next to the queue's USER_SIGNUP_QUEUE_URL.
    const emailDeadLetters = emailSignups.deadLetterQueue!;
    this.emailWorker.addEnvironment('USER_SIGNUP_DLQ_URL', emailDeadLetters.queueUrl);
    const replay = this.emailWorker.addAdminTask('replay-dead-letters', {
      command: ['node', 'dist/signup/main.js', '--replay'],
      schedule: events.Schedule.cron({ minute: '0', hour: '4' }),
    });
    emailDeadLetters.grantConsumeMessages(replay.taskDefinition.taskRole);
    emailSignups.queue.grantSendMessages(replay.taskDefinition.taskRole);

    // Each worker's backlog per task, oldest message age and dead-letter queues, with its tasks.
    new ServiceDashboard(this, 'EmailWorkerDashboard', { service: this.emailWorker, dashboardName: 'store-email-worker' });
    new ServiceDashboard(this, 'BillingWorkerDashboard', { service: this.billingWorker, dashboardName: 'store-billing-worker' });
  }
}
