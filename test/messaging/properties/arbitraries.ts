/**
 * Generators of the message bus properties (../properties.test.ts): topic cases, subscription
 * cases (options, filter policies, brought queues and keys, variables already taken) and the
 * services that subscribe, valid, at a bound, wrong, conflicting and wrong-typed.
 */
import { Duration, aws_sns as sns } from 'aws-cdk-lib';
import * as fc from 'fast-check';

export const DAY_MS = 24 * 3600 * 1000;

export type TasksKind = 'default' | 'fixed' | 'fromZero' | 'wide';
/** The task counts of each kind; the development stage defaults to 1 to 2. */
export const TASKS: Record<TasksKind, { minTasks?: number; maxTasks?: number; min: number; scales: boolean }> = {
  default: { min: 1, scales: true },
  fixed: { minTasks: 2, maxTasks: 2, min: 2, scales: false },
  fromZero: { minTasks: 0, maxTasks: 3, min: 0, scales: true },
  wide: { minTasks: 2, maxTasks: 6, min: 2, scales: true },
};

export interface ServiceSpec {
  /** The service's stopTimeout in seconds, 2 to 120. */
  readonly stop: number;
  readonly tasks: TasksKind;
}

export const serviceSpecArb: fc.Arbitrary<ServiceSpec> = fc.record({
  stop: fc.oneof(fc.integer({ min: 2, max: 120 }), fc.constantFrom(2, 29, 30, 31, 120)),
  tasks: fc.constantFrom<TasksKind>('default', 'fixed', 'fromZero', 'wide'),
});

/** Undefined most of the time (an option left out), else a value from `arb`. */
export function sometimes<T>(arb: fc.Arbitrary<T>, presentWeight = 1, absentWeight = 3): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: absentWeight },
    { arbitrary: arb, weight: presentWeight },
  );
}

/** Values of the wrong type for any option (some happen to be of the right type for some). */
export const wrongTyped: fc.Arbitrary<any> = fc.constantFrom<any>(
  'text', '42', 'true', 42, -1, 0, 1.5, true, false, [], ['a'], {}, { a: 1 }, NaN, null,
);

/** Drops the keys whose value is undefined, as a user's object literal would not have them. */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Durations from 0 to 20 days, at the bounds the rules name, and in milliseconds. */
export const durationArb: fc.Arbitrary<Duration> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 20 * 24 * 3600 }).map((s) => Duration.seconds(s)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 7200 }).map((s) => Duration.seconds(s)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(0, 1, 59, 60, 61, 899, 900, 901, 43199, 43200, 43201, 345600, 1209599, 1209600, 1209601)
      .map((s) => Duration.seconds(s)),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 20 * DAY_MS }).map((ms) => Duration.millis(ms)) },
  { weight: 1, arbitrary: fc.constantFrom(Duration.millis(1500), Duration.minutes(1.5), Duration.days(14), Duration.hours(12), Duration.days(4)) },
);
export const durationProp: fc.Arbitrary<any> = fc.oneof({ weight: 9, arbitrary: durationArb }, { weight: 1, arbitrary: wrongTyped });
export const booleanProp: fc.Arbitrary<any> = fc.oneof({ weight: 9, arbitrary: fc.boolean() }, { weight: 1, arbitrary: wrongTyped });

export type BroughtTopic =
  | 'standard' | 'standard-tls' | 'standard-unencrypted' | 'fifo' | 'imported-standard' | 'imported-fifo'
  | 'bogus-object' | 'bogus-arn' | 'bogus-number';
export type BusKey = 'own' | 'given' | 'imported';

export interface TopicCase {
  readonly name: any;
  readonly busKey: BusKey;
  readonly alarmTopic: boolean;
  readonly brought?: BroughtTopic;
  readonly options: { fifo?: any; contentBasedDeduplication?: any; topicName?: any; displayName?: any };
  /** Present: passed as the options instead of `options` (not an object, or null for none). */
  readonly rawOptions?: { readonly value: any };
}

