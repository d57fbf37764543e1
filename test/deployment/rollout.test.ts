/**
 * Executes the synthesized rollout state machine of a `CanaryDeployment` against a simulated
 * AWS world (see rollout-harness.ts) and checks every path: the weights Route 53 gets, in order,
 * the records in the state table, the lock, the events and the way the execution ends.
 */
import { Duration } from 'aws-cdk-lib';
import {
  ACCOUNT, HISTORY_LIMIT, Json, NEW_IMAGE, REGION, RESOURCE_API, Run, Synthesized, THROTTLING, World, alarmWhen, clone, historyEvents, pathsOf,
  rolloutInput, runRollout, statesOf, synthesizeCanary, validateDefinition, weightsFor,
} from './rollout-harness';
import { RETRIED_ERRORS, ROLLOUT_ERRORS } from '../../src/deployment/rollout-integrations';
import { checkErrorNames } from '../contract/aws-models';

const STEPS = [10, 25, 50, 100];
const HAPPY_WEIGHTS: [number, number][] = [[10, 90], [25, 75], [50, 50], [100, 0]];

let plain: Synthesized;
let approval: Synthesized;
let scaleIn: Synthesized;
let everything: Synthesized;

beforeAll(() => {
  plain = synthesizeCanary();
  approval = synthesizeCanary({ approval: true });
  scaleIn = synthesizeCanary({ scaleIn: true });
  everything = synthesizeCanary({ approval: true, scaleIn: true });
});

/** The world after a run: no call the real APIs would have refused. */
function expectNoViolation(world: World): void {
  expect(world.violations).toEqual([]);
}

/** The lock is free, and no other attribute of the service item names a running rollout. */
function expectLockReleased(world: World): void {
  const service = world.item('service');
  expect(service).toBeDefined();
  expect(service.lockedBy).toBeUndefined();
  expect(service.lockedByExecution).toBeUndefined();
  expect(service.lockedAt).toBeUndefined();
}

/** The APIs called only when the lock is held. */
const HELD_LOCK_APIS = ['dynamodb:getItem', 'sfn:describeExecution'];

