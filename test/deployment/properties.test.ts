/**
 * Property tests of CanaryDeployment: random step lists (whole and fractional percentages,
 * out of range, bakes of every size and unit, 0 to 25 steps, presets, entries that are no
 * step) and random alarm and timing props (valid, at a bound, out of range, conflicting,
 * of the wrong kind). Each sample either constructs, and then the plan in the definition
 * CloudFormation receives matches an oracle written from the documented rules (percentages
 * rising and ending at 100, every bake at least the alarm window, polls = ceil(bake / poll),
 * the planned and maximum durations, a plan that fits one execution history), or throws our
 * MicroservicesValidationError naming CanaryDeployment, its path and every prop the oracle
 * finds at fault; never another error.
 *
 * An oracle that finds a sample valid means it must construct, and one that finds it
 * invalid means it must be refused. Each property counts its valid and refused samples and
 * checks both occurred. Seeds are fixed so CI is repeatable. Each sample is built in its
 * own app; every fourth valid one is synthesized.
 */
import { Duration, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as fc from 'fast-check';
import { canaryWorld, definitionOf, expectCanaryRefusal, planOf, slotService, thrownBy } from './fixtures';
import { CanaryDeployment, CanaryDeploymentProps, CanaryStep, OldSlot } from '../../src';

const SEED = 42;
/** Every SYNTH_EVERY-th valid sample is synthesized too (the others are only resolved). */
const SYNTH_EVERY = 4;
const PATH = 'Test/Canary';
const DAY = 86_400;
/** Step Functions' quota of events in one Standard execution's history. */
const HISTORY_EVENTS = 25_000;
/** History events of one alarm poll of a bake: Wait (2), Task (5), Choice (2), Pass (2). */
const EVENTS_PER_POLL = 11;

/** Every prop a problem may name (and the method addAlarm). */
const PROPS = [
  'service', 'hostedZone', 'recordName', 'recordTtl', 'steps', 'certificate', 'allowPlainHttp', 'internetFacing',
  'loadBalancerDeletionProtection', 'blueLoadBalancer', 'blueListener', 'greenLoadBalancer', 'greenListener', 'listenerRulePriority',
  'allowSlotsInDifferentVpcs', 'defaultAlarms', 'errorRatePercent', 'latencyThreshold', 'alarmPeriod', 'alarmEvaluationPeriods', 'alarms',
  'alarmPollInterval', 'healthTimeout', 'healthPollInterval', 'approvalBeforeLastStep', 'approvalTopic', 'approvalTimeout', 'oldSlot',
  'imageRepository', 'startOnPush', 'startOnPushTagPrefix', 'addAlarm',
];

// ---------------------------------------------------------------------------------------
// Generators.
// ---------------------------------------------------------------------------------------

/** Undefined most of the time (an option left out), else a value from `arb`. */
function sometimes<T>(arb: fc.Arbitrary<T>, present = 1, absent = 3): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: present, arbitrary: arb });
}

/** Values of the wrong kind for any prop (some happen to be of the right kind for some). */
const wrongKind: fc.Arbitrary<any> = fc.constantFrom<any>('text', '10', 'true', 42, 0, 1.5, true, false, [], ['a'], {}, null);

/** Durations: whole seconds of every size, minutes, bounds, milliseconds, and odd ones. */
const durationArb: fc.Arbitrary<Duration> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 2 * DAY }).map((s) => Duration.seconds(s)) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 900 }).map((s) => Duration.seconds(s)) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 180 }).map((m) => Duration.minutes(m)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(0, 1, 4, 5, 10, 30, 59, 60, 61, 90, 119, 120, 121, 299, 300, 301, 600, 7200, 7201, DAY, DAY + 1, 7 * DAY, 7 * DAY + 1)
      .map((s) => Duration.seconds(s)),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: DAY * 1000 }).map((ms) => Duration.millis(ms)) },
  { weight: 1, arbitrary: fc.constantFrom(Duration.millis(1500), Duration.minutes(1.5), Duration.hours(2), Duration.days(1), Duration.days(8)) },
  // Not a whole number of milliseconds, or NaN: the checks must still report them as ours.
  { weight: 1, arbitrary: fc.constantFrom(Duration.seconds(300.0001), Duration.millis(0.5), Duration.seconds(NaN)) },
);
const durationProp: fc.Arbitrary<any> = fc.oneof({ weight: 12, arbitrary: durationArb }, { weight: 1, arbitrary: wrongKind });

