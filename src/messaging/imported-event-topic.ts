import {
  Annotations,
  Duration,
  RemovalPolicy,
  Stack,
  aws_cloudwatch as cloudwatch,
  aws_iam as iam,
  aws_kms as kms,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import type { EventSubscription, SubscribeOptions } from './event-subscription';
import { IEventTopic, PublishOptions } from './event-topic-interface';
import { membersOf, setDefaultQueueKey } from './registry';
import { grantPublishOn, publishBacking, subscribeService } from './topic-wiring';
import { eventTopicAttributesProblems, parseTopicArn, placementProblem } from './validation';
import { IMicroserviceEnvironment } from '../environment/environment-interface';
import { sharingOf } from '../environment/sharing';
import { denyGrantsNotForAwsResources } from '../private/kms';
import { upperSnake } from '../private/naming';
import { Problems } from '../private/validation';
import { BackingService } from '../service/backing-service';
import { ITwelveFactorService } from '../service/service-interface';

const CLASS = 'EventTopic';

/**
 * What a topic another app created is imported by (`EventTopic.fromEventTopicAttributes`).
 * The topic must be in this stack's account and Region.
 */
export interface EventTopicAttributes {
  /**
   * The ARN of the topic, for example the ARN of a topic of the platform app's `MessageBus`
   * (`EventTopic.topic.topicArn`): give the topic a `topicName` there to know it before
   * deploying, or pass it through an SSM parameter or context value.
   */
  readonly topicArn: string;

  /**
   * The event name, for example `user-signup`: it names the `<NAME>_TOPIC_ARN` variable of
   * publishers and the `<NAME>_QUEUE_URL` variable of subscribers, as in `MessageBus.addTopic`.
   */
  readonly name: string;

  /**
   * The environment the publishers and subscribers of this app run in, usually
   * `MicroserviceEnvironment.fromLookup`. A service of another environment that publishes or
   * subscribes gets a warning.
   */
  readonly environment: IMicroserviceEnvironment;

  /**
   * The ARN of the customer-managed KMS key that encrypts the topic (for a topic of a
   * `MessageBus`, the bus's `encryptionKey`). Publishers get `kms:GenerateDataKey*` and
   * `kms:Decrypt` on it through their IAM policy, which the key's policy must delegate to the
   * account (the default key policy CDK writes, and the bus's key, do).
   *
   * @default - publishers get no key rights, which suits a topic encrypted with the AWS managed
   * key `alias/aws/sns`; SNS refuses their messages to a topic encrypted with a customer-managed
   * key. A warning says so.
   */
  readonly encryptionKeyArn?: string;

  /**
   * Whether the topic is FIFO. Subscribers then get FIFO queues.
   *
   * @default - from `topicArn`: FIFO topic names end with `.fifo`; false when the ARN is a token
   */
  readonly fifo?: boolean;

  /**
   * The customer-managed key that encrypts the queues and dead-letter queues of this app's
   * subscriptions to the topic, unless a subscription brings its own (`encryptionKey`).
   * SNS must be allowed to use it (`kms:GenerateDataKey*`, `kms:Decrypt`): a key of this app
   * gets that statement; an imported key keeps its policy, and a warning says so.
   *
   * @default - a key created in this stack on the first subscription, with yearly rotation
   * (one key for all subscriptions to this import, about 1 USD a month)
   */
  readonly queueEncryptionKey?: kms.IKey;
}

/**
 * A topic of another app of the same account and Region, as this app's publishers and
 * subscribers use it. Nothing is created for the import itself: subscriptions create their
 * queues, alarms, scaling and SNS subscription in the subscriber's stack, publishers get an
 * IAM policy, and the topic's stack is never changed.
 *
 * Why subscriptions get a key of this app by default rather than the topic's key: SNS
 * encrypts what it delivers to a queue with the queue's key, so that key's policy must let
 * `sns.amazonaws.com` use it (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services).
 * A KMS grant cannot name a service principal, so only the key policy can, and this app
 * cannot change the policy of a key of another stack. The bus's key says so only once its
 * own app subscribes a queue encrypted with it; the environment's key does not say so at
 * all. A key whose policy this app owns costs about 1 USD a month and couples nothing to the
 * platform's key policy: the subscription works whatever the platform's app does.
 */
export class ImportedEventTopic extends Construct implements IEventTopic {
  public readonly name: string;
  public readonly topic: sns.ITopic;
  public readonly fifo: boolean;
  public readonly envVarPrefix: string;
  /** The environment of the publishers and subscribers. */
  public readonly environment: IMicroserviceEnvironment;
  private queueKey?: kms.IKey;

  constructor(scope: Construct, id: string, attrs: EventTopicAttributes) {
    super(scope, id);
    const p = Problems.ofConstruction(CLASS, this);
    p.addAll(eventTopicAttributesProblems(this, attrs));
    p.throwIfAny();
    this.name = attrs.name;
    this.envVarPrefix = upperSnake(attrs.name);
    this.environment = attrs.environment;
    this.queueKey = attrs.queueEncryptionKey;
    // An import by ARN: nothing of the topic's stack is referenced (no Fn::ImportValue), so
    // either app deploys on its own. With the key, `grantPublish` grants its use as well.
    this.topic = sns.Topic.fromTopicAttributes(this, 'Resource', {
      topicArn: attrs.topicArn,
      keyArn: attrs.encryptionKeyArn,
    });
    this.fifo = attrs.fifo ?? this.topic.fifo;
    if (attrs.encryptionKeyArn === undefined) {
      Annotations.of(this).addWarningV2('cdk-microservices:importedTopicKey',
        `No \`encryptionKeyArn\` for the topic ${attrs.topicArn}: its publishers get no right to use its key. If a customer-managed key encrypts it (a MessageBus topic), give the key's ARN, or SNS refuses what they publish.`);
    }
    setDefaultQueueKey(this, () => this.obtainQueueKey());
  }

  public get publishers(): ITwelveFactorService[] {
    return [...membersOf(this).publishers.values()].map((m) => m.service);
  }

  public get subscriptions(): EventSubscription[] {
    return [...membersOf(this).subscriptions.values()];
  }

  /**
   * Subscribes a service as `EventTopic.subscribe` does, in the service's stack (which must be
   * in the topic's account and Region). The SNS subscription names the topic by its ARN:
   * the topic's policy (the bus's TLS-only statement) does not restrict `sns:Subscribe` within
   * the account, so CloudFormation creates it with the deploying role's rights.
   */
  public subscribe(service: ITwelveFactorService, options: SubscribeOptions = {}): EventSubscription {
    return subscribeService(CLASS, this, this.node.id, service, options, (s) => this.checkService(s, 'subscribe'));
  }

  /**
   * The topic as a backing service the service publishes to, as `EventTopic.asBackingService`:
   * `sns:Publish` on the topic ARN and, with `encryptionKeyArn`, `kms:GenerateDataKey*` and
   * `kms:Decrypt` on that key, through the task role's IAM policy (the key policy delegates to
   * the account, so no change to the topic's stack is needed).
   */
  public asBackingService(options: PublishOptions = {}): BackingService {
    return publishBacking(CLASS, this, options, (s) => this.checkService(s, 'asBackingService'));
  }

  public grantPublish(grantee: iam.IGrantable): iam.Grant {
    return grantPublishOn(CLASS, this, grantee);
  }

  public metricNumberOfMessagesPublished(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.topic.metricNumberOfMessagesPublished({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...options });
  }

  public metricNumberOfNotificationsFailed(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.topic.metricNumberOfNotificationsFailed({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...options });
  }

  /**
   * The key of the queues of this app's subscriptions: the one given, or one created here on
   * first use (a publisher alone needs none). Its policy lets SNS use it for topics of this
   * account and Region (`allowSnsToUseKey`, added by each subscription, the same statement as
   * on the bus's key); each queue's policy pins this topic (`aws:SourceArn`). The consumers'
   * `kms:Decrypt` is an IAM grant: the key policy delegates to the account.
   */
  private obtainQueueKey(): kms.IKey {
    if (!this.queueKey) {
      const key = new kms.Key(this, 'QueueKey', {
        description: `Encrypts the queues of the subscriptions of ${Stack.of(this).stackName} to ${this.name}`,
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      denyGrantsNotForAwsResources(key);
      this.queueKey = key;
    }
    return this.queueKey;
  }

  /** Refuses a service of another account or Region; warns about one of another environment. */
  private checkService(service: ITwelveFactorService, method: string): void {
    const place = parseTopicArn(this.topic.topicArn);
    const problem = place ? placementProblem('topicArn', place, Stack.of(service)) : undefined;
    if (problem) Problems.reject(CLASS, this, `\`${method}\` ${service.node.path}: ${problem}`);
    if (!sameEnvironment(service.environment, this.environment)) {
      Annotations.of(this).addWarningV2('cdk-microservices:topicEnvironment',
        `${service.node.path} runs in ${service.environment.node.path}, not in the environment of the topic ${this.node.path} (${this.environment.node.path}): make sure it should reach this topic.`);
    }
  }
}

function sameEnvironment(a: IConstruct, b: IConstruct): boolean {
  if (a === b) return true;
  const sa = sharingOf(a);
  const sb = sharingOf(b);
  return sa !== undefined && sb !== undefined && sa.environmentName === sb.environmentName;
}
