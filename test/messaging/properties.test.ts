/**
 * Property tests of the message bus: random topic and subscription options (valid, at a bound,
 * wrong, conflicting, wrong-typed) must either construct a template that keeps the bus's
 * invariants or throw our MicroservicesValidationError, whose message names the construct
 * path and a prop in backticks; never a TypeError, a constructs error or a synth error.
 *
 * Each sample is built in a fresh app and stack (an imported VPC keeps the environment
 * cheap) and every valid sample is synthesized. Each property also counts its valid and
 * refused samples and checks both occurred, so a generator cannot drift to one side. An
 * oracle written from the documented rules says, from the options alone, which props an
 * error must name; a sample it finds valid must construct. Seeds are fixed so CI is
 * repeatable. The properties found eight bugs, now fixed: the generators produce the inputs
 * that hit them again, the oracle follows the rules the fixes brought, and the smallest case
 * of each is kept as a regression test at the end. A bug found and not yet fixed would be
 * left out of the generators (the comment naming it) and pinned by an it.failing test there.
 */
import {
  App,
  CfnElement,
  Duration,
  Stack,
  aws_ecs as ecs,
  aws_kms as kms,
  aws_sns as sns,
  aws_sqs as sqs,
  aws_ssm as ssm,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as fc from 'fast-check';
import {
  EventSubscription,
  EventTopic,
  MessageBus,
  MicroserviceEnvironment,
  StageProfile,
  SubscribeOptions,
  TwelveFactorService,
} from '../../src';
import { attempt, expectNamesOneOf, expectValidationError } from '../error-contract';
import { IMAGE, importedVpc } from '../service/fixtures';

const ENV = { account: '111111111111', region: 'us-east-1' };
const SEED = 42;
const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DAY_MS = 24 * 3600 * 1000;

// ---------------------------------------------------------------------------------------
// The contract every error must keep.
// ---------------------------------------------------------------------------------------

const TOPIC_PROPS = ['name', 'fifo', 'contentBasedDeduplication', 'topic', 'topicName', 'displayName', 'bus', 'addTopic', 'options'];
const SUBSCRIBE_PROPS = [
  'filterPolicy', 'filterPolicyWithMessageBody', 'rawMessageDelivery', 'queue', 'maxReceiveCount', 'retentionPeriod',
  'deadLetterRetentionPeriod', 'visibilityTimeout', 'encryptionKey', 'acceptableLatency', 'messageProcessingTime', 'alarms',
  'oldestMessageAgeThreshold', 'deploymentAlarms', 'envVarPrefix',
  // Named next to the option at fault, and the methods of EventTopic.
  'stopTimeout', 'minTasks', 'maxTasks', 'topic', 'service', 'fifo', 'subscribe', 'grantPublish', 'options',
];


/** Counts of a property's samples, checked so that a generator cannot drift to one side. */
class Tally {
  public valid = 0;
  public refused = 0;
  /** How many valid samples had each feature. */
  public readonly features: Record<string, number> = {};
  /** How many refused samples broke each rule (as the oracle says). */
  public readonly refusals: Record<string, number> = {};
  public see(feature: string, present: boolean): void {
    if (present) this.features[feature] = (this.features[feature] ?? 0) + 1;
  }
  public seeRefused(rule: string, present: boolean): void {
    if (present) this.refusals[rule] = (this.refusals[rule] ?? 0) + 1;
  }
  /** The features of `wanted` seen in fewer than `min` valid samples. */
  public rare(wanted: string[], min = 3): string[] {
    return wanted.filter((feature) => (this.features[feature] ?? 0) < min);
  }
  /** The rules of `wanted` broken in fewer than `min` refused samples. */
  public rarelyRefused(wanted: string[], min = 3): string[] {
    return wanted.filter((rule) => (this.refusals[rule] ?? 0) < min);
  }
}

// ---------------------------------------------------------------------------------------
// Fixtures: a fresh app and stack per sample.
// ---------------------------------------------------------------------------------------

function freshStack(): Stack {
  return new Stack(new App(), 'Test', { env: ENV });
}

type TasksKind = 'default' | 'fixed' | 'fromZero' | 'wide';
/** The task counts of each kind; the development stage defaults to 1 to 2. */
const TASKS: Record<TasksKind, { minTasks?: number; maxTasks?: number; min: number; scales: boolean }> = {
  default: { min: 1, scales: true },
  fixed: { minTasks: 2, maxTasks: 2, min: 2, scales: false },
  fromZero: { minTasks: 0, maxTasks: 3, min: 0, scales: true },
  wide: { minTasks: 2, maxTasks: 6, min: 2, scales: true },
};

interface ServiceSpec {
  /** The service's stopTimeout in seconds, 2 to 120. */
  readonly stop: number;
  readonly tasks: TasksKind;
}

const serviceSpecArb: fc.Arbitrary<ServiceSpec> = fc.record({
  stop: fc.oneof(fc.integer({ min: 2, max: 120 }), fc.constantFrom(2, 29, 30, 31, 120)),
  tasks: fc.constantFrom<TasksKind>('default', 'fixed', 'fromZero', 'wide'),
});

interface World {
  readonly stack: Stack;
  readonly env: MicroserviceEnvironment;
  readonly bus: MessageBus;
}

/** A stack with a development environment (imported VPC) and a bus on it. */
function world(): World {
  const stack = freshStack();
  const env = new MicroserviceEnvironment(stack, 'Env', { stageProfile: StageProfile.DEVELOPMENT, vpc: importedVpc(stack) });
  const bus = new MessageBus(stack, 'Bus', { environment: env });
  return { stack, env, bus };
}

/** A service of the spec; `config` names are allowed as plain config whatever they look like. */
function newService(
  w: World, id: string, spec: ServiceSpec, config?: Record<string, string>, secrets?: Record<string, ecs.Secret>,
): TwelveFactorService {
  const { minTasks, maxTasks } = TASKS[spec.tasks];
  return new TwelveFactorService(w.stack, id, {
    environment: w.env,
    image: IMAGE,
    stopTimeout: Duration.seconds(spec.stop),
    minTasks,
    maxTasks,
    config,
    secrets,
    allowPlainConfig: config ? Object.keys(config) : undefined,
  });
}

/** A secret from an SSM parameter (imported: nothing is created). */
function ssmSecret(stack: Stack, id = 'SecretParam'): ecs.Secret {
  return ecs.Secret.fromSsmParameter(ssm.StringParameter.fromSecureStringParameterAttributes(stack, id, { parameterName: `/app/${id}` }));
}

/** Synthesizes the stack; it must have no error annotations. */
function synthesize(stack: Stack): Template {
  const template = Template.fromStack(stack);
  expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  return template;
}

/** The logical id a token (Ref or Fn::GetAtt) points to; undefined for a literal. */
function logicalIdOf(stack: Stack, token: string): string | undefined {
  const resolved = stack.resolve(token);
  if (resolved?.Ref) return resolved.Ref;
  if (resolved?.['Fn::GetAtt']) return resolved['Fn::GetAtt'][0];
  return undefined;
}

function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function resourcesOf(template: Template, type: string): Record<string, any> {
  return template.findResources(type);
}

/** Every policy document of the template has unique statement ids (SNS and SQS refuse duplicates). */
function expectUniqueSids(template: Template): void {
  for (const type of ['AWS::SNS::TopicPolicy', 'AWS::SQS::QueuePolicy']) {
    for (const [id, policy] of Object.entries(resourcesOf(template, type))) {
      const sids = (policy.Properties.PolicyDocument.Statement as any[]).map((s) => s.Sid).filter((s) => s !== undefined);
      if (new Set(sids).size !== sids.length) throw new Error(`${type} ${id} has duplicate Sids: ${sids.join(', ')}`);
    }
  }
}

/** The policies of the template that attach to the resource, with a TLS-only deny of the action. */
function tlsOnlyPolicies(template: Template, type: string, listKey: string, id: string, action: string): any[] {
  return Object.values(resourcesOf(template, type)).filter((p) =>
    (p.Properties[listKey] as any[]).some((r) => r?.Ref === id)
    && (p.Properties.PolicyDocument.Statement as any[]).some((s) => s.Effect === 'Deny'
      && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'
      && [s.Action].flat().includes(action)));
}

// ---------------------------------------------------------------------------------------
// Generators of values: valid, boundary, wrong and wrong-typed.
// ---------------------------------------------------------------------------------------

/** Undefined most of the time (an option left out), else a value from `arb`. */
function sometimes<T>(arb: fc.Arbitrary<T>, presentWeight = 1, absentWeight = 3): fc.Arbitrary<T | undefined> {
  return fc.oneof(
    { arbitrary: fc.constant(undefined), weight: absentWeight },
    { arbitrary: arb, weight: presentWeight },
  );
}

/** Values of the wrong type for any option (some happen to be of the right type for some). */
const wrongTyped: fc.Arbitrary<any> = fc.constantFrom<any>(
  'text', '42', 'true', 42, -1, 0, 1.5, true, false, [], ['a'], {}, { a: 1 }, NaN, null,
);

/** Drops the keys whose value is undefined, as a user's object literal would not have them. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const isDuration = (v: unknown): v is Duration => v instanceof Duration;
const isMap = (v: unknown): v is object => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Durations from 0 to 20 days, at the bounds the rules name, and in milliseconds. */
const durationArb: fc.Arbitrary<Duration> = fc.oneof(
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
const durationProp: fc.Arbitrary<any> = fc.oneof({ weight: 9, arbitrary: durationArb }, { weight: 1, arbitrary: wrongTyped });
const booleanProp: fc.Arbitrary<any> = fc.oneof({ weight: 9, arbitrary: fc.boolean() }, { weight: 1, arbitrary: wrongTyped });

// ---------------------------------------------------------------------------------------
// 1. Topic options, through bus.addTopic
// ---------------------------------------------------------------------------------------

type BroughtTopic =
  | 'standard' | 'standard-tls' | 'standard-unencrypted' | 'fifo' | 'imported-standard' | 'imported-fifo'
  | 'bogus-object' | 'bogus-arn' | 'bogus-number';
type BusKey = 'own' | 'given' | 'imported';

interface TopicCase {
  readonly name: any;
  readonly busKey: BusKey;
  readonly alarmTopic: boolean;
  readonly brought?: BroughtTopic;
  readonly options: { fifo?: any; contentBasedDeduplication?: any; topicName?: any; displayName?: any };
  /** Present: passed as the options instead of `options` (not an object, or null for none). */
  readonly rawOptions?: { readonly value: any };
}

const TOPIC_ARN = 'arn:aws:sns:us-east-1:111111111111:shared-events';

/** A topic to bring: in-stack ones are encrypted with a key of their own, but one. */
function broughtTopic(stack: Stack, kind: BroughtTopic): any {
  const masterKey = () => new kms.Key(stack, 'BroughtTopicKey');
  switch (kind) {
    case 'standard': return new sns.Topic(stack, 'Brought', { masterKey: masterKey() });
    // aws-cdk's own TLS-only statement next to the bus's: the Sids must differ.
    case 'standard-tls': return new sns.Topic(stack, 'Brought', { masterKey: masterKey(), enforceSSL: true });
    case 'standard-unencrypted': return new sns.Topic(stack, 'Brought');
    case 'fifo': return new sns.Topic(stack, 'Brought', { masterKey: masterKey(), fifo: true });
    case 'imported-standard': return sns.Topic.fromTopicArn(stack, 'Brought', TOPIC_ARN);
    case 'imported-fifo': return sns.Topic.fromTopicArn(stack, 'Brought', `${TOPIC_ARN}.fifo`);
    case 'bogus-object': return { topicName: 'x' };
    case 'bogus-arn': return TOPIC_ARN;
    case 'bogus-number': return 42;
  }
}
const broughtFifo = (kind: BroughtTopic): boolean | undefined =>
  kind === 'fifo' || kind === 'imported-fifo' ? true : kind.startsWith('standard') || kind === 'imported-standard' ? false : undefined;

/** The names of the own properties of Object.prototype: reserved, whatever they look like. */
const OBJECT_PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));

