/**
 * The checks of the message bus: topic names and options, subscription options, filter
 * policies against SNS's limits. Each returns the problems it finds, for
 * MicroservicesValidationError.
 */
import { Duration, Stack, Token, aws_kms as kms, aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { EventSubscriptionProps } from './event-subscription';
import type { EventTopicOptions } from './event-topic';
import type { IEventTopic } from './event-topic-interface';
import type { EventTopicAttributes } from './imported-event-topic';
import { hasDefaultQueueKey, membersOf } from './registry';
import { isMicroserviceEnvironment } from '../environment/environment-support';
import { checkInt, checkKinds, envVarPrefixProblem, known, Problems, show } from '../private/validation';
import { integrationVariableTaken, isTwelveFactorService } from '../service/twelve-factor-service';

const MAX_VISIBILITY_SECONDS = 12 * 3600;
const MIN_RETENTION_SECONDS = 60;
const MAX_RETENTION_SECONDS = 14 * 24 * 3600;

/** SNS limits on a subscription filter policy. */
export const FILTER_POLICY_MAX_KEYS = 5;
/** The most value combinations a filter policy may have. */
export const FILTER_POLICY_MAX_COMBINATIONS = 150;
/** The largest filter policy, in bytes of JSON. */
export const FILTER_POLICY_MAX_BYTES = 256 * 1024;

/** The largest name a topic of the bus may have, leaving room for the `.fifo` suffix. */
export const TOPIC_NAME_MAX = 251;

/**
 * The problem with a topic name of the bus, which names the topic's construct, its env var
 * and its subscription queues: SNS topic-name characters (letters, digits, hyphens,
 * underscores), 1 to 251 long, so that `.fifo` still fits SNS's 256, starting with a letter
 * so that the variable names it gives are valid.
 */
export function topicNameProblem(prop: string, name: unknown): string | undefined {
  if (typeof name !== 'string') return `\`${prop}\` ${show(name)} is not a string`;
  if (Token.isUnresolved(name)) return `\`${prop}\` must be known at synth time: it names constructs and environment variables`;
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,250}$/.test(name)) {
    return `\`${prop}\` ${show(name)} is not valid; use 1 to ${TOPIC_NAME_MAX} letters, digits, hyphens and underscores, starting with a letter (it names the topic and the environment variables of its publishers and subscribers; the .fifo suffix of a FIFO topic is added for you)`;
  }
  if (Object.prototype.hasOwnProperty.call(Object.prototype, name)) {
    return `\`${prop}\` ${show(name)} is a reserved name; choose another`;
  }
  return undefined;
}

/** The problem with an explicit physical SNS topic name. */
export function physicalTopicNameProblem(name: string | undefined, fifo: boolean): string | undefined {
  if (name === undefined || Token.isUnresolved(name)) return undefined;
  const base = fifo ? name.replace(/\.fifo$/, '') : name;
  if (!/^[A-Za-z0-9_-]+$/.test(base) || name.length > 256) {
    return `\`topicName\` ${show(name)} is not a valid SNS topic name; use up to 256 letters, digits, hyphens and underscores${fifo ? ', ending in .fifo' : ''}`;
  }
  if (fifo && !name.endsWith('.fifo')) return `\`topicName\` ${show(name)} names a FIFO topic; end it with .fifo`;
  if (!fifo && name.endsWith('.fifo')) return `\`topicName\` ${show(name)} ends with .fifo, which SNS keeps for FIFO topics; set \`fifo: true\` or drop the suffix`;
  return undefined;
}

interface FilterShape {
  readonly keys: number;
  readonly combinations: number;
  readonly problems: string[];
}

function conditionsOf(value: unknown): unknown[] | undefined {
  if (value instanceof sns.SubscriptionFilter) return value.conditions;
  return undefined;
}