export const topicNameArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,39}$/) },
  // Starting with a digit, a hyphen or an underscore.
  { weight: 1, arbitrary: fc.stringMatching(/^[0-9_-][A-Za-z0-9_-]{0,39}$/) },
  { weight: 2, arbitrary: fc.constantFrom('user-signup', 'orders', 'Payment_Events', 'a', 'x'.repeat(251), 'key', 'Constructor', 'Key-2') },
  {
    weight: 2,
    arbitrary: fc.constantFrom<any>('', 'x'.repeat(252), 'with space', 'orders.fifo', 'a/b', 'a.b', 'ünïcödé', '日本', 'a:b', 'tab\t',
      '0', '-', '_', '1orders', `1${'x'.repeat(250)}`, 42, null, undefined, ['orders'], {}),
  },
  // The id of the bus's own key, when the bus creates it.
  { weight: 1, arbitrary: fc.constant('Key') },
  // Names of properties of Object.prototype: those matching the pattern are reserved.
  {
    weight: 1,
    arbitrary: fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty', 'isPrototypeOf', 'propertyIsEnumerable',
      'toLocaleString', '__proto__', '__defineGetter__', '__lookupSetter__'),
  },
);

export const physicalNameArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/) },
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/).map((n) => `${n}.fifo`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('x'.repeat(256), 'x'.repeat(257), `${'x'.repeat(251)}.fifo`, `${'x'.repeat(252)}.fifo`, '.fifo', '',
      'with space', 'a.b', 'ünï', 'a.fifo.fifo'),
  },
  { weight: 1, arbitrary: wrongTyped },
);
export const displayNameArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 100 }) },
  { weight: 2, arbitrary: fc.integer({ min: 99, max: 160 }).map((n) => 'd'.repeat(n)) },
  { weight: 1, arbitrary: wrongTyped },
);
/** Options that are no object (null means none to addTopic). */
export const rawTopicOptionsArb = fc.constantFrom<any>(42, 0, 'abc', '', true, false, [], [{ fifo: true }], null, null, null);

export const topicCaseArb: fc.Arbitrary<TopicCase> = fc.record({
  /** Half the brought topics come without the options that only a created topic takes. */
  bare: fc.boolean(),
  name: topicNameArb,
  busKey: fc.constantFrom<BusKey>('own', 'own', 'given', 'imported'),
  alarmTopic: fc.boolean(),
  brought: sometimes(fc.constantFrom<BroughtTopic>('standard', 'standard-tls', 'standard-unencrypted', 'fifo', 'imported-standard', 'imported-fifo',
    'bogus-object', 'bogus-arn', 'bogus-number'), 1, 1),
  options: fc.record({
    fifo: sometimes(booleanProp, 1, 1),
    contentBasedDeduplication: sometimes(booleanProp, 1, 2),
    topicName: sometimes(physicalNameArb, 1, 2),
    displayName: sometimes(displayNameArb, 1, 2),
  }),
  raw: sometimes(rawTopicOptionsArb.map((value) => ({ value })), 1, 20),
}).map(({ bare, raw, ...c }): TopicCase => {
  if (raw) return { ...c, brought: undefined, options: {}, rawOptions: raw };
  return bare && c.brought ? { ...c, options: { fifo: c.options.fifo } } : c;
});

export type FilterSpec =
  | { readonly kind: 'string'; readonly values: string[] }
  | { readonly kind: 'numeric'; readonly values: number[] }
  | { readonly kind: 'exists' }
  | { readonly kind: 'bad'; readonly value: any };
export type BodyValue =
  | { readonly kind: 'filter'; readonly filter: FilterSpec }
  | { readonly kind: 'policy'; readonly entries: Array<[string, BodyValue]> }
  | { readonly kind: 'raw'; readonly value: any };
/** A filter policy: entries of attribute name and filter, or a value of the wrong type. */
export type PolicySpec<V> = { readonly entries: Array<[string, V]> } | { readonly wrong: any };

