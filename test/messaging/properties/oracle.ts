/**
 * The oracle of the message bus properties (../properties.test.ts), from the documented rules:
 * from a case's options alone, the props an error must name (none for a valid case).
 */
import { Duration } from 'aws-cdk-lib';
import { BodyValue, BroughtTopic, FilterSpec, QueueKind, SubCase, SubOptions, TASKS, TOPIC_NAMES, TopicCase } from './arbitraries';

export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const isDuration = (v: unknown): v is Duration => v instanceof Duration;
export const isMap = (v: unknown): v is object => v !== null && typeof v === 'object' && !Array.isArray(v);

export const broughtFifo = (kind: BroughtTopic): boolean | undefined =>
  kind === 'fifo' || kind === 'imported-fifo' ? true : kind.startsWith('standard') || kind === 'imported-standard' ? false : undefined;

/** The names of the own properties of Object.prototype: reserved, whatever they look like. */
export const OBJECT_PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

/** The props an error must name, from the documented rules alone; empty when the case is valid. */
export function topicMustName(c: TopicCase): string[] {
  const names: string[] = [];
  // A letter first, then letters, digits, hyphens and underscores: 1 to 251 in all.
  if (typeof c.name !== 'string' || !/^[A-Za-z][A-Za-z0-9_-]{0,250}$/.test(c.name) || OBJECT_PROTOTYPE_NAMES.has(c.name)) names.push('name');
  const raw = c.rawOptions?.value;
  if (c.rawOptions && raw !== null) return [...names, 'options'];
  const o = c.options;
  const kinds: Array<[keyof TopicCase['options'], string]> = [
    ['fifo', 'boolean'], ['contentBasedDeduplication', 'boolean'], ['topicName', 'string'], ['displayName', 'string'],
  ];
  const typed: TopicCase['options'] = {};
  for (const [prop, kind] of kinds) {
    if (o[prop] === undefined) continue;
    if (typeof o[prop] === kind) (typed as any)[prop] = o[prop];
    else names.push(prop);
  }
  if (c.brought?.startsWith('bogus')) return [...names, 'topic'];
  const given = c.brought ? broughtFifo(c.brought) : undefined;
  const fifo = typed.fifo ?? given ?? false;
  if (c.brought) {
    if (typed.fifo !== undefined && typed.fifo !== given) names.push('fifo');
    for (const prop of ['contentBasedDeduplication', 'topicName', 'displayName'] as const) {
      if (typed[prop] !== undefined) names.push(prop);
    }
    // A topic of the app must be encrypted (an imported one cannot be checked).
    if (c.brought === 'standard-unencrypted') names.push('topic');
  }
  if (typed.contentBasedDeduplication === true && !fifo) names.push('contentBasedDeduplication');
  if (typed.topicName !== undefined) {
    const n: string = typed.topicName;
    const base = fifo ? n.replace(/\.fifo$/, '') : n;
    if (!/^[A-Za-z0-9_-]+$/.test(base) || n.length > 256 || fifo !== n.endsWith('.fifo')) names.push('topicName');
  }
  if (typed.displayName !== undefined && typed.displayName.length > 100) names.push('displayName');
  // A name otherwise fine is refused when another construct of the bus has it: its own key.
  if (names.length === 0 && c.name === 'Key' && c.busKey === 'own') names.push('name');
  return names;
}

/** The number of conditions of a filter; undefined for a value that is no filter. */
export function conditionCount(spec: FilterSpec): number | undefined {
  switch (spec.kind) {
    case 'string': case 'numeric': return spec.values.length;
    case 'exists': return 1;
    case 'bad': return undefined;
  }
}

/** Whether SNS refuses a message-attribute filter policy (at most 5 keys, 150 combinations). */
export function attributesRefused(entries: Array<[string, FilterSpec]>): boolean {
  if (entries.length === 0 || entries.length > 5) return true;
  let combinations = 1;
  for (const [key, filter] of entries) {
    const n = conditionCount(filter);
    if (key === '' || n === undefined || n === 0) return true;
    combinations *= n;
  }
  return combinations > 150;
}

/**
 * The leaves and combinations of a message-body policy, and whether it is malformed: SNS
 * counts the keys at the leaves and each nested filter's values once per level of nesting.
 */