/** Checks one level of a filter policy: its keys and each key's conditions. */
function shape(prop: string, policy: unknown, depth: number, path: string): FilterShape {
  const problems: string[] = [];
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) {
    return { keys: 0, combinations: 1, problems: [`\`${prop}\`${path} ${show(policy)} is not a map of attribute names to filters`] };
  }
  let keys = 0;
  let combinations = 1;
  for (const [key, value] of Object.entries(policy as { [k: string]: unknown })) {
    // Keys are counted at the leaves: a nested policy's own name is a path, not a key.
    if (!(value instanceof sns.Policy)) keys += 1;
    const where = `${path}.${key}`;
    if (key.length === 0) problems.push(`\`${prop}\` has an empty attribute name; name each attribute`);
    if (prop === 'filterPolicy') {
      const conditions = conditionsOf(value);
      if (!conditions) {
        problems.push(`\`${prop}\`${where} ${show(value)} is not an sns.SubscriptionFilter; use for example sns.SubscriptionFilter.stringFilter({ allowlist: ['a'] })`);
        continue;
      }
      if (conditions.length === 0) problems.push(`\`${prop}\`${where} has no condition, so it would match nothing; give it at least one`);
      combinations *= Math.max(conditions.length, 1);
    } else {
      const fp = value as sns.FilterOrPolicy;
      if (!(value instanceof sns.FilterOrPolicy)) {
        problems.push(`\`${prop}\`${where} ${show(value)} is not an sns.FilterOrPolicy; use sns.FilterOrPolicy.filter(...) or sns.FilterOrPolicy.policy({...})`);
        continue;
      }
      if (fp.isFilter()) {
        const conditions = conditionsOf((fp as sns.Filter).filterDoc);
        if (!conditions) {
          problems.push(`\`${prop}\`${where} holds no sns.SubscriptionFilter`);
          continue;
        }
        if (conditions.length === 0) problems.push(`\`${prop}\`${where} has no condition, so it would match nothing; give it at least one`);
        // SNS counts a nested filter's values once per level of nesting.
        combinations *= Math.max(conditions.length, 1) * depth;
      } else {
        const inner = shape(prop, (fp as sns.Policy).policyDoc, depth + 1, where);
        if (inner.keys === 0) problems.push(`\`${prop}\`${where} is an empty nested policy; give it at least one attribute`);
        keys += inner.keys;
        combinations *= inner.combinations;
        problems.push(...inner.problems);
      }
    }
  }
  if (keys === 0 && depth === 1) problems.push(`\`${prop}\` is empty; give at least one attribute or leave it unset`);
  return { keys, combinations, problems };
}

/**
 * The problems with a subscription's filter policies: SNS's limits (five keys, 150
 * combinations of values, 256 KB), malformed filters, and both scopes at once.
 * @see https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
 */
export function filterPolicyProblems(
  filterPolicy: unknown,
  filterPolicyWithMessageBody: unknown,
): string[] {
  const problems: string[] = [];
  if (filterPolicy !== undefined && filterPolicyWithMessageBody !== undefined) {
    return ['`filterPolicy` (message attributes) and `filterPolicyWithMessageBody` (message body) cannot both be set: SNS applies one filter policy scope per subscription'];
  }
  for (const [prop, policy] of [['filterPolicy', filterPolicy], ['filterPolicyWithMessageBody', filterPolicyWithMessageBody]] as const) {
    if (policy === undefined) continue;
    const s = shape(prop, policy, 1, '');
    problems.push(...s.problems);
    if (s.problems.length > 0) continue;
    if (s.keys > FILTER_POLICY_MAX_KEYS) {
      problems.push(`\`${prop}\` has ${s.keys} keys; SNS allows at most ${FILTER_POLICY_MAX_KEYS}`);
    }
    if (s.combinations > FILTER_POLICY_MAX_COMBINATIONS) {
      problems.push(`\`${prop}\` has ${s.combinations} combinations of values; SNS allows at most ${FILTER_POLICY_MAX_COMBINATIONS} (the product of the number of values of each key)`);
    }
    let bytes = 0;
    try {
      bytes = Buffer.byteLength(JSON.stringify(renderFilter(prop, policy)), 'utf8');
    } catch {
      bytes = 0;
    }
    if (bytes > FILTER_POLICY_MAX_BYTES) {
      problems.push(`\`${prop}\` is ${bytes} bytes of JSON; SNS allows at most ${FILTER_POLICY_MAX_BYTES}`);
    }
  }
  return problems;
}