export const attrKey = fc.oneof({ weight: 15, arbitrary: fc.stringMatching(/^[a-z][a-zA-Z0-9_.-]{0,9}$/) }, { weight: 1, arbitrary: fc.constant('') });
/** Values that are no sns.SubscriptionFilter: a string, a number, null, a look-alike, the body wrapper. */
export const BAD_FILTERS: any[] = [
  'x', 42, null, { conditions: ['a'] },
  sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ allowlist: ['a'] })),
];
export const filterSpecArb: fc.Arbitrary<FilterSpec> = fc.oneof(
  { weight: 8, arbitrary: fc.array(fc.string({ maxLength: 8 }), { maxLength: 8 }).map((values): FilterSpec => ({ kind: 'string', values })) },
  { weight: 3, arbitrary: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 8 }).map((values): FilterSpec => ({ kind: 'numeric', values })) },
  { weight: 2, arbitrary: fc.constant<FilterSpec>({ kind: 'exists' }) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_FILTERS).map((value): FilterSpec => ({ kind: 'bad', value })) },
);
/** Body values that are no sns.FilterOrPolicy: a bare SubscriptionFilter, a string, null, a filter of a look-alike. */
export const BAD_BODY: any[] = [
  sns.SubscriptionFilter.stringFilter({ allowlist: ['a'] }), 'x', null, { filterDoc: {} },
  sns.FilterOrPolicy.filter({ conditions: ['a'] } as any),
];
export const bodyArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'body' },
    { weight: 6, arbitrary: filterSpecArb.map((filter): BodyValue => ({ kind: 'filter', filter })) },
    { weight: 2, arbitrary: tie('entries').map((entries): BodyValue => ({ kind: 'policy', entries: entries as Array<[string, BodyValue]> })) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_BODY).map((value): BodyValue => ({ kind: 'raw', value })) },
  ),
  entries: fc.uniqueArray(fc.tuple(attrKey, tie('value')), { selector: (t) => t[0], maxLength: 4, depthIdentifier: 'body' }),
}));
export const wrongMap = fc.constantFrom<any>('text', 42, true, [], ['a'], null, {}, { a: 1 });
export const attrPolicyArb: fc.Arbitrary<PolicySpec<FilterSpec>> = fc.oneof(
  { weight: 8, arbitrary: fc.uniqueArray(fc.tuple(attrKey, filterSpecArb), { selector: (t) => t[0], maxLength: 7 }).map((entries) => ({ entries })) },
  { weight: 1, arbitrary: wrongMap.map((wrong) => ({ wrong })) },
);
export const bodyPolicyArb: fc.Arbitrary<PolicySpec<BodyValue>> = fc.oneof(
  { weight: 8, arbitrary: bodyArb.entries.map((entries) => ({ entries: entries as Array<[string, BodyValue]> })) },
  { weight: 1, arbitrary: wrongMap.map((wrong) => ({ wrong })) },
);

export type QueueKind =
  | 'standard' | 'standard-own-key' | 'standard-nodlq' | 'standard-unencrypted' | 'standard-kms-managed' | 'fifo' | 'fifo-nodlq'
  | 'imported-standard' | 'imported-fifo' | 'bogus-object' | 'bogus-arn';
export type KeyKind = 'own' | 'imported' | 'bogus-object' | 'bogus-arn';

export interface SubOptions {
  rawMessageDelivery?: any;
  maxReceiveCount?: any;
  retentionPeriod?: any;
  deadLetterRetentionPeriod?: any;
  visibilityTimeout?: any;
  acceptableLatency?: any;
  messageProcessingTime?: any;
  defaultAlarms?: any;
  oldestMessageAgeThreshold?: any;
  enableDeploymentAlarms?: any;
  envVarPrefix?: any;
}

/** A variable set on the service before it subscribes: the one the subscription would take, or another. */
export interface TakenSpec {
  /** `default`: <topic's prefix>_QUEUE_URL; `prefix`: <envVarPrefix or the default>_QUEUE_URL; `other`: an unrelated one. */
  readonly name: 'default' | 'prefix' | 'other';
  readonly via: 'config' | 'secrets';
}

export interface SubCase {
  readonly service: ServiceSpec;
  /** A variable the service already has. */
  readonly taken?: TakenSpec;
  /** Present: passed as the options instead of the others (no object, or null). */
  readonly rawOptions?: { readonly value: any };
  readonly topicName: string;
  readonly fifo: boolean;
  readonly queue?: QueueKind;
  readonly key?: KeyKind;
  readonly filterPolicy?: PolicySpec<FilterSpec>;
  readonly body?: PolicySpec<BodyValue>;
  readonly options: SubOptions;
}

/** The env var prefix each topic name gives by default. */
export const TOPIC_NAMES: Record<string, string> = {
  'orders': 'ORDERS', 'user-signup': 'USER_SIGNUP', 'Payment_Events': 'PAYMENT_EVENTS', 'InvoiceCreated': 'INVOICE_CREATED',
};

