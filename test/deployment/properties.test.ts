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
 *
 * The generators are in properties/arbitraries.ts, the oracle in properties/oracle.ts; running
 * a sample and checking what it made are here, with the properties.
 */
import { Duration, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as fc from 'fast-check';
import { canaryWorld, definitionOf, expectCanaryRefusal, planOf, slotService, thrownBy } from './fixtures';
import { CanaryDeployment, CanaryDeploymentProps, CanaryStep } from '../../src';
import { risingArb, sometimes, stepsArb, Timing, timingArb } from './properties/arbitraries';
import { oracle, Verdict } from './properties/oracle';

const SEED = 42;
/** Every SYNTH_EVERY-th valid sample is synthesized too (the others are only resolved). */
const SYNTH_EVERY = 4;
const PATH = 'Test/Canary';

/** Every prop a problem may name (and the method addAlarm). */
const PROPS = [
  'serviceProps', 'hostedZone', 'recordName', 'recordTtl', 'steps', 'certificate', 'allowPlainHttp', 'internetFacing',
  'loadBalancerDeletionProtection', 'blueLoadBalancer', 'blueListener', 'greenLoadBalancer', 'greenListener', 'listenerRulePriority',
  'allowSlotsInDifferentVpcs', 'defaultAlarms', 'errorRatePercent', 'latencyThreshold', 'alarmPeriod', 'alarmEvaluationPeriods', 'alarms',
  'alarmPollInterval', 'healthTimeout', 'healthPollInterval', 'enableApprovalBeforeLastStep', 'approvalTopic', 'approvalTimeout', 'oldSlot',
  'imageRepository', 'startOnPush', 'startOnPushTagPrefix', 'addAlarm',
];
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
    serviceProps: slotService(w.env),
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
      enableApprovalBeforeLastStep: sometimes(fc.boolean(), 1, 2),
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
