import {
  Annotations,
  Duration,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_iam as iam,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EventSubscription, SubscribeOptions } from './event-subscription';
import { IEventTopic, PublishOptions } from './event-topic-interface';
import { EventTopicAttributes, ImportedEventTopic } from './imported-event-topic';
import type { MessageBus } from './message-bus';
import { tlsOnly, TOPIC_ACTIONS } from './policies';
import { membersOf, setDefaultQueueKey, topicsOf } from './registry';
import { grantPublishOn, publishBacking, subscribeService } from './topic-wiring';
import { eventTopicOptionProblems } from './validation';
import { upperSnake } from '../private/naming';
import { Problems, show } from '../private/validation';
import { BackingService } from '../service/backing-service';
import { ITwelveFactorService } from '../service/service-interface';

const CLASS = 'EventTopic';

/**
 * Options for a topic of a `MessageBus`.
 */
export interface EventTopicOptions {
  /**
   * A FIFO topic: strict order per message group and exactly-once delivery to FIFO queues.
   * Its subscribers get FIFO queues; publishers must set a message group id.
   *
   * @default false, or the FIFO-ness of `topic` when one is brought
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-fifo-topics.html
   */
  readonly fifo?: boolean;

  /**
   * Deduplicate FIFO messages on a hash of their body, so publishers need not set a
   * deduplication id. FIFO topics only.
   *
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;

  /**
   * An existing topic to use instead of creating one. The bus adds its TLS-only statement to
   * the topic's policy when CDK manages that policy (a topic of this app); an imported topic
   * keeps its own policy and encryption, and a warning says so.
   *
   * @default - a new topic, encrypted with the bus's key and TLS only
   */
  readonly topic?: sns.ITopic;

  /**
   * The physical name of the topic. FIFO names end with `.fifo`.
   *
   * @default - a name CloudFormation generates
   */
  readonly topicName?: string;

  /**
   * The display name of the topic.
   *
   * @default - none
   */
  readonly displayName?: string;
}

/**
 * Properties of an `EventTopic`.
 */
export interface EventTopicProps extends EventTopicOptions {
  /** The bus the topic belongs to. */
  readonly bus: MessageBus;
  /** The event name: see `MessageBus.addTopic`. */
  readonly name: string;
}

/**
 * A topic of a `MessageBus`: services publish events to it
 * (`service.attach(topic.asBackingService())`) and subscribe to it through their own queues
 * (`subscribe`). Create it with `MessageBus.addTopic`.
 */
export class EventTopic extends Construct implements IEventTopic {
  /**
   * Imports a topic another app created (a topic of its `MessageBus`, or any SNS topic of this
   * account and Region), so that services of this app subscribe to it and publish to it as
   * they do to a topic of their own bus. Nothing is created until they do; then the queues,
   * dead-letter queues, alarms, scaling, SNS subscription and IAM policies land in their
   * stacks, and the topic's stack is not changed. Same account and Region only.
   *
   * @example
   * declare const users: TwelveFactorService;
   * declare const emailWorker: TwelveFactorService;
   *
   * const env = MicroserviceEnvironment.fromLookup(this, 'Env', { environmentName: 'store' });
   * const signups = EventTopic.fromEventTopicAttributes(this, 'UserSignup', {
   *   name: 'user-signup',
   *   topicArn: 'arn:aws:sns:eu-west-1:111111111111:store-user-signup',
   *   encryptionKeyArn: 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555',
   *   environment: env,
   * });
   * signups.subscribe(emailWorker);             // USER_SIGNUP_QUEUE_URL
   * users.attach(signups.asBackingService());   // USER_SIGNUP_TOPIC_ARN
   */
  public static fromEventTopicAttributes(scope: Construct, id: string, attrs: EventTopicAttributes): IEventTopic {
    return new ImportedEventTopic(scope, id, attrs);
  }