export const maxReceiveCountArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -5, max: 1200 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 10, 1000, 1001) },
  { weight: 1, arbitrary: fc.constantFrom(0.5, 2.5, NaN, Infinity, -Infinity, 1e9) },
  { weight: 1, arbitrary: wrongTyped },
);
export const prefixArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/) },
  { weight: 2, arbitrary: fc.constantFrom('1BAD', 'with space', 'A-B', '', 'ÜBER', 'A.B') },
  { weight: 1, arbitrary: wrongTyped },
);
/** Latencies and processing times: in seconds or milliseconds, latency often shorter. */
export const latencyArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 3600 }).map((s) => Duration.seconds(s)) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 600_000 }).map((ms) => Duration.millis(ms)) },
  { weight: 1, arbitrary: wrongTyped },
);
export const processingArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 120_000 }).map((ms) => Duration.millis(ms)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 600 }).map((s) => Duration.seconds(s)) },
  { weight: 1, arbitrary: wrongTyped },
);
export const visibilityArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 200 }).map((s) => Duration.seconds(s)) },
  { weight: 3, arbitrary: durationArb },
  { weight: 1, arbitrary: wrongTyped },
);

export const subOptionsArb: fc.Arbitrary<SubOptions> = fc.record({
  rawMessageDelivery: sometimes(booleanProp),
  maxReceiveCount: sometimes(maxReceiveCountArb),
  retentionPeriod: sometimes(durationProp),
  deadLetterRetentionPeriod: sometimes(durationProp),
  visibilityTimeout: sometimes(visibilityArb),
  acceptableLatency: sometimes(latencyArb, 1, 2),
  messageProcessingTime: sometimes(processingArb, 1, 2),
  defaultAlarms: sometimes(booleanProp, 1, 2),
  oldestMessageAgeThreshold: sometimes(durationProp, 1, 4),
  enableDeploymentAlarms: sometimes(booleanProp, 1, 3),
  envVarPrefix: sometimes(prefixArb, 1, 4),
});

/** Values of the right type and mostly in range: refused mainly for how they combine. */
export const tameOptionsArb: fc.Arbitrary<SubOptions> = fc.record({
  rawMessageDelivery: sometimes(fc.boolean()),
  maxReceiveCount: sometimes(fc.integer({ min: 1, max: 1000 })),
  // Up to 14 days, a quarter of them up to an hour (a default age threshold of half the retention).
  retentionPeriod: sometimes(fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 60, max: 14 * 24 * 3600 }) },
    { weight: 1, arbitrary: fc.integer({ min: 60, max: 3600 }) },
  ).map((s) => Duration.seconds(s))),
  deadLetterRetentionPeriod: sometimes(fc.integer({ min: 60, max: 14 * 24 * 3600 }).map((s) => Duration.seconds(s))),
  visibilityTimeout: sometimes(fc.integer({ min: 0, max: 600 }).map((s) => Duration.seconds(s))),
  acceptableLatency: sometimes(fc.integer({ min: 1, max: 600_000 }).map((ms) => Duration.millis(ms)), 1, 1),
  messageProcessingTime: sometimes(fc.integer({ min: 1, max: 60_000 }).map((ms) => Duration.millis(ms)), 1, 2),
  defaultAlarms: sometimes(fc.boolean(), 1, 2),
  oldestMessageAgeThreshold: sometimes(fc.integer({ min: 60, max: 7200 }).map((s) => Duration.seconds(s)), 1, 3),
  enableDeploymentAlarms: sometimes(fc.boolean(), 1, 2),
  envVarPrefix: sometimes(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/), 1, 4),
});
export const tameKey = fc.stringMatching(/^[a-z][a-zA-Z0-9_.-]{0,9}$/);
export const tameFilterArb: fc.Arbitrary<FilterSpec> = fc.oneof(
  fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 4 }).map((values): FilterSpec => ({ kind: 'string', values })),
  fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 4 }).map((values): FilterSpec => ({ kind: 'numeric', values })),
  fc.constant<FilterSpec>({ kind: 'exists' }),
);
export const tameAttrPolicyArb: fc.Arbitrary<PolicySpec<FilterSpec>> = fc.uniqueArray(fc.tuple(tameKey, tameFilterArb), {
  selector: (t) => t[0], minLength: 1, maxLength: 3,
}).map((entries) => ({ entries }));
export const tameBodyValue: fc.Arbitrary<BodyValue> = fc.oneof(
  { weight: 3, arbitrary: tameFilterArb.map((filter): BodyValue => ({ kind: 'filter', filter })) },
  {
    weight: 1,
    arbitrary: fc.uniqueArray(fc.tuple(tameKey, tameFilterArb.map((filter): BodyValue => ({ kind: 'filter', filter }))), {
      selector: (t) => t[0], minLength: 1, maxLength: 2,
    }).map((entries): BodyValue => ({ kind: 'policy', entries })),
  },
);
export const tameBodyPolicyArb: fc.Arbitrary<PolicySpec<BodyValue>> = fc.uniqueArray(fc.tuple(tameKey, tameBodyValue), {
  selector: (t) => t[0], minLength: 1, maxLength: 3,
}).map((entries) => ({ entries }));

