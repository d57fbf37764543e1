/**
 * Canary reaction: how fast does a rollout send the traffic back when an alarm fires?
 *
 * Runs the synthesized rollout state machine of a default `CanaryDeployment` (10, 25, 50,
 * 100 %, 5 minutes each, alarms polled every 10 s) locally against the simulated world of
 * test/deployment/rollout-harness.ts, with an alarm raised at each step in turn (seen by the
 * first alarm check after the weights changed) and once in the middle of a bake, and prints:
 *
 * - the state transitions from the DescribeAlarms call that first saw the alarm to the
 *   RestoreWeights call, and the states on that path;
 * - the Wait states on that path with their configured Seconds, and the configured worst case:
 *   the alarm poll interval (an alarm can go off just after a check) plus those waits;
 * - the largest gap between two alarm checks while the new slot has traffic (configured
 *   seconds of the Wait states between them), over a rollout whose Route 53 changes stay
 *   PENDING for a minute, the case where a step change would otherwise leave the alarms unwatched;
 * - the execution history events of a rollout (Step Functions fails a Standard execution past
 *   25,000): counted for the runs above, and estimated for larger plans from the events of one
 *   alarm poll, one DNS poll and one health poll;
 * - the deployment's plannedDuration, maximumDuration and rollbackReaction.
 *
 * Waits are shortened to 0 ms: the seconds are the configured ones, not measured. No timing
 * assertion is made.
 *
 * Run:
 *   cd /work/main && TS_NODE_TRANSPILE_ONLY=true npx ts-node --prefer-ts-exts --project bench/tsconfig.json bench/canary-reaction.ts
 */
import {
  HISTORY_LIMIT, Json, Run, World, alarmWhen, historyEvents, rolloutInput, runRollout, statesOf, synthesizeCanary,
} from '../test/deployment/rollout-harness';

interface Row {
  readonly scenario: string;
  readonly outcome: string;
  readonly seenBy: string;
  readonly transitions: number;
  readonly path: string[];
  readonly waits: { state: string; seconds: number }[];
  readonly worstCase: number;
}

const synth = synthesizeCanary();
const definition = statesOf(synth.definition);
const pollSeconds: number = definition.Bake.Seconds;
const alarmChecks = Object.entries(definition).filter(([, s]) => s.Resource === 'arn:aws:states:::aws-sdk:cloudwatch:describeAlarms').map(([name]) => name);

/** The row of one rolled-back run: from the alarm check that saw the alarm to RestoreWeights. */
function reaction(scenario: string, world: World, run: Run): Row {
  const restore = run.states.indexOf('RestoreWeights');
  if (restore < 0 || !world.alarmSeenBy) throw new Error(`${scenario}: no rollback (${run.status} ${run.error ?? ''})`);
  let seen = restore - 1;
  while (seen >= 0 && !alarmChecks.includes(run.states[seen])) seen -= 1;
  if (run.states[seen] !== world.alarmSeenBy.state) throw new Error(`${scenario}: the last alarm check before RestoreWeights did not see the alarm`);
  const path = run.states.slice(seen + 1, restore);
  const waits = path.filter((s) => definition[s].Type === 'Wait').map((s) => ({ state: s, seconds: definition[s].Seconds as number }));
  return {
    scenario,
    outcome: `${run.status} ${run.error ?? ''}`.trim(),
    seenBy: run.states[seen],
    transitions: restore - seen,
    path,
    waits,
    worstCase: pollSeconds + waits.reduce((sum, w) => sum + w.seconds, 0),
  };
}

/** The largest configured gap between two alarm checks after the first weight change. */
function largestGap(run: Run): { seconds: number; between: string } {
  const first = run.states.indexOf('SetWeights');
  let previous = { state: 'SetWeights', at: run.timeline[first].at };
  let largest = { seconds: 0, between: '' };
  for (const entry of run.timeline.slice(first + 1)) {
    if (!alarmChecks.includes(entry.state)) continue;
    const gap = entry.at - previous.at;
    if (gap > largest.seconds) largest = { seconds: gap, between: `${previous.state} -> ${entry.state}` };
    previous = entry;
  }
  return largest;
}