export function bodyShape(entries: Array<[string, BodyValue]>, depth: number): { leaves: number; combinations: number; malformed: boolean } {
  let leaves = 0;
  let combinations = 1;
  let malformed = false;
  for (const [key, v] of entries) {
    if (key === '') malformed = true;
    if (v.kind === 'raw') {
      malformed = true;
    } else if (v.kind === 'filter') {
      leaves++;
      const n = conditionCount(v.filter);
      if (n === undefined || n === 0) malformed = true;
      else combinations *= n * depth;
    } else {
      const inner = bodyShape(v.entries, depth + 1);
      if (inner.leaves === 0) malformed = true;
      malformed ||= inner.malformed;
      leaves += inner.leaves;
      combinations *= inner.combinations;
    }
  }
  if (depth === 1 && leaves === 0) malformed = true;
  return { leaves, combinations, malformed };
}

export function bodyRefused(entries: Array<[string, BodyValue]>): boolean {
  const s = bodyShape(entries, 1);
  return s.malformed || s.leaves > 5 || s.combinations > 150;
}

export const queueInStack = (kind: QueueKind | undefined) => kind !== undefined && !kind.startsWith('imported') && !kind.startsWith('bogus');

export const SUB_KINDS: Array<[keyof SubOptions, 'boolean' | 'number' | 'Duration' | 'string']> = [
  ['rawMessageDelivery', 'boolean'], ['maxReceiveCount', 'number'], ['retentionPeriod', 'Duration'],
  ['deadLetterRetentionPeriod', 'Duration'], ['visibilityTimeout', 'Duration'], ['acceptableLatency', 'Duration'],
  ['messageProcessingTime', 'Duration'], ['defaultAlarms', 'boolean'], ['oldestMessageAgeThreshold', 'Duration'],
  ['enableDeploymentAlarms', 'boolean'], ['envVarPrefix', 'string'],
];
export const ofKind = (v: unknown, kind: string) => kind === 'Duration' ? isDuration(v) : typeof v === kind;
export const wholeSecondsIn = (d: Duration, minS: number, maxS: number) => {
  const ms = d.toMilliseconds();
  return ms % 1000 === 0 && ms >= minS * 1000 && ms <= maxS * 1000;
};

/** The prefix of the subscription's variable: a valid `envVarPrefix`, else the topic's. */
export function effectivePrefix(c: SubCase): string {
  const given = c.options.envVarPrefix;
  return typeof given === 'string' && ENV_VAR_NAME.test(given) ? given : TOPIC_NAMES[c.topicName];
}

/** The name of the variable the service has before it subscribes, when the case gives one. */
export function takenVariable(c: SubCase): string | undefined {
  if (c.taken === undefined) return undefined;
  switch (c.taken.name) {
    case 'default': return `${TOPIC_NAMES[c.topicName]}_QUEUE_URL`;
    case 'prefix': return `${effectivePrefix(c)}_QUEUE_URL`;
    case 'other': return 'UNRELATED_SETTING';
  }
}

/**
 * Groups of props of which an error must name one, from the documented rules alone; empty
 * when the case is valid. Options that are no object are refused by the topic, naming `options`.
 */