  /** The bus the topic belongs to. */
  public readonly bus: MessageBus;
  /** The event name, for example `user-signup`. */
  public readonly name: string;
  /** The SNS topic. */
  public readonly topic: sns.ITopic;
  /** Whether the topic is FIFO. */
  public readonly fifo: boolean;
  /** The prefix of the variables this topic injects by default, for example `USER_SIGNUP`. */
  public readonly envVarPrefix: string;
  /**
   * The alarm on deliveries SNS could not make (to a queue or a dead-letter queue), when the
   * bus has an alarm topic.
   */
  public readonly failedDeliveryAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: EventTopicProps) {
    super(scope, id);
    const p = Problems.ofConstruction(CLASS, this);
    p.addAll(eventTopicOptionProblems(scope, props?.name, props ?? {} as EventTopicProps));
    if (!props?.bus || !(props.bus instanceof Construct) || typeof (props.bus as MessageBus).addTopic !== 'function') {
      p.add(`\`bus\` ${show(props?.bus)} is not a MessageBus`);
    }
    const taken = p.any ? undefined : topicsOf(props.bus).get(props.name);
    if (taken) p.add(`\`name\` '${props.name}' is already a topic of ${props.bus.node.path} (${taken.topic.node.path}); give each topic of a bus its own name`);
    p.throwIfAny();
    this.bus = props.bus;
    this.name = props.name;
    this.envVarPrefix = upperSnake(props.name);
    this.fifo = props.fifo ?? props.topic?.fifo ?? false;
    // Subscriber queues are encrypted with the bus's key unless a subscription brings one.
    setDefaultQueueKey(this, () => this.bus.encryptionKey);
    topicsOf(props.bus).set(props.name, {
      topic: this,
      options: {
        fifo: props.fifo,
        contentBasedDeduplication: props.contentBasedDeduplication,
        topic: props.topic,
        topicName: props.topicName,
        displayName: props.displayName,
      },
    });

    if (props.topic) {
      this.topic = props.topic;
      const added = this.topic.addToResourcePolicy(tlsOnly(this.topic.topicArn, TOPIC_ACTIONS));
      if (!added.statementAdded) {
        Annotations.of(this).addWarningV2('cdk-microservices:importedTopic',
          `The topic ${this.topic.topicArn} is imported: CDK cannot add the TLS-only (aws:SecureTransport) statement to its policy nor check its encryption; make sure the topic's owner did.`);
      }
    } else {
      this.topic = new sns.Topic(this, 'Resource', {
        topicName: props.topicName,
        displayName: props.displayName,
        fifo: this.fifo || undefined,
        contentBasedDeduplication: props.contentBasedDeduplication,
        masterKey: this.bus.encryptionKey,
      });
      // TLS only for every topic action (aws-cdk's enforceSSL covers sns:Publish alone).
      this.topic.addToResourcePolicy(tlsOnly(this.topic.topicArn, TOPIC_ACTIONS));
    }

    // Valid but probably a mistake, known only once the tree is complete: messages published
    // to a topic nobody subscribes to are dropped.
    this.node.addValidation({
      validate: () => {
        if (membersOf(this).subscriptions.size === 0 && !props.topic) {
          Annotations.of(this).addWarningV2('cdk-microservices:topicWithoutSubscriber',
            `No service subscribes to the ${this.name} topic: SNS drops what is published to it. Subscribe a service with \`subscribe\`, or remove the topic.`);
        }
        return [];
      },
    });

    if (this.bus.alarmTopic) {
      this.failedDeliveryAlarm = new cloudwatch.Alarm(this, 'FailedDeliveryAlarm', {
        alarmDescription: `SNS could not deliver messages of the ${this.name} topic (${this.node.path}) to a subscriber queue or its dead-letter queue: check the queue and key policies`,
        metric: this.metricNumberOfNotificationsFailed(),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.failedDeliveryAlarm.addAlarmAction(new cloudwatchActions.SnsAction(this.bus.alarmTopic));
    }
  }

  /** The alarms of the topic itself (subscriptions have their own). */
  public get alarms(): cloudwatch.IAlarm[] {
    return this.failedDeliveryAlarm ? [this.failedDeliveryAlarm] : [];
  }

  /**
   * The services the topic is attached to as a backing service (`asBackingService`), in the
   * order they were attached. Grantees of `grantPublish` alone are not listed.
   */
  public get publishers(): ITwelveFactorService[] {
    return [...membersOf(this).publishers.values()].map((p) => p.service);
  }

  /**
   * The subscriptions, in the order they were made (by `subscribe` or by constructing an
   * `EventSubscription`).
   */
  public get subscriptions(): EventSubscription[] {
    return [...membersOf(this).subscriptions.values()];
  }

  /**
   * Lets a principal publish to this topic: `sns:Publish` on this topic only, and use of its
   * key. It injects nothing: to give a service the topic's ARN too, attach the topic with
   * `service.attach(topic.asBackingService())`.
   */
  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    return grantPublishOn(CLASS, this, grantee);
  }

  /**
   * The topic as a backing service the service publishes to:
   * `service.attach(topic.asBackingService())` grants `sns:Publish` on this topic only (and
   * use of its key), injects `<PREFIX>_TOPIC_ARN` into the service and its admin tasks, asks
   * the environment for its SNS endpoint, and lists the service among the `publishers`.
   * Attaching it to the same service again with the same prefix is a no-op.
   */
  public asBackingService(options: PublishOptions = {}): BackingService {
    return publishBacking(CLASS, this, options);
  }

  /**
   * Subscribes a service: creates, in the service's stack, its queue (FIFO when the topic
   * is) with a dead-letter queue, a dead-letter queue for the SNS subscription, the
   * subscription with the filter policy given, consume rights on that queue only, the
   * `<PREFIX>_QUEUE_URL` variable, alarms, and scaling on the backlog when
   * `acceptableLatency` is set. A service subscribes to a topic once.
   */
  public subscribe(service: ITwelveFactorService, options: SubscribeOptions = {}): EventSubscription {
    return subscribeService(CLASS, this, `${this.bus.node.id}-${this.name}`, service, options);
  }

  /** Messages published to the topic. */
  public metricNumberOfMessagesPublished(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.topic.metricNumberOfMessagesPublished({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...options });
  }

  /** Deliveries SNS could not make. */
  public metricNumberOfNotificationsFailed(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.topic.metricNumberOfNotificationsFailed({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...options });
  }
}