/** Options of subscribe that are no object: refused, null too. */
export const rawSubscribeOptionsArb = fc.constantFrom<any>(42, 0, 'abc', '', true, false, [], [{ defaultAlarms: false }], null);
/** A retention of no whole seconds next to a valid age threshold (which once crashed in Duration.toSeconds). */
export const fractionalRetentionArb = fc.record({
  retentionMs: fc.integer({ min: 60_001, max: 3_600_000 }).filter((ms) => ms % 1000 !== 0),
  ageS: fc.constantFrom(60, 61, 900, 3600),
});
export const takenArb: fc.Arbitrary<TakenSpec> = fc.record({
  name: fc.constantFrom<TakenSpec['name']>('default', 'prefix', 'other', 'other'),
  via: fc.constantFrom<TakenSpec['via']>('config', 'config', 'secrets'),
});

/**
 * Subscription cases: `wild` ones take any value (wrong-typed, out of range, malformed
 * filters), `tame` ones values of the right type in range, refused mostly for how they
 * combine (with the service, the topic, the queue or each other).
 */
export function subCaseArb(mode: 'wild' | 'tame', withQueue: boolean): fc.Arbitrary<SubCase> {
  const wild = mode === 'wild';
  const queues: QueueKind[] = wild
    ? ['standard', 'standard-own-key', 'standard-nodlq', 'standard-unencrypted', 'standard-kms-managed', 'standard-kms-managed', 'fifo', 'fifo-nodlq',
      'imported-standard', 'imported-fifo', 'bogus-object', 'bogus-arn']
    : ['standard', 'standard-own-key', 'fifo', 'imported-standard', 'imported-fifo'];
  return fc.record({
    service: serviceSpecArb,
    taken: sometimes(takenArb, 1, wild ? 5 : 3),
    raw: wild ? sometimes(rawSubscribeOptionsArb.map((value) => ({ value })), 1, 12) : fc.constant(undefined),
    fractional: wild ? sometimes(fractionalRetentionArb, 1, 15) : fc.constant(undefined),
    topicName: fc.constantFrom(...Object.keys(TOPIC_NAMES)),
    fifo: fc.boolean(),
    queue: withQueue ? sometimes(fc.constantFrom(...queues), 1, wild ? 4 : 6) : fc.constant(undefined),
    key: sometimes(fc.constantFrom<KeyKind>(...(wild ? ['own', 'own', 'imported', 'bogus-object', 'bogus-arn'] as KeyKind[] : ['own', 'imported'] as KeyKind[])), 1, 6),
    filterPolicy: sometimes(wild ? attrPolicyArb : tameAttrPolicyArb, 1, wild ? 3 : 4),
    body: sometimes(wild ? bodyPolicyArb : tameBodyPolicyArb, 1, wild ? 3 : 4),
    options: wild ? subOptionsArb : tameOptionsArb,
    /** 0 to 2: a tame brought queue of the topic's FIFO-ness, without queue options; 3: as drawn. */
    fit: fc.integer({ min: 0, max: 3 }),
  }).map(({ fit, raw, fractional, ...c }): SubCase => {
    if (raw) return { ...c, queue: undefined, key: undefined, filterPolicy: undefined, body: undefined, rawOptions: raw };
    if (fractional) {
      const { retentionMs, ageS } = fractional;
      return { ...c, options: { ...c.options, retentionPeriod: Duration.millis(retentionMs), oldestMessageAgeThreshold: Duration.seconds(ageS) } };
    }
    if (wild || c.queue === undefined || fit === 3) return c;
    const imported = c.queue.startsWith('imported');
    const queue: QueueKind = c.fifo ? (imported ? 'imported-fifo' : 'fifo') : imported ? 'imported-standard' : c.queue === 'fifo' ? 'standard' : c.queue;
    const options = {
      ...c.options, maxReceiveCount: undefined, retentionPeriod: undefined, deadLetterRetentionPeriod: undefined, visibilityTimeout: undefined,
    };
    return { ...c, queue, key: undefined, options };
  });
}
