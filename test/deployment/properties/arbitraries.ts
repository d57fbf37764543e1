/**
 * Generators of the CanaryDeployment properties (../properties.test.ts): step lists (whole and
 * fractional percentages, out of range, bakes of every size and unit, presets, entries that are
 * no step) and the alarm and timing props (valid, at a bound, out of range, of the wrong kind).
 */
import { Duration } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { CanaryStep, OldSlot } from '../../../src';

export const DAY = 86_400;
/** Undefined most of the time (an option left out), else a value from `arb`. */
export function sometimes<T>(arb: fc.Arbitrary<T>, present = 1, absent = 3): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: present, arbitrary: arb });
}

/** Values of the wrong kind for any prop (some happen to be of the right kind for some). */
export const wrongKind: fc.Arbitrary<any> = fc.constantFrom<any>('text', '10', 'true', 42, 0, 1.5, true, false, [], ['a'], {}, null);

/** Durations: whole seconds of every size, minutes, bounds, milliseconds, and odd ones. */
export const durationArb: fc.Arbitrary<Duration> = fc.oneof(
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
export const durationProp: fc.Arbitrary<any> = fc.oneof({ weight: 12, arbitrary: durationArb }, { weight: 1, arbitrary: wrongKind });

/** Percentages: mostly whole and in range, then the bounds, fractions and nonsense. */
export const percentArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 1, max: 100 }) },
  { weight: 2, arbitrary: fc.constantFrom(0, 1, 99, 100, 101, -5, 2.5, 99.9, 100.0000001, NaN, Infinity) },
  { weight: 1, arbitrary: fc.double({ min: -10, max: 120, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom<any>('50', null, undefined) },
);

/** A bake that passes the default window most of the time. */
export const bakeArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 120, max: 1800 }).map((s) => Duration.seconds(s)) },
  { weight: 3, arbitrary: durationArb },
  { weight: 1, arbitrary: fc.constantFrom<any>(300, '5m', null) },
);

/** An entry of a step list: a step of any percentage and bake, or something else. */
export const entryArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(percentArb, bakeArb).map(([percent, bake]) => CanaryStep.weight(percent, bake)) },
  { weight: 1, arbitrary: fc.constantFrom<any>(null, undefined, 'step', 50, { percent: 100, bake: Duration.minutes(5) }) },
);

/** A bake longer than any alarm window of the first property, mostly. */
export const longBakeArb: fc.Arbitrary<any> = fc.oneof(
  { weight: 30, arbitrary: fc.integer({ min: 600, max: 3600 }).map((s) => Duration.seconds(s)) },
  { weight: 1, arbitrary: bakeArb },
);

/** Rising whole percentages ending at 100 (valid, unless a bake is not). */
export const risingArb: fc.Arbitrary<CanaryStep[]> = fc.uniqueArray(fc.integer({ min: 1, max: 99 }), { maxLength: 19 })
  .chain((percents) => fc.array(longBakeArb, { minLength: percents.length + 1, maxLength: percents.length + 1 })
    .map((bakes) => [...[...percents].sort((a, b) => a - b), 100].map((p, i) => CanaryStep.weight(p, bakes[i]))));

/** Step lists, and what is passed as `steps`. */
export const stepsArb: fc.Arbitrary<any> = fc.oneof(
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
export interface Timing {
  readonly defaultAlarms?: any;
  readonly extraAlarm?: boolean;
  readonly errorRatePercent?: any;
  readonly latencyThreshold?: any;
  readonly alarmPeriod?: any;
  readonly alarmEvaluationPeriods?: any;
  readonly alarmPollInterval?: any;
  readonly healthTimeout?: any;
  readonly healthPollInterval?: any;
  readonly enableApprovalBeforeLastStep?: any;
  readonly approvalTimeout?: any;
  readonly recordTtl?: any;
  readonly oldSlot?: any;
}

export const timingArb: fc.Arbitrary<Timing> = fc.record({
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
  enableApprovalBeforeLastStep: sometimes(fc.oneof({ weight: 8, arbitrary: fc.boolean() }, { weight: 1, arbitrary: wrongKind }), 1, 2),
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