/** The ARN of the execution of the rollout state machine named `name`, as the harness names it. */
function executionArn(name: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT}:execution:Rollout:${name}`;
}

/** The states a run entered between two states (exclusive), first occurrences after `from`. */
function between(run: Run, from: number, to: string): string[] {
  const end = run.states.indexOf(to, from + 1);
  return run.states.slice(from + 1, end);
}

/** The state names of a definition whose Resource is DescribeAlarms. */
function alarmCheckStates(definition: Json): string[] {
  return Object.entries(statesOf(definition)).filter(([, s]) => s.Resource === 'arn:aws:states:::aws-sdk:cloudwatch:describeAlarms').map(([n]) => n);
}

describe('the synthesized definition', () => {
  test.each([
    ['default', () => plain],
    ['approval before the last step', () => approval],
    ['SCALE_IN', () => scaleIn],
    ['approval and SCALE_IN', () => everything],
    ['CNAME records', () => synthesizeCanary({ recordTtl: Duration.seconds(60) })],
  ])('%s: asl-validator finds no error', (_name, synth) => {
    expect(validateDefinition(synth().definition)).toEqual([]);
  });

  test('uses nothing the local interpreter runs differently from Step Functions', () => {
    for (const synth of [plain, everything]) {
      const states = Object.entries(statesOf(synth.definition));
      // JSONata states would be passed through silently; Map keeps iterating after a failure.
      expect(synth.definition.QueryLanguage).toBeUndefined();
      // The states of a Map's iterations, nested Maps' included.
      const inner = (map: Json): [string, Json][] => Object.entries<Json>(map.ItemProcessor.States)
        .flatMap(([n, st]) => [[n, st] as [string, Json], ...(st.Type === 'Map' ? inner(st) : [])]);
      for (const [name, state] of states) {
        expect([name, state.QueryLanguage]).toEqual([name, undefined]);
        expect([name, state.Type]).not.toEqual([name, 'Parallel']);
        if (state.Type === 'Map') {
          // The one Map copies the containers: its iterations (and those of the Maps in them, which
          // rebuild the app container's environment) cannot fail: no Task, no Fail.
          expect(name).toBe('CopyContainers');
          const iteration = inner(state);
          expect([...new Set(iteration.map(([, st]) => st.Type))].sort()).toEqual(['Choice', 'Map', 'Pass']);
          for (const [n, st] of [[name, state], ...iteration.filter(([, x]) => x.Type === 'Map')]) {
            expect([n, st.ItemProcessor.ProcessorConfig]).toEqual([n, { Mode: 'INLINE' }]);
          }
        }
      }
      // A filter or wildcard that matches nothing raises locally but gives [] in Step Functions.
      const risky = pathsOf(synth.definition).filter((p) => /\[\*\]|\.\*|\?\(|\.\.|\[-/.test(p.path));
      expect(risky).toEqual([]);
      expect(JSON.stringify(synth.definition)).not.toContain('{%');
    }
  });

  test('retries name only the throttling errors of RETRIED_ERRORS, and every Task has a simulated resource', () => {
    const known = new Set(Object.values(RETRIED_ERRORS).flat());
    for (const synth of [plain, everything]) {
      for (const [name, state] of Object.entries(statesOf(synth.definition))) {
        if (state.Type !== 'Task') continue;
        expect([name, RESOURCE_API[state.Resource] !== undefined]).toEqual([name, true]);
        expect([name, state.Retry?.length]).toEqual([name, 1]);
        for (const error of state.Retry[0].ErrorEquals) expect([name, known.has(error)]).toEqual([name, true]);
      }
    }
    // The harness raises these errors: each must be retried by the integration that raises it.
    for (const error of Object.values(THROTTLING)) expect(known.has(error)).toBe(true);
  });
});

describe('a rollout that passes every step', () => {
  let world: World;
  let run: Run;
  beforeAll(async () => {
    world = new World(plain);
    run = await runRollout(world, rolloutInput('r1'));
  });

  test('succeeds', () => {
    expect([run.status, run.error, run.cause]).toEqual(['SUCCEEDED', undefined, undefined]);
    expect(run.states[run.states.length - 1]).toBe('Promoted');
    expectNoViolation(world);
  });

  test('shifts 10/90, 25/75, 50/50, 100/0 to the idle slot (green), in order, and nothing else', () => {
    expect(weightsFor(world, 'green')).toEqual(HAPPY_WEIGHTS);
    expect(world.weightChanges.every((w) => w.state === 'SetWeights')).toBe(true);
  });

  test('records the rollout SUCCEEDED with each step passed', () => {
    expect(world.item('rollout#r1')).toMatchObject({
      status: 'SUCCEEDED',
      image: NEW_IMAGE,
      fromSlot: 'blue',
      toSlot: 'green',
      currentPercent: 100,
      steps: STEPS.map((percent) => ({ percent, outcome: 'PASSED' })),
    });
    expect(world.item('rollout#r1').failedAtPercent).toBeUndefined();
  });

  test('promotes green and releases the lock', () => {
    expectLockReleased(world);
    expect(world.item('service')).toMatchObject({ liveSlot: 'green', liveImage: NEW_IMAGE, lastRollout: 'r1', lastStatus: 'SUCCEEDED' });
  });

  test('emits one Succeeded event', () => {
    expect(world.events).toEqual([{
      Source: plain.eventSource,
      DetailType: 'Canary Rollout SUCCEEDED',
      Detail: expect.objectContaining({ rolloutId: 'r1', image: NEW_IMAGE, status: 'SUCCEEDED', reason: 'PROMOTED', percent: '100', liveSlot: 'green' }),
    }]);
  });

  test('registers a copy of green\'s task definition as ECS describes it, differing only in the app container\'s image and RELEASE_ID', () => {
    expect(world.registered).toHaveLength(1);
    const copy = world.registered[0];
    const described = world.described(plain.green.taskDefinitionArn);
    const expected = clone(described);
    const app = expected.ContainerDefinitions[plain.appContainerIndex];
    app.Image = NEW_IMAGE;
    // The template's app container has RELEASE_ID (the image it was built with) as its only variable.
    expect(app.Environment).toEqual([{ Name: 'RELEASE_ID', Value: plain.green.taskDefinition.ContainerDefinitions[plain.appContainerIndex].Image }]);
    app.Environment = [{ Name: 'RELEASE_ID', Value: NEW_IMAGE }];
    for (const key of Object.keys(copy)) expect([key, copy[key]]).toEqual([key, expected[key]]);
    // Every field RegisterTaskDefinition takes is copied; the read-only ones are not sent.
    expect(Object.keys(copy).sort()).toEqual(Object.keys(described).filter((k) => ![
      'TaskDefinitionArn', 'Revision', 'Status', 'Compatibilities', 'RequiresAttributes', 'RegisteredAt', 'RegisteredBy', 'PlacementConstraints',
    ].includes(k)).sort());
  });

  test('deploys the copy to green with blue\'s task count and waits for it', () => {
    const green = world.service('green');
    expect(green.taskDefinition).toMatch(new RegExp(`task-definition/${plain.green.taskDefinition.Family}:2$`));
    expect(green.desired).toBe(world.service('blue').desired);
    expect(world.service('blue').taskDefinition).toBe(plain.blue.taskDefinitionArn);
    const deploy = world.calls.find((c) => c.state === 'DeployIdleSlot')!;
    expect(deploy.params).toMatchObject({ Service: plain.green.serviceArn, DesiredCount: plain.blue.desiredCount, ForceNewDeployment: true });
    expect(world.calls.filter((c) => c.state === 'DescribeIdleSlot')).toHaveLength(world.describesUntilSteady);
  });

  test('bakes each step for its whole bake time (virtual seconds of the Wait states)', () => {
    const bakeSeconds = statesOf(plain.definition).Bake.Seconds;
    const bakes = run.states.filter((s) => s === 'Bake').length;
    expect(bakes * bakeSeconds).toBe(STEPS.length * 300);
    const end = run.timeline[run.timeline.length - 1].at;
    const health = world.describesUntilSteady * statesOf(plain.definition).WaitForIdleSlot.Seconds;
    expect(end - health).toBe(plain.canary.plannedDuration.toSeconds() + STEPS.length * statesOf(plain.definition).WaitForDns.Seconds);
  });

  test('stays well inside the 25,000 events of a Standard execution\'s history, even with Route 53 slow to sync', async () => {
    expect(historyEvents(run, plain.definition)).toBeLessThan(HISTORY_LIMIT / 4);
    const slow = new World(plain);
    slow.dnsPendingPolls = 12;
    const result = await runRollout(slow, rolloutInput('r1'));
    expect(result.status).toBe('SUCCEEDED');
    expect(historyEvents(result, plain.definition)).toBeLessThan(HISTORY_LIMIT / 4);
  });

  test('without a rolloutId, the execution name is the rollout id', async () => {
    const other = new World(plain);
    const result = await runRollout(other, { image: NEW_IMAGE }, { name: 'exec-42' });
    expect(result.status).toBe('SUCCEEDED');
    expect(other.item('rollout#exec-42')).toMatchObject({ status: 'SUCCEEDED' });
    expect(other.item('service').lastRollout).toBe('exec-42');
    expectNoViolation(other);
  });

  test('an alarm of the live slot does not roll back a rollout to the idle slot', async () => {
    const other = new World(plain);
    other.alarmTrigger = () => [plain.blue.compositeAlarm];
    const result = await runRollout(other, rolloutInput('r1'));
    expect(result.status).toBe('SUCCEEDED');
    expect(weightsFor(other, 'green')).toEqual(HAPPY_WEIGHTS);
    expectNoViolation(other);
  });

  test('a container added to the slots after the canary was built (a sidecar) is kept in the release, untouched', async () => {
    const synth = synthesizeCanary({ sidecarAfterConstruction: true });
    const other = new World(synth);
    const result = await runRollout(other, rolloutInput('r1'));
    expect(result.status).toBe('SUCCEEDED');
    const containers = other.described(synth.green.taskDefinitionArn).ContainerDefinitions;
    expect(containers.map((c: Json) => c.Name)).toEqual(['app', 'proxy']);
    const expected = clone(containers);
    expected[synth.appContainerIndex].Image = NEW_IMAGE;
    expected[synth.appContainerIndex].Environment = [{ Name: 'RELEASE_ID', Value: NEW_IMAGE }];
    expect(other.registered[0].ContainerDefinitions).toEqual(expected);
    // The sidecar's own RELEASE_ID is its business.
    expect(other.registered[0].ContainerDefinitions[1].Environment).toEqual(containers[1].Environment);
    expect(containers[1].Environment).toContainEqual({ Name: 'RELEASE_ID', Value: 'envoy-v1' });
    expectNoViolation(other);
  });

  test('with CNAME records, the UPSERTs keep the TTL and target and change only the weights', async () => {
    const other = new World(synthesizeCanary({ recordTtl: Duration.seconds(60) }));
    const result = await runRollout(other, rolloutInput('r1'));
    expect(result.status).toBe('SUCCEEDED');
    expect(weightsFor(other, 'green')).toEqual(HAPPY_WEIGHTS);
    expect(other.records.get('green')).toMatchObject({ Type: 'CNAME', Ttl: 60, Weight: 100 });
    expectNoViolation(other);
  });
});

describe('an alarm rolls back', () => {
  test.each(STEPS)('at the first alarm check of the %i%% step: weights back to 0/100 at once, ROLLED_BACK, event, lock released', async (percent) => {
    const world = new World(plain);
    world.alarmTrigger = alarmWhen('green', percent, 0, plain.green.compositeAlarm);
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.rolledBack]);
    const index = STEPS.indexOf(percent);
    expect(weightsFor(world, 'green')).toEqual([...HAPPY_WEIGHTS.slice(0, index + 1), [0, 100]]);
    expect(world.weightChanges[world.weightChanges.length - 1].state).toBe('RestoreWeights');
    expect(world.item('rollout#r1')).toMatchObject({
      status: 'ROLLED_BACK',
      reason: 'ALARM',
      failedAtPercent: percent,
      steps: STEPS.slice(0, index).map((p) => ({ percent: p, outcome: 'PASSED' })),
    });
    expectLockReleased(world);
    expect(world.item('service')).toMatchObject({ liveSlot: 'blue', lastRollout: 'r1', lastStatus: 'ROLLED_BACK' });
    expect(world.events).toEqual([expect.objectContaining({
      DetailType: 'Canary Rollout ROLLED_BACK',
      Detail: expect.objectContaining({ status: 'ROLLED_BACK', reason: 'ALARM', percent: String(percent), liveSlot: 'blue' }),
    })]);
    // From the check that saw the alarm to the weights going back: no Wait, no other AWS call.
    const restore = run.states.indexOf('RestoreWeights');
    const checks = alarmCheckStates(plain.definition);
    const from = run.states.slice(0, restore).map((st, i) => (checks.includes(st) ? i : -1)).reduce((a, b) => Math.max(a, b));
    expect(run.states[from]).toBe(world.alarmSeenBy!.state);
    const path = between(run, from, 'RestoreWeights');
    expect(path.filter((st) => !['Choice', 'Pass'].includes(statesOf(plain.definition)[st].Type))).toEqual([]);
    expect(world.service('green').taskDefinition).toMatch(/:2$/);
    expectNoViolation(world);
  });

  test('when a metric alarm fires in the middle of a bake (8th poll of the 25% step)', async () => {
    const world = new World(plain);
    world.alarmTrigger = alarmWhen('green', 25, 8, plain.extraAlarm);
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.rolledBack]);
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [25, 75], [0, 100]]);
    expect(world.alarmSeenBy!.state).toBe('CheckAlarms');
    // The bake had passed polls before the alarm: it was seen mid-bake, not at the end.
    const entered = run.states.lastIndexOf('StartBake');
    const polls = run.states.slice(entered).filter((s) => s === 'CheckAlarms').length;
    expect(polls).toBeGreaterThan(1);
    expect(polls).toBeLessThan(30);
    expect(world.item('rollout#r1')).toMatchObject({ status: 'ROLLED_BACK', reason: 'ALARM', failedAtPercent: 25 });
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('when an alarm goes off while Route 53 syncs a step, it is seen within one alarm poll interval', async () => {
    const world = new World(plain);
    world.dnsPendingPolls = 12; // one minute of PENDING, as Route 53 often takes
    world.alarmTrigger = alarmWhen('green', 25, 0, plain.green.compositeAlarm);
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.rolledBack]);
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [25, 75], [0, 100]]);
    const at = (state: string, from = 0) => run.timeline.find((t, i) => i >= from && t.state === state)!.at;
    const shifted = run.states.lastIndexOf('SetWeights');
    const reaction = at('RestoreWeights', shifted) - at('SetWeights', shifted);
    expect(reaction).toBeLessThanOrEqual(plain.canary.rollbackReaction.toSeconds());
    expectNoViolation(world);
  });

  test('while traffic is on the new slot, alarm checks are never further apart than rollbackReaction', async () => {
    const world = new World(plain);
    world.dnsPendingPolls = 12;
    const run = await runRollout(world, rolloutInput('r1'));
    expect(run.status).toBe('SUCCEEDED');
    const checks = alarmCheckStates(plain.definition);
    const firstShift = run.states.indexOf('SetWeights');
    const times = run.timeline.filter((t, i) => i > firstShift && checks.includes(t.state)).map((t) => t.at);
    const shiftAt = run.timeline[firstShift].at;
    const gaps = [times[0] - shiftAt, ...times.slice(1).map((t, i) => t - times[i])];
    expect(Math.max(...gaps)).toBeLessThanOrEqual(plain.canary.rollbackReaction.toSeconds());
    expectNoViolation(world);
  });

  test('an alarm that fired while the approval waited stops the last step before it gets any traffic', async () => {
    const world = new World(approval);
    let requested = false;
    world.beforeCall = async (call) => {
      if (call.api === 'sns:publish') requested = true;
    };
    world.alarmTrigger = () => (requested ? [approval.green.compositeAlarm] : []);
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.rolledBack]);
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [25, 75], [50, 50], [0, 100]]);
    expect(world.approvals).toHaveLength(1);
    expect(world.alarmSeenBy!.state).toBe('CheckAlarmsAfterApproval');
    expectLockReleased(world);
    expectNoViolation(world);
  });
});

describe('an idle slot that does not become healthy', () => {
  test('never steady: fails with IdleSlotUnhealthy after the health timeout, no weight touched, lock released', async () => {
    const world = new World(plain);
    world.deploymentOutcome = 'STUCK';
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.unhealthy]);
    expect(world.weightChanges).toEqual([]);
    expect(world.calls.filter((c) => c.api.startsWith('route53') || c.api.startsWith('cloudwatch'))).toEqual([]);
    const definition = statesOf(plain.definition);
    const polls = world.calls.filter((c) => c.state === 'DescribeIdleSlot').length;
    expect(polls * definition.WaitForIdleSlot.Seconds).toBe(20 * 60);
    expect(world.item('rollout#r1')).toMatchObject({ status: 'FAILED', reason: 'IDLE_SLOT_UNHEALTHY', failedAtPercent: 0 });
    expectLockReleased(world);
    expect(world.item('service').liveSlot).toBe('blue');
    expect(world.events).toEqual([expect.objectContaining({ DetailType: 'Canary Rollout FAILED', Detail: expect.objectContaining({ reason: 'IDLE_SLOT_UNHEALTHY' }) })]);
    expectNoViolation(world);
  });

  test.each(['FAILED', 'ROLLED_BACK'] as const)('ECS circuit breaker (%s): fails with IdleSlotUnhealthy at once, no weight touched', async (outcome) => {
    const world = new World(plain);
    world.deploymentOutcome = outcome;
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.unhealthy]);
    expect(world.weightChanges).toEqual([]);
    expect(world.calls.filter((c) => c.state === 'DescribeIdleSlot')).toHaveLength(world.describesUntilSteady);
    expect(world.item('rollout#r1')).toMatchObject({ status: 'FAILED', reason: 'IDLE_SLOT_UNHEALTHY' });
    expectLockReleased(world);
    expectNoViolation(world);
  });
});

describe('one rollout at a time', () => {
  /** Runs `second` when the first rollout makes its first alarm check, and returns both runs. */
  interface WhileRunning {
    first: Run;
    second: Run;
    writesDuringSecond: number;
    callsOfSecond: string[];
  }
  async function whileRunning(world: World, second: Json, beforeSecond?: () => void): Promise<WhileRunning> {
    let inner: Run | undefined;
    let writes = 0;
    let calls: string[] = [];
    world.beforeCall = async (call) => {
      if (call.state !== 'CheckAlarms') return;
      world.beforeCall = undefined;
      const before = world.writes;
      const from = world.calls.length;
      beforeSecond?.();
      inner = await runRollout(world, second);
      writes = world.writes - before;
      calls = world.calls.slice(from).map((c) => c.state);
    };
    const first = await runRollout(world, rolloutInput('r1'));
    return { first, second: inner!, writesDuringSecond: writes, callsOfSecond: calls };
  }

  test('a second rollout started while one runs is refused with RolloutInProgress and writes nothing', async () => {
    const world = new World(plain);
    const { first, second, writesDuringSecond, callsOfSecond } = await whileRunning(world, rolloutInput('r2', `${NEW_IMAGE}-other`),
      () => world.fail('dynamodb:getItem', 3));
    expect([second.status, second.error]).toEqual(['FAILED', ROLLOUT_ERRORS.inProgress]);
    // The holder's execution is asked for: it runs, so the lock stays with it.
    expect(second.cause).toBe(`Rollout r1 of Test/Canary holds the lock: its execution ${executionArn(first.name)} is RUNNING. Start this one when it has ended.`);
    expect(writesDuringSecond).toBe(0);
    expect(callsOfSecond).toEqual(['TakeLock', 'ReadLock', 'ReadLock', 'ReadLock', 'ReadLock', 'DescribeHolder']);
    expect(second.retries).toEqual(Array(3).fill({ state: 'ReadLock', error: THROTTLING['dynamodb:getItem'] }));
    expect(world.item('rollout#r2')).toBeUndefined();
    // The first one is not disturbed.
    expect(first.status).toBe('SUCCEEDED');
    expect(weightsFor(world, 'green')).toEqual(HAPPY_WEIGHTS);
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('the same rollout id started again while it runs is a no-op success', async () => {
    const world = new World(plain);
    const { first, second, writesDuringSecond } = await whileRunning(world, rolloutInput('r1'));
    expect(second.status).toBe('SUCCEEDED');
    expect(second.states[second.states.length - 1]).toBe('AlreadyRunning');
    expect(writesDuringSecond).toBe(0);
    expect(first.status).toBe('SUCCEEDED');
    expect(world.registered).toHaveLength(1);
    expectNoViolation(world);
  });

  test('a finished rollout id started again is a no-op success that leaves the lock free', async () => {
    const world = new World(plain);
    world.alarmTrigger = alarmWhen('green', 25, 3, plain.green.compositeAlarm);
    expect((await runRollout(world, rolloutInput('r1'))).error).toBe(ROLLOUT_ERRORS.rolledBack);
    const record = world.item('rollout#r1');
    const weights = world.weightChanges.length;
    const calls = world.calls.length;

    const again = await runRollout(world, rolloutInput('r1'));
    expect(again.status).toBe('SUCCEEDED');
    expect(again.states[again.states.length - 1]).toBe('AlreadyDone');
    expect(world.calls.slice(calls).map((c) => c.state)).toEqual(['TakeLock', 'RecordRollout', 'ReleaseLockOfRepeat']);
    expect(world.weightChanges).toHaveLength(weights);
    expect(world.item('rollout#r1')).toEqual(record);
    expect(world.registered).toHaveLength(1);
    expectLockReleased(world);
    expectNoViolation(world);
  });
});

describe('a lock left behind by an execution that ended', () => {
  /** The service item as a holder left it: rollout `r0` of the execution `name` (or one of an earlier version, without it). */
  function lockLeftBy(world: World, execution: string | undefined, rolloutId = 'r0'): Json {
    world.items.set('service', {
      pk: { S: 'service' },
      liveSlot: { S: 'blue' },
      lockedBy: { S: rolloutId },
      ...(execution === undefined ? {} : { lockedByExecution: { S: execution } }),
      lockedAt: { S: '2025-12-31T23:00:00.000Z' },
    });
    return world.item('service');
  }

  /** The parameters of the first call a state made. */
  function paramsOf(world: World, state: string): Json {
    return world.calls.find((c) => c.state === state)?.params;
  }

  test.each(['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'] as const)(
    'a holder whose execution is %s: its lock is taken over (on the condition that it still holds it), the rollout runs to the end and records the takeover',
    async (status) => {
      const world = new World(plain);
      const holder = world.addExecution('stopped-by-hand', status);
      lockLeftBy(world, holder.executionArn);
      const run = await runRollout(world, rolloutInput('r1'));

      expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
      expect(run.states.slice(0, 8)).toEqual(['CheckInput', 'UseGivenRolloutId', 'TakeLock', 'ReadLock', 'SameRollout', 'DescribeHolder', 'HolderRunning', 'TakeOverLock']);
      expect(run.states).toContain('RecordTakeover');
      expect(run.states).not.toContain('RecordRollout');
      expect(paramsOf(world, 'DescribeHolder')).toEqual({ ExecutionArn: holder.executionArn });
      const takeOver = paramsOf(world, 'TakeOverLock');
      expect(takeOver.ConditionExpression).toBe('lockedBy = :holder AND lockedByExecution = :holderExecution');
      expect(takeOver.ExpressionAttributeValues).toMatchObject({
        ':holder': { S: 'r0' }, ':holderExecution': { S: holder.executionArn }, ':id': { S: 'r1' }, ':exec': { S: executionArn(run.name) },
      });
      expect(world.item('rollout#r1')).toMatchObject({
        status: 'SUCCEEDED',
        execution: executionArn(run.name),
        tookOverFrom: { rolloutId: 'r0', execution: holder.executionArn, status },
      });
      expect(weightsFor(world, 'green')).toEqual(HAPPY_WEIGHTS);
      expectLockReleased(world);
      expect(world.item('service')).toMatchObject({ liveSlot: 'green', lastRollout: 'r1', lastStatus: 'SUCCEEDED' });
      expectNoViolation(world);
    });

  test.each(['RUNNING', 'PENDING_REDRIVE'] as const)('a holder whose execution is %s keeps the lock: RolloutInProgress naming it, nothing written', async (status) => {
    const world = new World(plain);
    const holder = world.addExecution('holder', status);
    const before = lockLeftBy(world, holder.executionArn);
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.inProgress]);
    expect(run.cause).toBe(`Rollout r0 of Test/Canary holds the lock: its execution ${holder.executionArn} is ${status}. Start this one when it has ended.`);
    expect(world.calls.map((c) => c.state)).toEqual(['TakeLock', 'ReadLock', 'DescribeHolder']);
    expect(world.writes).toBe(0);
    expect(world.item('service')).toEqual(before);
    expect(world.item('rollout#r1')).toBeUndefined();
    expectNoViolation(world);
  });

  test('a holder whose execution Step Functions no longer knows (ExecutionDoesNotExist, kept 90 days) does not run: taken over, recorded DOES_NOT_EXIST', async () => {
    const world = new World(plain);
    const gone = executionArn('long-gone');
    lockLeftBy(world, gone);
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    const described = world.calls.find((c) => c.state === 'DescribeHolder')!;
    expect(described.error).toBe('Sfn.ExecutionDoesNotExistException');
    // The name Step Functions gives the error (AWS's model of the API, Java v2 exception class).
    expect(checkErrorNames('arn:aws:states:::aws-sdk:sfn:describeExecution', [described.error!], 'DescribeHolder')).toEqual([]);
    expect(run.caught).toEqual([
      { state: 'TakeLock', error: 'DynamoDB.ConditionalCheckFailedException', next: 'ReadLock' },
      { state: 'DescribeHolder', error: 'Sfn.ExecutionDoesNotExistException', next: 'HolderGone' },
      // The holder left no rollout item here to close.
      { state: 'CloseHolderRollout', error: 'DynamoDB.ConditionalCheckFailedException', next: 'PlanSteps' },
    ]);
    expect(world.item('rollout#r1').tookOverFrom).toEqual({ rolloutId: 'r0', execution: gone, status: 'DOES_NOT_EXIST' });
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('a lock of an earlier version (no lockedByExecution) is not taken over: RolloutInProgress saying how to clear it, nothing written', async () => {
    const world = new World(plain);
    const before = lockLeftBy(world, undefined);
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.inProgress]);
    expect(run.cause).toBe('Rollout r0 of Test/Canary holds a lock taken by an earlier version of this state machine, which does not record its execution. '
      + `If no execution of rollout r0 runs any more, delete lockedBy and lockedAt from the item service of table ${plain.tableName}, then start this rollout again.`);
    expect(world.calls.map((c) => c.state)).toEqual(['TakeLock', 'ReadLock']);
    expect(world.writes).toBe(0);
    expect(world.item('service')).toEqual(before);
    // The same rollout id started again: a no-op, as before.
    const again = await runRollout(world, rolloutInput('r0'));
    expect([again.status, again.states[again.states.length - 1]]).toEqual(['SUCCEEDED', 'AlreadyRunning']);
    expectNoViolation(world);
  });

  test('a takeover that loses the race (another start took the lock first): RolloutInProgress, no second attempt', async () => {
    const world = new World(plain);
    const holder = world.addExecution('stopped', 'ABORTED');
    lockLeftBy(world, holder.executionArn);
    const winner = world.addExecution('winner', 'RUNNING');
    world.beforeCall = async (call) => {
      if (call.state !== 'TakeOverLock') return;
      lockLeftBy(world, winner.executionArn, 'r9');
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.inProgress]);
    expect(run.cause).toBe(`Rollout r1 of Test/Canary could not take over the lock left by rollout r0 (execution ${holder.executionArn}, ABORTED): another start took it first.`);
    expect(world.calls.map((c) => [c.state, c.error])).toEqual([
      ['TakeLock', 'DynamoDB.ConditionalCheckFailedException'], ['ReadLock', undefined], ['DescribeHolder', undefined],
      ['TakeOverLock', 'DynamoDB.ConditionalCheckFailedException'],
    ]);
    expect(world.item('service')).toMatchObject({ lockedBy: 'r9', lockedByExecution: winner.executionArn });
    expect(world.item('rollout#r1')).toBeUndefined();
    expectNoViolation(world);
  });

  test('the rollout item the holder left IN_PROGRESS is closed as ABANDONED, naming the rollout that took its lock over', async () => {
    const world = new World(plain);
    const stopped = world.addExecution('stopped', 'ABORTED');
    lockLeftBy(world, stopped.executionArn, 'r0');
    world.items.set('rollout#r0', { pk: { S: 'rollout#r0' }, status: { S: 'IN_PROGRESS' }, execution: { S: stopped.executionArn } });
    const run = await runRollout(world, rolloutInput('r1'));

    expect(run.status).toBe('SUCCEEDED');
    expect(run.states.slice(run.states.indexOf('RecordTakeover'), run.states.indexOf('RecordTakeover') + 3)).toEqual(['RecordTakeover', 'CloseHolderRollout', 'PlanSteps']);
    const close = paramsOf(world, 'CloseHolderRollout');
    expect(close).toMatchObject({ Key: { pk: { S: 'rollout#r0' } }, ConditionExpression: '#status = :inProgress' });
    expect(world.item('rollout#r0')).toMatchObject({ status: 'ABANDONED', takenOverBy: 'r1', execution: stopped.executionArn });
    expect(world.item('rollout#r1')).toMatchObject({ status: 'SUCCEEDED', tookOverFrom: { rolloutId: 'r0', status: 'ABORTED' } });
    expectNoViolation(world);
  });

  test('a holder\'s rollout item that already records its outcome (or none at all) is left as it is, and the rollout goes on', async () => {
    for (const item of [{ pk: { S: 'rollout#r0' }, status: { S: 'ROLLED_BACK' } }, undefined]) {
      const world = new World(plain);
      const stopped = world.addExecution('stopped', 'FAILED');
      lockLeftBy(world, stopped.executionArn, 'r0');
      if (item) world.items.set('rollout#r0', item);
      const run = await runRollout(world, rolloutInput('r1'));

      expect(run.status).toBe('SUCCEEDED');
      const closed = world.calls.filter((c) => c.state === 'CloseHolderRollout');
      expect(closed.map((c) => c.error)).toEqual(['DynamoDB.ConditionalCheckFailedException']);
      if (item) expect(world.item('rollout#r0')).toEqual({ pk: 'rollout#r0', status: 'ROLLED_BACK' });
      else expect(world.item('rollout#r0')).toBeUndefined();
      expectNoViolation(world);
    }
  });

  test('the same rollout id, started again after its execution was stopped: takes the lock over, sees the id ran, frees the lock', async () => {
    const world = new World(plain);
    // Rollout r1 stopped by hand after it recorded itself: its lock and its IN_PROGRESS record stay.
    const stopped = world.addExecution('stopped', 'ABORTED');
    lockLeftBy(world, stopped.executionArn, 'r1');
    world.items.set('rollout#r1', { pk: { S: 'rollout#r1' }, status: { S: 'IN_PROGRESS' }, execution: { S: stopped.executionArn } });

    const again = await runRollout(world, rolloutInput('r1'));
    expect(again.status).toBe('SUCCEEDED');
    expect(world.calls.map((c) => c.state)).toEqual(['TakeLock', 'ReadLock', 'DescribeHolder', 'TakeOverLock', 'RecordTakeover', 'ReleaseLockOfRepeat']);
    expect(again.states[again.states.length - 1]).toBe('AlreadyDone');
    expectLockReleased(world);
    // A new rollout then runs.
    expect((await runRollout(world, rolloutInput('r2'))).status).toBe('SUCCEEDED');
    expectNoViolation(world);
  });

  test('an execution whose lock was taken over (redriven, say) cannot release the new holder\'s lock, even under the same rollout id', async () => {
    const world = new World(plain);
    const newHolder = world.addExecution('new-holder', 'RUNNING');
    world.beforeCall = async (call) => {
      if (call.state !== 'CheckAlarms') return;
      world.beforeCall = undefined;
      lockLeftBy(world, newHolder.executionArn, 'r1');
    };
    const run = await runRollout(world, rolloutInput('r1'));
    // Its next record of what is live (the next step's weights, recorded before they are set) is
    // refused: it stops there, sets no weight, restores none (they are the new holder's) and
    // leaves the lock.
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.lockTakenOver]);
    expect(run.states.slice(-3)).toEqual(['AbortBeforeStepChoice', 'RecordStepWeights', 'LockTakenOver']);
    expect(run.states).not.toContain('RestoreWeights');
    expect(world.weightChanges).toHaveLength(1);
    expect(world.item('service')).toMatchObject({ lockedBy: 'r1', lockedByExecution: newHolder.executionArn });
    expectNoViolation(world);
  });

  test('DescribeExecution throttled (Sfn.SfnException) and the key throttled (Sfn.KmsThrottlingException): retried, then taken over', async () => {
    const world = new World(plain);
    const holder = world.addExecution('failed', 'FAILED');
    lockLeftBy(world, holder.executionArn);
    for (const error of RETRIED_ERRORS.sfn) world.fail('sfn:describeExecution', 2, error);
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    expect(run.retries.filter((r) => r.state === 'DescribeHolder').map((r) => r.error)).toEqual(RETRIED_ERRORS.sfn.flatMap((e) => [e, e]));
    expect(checkErrorNames('arn:aws:states:::aws-sdk:sfn:describeExecution', RETRIED_ERRORS.sfn, 'DescribeHolder')).toEqual([]);
    expect(world.item('rollout#r1').tookOverFrom.status).toBe('FAILED');
    expectNoViolation(world);
  });

  test('a construct path with quotes and braces is escaped in the intrinsic format string and shown as it is (a backslash as /)', async () => {
    const odd = synthesizeCanary({ nestedIn: ['Team\'s {app} \\ x'] });
    expect(validateDefinition(odd.definition)).toEqual([]);
    const world = new World(odd);
    const holder = world.addExecution('holder', 'RUNNING');
    lockLeftBy(world, holder.executionArn);
    const run = await runRollout(world, rolloutInput('r1'));
    expect(run.cause).toBe(`Rollout r0 of Test/Team's {app} / x/Canary holds the lock: its execution ${holder.executionArn} is RUNNING. Start this one when it has ended.`);
    expectNoViolation(world);
  });

  test('a holder whose status cannot be read (an ARN Step Functions refuses) is not taken over: RolloutInProgress with the error', async () => {
    const world = new World(plain);
    const before = lockLeftBy(world, 'not-an-execution-arn');
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.inProgress]);
    expect(run.cause).toBe('Rollout r0 of Test/Canary holds the lock and the status of its execution not-an-execution-arn could not be read '
      + '(Sfn.InvalidArnException); start this one when it has ended.');
    expect(world.writes).toBe(0);
    expect(world.item('service')).toEqual(before);
    expectNoViolation(world);
  });
});

