import {
  Annotations,
  Duration,
  Names,
  Stack,
  aws_applicationautoscaling as appscaling,
  aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_kms as kms,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BACKLOG_PER_TASK, configureBacklogScaling } from './backlog-scaling';
import type { IEventTopic } from './event-topic-interface';
import { allowSnsToUseKey, tlsOnly } from './policies';
import { defaultQueueKey, membersOf } from './registry';
import { createSubscriptionAlarms } from './subscription-alarms';
import { envVarPrefix, subscriptionProblems } from './validation';
import { requireEndpoint } from '../environment/environment-support';
import { acknowledge } from '../private/acknowledge';
import { known, Problems } from '../private/validation';
import { ITwelveFactorService } from '../service/service-interface';
import { addIntegrationVariable } from '../service/twelve-factor-service';

const CLASS = 'EventSubscription';

/**
 * Options for subscribing a service to a topic.
 */
export interface SubscribeOptions {
  /**
   * Deliver only messages whose message attributes match: a map of attribute name to
   * filter. At most 5 keys and 150 combinations of values (SNS limits).
   *
   * @default - every message (or the body filter)
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html
   */
  readonly filterPolicy?: { [attribute: string]: sns.SubscriptionFilter };

  /**
   * Deliver only messages whose JSON body matches, with nesting. Cannot be combined with
   * `filterPolicy`.
   *
   * @default - every message (or the attribute filter)
   */
  readonly filterPolicyWithMessageBody?: { [attribute: string]: sns.FilterOrPolicy };

  /**
   * Deliver the published message as is, without the SNS JSON envelope; message attributes
   * become SQS message attributes (at most 10).
   *
   * @default false
   */
  readonly rawMessageDelivery?: boolean;

  /**
   * An existing queue to deliver to instead of creating one. It must have the topic's
   * FIFO-ness, be encrypted and (when CDK manages it) have a dead-letter queue. The queue
   * options of this interface (`maxReceiveCount`, `retentionPeriod`,
   * `deadLetterRetentionPeriod`, `visibilityTimeout`, `encryptionKey`) configure a queue the
   * subscription creates and are refused with it.
   *
   * @default - a new queue with a dead-letter queue
   */
  readonly queue?: sqs.IQueue;

  /**
   * How many times a message is received before it moves to the dead-letter queue.
   *
   * @default 10
   */
  readonly maxReceiveCount?: number;

  /**
   * How long the queue keeps a message: 1 minute to 14 days.
   *
   * @default Duration.days(4)
   */
  readonly retentionPeriod?: Duration;

  /**
   * How long the dead-letter queues keep a message: 1 minute to 14 days, and not shorter
   * than `retentionPeriod` (a message keeps its first enqueue time in the dead-letter queue).
   *
   * @default Duration.days(14)
   */
  readonly deadLetterRetentionPeriod?: Duration;

  /**
   * How long a received message stays hidden from other consumers. It must be at least the
   * service's `stopTimeout`, so that a task being stopped can finish the message it holds
   * without another task receiving it too. At most 12 hours.
   *
   * @default - the longer of 30 seconds and the service's stop timeout
   */
  readonly visibilityTimeout?: Duration;

  /**
   * The customer-managed key that encrypts the queue and its dead-letter queues.
   *
   * @default - the bus's key for a topic of a bus of this app; for an imported topic
   * (`EventTopic.fromEventTopicAttributes`), its `queueEncryptionKey`
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Scale the service on its backlog: how long a message may wait before a task starts it.
   * With `messageProcessingTime` it gives the acceptable backlog per task
   * (`acceptableLatency / messageProcessingTime`), which a target tracking policy keeps
   * (the Copilot formula, as CloudWatch metric math: visible messages / running tasks).
   * When the service's `minTasks` is 0, a step policy starts the first task as soon as a
   * message waits. Needs `maxTasks` above `minTasks` on the service.
   *
   * @default - no backlog scaling
   */
  readonly acceptableLatency?: Duration;