function table(rows: Json[][]): string {
  const widths = rows[0].map((_: Json, i: number) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c: Json, i: number) => String(c).padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const step of synth.canary.steps) {
    const world = new World(synth);
    world.alarmTrigger = alarmWhen('green', step.percent, 0, synth.green.compositeAlarm);
    rows.push(reaction(`alarm at the ${step.percent}% step (first check)`, world, await runRollout(world, rolloutInput('bench'))));
  }
  const midBake = new World(synth);
  midBake.alarmTrigger = alarmWhen('green', 25, 8, synth.extraAlarm);
  rows.push(reaction('alarm raised mid-bake (25% step, 8th check)', midBake, await runRollout(midBake, rolloutInput('bench'))));

  console.log('Canary reaction (default CanaryDeployment: steps 10/25/50/100 %, 5 min bakes, alarm poll 10 s)\n');
  console.log(table([
    ['scenario', 'outcome', 'seen by', 'transitions', 'waits on the path', 'worst case (s)'],
    ...rows.map((r) => [r.scenario, r.outcome, r.seenBy, r.transitions,
      r.waits.length === 0 ? 'none' : r.waits.map((w) => `${w.state} ${w.seconds}s`).join(', '),
      `${r.worstCase} (poll ${pollSeconds} + waits ${r.worstCase - pollSeconds})`]),
  ]));
  console.log(`\nPath from the check to RestoreWeights: ${[...new Set(rows.map((r) => r.path.join(' -> ')))].join(' | ')}`);

  const slowDns = new World(synth);
  slowDns.dnsPendingPolls = 12;
  const run = await runRollout(slowDns, rolloutInput('bench'));
  const gap = largestGap(run);
  console.log(`\nLargest gap between alarm checks while the new slot has traffic (Route 53 PENDING for 60 s per change, ${run.status}): `
    + `${gap.seconds} s (${gap.between})`);
  console.log(`Alarm checks: ${alarmChecks.join(', ')}; Wait states: ${Object.entries(definition).filter(([, s]) => s.Type === 'Wait')
    .map(([name, s]) => `${name} ${s.Seconds}s`).join(', ')}`);

  // History: measured, and per loop iteration for larger plans.
  const perBakePoll = 2 + 5 + 2 + 2; // Bake, CheckAlarms, AlarmFiring, CountBakePoll
  const perDnsPoll = 2 + 5 + 5 + 2 + 2; // WaitForDns, CheckDns, CheckAlarmsWhileDnsSyncs, DnsInSync, CountDnsPoll
  const perHealthPoll = 2 + 5 + 2 + 2; // WaitForIdleSlot, DescribeIdleSlot, IdleSlotSteady, CountHealthPoll
  const measured = historyEvents(run, synth.definition);
  const bakePolls = synth.canary.steps.reduce((sum, st) => sum + Math.ceil(st.bake.toSeconds() / pollSeconds), 0);
  const dnsPolls = run.states.filter((st) => st === 'CheckDns').length;
  const healthPolls = run.states.filter((st) => st === 'DescribeIdleSlot').length;
  const fixed = measured - bakePolls * perBakePoll - dnsPolls * perDnsPoll - healthPolls * perHealthPoll;
  const perStep = Math.ceil((fixed - 60) / synth.canary.steps.length);
  const estimate = (steps: number, bakeSeconds: number, poll: number, dnsPerStep: number, health: number) =>
    60 + steps * (perStep + Math.ceil(bakeSeconds / poll) * perBakePoll + dnsPerStep * perDnsPoll) + health * perHealthPoll;
  console.log(`\nExecution history (limit ${HISTORY_LIMIT} events for a Standard execution):`);
  console.log(`  this rollout (Route 53 PENDING 60 s per change)      ${measured} events `
    + `(${bakePolls} bake polls x ${perBakePoll}, ${dnsPolls} DNS polls x ${perDnsPoll}, ${healthPolls} health polls x ${perHealthPoll}, ${fixed} other)`);
  const cases: [string, number, number, number][] = [
    ['4 steps x 1 hour, poll 10 s', 4, 3600, 10],
    ['8 steps x 1 hour, poll 10 s', 8, 3600, 10],
    ['20 steps x 1 day, poll 5 min', 20, 86_400, 300],
    ['20 steps x 1 day, poll 10 s', 20, 86_400, 10],
  ];
  for (const [label, steps, bake, poll] of cases) {
    const events = estimate(steps, bake, poll, 13, 80);
    console.log(`  ${label.padEnd(52)} ~${events} events${events > HISTORY_LIMIT ? '  > limit: CanaryDeployment refuses such a plan at synth' : ''}`);
  }

  console.log('\nCanaryDeployment figures:');
  console.log(`  plannedDuration   ${synth.canary.plannedDuration.toSeconds()} s (${synth.canary.plannedDuration.toHumanString()})`);
  console.log(`  maximumDuration   ${synth.canary.maximumDuration.toSeconds()} s (${synth.canary.maximumDuration.toHumanString()})`);
  console.log(`  rollbackReaction  ${synth.canary.rollbackReaction.toSeconds()} s (${synth.canary.rollbackReaction.toHumanString()})`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