describe('throttling', () => {
  /** The APIs a rollout calls when nobody else holds the lock (GetItem and DescribeExecution only read a held lock). */
  const apis = (synth: Synthesized): string[] => {
    const used = Object.values(statesOf(synth.definition)).filter((st) => st.Type === 'Task').map((st) => RESOURCE_API[st.Resource]);
    return [...new Set(used)].filter((api) => !HELD_LOCK_APIS.includes(api));
  };

  test.each([
    ['default', () => plain],
    ['approval and SCALE_IN (second rollout, so that both scaling calls run)', () => everything],
  ])('%s: every kind of AWS call throttled 3 times still succeeds, and the retries are in the event log', async (_name, get) => {
    const synth = get();
    const world = new World(synth);
    if (synth.variant.scaleIn) expect((await runRollout(world, rolloutInput('warm-up'))).status).toBe('SUCCEEDED');
    const kinds = apis(synth);
    expect(kinds.length).toBe(synth.variant.scaleIn ? 13 : 11);
    for (const api of kinds) world.fail(api, 3);
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    for (const api of kinds) {
      const throttled = world.calls.filter((c) => c.api === api && c.error === THROTTLING[api]);
      expect([api, throttled.length]).toEqual([api, 3]);
      for (const call of throttled) expect(run.retries).toContainEqual({ state: call.state, error: THROTTLING[api] });
    }
    expect(run.retries).toHaveLength(3 * kinds.length);
    expect(run.caught).toEqual([]);
    expect(weightsFor(world, synth.variant.scaleIn ? 'blue' : 'green').slice(synth.variant.scaleIn ? 4 : 0)).toEqual(HAPPY_WEIGHTS);
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('a rollback whose calls are throttled still restores the weights, records, releases and emits', async () => {
    const world = new World(plain);
    world.alarmTrigger = alarmWhen('green', 25, 2, plain.green.compositeAlarm);
    let injected = false;
    world.beforeCall = async (call) => {
      if (call.state === 'RestoreWeights' && !injected) {
        injected = true;
        world.fail('route53:changeResourceRecordSets', 9);
        world.fail('dynamodb:updateItem', 5);
        world.fail('events:putEvents', 5);
      }
    };
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.rolledBack]);
    expect(run.retries.filter((r) => r.state === 'RestoreWeights')).toHaveLength(9);
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [25, 75], [0, 100]]);
    expect(world.item('rollout#r1')).toMatchObject({ status: 'ROLLED_BACK' });
    expectLockReleased(world);
    expect(world.events).toHaveLength(1);
    expectNoViolation(world);
  });

  test('a step call that keeps failing after its retries rolls back with StepFailed', async () => {
    const world = new World(plain);
    world.beforeCall = async (call) => {
      if (call.state === 'SetWeights' && world.weightChanges.length === 1) world.fail('route53:getChange', 7);
    };
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.stepFailed]);
    expect(run.retries.filter((r) => r.state === 'CheckDns')).toHaveLength(6);
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [25, 75], [0, 100]]);
    expect(world.item('rollout#r1')).toMatchObject({ status: 'ROLLED_BACK', reason: 'STEP_FAILED', failedAtPercent: 25 });
    expectLockReleased(world);
    expectNoViolation(world);
  });
});

