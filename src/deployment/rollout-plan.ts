/**
 * The plan of a canary rollout, computed once: the steps with their alarm polls, the waits and
 * their poll counts, and the durations derived from them. The construct's durations, the state
 * machine definition (its plan data, poll counts and timeout) and the synth-time check of the
 * execution history all read this one plan.
 */
import { Duration } from 'aws-cdk-lib';
import { CanaryStep } from './canary-step';

/** How often the rollout checks the Route 53 change of a step. */
export const DNS_POLL_SECONDS = 5;
/** How long a step waits for its Route 53 change to be INSYNC. */
export const DNS_TIMEOUT_SECONDS = 300;

/** The most events a Standard execution's history holds. */
export const HISTORY_LIMIT = 25_000;

/** The timing choices a plan is computed from (the props of the same names). */
export interface RolloutPlanInput {
  /** Valid steps (percentages rising to 100, whole-second bakes). */
  readonly steps: CanaryStep[];
  /** @default Duration.seconds(10) */
  readonly alarmPollInterval?: Duration;
  /** @default Duration.minutes(20) */
  readonly healthTimeout?: Duration;
  /** @default Duration.seconds(15) */
  readonly healthPollInterval?: Duration;
  /** @default Duration.days(1) */
  readonly approvalTimeout?: Duration;
  /** Whether a manual approval comes before the last step. */
  readonly approvalBeforeLastStep: boolean;
}

/** One step of the plan. */
export interface PlannedRolloutStep {
  readonly index: number;
  /** The percentage of the traffic on the new slot. */
  readonly percent: number;
  /** The bake as given, in seconds. */
  readonly bakeSeconds: number;
  /** The alarm polls of the bake: the bake rounded up to whole polls, at least one. */
  readonly polls: number;
  /** How long the bake lasts: `polls` x the alarm poll interval. */
  readonly bakedSeconds: number;
  /** Whether a manual approval comes before this step. */
  readonly approvalBefore: boolean;
  readonly last: boolean;
}

/** The plan of a rollout. */
export interface RolloutPlan {
  readonly steps: PlannedRolloutStep[];
  readonly alarmPollSeconds: number;
  readonly healthPollSeconds: number;
  readonly healthTimeoutSeconds: number;
  /** The idle slot checks that fit in the health timeout (at least one). */
  readonly healthPolls: number;
  readonly dnsPollSeconds: number;
  readonly dnsTimeoutSeconds: number;
  /** The Route 53 change checks that fit in the DNS timeout (at least one). */
  readonly dnsPolls: number;
  readonly approvalBeforeLastStep: boolean;
  readonly approvalTimeoutSeconds: number;
  /** Every step passing: the bakes and a DNS poll per step. */
  readonly plannedSeconds: number;
  /** The worst case: health wait, every bake, every DNS timeout, the approval, and a margin. */
  readonly maximumSeconds: number;
  /** The state machine's timeout: twice the worst case, room for retries with backoff. */
  readonly timeoutSeconds: number;
  /** The longest time from an alarm in ALARM to the weights going back: one alarm poll. */
  readonly rollbackReactionSeconds: number;
  /** An upper bound of the execution history events of a rollout (at most HISTORY_LIMIT fit). */
  readonly historyEvents: number;
}

/** Computes the plan of a rollout. */
export function planRollout(input: RolloutPlanInput): RolloutPlan {
  const alarmPollSeconds = (input.alarmPollInterval ?? Duration.seconds(10)).toSeconds();
  const healthPollSeconds = (input.healthPollInterval ?? Duration.seconds(15)).toSeconds();
  const healthTimeoutSeconds = (input.healthTimeout ?? Duration.minutes(20)).toSeconds();
  const approvalTimeoutSeconds = (input.approvalTimeout ?? Duration.days(1)).toSeconds();
  const approval = input.approvalBeforeLastStep;
  const count = input.steps.length;
  const steps = input.steps.map((step, index): PlannedRolloutStep => {
    const bakeSeconds = step.bake.toSeconds();
    const polls = Math.max(1, Math.ceil(bakeSeconds / alarmPollSeconds));
    return {
      index,
      percent: step.percent,
      bakeSeconds,
      polls,
      bakedSeconds: polls * alarmPollSeconds,
      approvalBefore: approval && index === count - 1,
      last: index === count - 1,
    };
  });
  const bakes = steps.reduce((sum, s) => sum + s.bakedSeconds, 0);
  const healthPolls = Math.max(1, Math.ceil(healthTimeoutSeconds / healthPollSeconds));
  const dnsPolls = Math.max(1, Math.ceil(DNS_TIMEOUT_SECONDS / DNS_POLL_SECONDS));
  const maximumSeconds = healthTimeoutSeconds + healthPollSeconds + bakes
    + count * (DNS_TIMEOUT_SECONDS + alarmPollSeconds) + (approval ? approvalTimeoutSeconds : 0) + 300;
  // Events per poll: Wait 2, Task 5, Choice 2, Pass 2; a DNS poll also checks the alarms (Task 5).
  const polls = steps.reduce((sum, s) => sum + s.polls, 0);
  const historyEvents = 11 * (polls + healthPolls) + 16 * dnsPolls * count + 40 * count + 400;
  return {
    steps,
    alarmPollSeconds,
    healthPollSeconds,
    healthTimeoutSeconds,
    healthPolls,
    dnsPollSeconds: DNS_POLL_SECONDS,
    dnsTimeoutSeconds: DNS_TIMEOUT_SECONDS,
    dnsPolls,
    approvalBeforeLastStep: approval,
    approvalTimeoutSeconds,
    plannedSeconds: bakes + count * DNS_POLL_SECONDS,
    maximumSeconds,
    timeoutSeconds: 2 * maximumSeconds,
    rollbackReactionSeconds: alarmPollSeconds,
    historyEvents,
  };
}
