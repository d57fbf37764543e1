/**
 * `rollout watch`: follows a rollout's execution until it ends, and ends with its outcome's exit
 * code. On a terminal the screen is redrawn in place; otherwise one plain line per change; with
 * `--json` one JSON object per line per change, then the outcome.
 */
import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { Clients } from './aws';
import { CanaryInfo } from './canary';
import { HistoryReader, RUNNING_STATUSES, RolloutView, describeExecution, phaseText } from './execution';
import { exitCodeOfExecution } from './exit-codes';
import { Terminal, duration, isoTime, table } from './output';

/** An alarm and its state. */
export interface AlarmState {
  readonly name: string;
  readonly state: string;
}

/** What a watch needs from its surroundings. */
export interface WatchContext {
  readonly clients: Clients;
  readonly out: Terminal;
  readonly json: boolean;
  /** Redraw in place (a terminal, not --json). */
  readonly redraw: boolean;
  /** Seconds between polls. */
  readonly intervalSeconds: number;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The states of the alarms (DescribeAlarms by name, every page; at most 100 names a call). */
export async function alarmStates(clients: Clients, names: string[]): Promise<AlarmState[]> {
  const states = new Map<string, string>();
  for (let i = 0; i < names.length; i += 100) {
    const chunk = names.slice(i, i + 100);
    let nextToken: string | undefined;
    do {
      const answer = await clients.cloudwatch.send(new DescribeAlarmsCommand({
        AlarmNames: chunk, AlarmTypes: ['CompositeAlarm', 'MetricAlarm'], ...(nextToken ? { NextToken: nextToken } : {}),
      }));
      for (const alarm of [...answer.MetricAlarms ?? [], ...answer.CompositeAlarms ?? []]) {
        if (alarm.AlarmName) states.set(alarm.AlarmName, alarm.StateValue ?? 'UNKNOWN');
      }
      nextToken = answer.NextToken;
    } while (nextToken);
  }
  return names.map((name) => ({ name, state: states.get(name) ?? 'MISSING' }));
}

/** What a rollout's ending means, in words. */
const REASONS: { [reason: string]: string } = {
  PROMOTED: 'promoted: the new slot is live',
  ALARM: 'an alarm of the new slot fired',
  ABORTED: 'aborted by an operator',
  RELEASE_FAILED: 'the release could not be deployed to the idle slot',
  IDLE_SLOT_UNHEALTHY: 'the idle slot did not become steady and healthy',
  APPROVAL_TIMED_OUT: 'nobody approved the last step in time',
  DNS_NOT_IN_SYNC: 'Route 53 did not apply the weights in time',
  STEP_FAILED: 'an AWS call of a step failed',
};

/** The text of a reason. */
export function reasonText(reason: string | undefined): string | undefined {
  return reason === undefined ? undefined : REASONS[reason] ?? reason.toLowerCase().replace(/_/g, ' ');
}

/** The progress of a rollout at one moment, as data (the --json lines). */
export function progressOf(view: RolloutView, alarms: AlarmState[], now: number): { [key: string]: unknown } {
  const bake = view.bake(now);
  const weights: { [slot: string]: number } = {};
  if (view.idleSlot) weights[view.idleSlot] = view.idleWeight;
  if (view.liveSlot) weights[view.liveSlot] = view.liveWeight;
  return {
    type: 'progress',
    time: isoTime(now),
    rolloutId: view.rolloutId,
    executionArn: view.executionArn,
    image: view.image,
    phase: view.phase,
    state: view.state,
    step: view.step ? { number: view.step.number, of: view.stepCount, percent: view.step.percent } : undefined,
    newSlot: view.idleSlot,
    liveSlot: view.liveSlot,
    weights,
    bake: bake && view.phase === 'baking' ? { seconds: bake.seconds, secondsLeft: bake.left, polls: bake.polls, pollsDone: bake.pollsDone } : undefined,
    alarms,
    approvalWaiting: view.approval !== undefined,
    expectedEnd: view.expectedEnd(now) ? isoTime(view.expectedEnd(now)) : undefined,
  };
}

/** What changes a plain line or a JSON line (not the countdowns). */
function changeKey(view: RolloutView, alarms: AlarmState[]): string {
  return JSON.stringify([view.phase, view.step?.index, view.idleWeight, view.liveWeight, alarms, view.approval !== undefined, view.ending?.status]);
}

function stepText(view: RolloutView): string {
  const weights = view.idleSlot && view.liveSlot
    ? `${view.idleWeight}% to ${view.idleSlot}, ${view.liveWeight}% on ${view.liveSlot}`
    : `${view.idleWeight}% to the new slot`;
  if (!view.step) return `no step yet (${weights})`;
  return `step ${view.step.number} of ${view.stepCount ?? '?'} (${view.step.percent}%): ${weights}`;
}

function alarmText(alarms: AlarmState[]): string {
  if (alarms.length === 0) return 'none known yet';
  return alarms.map((a) => `${a.name} ${a.state}`).join(', ');
}

/** The frame drawn on a terminal. */
export function frame(view: RolloutView, alarms: AlarmState[], now: number, canary: CanaryInfo): string[] {
  const bake = view.bake(now);
  const end = view.expectedEnd(now);
  const status = view.ending?.status ?? 'RUNNING';
  const since = view.startedAt ? `${isoTime(view.startedAt)} (${duration((now - view.startedAt.getTime()) / 1000)} ago)` : '-';
  const rows: [string, string][] = [
    ['execution', `${status}, started ${since}`],
    ['doing', `${phaseText(view.phase)}${view.state ? ` [${view.state}]` : ''}`],
    ['traffic', stepText(view)],
  ];
  if (view.phase === 'baking' && bake) {
    rows.push(['bake', bake.left === undefined
      ? `${duration(bake.seconds)} once Route 53 is in sync`
      : `${duration(bake.left)} left of ${duration(bake.seconds)} (alarm check ${Math.min(bake.pollsDone + 1, bake.polls)} of ${bake.polls})`]);
  }
  rows.push([`alarms${view.idleSlot ? ` of ${view.idleSlot}` : ''}`, alarmText(alarms)]);
  rows.push(['approval', view.approval
    ? `WAITING since ${isoTime(view.approval.since)}: npx cdk-microservices rollout approve ${canary.selector}`
    : 'none waiting']);
  rows.push(['expected end', end ? `${isoTime(end)} (${end.getTime() > now ? `in ${duration((end.getTime() - now) / 1000)}` : 'now'})` : '-']);
  return [
    `Rollout ${view.rolloutId ?? '?'} of ${canary.canaryName}: ${view.image ?? '?'}`,
    ...table(rows),
  ];
}

/** One plain line of progress. */
export function plainLine(view: RolloutView, alarms: AlarmState[], now: number): string {
  const bake = view.bake(now);
  const parts = [isoTime(now), stepText(view), phaseText(view.phase)];
  if (view.phase === 'baking' && bake?.left !== undefined) parts.push(`bake ${duration(bake.left)} left of ${duration(bake.seconds)}`);
  const firing = alarms.filter((a) => a.state === 'ALARM').map((a) => a.name);
  if (alarms.length > 0) parts.push(firing.length > 0 ? `ALARM: ${firing.join(', ')}` : `alarms OK (${alarms.length})`);
  if (view.approval) parts.push('approval WAITING');
  const end = view.expectedEnd(now);
  if (end && !view.ending) parts.push(`expected end ${isoTime(end)}`);
  return parts.join('; ');
}

/** The outcome of an ended rollout, as data and as a sentence. */
export function outcomeOf(view: RolloutView, status: string, error: string | undefined, cause: string | undefined): {
  data: { [key: string]: unknown }; text: string; exitCode: number;
} {
  const exitCode = exitCodeOfExecution(status, error);
  const reason = view.outcome?.reason;
  let text: string;
  if (status === 'SUCCEEDED' && view.finalState === 'AlreadyDone') {
    text = `Rollout ${view.rolloutId} had already run: nothing done.`;
  } else if (status === 'SUCCEEDED' && view.finalState === 'AlreadyRunning') {
    text = `Rollout ${view.rolloutId} already runs (this start did nothing).`;
  } else if (status === 'SUCCEEDED') {
    text = `Rollout ${view.rolloutId} succeeded: ${view.idleSlot ?? 'the new slot'} is live with ${view.image}.`;
  } else if (status === 'FAILED') {
    const at = view.step ? ` at ${view.step.percent}% (step ${view.step.number} of ${view.stepCount ?? '?'})` : '';
    const words = reasonText(reason) ?? cause ?? '';
    const verb = exitCode === 10 ? 'rolled back' : exitCode === 12 ? 'was aborted and rolled back' : exitCode === 13 ? 'was refused' : 'failed';
    text = `Rollout ${view.rolloutId} ${verb}${exitCode === 13 ? '' : at}: ${words} (${error}).`;
    if (exitCode === 13 && cause) text = `Rollout ${view.rolloutId} was refused (${error}): ${cause}`;
  } else if (status === 'TIMED_OUT') {
    text = `Rollout ${view.rolloutId} timed out (the state machine's timeout): check the weights and the lock.`;
  } else {
    text = `Rollout ${view.rolloutId} was stopped (execution ${status}): check the weights and the lock.`;
  }
  return {
    data: {
      type: 'outcome',
      rolloutId: view.rolloutId,
      executionArn: view.executionArn,
      status,
      error,
      cause,
      rolloutStatus: view.outcome?.status ?? (status === 'SUCCEEDED' && !view.finalState?.startsWith('Already') ? 'SUCCEEDED' : undefined),
      reason,
      endState: view.finalState,
      exitCode,
    },
    text: `${text} Exit code ${exitCode}.`,
    exitCode,
  };
}

/** Watches the execution until it ends; returns the outcome's exit code. */
export async function watchExecution(ctx: WatchContext, canary: CanaryInfo, executionArn: string): Promise<number> {
  const reader = new HistoryReader(ctx.clients, executionArn);
  const view = new RolloutView(executionArn, canary);
  let lastKey: string | undefined;
  let drawn = 0;
  for (;;) {
    const execution = await describeExecution(ctx.clients, executionArn);
    if (!execution) throw new Error(`Step Functions does not know the execution ${executionArn} (executions are kept 90 days after they end).`);
    view.apply(await reader.read());
    const running = RUNNING_STATUSES.includes(execution.status ?? '');
    const alarms = running && view.alarmNames.length > 0 ? await alarmStates(ctx.clients, view.alarmNames) : [];
    const now = ctx.now();
    if (running || !lastKey) {
      const key = changeKey(view, alarms);
      if (ctx.json) {
        if (key !== lastKey) ctx.out.write(`${JSON.stringify(progressOf(view, alarms, now))}\n`);
      } else if (ctx.redraw) {
        const lines = frame(view, alarms, now, canary);
        // Back to the first line of the previous frame, clear to the end of the screen, draw.
        ctx.out.write(`${drawn > 0 ? `\x1b[${drawn}F\x1b[J` : ''}${lines.join('\n')}\n`);
        drawn = lines.length;
      } else if (key !== lastKey) {
        ctx.out.write(`${plainLine(view, alarms, now)}\n`);
      }
      lastKey = key;
    }
    if (!running) {
      const ending = view.ending;
      const outcome = outcomeOf(view, execution.status ?? ending?.status ?? 'FAILED', execution.error ?? ending?.error, execution.cause ?? ending?.cause);
      ctx.out.write(ctx.json ? `${JSON.stringify(outcome.data)}\n` : `${outcome.text}\n`);
      return outcome.exitCode;
    }
    await ctx.sleep(ctx.intervalSeconds * 1000);
  }
}