describe('manual approval before the last step', () => {
  test('approved: the last step runs after the approval, with the task token in the request', async () => {
    const world = new World(approval);
    let weightsAtApproval: Json;
    world.beforeCall = async (call) => {
      if (call.api === 'sns:publish') weightsAtApproval = world.weights;
    };
    const run = await runRollout(world, rolloutInput('r1'));
    expect(run.status).toBe('SUCCEEDED');
    expect(weightsFor(world, 'green')).toEqual(HAPPY_WEIGHTS);
    expect(weightsAtApproval).toEqual({ green: 50, blue: 50 });
    expect(world.approvals).toHaveLength(1);
    const request = world.approvals[0];
    expect(request.Message).toContain(`token-of-${run.name}`);
    expect(request.Message).toContain('r1');
    expect(request.Message).toContain(NEW_IMAGE);
    expect(request.Message).toContain(`--error ${ROLLOUT_ERRORS.aborted}`);
    expect(request.Message).toContain('--task-output {}');
    expect(request.MessageAttributes.taskToken.StringValue).toBe(`token-of-${run.name}`);
    expect(request.MessageAttributes.rolloutId.StringValue).toBe('r1');
    expect(world.item('service').liveSlot).toBe('green');
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test.each([
    ['refused', 'abort', ROLLOUT_ERRORS.aborted, 'ABORTED'],
    ['not answered in time (States.Timeout raised by the handler)', 'timeout', ROLLOUT_ERRORS.approvalTimedOut, 'APPROVAL_TIMED_OUT'],
  ] as const)('%s: weights back to the live slot, ROLLED_BACK, lock released', async (_name, answer, error, reason) => {
    const world = new World(approval);
    world.approval = answer;
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['FAILED', error]);
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [25, 75], [50, 50], [0, 100]]);
    expect(world.item('rollout#r1')).toMatchObject({ status: 'ROLLED_BACK', reason });
    expect(world.events).toEqual([expect.objectContaining({ Detail: expect.objectContaining({ status: 'ROLLED_BACK', reason }) })]);
    expectLockReleased(world);
    expect(world.item('service').liveSlot).toBe('blue');
    expectNoViolation(world);
  });

  test('not answered in time: the interpreter\'s own TimeoutSeconds (shortened to 1 s) gives the same rollback', async () => {
    const world = new World(approval);
    world.approval = 'hang';
    const definition = clone(approval.definition);
    expect(definition.States.RequestApproval.TimeoutSeconds).toBe(86400);
    definition.States.RequestApproval.TimeoutSeconds = 1;
    const run = await runRollout(world, rolloutInput('r1'), { definition });
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.approvalTimedOut]);
    expect(run.caught).toContainEqual({ state: 'RequestApproval', error: 'States.Timeout', next: 'ApprovalTimedOut' });
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [25, 75], [50, 50], [0, 100]]);
    expectLockReleased(world);
    expectNoViolation(world);
  });
});