/** Percentages: mostly whole and in range, then the bounds, fractions and nonsense. */
const percentArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 100 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 99, 100, 101, -5, 2.5, 99.9, 100.0000001, NaN, Infinity) },
  { weight: 1, arbitrary: fc.double({ min: -10, max: 120, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom<any>('50', null, undefined) },
);

/** A bake that passes the default window most of the time. */
const bakeArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 120, max: 1800 }).map((s) => Duration.seconds(s)) },
  { weight: 3, arbitrary: durationArb },
  { weight: 1, arbitrary: fc.constantFrom<any>(300, '5m', null) },
);

/** An entry of a step list: a step of any percentage and bake, or something else. */
const entryArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(percentArb, bakeArb).map(([percent, bake]) => CanaryStep.weight(percent, bake)) },
  { weight: 1, arbitrary: fc.constantFrom<any>(null, undefined, 'step', 50, { percent: 100, bake: Duration.minutes(5) }) },
);

/** A bake longer than any alarm window of the first property, mostly. */
const longBakeArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 600, max: 3600 }).map((s) => Duration.seconds(s)) },
  { weight: 1, arbitrary: bakeArb },
);

/** Rising whole percentages ending at 100 (valid, unless a bake is not). */
const risingArb: fc.Arbitrary<CanaryStep[]> = fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 19 })
  .chain((percents) => fc.array(longBakeArb, { minLength: percents.length + 1, maxLength: percents.length + 1 })
    .map((bakes) => [...[...percents].sort((a, b) => a - b), 100].map((p, i) => CanaryStep.weight(p, bakes[i]))));

/** Step lists, and what is passed as `steps`. */
const stepsArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 6, arbitrary: risingArb },
  { weight: 4, arbitrary: fc.array(entryArb, { maxLength: 25 }) },
  { weight: 1, arbitrary: fc.array(fc.tuple(percentArb, bakeArb).map(([p, b]) => CanaryStep.weight(p, b)), { minLength: 19, maxLength: 25 }) },
  {
    weight: 2,
    arbitrary: fc.oneof(
      bakeArb.map((b) => CanaryStep.standard(b instanceof Duration ? b : undefined)),
      fc.tuple(percentArb, bakeArb).map(([p, b]) => CanaryStep.linear(p, b)),
      bakeArb.map((b) => CanaryStep.allAtOnce(b instanceof Duration ? b : undefined)),
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom<any>(undefined, undefined, [], 'standard', 42, {}) },
);

/** The timing and alarm props a sample may set (undefined: left out). */
interface Timing {
  readonly defaultAlarms?: any;
  readonly extraAlarm?: boolean;
  readonly errorRatePercent?: any;
  readonly latencyThreshold?: any;
  readonly alarmPeriod?: any;
  readonly alarmEvaluationPeriods?: any;
  readonly alarmPollInterval?: any;
  readonly healthTimeout?: any;
  readonly healthPollInterval?: any;
  readonly approvalBeforeLastStep?: any;
  readonly approvalTimeout?: any;
  readonly recordTtl?: any;
  readonly oldSlot?: any;
}

