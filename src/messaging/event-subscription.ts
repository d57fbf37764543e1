import {
  Annotations,
  Duration,
  Names,
  Stack,
  aws_applicationautoscaling as appscaling,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_kms as kms,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { EventTopic } from './event-topic';
import { envVarPrefix, filterPolicyProblems, tlsOnly } from './rules';
import { requireEndpoint } from '../environment/environment-support';
import { acknowledge } from '../private/acknowledge';
import { checkInt, checkKinds, known, Problems, refuseConstruction, show } from '../private/validation';
import { ITwelveFactorService } from '../service/service-interface';
import { addIntegrationVariable, integrationVariableTaken, isTwelveFactorService } from '../service/twelve-factor-service';

const CLASS = 'EventSubscription';
const MAX_VISIBILITY_SECONDS = 12 * 3600;
const MIN_RETENTION_SECONDS = 60;
const MAX_RETENTION_SECONDS = 14 * 24 * 3600;

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
   * @default - the bus's key
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
  readonly alarms?: boolean;

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
   *
   * @default false
   */
  readonly deploymentAlarms?: boolean;

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
  /** The topic subscribed to. */
  readonly topic: EventTopic;
  /** The service that consumes the messages. */
  readonly service: ITwelveFactorService;
}

/**
 * A service's subscription to an `EventTopic`: its own encrypted queue with dead-letter
 * queues, the SNS subscription, consume rights, alarms and backlog scaling. Create it with
 * `EventTopic.subscribe`, which places it under the service so that it lands in the
 * service's stack.
 */
export class EventSubscription extends Construct {
  /** The topic subscribed to. */
  public readonly topic: EventTopic;
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
    const problems = this.validate(props);
    if (problems.length > 0) refuseConstruction(CLASS, this, problems);
    const topic = props.topic;
    const service = props.service;
    this.topic = topic;
    this.service = service;
    const fifo = topic.fifo;

    const prefix = envVarPrefix(props, topic.envVarPrefix, []);
    this.envVarName = `${prefix}_QUEUE_URL`;

    // The dead-letter queue of the subscription: what SNS could not deliver.
    const key = props.encryptionKey ?? topic.bus.encryptionKey;
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

    if (props.alarms ?? true) {
      const alarms = this.createAlarms(props);
      this.deadLetterAlarm = alarms.deadLetter;
      this.subscriptionDeadLetterAlarm = alarms.subscriptionDeadLetter;
      this.oldestMessageAlarm = alarms.oldest;
      if (props.deploymentAlarms) {
        for (const alarm of this.alarms) service.addDeploymentAlarm(alarm);
      }
    }