describe('promotion', () => {
  test('swaps the live slot: the next rollout releases to blue and shifts blue 10, 25, 50, 100', async () => {
    const world = new World(plain);
    expect((await runRollout(world, rolloutInput('r1'))).status).toBe('SUCCEEDED');
    const run = await runRollout(world, rolloutInput('r2', `${NEW_IMAGE}-3`));

    expect(run.status).toBe('SUCCEEDED');
    expect(run.states).toContain('GreenIsLive');
    expect(world.registered.map((r) => r.Family)).toEqual([plain.green.taskDefinition.Family, plain.blue.taskDefinition.Family]);
    expect(world.registered[1].ContainerDefinitions[plain.appContainerIndex].Image).toBe(`${NEW_IMAGE}-3`);
    expect(weightsFor(world, 'blue').slice(4)).toEqual(HAPPY_WEIGHTS);
    expect(world.item('service')).toMatchObject({ liveSlot: 'blue', liveImage: `${NEW_IMAGE}-3`, lastRollout: 'r2' });
    expect(world.item('rollout#r2')).toMatchObject({ fromSlot: 'green', toSlot: 'blue', status: 'SUCCEEDED' });
    expect(world.service('blue').desired).toBe(world.service('green').desired);
    expectLockReleased(world);
    expectNoViolation(world);
  });
});

