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
 *
 * Layout: properties/arbitraries.ts holds the generators and the cases they draw,
 * properties/oracle.ts the oracle, properties/samples.ts the fixtures, how a case is built in
 * a stack and how its template is checked; the properties and the regression tests are here.
 */
import { Duration, aws_ecs as ecs, aws_kms as kms, aws_sqs as sqs } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { EventSubscription, EventTopic, MessageBus } from '../../src';
import { attempt, expectNamesOneOf, expectValidationError } from '../error-contract';
import { defined, prefixArb, serviceSpecArb, sometimes, SubCase, subCaseArb, SubOptions, TOPIC_NAMES, topicCaseArb } from './properties/arbitraries';
import { broughtFifo, effectivePrefix, ENV_VAR_NAME, isDuration, OBJECT_PROTOTYPE_NAMES, queueInStack, subscriptionMustName, takenVariable, topicMustName } from './properties/oracle';
import { allows, broughtQueue, broughtTopic, buildCase, busFor, checkSubscription, checkTopicTemplate, environmentOf, expectUniqueSids, freshStack, logicalIdOf, newService, resourcesOf, ssmSecret, synthesize, topicOptionsOf, World, world } from './properties/samples';

const SEED = 42;

// ---------------------------------------------------------------------------------------
// The contract every error must keep.
// ---------------------------------------------------------------------------------------

const TOPIC_PROPS = ['name', 'fifo', 'contentBasedDeduplication', 'topic', 'topicName', 'displayName', 'bus', 'addTopic', 'options'];
const SUBSCRIBE_PROPS = [
  'filterPolicy', 'filterPolicyWithMessageBody', 'rawMessageDelivery', 'queue', 'maxReceiveCount', 'retentionPeriod',
  'deadLetterRetentionPeriod', 'visibilityTimeout', 'encryptionKey', 'acceptableLatency', 'messageProcessingTime', 'defaultAlarms',
  'oldestMessageAgeThreshold', 'enableDeploymentAlarms', 'envVarPrefix',
  // Named next to the option at fault, and the methods of EventTopic.
  'stopTimeout', 'minTasks', 'maxTasks', 'topic', 'service', 'fifo', 'subscribe', 'asBackingService', 'options',
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
// 1. Topic options, through bus.addTopic
// ---------------------------------------------------------------------------------------

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
      tally.see('defaultAlarms: false', o.defaultAlarms === false);
      tally.see('enableDeploymentAlarms', o.enableDeploymentAlarms === true);
      tally.see('visibilityTimeout', o.visibilityTimeout !== undefined);
      tally.see('maxReceiveCount', o.maxReceiveCount !== undefined);
      tally.see('oldestMessageAgeThreshold', o.oldestMessageAgeThreshold !== undefined);
      tally.see('envVarPrefix', o.envVarPrefix !== undefined);
      tally.see('another variable set', c.taken !== undefined);
      tally.see('default age threshold of half the retention', c.queue === undefined && o.defaultAlarms !== false && o.oldestMessageAgeThreshold === undefined
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
      'encryptionKey', 'acceptableLatency', 'scale from zero', 'defaultAlarms: false', 'enableDeploymentAlarms', 'visibilityTimeout', 'maxReceiveCount',
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
          if (publishes[i]) service.attach(built.topic.asBackingService());
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
// 4. Publishers, through service.attach(topic.asBackingService())
// ---------------------------------------------------------------------------------------

describe('publishers', () => {
  test('attaching the topic injects <PREFIX>_TOPIC_ARN and sns:Publish, or throws our error naming `envVarPrefix`', () => {
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
        const err = attempt(() => service.attach(topic.asBackingService(options)));
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
        // Attaching again: a no-op for the same variable, else refused.
        const err2 = attempt(() => service.attach(topic.asBackingService(defined({ envVarPrefix: again }))));
        if (!validPrefix(again)) {
          expect(expectValidationError(err2, { classes: ['EventTopic'], path: `Test/Bus/${name}`, props: SUBSCRIBE_PROPS })).toContain('`envVarPrefix`');
        } else if (wanted(again) !== wanted(prefix)) {
          expect(expectValidationError(err2, { classes: ['TwelveFactorService'], path: 'Test/Svc', props: SUBSCRIBE_PROPS })).toContain('`envVarPrefix`');
        } else if (err2 !== undefined) {
          throw err2;
        }
        expect(topic.publishers).toEqual([service]);
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
  // invalid variable name: grantPublish (now asBackingService) and subscribe threw at Test/Svc naming no prop.
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