/** The JSON SNS receives for a filter policy, for size checks and the summary. */
export function renderFilter(prop: string, policy: unknown): unknown {
  const out: { [k: string]: unknown } = {};
  for (const [key, value] of Object.entries(policy as { [k: string]: unknown })) {
    if (prop === 'filterPolicy') {
      out[key] = conditionsOf(value);
    } else {
      const fp = value as sns.FilterOrPolicy;
      out[key] = fp.isFilter() ? conditionsOf((fp as sns.Filter).filterDoc) : renderFilter(prop, (fp as sns.Policy).policyDoc);
    }
  }
  return out;
}

/** The problems of a topic's name and options, before anything is created. */
export function eventTopicOptionProblems(scope: IConstruct, name: unknown, options: EventTopicOptions): string[] {
  const problems: string[] = [];
  const nameProblem = topicNameProblem('name', name);
  if (nameProblem) problems.push(nameProblem);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    return [...problems, `\`options\` ${show(options)} is not an EventTopicOptions object`];
  }
  const p = new Problems('EventTopic', scope);
  const o = checkKinds(p, options, [['fifo', 'boolean'], ['contentBasedDeduplication', 'boolean'], ['topicName', 'string'], ['displayName', 'string']]);
  problems.push(...p.all);
  if (o.topic !== undefined && typeof (o.topic as sns.ITopic)?.topicArn !== 'string') {
    problems.push(`\`topic\` ${show(o.topic)} is not an sns.ITopic`);
    return problems;
  }
  const fifo = o.fifo ?? o.topic?.fifo ?? false;
  if (o.topic) {
    if (o.fifo !== undefined && o.topic.fifo !== o.fifo) {
      problems.push(`\`fifo\` ${o.fifo} contradicts \`topic\`, which is ${o.topic.fifo ? 'a FIFO' : 'a standard'} topic; leave \`fifo\` unset to follow the topic`);
    }
    for (const prop of ['contentBasedDeduplication', 'topicName', 'displayName'] as const) {
      if (o[prop] !== undefined) problems.push(`\`${prop}\` configures a topic the bus creates; it cannot change the \`topic\` you bring`);
    }
    if (o.topic instanceof sns.Topic && !o.topic.masterKey) {
      problems.push('`topic` is not encrypted; give it a customer-managed `masterKey` or let the bus create the topic');
    }
  }
  if (o.contentBasedDeduplication && !fifo) {
    problems.push('`contentBasedDeduplication` applies to FIFO topics only; set `fifo: true` or remove it');
  }
  const physical = physicalTopicNameProblem(o.topicName, fifo);
  if (physical) problems.push(physical);
  if (o.displayName !== undefined && !Token.isUnresolved(o.displayName) && o.displayName.length > 100) {
    problems.push(`\`displayName\` is ${o.displayName.length} characters; SNS allows at most 100`);
  }
  return problems;
}

/** The env var prefix from options, recording a problem when it is not valid. */
export function envVarPrefix(options: { readonly envVarPrefix?: string } | undefined, fallback: string, problems: string[]): string {
  const given = options?.envVarPrefix;
  if (given === undefined) return fallback;
  const problem = envVarPrefixProblem(given);
  if (problem) {
    problems.push(problem);
    return fallback;
  }
  return given;
}

/**
 * The problems of a subscription's props, before anything is created: the kinds of the
 * options, SNS's and SQS's limits, the queue brought, the alarms and the backlog scaling, and
 * a service that already subscribes to the topic.
 */