const timingArb: fc.Arbitrary<Timing> = fc.record({
  defaultAlarms: sometimes(fc.oneof({ weight: 8, arbitrary: fc.boolean() }, { weight: 1, arbitrary: wrongKind }), 1, 4),
  extraAlarm: fc.boolean(),
  errorRatePercent: sometimes(fc.oneof(
    { weight: 4, arbitrary: fc.double({ min: 0.01, max: 100, noNaN: true }) },
    { weight: 2, arbitrary: fc.constantFrom<any>(0, 100, 100.5, -1, NaN, 0.001) },
    { weight: 1, arbitrary: wrongKind },
  )),
  latencyThreshold: sometimes(fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 60_000 }).map((ms) => Duration.millis(ms)) },
    { weight: 2, arbitrary: durationProp },
  )),
  alarmPeriod: sometimes(fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(10, 30, 60, 120, 180, 300).map((s) => Duration.seconds(s)) },
    { weight: 2, arbitrary: durationProp },
  )),
  alarmEvaluationPeriods: sometimes(fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 10 }) },
    { weight: 2, arbitrary: fc.constantFrom<any>(0, 11, 1.5, -1, NaN, Infinity, '2') },
  )),
  alarmPollInterval: sometimes(fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 5, max: 300 }).map((s) => Duration.seconds(s)) },
    { weight: 2, arbitrary: durationProp },
  )),
  healthTimeout: sometimes(fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 60, max: 7200 }).map((s) => Duration.seconds(s)) },
    { weight: 2, arbitrary: durationProp },
  )),
  healthPollInterval: sometimes(fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 5, max: 300 }).map((s) => Duration.seconds(s)) },
    { weight: 2, arbitrary: durationProp },
  )),
  approvalBeforeLastStep: sometimes(fc.oneof({ weight: 8, arbitrary: fc.boolean() }, { weight: 1, arbitrary: wrongKind }), 1, 2),
  approvalTimeout: sometimes(fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 60, max: 7 * DAY }).map((s) => Duration.seconds(s)) },
    { weight: 2, arbitrary: durationProp },
  )),
  recordTtl: sometimes(fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: DAY }).map((s) => Duration.seconds(s)) },
    { weight: 2, arbitrary: durationProp },
  ), 1, 4),
  oldSlot: sometimes(fc.constantFrom<any>(OldSlot.KEEP_WARM, OldSlot.SCALE_IN, OldSlot.SCALE_IN, 'DELETE', 'scale_in', 1), 1, 3),
}, { requiredKeys: ['extraAlarm'] });

// ---------------------------------------------------------------------------------------
// The oracle, from the documented rules.
// ---------------------------------------------------------------------------------------

const isDuration = (v: unknown): v is Duration => v instanceof Duration;
/** Whole seconds of a Duration, or undefined when it is not a whole number of seconds. */
function wholeSeconds(d: Duration): number | undefined {
  const ms = d.toMilliseconds({ integral: false });
  return Number.isFinite(ms) && ms % 1000 === 0 ? ms / 1000 : undefined;
}
const secondsWithin = (d: Duration, min: number, max: number) => {
  const s = wholeSeconds(d);
  return s !== undefined && s >= min && s <= max;
};

/** What the oracle expects of a sample. */
interface Verdict {
  /** The props at fault; empty when the sample must construct. */
  readonly faults: Set<string>;
  /** The rules of the steps that the sample breaks. */
  readonly stepRules: Set<string>;
  /**
   * The plan may or may not fit one execution history (it does on the happy path, maybe not
   * with every health and DNS poll): the sample may construct or be refused.
   */
  readonly mayExceedHistory: boolean;
  /** The effective steps (percent and whole-second bake), when valid. */
  readonly steps: Array<{ percent: number; bake: number }>;
  readonly poll: number;
  readonly window: number;
  readonly approval: boolean;
  readonly approvalTimeout: number;
  readonly healthTimeout: number;
}