const topicNameArb: fc.Arbitrary<any> = fc.oneof(
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

const physicalNameArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/) },
  { weight: 3, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,60}$/).map((n) => `${n}.fifo`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('x'.repeat(256), 'x'.repeat(257), `${'x'.repeat(251)}.fifo`, `${'x'.repeat(252)}.fifo`, '.fifo', '',
      'with space', 'a.b', 'ünï', 'a.fifo.fifo'),
  },
  { weight: 1, arbitrary: wrongTyped },
);
const displayNameArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 100 }) },
  { weight: 2, arbitrary: fc.integer({ min: 99, max: 160 }).map((n) => 'd'.repeat(n)) },
  { weight: 1, arbitrary: wrongTyped },
);
/** Options that are no object (null means none to addTopic). */
const rawTopicOptionsArb = fc.constantFrom<any>(42, 0, 'abc', '', true, false, [], [{ fifo: true }], null, null, null);

const topicCaseArb: fc.Arbitrary<TopicCase> = fc.record({
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

/** The props an error must name, from the documented rules alone; empty when the case is valid. */
function topicMustName(c: TopicCase): string[] {
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

function topicOptionsOf(c: TopicCase, stack: Stack): any {
  if (c.rawOptions) return c.rawOptions.value;
  return defined({ ...c.options, topic: c.brought ? broughtTopic(stack, c.brought) : undefined });
}

function busFor(c: TopicCase, stack: Stack): MessageBus {
  const encryptionKey = c.busKey === 'given' ? new kms.Key(stack, 'GivenKey')
    : c.busKey === 'imported' ? kms.Key.fromKeyArn(stack, 'ImportedKey', 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555')
      : undefined;
  const alarmTopic = c.alarmTopic ? new sns.Topic(stack, 'AlarmTopic') : undefined;
  return new MessageBus(stack, 'Bus', { encryptionKey, alarmTopic });
}

/** Checks the synthesized template of a topic that was added. */
function checkTopicTemplate(c: TopicCase, stack: Stack, bus: MessageBus, topic: EventTopic): void {
  const template = synthesize(stack);
  expectUniqueSids(template);
  const o = c.options;
  const topics = resourcesOf(template, 'AWS::SNS::Topic');
  const id = logicalIdOf(stack, topic.topic.topicArn);
  // The bus creates a topic only when none is brought.
  const ownTopics = Object.keys(topics).filter((k) => k !== id && !k.startsWith('AlarmTopic'));
  expect(ownTopics).toEqual([]);
  expect(topic.node.path).toBe(`Test/Bus/${c.name}`);
  if (c.brought === 'imported-standard' || c.brought === 'imported-fifo') {
    expect(id).toBeUndefined();
    expect(resourcesOf(template, 'AWS::SNS::TopicPolicy')).toEqual({});
    const warnings = Annotations.fromStack(stack).findWarning(`/Test/Bus/${c.name}`, Match.stringLikeRegexp('importedTopic'));
    expect(warnings.length).toBe(1);
  } else {
    expect(id).toBeDefined();
    const props = topics[id!].Properties ?? {};
    expect(props.FifoTopic === true).toBe(topic.fifo);
    // Every topic the bus uses and CDK manages refuses publishing without TLS, and is encrypted.
    expect(tlsOnlyPolicies(template, 'AWS::SNS::TopicPolicy', 'Topics', id!, 'sns:Publish').length).toBeGreaterThanOrEqual(1);
    expect(props.KmsMasterKeyId).toBeDefined();
    if (!c.brought) {
      expect(props.KmsMasterKeyId).toEqual(stack.resolve(bus.encryptionKey.keyArn));
      expect(props.ContentBasedDeduplication === true).toBe(o.contentBasedDeduplication === true);
      if (o.topicName !== undefined) expect(props.TopicName).toBe(o.topicName);
      if (topic.fifo && o.topicName === undefined) expect(props.TopicName).toMatch(/\.fifo$/);
      expect(props.DisplayName).toBe(o.displayName);
    }
  }
  const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
  expect(alarms.length).toBe(c.alarmTopic ? 1 : 0);
  expect(topic.failedDeliveryAlarm !== undefined).toBe(c.alarmTopic);
}

describe('topic options', () => {
  test('random options add a topic that keeps the invariants, or throw our error naming `Test/Bus` and a prop', () => {
    const tally = new Tally();
    fc.assert(fc.property(topicCaseArb, (c) => {
      const stack = freshStack();
      const bus = busFor(c, stack);
      const options = topicOptionsOf(c, stack);
      const children = bus.node.children.length;
      let topic: EventTopic | undefined;
      const err = attempt(() => { topic = bus.addTopic(c.name, options); });
      const mustName = topicMustName(c);
      if (err !== undefined) {
        tally.refused++;
        const message = expectValidationError(err, { classes: ['MessageBus'], path: 'Test/Bus', props: TOPIC_PROPS });
        if (mustName.length === 0) throw new Error(`a valid topic was refused: ${message}`);
        expectNamesOneOf(message, mustName.map((name) => [name]));
        const isString = typeof c.name === 'string';
        tally.seeRefused('name starting with no letter', isString && /^[0-9_-]/.test(c.name));
        tally.seeRefused('reserved name', isString && /^[A-Za-z]/.test(c.name) && OBJECT_PROTOTYPE_NAMES.has(c.name));
        tally.seeRefused('name taken by the bus key', c.name === 'Key' && mustName.length === 1 && mustName[0] === 'name');
        tally.seeRefused('options no object', mustName.includes('options'));
        tally.seeRefused('unencrypted brought topic', c.brought === 'standard-unencrypted');
        // Nothing was added.
        expect(bus.topics).toEqual([]);
        expect(bus.node.children.length).toBe(children);
        return;
      }
      tally.valid++;
      tally.see(`brought ${c.brought}`, c.brought !== undefined);
      tally.see('created FIFO', !c.brought && c.options.fifo === true);
      tally.see('contentBasedDeduplication', c.options.contentBasedDeduplication === true);
      tally.see('topicName', c.options.topicName !== undefined);
      tally.see('displayName', c.options.displayName !== undefined);
      tally.see('named Key, the bus key given or imported', c.name === 'Key');
      tally.see('null options', c.rawOptions?.value === null);
      expect(mustName).toEqual([]);
      expect(topic).toBeInstanceOf(EventTopic);
      expect(topic!.name).toBe(c.name);
      expect(topic!.fifo).toBe(c.options.fifo ?? (c.brought ? broughtFifo(c.brought) : false));
      expect(bus.findTopic(c.name)).toBe(topic);
      // Adding the topic again with the same options returns it.
      expect(bus.addTopic(c.name, { ...options })).toBe(topic);
      checkTopicTemplate(c, stack, bus, topic!);
    }), { numRuns: 500, seed: SEED });
    expect(tally.valid).toBeGreaterThan(100);
    expect(tally.refused).toBeGreaterThan(100);
    expect(tally.rare(['brought standard', 'brought standard-tls', 'brought fifo', 'brought imported-standard', 'brought imported-fifo', 'created FIFO',
      'contentBasedDeduplication', 'topicName', 'displayName', 'named Key, the bus key given or imported', 'null options'])).toEqual([]);
    expect(tally.rarelyRefused(['name starting with no letter', 'reserved name', 'name taken by the bus key', 'options no object',
      'unencrypted brought topic'])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// 2. Subscription options, through topic.subscribe
// ---------------------------------------------------------------------------------------

type FilterSpec =
  | { readonly kind: 'string'; readonly values: string[] }
  | { readonly kind: 'numeric'; readonly values: number[] }
  | { readonly kind: 'exists' }
  | { readonly kind: 'bad'; readonly value: any };
type BodyValue =
  | { readonly kind: 'filter'; readonly filter: FilterSpec }
  | { readonly kind: 'policy'; readonly entries: Array<[string, BodyValue]> }
  | { readonly kind: 'raw'; readonly value: any };
/** A filter policy: entries of attribute name and filter, or a value of the wrong type. */
type PolicySpec<V> = { readonly entries: Array<[string, V]> } | { readonly wrong: any };

const attrKey = fc.oneof({ weight: 15, arbitrary: fc.stringMatching(/^[a-z][a-zA-Z0-9_.-]{0,9}$/) }, { weight: 1, arbitrary: fc.constant('') });
/** Values that are no sns.SubscriptionFilter: a string, a number, null, a look-alike, the body wrapper. */
const BAD_FILTERS: any[] = [
  'x', 42, null, { conditions: ['a'] },
  sns.FilterOrPolicy.filter(sns.SubscriptionFilter.stringFilter({ allowlist: ['a'] })),
];
const filterSpecArb: fc.Arbitrary<FilterSpec> = fc.oneof(
  { weight: 8, arbitrary: fc.array(fc.string({ maxLength: 8 }), { maxLength: 8 }).map((values): FilterSpec => ({ kind: 'string', values })) },
  { weight: 3, arbitrary: fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 8 }).map((values): FilterSpec => ({ kind: 'numeric', values })) },
  { weight: 2, arbitrary: fc.constant<FilterSpec>({ kind: 'exists' }) },
  { weight: 1, arbitrary: fc.constantFrom(...BAD_FILTERS).map((value): FilterSpec => ({ kind: 'bad', value })) },
);
/** Body values that are no sns.FilterOrPolicy: a bare SubscriptionFilter, a string, null, a filter of a look-alike. */
const BAD_BODY: any[] = [
  sns.SubscriptionFilter.stringFilter({ allowlist: ['a'] }), 'x', null, { filterDoc: {} },
  sns.FilterOrPolicy.filter({ conditions: ['a'] } as any),
];
const bodyArb = fc.letrec((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'body' },
    { weight: 6, arbitrary: filterSpecArb.map((filter): BodyValue => ({ kind: 'filter', filter })) },
    { weight: 2, arbitrary: tie('entries').map((entries): BodyValue => ({ kind: 'policy', entries: entries as Array<[string, BodyValue]> })) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_BODY).map((value): BodyValue => ({ kind: 'raw', value })) },
  ),
  entries: fc.uniqueArray(fc.tuple(attrKey, tie('value')), { selector: (t) => t[0], maxLength: 4, depthIdentifier: 'body' }),
}));
const wrongMap = fc.constantFrom<any>('text', 42, true, [], ['a'], null, {}, { a: 1 });
const attrPolicyArb: fc.Arbitrary<PolicySpec<FilterSpec>> = fc.oneof(
  { weight: 8, arbitrary: fc.uniqueArray(fc.tuple(attrKey, filterSpecArb), { selector: (t) => t[0], maxLength: 7 }).map((entries) => ({ entries })) },
  { weight: 1, arbitrary: wrongMap.map((wrong) => ({ wrong })) },
);
const bodyPolicyArb: fc.Arbitrary<PolicySpec<BodyValue>> = fc.oneof(
  { weight: 8, arbitrary: bodyArb.entries.map((entries) => ({ entries: entries as Array<[string, BodyValue]> })) },
  { weight: 1, arbitrary: wrongMap.map((wrong) => ({ wrong })) },
);

function filterOf(spec: FilterSpec): any {
  switch (spec.kind) {
    case 'string': return sns.SubscriptionFilter.stringFilter({ allowlist: spec.values });
    case 'numeric': return sns.SubscriptionFilter.numericFilter({ allowlist: spec.values });
    case 'exists': return sns.SubscriptionFilter.existsFilter();
    case 'bad': return spec.value;
  }
}
function attributesOf(entries: Array<[string, FilterSpec]>): Record<string, any> {
  return Object.fromEntries(entries.map(([key, f]) => [key, filterOf(f)]));
}
function bodyOf(entries: Array<[string, BodyValue]>): Record<string, any> {
  return Object.fromEntries(entries.map(([key, v]) => [key,
    v.kind === 'filter' ? sns.FilterOrPolicy.filter(filterOf(v.filter))
      : v.kind === 'policy' ? sns.FilterOrPolicy.policy(bodyOf(v.entries)) : v.value]));
}
function policyOf<V>(spec: PolicySpec<V> | undefined, make: (entries: Array<[string, V]>) => any): any {
  if (spec === undefined) return undefined;
  return 'wrong' in spec ? spec.wrong : make(spec.entries);
}

/** The JSON SNS gets for a filter policy, from the objects passed. */
function renderAttributes(policy: Record<string, sns.SubscriptionFilter>): unknown {
  return Object.fromEntries(Object.entries(policy).map(([k, f]) => [k, f.conditions]));
}
function renderBody(policy: Record<string, sns.FilterOrPolicy>): unknown {
  return Object.fromEntries(Object.entries(policy).map(([k, v]) => [k,
    v.isPolicy() ? renderBody((v as sns.Policy).policyDoc) : ((v as sns.Filter).filterDoc as sns.SubscriptionFilter).conditions]));
}

/** The number of conditions of a filter; undefined for a value that is no filter. */
function conditionCount(spec: FilterSpec): number | undefined {
  switch (spec.kind) {
    case 'string': case 'numeric': return spec.values.length;
    case 'exists': return 1;
    case 'bad': return undefined;
  }
}

/** Whether SNS refuses a message-attribute filter policy (at most 5 keys, 150 combinations). */
function attributesRefused(entries: Array<[string, FilterSpec]>): boolean {
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
function bodyShape(entries: Array<[string, BodyValue]>, depth: number): { leaves: number; combinations: number; malformed: boolean } {
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

function bodyRefused(entries: Array<[string, BodyValue]>): boolean {
  const s = bodyShape(entries, 1);
  return s.malformed || s.leaves > 5 || s.combinations > 150;
}

type QueueKind =
  | 'standard' | 'standard-own-key' | 'standard-nodlq' | 'standard-unencrypted' | 'standard-kms-managed' | 'fifo' | 'fifo-nodlq'
  | 'imported-standard' | 'imported-fifo' | 'bogus-object' | 'bogus-arn';
type KeyKind = 'own' | 'imported' | 'bogus-object' | 'bogus-arn';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:111111111111:shared-jobs';
const KEY_ARN = 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555';

/** A queue to bring; in-stack ones get a dead-letter queue unless `nodlq`. */
function broughtQueue(stack: Stack, kind: QueueKind, suffix = ''): any {
  const fifo = kind.includes('fifo') || undefined;
  const inStack = (props: sqs.QueueProps) => {
    const dlq = kind.endsWith('nodlq') ? undefined : new sqs.Queue(stack, `BroughtDlq${suffix}`, { fifo, encryption: props.encryption, encryptionMasterKey: props.encryptionMasterKey });
    return new sqs.Queue(stack, `Brought${suffix}`, { ...props, fifo, deadLetterQueue: dlq ? { queue: dlq, maxReceiveCount: 5 } : undefined });
  };
  switch (kind) {
    case 'standard': case 'standard-nodlq': case 'fifo': case 'fifo-nodlq': return inStack({});
    case 'standard-own-key': return inStack({ encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: new kms.Key(stack, `BroughtKey${suffix}`) });
    case 'standard-unencrypted': return inStack({ encryption: sqs.QueueEncryption.UNENCRYPTED });
    // The AWS managed key alias/aws/sqs, whose key policy cannot let SNS deliver.
    case 'standard-kms-managed': return inStack({ encryption: sqs.QueueEncryption.KMS_MANAGED });
    case 'imported-standard': return sqs.Queue.fromQueueArn(stack, `Brought${suffix}`, QUEUE_ARN);
    case 'imported-fifo': return sqs.Queue.fromQueueArn(stack, `Brought${suffix}`, `${QUEUE_ARN}.fifo`);
    case 'bogus-object': return { queueName: 'jobs' };
    case 'bogus-arn': return QUEUE_ARN;
  }
}
const queueInStack = (kind: QueueKind | undefined) => kind !== undefined && !kind.startsWith('imported') && !kind.startsWith('bogus');

function subscriptionKey(stack: Stack, kind: KeyKind, suffix = ''): any {
  switch (kind) {
    case 'own': return new kms.Key(stack, `SubscriptionKey${suffix}`);
    case 'imported': return kms.Key.fromKeyArn(stack, `ImportedSubscriptionKey${suffix}`, KEY_ARN);
    case 'bogus-object': return { keyId: 'x' };
    case 'bogus-arn': return KEY_ARN;
  }
}

interface SubOptions {
  rawMessageDelivery?: any;
  maxReceiveCount?: any;
  retentionPeriod?: any;
  deadLetterRetentionPeriod?: any;
  visibilityTimeout?: any;
  acceptableLatency?: any;
  messageProcessingTime?: any;
  alarms?: any;
  oldestMessageAgeThreshold?: any;
  deploymentAlarms?: any;
  envVarPrefix?: any;
}

/** A variable set on the service before it subscribes: the one the subscription would take, or another. */
interface TakenSpec {
  /** `default`: <topic's prefix>_QUEUE_URL; `prefix`: <envVarPrefix or the default>_QUEUE_URL; `other`: an unrelated one. */
  readonly name: 'default' | 'prefix' | 'other';
  readonly via: 'config' | 'secrets';
}

interface SubCase {
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
const TOPIC_NAMES: Record<string, string> = {
  'orders': 'ORDERS', 'user-signup': 'USER_SIGNUP', 'Payment_Events': 'PAYMENT_EVENTS', 'InvoiceCreated': 'INVOICE_CREATED',
};

const maxReceiveCountArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: -5, max: 1200 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 10, 1000, 1001) },
  { weight: 1, arbitrary: fc.constantFrom(0.5, 2.5, NaN, Infinity, -Infinity, 1e9) },
  { weight: 1, arbitrary: wrongTyped },
);
const prefixArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/) },
  { weight: 2, arbitrary: fc.constantFrom('1BAD', 'with space', 'A-B', '', 'ÜBER', 'A.B') },
  { weight: 1, arbitrary: wrongTyped },
);
/** Latencies and processing times: in seconds or milliseconds, latency often shorter. */
const latencyArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 3600 }).map((s) => Duration.seconds(s)) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 600_000 }).map((ms) => Duration.millis(ms)) },
  { weight: 1, arbitrary: wrongTyped },
);
const processingArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 120_000 }).map((ms) => Duration.millis(ms)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 600 }).map((s) => Duration.seconds(s)) },
  { weight: 1, arbitrary: wrongTyped },
);
const visibilityArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 200 }).map((s) => Duration.seconds(s)) },
  { weight: 3, arbitrary: durationArb },
  { weight: 1, arbitrary: wrongTyped },
);