export function subscriptionMustName(c: SubCase): string[][] {
  if (c.rawOptions) return [['options']];
  const groups: string[][] = [];
  const must = (...props: string[]) => groups.push(props);
  const o: SubOptions = {};
  for (const [prop, kind] of SUB_KINDS) {
    const v = c.options[prop];
    if (v === undefined) continue;
    if (ofKind(v, kind)) o[prop] = v;
    else must(prop);
  }
  // Filter policies.
  const fp = c.filterPolicy === undefined ? undefined : 'wrong' in c.filterPolicy ? c.filterPolicy.wrong : c.filterPolicy;
  const body = c.body === undefined ? undefined : 'wrong' in c.body ? c.body.wrong : c.body;
  if (fp !== undefined && !isMap(fp)) must('filterPolicy');
  if (body !== undefined && !isMap(body)) must('filterPolicyWithMessageBody');
  const fpOk = fp !== undefined && isMap(fp);
  const bodyOk = body !== undefined && isMap(body);
  if (fpOk && bodyOk) {
    must('filterPolicy', 'filterPolicyWithMessageBody');
  } else if (fpOk) {
    if (!('entries' in c.filterPolicy!) || attributesRefused(c.filterPolicy.entries)) must('filterPolicy');
  } else if (bodyOk) {
    if (!('entries' in c.body!) || bodyRefused(c.body.entries)) must('filterPolicyWithMessageBody');
  }
  // A brought queue: the topic's FIFO-ness, a dead-letter queue, encryption, no queue options.
  if (c.queue !== undefined) {
    if (c.queue.startsWith('bogus')) {
      must('queue');
    } else {
      if (c.queue.includes('fifo') !== c.fifo) must('queue');
      if (queueInStack(c.queue) && (c.queue.endsWith('nodlq') || c.queue.endsWith('unencrypted') || c.queue.endsWith('kms-managed'))) must('queue');
      for (const prop of ['maxReceiveCount', 'retentionPeriod', 'deadLetterRetentionPeriod', 'visibilityTimeout'] as const) {
        if (c.options[prop] !== undefined) must(prop);
      }
      if (c.key !== undefined) must('encryptionKey');
    }
  }
  if (c.key?.startsWith('bogus')) must('encryptionKey');
  if (typeof o.maxReceiveCount === 'number' && !(Number.isInteger(o.maxReceiveCount) && o.maxReceiveCount >= 1 && o.maxReceiveCount <= 1000)) {
    must('maxReceiveCount');
  }
  for (const prop of ['retentionPeriod', 'deadLetterRetentionPeriod'] as const) {
    if (o[prop] !== undefined && !wholeSecondsIn(o[prop], 60, 14 * 24 * 3600)) must(prop);
  }
  // The queues it creates: dead letters are kept at least as long as messages (a message keeps
  // its first enqueue time in the dead-letter queue). Not required when either is wrong-typed.
  const typedOrUnset = (prop: keyof SubOptions) => c.options[prop] === undefined || o[prop] !== undefined;
  if (c.queue === undefined && typedOrUnset('retentionPeriod') && typedOrUnset('deadLetterRetentionPeriod')) {
    const retention: Duration = o.retentionPeriod ?? Duration.days(4);
    const deadLetters: Duration = o.deadLetterRetentionPeriod ?? Duration.days(14);
    if (deadLetters.toMilliseconds() < retention.toMilliseconds()) must('deadLetterRetentionPeriod');
  }
  if (o.visibilityTimeout !== undefined) {
    if (!wholeSecondsIn(o.visibilityTimeout, 0, 12 * 3600)) must('visibilityTimeout');
    else if (o.visibilityTimeout.toMilliseconds() < c.service.stop * 1000) must('visibilityTimeout');
  }
  if (o.envVarPrefix !== undefined && !ENV_VAR_NAME.test(o.envVarPrefix)) must('envVarPrefix');
  // The variable must not be set on the service already (config, secrets, another subscription).
  if (takenVariable(c) === `${effectivePrefix(c)}_QUEUE_URL`) must('envVarPrefix');
  if (o.defaultAlarms === false) {
    if (o.oldestMessageAgeThreshold !== undefined) must('oldestMessageAgeThreshold');
    if (o.enableDeploymentAlarms === true) must('enableDeploymentAlarms');
  }
  if (o.oldestMessageAgeThreshold !== undefined) {
    const age: Duration = o.oldestMessageAgeThreshold;
    const retention: Duration = o.retentionPeriod ?? Duration.days(4);
    if (age.toMilliseconds() % 1000 !== 0 || age.toMilliseconds() < 60_000) must('oldestMessageAgeThreshold');
    else if (age.toMilliseconds() >= retention.toMilliseconds()) must('oldestMessageAgeThreshold');
  }
  if (o.messageProcessingTime !== undefined && o.acceptableLatency === undefined) must('messageProcessingTime');
  if (o.acceptableLatency !== undefined) {
    const latency: number = o.acceptableLatency.toMilliseconds();
    const processing: number = (o.messageProcessingTime ?? Duration.seconds(1)).toMilliseconds();
    if (!TASKS[c.service.tasks].scales) must('acceptableLatency');
    if (latency <= 0) must('acceptableLatency');
    if (processing <= 0) must('messageProcessingTime');
    if (latency > 0 && processing > 0 && latency < processing) must('acceptableLatency');
  }
  return groups;
}