const KINDS: Array<[keyof Timing, 'boolean' | 'number' | 'Duration']> = [
  ['defaultAlarms', 'boolean'], ['errorRatePercent', 'number'], ['latencyThreshold', 'Duration'], ['alarmPeriod', 'Duration'],
  ['alarmEvaluationPeriods', 'number'], ['alarmPollInterval', 'Duration'], ['healthTimeout', 'Duration'], ['healthPollInterval', 'Duration'],
  ['approvalBeforeLastStep', 'boolean'], ['approvalTimeout', 'Duration'], ['recordTtl', 'Duration'],
];

function oracle(stepsGiven: any, timing: Timing): Verdict {
  const faults = new Set<string>();
  const stepRules = new Set<string>();
  const breaks = (rule: string) => {
    faults.add('steps');
    stepRules.add(rule);
  };
  const t: Record<string, any> = { ...timing };
  // A prop of the wrong kind is a fault, and the other rules see it as left out.
  for (const [prop, kind] of KINDS) {
    const v = t[prop];
    if (v === undefined) continue;
    const ok = kind === 'Duration' ? isDuration(v) : typeof v === kind;
    if (!ok) {
      faults.add(prop);
      delete t[prop];
    }
  }
  if (t.oldSlot !== undefined && !Object.values(OldSlot).includes(t.oldSlot)) faults.add('oldSlot');

  const alarmsOn = t.defaultAlarms ?? true;
  if (!alarmsOn && !timing.extraAlarm) faults.add('defaultAlarms');
  if (!alarmsOn) {
    for (const prop of ['errorRatePercent', 'latencyThreshold', 'alarmPeriod', 'alarmEvaluationPeriods']) if (t[prop] !== undefined) faults.add(prop);
  }
  if (t.errorRatePercent !== undefined && !(t.errorRatePercent > 0 && t.errorRatePercent <= 100)) faults.add('errorRatePercent');
  if (t.latencyThreshold !== undefined) {
    const ms = t.latencyThreshold.toMilliseconds({ integral: false });
    if (!(ms > 0 && ms <= 60_000)) faults.add('latencyThreshold');
  }
  const period = t.alarmPeriod === undefined ? 60 : wholeSeconds(t.alarmPeriod);
  const periodOk = period !== undefined && period >= 60 && period <= DAY && period % 60 === 0;
  if (!periodOk) faults.add('alarmPeriod');
  const evaluations = t.alarmEvaluationPeriods ?? 2;
  const evaluationsOk = Number.isInteger(evaluations) && evaluations >= 1 && evaluations <= 10;
  if (!evaluationsOk) faults.add('alarmEvaluationPeriods');
  for (const [prop, min, max] of [['alarmPollInterval', 5, 300], ['healthTimeout', 60, 7200], ['healthPollInterval', 5, 300],
    ['approvalTimeout', 60, 7 * DAY]] as const) {
    if (t[prop] !== undefined && !secondsWithin(t[prop], min, max)) faults.add(prop);
  }
  if (t.approvalTimeout !== undefined && t.approvalBeforeLastStep !== true) faults.add('approvalTimeout');
  if (t.recordTtl !== undefined && !secondsWithin(t.recordTtl, 1, DAY)) faults.add('recordTtl');

  // The steps, the default ones included: every bake at least the alarm window.
  const window = alarmsOn && periodOk && evaluationsOk ? period! * evaluations : 0;
  const steps: Array<{ percent: number; bake: number }> = [];
  const list = stepsGiven === undefined ? CanaryStep.standard() : stepsGiven;
  if (!Array.isArray(list) || list.length === 0) {
    breaks('not a list of steps');
  } else {
    if (list.length > 20) breaks('more than 20 steps');
    let previous = 0;
    for (let i = 0; i < list.length; i++) {
      const s = list[i];
      if (!(s instanceof CanaryStep)) {
        breaks('an entry that is no CanaryStep');
        continue;
      }
      const whole = typeof s.percent === 'number' && Number.isInteger(s.percent) && s.percent >= 1 && s.percent <= 100;
      if (!whole) breaks('a percentage that is no whole number from 1 to 100');
      else if (s.percent <= previous) breaks('a percentage that does not rise');
      if (whole) previous = Math.max(previous, s.percent);
      const bake = isDuration(s.bake) ? wholeSeconds(s.bake) : undefined;
      if (bake === undefined || bake < 1 || bake > DAY) breaks('a bake that is no whole seconds from 1 s to 1 day');
      else if (bake < window) breaks('a bake shorter than the alarm window');
      if (!stepRules.size) steps.push({ percent: s.percent, bake: bake! });
    }
    const last = list[list.length - 1];
    if (last instanceof CanaryStep && last.percent !== 100) breaks('a last step below 100%');
  }
  // One execution runs the whole rollout, so its history must hold every poll: a plan whose
  // bakes alone take more events than the quota cannot complete.
  const poll = t.alarmPollInterval === undefined ? 10 : wholeSeconds(t.alarmPollInterval);
  const healthTimeout = t.healthTimeout === undefined ? 1200 : wholeSeconds(t.healthTimeout);
  const healthPoll = t.healthPollInterval === undefined ? 15 : wholeSeconds(t.healthPollInterval);
  let mayExceedHistory = false;
  if (faults.size === 0 && poll && healthTimeout && healthPoll) {
    const bakePolls = steps.reduce((sum, s) => sum + Math.max(1, Math.ceil(s.bake / poll)), 0);
    const happyPath = EVENTS_PER_POLL * bakePolls;
    // A DNS poll (Wait, GetChange, DescribeAlarms, Choice, Pass) costs 16 events, up to 60 of them a step.
    const worstCase = EVENTS_PER_POLL * (bakePolls + Math.ceil(healthTimeout / healthPoll)) + 16 * 60 * steps.length + 40 * steps.length + 400;
    if (happyPath > HISTORY_EVENTS) {
      faults.add('steps|alarmPollInterval');
      stepRules.add('a plan longer than one execution history');
    } else if (worstCase > HISTORY_EVENTS) {
      mayExceedHistory = true;
    }
  }
  return {
    faults,
    stepRules,
    mayExceedHistory,
    steps,
    poll: t.alarmPollInterval === undefined ? 10 : wholeSeconds(t.alarmPollInterval) ?? 0,
    window,
    approval: t.approvalBeforeLastStep === true,
    approvalTimeout: t.approvalTimeout === undefined ? DAY : wholeSeconds(t.approvalTimeout) ?? 0,
    healthTimeout: t.healthTimeout === undefined ? 1200 : wholeSeconds(t.healthTimeout) ?? 0,
  };
}