  /**
   * How long a task takes to process one message on average; used with `acceptableLatency`.
   * Measure it: the acceptable backlog per task is `acceptableLatency / messageProcessingTime`.
   *
   * @default Duration.seconds(1)
   */
  readonly messageProcessingTime?: Duration;

  /**
   * Create the alarms: dead-letter queue not empty (the queue's and the subscription's) and
   * oldest message older than `oldestMessageAgeThreshold`. They notify the subscriber's
   * environment's alarm topic.
   *
   * @default true
   */
  readonly defaultAlarms?: boolean;

  /**
   * The age of the oldest message in the queue that sets the age alarm off. At least 1
   * minute and shorter than `retentionPeriod`.
   *
   * @default Duration.minutes(15), or half the `retentionPeriod` when that is shorter
   */
  readonly oldestMessageAgeThreshold?: Duration;

  /**
   * Roll an ECS deployment of the service back when the subscription's alarms go off
   * during it (adds them to the service's deployment alarms). Leave it off when old
   * messages may sit in the dead-letter queue, which would roll back every deployment.
   * Needs `defaultAlarms`.
   *
   * @default false
   */
  readonly enableDeploymentAlarms?: boolean;

  /**
   * The prefix of the injected variable: `<PREFIX>_QUEUE_URL`.
   *
   * @default - the topic's name in upper snake case, for example `USER_SIGNUP`
   */
  readonly envVarPrefix?: string;
}

/**
 * Properties of an `EventSubscription`.
 */
export interface EventSubscriptionProps extends SubscribeOptions {
  /** The topic subscribed to: a topic of a bus of this app, or one imported from another app. */
  readonly topic: IEventTopic;
  /** The service that consumes the messages. */
  readonly service: ITwelveFactorService;
}

/**
 * A service's subscription to an `EventTopic` (or a topic imported from another app): its
 * own encrypted queue with dead-letter queues, the SNS subscription, consume rights, alarms
 * and backlog scaling. Create it with `subscribe` on the topic, which places it under the
 * service so that it lands in the service's stack; one constructed directly counts as a
 * subscription of the topic as well.
 */
export class EventSubscription extends Construct {
  /** The topic subscribed to. */
  public readonly topic: IEventTopic;
  /** The consuming service. */
  public readonly service: ITwelveFactorService;
  /** The queue the service consumes. */
  public readonly queue: sqs.IQueue;
  /** The queue's dead-letter queue, when known (created, or the brought queue's). */
  public readonly deadLetterQueue?: sqs.IQueue;
  /** The dead-letter queue of the SNS subscription: messages SNS could not deliver. */
  public readonly subscriptionDeadLetterQueue: sqs.Queue;
  /** The SNS subscription. */
  public readonly subscription: sns.Subscription;
  /** The injected variable holding the queue URL. */
  public readonly envVarName: string;
  /** The filter policy scope: `MessageAttributes`, `MessageBody`, or undefined for none. */
  public readonly filterPolicyScope?: string;
  /** The alarm on messages in the queue's dead-letter queue, when alarms are on. */
  public readonly deadLetterAlarm?: cloudwatch.Alarm;
  /** The alarm on messages SNS could not deliver, when alarms are on. */
  public readonly subscriptionDeadLetterAlarm?: cloudwatch.Alarm;
  /** The alarm on the age of the oldest message, when alarms are on. */
  public readonly oldestMessageAlarm?: cloudwatch.Alarm;
  /** The acceptable backlog per task the scaling keeps, when backlog scaling is on. */
  public readonly backlogPerTaskTarget?: number;
  /** The target tracking policy on backlog per task, when backlog scaling is on. */
  public readonly backlogScalingPolicy?: appscaling.CfnScalingPolicy;
  /** The step policy that starts the first task from zero, when `minTasks` is 0. */
  public readonly scaleFromZeroPolicy?: appscaling.StepScalingPolicy;

