/**
 * The oracle of the CanaryDeployment properties (../properties.test.ts), from the documented
 * rules: the plan a sample must give, or every prop a refusal must name.
 */
import { Duration } from 'aws-cdk-lib';
import { DAY, Timing } from './arbitraries';
import { CanaryStep, OldSlot } from '../../../src';

/** Step Functions' quota of events in one Standard execution's history. */
export const HISTORY_EVENTS = 25_000;
/** History events of one alarm poll of a bake: Wait (2), Task (5), Choice (2), Pass (2). */
export const EVENTS_PER_POLL = 11;
export const isDuration = (v: unknown): v is Duration => v instanceof Duration;
/** Whole seconds of a Duration, or undefined when it is not a whole number of seconds. */
export function wholeSeconds(d: Duration): number | undefined {
  const ms = d.toMilliseconds({ integral: false });
  return Number.isFinite(ms) && ms % 1000 === 0 ? ms / 1000 : undefined;
}
export const secondsWithin = (d: Duration, min: number, max: number) => {
  const s = wholeSeconds(d);
  return s !== undefined && s >= min && s <= max;
};

/** What the oracle expects of a sample. */
export interface Verdict {
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

export const KINDS: Array<[keyof Timing, 'boolean' | 'number' | 'Duration']> = [
  ['defaultAlarms', 'boolean'], ['errorRatePercent', 'number'], ['latencyThreshold', 'Duration'], ['alarmPeriod', 'Duration'],
  ['alarmEvaluationPeriods', 'number'], ['alarmPollInterval', 'Duration'], ['healthTimeout', 'Duration'], ['healthPollInterval', 'Duration'],
  ['enableApprovalBeforeLastStep', 'boolean'], ['approvalTimeout', 'Duration'], ['recordTtl', 'Duration'],
];

export function oracle(stepsGiven: any, timing: Timing): Verdict {
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
  if (t.approvalTimeout !== undefined && t.enableApprovalBeforeLastStep !== true) faults.add('approvalTimeout');
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
    approval: t.enableApprovalBeforeLastStep === true,
    approvalTimeout: t.approvalTimeout === undefined ? DAY : wholeSeconds(t.approvalTimeout) ?? 0,
    healthTimeout: t.healthTimeout === undefined ? 1200 : wholeSeconds(t.healthTimeout) ?? 0,
  };
}