const subOptionsArb: fc.Arbitrary<SubOptions> = fc.record({
  rawMessageDelivery: sometimes(booleanProp),
  maxReceiveCount: sometimes(maxReceiveCountArb),
  retentionPeriod: sometimes(durationProp),
  deadLetterRetentionPeriod: sometimes(durationProp),
  visibilityTimeout: sometimes(visibilityArb),
  acceptableLatency: sometimes(latencyArb, 1, 2),
  messageProcessingTime: sometimes(processingArb, 1, 2),
  alarms: sometimes(booleanProp, 1, 2),
  oldestMessageAgeThreshold: sometimes(durationProp, 1, 4),
  deploymentAlarms: sometimes(booleanProp, 1, 3),
  envVarPrefix: sometimes(prefixArb, 1, 4),
});

/** Values of the right type and mostly in range: refused mainly for how they combine. */
const tameOptionsArb: fc.Arbitrary<SubOptions> = fc.record({
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
  alarms: sometimes(fc.boolean(), 1, 2),
  oldestMessageAgeThreshold: sometimes(fc.integer({ min: 60, max: 7200 }).map((s) => Duration.seconds(s)), 1, 3),
  deploymentAlarms: sometimes(fc.boolean(), 1, 2),
  envVarPrefix: sometimes(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/), 1, 4),
});
const tameKey = fc.stringMatching(/^[a-z][a-zA-Z0-9_.-]{0,9}$/);
const tameFilterArb: fc.Arbitrary<FilterSpec> = fc.oneof(
  fc.array(fc.string({ maxLength: 8 }), { minLength: 1, maxLength: 4 }).map((values): FilterSpec => ({ kind: 'string', values })),
  fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 4 }).map((values): FilterSpec => ({ kind: 'numeric', values })),
  fc.constant<FilterSpec>({ kind: 'exists' }),
);
const tameAttrPolicyArb: fc.Arbitrary<PolicySpec<FilterSpec>> = fc.uniqueArray(fc.tuple(tameKey, tameFilterArb), {
  selector: (t) => t[0], minLength: 1, maxLength: 3,
}).map((entries) => ({ entries }));
const tameBodyValue: fc.Arbitrary<BodyValue> = fc.oneof(
  { weight: 3, arbitrary: tameFilterArb.map((filter): BodyValue => ({ kind: 'filter', filter })) },
  {
    weight: 1,
    arbitrary: fc.uniqueArray(fc.tuple(tameKey, tameFilterArb.map((filter): BodyValue => ({ kind: 'filter', filter }))), {
      selector: (t) => t[0], minLength: 1, maxLength: 2,
    }).map((entries): BodyValue => ({ kind: 'policy', entries })),
  },
);
const tameBodyPolicyArb: fc.Arbitrary<PolicySpec<BodyValue>> = fc.uniqueArray(fc.tuple(tameKey, tameBodyValue), {
  selector: (t) => t[0], minLength: 1, maxLength: 3,
}).map((entries) => ({ entries }));