// ---------------------------------------------------------------------------------------
// Running a sample.
// ---------------------------------------------------------------------------------------

/** Counts of a property's samples, checked so that a generator cannot drift to one side. */
class Tally {
  public valid = 0;
  public refused = 0;
  public readonly faults: Record<string, number> = {};
  public readonly stepRules: Record<string, number> = {};
  public longPlans = 0;
  public see(verdict: Verdict): void {
    if (verdict.faults.size === 0) this.valid++;
    else this.refused++;
    if (verdict.faults.size === 0 && verdict.steps.length >= 10) this.longPlans++;
    for (const f of verdict.faults) this.faults[f] = (this.faults[f] ?? 0) + 1;
    for (const r of verdict.stepRules) this.stepRules[r] = (this.stepRules[r] ?? 0) + 1;
  }
  /** The rules of the steps broken by fewer than `min` samples. */
  public rareStepRules(min = 3): string[] {
    return ['not a list of steps', 'more than 20 steps', 'an entry that is no CanaryStep', 'a percentage that is no whole number from 1 to 100',
      'a percentage that does not rise', 'a bake that is no whole seconds from 1 s to 1 day', 'a bake shorter than the alarm window',
      'a last step below 100%', 'a plan longer than one execution history'].filter((rule) => (this.stepRules[rule] ?? 0) < min);
  }
}