describe('OldSlot.SCALE_IN', () => {
  test('scales the old slot in after promotion, and the next rollout restores its scaling before deploying to it', async () => {
    const world = new World(scaleIn);
    const blueTarget = scaleIn.blue.scalableTarget!;
    expect(blueTarget).toMatchObject({ min: 2, max: 4 });

    expect((await runRollout(world, rolloutInput('r1'))).status).toBe('SUCCEEDED');
    expect(world.scalableTargets.get(blueTarget.resourceId)).toEqual({ min: 0, max: 0 });
    expect(world.service('blue').desired).toBe(0);
    expect(world.item('service').liveSlot).toBe('green');
    const firstCalls = world.calls.map((c) => c.state);
    expect(firstCalls.indexOf('RetireBlueScaling')).toBeLessThan(firstCalls.indexOf('ScaleInOldSlot'));
    expect(firstCalls.indexOf('ScaleInOldSlot')).toBeLessThan(firstCalls.indexOf('Promote'));

    const from = world.calls.length;
    const run = await runRollout(world, rolloutInput('r2'));
    expect(run.status).toBe('SUCCEEDED');
    const calls = world.calls.slice(from).map((c) => c.state);
    expect(calls.indexOf('RestoreBlueScaling')).toBeGreaterThan(-1);
    expect(calls.indexOf('RestoreBlueScaling')).toBeLessThan(calls.indexOf('DeployIdleSlot'));
    expect(world.calls.find((c, i) => i >= from && c.state === 'RestoreBlueScaling')!.params).toMatchObject({ MinCapacity: 2, MaxCapacity: 4 });
    expect(world.calls.find((c, i) => i >= from && c.state === 'DeployIdleSlot')!.params).toMatchObject({ Service: scaleIn.blue.serviceArn, DesiredCount: 2 });
    expect(weightsFor(world, 'blue').slice(4)).toEqual(HAPPY_WEIGHTS);
    // Now green is the old slot.
    expect(world.scalableTargets.get(scaleIn.green.scalableTarget!.resourceId)).toEqual({ min: 0, max: 0 });
    expect(world.scalableTargets.get(blueTarget.resourceId)).toEqual({ min: 2, max: 4 });
    expect(world.service('green').desired).toBe(0);
    expect(world.service('blue').desired).toBe(2);
    expectLockReleased(world);
    expectNoViolation(world);
  });
});

describe('Route 53 never INSYNC', () => {
  test('rolls back with DnsNotInSync after the DNS timeout', async () => {
    const world = new World(plain);
    world.dnsPendingPolls = Number.POSITIVE_INFINITY;
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.dnsNotInSync]);
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [0, 100]]);
    const polls = world.calls.filter((c) => c.state === 'CheckDns').length;
    expect(polls * statesOf(plain.definition).WaitForDns.Seconds).toBe(300);
    expect(world.item('rollout#r1')).toMatchObject({ status: 'ROLLED_BACK', reason: 'DNS_NOT_IN_SYNC', failedAtPercent: 10 });
    expectLockReleased(world);
    expectNoViolation(world);
  });
});

describe('release failures', () => {
  test('RegisterTaskDefinition refused: ReleaseFailed, nothing deployed, no weight touched, lock released', async () => {
    const world = new World(plain);
    world.fail('ecs:registerTaskDefinition', 1, 'Ecs.ClientException');
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.releaseFailed]);
    expect(world.weightChanges).toEqual([]);
    expect(world.calls.filter((c) => c.api === 'ecs:updateService')).toEqual([]);
    expect(world.item('rollout#r1')).toMatchObject({ status: 'FAILED', reason: 'RELEASE_FAILED' });
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('the rollout record cannot be written: ReleaseFailed and the lock released (not kept forever)', async () => {
    const world = new World(plain);
    world.fail('dynamodb:putItem', 1, 'DynamoDB.ResourceNotFoundException');
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.releaseFailed]);
    expect(world.weightChanges).toEqual([]);
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('the outcome cannot be recorded: the lock is still released and the named error still given', async () => {
    const world = new World(plain);
    world.deploymentOutcome = 'FAILED';
    world.beforeCall = async (call) => {
      if (call.state === 'RecordOutcome') world.fail('dynamodb:updateItem', 1, 'DynamoDB.ResourceNotFoundException');
    };
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.unhealthy]);
    expectLockReleased(world);
    expect(world.events).toHaveLength(1);
    expectNoViolation(world);
  });

  test('the success cannot be recorded on the rollout item: the promotion still happens', async () => {
    const world = new World(plain);
    world.beforeCall = async (call) => {
      if (call.state === 'RecordPromotion') world.fail('dynamodb:updateItem', 1, 'DynamoDB.ResourceNotFoundException');
    };
    const run = await runRollout(world, rolloutInput('r1'));
    expect(run.status).toBe('SUCCEEDED');
    expect(world.item('service')).toMatchObject({ liveSlot: 'green' });
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('DescribeAlarms answers without its empty lists: still a normal rollout (no uncatchable States.Runtime)', async () => {
    const world = new World(plain);
    world.omitEmptyAlarmLists = true;
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    const other = new World(plain);
    other.omitEmptyAlarmLists = true;
    other.alarmTrigger = alarmWhen('green', 50, 0, plain.extraAlarm);
    expect((await runRollout(other, rolloutInput('r1'))).error).toBe(ROLLOUT_ERRORS.rolledBack);
    expectNoViolation(world);
  });
});