    if (props.acceptableLatency !== undefined) {
      const processing = props.messageProcessingTime ?? Duration.seconds(1);
      this.backlogPerTaskTarget = known(props.acceptableLatency) && known(processing)
        ? Math.floor(props.acceptableLatency.toMilliseconds() / processing.toMilliseconds())
        : undefined;
      const scaling = this.configureBacklogScaling(service);
      this.backlogScalingPolicy = scaling.targetTracking;
      this.scaleFromZeroPolicy = scaling.fromZero;
    }
  }

  /** The alarms of the subscription, for the service's or a canary's deployment alarms. */
  public get alarms(): cloudwatch.IAlarm[] {
    return [this.deadLetterAlarm, this.subscriptionDeadLetterAlarm, this.oldestMessageAlarm]
      .filter((a): a is cloudwatch.Alarm => a !== undefined);
  }

  /** Messages waiting in the queue. */
  public metricVisibleMessages(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1), ...options });
  }

  /** The age of the oldest message in the queue, in seconds. */
  public metricOldestMessageAge(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1), ...options });
  }

  /** The service's running tasks, from Container Insights. */
  public metricRunningTasks(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: this.service.environment.cluster.clusterName, ServiceName: this.service.service.serviceName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
      ...options,
    });
  }

  /**
   * Visible messages per running task: the metric backlog scaling keeps at
   * `backlogPerTaskTarget`. With no task running it is the whole backlog.
   */
  public metricBacklogPerTask(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: BACKLOG_PER_TASK,
      usingMetrics: { messages: this.metricVisibleMessages(), tasks: this.metricRunningTasks() },
      label: `Backlog per task of ${this.service.node.path} on ${this.topic.name}`,
      period: Duration.minutes(1),
    });
  }

  private createAlarms(props: SubscribeOptions): SubscriptionAlarms {
    const action = new cloudwatchActions.SnsAction(this.service.environment.alarmTopic);
    const notEmpty = (id: string, queue: sqs.IQueue, what: string): cloudwatch.Alarm => {
      const alarm = new cloudwatch.Alarm(this, id, {
        alarmDescription: what,
        metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      return alarm;
    };
    const deadLetter = this.deadLetterQueue
      ? notEmpty('DeadLetterAlarm', this.deadLetterQueue, `${this.service.node.path} failed to process messages of the ${this.topic.name} topic ${props.maxReceiveCount ?? 10} times: they are in its dead-letter queue`)
      : undefined;
    const subscriptionDeadLetter = notEmpty('SubscriptionDeadLetterAlarm', this.subscriptionDeadLetterQueue,
      `SNS could not deliver messages of the ${this.topic.name} topic to the queue of ${this.service.node.path}: they are in the subscription's dead-letter queue`);
    const threshold = props.oldestMessageAgeThreshold ?? defaultAgeThreshold(props.retentionPeriod);
    const oldest = new cloudwatch.Alarm(this, 'OldestMessageAlarm', {
      alarmDescription: `A message of the ${this.topic.name} topic has waited more than ${threshold.toHumanString()} in the queue of ${this.service.node.path}`,
      metric: this.metricOldestMessageAge(),
      threshold: threshold.toSeconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    oldest.addAlarmAction(action);
    return { deadLetter, subscriptionDeadLetter, oldest };
  }

  /**
   * Target tracking on backlog per task through the customized metric specification with
   * metric math, which the CDK L2 does not accept (aws-cdk issue #34072), and a step policy
   * that starts the first task when none runs (target tracking cannot scale out from zero
   * capacity, Copilot issue #3376).
   */
  private configureBacklogScaling(service: ITwelveFactorService): BacklogScaling {
    const scaling = service.scaling!;
    const target = scaling.node.findChild('Target') as appscaling.ScalableTarget;
    const cluster = service.environment.cluster;
    if (cluster.node.scope !== service.environment) {
      Annotations.of(this).addWarningV2('cdk-microservices:containerInsights',
        'Backlog scaling divides by Container Insights\' RunningTaskCount: make sure the cluster you brought has Container Insights enabled, or the service scales as if one task ran and, with minTasks 0, adds a task a minute while messages wait.');
    }
    const queueName = this.queue.queueName;
    const targetTracking = new appscaling.CfnScalingPolicy(this, 'BacklogScaling', {
      policyName: Names.uniqueResourceName(this, { maxLength: 255, separator: '-' }),
      policyType: 'TargetTrackingScaling',
      scalingTargetId: target.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: this.backlogPerTaskTarget ?? 1,
        scaleOutCooldown: 60,
        scaleInCooldown: 120,
        customizedMetricSpecification: {
          metrics: [
            {
              id: 'messages',
              label: 'Visible messages',
              returnData: false,
              metricStat: {
                metric: {
                  namespace: 'AWS/SQS',
                  metricName: 'ApproximateNumberOfMessagesVisible',
                  dimensions: [{ name: 'QueueName', value: queueName }],
                },
                stat: 'Maximum',
              },
            },
            {
              id: 'tasks',
              label: 'Running tasks',
              returnData: false,
              metricStat: {
                metric: {
                  namespace: 'ECS/ContainerInsights',
                  metricName: 'RunningTaskCount',
                  dimensions: [
                    { name: 'ClusterName', value: cluster.clusterName },
                    { name: 'ServiceName', value: service.service.serviceName },
                  ],
                },
                stat: 'Average',
              },
            },
            { id: 'backlogPerTask', label: 'Backlog per task', expression: BACKLOG_PER_TASK, returnData: true },
          ],
        },
      },
    });
    let fromZero: appscaling.StepScalingPolicy | undefined;
    if (!known(service.minTasks) || service.minTasks === 0) {
      const id = `FromZero-${Names.uniqueId(this).slice(-40)}`;
      scaling.scaleOnMetric(id, {
        metric: new cloudwatch.MathExpression({
          expression: 'IF(FILL(tasks, 0) < 1, messages, 0)',
          usingMetrics: { messages: this.metricVisibleMessages(), tasks: this.metricRunningTasks() },
          label: 'Visible messages while no task runs',
          period: Duration.minutes(1),
        }),
        scalingSteps: [
          { upper: 0, change: 0 },
          { lower: 1, change: 1 },
        ],
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        cooldown: Duration.minutes(1),
        evaluationPeriods: 1,
        metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      });
      fromZero = target.node.findChild(id) as appscaling.StepScalingPolicy;
    }
    return { targetTracking, fromZero };
  }

  private validate(props: EventSubscriptionProps): string[] {
    const p = new Problems(CLASS, this);
    if (!props || typeof props !== 'object') return ['props are missing; pass at least `topic` and `service`'];
    if (!isTwelveFactorService(props.service)) return [`\`service\` ${show(props.service)} is not an ITwelveFactorService; pass a TwelveFactorService`];
    if (!props.topic || typeof (props.topic as EventTopic).subscribe !== 'function') return [`\`topic\` ${show(props.topic)} is not an EventTopic`];
    const o = checkKinds(p, props, [
      ['filterPolicy', 'map'], ['filterPolicyWithMessageBody', 'map'], ['rawMessageDelivery', 'boolean'],
      ['maxReceiveCount', 'number'], ['retentionPeriod', 'Duration'], ['deadLetterRetentionPeriod', 'Duration'],
      ['visibilityTimeout', 'Duration'], ['acceptableLatency', 'Duration'], ['messageProcessingTime', 'Duration'],
      ['alarms', 'boolean'], ['oldestMessageAgeThreshold', 'Duration'], ['deploymentAlarms', 'boolean'], ['envVarPrefix', 'string'],
    ]);
    const problems = p.all;
    const fifo = props.topic.fifo;
    const service = props.service;

    for (const problem of filterPolicyProblems(o.filterPolicy, o.filterPolicyWithMessageBody)) problems.push(problem);
    if (o.queue !== undefined) {
      if (typeof (o.queue as sqs.IQueue)?.queueArn !== 'string') {
        problems.push(`\`queue\` ${show(o.queue)} is not an sqs.IQueue`);
      } else {
        if (o.queue.fifo !== fifo) {
          problems.push(fifo
            ? '`queue` is a standard queue but the topic is FIFO; a FIFO topic delivers to FIFO queues only: bring a FIFO queue or let the subscription create one'
            : '`queue` is a FIFO queue but the topic is a standard topic, which cannot deliver to it: bring a standard queue or let the subscription create one');
        }
        if (o.queue instanceof sqs.Queue) {
          if (!o.queue.deadLetterQueue) problems.push('`queue` has no dead-letter queue; give it one (`deadLetterQueue`) or let the subscription create the queue');
          if (o.queue.encryptionType === sqs.QueueEncryption.UNENCRYPTED) problems.push('`queue` is not encrypted; encrypt it (KMS or SQS_MANAGED) or let the subscription create the queue');
          if (o.queue.encryptionType === sqs.QueueEncryption.KMS_MANAGED) {
            problems.push('`queue` is encrypted with the AWS managed key alias/aws/sqs, whose key policy cannot let SNS deliver; use a customer-managed key (KMS) or SQS_MANAGED');
          }
        }
        for (const prop of ['maxReceiveCount', 'retentionPeriod', 'deadLetterRetentionPeriod', 'visibilityTimeout', 'encryptionKey'] as const) {
          if (o[prop] !== undefined) problems.push(`\`${prop}\` configures the queue the subscription creates; it cannot change the \`queue\` you bring`);
        }
      }
    }
    if (o.encryptionKey !== undefined && typeof (o.encryptionKey as kms.IKey)?.keyArn !== 'string') {
      problems.push(`\`encryptionKey\` ${show(o.encryptionKey)} is not a kms.IKey`);
    }
    if (o.maxReceiveCount !== undefined) {
      const c = checkInt('maxReceiveCount', o.maxReceiveCount, 1, 1000);
      if (c) problems.push(c);
    }
    for (const prop of ['retentionPeriod', 'deadLetterRetentionPeriod'] as const) {
      const v = o[prop];
      if (known(v) && (v.toMilliseconds() % 1000 !== 0 || v.toSeconds() < MIN_RETENTION_SECONDS || v.toSeconds() > MAX_RETENTION_SECONDS)) {
        problems.push(`\`${prop}\` ${v.toHumanString()} is not valid; use whole seconds from 1 minute to 14 days`);
      }
    }
    const retention = o.retentionPeriod ?? Duration.days(4);
    const dlqRetention = o.deadLetterRetentionPeriod ?? Duration.days(14);
    if (o.queue === undefined && known(retention) && known(dlqRetention) && dlqRetention.toMilliseconds() < retention.toMilliseconds()) {
      problems.push(`\`deadLetterRetentionPeriod\` ${dlqRetention.toHumanString()} is shorter than the \`retentionPeriod\` ${retention.toHumanString()}: a message keeps its first enqueue time when it moves to a dead-letter queue, so it could expire there at once; keep dead letters at least as long`);
    }
    const visibility = o.visibilityTimeout;
    if (known(visibility)) {
      if (visibility.toMilliseconds() % 1000 !== 0 || visibility.toSeconds() > MAX_VISIBILITY_SECONDS) {
        problems.push(`\`visibilityTimeout\` ${visibility.toHumanString()} is not valid; use whole seconds up to 12 hours`);
      } else if (known(service.stopTimeout) && visibility.toSeconds() < service.stopTimeout.toSeconds()) {
        problems.push(`\`visibilityTimeout\` ${visibility.toHumanString()} is shorter than the \`stopTimeout\` ${service.stopTimeout.toHumanString()} of ${service.node.path}: a message held by a stopping task would be received again; use at least ${service.stopTimeout.toHumanString()}`);
      }
    }
    const prefix = envVarPrefix(o, props.topic.envVarPrefix, problems);
    if (integrationVariableTaken(service, `${prefix}_QUEUE_URL`)) {
      problems.push(`\`envVarPrefix\`: the variable ${prefix}_QUEUE_URL is already set on ${service.node.path}; pass another \`envVarPrefix\``);
    }
    if (o.alarms === false) {
      for (const prop of ['oldestMessageAgeThreshold', 'deploymentAlarms'] as const) {
        if (o[prop] !== undefined && o[prop] !== false) problems.push(`\`${prop}\` configures the subscription's alarms, which \`alarms: false\` turns off`);
      }
    }
    const age = o.oldestMessageAgeThreshold;
    if (known(age)) {
      if (age.toMilliseconds() % 1000 !== 0 || age.toSeconds() < 60) {
        problems.push(`\`oldestMessageAgeThreshold\` ${age.toHumanString()} is not valid; use whole seconds of at least 1 minute`);
      } else if (known(retention) && age.toMilliseconds() >= retention.toMilliseconds()) {
        problems.push(`\`oldestMessageAgeThreshold\` ${age.toHumanString()} is not shorter than the \`retentionPeriod\` ${retention.toHumanString()}: messages would be deleted before the alarm could go off`);
      }
    }
    // Backlog scaling.
    if (o.messageProcessingTime !== undefined && o.acceptableLatency === undefined) {
      problems.push('`messageProcessingTime` is used with `acceptableLatency` to scale on the backlog; set `acceptableLatency` too');
    }
    if (o.acceptableLatency !== undefined) {
      const latency = o.acceptableLatency;
      const processing = o.messageProcessingTime ?? Duration.seconds(1);
      if (!service.scaling) {
        problems.push(`\`acceptableLatency\` scales ${service.node.path} on its backlog, but the service cannot scale: give it a \`maxTasks\` above \`minTasks\` (${service.minTasks})`);
      }
      if (known(latency) && latency.toMilliseconds() <= 0) problems.push(`\`acceptableLatency\` ${latency.toHumanString()} is not valid; use a positive duration`);
      if (known(processing) && processing.toMilliseconds() <= 0) problems.push(`\`messageProcessingTime\` ${processing.toHumanString()} is not valid; use a positive duration`);
      if (known(latency) && known(processing) && latency.toMilliseconds() > 0 && processing.toMilliseconds() > 0
        && latency.toMilliseconds() < processing.toMilliseconds()) {
        problems.push(`\`acceptableLatency\` ${latency.toHumanString()} is shorter than \`messageProcessingTime\` ${processing.toHumanString()}: no backlog would be acceptable; use a latency of at least one processing time`);
      }
    }
    return problems;
  }
}

/**
 * Lets SNS use a queue's key for deliveries from topics of the key's account and Region;
 * false when the key policy cannot be changed (an imported key). Adding it for each
 * subscription is harmless: CDK renders identical statements of a policy once.
 *
 * The statement cannot name the topic's ARN: the topic is encrypted with the bus's key, so a
 * key policy naming the topic would make a dependency cycle. Which topic may send to a queue
 * is pinned by the queue policy (`aws:SourceArn` equal to that topic).
 */
function allowSnsToUseKey(key: kms.IKey): boolean {
  const stack = Stack.of(key);
  return key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowSnsToDeliverFromTopicsOfThisAccount',
    principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:sns:${stack.region}:${stack.account}:*` },
      StringEquals: { 'aws:SourceAccount': stack.account },
    },
  }), true).statementAdded;
}

interface SubscriptionAlarms {
  readonly deadLetter?: cloudwatch.Alarm;
  readonly subscriptionDeadLetter: cloudwatch.Alarm;
  readonly oldest: cloudwatch.Alarm;
}

interface BacklogScaling {
  readonly targetTracking: appscaling.CfnScalingPolicy;
  readonly fromZero?: appscaling.StepScalingPolicy;
}

const BACKLOG_PER_TASK = 'IF(FILL(tasks, 0) > 0, messages / FILL(tasks, 0), messages)';

/** 15 minutes, or half the retention period when that is shorter (the alarm must be able to go off). */
function defaultAgeThreshold(retention: Duration | undefined): Duration {
  const fifteen = Duration.minutes(15);
  if (!known(retention) || retention.toMilliseconds() > 2 * fifteen.toMilliseconds()) return fifteen;
  return Duration.seconds(Math.floor(retention.toMilliseconds() / 2000));
}

function maxDuration(a: Duration, b: Duration): Duration {
  if (!known(b)) return b;
  return a.toMilliseconds() >= b.toMilliseconds() ? a : b;
}