  constructor(scope: Construct, id: string, props: EventSubscriptionProps) {
    super(scope, id);
    const p = Problems.ofConstruction(CLASS, this);
    p.addAll(subscriptionProblems(this, props));
    p.throwIfAny();
    const topic = props.topic;
    const service = props.service;
    this.topic = topic;
    this.service = service;
    const fifo = topic.fifo;

    const prefix = envVarPrefix(props, topic.envVarPrefix, []);
    this.envVarName = `${prefix}_QUEUE_URL`;

    // The dead-letter queue of the subscription: what SNS could not deliver. The default key
    // is the topic's choice (checked by subscriptionProblems): the bus's key for a topic of a
    // bus of this app, a key of the importing app for an imported topic.
    const key = props.encryptionKey ?? defaultQueueKey(topic, this)!;
    const deadLetterRetention = props.deadLetterRetentionPeriod ?? Duration.days(14);
    this.subscriptionDeadLetterQueue = new sqs.Queue(this, 'SubscriptionDeadLetterQueue', {
      fifo: fifo || undefined,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: deadLetterRetention,
    });
    acknowledge(this.subscriptionDeadLetterQueue, [
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This queue is the dead-letter queue of the SNS subscription (the RedrivePolicy of AWS::SNS::Subscription), which cdk-nag does not recognize; a dead-letter queue of a dead-letter queue would hold nothing.',
      },
    ]);

    if (props.queue) {
      this.queue = props.queue;
      this.deadLetterQueue = props.queue instanceof sqs.Queue ? props.queue.deadLetterQueue?.queue : undefined;
      const added = this.queue.addToResourcePolicy(tlsOnly(this.queue.queueArn, ['sqs:*'], 'DenyRequestsWithoutTls'));
      if (!added.statementAdded) {
        Annotations.of(this).addWarningV2('cdk-microservices:importedQueue',
          `The queue ${this.queue.queueArn} is imported: CDK cannot give it a TLS-only policy, a dead-letter queue or a policy that lets the topic send to it; make sure its owner did (SNS needs sqs:SendMessage with aws:SourceArn ${topic.node.path}).`);
      }
    } else {
      const dlq = new sqs.Queue(this, 'DeadLetterQueue', {
        fifo: fifo || undefined,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: key,
        enforceSSL: true,
        retentionPeriod: deadLetterRetention,
        // Naming the source queue here would make a dependency cycle (it names this one).
        redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
      });
      this.deadLetterQueue = dlq;
      this.queue = new sqs.Queue(this, 'Queue', {
        fifo: fifo || undefined,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: key,
        enforceSSL: true,
        retentionPeriod: props.retentionPeriod ?? Duration.days(4),
        visibilityTimeout: props.visibilityTimeout ?? maxDuration(Duration.seconds(30), service.stopTimeout),
        deadLetterQueue: { queue: dlq, maxReceiveCount: props.maxReceiveCount ?? 10 },
      });
    }

    // AWS Control Tower CT.SQS.PR.1: a queue without a redrive policy must say which queues
    // may use it as a dead-letter queue. Only the subscriber's queue may (it does not, so
    // nothing else can either): this queue is SNS's, not a queue's.
    (this.subscriptionDeadLetterQueue.node.defaultChild as sqs.CfnQueue).redriveAllowPolicy = {
      redrivePermission: 'byQueue',
      sourceQueueArns: [this.queue.queueArn],
    };