export function subscriptionProblems(scope: IConstruct, props: EventSubscriptionProps): string[] {
  const p = new Problems('EventSubscription', scope);
  if (!props || typeof props !== 'object') return ['props are missing; pass at least `topic` and `service`'];
  if (!isTwelveFactorService(props.service)) return [`\`service\` ${show(props.service)} is not an ITwelveFactorService; pass a TwelveFactorService`];
  if (!props.topic || typeof (props.topic as IEventTopic).subscribe !== 'function') {
    return [`\`topic\` ${show(props.topic)} is not an EventTopic; pass a topic of a MessageBus or one imported with EventTopic.fromEventTopicAttributes`];
  }
  // The variable and the rest would clash with the first subscription: this is the cause.
  if (membersOf(props.topic).subscriptions.has(props.service.node.path)) {
    return [`\`service\`: ${props.service.node.path} already subscribes to the ${props.topic.name} topic; subscribe a service to a topic once (use one filter policy that covers what it needs)`];
  }
  const o = checkKinds(p, props, [
    ['filterPolicy', 'map'], ['filterPolicyWithMessageBody', 'map'], ['rawMessageDelivery', 'boolean'],
    ['maxReceiveCount', 'number'], ['retentionPeriod', 'Duration'], ['deadLetterRetentionPeriod', 'Duration'],
    ['visibilityTimeout', 'Duration'], ['acceptableLatency', 'Duration'], ['messageProcessingTime', 'Duration'],
    ['defaultAlarms', 'boolean'], ['oldestMessageAgeThreshold', 'Duration'], ['enableDeploymentAlarms', 'boolean'], ['envVarPrefix', 'string'],
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
  } else if (o.encryptionKey === undefined && !hasDefaultQueueKey(props.topic)) {
    problems.push(`\`encryptionKey\` is needed: the topic ${props.topic.node.path} gives its subscriptions no key; give the customer-managed key that encrypts the queues`);
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
  if (o.defaultAlarms === false) {
    for (const prop of ['oldestMessageAgeThreshold', 'enableDeploymentAlarms'] as const) {
      if (o[prop] !== undefined && o[prop] !== false) problems.push(`\`${prop}\` configures the subscription's alarms, which \`defaultAlarms: false\` turns off`);
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

/** Where an ARN points: partition, Region, account and resource. */
export interface ArnPlace {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly resource: string;
}

const PARTITION = '(aws(?:-[a-z]+)*)';
const REGION = '([a-z]{2}(?:-[a-z]+)+-\\d+)';
const ACCOUNT = '(\\d{12})';
/** An SNS topic ARN: a name of up to 256 letters, digits, hyphens and underscores, `.fifo` included. */
const TOPIC_ARN = new RegExp(`^arn:${PARTITION}:sns:${REGION}:${ACCOUNT}:([A-Za-z0-9_-]{1,256}|[A-Za-z0-9_-]{1,251}\\.fifo)$`);
/** A KMS key ARN (not an alias ARN): a key ID, or a multi-Region key ID. */
const KEY_ARN = new RegExp(`^arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:(key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}))$`);

function parseArn(pattern: RegExp, arn: string): ArnPlace | undefined {
  const m = pattern.exec(arn);
  return m ? { partition: m[1], region: m[2], account: m[3], resource: m[4] } : undefined;
}

/** The parts of a literal SNS topic ARN, or undefined when it is a token or not a topic ARN. */
export function parseTopicArn(arn: string): ArnPlace | undefined {
  return typeof arn === 'string' && !Token.isUnresolved(arn) ? parseArn(TOPIC_ARN, arn) : undefined;
}

/**
 * The problem when a resource of `place` is used from `stack` in another account or Region
 * (known values only): the message bus across apps is same-account, same-Region.
 */
export function placementProblem(prop: string, place: ArnPlace, stack: Stack): string | undefined {
  const account = Token.isUnresolved(stack.account) ? undefined : stack.account;
  const region = Token.isUnresolved(stack.region) ? undefined : stack.region;
  const accountDiffers = account !== undefined && account !== place.account;
  const regionDiffers = region !== undefined && region !== place.region;
  if (!accountDiffers && !regionDiffers) return undefined;
  const where = (a: string | undefined, r: string | undefined) => [
    accountDiffers ? `account ${a}` : undefined,
    regionDiffers ? `Region ${r}` : undefined,
  ].filter((x) => x !== undefined).join(' and ');
  return `\`${prop}\` is in ${where(place.account, place.region)}, but the stack ${stack.node.path} is deployed to ${where(account, region)}: `
    + `a topic of another account or Region is not supported; subscribe and publish from a stack of the topic's account ${place.account} and Region ${place.region}`;
}

/**
 * The problems of the attributes of an imported topic (`EventTopic.fromEventTopicAttributes`),
 * before anything is created: a malformed topic or key ARN, a key that is not a key ARN (an
 * alias ARN grants nothing in an IAM policy), another account or Region than the stack's or
 * the topic's, a missing environment, a FIFO flag the ARN contradicts.
 */
export function eventTopicAttributesProblems(scope: IConstruct, attrs: EventTopicAttributes): string[] {
  if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) {
    return [`\`attrs\` ${show(attrs)} is not an EventTopicAttributes object; give at least \`topicArn\`, \`name\` and \`environment\``];
  }
  const p = new Problems('EventTopic', scope);
  const o = checkKinds(p, attrs, [['topicArn', 'string'], ['encryptionKeyArn', 'string'], ['fifo', 'boolean']]);
  const problems = p.all;
  const stack = Stack.of(scope);

  const nameProblem = topicNameProblem('name', o.name);
  if (nameProblem) problems.push(nameProblem);

  if (o.environment === undefined) {
    problems.push('`environment` is missing; pass the environment the publishers and subscribers run in, for example MicroserviceEnvironment.fromLookup(this, \'Env\', { environmentName: \'store\' })');
  } else if (!isMicroserviceEnvironment(o.environment)) {
    problems.push(`\`environment\` ${show(o.environment)} is not an IMicroserviceEnvironment; pass MicroserviceEnvironment.fromLookup(...) or a MicroserviceEnvironment`);
  }

  let topic: ArnPlace | undefined;
  if (o.topicArn === undefined) {
    if (!('topicArn' in attrs) || attrs.topicArn === undefined) {
      problems.push('`topicArn` is missing; give the ARN of the topic, for example arn:aws:sns:eu-west-1:111111111111:store-user-signup');
    }
  } else if (!Token.isUnresolved(o.topicArn)) {
    topic = parseArn(TOPIC_ARN, o.topicArn);
    if (!topic) {
      problems.push(`\`topicArn\` ${show(o.topicArn)} is not an SNS topic ARN; use arn:<partition>:sns:<region>:<account>:<topic name>, for example arn:aws:sns:eu-west-1:111111111111:store-user-signup`);
    } else {
      const placement = placementProblem('topicArn', topic, stack);
      if (placement) problems.push(placement);
      const fifo = topic.resource.endsWith('.fifo');
      if (o.fifo !== undefined && o.fifo !== fifo) {
        problems.push(`\`fifo\` ${o.fifo} contradicts \`topicArn\`, which names ${fifo ? 'a FIFO' : 'a standard'} topic (FIFO topic names end with .fifo); leave \`fifo\` unset to follow the ARN`);
      }
    }
  }

  if (o.encryptionKeyArn !== undefined && !Token.isUnresolved(o.encryptionKeyArn)) {
    const key = parseArn(KEY_ARN, o.encryptionKeyArn);
    if (!key) {
      problems.push(`\`encryptionKeyArn\` ${show(o.encryptionKeyArn)} is not a KMS key ARN; use arn:<partition>:kms:<region>:<account>:key/<key id> (an alias ARN grants nothing in an IAM policy; leave it unset for a topic encrypted with the AWS managed key alias/aws/sns)`);
    } else if (topic && (key.account !== topic.account || key.region !== topic.region)) {
      problems.push(`\`encryptionKeyArn\` is in account ${key.account} and Region ${key.region}, but the topic is in account ${topic.account} and Region ${topic.region}; give the ARN of the key that encrypts the topic (its KmsMasterKeyId), in the topic's account and Region`);
    } else if (!topic) {
      const placement = placementProblem('encryptionKeyArn', key, stack);
      if (placement) problems.push(placement);
    }
  }

  if (o.queueEncryptionKey !== undefined && typeof (o.queueEncryptionKey as kms.IKey)?.keyArn !== 'string') {
    problems.push(`\`queueEncryptionKey\` ${show(o.queueEncryptionKey)} is not a kms.IKey`);
  }
  return problems;
}
