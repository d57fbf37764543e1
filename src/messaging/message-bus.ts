import { RemovalPolicy, aws_kms as kms, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EventTopic, EventTopicOptions } from './event-topic';
import { topicsOf } from './registry';
import { eventTopicOptionProblems } from './validation';
import { IMicroserviceEnvironment } from '../environment/environment-interface';
import { isMicroserviceEnvironment } from '../environment/environment-support';
import { denyGrantsNotForAwsResources } from '../private/kms';
import { Problems, show } from '../private/validation';

const CLASS = 'MessageBus';

/**
 * Properties of a `MessageBus`.
 */
export interface MessageBusProps {
  /**
   * The environment whose services use the bus. Its alarm topic receives the bus's alarms
   * (deliveries SNS could not make) unless `alarmTopic` is given.
   *
   * @default - no environment: the bus's topic alarms notify `alarmTopic`, or are not
   * created when there is none (subscription alarms always notify the subscriber's
   * environment)
   */
  readonly environment?: IMicroserviceEnvironment;

  /**
   * The customer-managed KMS key that encrypts the bus's topics and, unless a subscription
   * brings its own, the subscriber queues. The bus lets SNS use it for deliveries from topics
   * of the key's account and Region (`aws:SourceArn` and `aws:SourceAccount`); naming each
   * topic would make a dependency cycle, since the topics are encrypted with the same key.
   * Each queue's policy pins the one topic that may send to it.
   *
   * A key you import (`kms.Key.fromKeyArn`) cannot be changed by CDK: its key policy must let
   * `sns.amazonaws.com` use `kms:GenerateDataKey*` and `kms:Decrypt`, or SNS cannot deliver
   * to the queues; a warning says so.
   *
   * @default - a new key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The topic the bus's own alarms notify.
   *
   * @default - the environment's alarm topic; none without an environment
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * A message bus between services, the way the AWS guidance pairs SNS with SQS: publishers
 * send events to SNS topics; each subscribing service gets its own encrypted SQS queue with
 * dead-letter queues, an optional filter policy and optional scaling on its backlog.
 *
 * @example
 * declare const env: MicroserviceEnvironment;
 * declare const users: TwelveFactorService;
 * declare const emailWorker: TwelveFactorService;
 *
 * const bus = new MessageBus(this, 'Bus', { environment: env });
 * const signups = bus.addTopic('user-signup');
 * users.attach(signups.asBackingService());   // USER_SIGNUP_TOPIC_ARN
 * signups.subscribe(emailWorker, {             // USER_SIGNUP_QUEUE_URL
 *   acceptableLatency: Duration.minutes(1),
 * });
 */
export class MessageBus extends Construct {
  /** The environment, when one was given. */
  public readonly environment?: IMicroserviceEnvironment;
  /** The key that encrypts the topics and, by default, the subscriber queues. */
  public readonly encryptionKey: kms.IKey;
  /** The topic the bus's alarms notify, when there is one. */
  public readonly alarmTopic?: sns.ITopic;


  constructor(scope: Construct, id: string, props: MessageBusProps = {}) {
    super(scope, id);
    const p = Problems.ofConstruction(CLASS, this);
    const given = props ?? {};
    if (typeof given !== 'object') {
      p.add(`props ${show(given)} are not a MessageBusProps object`);
      p.throwIfAny();
    }
    p.when(given.environment !== undefined && !isMicroserviceEnvironment(given.environment),
      `\`environment\` ${show(given.environment)} is not an IMicroserviceEnvironment; pass a MicroserviceEnvironment`);
    p.when(given.encryptionKey !== undefined && typeof (given.encryptionKey as kms.IKey)?.keyArn !== 'string',
      `\`encryptionKey\` ${show(given.encryptionKey)} is not a kms.IKey`);
    p.when(given.alarmTopic !== undefined && typeof (given.alarmTopic as sns.ITopic)?.topicArn !== 'string',
      `\`alarmTopic\` ${show(given.alarmTopic)} is not an sns.ITopic`);
    p.throwIfAny();

    this.environment = given.environment;
    this.alarmTopic = given.alarmTopic ?? given.environment?.alarmTopic;
    this.encryptionKey = given.encryptionKey ?? this.createKey();
  }

  /**
   * Adds a topic services publish events to, or returns the topic of that name when it was
   * added before with the same options.
   *
   * @param name the event name, for example `user-signup`: it names the topic's construct,
   * the `<NAME>_TOPIC_ARN` variable of publishers and the `<NAME>_QUEUE_URL` variable of
   * subscribers; letters, digits, hyphens and underscores.
   */
  public addTopic(name: string, options: EventTopicOptions = {}): EventTopic {
    const p = new Problems(CLASS, this);
    p.addAll(eventTopicOptionProblems(this, name, options ?? {}));
    if (!p.any && !topicsOf(this).has(name) && this.node.tryFindChild(name) !== undefined) {
      p.add(`\`name\` '${name}' is taken by another construct of the bus; choose another`);
    }
    p.throwIfAny();
    const existing = topicsOf(this).get(name);
    if (existing) {
      if (!sameOptions(existing.options, options ?? {})) {
        Problems.reject(CLASS, this,
          `\`addTopic\` '${name}' was already added with other options; add each topic once, or give the new one another name`,
        );
      }
      return existing.topic;
    }
    // The topic records itself with the bus in its constructor.
    return new EventTopic(this, name, { ...options, bus: this, name });
  }

  private createKey(): kms.Key {
    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the topics and subscriber queues of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    denyGrantsNotForAwsResources(key);
    return key;
  }

  /** The topics of the bus, in the order they were added. */
  public get topics(): EventTopic[] {
    return [...topicsOf(this).values()].map((t) => t.topic);
  }

  /**
   * The topic of that name.
   * @returns undefined when the bus has no topic of that name
   */
  public findTopic(name: string): EventTopic | undefined {
    return topicsOf(this).get(name)?.topic;
  }
}

function sameOptions(a: EventTopicOptions, b: EventTopicOptions): boolean {
  return (a.fifo ?? false) === (b.fifo ?? false)
    && (a.contentBasedDeduplication ?? false) === (b.contentBasedDeduplication ?? false)
    && a.topic === b.topic
    && a.topicName === b.topicName
    && a.displayName === b.displayName;
}