describe('invalid input', () => {
  test.each([
    ['no image', { rolloutId: 'r1' }],
    ['an image that is not a string', { image: 42 }],
    ['an empty image', { image: '' }],
    ['a rolloutId that is not a string', { image: NEW_IMAGE, rolloutId: 7 }],
    ['an empty rolloutId', { image: NEW_IMAGE, rolloutId: '' }],
    ['not an object', 'users:v2'],
  ])('%s: InvalidInput before any AWS call', async (_name, input) => {
    const world = new World(plain);
    const run = await runRollout(world, input);
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.invalidInput]);
    expect(world.calls).toEqual([]);
  });
});

describe('RELEASE_ID of a release (names the released image)', () => {
  /** The app container of the release registered by a run, and of the task definition it was copied from. */
  async function release(synth: Synthesized, prepare: (world: World, app: Json) => void = () => undefined) {
    const world = new World(synth);
    const template = world.taskDefinitions.get(synth.green.taskDefinitionArn);
    prepare(world, template.ContainerDefinitions[synth.appContainerIndex]);
    const before = world.described(synth.green.taskDefinitionArn);
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    expectNoViolation(world);
    return { registered: world.registered[0].ContainerDefinitions, before: before.ContainerDefinitions, world };
  }
  const releaseIds = (container: Json) => (container.Environment ?? []).filter((v: Json) => v.Name === 'RELEASE_ID');

  test('the app container\'s other variables are kept in order, RELEASE_ID is the new image exactly once, sidecars untouched', async () => {
    const synth = synthesizeCanary({ config: { LOG_LEVEL: 'info', FEATURE_X: 'on' }, sidecarAfterConstruction: true });
    const { registered, before } = await release(synth);
    const index = synth.appContainerIndex;
    const app = registered[index];
    expect(releaseIds(app)).toEqual([{ Name: 'RELEASE_ID', Value: NEW_IMAGE }]);
    expect(app.Environment).toEqual(before[index].Environment.map((v: Json) => (v.Name === 'RELEASE_ID' ? { Name: 'RELEASE_ID', Value: NEW_IMAGE } : v)));
    expect(app.Environment).toContainEqual({ Name: 'LOG_LEVEL', Value: 'info' });
    expect(app.Environment).toContainEqual({ Name: 'FEATURE_X', Value: 'on' });
    expect(registered.filter((_: Json, i: number) => i !== index)).toEqual(before.filter((_: Json, i: number) => i !== index));
  });

  test('a template app container without RELEASE_ID gets it appended after its variables', async () => {
    const synth = synthesizeCanary({ config: { LOG_LEVEL: 'info' } });
    const { registered } = await release(synth, (_w, app) => {
      app.Environment = app.Environment.filter((v: Json) => v.Name !== 'RELEASE_ID');
    });
    expect(registered[synth.appContainerIndex].Environment).toEqual([{ Name: 'LOG_LEVEL', Value: 'info' }, { Name: 'RELEASE_ID', Value: NEW_IMAGE }]);
  });

  test.each([
    ['answered as an empty list', false],
    ['left out of the answer', true],
  ])('an app container with no variables (Environment %s) gets RELEASE_ID as its only one', async (_name, omit) => {
    const synth = synthesizeCanary();
    const { registered } = await release(synth, (world, app) => {
      delete app.Environment;
      world.omitEmptyEnvironment = omit;
    });
    expect(registered[synth.appContainerIndex].Environment).toEqual([{ Name: 'RELEASE_ID', Value: NEW_IMAGE }]);
  });

  test('the next rollout replaces the RELEASE_ID the previous release set', async () => {
    const world = new World(plain);
    expect((await runRollout(world, rolloutInput('r1'))).status).toBe('SUCCEEDED');
    expect((await runRollout(world, rolloutInput('r2', `${NEW_IMAGE}-3`))).status).toBe('SUCCEEDED');
    expect((await runRollout(world, rolloutInput('r3', `${NEW_IMAGE}-4`))).status).toBe('SUCCEEDED');
    // r3 released to green again, copying green's r1 release (RELEASE_ID = r1's image).
    expect(world.registered.map((r) => releaseIds(r.ContainerDefinitions[plain.appContainerIndex]))).toEqual([
      [{ Name: 'RELEASE_ID', Value: NEW_IMAGE }], [{ Name: 'RELEASE_ID', Value: `${NEW_IMAGE}-3` }], [{ Name: 'RELEASE_ID', Value: `${NEW_IMAGE}-4` }],
    ]);
    expectNoViolation(world);
  });
});

describe('errors under the names AWS raises them', () => {
  test.each([
    ['default', () => plain],
    ['approval and SCALE_IN (second rollout)', () => everything],
  ])('%s: every retried error name of each integration, raised once per call kind, is retried and the rollout succeeds', async (_name, get) => {
    const synth = get();
    const world = new World(synth);
    if (synth.variant.scaleIn) expect((await runRollout(world, rolloutInput('warm-up'))).status).toBe('SUCCEEDED');
    const integration = (api: string) => ({
      dynamodb: 'dynamodb', ecs: 'ecs', route53: 'route53', cloudwatch: 'cloudwatch', applicationautoscaling: 'autoscaling', events: 'events', sns: 'sns',
    } as { [prefix: string]: string })[api.split(':')[0]];
    // (DescribeExecution's retried errors: 'a lock left behind by an execution that ended'.)
    const apis = [...new Set(Object.values(statesOf(synth.definition)).filter((st) => st.Type === 'Task').map((st) => RESOURCE_API[st.Resource]))]
      .filter((api) => !HELD_LOCK_APIS.includes(api));
    for (const api of apis) for (const error of RETRIED_ERRORS[integration(api)]) world.fail(api, 1, error);
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    expect(run.caught).toEqual([]);
    for (const api of apis) {
      const raised = world.calls.filter((c) => c.api === api && c.error !== undefined).map((c) => c.error);
      expect([api, raised]).toEqual([api, RETRIED_ERRORS[integration(api)]]);
    }
    expectNoViolation(world);
  });

  test('a throttled alarm poll (CloudWatch\'s unmodeled throttling, Step Functions\' CloudWatch.CloudWatchException) is retried, not StepFailed', async () => {
    const world = new World(plain);
    let throttled = false;
    world.beforeCall = async (call) => {
      if (call.state === 'CheckAlarms' && world.weightChanges.length === 2 && !throttled) {
        throttled = true;
        world.fail('cloudwatch:describeAlarms', 5, 'CloudWatch.CloudWatchException');
      }
    };
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    expect(run.retries.filter((r) => r.state === 'CheckAlarms')).toEqual(Array(5).fill({ state: 'CheckAlarms', error: 'CloudWatch.CloudWatchException' }));
    expect(run.states).not.toContain('StepFailed');
    expect(weightsFor(world, 'green')).toEqual(HAPPY_WEIGHTS);
    expectNoViolation(world);
  });

  test('an error that is no throttling (a Route 53 InvalidChangeBatch) is not retried: StepFailed at once', async () => {
    const world = new World(plain);
    world.beforeCall = async (call) => {
      if (call.state === 'SetWeights' && world.weightChanges.length === 1) world.fail('route53:changeResourceRecordSets', 1, 'Route53.InvalidChangeBatchException');
    };
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.stepFailed]);
    expect(run.retries.filter((r) => r.state === 'SetWeights')).toEqual([]);
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [0, 100]]);
    expectNoViolation(world);
  });
});

