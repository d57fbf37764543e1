import {
  Annotations,
  Duration,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_events as events,
  aws_iam as iam,
  aws_kms as kms,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from '../private/acknowledge';
import { queueNotEmptyAlarm } from '../private/alarms';
import { checkRuleNames, complianceChangePattern } from '../private/compliance-events';
import { denyGrantsNotForAwsResources } from '../private/kms';
import { upperSnake } from '../private/naming';
import { checkInt, checkKinds, checkSeconds, enumProblem, Problems, show } from '../private/validation';
import { Access, BackingService } from '../service/backing-service';

const CLASS = 'ComplianceAlerts';

/** The longest an address may be (RFC 5321 path limit less the angle brackets). */
const MAX_EMAIL_LENGTH = 254;
const EMAIL = new RegExp(
  '^[A-Za-z0-9!#$%&\'*+/=?^_`{|}~-]+(\\.[A-Za-z0-9!#$%&\'*+/=?^_`{|}~-]+)*'
  + '@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,63}$',
);

/** How long EventBridge retries a delivery to the topic (its maximum), and how often. */
const MAX_EVENT_AGE = Duration.hours(24);
const RETRY_ATTEMPTS = 185;

/**
 * The result of an AWS Config evaluation, as `complianceType` in a compliance change event.
 *
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_EvaluationResult.html
 */
export enum ComplianceType {
  /** The resource breaks the rule. */
  NON_COMPLIANT = 'NON_COMPLIANT',
  /** The resource follows the rule (for example, again, after a remediation). */
  COMPLIANT = 'COMPLIANT',
  /** The rule does not apply to the resource. */
  NOT_APPLICABLE = 'NOT_APPLICABLE',
  /** AWS Config could not evaluate the resource (for example, the rule's Lambda failed). */
  INSUFFICIENT_DATA = 'INSUFFICIENT_DATA',
}

/**
 * Properties of `ComplianceAlerts`.
 */
export interface ComplianceAlertsProps {
  /**
   * The evaluation results to alert on: a change is sent when a resource's new result is one
   * of these. Duplicates are merged; an empty list is refused (omit the prop for the default).
   *
   * @default [ComplianceType.NON_COMPLIANT]
   */
  readonly complianceTypes?: ComplianceType[];

  /**
   * The AWS Config rules whose changes are sent, by name (for example
   * `rule.configRuleName`; tokens are accepted). Names are 1 to 128 letters, digits,
   * hyphens and underscores. Duplicates are merged; an empty list is refused (omit the prop
   * for every rule).
   *
   * @default - every rule of the account and Region, including other teams' rules
   */
  readonly ruleNames?: string[];

  /**
   * Email addresses to subscribe to the topic. Each recipient must confirm the subscription
   * from the email SNS sends. Duplicates (ignoring case) are merged; anything that is not an
   * email address is refused. An empty list subscribes nobody by email. Add more with
   * `addEmail()`.
   *
   * @default - no email subscription
   */
  readonly emails?: string[];

  /**
   * The topic that receives the compliance changes, instead of creating one. It must be a
   * standard (not FIFO) topic. CDK adds a statement to its policy that lets EventBridge
   * publish from this construct's rule, and lets EventBridge use its key when CDK manages
   * it; for an imported topic or key a warning says what to add by hand.
   *
   * @default - a new topic encrypted with `encryptionKey`, which accepts requests over TLS only
   */
  readonly topic?: sns.ITopic;

  /**
   * The customer-managed KMS key that encrypts the topic (when this construct creates it),
   * the queue and the dead-letter queues. CDK adds statements to its key policy that let
   * `events.amazonaws.com` use it (without `aws:SourceArn`/`aws:SourceAccount` conditions,
   * which EventBridge does not support for encrypted topics; the topic and queue policies
   * name the rule) and `sns.amazonaws.com` (topics of this account and Region); naming the
   * topic itself would make a dependency cycle. An imported key cannot be changed: a warning lists the
   * statements it needs.
   *
   * @default - a new key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Create an SQS queue subscribed to the topic, for an automated consumer (for example a
   * worker that restores the compliant state); attach it with `asBackingService()`. `false` skips
   * the queue, its dead-letter queue and the queue options below.
   *
   * @default true
   */
  readonly createQueue?: boolean;

  /**
   * Deliver the EventBridge event itself to the queue (the JSON with `source`,
   * `detail-type` and `detail`), instead of wrapping it in the SNS JSON envelope (where the
   * event is the escaped string in `Message`). Only with the queue.
   *
   * @default true
   */
  readonly rawMessageDelivery?: boolean;

  /**
   * How many times the consumer may receive a message before it moves to the queue's
   * dead-letter queue: 1 to 1000. Only with the queue.
   *
   * @default 5
   */
  readonly maxReceiveCount?: number;

  /**
   * How long a received message stays hidden from other consumers: whole seconds from 0 to
   * 12 hours. Only with the queue.
   *
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;

  /**
   * A topic for alarms that go off when a message lands in a dead-letter queue (an event
   * EventBridge or SNS could not deliver, or a message the consumer failed to process). It
   * must not be `topic`, whose consumer would get the alarms as compliance changes.
   *
   * @default - no alarm
   */
  readonly alarmTopic?: sns.ITopic;
}

/**
 * Options of `ComplianceAlerts.asBackingService()`.
 */
export interface ComplianceAlertsBackingOptions {
  /**
   * The prefix of the injected variable name (upper snake case): the queue URL is
   * `<PREFIX>_QUEUE_URL`.
   *
   * @default - the construct id in upper snake case, for example `COMPLIANCE_ALERTS` for
   * `ComplianceAlerts` (`COMPLIANCE_ALERTS_QUEUE_URL`)
   */
  readonly envVarPrefix?: string;
}

/**
 * Sends AWS Config compliance changes to people and to automated consumers, as the AWS
 * microservices guidance describes: an EventBridge rule on the default event bus matches
 * "Config Rules Compliance Change" events with the chosen results (NON_COMPLIANT unless
 * told otherwise); an SNS topic tells a group by email and puts the event on an SQS queue
 * for a consumer that restores the compliant state.
 *
 * Everything it creates is encrypted with one customer-managed key and refuses requests
 * without TLS. Nothing is lost quietly: EventBridge retries the topic for 24 hours (185
 * attempts) and then keeps the event in `deliveryDeadLetterQueue`, where SNS also keeps
 * what it could not deliver to the queue; what the consumer fails to process 5 times moves
 * to `deadLetterQueue`. Dead-letter queues keep messages 14 days, the queue 4 days.
 *
 * @see https://docs.aws.amazon.com/config/latest/developerguide/monitor-config-with-cloudwatchevents.html
 *
 * @example
 * declare const httpsOnly: config.ManagedRule;
 * declare const remediator: TwelveFactorService;
 *
 * const alerts = new ComplianceAlerts(this, 'ComplianceAlerts', {
 *   emails: ['platform@example.com'],
 *   ruleNames: [httpsOnly.configRuleName],
 * });
 * remediator.attach(alerts.asBackingService());
 */
export class ComplianceAlerts extends Construct {
  /** The EventBridge rule on the default event bus that matches the compliance changes. */
  public readonly rule: events.Rule;
  /** The topic the changes are published to (created, or the one brought). */
  public readonly topic: sns.ITopic;
  /** The key that encrypts the topic (when created here) and the queues (created, or the one brought). */
  public readonly encryptionKey: kms.IKey;
  /**
   * The queue the automated consumer reads, subscribed to the topic; undefined with
   * `createQueue: false`.
   */
  public readonly queue?: sqs.Queue;
  /** The queue's dead-letter queue: messages the consumer failed to process; undefined with `createQueue: false`. */
  public readonly deadLetterQueue?: sqs.Queue;
  /**
   * Where undeliverable changes are kept: events EventBridge could not publish to the topic
   * (with the `ERROR_CODE`, `ERROR_MESSAGE`, `RULE_ARN` and `TARGET_ARN` message attributes)
   * and messages SNS could not deliver to the queue.
   */
  public readonly deliveryDeadLetterQueue: sqs.Queue;
  /** The alarm on `deliveryDeadLetterQueue`, when `alarmTopic` is given. */
  public readonly deliveryDeadLetterAlarm?: cloudwatch.Alarm;
  /** The alarm on `deadLetterQueue`, when `alarmTopic` is given and there is a queue. */
  public readonly deadLetterAlarm?: cloudwatch.Alarm;

  private readonly emailAddresses = new Map<string, string>();
  private tokenEmails = 0;

  constructor(scope: Construct, id: string, props: ComplianceAlertsProps = {}) {
    super(scope, id);
    const p = Problems.ofConstruction(CLASS, this);
    p.addAll(this.validate(props));
    p.throwIfAny();

    if (props.encryptionKey) {
      this.encryptionKey = props.encryptionKey;
    } else {
      const key = new kms.Key(this, 'Key', {
        description: `Encrypts the compliance alerts of ${this.node.path}`,
        enableKeyRotation: true,
      });
      denyGrantsNotForAwsResources(key);
      this.encryptionKey = key;
    }
    const key = this.encryptionKey;

    this.topic = props.topic ?? new sns.Topic(this, 'Topic', {
      displayName: 'AWS Config compliance changes',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.topic instanceof sns.Topic && !props.topic.masterKey) {
      Annotations.of(this).addWarningV2('cdk-microservices:unencryptedTopic',
        `The topic ${props.topic.node.path} is not encrypted; compliance changes name resources of the account: give it a customer-managed key.`);
    }

    const complianceTypes = unique(props.complianceTypes ?? [ComplianceType.NON_COMPLIANT]);
    const ruleNames = props.ruleNames ? unique(props.ruleNames) : undefined;
    this.rule = new events.Rule(this, 'Resource', {
      description: `AWS Config compliance changes to ${complianceTypes.join(', ')}, to ${this.node.path}`,
      eventPattern: complianceChangePattern(ruleNames, complianceTypes),
    });

    // Undeliverable events and messages: kept 14 days.
    this.deliveryDeadLetterQueue = new sqs.Queue(this, 'DeliveryDeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(this.deliveryDeadLetterQueue, [{
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the EventBridge rule target and of the SNS subscription (DeadLetterConfig of AWS::Events::Rule, RedrivePolicy of AWS::SNS::Subscription), which cdk-nag does not recognize; a dead-letter queue of a dead-letter queue would hold nothing.',
    }]);
    this.deliveryDeadLetterQueue.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowRuleToKeepUndeliveredEvents',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [this.deliveryDeadLetterQueue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': this.rule.ruleArn } },
    }));

    // The rule publishes to the topic, with retries and the dead-letter queue.
    const topic = this.topic;
    const deadLetterArn = this.deliveryDeadLetterQueue.queueArn;
    this.rule.addTarget({
      bind: () => ({
        arn: topic.topicArn,
        targetResource: topic,
        deadLetterConfig: { arn: deadLetterArn },
        retryPolicy: { maximumEventAgeInSeconds: MAX_EVENT_AGE.toSeconds(), maximumRetryAttempts: RETRY_ATTEMPTS },
      }),
    });
    const published = topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowComplianceRuleToPublish',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { ArnEquals: { 'aws:SourceArn': this.rule.ruleArn } },
    }));
    if (!published.statementAdded) {
      Annotations.of(this).addWarningV2('cdk-microservices:importedTopic',
        `The topic ${topic.topicArn} is imported: CDK cannot change its policy. Let events.amazonaws.com use sns:Publish on it with aws:SourceArn ${this.rule.node.path}, or compliance changes end in the delivery dead-letter queue.`);
    }
    const keys = new Set<kms.IKey>([key]);
    if (topic.masterKey) keys.add(topic.masterKey);
    for (const k of keys) this.allowEventBridge(k);

    if (props.createQueue ?? true) {
      const queues = this.createQueue(props);
      this.queue = queues.queue;
      this.deadLetterQueue = queues.deadLetterQueue;
    }
    // AWS Control Tower CT.SQS.PR.1: a queue without a redrive policy must say which queues
    // may use it as a dead-letter queue. None does (it is EventBridge's and SNS's): name the
    // consumer queue, which does not use it, or allow all when there is no queue.
    (this.deliveryDeadLetterQueue.node.defaultChild as sqs.CfnQueue).redriveAllowPolicy = this.queue
      ? { redrivePermission: 'byQueue', sourceQueueArns: [this.queue.queueArn] }
      : { redrivePermission: 'allowAll' };

    for (const address of props.emails ?? []) this.subscribeEmail(address);

    if (props.alarmTopic) {
      const action = new cloudwatchActions.SnsAction(props.alarmTopic);
      this.deliveryDeadLetterAlarm = queueNotEmptyAlarm(this, 'DeliveryDeadLetterAlarm', this.deliveryDeadLetterQueue, action,
        `EventBridge or SNS could not deliver AWS Config compliance changes of ${this.node.path}: they are in its delivery dead-letter queue`);
      if (this.deadLetterQueue) {
        this.deadLetterAlarm = queueNotEmptyAlarm(this, 'DeadLetterAlarm', this.deadLetterQueue, action,
          `The consumer of ${this.node.path} failed to process compliance changes ${props.maxReceiveCount ?? 5} times: they are in its dead-letter queue`);
      }
    }
  }

  /** The email addresses subscribed to the topic by this construct, in the order added. */
  public get emails(): string[] {
    return [...this.emailAddresses.values()];
  }

  /**
   * Subscribes an email address to the topic; the recipient must confirm from the email SNS
   * sends. Adding an address already subscribed (ignoring case) does nothing.
   *
   * @param address an email address, for example `platform@example.com`, or a token
   */
  public addEmail(address: string): void {
    const problem = emailProblem('address', address);
    if (problem) Problems.reject(CLASS, this, `\`addEmail()\`: ${problem}`);
    this.subscribeEmail(address);
  }

  /**
   * The queue as a backing service of its consumer: `service.attach(alerts.asBackingService())`
   * lets the service receive and delete the queue's messages (and decrypt them with the key),
   * injects the queue URL as `<PREFIX>_QUEUE_URL`, and asks the service's environment for the
   * SQS interface endpoint, as `BackingService.sqsQueue()` does with `Access.READ`. Refused
   * with `createQueue: false`.
   *
   * @param options the prefix of the variable
   */
  public asBackingService(options: ComplianceAlertsBackingOptions = {}): BackingService {
    if (!this.queue) {
      Problems.reject(CLASS, this,
        '`asBackingService()` needs the queue, which `createQueue: false` turned off; subscribe the consumer to `topic` instead, or keep the queue',
      );
    }
    return BackingService.sqsQueue(this.queue, {
      access: Access.READ,
      envVarPrefix: options?.envVarPrefix ?? upperSnake(this.node.id),
    });
  }

  private subscribeEmail(address: string): void {
    const unresolved = Token.isUnresolved(address);
    const dedupe = unresolved ? address : address.toLowerCase();
    if (this.emailAddresses.has(dedupe)) return;
    this.emailAddresses.set(dedupe, address);
    // The address names the subscription, so that removing one address keeps the others
    // (a replaced email subscription must be confirmed again).
    const id = unresolved ? `EmailToken${++this.tokenEmails}` : `Email${address.toLowerCase()}`;
    new sns.Subscription(this, id, { topic: this.topic, protocol: sns.SubscriptionProtocol.EMAIL, endpoint: address });
  }

  private createQueue(props: ComplianceAlertsProps): { queue: sqs.Queue; deadLetterQueue: sqs.Queue } {
    const key = this.encryptionKey;
    const deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // Naming the source queue here would make a dependency cycle (it names this one).
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    const queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      visibilityTimeout: props.visibilityTimeout ?? Duration.seconds(30),
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 5 },
    });
    // SNS may send to the queue from this topic only.
    queue.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowComplianceTopicToSend',
      principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': this.topic.topicArn } },
    }));
    this.allowSns(key);
    const subscription = new sns.Subscription(this, 'QueueSubscription', {
      topic: this.topic,
      protocol: sns.SubscriptionProtocol.SQS,
      endpoint: queue.queueArn,
      rawMessageDelivery: props.rawMessageDelivery ?? true,
      deadLetterQueue: this.deliveryDeadLetterQueue,
    });
    // Subscribe once SNS may send to the queue and use its key.
    subscription.node.addDependency(queue.node.findChild('Policy'));
    if (key instanceof kms.Key && Stack.of(key) === Stack.of(this)) subscription.node.addDependency(key);
    return { queue, deadLetterQueue };
  }

  /**
   * Lets EventBridge use a key: to publish to a topic it encrypts and to keep undelivered
   * events in a queue it encrypts.
   *
   * No `aws:SourceArn` or `aws:SourceAccount` condition: the SNS developer guide says these
   * conditions are not supported for EventBridge publishing to encrypted topics, so with them
   * EventBridge cannot publish and every compliance change is dropped (and the delivery
   * dead-letter queue, encrypted with the same key, refuses it too). The statement is the one
   * the guide gives; what EventBridge may deliver where stays scoped by the topic and queue
   * policies, which do name this rule (`aws:SourceArn`).
   *
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
   * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html#eb-dlq-perms
   */
  private allowEventBridge(key: kms.IKey): void {
    const added = key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowEventBridgeToUseKey',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }), true);
    if (!added.statementAdded) {
      Annotations.of(this).addWarningV2('cdk-microservices:importedKey',
        `The key ${key.keyArn} is imported: CDK cannot change its key policy. Let events.amazonaws.com use kms:Decrypt and kms:GenerateDataKey* on it (without aws:SourceArn or aws:SourceAccount conditions, which EventBridge does not support for encrypted topics), or EventBridge cannot publish the compliance changes of ${this.node.path}.`);
    }
  }

  /** Lets SNS topics of this account and Region use a key to deliver to the queues it encrypts. */
  private allowSns(key: kms.IKey): void {
    const stack = Stack.of(this);
    const added = key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowSnsTopicsOfThisAccount',
      principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:sns:${stack.region}:${stack.account}:*` },
      },
    }), true);
    if (!added.statementAdded) {
      Annotations.of(this).addWarningV2('cdk-microservices:importedKeySns',
        `The key ${key.keyArn} is imported: CDK cannot change its key policy. Let sns.amazonaws.com use kms:Decrypt and kms:GenerateDataKey* on it (aws:SourceAccount ${stack.account}), or SNS cannot deliver to the queue of ${this.node.path}.`);
    }
  }

  private validate(props: ComplianceAlertsProps): string[] {
    if (props === null || typeof props !== 'object') return [`props ${show(props)} are not an object of ComplianceAlertsProps`];
    const p = new Problems(CLASS, this);
    const o = checkKinds(p, props, [
      ['complianceTypes', 'list of strings'], ['ruleNames', 'list of strings'], ['emails', 'list of strings'],
      ['createQueue', 'boolean'], ['rawMessageDelivery', 'boolean'], ['maxReceiveCount', 'number'], ['visibilityTimeout', 'Duration'],
    ]);

    if (o.complianceTypes !== undefined) {
      if (o.complianceTypes.length === 0) {
        p.add('`complianceTypes` is empty, which would match no change; omit it for NON_COMPLIANT, or name at least one ComplianceType');
      }
      for (const t of o.complianceTypes) {
        const problem = enumProblem('complianceTypes', t, ComplianceType, 'ComplianceType');
        if (problem) p.add(problem);
      }
    }
    checkRuleNames(p, o.ruleNames, 'would match no rule');
    for (const address of o.emails ?? []) {
      const problem = emailProblem('emails', address);
      if (problem) p.add(problem);
    }
    if (o.topic !== undefined) {
      if (typeof (o.topic as sns.ITopic)?.topicArn !== 'string') {
        p.add(`\`topic\` ${show(o.topic)} is not an sns.ITopic`);
      } else if (o.topic.fifo) {
        p.add('`topic` is a FIFO topic, which cannot deliver to email addresses and needs a message group for every event; bring a standard topic');
      }
    }
    if (o.encryptionKey !== undefined && typeof (o.encryptionKey as kms.IKey)?.keyArn !== 'string') {
      p.add(`\`encryptionKey\` ${show(o.encryptionKey)} is not a kms.IKey`);
    }
    if (o.alarmTopic !== undefined) {
      if (typeof (o.alarmTopic as sns.ITopic)?.topicArn !== 'string') {
        p.add(`\`alarmTopic\` ${show(o.alarmTopic)} is not an sns.ITopic`);
      } else if (o.alarmTopic === o.topic) {
        p.add('`alarmTopic` is the `topic`: its subscribers would get the alarms as compliance changes; use another topic');
      }
    }
    if (o.createQueue === false) {
      for (const prop of ['rawMessageDelivery', 'maxReceiveCount', 'visibilityTimeout'] as const) {
        if (o[prop] !== undefined) p.add(`\`${prop}\` configures the queue, which \`createQueue: false\` turns off; remove one of them`);
      }
    }
    const count = checkInt('maxReceiveCount', o.maxReceiveCount, 1, 1000);
    if (count) p.add(count);
    const visibility = checkSeconds('visibilityTimeout', o.visibilityTimeout, 0, 12 * 3600, '0 seconds to 12 hours');
    if (visibility) p.add(visibility);
    return p.all;
  }
}

/** The problem when a value is not an email address (tokens pass). */
function emailProblem(prop: string, address: unknown): string | undefined {
  if (typeof address === 'string' && Token.isUnresolved(address)) return undefined;
  if (typeof address === 'string' && address.length <= MAX_EMAIL_LENGTH && EMAIL.test(address) && address.indexOf('@') <= 64) return undefined;
  return `\`${prop}\` ${show(address)} is not an email address; use one such as platform@example.com`;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