    // SNS may send to these queues from this topic only.
    this.queue.addToResourcePolicy(new iam.PolicyStatement({
      // One statement per topic: a queue brought to several topics gets one each.
      sid: `AllowTopic${Names.uniqueId(topic)}`.slice(0, 100),
      principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [this.queue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': topic.topic.topicArn } },
    }));
    const queueKey = props.queue ? props.queue.encryptionMasterKey : key;
    for (const k of new Set([key, queueKey])) {
      if (k && !allowSnsToUseKey(k)) {
        Annotations.of(this).addWarningV2('cdk-microservices:keyPolicy',
          `The key ${k.keyArn} is imported: CDK cannot change its key policy. Let sns.amazonaws.com use kms:GenerateDataKey* and kms:Decrypt on it for the topic ${topic.node.path}, or SNS cannot deliver to the queues it encrypts.`);
      }
    }

    const filterPolicy = props.filterPolicy;
    const bodyPolicy = props.filterPolicyWithMessageBody;
    this.filterPolicyScope = filterPolicy ? 'MessageAttributes' : bodyPolicy ? 'MessageBody' : undefined;
    this.subscription = new sns.Subscription(this, 'Resource', {
      topic: topic.topic,
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: this.queue.queueArn,
      rawMessageDelivery: props.rawMessageDelivery ?? false,
      filterPolicy,
      filterPolicyWithMessageBody: bodyPolicy,
      deadLetterQueue: this.subscriptionDeadLetterQueue,
    });
    const queuePolicy = this.queue instanceof sqs.Queue ? this.queue.node.tryFindChild('Policy') : undefined;
    if (queuePolicy) this.subscription.node.addDependency(queuePolicy);
    for (const k of [key, queueKey]) {
      if (k instanceof kms.Key && Stack.of(k) === Stack.of(this)) this.subscription.node.addDependency(k);
    }

    // The service consumes its own queue only.
    this.queue.grantConsumeMessages(service.taskRole);
    // Without a NAT gateway the task reaches SQS through the environment's endpoint.
    requireEndpoint(service.environment, ec2.InterfaceVpcEndpointAwsService.SQS);
    addIntegrationVariable(service, this.envVarName, this.queue.queueUrl, `${topic.node.path} subscribe`);

    if (props.defaultAlarms ?? true) {
      const alarms = createSubscriptionAlarms(this, props);
      this.deadLetterAlarm = alarms.deadLetter;
      this.subscriptionDeadLetterAlarm = alarms.subscriptionDeadLetter;
      this.oldestMessageAlarm = alarms.oldest;
      if (props.enableDeploymentAlarms) {
        for (const alarm of this.alarms) service.addDeploymentAlarm(alarm);
      }
    }

    if (props.acceptableLatency !== undefined) {
      const processing = props.messageProcessingTime ?? Duration.seconds(1);
      this.backlogPerTaskTarget = known(props.acceptableLatency) && known(processing)
        ? Math.floor(props.acceptableLatency.toMilliseconds() / processing.toMilliseconds())
        : undefined;
      const scaling = configureBacklogScaling(this);
      this.backlogScalingPolicy = scaling.targetTracking;
      this.scaleFromZeroPolicy = scaling.fromZero;
    }

    // The topic counts its subscriptions (and warns when it has none) however they were made.
    membersOf(topic).subscriptions.set(service.node.path, this);
  }

  /** The alarms of the subscription, for the service's or a canary's deployment alarms. */
  public get alarms(): cloudwatch.IAlarm[] {
    return [this.deadLetterAlarm, this.subscriptionDeadLetterAlarm, this.oldestMessageAlarm]
      .filter((a): a is cloudwatch.Alarm => a !== undefined);
  }

  /**
   * Messages waiting in the queue (SQS `ApproximateNumberOfMessagesVisible`): the maximum
   * over 1 minute unless `options` say otherwise.
   */
  public metricApproximateNumberOfMessagesVisible(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1), ...options });
  }

  /**
   * The age of the oldest message in the queue, in seconds (SQS
   * `ApproximateAgeOfOldestMessage`): the maximum over 1 minute unless `options` say otherwise.
   */
  public metricApproximateAgeOfOldestMessage(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1), ...options });
  }

  /**
   * Visible messages per running task (the service's `metricRunningTaskCount`): the metric
   * backlog scaling keeps at `backlogPerTaskTarget`. With no task running it is the whole
   * backlog. `options` apply to the expression (for example its `label` or `period`).
   */
  public metricBacklogPerTask(options: cloudwatch.MathExpressionOptions = {}): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: BACKLOG_PER_TASK,
      usingMetrics: { messages: this.metricApproximateNumberOfMessagesVisible(), tasks: this.service.metricRunningTaskCount() },
      label: `Backlog per task of ${this.service.node.path} on ${this.topic.name}`,
      period: Duration.minutes(1),
      ...options,
    });
  }
}

function maxDuration(a: Duration, b: Duration): Duration {
  if (!known(b)) return b;
  return a.toMilliseconds() >= b.toMilliseconds() ? a : b;
}