describe('the approval request\'s Subject', () => {
  test('stays within SNS\'s 100 characters for a long construct path, and the rollout is approved', async () => {
    const long = ['Platform', 'PaymentsTeamWithAVeryLongAndDescriptiveName', 'CheckoutAndSettlementServicesOfTheEuropeanRegion', 'Deployment'];
    const synth = synthesizeCanary({ approval: true, nestedIn: long });
    expect(synth.canary.node.path.length).toBeGreaterThan(100);
    const world = new World(synth);
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    const subject: string = world.approvals[0].Subject;
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^Canary rollout of \.\.\..*\/Deployment\/Canary waits for approval$/);
    // Deterministic: the same path gives the same subject.
    expect(synth.definition.States.RequestApproval.Parameters.Subject).toBe(subject);
    expectNoViolation(world);
  });

  test('a short path is shown whole', () => {
    expect(approval.definition.States.RequestApproval.Parameters.Subject).toBe('Canary rollout of Test/Canary waits for approval');
  });
});

describe('metrics of a rollout (CloudWatch PutMetricData)', () => {
  const PUBLISH = 'cloudwatch:putMetricData';
  /** Each PutMetricData call as [state, weight of the new slot, weight of the other, step]. */
  const published = (world: World, to: 'blue' | 'green') => world.metricCalls.map((points) => {
    const weight = (slot: string) => points.find((p) => p.metricName === 'Weight' && p.dimensions.Slot === slot)?.value;
    return [points[0].state, weight(to), weight(to === 'green' ? 'blue' : 'green'), points.find((p) => p.metricName === 'Step')?.value];
  });

  test('a rollout to green publishes each step\'s weights and number after its weight change, in order, then the promotion', async () => {
    const world = new World(plain);
    const run = await runRollout(world, rolloutInput('r1'));
    expect(run.status).toBe('SUCCEEDED');
    expect(published(world, 'green')).toEqual([
      ['PublishStepMetrics', 10, 90, 1],
      ['PublishStepMetrics', 25, 75, 2],
      ['PublishStepMetrics', 50, 50, 3],
      ['PublishStepMetrics', 100, 0, 4],
      ['PublishPromotionMetrics', 100, 0, 4],
    ]);
    // Each publish comes right after the weight change it reports (before the DNS wait), and the
    // promotion's after the new slot is recorded live.
    for (const [i, st] of run.states.entries()) if (st === 'SetWeights') expect(run.states.slice(i - 1, i + 2)).toEqual(['RecordStepWeights', 'SetWeights', 'PublishStepMetrics']);
    expect(run.states.slice(-4)).toEqual(['Promote', 'PublishPromotionMetrics', 'EmitSucceeded', 'Promoted']);
    // One namespace, the units of the model's StandardUnit, and exactly the dimensions the
    // construct's metric methods read.
    const canary = plain.canary;
    for (const point of world.metricCalls.flat()) {
      const metric = point.metricName === 'Weight' ? canary.metricWeight(point.dimensions.Slot) : canary.metricStep();
      expect([point.namespace, point.dimensions, point.unit]).toEqual([metric.namespace, metric.dimensions, point.metricName === 'Weight' ? 'Percent' : 'None']);
    }
    expect(world.metricCalls.every((points) => points.length === 3)).toBe(true);
    expect(canary.metricStep().dimensions).toEqual({ Canary: 'Test/Canary' });
    expectNoViolation(world);
  });

  test('the next rollout (to blue) publishes under the slots\' own names', async () => {
    const world = new World(plain);
    expect((await runRollout(world, rolloutInput('r1'))).status).toBe('SUCCEEDED');
    world.metricCalls.length = 0;
    expect((await runRollout(world, rolloutInput('r2', `${NEW_IMAGE}-3`))).status).toBe('SUCCEEDED');
    expect(published(world, 'blue')).toEqual([
      ['PublishStepMetrics', 10, 90, 1], ['PublishStepMetrics', 25, 75, 2], ['PublishStepMetrics', 50, 50, 3],
      ['PublishStepMetrics', 100, 0, 4], ['PublishPromotionMetrics', 100, 0, 4],
    ]);
    expectNoViolation(world);
  });

  test('a rollback publishes the new slot 0, the live slot 100 and step 0, after the weights are restored', async () => {
    const world = new World(plain);
    world.alarmTrigger = alarmWhen('green', 25, 2, plain.green.compositeAlarm);
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.rolledBack]);
    expect(published(world, 'green')).toEqual([
      ['PublishStepMetrics', 10, 90, 1],
      ['PublishStepMetrics', 25, 75, 2],
      ['PublishRollbackMetrics', 0, 100, 0],
    ]);
    const restore = run.states.indexOf('RestoreWeights');
    expect(run.states.slice(restore, restore + 4)).toEqual(['RestoreWeights', 'RecordRestoredWeights', 'PublishRollbackMetrics', 'RecordOutcome']);
    expectNoViolation(world);
  });

  /** What a run did, but its metrics. */
  const outcomeOf = (world: World, run: Run) => ({
    status: run.status,
    error: run.error,
    weights: world.weightChanges,
    rollout: { ...world.item('rollout#r1'), startedAt: undefined },
    service: world.item('service'),
    events: world.events,
    states: run.states.filter((s) => !s.startsWith('Publish')),
  });

  test.each([
    ['a rollout that succeeds', false, 5],
    ['a rollback (alarm at the 50% step)', true, 4],
  ] as [string, boolean, number][])('%s: a PutMetricData throttled, then refused, changes nothing of the outcome', async (_name, rollback, publishes) => {
    const alarm = rollback ? alarmWhen('green', 50, 1, plain.green.compositeAlarm) : undefined;
    const baselineWorld = new World(plain);
    baselineWorld.alarmTrigger = alarm;
    // The same execution name in both worlds, so that the records and events can be compared whole.
    const baseline = await runRollout(baselineWorld, rolloutInput('r1'), { name: `metrics-${rollback}` });
    expect(baselineWorld.metricCalls).toHaveLength(publishes);

    const world = new World(plain);
    world.alarmTrigger = alarm;
    for (let i = 0; i < publishes; i++) {
      world.fail(PUBLISH, 1);
      world.fail(PUBLISH, 1, 'CloudWatch.InvalidParameterValueException');
    }
    const run = await runRollout(world, rolloutInput('r1'), { name: `metrics-${rollback}` });

    expect(outcomeOf(world, run)).toEqual(outcomeOf(baselineWorld, baseline));
    expect(world.metricCalls).toEqual([]);
    const publishStates = (r: Run) => r.states.filter((s) => s.startsWith('Publish'));
    expect(publishStates(run)).toEqual(publishStates(baseline));
    // Each publish: the throttling retried once, the refusal caught and the rollout on to the same next state.
    expect(run.retries.filter((r) => r.state.startsWith('Publish'))).toEqual(publishStates(run).map((state) => ({ state, error: THROTTLING[PUBLISH] })));
    const next = (state: string) => statesOf(plain.definition)[state].Next;
    expect(run.caught).toEqual(publishStates(run).map((state) => ({ state, error: 'CloudWatch.InvalidParameterValueException', next: next(state) })));
    expect(world.failures.get(PUBLISH)).toEqual([]);
    expectNoViolation(world);
  });

  test('retries end: a PutMetricData throttled every time is given up after 3 retries, and the rollout goes on', async () => {
    const world = new World(plain);
    world.fail(PUBLISH, 4 * 5);
    const run = await runRollout(world, rolloutInput('r1'));
    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    expect(weightsFor(world, 'green')).toEqual(HAPPY_WEIGHTS);
    expect(run.caught.map((c) => [c.state, c.error])).toEqual([
      ...Array(4).fill(['PublishStepMetrics', THROTTLING[PUBLISH]]), ['PublishPromotionMetrics', THROTTLING[PUBLISH]],
    ]);
    expect(world.metricCalls).toEqual([]);
    expectLockReleased(world);
    expectNoViolation(world);
  });
});