/** Drops the keys whose value is undefined, as a user's object literal would not have them. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

function run(stepsGiven: any, timing: Timing, tally: Tally): void {
  const verdict = oracle(stepsGiven, timing);
  tally.see(verdict);
  const w = canaryWorld();
  const { extraAlarm, ...rest } = timing;
  const props: CanaryDeploymentProps = {
    service: slotService(w.env),
    hostedZone: w.zone,
    recordName: 'users',
    allowPlainHttp: true,
    ...defined({ ...rest, steps: stepsGiven }),
    alarms: extraAlarm ? [cloudwatch.Alarm.fromAlarmArn(w.stack, 'Dlq', 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:dlq')] : undefined,
  };
  let canary: CanaryDeployment | undefined;
  const err = thrownBy(() => {
    canary = new CanaryDeployment(w.stack, 'Canary', props);
  });
  const sample = `steps ${describeSteps(stepsGiven)}, ${describeTiming(timing)}`;
  if (verdict.faults.size > 0) {
    if (err === undefined) throw new Error(`expected a refusal naming ${[...verdict.faults].join(', ')}; it constructed: ${sample}`);
    const { message } = expectCanaryRefusal(err, PATH, PROPS);
    for (const fault of verdict.faults) {
      // A fault of several props ('steps|alarmPollInterval') is named by any of them.
      if (!fault.split('|').some((prop) => message.includes(`\`${prop}`))) {
        throw new Error(`the refusal does not name \`${fault}\`: ${message}\n(${sample})`);
      }
    }
    return;
  }
  if (err !== undefined && verdict.mayExceedHistory) {
    expectCanaryRefusal(err, PATH, PROPS);
    return;
  }
  if (err !== undefined) {
    throw new Error(`expected to construct (${sample}), got ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err)}`);
  }
  checkPlan(canary!, verdict, sample);
  if (tally.valid % SYNTH_EVERY === 1) {
    const synth = thrownBy(() => Template.fromStack(w.stack));
    if (synth !== undefined) throw new Error(`synthesis failed (${sample}): ${synth instanceof Error ? synth.message : String(synth)}`);
  }
}

/** The definition's plan against the oracle. */
function checkPlan(canary: CanaryDeployment, v: Verdict, sample: string): void {
  const definition = definitionOf(canary);
  const plan = planOf(definition);
  const fail = (what: string) => {
    throw new Error(`${what}\nplan: ${JSON.stringify(plan)}\n(${sample})`);
  };
  if (plan.length !== v.steps.length) fail(`expected ${v.steps.length} steps`);
  let previous = 0;
  plan.forEach((step, i) => {
    const expected = v.steps[i];
    const polls = Math.max(1, Math.ceil(expected.bake / v.poll));
    if (step.percent !== expected.percent || step.livePercent !== 100 - expected.percent || step.percentText !== String(expected.percent)) {
      fail(`step ${i}: expected ${expected.percent}%`);
    }
    if (!(step.percent > previous)) fail(`step ${i}: ${step.percent}% does not rise`);
    previous = step.percent;
    if (step.lastPoll + 1 !== polls) fail(`step ${i}: expected ${polls} polls of ${v.poll} s for a bake of ${expected.bake} s`);
    if (expected.bake < v.window) fail(`step ${i}: a bake of ${expected.bake} s is shorter than the alarm window of ${v.window} s`);
    if (step.index !== i || step.last !== (i === plan.length - 1)) fail(`step ${i}: index or last flag`);
    if (step.approvalBefore !== (v.approval && i === plan.length - 1)) fail(`step ${i}: approvalBefore`);
  });
  if (plan[plan.length - 1].percent !== 100) fail('the plan does not end at 100%');
  if (definition.States.Bake.Seconds !== v.poll) fail(`the bake waits ${definition.States.Bake.Seconds} s, not ${v.poll}`);
  const bakes = v.steps.reduce((sum, s) => sum + Math.max(1, Math.ceil(s.bake / v.poll)) * v.poll, 0);
  const dnsPoll = definition.States.WaitForDns.Seconds;
  if (canary.plannedDuration.toSeconds() !== bakes + v.steps.length * dnsPoll) fail(`plannedDuration ${canary.plannedDuration.toSeconds()} s`);
  const documented = v.healthTimeout + bakes + v.steps.length * 300 + (v.approval ? v.approvalTimeout : 0);
  if (!(canary.maximumDuration.toSeconds() >= documented)) fail(`maximumDuration ${canary.maximumDuration.toSeconds()} s < ${documented} s`);
  if (definition.TimeoutSeconds !== 2 * canary.maximumDuration.toSeconds()) fail(`TimeoutSeconds ${definition.TimeoutSeconds}`);
  if (canary.rollbackReaction.toSeconds() !== v.poll) fail(`rollbackReaction ${canary.rollbackReaction.toSeconds()} s`);
  if ((definition.States.RequestApproval !== undefined) !== v.approval) fail('approval state');
}