/** Options of subscribe that are no object: refused, null too. */
const rawSubscribeOptionsArb = fc.constantFrom<any>(42, 0, 'abc', '', true, false, [], [{ alarms: false }], null);
/** A retention of no whole seconds next to a valid age threshold (which once crashed in Duration.toSeconds). */
const fractionalRetentionArb = fc.record({
  retentionMs: fc.integer({ min: 60_001, max: 3_600_000 }).filter((ms) => ms % 1000 !== 0),
  ageS: fc.constantFrom(60, 61, 900, 3600),
});
const takenArb: fc.Arbitrary<TakenSpec> = fc.record({
  name: fc.constantFrom<TakenSpec['name']>('default', 'prefix', 'other', 'other'),
  via: fc.constantFrom<TakenSpec['via']>('config', 'config', 'secrets'),
});

/**
 * Subscription cases: `wild` ones take any value (wrong-typed, out of range, malformed
 * filters), `tame` ones values of the right type in range, refused mostly for how they
 * combine (with the service, the topic, the queue or each other).
 */
function subCaseArb(mode: 'wild' | 'tame', withQueue: boolean): fc.Arbitrary<SubCase> {
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

const SUB_KINDS: Array<[keyof SubOptions, 'boolean' | 'number' | 'Duration' | 'string']> = [
  ['rawMessageDelivery', 'boolean'], ['maxReceiveCount', 'number'], ['retentionPeriod', 'Duration'],
  ['deadLetterRetentionPeriod', 'Duration'], ['visibilityTimeout', 'Duration'], ['acceptableLatency', 'Duration'],
  ['messageProcessingTime', 'Duration'], ['alarms', 'boolean'], ['oldestMessageAgeThreshold', 'Duration'],
  ['deploymentAlarms', 'boolean'], ['envVarPrefix', 'string'],
];
const ofKind = (v: unknown, kind: string) => kind === 'Duration' ? isDuration(v) : typeof v === kind;
const wholeSecondsIn = (d: Duration, minS: number, maxS: number) => {
  const ms = d.toMilliseconds();
  return ms % 1000 === 0 && ms >= minS * 1000 && ms <= maxS * 1000;
};

/** The prefix of the subscription's variable: a valid `envVarPrefix`, else the topic's. */
function effectivePrefix(c: SubCase): string {
  const given = c.options.envVarPrefix;
  return typeof given === 'string' && ENV_VAR_NAME.test(given) ? given : TOPIC_NAMES[c.topicName];
}

/** The name of the variable the service has before it subscribes, when the case gives one. */
function takenVariable(c: SubCase): string | undefined {
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
function subscriptionMustName(c: SubCase): string[][] {
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
  if (o.alarms === false) {
    if (o.oldestMessageAgeThreshold !== undefined) must('oldestMessageAgeThreshold');
    if (o.deploymentAlarms === true) must('deploymentAlarms');
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

interface Built {
  readonly service: TwelveFactorService;
  readonly topic: EventTopic;
  readonly options: SubscribeOptions;
}

/** The service of a case, with the variable the case says it already has. */
function serviceOf(w: World, c: SubCase, serviceId: string): TwelveFactorService {
  const existing = w.stack.node.tryFindChild(serviceId) as TwelveFactorService | undefined;
  if (existing) return existing;
  const taken = takenVariable(c);
  if (taken === undefined) return newService(w, serviceId, c.service);
  if (c.taken!.via === 'config') return newService(w, serviceId, c.service, { [taken]: 'https://example.com/elsewhere' });
  return newService(w, serviceId, c.service, undefined, { [taken]: ssmSecret(w.stack, `${serviceId}Secret`) });
}

/** Builds the service, the topic and the options of a case in the world. */
function buildCase(w: World, c: SubCase, serviceId = 'Svc', suffix = ''): Built {
  const service = serviceOf(w, c, serviceId);
  const topic = w.bus.addTopic(c.topicName, c.fifo ? { fifo: true } : {});
  if (c.rawOptions) return { service, topic, options: c.rawOptions.value };
  const options = defined({
    ...c.options,
    queue: c.queue ? broughtQueue(w.stack, c.queue, suffix) : undefined,
    encryptionKey: c.key ? subscriptionKey(w.stack, c.key, suffix) : undefined,
    filterPolicy: policyOf(c.filterPolicy, attributesOf),
    filterPolicyWithMessageBody: policyOf(c.body, bodyOf),
  }) as SubscribeOptions;
  return { service, topic, options };
}

/** The env vars of the service's app container. */
function environmentOf(template: Template, stack: Stack, service: TwelveFactorService): Array<{ Name: string; Value: unknown }> {
  const def = resourcesOf(template, 'AWS::ECS::TaskDefinition')[idOf(stack, service.taskDefinition)];
  return def.Properties.ContainerDefinitions[0].Environment ?? [];
}

/** Checks the template of one valid subscription against its case. */
function checkSubscription(c: SubCase, stack: Stack, template: Template, sub: EventSubscription): void {
  const o = c.options;
  const fifo = c.fifo;
  const queues = resourcesOf(template, 'AWS::SQS::Queue');
  const queueId = logicalIdOf(stack, sub.queue.queueArn);
  const subscriptions = Object.values(resourcesOf(template, 'AWS::SNS::Subscription')).filter((s) => s.Properties.Protocol === 'sqs');
  const mine = subscriptions.filter((s) => JSON.stringify(s.Properties.Endpoint) === JSON.stringify(stack.resolve(sub.queue.queueArn)));
  expect(mine.length).toBe(1);
  const snsSub = mine[0].Properties;
  expect(snsSub.TopicArn).toEqual(stack.resolve(sub.topic.topic.topicArn));
  expect(snsSub.RawMessageDelivery).toBe(o.rawMessageDelivery ?? false);
  // The subscription's own dead-letter queue: what SNS could not deliver.
  const subDlq = queues[logicalIdOf(stack, sub.subscriptionDeadLetterQueue.queueArn)!].Properties;
  expect(snsSub.RedrivePolicy.deadLetterTargetArn).toEqual(stack.resolve(sub.subscriptionDeadLetterQueue.queueArn));
  expect(subDlq.FifoQueue === true).toBe(fifo);
  expect(subDlq.KmsMasterKeyId).toBeDefined();
  // Filter policy and scope.
  if (c.filterPolicy) {
    expect(snsSub.FilterPolicy).toEqual(renderAttributes(policyOf(c.filterPolicy, attributesOf)));
    expect(snsSub.FilterPolicyScope ?? 'MessageAttributes').toBe('MessageAttributes');
    expect(sub.filterPolicyScope).toBe('MessageAttributes');
  } else if (c.body) {
    expect(snsSub.FilterPolicy).toEqual(renderBody(policyOf(c.body, bodyOf)));
    expect(snsSub.FilterPolicyScope).toBe('MessageBody');
    expect(sub.filterPolicyScope).toBe('MessageBody');
  } else {
    expect(snsSub.FilterPolicy).toBeUndefined();
    expect(sub.filterPolicyScope).toBeUndefined();
  }
  // The queue: created with the options, or the one brought.
  if (c.queue === undefined) {
    expect(Object.keys(queues).length).toBe(3);
    const queue = queues[queueId!].Properties;
    expect(queue.FifoQueue === true).toBe(fifo);
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(o.maxReceiveCount ?? 10);
    expect(queue.KmsMasterKeyId).toBeDefined();
    if (c.key === 'imported') expect(queue.KmsMasterKeyId).toBe(KEY_ARN);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(c.service.stop);
    expect(queue.VisibilityTimeout).toBe(o.visibilityTimeout ? o.visibilityTimeout.toSeconds() : Math.max(30, c.service.stop));
    expect(queue.MessageRetentionPeriod).toBe((o.retentionPeriod ?? Duration.days(4)).toSeconds());
    const dlq = queues[queue.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]].Properties;
    expect(dlq.FifoQueue === true).toBe(fifo);
    expect(dlq.KmsMasterKeyId).toBeDefined();
    expect(dlq.MessageRetentionPeriod).toBe((o.deadLetterRetentionPeriod ?? Duration.days(14)).toSeconds());
    expect(subDlq.MessageRetentionPeriod).toBe(dlq.MessageRetentionPeriod);
    // Dead letters are kept at least as long as messages.
    expect(dlq.MessageRetentionPeriod).toBeGreaterThanOrEqual(queue.MessageRetentionPeriod);
  } else if (queueInStack(c.queue)) {
    expect(queueId).toBe(logicalIdOf(stack, (sub.queue as sqs.Queue).queueArn));
    expect(queueId!.startsWith('Brought')).toBe(true);
    expect(Object.keys(queues).length).toBe(3);
    expect(tlsOnlyPolicies(template, 'AWS::SQS::QueuePolicy', 'Queues', queueId!, 'sqs:*').length).toBe(1);
  } else {
    expect(queueId).toBeUndefined();
    expect(Object.keys(queues).length).toBe(1);
    expect(Annotations.fromStack(stack).findWarning(`/${sub.node.path}`, Match.stringLikeRegexp('importedQueue')).length).toBe(1);
  }
  // The queue policy lets this topic send, for a queue CDK manages.
  if (queueId) {
    const policies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy')).filter((p) => (p.Properties.Queues as any[]).some((q) => q.Ref === queueId));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as any[]);
    const sends = statements.filter((s) => s.Principal?.Service === 'sns.amazonaws.com');
    expect(sends.length).toBe(1);
    // A statement id per topic, so that a queue may serve several topics.
    expect(sends[0].Sid).toMatch(/^AllowTopic[A-Za-z0-9]{1,90}$/);
    expect(sends[0].Action).toBe('sqs:SendMessage');
    expect(JSON.stringify(sends[0].Condition.ArnEquals['aws:SourceArn'])).toBe(JSON.stringify(stack.resolve(sub.topic.topic.topicArn)));
  }
  // The variable.
  const prefix = o.envVarPrefix ?? TOPIC_NAMES[c.topicName];
  expect(sub.envVarName).toBe(`${prefix}_QUEUE_URL`);
  expect(environmentOf(template, stack, sub.service)).toContainEqual({ Name: `${prefix}_QUEUE_URL`, Value: stack.resolve(sub.queue.queueUrl) });
  // Backlog scaling.
  const policies = Object.values(resourcesOf(template, 'AWS::ApplicationAutoScaling::ScalingPolicy'));
  const backlog = policies.filter((p) => p.Properties.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification);
  const steps = policies.filter((p) => p.Properties.PolicyType === 'StepScaling');
  if (o.acceptableLatency !== undefined) {
    const target = Math.floor(o.acceptableLatency.toMilliseconds() / (o.messageProcessingTime ?? Duration.seconds(1)).toMilliseconds());
    expect(sub.backlogPerTaskTarget).toBe(target);
    expect(backlog.length).toBe(1);
    const config = backlog[0].Properties.TargetTrackingScalingPolicyConfiguration;
    expect(config.TargetValue).toBe(target);
    expect(config.TargetValue).toBeGreaterThanOrEqual(1);
    const metrics: any[] = config.CustomizedMetricSpecification.Metrics;
    expect(metrics.filter((m) => m.ReturnData === true).length).toBe(1);
    expect(metrics.some((m) => m.Id === 'messages' && JSON.stringify(m.MetricStat.Metric.Dimensions[0].Value)
      === JSON.stringify(stack.resolve(sub.queue.queueName)))).toBe(true);
    expect(steps.length).toBe(TASKS[c.service.tasks].min === 0 ? 1 : 0);
  } else {
    expect(backlog.length).toBe(0);
    expect(steps.length).toBe(0);
    expect(sub.backlogScalingPolicy).toBeUndefined();
  }
  // Alarms: the dead-letter queues' and the oldest message's, naming the topic.
  const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))
    .filter((a) => String(a.Properties.AlarmDescription).includes(`of the ${c.topicName} topic`) && String(a.Properties.AlarmDescription).includes('Test/Svc'));
  const alarmsOn = o.alarms !== false;
  const knownDlq = c.queue === undefined || queueInStack(c.queue);
  expect(sub.alarms.length).toBe(alarmsOn ? (knownDlq ? 3 : 2) : 0);
  expect(alarms.length).toBe(sub.alarms.length);
  if (alarmsOn) {
    // By default 15 minutes, or half a retention of 30 minutes or less (whole seconds).
    const retention = c.queue === undefined ? (o.retentionPeriod ?? Duration.days(4)).toSeconds() : undefined;
    const byDefault = retention !== undefined && retention <= 1800 ? Math.floor(retention / 2) : 900;
    const threshold = o.oldestMessageAgeThreshold ? o.oldestMessageAgeThreshold.toSeconds() : byDefault;
    const oldest = alarms.find((a) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(oldest.Properties.Threshold).toBe(threshold);
    // The alarm can go off before the queue deletes the message.
    if (retention !== undefined) expect(threshold).toBeLessThan(retention);
  }
  const service = resourcesOf(template, 'AWS::ECS::Service')[idOf(stack, sub.service.service)].Properties;
  const deploymentAlarms: unknown[] = service.DeploymentConfiguration?.Alarms?.AlarmNames ?? [];
  for (const alarm of sub.alarms) {
    expect(deploymentAlarms.some((a) => JSON.stringify(a) === JSON.stringify(stack.resolve(alarm.alarmName)))).toBe(o.deploymentAlarms === true);
  }
}

describe('subscription options', () => {
  test('random options subscribe with the invariants kept, or throw our error naming the path and a prop', () => {
    const tally = new Tally();
    fc.assert(fc.property(fc.oneof(subCaseArb('wild', true), subCaseArb('tame', true)), (c) => {
      const w = world();
      const { service, topic, options } = buildCase(w, c);
      const path = `Test/Svc/Bus-${c.topicName}`;
      let sub: EventSubscription | undefined;
      const err = attempt(() => { sub = topic.subscribe(service, options); });
      const mustName = subscriptionMustName(c);
      if (err !== undefined) {
        tally.refused++;
        // Options that are no object are refused by the topic, before a subscription is made.
        const at = c.rawOptions ? { classes: ['EventTopic'], path: `Test/Bus/${c.topicName}` } : { classes: ['EventSubscription'], path };
        const message = expectValidationError(err, { ...at, props: SUBSCRIBE_PROPS });
        if (mustName.length === 0) throw new Error(`a valid subscription was refused: ${message}`);
        expectNamesOneOf(message, mustName);
        tally.seeRefused('options no object', c.rawOptions !== undefined);
        const taken = takenVariable(c) === `${effectivePrefix(c)}_QUEUE_URL`;
        tally.seeRefused('variable taken', mustName.length === 1 && taken);
        tally.seeRefused('variable taken by a secret', taken && c.taken?.via === 'secrets');
        tally.seeRefused('KMS_MANAGED queue', c.queue === 'standard-kms-managed');
        tally.seeRefused('dead letters kept shorter', mustName.length === 1 && mustName[0][0] === 'deadLetterRetentionPeriod');
        tally.seeRefused('retention of no whole seconds with an age threshold', isDuration(c.options.retentionPeriod)
          && c.options.retentionPeriod.toMilliseconds() % 1000 !== 0 && isDuration(c.options.oldestMessageAgeThreshold));
        // Nothing was left behind: the topic can still be subscribed to, and only that shows.
        expect(topic.subscriptions).toEqual([]);
        expect(service.node.tryFindChild(`Bus-${c.topicName}`)).toBeUndefined();
        // A prefix no case takes (longer than any the generators make).
        const retry = topic.subscribe(service, { envVarPrefix: 'RETRY_AFTER_REFUSAL' });
        expect(retry.node.path).toBe(path);
        const template = synthesize(w.stack);
        expect(Object.keys(resourcesOf(template, 'AWS::SNS::Subscription')).length).toBe(1);
        const brought = queueInStack(c.queue) ? (c.queue!.endsWith('nodlq') ? 1 : 2) : 0;
        expect(Object.keys(resourcesOf(template, 'AWS::SQS::Queue')).length).toBe(3 + brought);
        return;
      }
      tally.valid++;
      if (mustName.length > 0) throw new Error(`expected an error naming ${mustName.map((g) => g.join('|')).join(', ')}`);
      const o = c.options;
      tally.see('fifo', c.fifo);
      tally.see('filterPolicy', c.filterPolicy !== undefined);
      tally.see('filterPolicyWithMessageBody', c.body !== undefined);
      tally.see('nested body policy', c.body !== undefined && 'entries' in c.body && c.body.entries.some(([, v]) => v.kind === 'policy'));
      tally.see('queue in the stack', queueInStack(c.queue));
      tally.see('imported queue', c.queue?.startsWith('imported') === true);
      tally.see('encryptionKey', c.key !== undefined);
      tally.see('acceptableLatency', o.acceptableLatency !== undefined);
      tally.see('scale from zero', o.acceptableLatency !== undefined && c.service.tasks === 'fromZero');
      tally.see('alarms: false', o.alarms === false);
      tally.see('deploymentAlarms', o.deploymentAlarms === true);
      tally.see('visibilityTimeout', o.visibilityTimeout !== undefined);
      tally.see('maxReceiveCount', o.maxReceiveCount !== undefined);
      tally.see('oldestMessageAgeThreshold', o.oldestMessageAgeThreshold !== undefined);
      tally.see('envVarPrefix', o.envVarPrefix !== undefined);
      tally.see('another variable set', c.taken !== undefined);
      tally.see('default age threshold of half the retention', c.queue === undefined && o.alarms !== false && o.oldestMessageAgeThreshold === undefined
        && isDuration(o.retentionPeriod) && o.retentionPeriod.toSeconds() <= 1800);
      expect(sub).toBeInstanceOf(EventSubscription);
      expect(sub!.node.path).toBe(path);
      expect(topic.subscriptions).toEqual([sub]);
      const template = synthesize(w.stack);
      expectUniqueSids(template);
      checkSubscription(c, w.stack, template, sub!);
    }), { numRuns: 400, seed: SEED });
    expect(tally.valid).toBeGreaterThan(100);
    expect(tally.refused).toBeGreaterThan(100);
    // Every feature was in valid samples, not only in refused ones.
    expect(tally.rare(['fifo', 'filterPolicy', 'filterPolicyWithMessageBody', 'nested body policy', 'queue in the stack', 'imported queue',
      'encryptionKey', 'acceptableLatency', 'scale from zero', 'alarms: false', 'deploymentAlarms', 'visibilityTimeout', 'maxReceiveCount',
      'oldestMessageAgeThreshold', 'envVarPrefix', 'another variable set', 'default age threshold of half the retention'])).toEqual([]);
    // And every rule of the fixes was broken in some refused ones.
    expect(tally.rarelyRefused(['options no object', 'variable taken', 'variable taken by a secret', 'KMS_MANAGED queue', 'dead letters kept shorter',
      'retention of no whole seconds with an age threshold'])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// 3. Duplicates, fan-out and fan-in
// ---------------------------------------------------------------------------------------

/** Cases valid by construction: the chaos generator filtered by the oracle, no brought queue. */
const validSubCaseArb: fc.Arbitrary<SubCase> = subCaseArb('tame', false).filter((c) => subscriptionMustName(c).length === 0);

describe('duplicates, fan-out and fan-in', () => {
  test('subscribing a service to a topic twice always throws our error naming `subscribe` (or `options` that are no object)', () => {
    const tally = new Tally();
    fc.assert(fc.property(validSubCaseArb, subCaseArb('wild', false), (first, second) => {
      const w = world();
      const a = buildCase(w, first);
      expect(attempt(() => a.topic.subscribe(a.service, a.options))).toBeUndefined();
      tally.valid++;
      // The second options may be valid or not, for this topic or not: the duplicate is refused
      // first, after options that are no object.
      const b = buildCase(w, { ...second, service: first.service, topicName: first.topicName, fifo: first.fifo }, 'Svc', '2');
      const err = attempt(() => a.topic.subscribe(a.service, b.options));
      tally.refused++;
      tally.seeRefused('options no object', second.rawOptions !== undefined);
      const message = expectValidationError(err, { classes: ['EventTopic'], path: `Test/Bus/${first.topicName}`, props: SUBSCRIBE_PROPS });
      expect(message).toContain(second.rawOptions ? '`options`' : '`subscribe`');
      expect(a.topic.subscriptions.length).toBe(1);
      const template = synthesize(w.stack);
      expect(Object.keys(resourcesOf(template, 'AWS::SNS::Subscription')).length).toBe(1);
    }), { numRuns: 150, seed: SEED });
    expect(tally.refused).toBe(150);
    expect(tally.rarelyRefused(['options no object'])).toEqual([]);
  });

  test('fan-out to N services creates N subscriptions and N queues, one per service', () => {
    const tally = new Tally();
    fc.assert(fc.property(fc.boolean(), fc.array(validSubCaseArb, { minLength: 1, maxLength: 4 }), (fifo, cases) => {
      const w = world();
      const topic = w.bus.addTopic('orders', fifo ? { fifo: true } : {});
      const subs = cases.map((c, i) => {
        const k: SubCase = { ...c, topicName: 'orders', fifo };
        const { service, options } = buildCase(w, k, `Svc${i}`, String(i));
        return topic.subscribe(service, options);
      });
      tally.valid++;
      expect(topic.subscriptions).toEqual(subs);
      const template = synthesize(w.stack);
      expectUniqueSids(template);
      const snsSubs = Object.values(resourcesOf(template, 'AWS::SNS::Subscription'));
      expect(snsSubs.length).toBe(cases.length);
      const endpoints = new Set(snsSubs.map((s) => JSON.stringify(s.Properties.Endpoint)));
      expect(endpoints.size).toBe(cases.length);
      // A queue, its dead-letter queue and the subscription's dead-letter queue per service.
      expect(Object.keys(resourcesOf(template, 'AWS::SQS::Queue')).length).toBe(3 * cases.length);
      subs.forEach((sub, i) => {
        expect(sub.node.path).toBe(`Test/Svc${i}/Bus-orders`);
        expect(endpoints.has(JSON.stringify(w.stack.resolve(sub.queue.queueArn)))).toBe(true);
        const prefix = cases[i].options.envVarPrefix ?? 'ORDERS';
        expect(environmentOf(template, w.stack, sub.service)).toContainEqual({ Name: `${prefix}_QUEUE_URL`, Value: w.stack.resolve(sub.queue.queueUrl) });
        const queue = resourcesOf(template, 'AWS::SQS::Queue')[logicalIdOf(w.stack, sub.queue.queueArn)!].Properties;
        expect(queue.FifoQueue === true).toBe(fifo);
      });
    }), { numRuns: 100, seed: SEED });
    expect(tally.valid).toBe(100);
  });

  test('one service subscribing to K topics gets K subscriptions and K distinct variables; a variable taken is refused; one brought queue may serve them all', () => {
    const names = Object.keys(TOPIC_NAMES);
    const topicsArb = fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 3 });
    const tally = new Tally();
    const three = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { minLength: 3, maxLength: 3 });
    // Prefixes from a small pool, so that two subscriptions often want the same variable.
    const poolPrefixArb = fc.constantFrom<string | undefined>(undefined, undefined, 'ORDERS', 'USER_SIGNUP', 'EVENTS');
    fc.assert(fc.property(serviceSpecArb, topicsArb, three(validSubCaseArb), three(fc.boolean()), three(poolPrefixArb), fc.boolean(),
      (serviceSpec, topicNames, cases, publishes, prefixes, share) => {
        const w = world();
        const service = newService(w, 'Svc', serviceSpec);
        // Fan-in: one brought standard queue for every topic, which are then all standard.
        const shared: sqs.Queue | undefined = share ? broughtQueue(w.stack, 'standard', 'Shared') : undefined;
        const subs: EventSubscription[] = [];
        const variables: string[] = [];
        topicNames.forEach((topicName, i) => {
          const options: SubOptions = { ...cases[i].options, envVarPrefix: prefixes[i] };
          const own: SubCase = { ...cases[i], service: serviceSpec, topicName, taken: undefined, options };
          // A brought queue takes no queue options.
          const queueOptions = {
            maxReceiveCount: undefined, retentionPeriod: undefined, deadLetterRetentionPeriod: undefined, visibilityTimeout: undefined,
          };
          const c: SubCase = shared ? { ...own, fifo: false, queue: 'standard', key: undefined, options: { ...options, ...queueOptions } } : own;
          if (subscriptionMustName(c).length > 0) return;
          const built = buildCase(w, { ...c, queue: undefined }, 'Svc', String(i));
          const variable = `${effectivePrefix(c)}_QUEUE_URL`;
          let sub: EventSubscription | undefined;
          const err = attempt(() => { sub = built.topic.subscribe(service, shared ? { ...built.options, queue: shared } : built.options); });
          if (variables.includes(variable)) {
            // Another subscription of the service has the variable: refused, nothing created.
            tally.refused++;
            const message = expectValidationError(err, { classes: ['EventSubscription'], path: `Test/Svc/Bus-${topicName}`, props: SUBSCRIBE_PROPS });
            expect(message).toContain('`envVarPrefix`');
            expect(built.topic.subscriptions).toEqual([]);
            return;
          }
          if (err !== undefined) throw err;
          expect(sub!.envVarName).toBe(variable);
          subs.push(sub!);
          variables.push(variable);
          if (publishes[i]) built.topic.grantPublish(service);
        });
        if (subs.length === 0) return;
        tally.valid++;
        tally.see('one queue for several topics', shared !== undefined && subs.length > 1);
        const template = synthesize(w.stack);
        expectUniqueSids(template);
        // Only the subscriptions made show: a refused one left nothing behind.
        expect(Object.keys(resourcesOf(template, 'AWS::SNS::Subscription')).length).toBe(subs.length);
        expect(Object.keys(resourcesOf(template, 'AWS::SQS::Queue')).length).toBe(shared ? 2 + subs.length : 3 * subs.length);
        const env = environmentOf(template, w.stack, service);
        const queueUrls = env.filter((e) => e.Name.endsWith('_QUEUE_URL'));
        expect(queueUrls.map((e) => e.Name).sort()).toEqual([...variables].sort());
        expect(new Set(queueUrls.map((e) => JSON.stringify(e.Value))).size).toBe(shared ? 1 : subs.length);
        const topicArns = env.filter((e) => e.Name.endsWith('_TOPIC_ARN'));
        expect(topicArns.length).toBe(subs.filter((s) => s.topic.publishers.includes(service)).length);
        expect(new Set(env.map((e) => e.Name)).size).toBe(env.length);
        const backlog = Object.values(resourcesOf(template, 'AWS::ApplicationAutoScaling::ScalingPolicy'))
          .filter((p) => p.Properties.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification);
        expect(backlog.length).toBe(subs.filter((s) => s.backlogPerTaskTarget !== undefined).length);
        if (shared) {
          // The brought queue's policy lets each topic send, in a statement of its own.
          const id = logicalIdOf(w.stack, shared.queueArn)!;
          const statements = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'))
            .filter((p) => (p.Properties.Queues as any[]).some((q) => q.Ref === id))
            .flatMap((p) => p.Properties.PolicyDocument.Statement as any[])
            .filter((s) => s.Principal?.Service === 'sns.amazonaws.com');
          expect(statements.map((s) => JSON.stringify(s.Condition.ArnEquals['aws:SourceArn'])).sort())
            .toEqual(subs.map((s) => JSON.stringify(w.stack.resolve(s.topic.topic.topicArn))).sort());
          for (const sub of subs) expect(sub.queue).toBe(shared);
        }
      }), { numRuns: 100, seed: SEED });
    expect(tally.valid).toBeGreaterThan(60);
    expect(tally.refused).toBeGreaterThan(10);
    expect(tally.rare(['one queue for several topics'])).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// 4. Publishers, through topic.grantPublish
// ---------------------------------------------------------------------------------------

/** The statements of the template's IAM policies that allow the action on the resource. */
function allows(template: Template, action: string, resource: unknown): boolean {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as any[])
    .some((st) => st.Effect === 'Allow' && [st.Action].flat().includes(action)
      && [st.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(resource)));
}

describe('publishers', () => {
  test('grantPublish injects <PREFIX>_TOPIC_ARN and sns:Publish, or throws our error naming `envVarPrefix` or `grantPublish`', () => {
    const tally = new Tally();
    const names = Object.keys(TOPIC_NAMES);
    fc.assert(fc.property(fc.constantFrom(...names), fc.boolean(), sometimes(prefixArb, 3, 1), sometimes(prefixArb, 1, 1), fc.boolean(),
      (name, fifo, prefix, again, taken) => {
        const w = world();
        const wanted = (p: unknown) => `${p ?? TOPIC_NAMES[name]}_TOPIC_ARN`;
        const validPrefix = (p: unknown) => p === undefined || (typeof p === 'string' && ENV_VAR_NAME.test(p));
        // The service's config may already hold the variable the default prefix gives.
        const service = newService(w, 'Svc', { stop: 30, tasks: 'default' }, taken ? { [wanted(undefined)]: 'arn:aws:sns:us-east-1:111111111111:other' } : undefined);
        const topic = w.bus.addTopic(name, fifo ? { fifo: true } : {});
        const options = defined({ envVarPrefix: prefix });
        let grant: unknown;
        const err = attempt(() => { grant = topic.grantPublish(service, options); });
        if (!validPrefix(prefix)) {
          tally.refused++;
          const message = expectValidationError(err, { classes: ['EventTopic'], path: `Test/Bus/${name}`, props: SUBSCRIBE_PROPS });
          expect(message).toContain('`envVarPrefix`');
          expect(topic.publishers).toEqual([]);
          return;
        }
        if (taken && wanted(prefix) === wanted(undefined)) {
          tally.refused++;
          const message = expectValidationError(err, { classes: ['TwelveFactorService'], path: 'Test/Svc', props: SUBSCRIBE_PROPS });
          expect(message).toContain('`envVarPrefix`');
          expect(topic.publishers).toEqual([]);
          return;
        }
        if (err !== undefined) throw err;
        tally.valid++;
        expect(topic.publishers).toEqual([service]);
        // Granting again: the same grant for the same variable, else refused.
        const err2 = attempt(() => expect(topic.grantPublish(service, defined({ envVarPrefix: again }))).toBe(grant));
        if (!validPrefix(again)) {
          expect(expectValidationError(err2, { classes: ['EventTopic'], path: `Test/Bus/${name}`, props: SUBSCRIBE_PROPS })).toContain('`envVarPrefix`');
        } else if (wanted(again) !== wanted(prefix)) {
          expect(expectValidationError(err2, { classes: ['EventTopic'], path: `Test/Bus/${name}`, props: SUBSCRIBE_PROPS })).toContain('`grantPublish`');
        } else if (err2 !== undefined) {
          throw err2;
        }
        const template = synthesize(w.stack);
        expect(environmentOf(template, w.stack, service)).toContainEqual({ Name: wanted(prefix), Value: w.stack.resolve(topic.topic.topicArn) });
        expect(allows(template, 'sns:Publish', w.stack.resolve(topic.topic.topicArn))).toBe(true);
        expect(allows(template, 'kms:GenerateDataKey*', w.stack.resolve(w.bus.encryptionKey.keyArn))).toBe(true);
      }), { numRuns: 200, seed: SEED });
    expect(tally.valid).toBeGreaterThan(50);
    expect(tally.refused).toBeGreaterThan(20);
  });
});

// ---------------------------------------------------------------------------------------
// Regressions: the smallest case of each bug the properties above found, fixed since. A bug
// found and not fixed yet would be pinned here by an it.failing test (and left out of the
// generators, the comment naming it), to turn red once fixed.
// ---------------------------------------------------------------------------------------

describe('bugs found by the property tests, fixed', () => {
  const svc = (w: World, config?: Record<string, string>, secrets?: Record<string, ecs.Secret>) =>
    newService(w, 'Svc', { stop: 30, tasks: 'default' }, config, secrets);
  /** Expects our error of the class at the path, naming the prop; returns its message. */
  const refused = (err: unknown, className: string, path: string, prop: string): string => {
    const message = expectValidationError(err, { classes: [className], path, props: [...TOPIC_PROPS, ...SUBSCRIBE_PROPS] });
    expect(message).toContain(`\`${prop}\``);
    return message;
  };

  // BUG 1: addTopic used the topic name as the construct id of the topic under the bus, unchecked:
  // 'Key' clashed with the bus's own KMS key and a property of Object.prototype with the lookup
  // of constructs' children ("There is already a Construct with name 'Key' in MessageBus [Bus]").
  it.each([
    ['Key', 'is taken by another construct of the bus'],
    ['constructor', 'is a reserved name'],
    ['toString', 'is a reserved name'],
    ['hasOwnProperty', 'is a reserved name'],
    ['__proto__', 'not valid'],
  ])('BUG 1: addTopic(%p) is refused naming `name` (%s), and nothing is added', (name, why) => {
    const bus = new MessageBus(freshStack(), 'Bus');
    const children = bus.node.children.length;
    expect(refused(attempt(() => bus.addTopic(name)), 'MessageBus', 'Test/Bus', 'name')).toContain(why);
    expect(bus.topics).toEqual([]);
    expect(bus.node.children.length).toBe(children);
  });
  it('BUG 1: a topic named Key is fine on a bus whose key is given', () => {
    const stack = freshStack();
    const bus = new MessageBus(stack, 'Bus', { encryptionKey: new kms.Key(stack, 'GivenKey') });
    expect(bus.addTopic('Key').node.path).toBe('Test/Bus/Key');
    synthesize(stack);
  });

  // BUG 2: a topic name starting with a digit was accepted, but its default prefix made an
  // invalid variable name: grantPublish and subscribe threw at Test/Svc naming no prop.
  it.each(['1orders', '0', '-', '_', '-orders', '_orders'])('BUG 2: a topic named %p is refused at addTopic naming `name`', (name) => {
    const bus = new MessageBus(freshStack(), 'Bus');
    refused(attempt(() => bus.addTopic(name)), 'MessageBus', 'Test/Bus', 'name');
    expect(bus.topics).toEqual([]);
  });

  // BUG 3: subscribe added the variable after it had created the queues, the SNS subscription,
  // the queue policy and the consume grant; a variable refused left them all in the template.
  it.each([
    ['another subscription', 'another'],
    ['the config', 'config'],
    ['the secrets', 'secrets'],
  ])('BUG 3: a subscription whose variable is taken by %s is refused before it creates anything', (_what, by) => {
    const w = world();
    const service = by === 'config' ? svc(w, { ORDERS_QUEUE_URL: 'https://example.com' })
      : by === 'secrets' ? svc(w, undefined, { ORDERS_QUEUE_URL: ssmSecret(w.stack) }) : svc(w);
    // 'orders' and 'Orders' both give ORDERS.
    if (by === 'another') w.bus.addTopic('Orders').subscribe(service);
    const topic = w.bus.addTopic('orders');
    const message = refused(attempt(() => topic.subscribe(service)), 'EventSubscription', 'Test/Svc/Bus-orders', 'envVarPrefix');
    expect(message).toContain('ORDERS_QUEUE_URL is already set on Test/Svc');
    expect(topic.subscriptions).toEqual([]);
    expect(service.node.tryFindChild('Bus-orders')).toBeUndefined();
    const template = synthesize(w.stack);
    const before = by === 'another' ? 1 : 0;
    expect(Object.keys(resourcesOf(template, 'AWS::SNS::Subscription')).length).toBe(before);
    expect(Object.keys(resourcesOf(template, 'AWS::SQS::Queue')).length).toBe(3 * before);
    expect(Object.keys(resourcesOf(template, 'AWS::SQS::QueuePolicy')).length).toBe(3 * before);
    // Another prefix subscribes.
    expect(topic.subscribe(service, { envVarPrefix: 'NEW_ORDERS' }).envVarName).toBe('NEW_ORDERS_QUEUE_URL');
  });

  // BUG 4: one brought queue for two topics (fan-in) got two statements with the Sid
  // 'AllowTheTopicToSend' in its QueuePolicy; SQS requires unique statement ids.
  it('BUG 4: one brought queue subscribed to two topics has a statement per topic, with unique Sids', () => {
    const w = world();
    const service = svc(w);
    const queue = broughtQueue(w.stack, 'standard') as sqs.Queue;
    const topics = [w.bus.addTopic('orders'), w.bus.addTopic('payments')];
    for (const topic of topics) topic.subscribe(service, { queue });
    const template = synthesize(w.stack);
    expectUniqueSids(template);
    const statements = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy'))
      .filter((p) => (p.Properties.Queues as any[]).some((q) => q.Ref === logicalIdOf(w.stack, queue.queueArn)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as any[])
      .filter((s) => s.Principal?.Service === 'sns.amazonaws.com');
    expect(statements.map((s) => s.Condition.ArnEquals['aws:SourceArn'])).toEqual(topics.map((t) => w.stack.resolve(t.topic.topicArn)));
  });

  // BUG 5: the rule "oldestMessageAgeThreshold must be shorter than retentionPeriod" was checked
  // only when the threshold was given: a retention of 15 minutes or less with the default
  // threshold (15 minutes) had an alarm that could never go off. The default is now half a
  // retention of 30 minutes or less, in whole seconds.
  it.each([
    ['10 minutes', 300, Duration.minutes(10)],
    ['61 seconds', 30, Duration.seconds(61)],
    ['30 minutes', 900, Duration.minutes(30)],
    ['31 minutes', 900, Duration.minutes(31)],
  ])('BUG 5: a retentionPeriod of %s with the default age alarm gets a threshold of %p s', (_label, threshold, retentionPeriod) => {
    const w = world();
    const sub = w.bus.addTopic('orders').subscribe(svc(w), { retentionPeriod });
    expect((sub.oldestMessageAlarm!.node.defaultChild as any).threshold).toBe(threshold);
    synthesize(w.stack);
  });

  // BUG 6: a brought queue encrypted with the AWS managed key (QueueEncryption.KMS_MANAGED,
  // alias/aws/sqs) was accepted, but SNS cannot deliver to it: the key policy of an AWS managed
  // key cannot let sns.amazonaws.com use it (AWS: event sources need a customer managed key).
  it('BUG 6: a brought queue with KMS_MANAGED encryption is refused naming `queue`', () => {
    const w = world();
    const service = svc(w);
    const topic = w.bus.addTopic('orders');
    const err = attempt(() => topic.subscribe(service, { queue: broughtQueue(w.stack, 'standard-kms-managed') }));
    expect(refused(err, 'EventSubscription', 'Test/Svc/Bus-orders', 'queue')).toContain('AWS managed key');
    expect(topic.subscriptions).toEqual([]);
  });

  // BUG 7: options that are no object: addTopic said "options 42 are not an EventTopicOptions
  // object", naming no prop in backticks; subscribe spread them and subscribed ('abc' became
  // {0: 'a', 1: 'b', 2: 'c'}), accepting them silently.
  it.each([42, 'abc', true, [], ['a']])('BUG 7a: addTopic with options %p is refused naming `options`', (options) => {
    const bus = new MessageBus(freshStack(), 'Bus');
    refused(attempt(() => bus.addTopic('orders', options as any)), 'MessageBus', 'Test/Bus', 'options');
    expect(bus.topics).toEqual([]);
  });
  it('BUG 7a: addTopic with options null adds a topic as with none', () => {
    const bus = new MessageBus(freshStack(), 'Bus');
    const topic = bus.addTopic('orders', null as any);
    expect(topic.fifo).toBe(false);
    expect(bus.addTopic('orders')).toBe(topic);
  });
  it.each([42, 'abc', true, [], null])('BUG 7b: subscribe with options %p is refused by the topic naming `options`', (options) => {
    const w = world();
    const service = svc(w);
    const topic = w.bus.addTopic('orders');
    refused(attempt(() => topic.subscribe(service, options as any)), 'EventTopic', 'Test/Bus/orders', 'options');
    expect(topic.subscriptions).toEqual([]);
    expect(service.node.tryFindChild('Bus-orders')).toBeUndefined();
  });

  // BUG 8: validate() compared `oldestMessageAgeThreshold` with `retentionPeriod` through
  // Duration.toSeconds() before refusing a retentionPeriod that is no whole number of seconds:
  // "CannotConvertedIntoWhole: '90500 millis' cannot be converted into a whole number of seconds".
  it('BUG 8: a retentionPeriod of 90.5 s with an age threshold is refused naming `retentionPeriod`', () => {
    const w = world();
    const err = attempt(() => w.bus.addTopic('orders').subscribe(svc(w), {
      retentionPeriod: Duration.millis(90_500), oldestMessageAgeThreshold: Duration.minutes(1),
    }));
    refused(err, 'EventSubscription', 'Test/Svc/Bus-orders', 'retentionPeriod');
  });

  // New rules that came with the fixes.
  it('a brought topic of the app without a master key is refused naming `topic`', () => {
    const stack = freshStack();
    const bus = new MessageBus(stack, 'Bus');
    const err = attempt(() => bus.addTopic('orders', { topic: broughtTopic(stack, 'standard-unencrypted') }));
    expect(refused(err, 'MessageBus', 'Test/Bus', 'topic')).toContain('is not encrypted');
    expect(bus.topics).toEqual([]);
  });
  it.each([
    ['dead letters 1 day, messages 4 days by default', true, { deadLetterRetentionPeriod: Duration.days(1) }],
    ['dead letters 5 days, messages 7 days', true, { retentionPeriod: Duration.days(7), deadLetterRetentionPeriod: Duration.days(5) }],
    ['dead letters and messages 7 days', false, { retentionPeriod: Duration.days(7), deadLetterRetentionPeriod: Duration.days(7) }],
    ['messages 14 days, dead letters 14 days by default', false, { retentionPeriod: Duration.days(14) }],
  ])('%s: refused naming `deadLetterRetentionPeriod` is %p', (_label, isRefused, options) => {
    const w = world();
    const err = attempt(() => w.bus.addTopic('orders').subscribe(svc(w), options));
    if (isRefused) refused(err, 'EventSubscription', 'Test/Svc/Bus-orders', 'deadLetterRetentionPeriod');
    else expect(err).toBeUndefined();
  });
});