function describeDuration(d: unknown): string {
  return d instanceof Duration ? `${d.toMilliseconds({ integral: false })}ms` : JSON.stringify(d) ?? String(d);
}

function describeSteps(steps: any): string {
  if (!Array.isArray(steps)) return JSON.stringify(steps) ?? String(steps);
  return `[${steps.map((s) => (s instanceof CanaryStep ? `${s.percent}%/${describeDuration(s.bake)}` : JSON.stringify(s) ?? String(s))).join(', ')}]`;
}

function describeTiming(t: Timing): string {
  return Object.entries(t).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${describeDuration(v)}`).join(' ');
}

// ---------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------

describe('CanaryDeployment properties', () => {
  test('random step lists with mostly default timing: a plan that matches the oracle, or our refusal naming steps', () => {
    const tally = new Tally();
    const mostlyDefault: fc.Arbitrary<Timing> = fc.record({
      extraAlarm: fc.boolean(),
      defaultAlarms: sometimes(fc.boolean(), 1, 5),
      alarmPollInterval: sometimes(fc.integer({ min: 5, max: 300 }).map((s) => Duration.seconds(s)), 1, 1),
      alarmPeriod: sometimes(fc.constantFrom(10, 30, 60, 120).map((s) => Duration.seconds(s)), 1, 3),
      alarmEvaluationPeriods: sometimes(fc.integer({ min: 1, max: 5 }), 1, 3),
      approvalBeforeLastStep: sometimes(fc.boolean(), 1, 2),
    }, { requiredKeys: ['extraAlarm'] });
    fc.assert(fc.property(stepsArb, mostlyDefault, (steps, timing) => run(steps, timing, tally)), { numRuns: 300, seed: SEED });
    expect(tally.valid).toBeGreaterThan(60);
    expect(tally.refused).toBeGreaterThan(60);
    expect(tally.longPlans).toBeGreaterThan(10);
    expect(tally.rareStepRules()).toEqual([]);
  });

  test('random alarm and timing props, valid or not, of the right kind or not', () => {
    const tally = new Tally();
    const steps = fc.oneof(
      { weight: 3, arbitrary: fc.constant(undefined) },
      { weight: 2, arbitrary: risingArb },
      { weight: 1, arbitrary: fc.constant(CanaryStep.allAtOnce(Duration.minutes(30))) },
    );
    fc.assert(fc.property(steps, timingArb, (s, timing) => run(s, timing, tally)), { numRuns: 250, seed: SEED });
    expect(tally.valid).toBeGreaterThan(15);
    expect(tally.refused).toBeGreaterThan(40);
    const rare = ['errorRatePercent', 'latencyThreshold', 'alarmPeriod', 'alarmEvaluationPeriods', 'alarmPollInterval', 'healthTimeout',
      'healthPollInterval', 'approvalTimeout', 'recordTtl', 'oldSlot', 'defaultAlarms'].filter((f) => (tally.faults[f] ?? 0) < 3);
    expect(rare).toEqual([]);
  });
});
