/**
 * What a rollout records of what is live (rollout-live-state.ts), executed locally against the
 * simulated world (rollout-harness.ts): the idle slot's image after its deployment, both slots'
 * weights after every change (what a deployment puts back, live-state.ts), an operator's abort
 * (`abortRequested`, read at every health, DNS and bake poll), a release refused when its image is
 * not of `imageRepository`, and whose lock a rollout took over, in its outcome event.
 */
import { applyUpdate, evaluateCondition, ExpressionScope } from './harness/dynamodb-expressions';
import { Call, Json, NEW_IMAGE, clone, Run, Synthesized, THROTTLING, World, alarmWhen, rolloutInput, runRollout, statesOf, synthesizeCanary, weightsFor } from './rollout-harness';
import { FAILURE_CAUSES, ROLLOUT_ERRORS } from '../../src/deployment/rollout-integrations';

const HAPPY_WEIGHTS: [number, number][] = [[10, 90], [25, 75], [50, 50], [100, 0]];
/** The repository of NEW_IMAGE (and of the harness's `imageRepository`). */
const REPOSITORY_URI = '111111111111.dkr.ecr.us-east-1.amazonaws.com/users';
const V3 = `${REPOSITORY_URI}:v3`;
const V4 = `${REPOSITORY_URI}:v4`;
/** An error no integration retries. */
const NOT_RETRIED = 'DynamoDB.ResourceNotFoundException';

let plain: Synthesized;
let withRepository: Synthesized;

beforeAll(() => {
  plain = synthesizeCanary();
  withRepository = synthesizeCanary({ imageRepository: true });
});

/** The world after a run: no call the real APIs would have refused. */
function expectNoViolation(world: World): void {
  expect(world.violations).toEqual([]);
}

/** The lock is free, and no abort is pending. */
function expectLockReleased(world: World): void {
  const service = world.item('service');
  expect(service).toBeDefined();
  for (const attribute of ['lockedBy', 'lockedByExecution', 'lockedAt', 'abortRequested']) expect([attribute, service[attribute]]).toEqual([attribute, undefined]);
}

/** The weights the service item records, per slot. */
function recordedWeights(world: World): { blue?: number; green?: number } {
  const service = world.item('service') ?? {};
  return { blue: service.blueWeight, green: service.greenWeight };
}

/** The image the app container of a slot's current task definition runs (what ECS runs). */
function runningImage(world: World, slot: 'blue' | 'green'): string {
  return world.described(world.service(slot).taskDefinition).ContainerDefinitions[world.synth.appContainerIndex].Image;
}

/** Each slot's image and weight as recorded, then as the world has them (records, ECS services). */
function liveState(world: World): { recorded: Json; actual: Json } {
  const service = world.item('service');
  return {
    recorded: { blueImage: service.blueImage, greenImage: service.greenImage, blueWeight: service.blueWeight, greenWeight: service.greenWeight },
    actual: { blueImage: runningImage(world, 'blue'), greenImage: runningImage(world, 'green'), blueWeight: world.weights.blue, greenWeight: world.weights.green },
  };
}

/**
 * Watches a run: `before` (if any) runs before every call; and at the call that follows each
 * successful record of the weights, the recorded weights and the records' are noted.
 */
function watchRecords(world: World, before?: (call: Call) => void): { state: string; recorded: Json; records: Json }[] {
  const seen: { state: string; recorded: Json; records: Json }[] = [];
  world.beforeCall = async (call) => {
    // A step's weights are recorded just before SetWeights sets them; the rollback's just after
    // RestoreWeights: both are compared once both calls are done.
    const previous = world.calls[world.calls.length - 2];
    const earlier = world.calls[world.calls.length - 3];
    const stepDone = previous?.state === 'SetWeights' && previous.error === undefined && earlier?.state === 'RecordStepWeights' && earlier.error === undefined;
    const rollbackDone = previous?.state === 'RecordRestoredWeights' && previous.error === undefined;
    if (stepDone || rollbackDone) {
      seen.push({ state: stepDone ? 'RecordStepWeights' : 'RecordRestoredWeights', recorded: recordedWeights(world), records: world.weights });
    }
    before?.(call);
  };
  return seen;
}

/** Whose lock it is now: another execution took it over (the rest of the service item kept). */
function lockTakenBy(world: World, executionArn: string, rolloutId: string): void {
  const service = world.items.get('service')!;
  world.items.set('service', { ...service, lockedBy: { S: rolloutId }, lockedByExecution: { S: executionArn }, lockedAt: { S: '2026-01-01T00:30:00.000Z' } });
}

/** The service item as a holder left it: rollout `rolloutId` of the execution `execution`. */
function lockLeftBy(world: World, execution: string, rolloutId = 'r0'): void {
  world.items.set('service', {
    pk: { S: 'service' },
    liveSlot: { S: 'blue' },
    lockedBy: { S: rolloutId },
    lockedByExecution: { S: execution },
    lockedAt: { S: '2025-12-31T23:00:00.000Z' },
  });
}

/**
 * What `npx cdk-microservices rollout abort` writes (cli/commands.ts): `SET abortRequested = :id`
 * on the service item, conditioned on the lock still being the holder's it read. Throws if the
 * condition fails (nobody, or another execution, holds the lock).
 */
function requestAbort(world: World): void {
  const service = world.items.get('service')!;
  const scope: ExpressionScope = {
    names: {},
    values: { ':id': service.lockedBy, ':exec': service.lockedByExecution },
    fail: (message: string) => {
      throw new Error(message);
    },
  };
  if (!service.lockedBy || !evaluateCondition('lockedBy = :id AND lockedByExecution = :exec', service, scope)) throw new Error('the lock is not held');
  world.items.set('service', applyUpdate('SET abortRequested = :id', clone(service), scope));
}

/** The states a run entered after the first `state` entered from index `from` on. */
function after(run: Run, state: string, from = 0): string[] {
  return run.states.slice(run.states.indexOf(state, from) + 1);
}

/** The states of the end of a rollback, from RestoreWeights to its named failure. */
const ROLLBACK_END = ['RestoreWeights', 'RecordRestoredWeights', 'PublishRollbackMetrics', 'RecordOutcome', 'ReleaseLock', 'EmitOutcome', 'FailWith'];

describe('the service item records each slot\'s image and weights', () => {
  test('after a rollout to green: greenImage the release, greenWeight 100, blueWeight 0; after every step the recorded weights are the records\'', async () => {
    const world = new World(plain);
    const images: Json[] = [];
    const seen = watchRecords(world, (call) => {
      // The image is recorded once the slot's service runs it (after DeployIdleSlot), before any health poll.
      if (call.state === 'DescribeIdleSlot' && images.length === 0) images.push({ recorded: world.item('service').greenImage, running: runningImage(world, 'green') });
    });
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    expect(after(run, 'DeployIdleSlot').slice(0, 3)).toEqual(['RecordIdleImage', 'StartHealthWait', 'WaitForIdleSlot']);
    expect(images).toEqual([{ recorded: NEW_IMAGE, running: NEW_IMAGE }]);
    expect(seen.map((s) => s.state)).toEqual(Array(4).fill('RecordStepWeights'));
    expect(seen.map((s) => [s.recorded.green, s.recorded.blue])).toEqual(HAPPY_WEIGHTS);
    for (const s of seen) expect(s.recorded).toEqual(s.records);
    // The last step's weights are what is live: the template's image stays recorded nowhere for blue.
    expect(world.item('service')).toMatchObject({ liveSlot: 'green', greenImage: NEW_IMAGE, greenWeight: 100, blueWeight: 0 });
    expect(world.item('service').blueImage).toBeUndefined();
    expect(liveState(world).recorded).toEqual({ ...liveState(world).actual, blueImage: undefined });
    // Each record is conditioned on the lock of this rollout and execution.
    const records = world.calls.filter((c) => ['RecordIdleImage', 'RecordStepWeights'].includes(c.state));
    expect(records).toHaveLength(5);
    for (const call of records) {
      expect(call.params.ConditionExpression).toBe('lockedBy = :id AND lockedByExecution = :exec');
      expect(call.params.ExpressionAttributeValues).toMatchObject({ ':id': { S: 'r1' }, ':exec': { S: `arn:aws:states:us-east-1:111111111111:execution:Rollout:${run.name}` } });
    }
    // The promotion records why the rollout ended, as every other outcome does.
    expect(world.item('rollout#r1')).toMatchObject({ status: 'SUCCEEDED', reason: 'PROMOTED' });
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('rollouts to green, then blue, then green rolled back: each slot records the image it runs, the weights the records have', async () => {
    const world = new World(plain);
    expect((await runRollout(world, rolloutInput('r1'))).status).toBe('SUCCEEDED');

    // The next rollout goes to blue: blueImage recorded, greenImage kept.
    const seen = watchRecords(world);
    expect((await runRollout(world, rolloutInput('r2', V3))).status).toBe('SUCCEEDED');
    expect(weightsFor(world, 'blue').slice(4)).toEqual(HAPPY_WEIGHTS);
    expect(seen.map((s) => [s.recorded.blue, s.recorded.green])).toEqual(HAPPY_WEIGHTS);
    expect(world.item('service')).toMatchObject({ liveSlot: 'blue', blueImage: V3, greenImage: NEW_IMAGE, blueWeight: 100, greenWeight: 0 });
    expect(liveState(world).recorded).toEqual(liveState(world).actual);

    // A rollout to green rolled back at 25%: green keeps (runs) the failed release, with no traffic.
    seen.length = 0;
    world.alarmTrigger = alarmWhen('green', 25, 3, plain.green.compositeAlarm);
    const run = await runRollout(world, rolloutInput('r3', V4));
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.rolledBack]);
    expect(weightsFor(world, 'green').slice(8)).toEqual([[10, 90], [25, 75], [0, 100]]);
    expect(seen).toEqual([
      { state: 'RecordStepWeights', recorded: { green: 10, blue: 90 }, records: { green: 10, blue: 90 } },
      { state: 'RecordStepWeights', recorded: { green: 25, blue: 75 }, records: { green: 25, blue: 75 } },
      { state: 'RecordRestoredWeights', recorded: { green: 0, blue: 100 }, records: { green: 0, blue: 100 } },
    ]);
    expect(world.item('service')).toMatchObject({ liveSlot: 'blue', blueImage: V3, greenImage: V4, blueWeight: 100, greenWeight: 0 });
    expect(liveState(world).recorded).toEqual(liveState(world).actual);
    expectLockReleased(world);
    expectNoViolation(world);
  });
});

describe('a record that fails', () => {
  test.each([
    ['throttled beyond its retries', THROTTLING['dynamodb:updateItem'], 7, 6],
    ['an error not retried', NOT_RETRIED, 1, 0],
  ])('RecordStepWeights %s: the step fails and rolls back (StepFailed), weights and their record back to 0/100', async (_name, error, count, retries) => {
    const world = new World(plain);
    let armed = false;
    watchRecords(world, (call) => {
      // The 25% step's record, made before its weights are set (the records are still at 10/90).
      if (call.state === 'RecordStepWeights' && world.weights.green === 10 && !armed) {
        armed = true;
        world.fail('dynamodb:updateItem', count, error);
      }
    });
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.stepFailed]);
    expect(run.retries.filter((r) => r.state === 'RecordStepWeights')).toEqual(Array(retries).fill({ state: 'RecordStepWeights', error }));
    expect(run.caught).toEqual([{ state: 'RecordStepWeights', error, next: 'StepFailed' }]);
    expect(world.failures.get('dynamodb:updateItem')).toEqual([]);
    expect(after(run, 'StepFailed')).toEqual([...ROLLBACK_END, 'FailStepFailed']);
    // The 25% weights were never set: their record failed first.
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [0, 100]]);
    expect(recordedWeights(world)).toEqual({ green: 0, blue: 100 });
    expect(world.item('rollout#r1')).toMatchObject({ status: 'ROLLED_BACK', reason: 'STEP_FAILED', failedAtPercent: 25 });
    expect(world.item('service')).toMatchObject({ liveSlot: 'blue', greenImage: NEW_IMAGE, lastStatus: 'ROLLED_BACK' });
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('RecordIdleImage throttled beyond its retries: the release fails before any traffic (ReleaseFailed), nothing recorded live', async () => {
    const world = new World(plain);
    world.beforeCall = async (call) => {
      if (call.state !== 'RecordIdleImage') return;
      world.beforeCall = undefined;
      world.fail('dynamodb:updateItem', 7);
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.releaseFailed]);
    expect(run.caught).toEqual([{ state: 'RecordIdleImage', error: THROTTLING['dynamodb:updateItem'], next: 'ReleaseFailed' }]);
    expect(run.states).not.toContain('StartHealthWait');
    expect(world.weightChanges).toEqual([]);
    const service = world.item('service');
    for (const attribute of ['blueImage', 'greenImage', 'blueWeight', 'greenWeight']) expect([attribute, service[attribute]]).toEqual([attribute, undefined]);
    expect(world.item('rollout#r1')).toMatchObject({ status: 'FAILED', reason: 'RELEASE_FAILED', failedAtPercent: 0 });
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('RecordRestoredWeights failing: the rollback still ends RolledBack (ROLLED_BACK), lock released, event emitted, $.liveStateError kept', async () => {
    const world = new World(plain);
    world.alarmTrigger = alarmWhen('green', 25, 1, plain.green.compositeAlarm);
    world.beforeCall = async (call) => {
      if (call.state !== 'RecordRestoredWeights') return;
      world.beforeCall = undefined;
      world.fail('dynamodb:updateItem', 7);
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error, run.cause]).toEqual(['FAILED', ROLLOUT_ERRORS.rolledBack, FAILURE_CAUSES[ROLLOUT_ERRORS.rolledBack]]);
    const error = THROTTLING['dynamodb:updateItem'];
    expect(run.caught).toEqual([{ state: 'RecordRestoredWeights', error, next: 'PublishRollbackMetrics' }]);
    expect(after(run, 'RestoreWeights')).toEqual([...ROLLBACK_END.slice(1), 'FailRolledBack']);
    const entered = run.events.find((e) => e.type === 'StateEntered' && e.state.name === 'PublishRollbackMetrics');
    expect(entered.state.input.liveStateError).toMatchObject({ Error: error });
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [25, 75], [0, 100]]);
    // The record keeps the last step's weights (25/75) while the records are back at 0/100: a
    // deployment would put them back (best effort by design; see the report).
    expect(recordedWeights(world)).toEqual({ green: 25, blue: 75 });
    expect(world.item('rollout#r1')).toMatchObject({ status: 'ROLLED_BACK', reason: 'ALARM', failedAtPercent: 25 });
    expect(world.item('service')).toMatchObject({ liveSlot: 'blue', lastRollout: 'r1', lastStatus: 'ROLLED_BACK' });
    expect(world.events).toEqual([expect.objectContaining({ DetailType: 'Canary Rollout ROLLED_BACK', Detail: expect.objectContaining({ reason: 'ALARM' }) })]);
    expectLockReleased(world);
    expectNoViolation(world);
  });
});

describe('a lock taken over while the execution runs (LockTakenOver)', () => {
  test.each(['r2', 'r1'])('before RecordIdleImage, by rollout %s: the execution stops there, touching nothing more', async (newRollout) => {
    const world = new World(plain);
    const newHolder = world.addExecution(`new-holder-${newRollout}`, 'RUNNING');
    let writes = -1;
    world.beforeCall = async (call) => {
      if (call.state !== 'RecordIdleImage') return;
      world.beforeCall = undefined;
      lockTakenBy(world, newHolder.executionArn, newRollout);
      writes = world.writes;
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.lockTakenOver]);
    expect(run.cause).toBe('The lock of Test/Canary was taken over by another rollout while this execution ran: it stopped without changing anything more.');
    expect(run.states.slice(-3)).toEqual(['DeployIdleSlot', 'RecordIdleImage', 'LockTakenOver']);
    expect(run.caught).toEqual([{ state: 'RecordIdleImage', error: 'DynamoDB.ConditionalCheckFailedException', next: 'LockTakenOver' }]);
    expect(world.writes).toBe(writes);
    expect(world.weightChanges).toEqual([]);
    expect(world.events).toEqual([]);
    expect(world.item('service')).toMatchObject({ lockedBy: newRollout, lockedByExecution: newHolder.executionArn, liveSlot: 'blue' });
    expect(world.item('service').greenImage).toBeUndefined();
    expect(world.item('rollout#r1').status).toBe('IN_PROGRESS');
    expectNoViolation(world);
  });

  test('before RecordRestoredWeights: LockTakenOver (not the best-effort path), no outcome recorded, the lock left to the new holder', async () => {
    const world = new World(plain);
    world.alarmTrigger = alarmWhen('green', 10, 0, plain.green.compositeAlarm);
    const newHolder = world.addExecution('new-holder', 'RUNNING');
    world.beforeCall = async (call) => {
      if (call.state !== 'RecordRestoredWeights') return;
      world.beforeCall = undefined;
      lockTakenBy(world, newHolder.executionArn, 'r2');
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.lockTakenOver]);
    expect(run.states.slice(-3)).toEqual(['RestoreWeights', 'RecordRestoredWeights', 'LockTakenOver']);
    expect(run.states).not.toContain('RecordOutcome');
    expect(world.item('service')).toMatchObject({ lockedBy: 'r2', lockedByExecution: newHolder.executionArn, greenWeight: 10, blueWeight: 90 });
    expect(world.events).toEqual([]);
    expectNoViolation(world);
  });
});

describe('an operator\'s abort (abortRequested)', () => {
  test('while baking (3rd poll of the 25% step): Aborted at that poll, ROLLED_BACK/ABORTED, weights and their record 0/100, lock and request removed, event', async () => {
    const world = new World(plain);
    let polls = 0;
    let requestedAt = -1;
    const seen = watchRecords(world, (call) => {
      if (call.state !== 'AbortWhileBaking' || world.weights.green !== 25) return;
      polls += 1;
      if (polls !== 3) return;
      requestAbort(world);
      requestedAt = world.calls.length - 1;
    });
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error, run.cause]).toEqual(['FAILED', ROLLOUT_ERRORS.aborted, FAILURE_CAUSES[ROLLOUT_ERRORS.aborted]]);
    // Seen by the poll that read it: no alarm check, no Wait after it.
    expect(polls).toBe(3);
    expect(world.calls.slice(requestedAt).map((c) => c.state)).toEqual([
      'AbortWhileBaking', 'RestoreWeights', 'RecordRestoredWeights', 'PublishRollbackMetrics', 'RecordOutcome', 'ReleaseLock', 'EmitOutcome',
    ]);
    expect(after(run, 'AbortRequested')).toEqual([...ROLLBACK_END, 'FailAborted']);
    expect(run.states[run.states.indexOf('AbortRequested') - 1]).toBe('AbortWhileBakingChoice');
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [25, 75], [0, 100]]);
    expect(seen[seen.length - 1]).toEqual({ state: 'RecordRestoredWeights', recorded: { green: 0, blue: 100 }, records: { green: 0, blue: 100 } });
    expect(world.item('rollout#r1')).toMatchObject({ status: 'ROLLED_BACK', reason: 'ABORTED', failedAtPercent: 25 });
    expect(world.item('service')).toMatchObject({ liveSlot: 'blue', greenImage: NEW_IMAGE, greenWeight: 0, blueWeight: 100, lastStatus: 'ROLLED_BACK' });
    expectLockReleased(world);
    expect(world.events).toEqual([expect.objectContaining({
      DetailType: 'Canary Rollout ROLLED_BACK',
      Detail: expect.objectContaining({ rolloutId: 'r1', status: 'ROLLED_BACK', reason: 'ABORTED', percent: '25', liveSlot: 'blue' }),
    })]);
    expectNoViolation(world);
  });

  test('while the idle slot deploys (2nd health poll): Aborted before any traffic (FAILED, ABORTED), no weight touched', async () => {
    const world = new World(plain);
    let polls = 0;
    world.beforeCall = async (call) => {
      if (call.state === 'AbortWhileDeploying' && ++polls === 2) requestAbort(world);
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.aborted]);
    expect(after(run, 'AbortWhileDeployingChoice', run.states.lastIndexOf('AbortWhileDeploying')))
      .toEqual(['AbortedBeforeTraffic', 'RecordOutcome', 'ReleaseLock', 'EmitOutcome', 'FailWith', 'FailAborted']);
    expect(world.calls.filter((c) => c.state === 'DescribeIdleSlot')).toHaveLength(1);
    expect(run.states).not.toContain('SetWeights');
    expect(run.states).not.toContain('RestoreWeights');
    expect(world.weightChanges).toEqual([]);
    expect(world.item('service')).toMatchObject({ liveSlot: 'blue', greenImage: NEW_IMAGE });
    expect(world.item('service').greenWeight).toBeUndefined();
    expect(world.item('rollout#r1')).toMatchObject({ status: 'FAILED', reason: 'ABORTED', failedAtPercent: 0 });
    expect(world.events).toEqual([expect.objectContaining({ Detail: expect.objectContaining({ status: 'FAILED', reason: 'ABORTED', percent: '0' }) })]);
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('while Route 53 syncs the 10% step (2nd DNS poll): Aborted without baking', async () => {
    const world = new World(plain);
    world.dnsPendingPolls = 3;
    let polls = 0;
    world.beforeCall = async (call) => {
      if (call.state === 'AbortWhileDnsSyncs' && ++polls === 2) requestAbort(world);
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.aborted]);
    expect(polls).toBe(2);
    expect(after(run, 'AbortWhileDnsSyncsChoice', run.states.lastIndexOf('AbortWhileDnsSyncs'))).toEqual(['AbortRequested', ...ROLLBACK_END, 'FailAborted']);
    expect(world.calls.filter((c) => c.state === 'CheckDns')).toHaveLength(1);
    expect(run.states).not.toContain('Bake');
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [0, 100]]);
    expect(recordedWeights(world)).toEqual({ green: 0, blue: 100 });
    expect(world.item('rollout#r1')).toMatchObject({ status: 'ROLLED_BACK', reason: 'ABORTED', failedAtPercent: 10 });
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('an abortRequested naming another rollout id is ignored: the rollout succeeds, and the request goes with the lock', async () => {
    const world = new World(plain);
    let set = false;
    world.beforeCall = async (call) => {
      if (call.state !== 'AbortWhileBaking' || set) return;
      set = true;
      world.items.get('service')!.abortRequested = { S: 'r0' };
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    expect(set).toBe(true);
    expect(run.states).not.toContain('AbortRequested');
    expect(weightsFor(world, 'green')).toEqual(HAPPY_WEIGHTS);
    expect(world.item('service')).toMatchObject({ liveSlot: 'green', greenWeight: 100, blueWeight: 0 });
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('an abort check throttled beyond its retries is no reason to stop: without a request the rollout succeeds', async () => {
    const world = new World(plain);
    world.beforeCall = async (call) => {
      if (call.state !== 'AbortWhileBaking') return;
      world.beforeCall = undefined;
      world.fail('dynamodb:getItem', 7);
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    const error = THROTTLING['dynamodb:getItem'];
    expect(run.retries).toEqual(Array(6).fill({ state: 'AbortWhileBaking', error }));
    expect(run.caught).toEqual([{ state: 'AbortWhileBaking', error, next: 'CheckAlarms' }]);
    expect(weightsFor(world, 'green')).toEqual(HAPPY_WEIGHTS);
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('a request the throttled check could not read is read by the next poll', async () => {
    const world = new World(plain);
    let requestedAt = -1;
    world.beforeCall = async (call) => {
      if (call.state !== 'AbortWhileBaking' || world.weights.green !== 25) return;
      world.beforeCall = undefined;
      requestAbort(world);
      world.fail('dynamodb:getItem', 7);
      requestedAt = world.calls.length - 1;
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.aborted]);
    expect(world.calls.slice(requestedAt).map((c) => [c.state, c.error]).slice(0, 10)).toEqual([
      ...Array(7).fill(['AbortWhileBaking', THROTTLING['dynamodb:getItem']]), ['CheckAlarms', undefined], ['AbortWhileBaking', undefined], ['RestoreWeights', undefined],
    ]);
    expect(world.item('rollout#r1')).toMatchObject({ status: 'ROLLED_BACK', reason: 'ABORTED', failedAtPercent: 25 });
    expectLockReleased(world);
    expectNoViolation(world);
  });
});

describe('an operator\'s abort that no poll saw', () => {
  test('requested while the approval waited, then the approval answered: stopped before the last step\'s weights (AbortBeforeStep)', async () => {
    const approval = synthesizeCanary({ approval: true });
    const world = new World(approval);
    world.beforeCall = async (call) => {
      if (call.state === 'RequestApproval') requestAbort(world);
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.aborted]);
    expect(after(run, 'CheckAlarmsAfterApproval').slice(0, 4)).toEqual(['AlarmFiringAfterApproval', 'AbortBeforeStep', 'AbortBeforeStepChoice', 'AbortRequested']);
    // The last step (100%) never got its weights: the new slot went from 50% back to 0.
    expect(weightsFor(world, 'green')).toEqual([[10, 90], [25, 75], [50, 50], [0, 100]]);
    expect(world.item('rollout#r1')).toMatchObject({ status: 'ROLLED_BACK', reason: 'ABORTED' });
    expectLockReleased(world);
    expectNoViolation(world);
  });

  test('a request left by a holder whose lock is taken over goes with its lock', async () => {
    const world = new World(plain);
    const holder = world.addExecution('stopped-holder', 'ABORTED');
    lockLeftBy(world, holder.executionArn);
    world.items.set('service', { ...world.items.get('service')!, abortRequested: { S: 'r0' } });
    let seen: unknown = 'not read';
    world.beforeCall = async (call) => {
      if (call.state === 'RecordRollout' || call.state === 'RecordTakeover') seen = world.item('service').abortRequested;
    };
    const run = await runRollout(world, rolloutInput('r1'));

    expect(run.status).toBe('SUCCEEDED');
    expect(seen).toBeUndefined();
    expect(world.item('rollout#r1').tookOverFrom).toMatchObject({ rolloutId: 'r0', status: 'ABORTED' });
    expectNoViolation(world);
  });
});

describe('imageRepository: releases of that repository only', () => {
  const cause = `The image is not one of the repository the slots of Test/Canary release from: give ${REPOSITORY_URI}:<tag> or ${REPOSITORY_URI}@sha256:<digest>.`;

  test('the definition checks the repository\'s URI, right after the input and before the lock', () => {
    const states = statesOf(withRepository.definition);
    expect(states.CheckImageRepository.Choices.map((c: Json) => [c.StringMatches, c.Next])).toEqual([
      [`${REPOSITORY_URI}:*`, 'TakeLock'], [`${REPOSITORY_URI}@sha256:*`, 'TakeLock'],
    ]);
    expect([states.UseGivenRolloutId.Next, states.UseExecutionName.Next]).toEqual(['CheckImageRepository', 'CheckImageRepository']);
    expect(statesOf(plain.definition).CheckImageRepository).toBeUndefined();
  });

  test.each([
    ['by tag', `${REPOSITORY_URI}:v7`],
    ['by digest', `${REPOSITORY_URI}@sha256:${'0123456789abcdef'.repeat(4)}`],
  ])('an image of the repository %s rolls out', async (_name, image) => {
    const world = new World(withRepository);
    const run = await runRollout(world, rolloutInput('r1', image));
    expect([run.status, run.error]).toEqual(['SUCCEEDED', undefined]);
    expect(run.states.slice(0, 4)).toEqual(['CheckInput', 'UseGivenRolloutId', 'CheckImageRepository', 'TakeLock']);
    expect(world.item('service')).toMatchObject({ liveSlot: 'green', greenImage: image, liveImage: image });
    expect(runningImage(world, 'green')).toBe(image);
    expectNoViolation(world);
  });

  test.each([
    ['another repository', '111111111111.dkr.ecr.us-east-1.amazonaws.com/orders:v2'],
    ['a look-alike prefix', `${REPOSITORY_URI}-evil:v2`],
    ['a repository under its name', `${REPOSITORY_URI}/nested:v2`],
    ['the same name in another account', '222222222222.dkr.ecr.us-east-1.amazonaws.com/users:v2'],
    ['the URI inside another registry\'s path', `registry.example.com/${REPOSITORY_URI}:v2`],
    ['a public image', 'public.ecr.aws/docker/library/nginx:latest'],
  ])('%s: refused with InvalidInput at CheckImageRepository, naming the repository; nothing written, no lock', async (_name, image) => {
    const world = new World(withRepository);
    const run = await runRollout(world, rolloutInput('r1', image));
    expect([run.status, run.error, run.cause]).toEqual(['FAILED', ROLLOUT_ERRORS.invalidInput, cause]);
    expect(run.states).toEqual(['CheckInput', 'UseGivenRolloutId', 'CheckImageRepository', 'ImageNotInRepository']);
    expect(world.calls).toEqual([]);
    expect(world.writes).toBe(0);
    expect(world.items.size).toBe(0);
    expectNoViolation(world);
  });

  test('without a rolloutId too (the execution name is the id)', async () => {
    const world = new World(withRepository);
    const run = await runRollout(world, { image: `${REPOSITORY_URI}-evil:v2` });
    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.invalidInput]);
    expect(run.states).toEqual(['CheckInput', 'UseExecutionName', 'CheckImageRepository', 'ImageNotInRepository']);
    expect(world.writes).toBe(0);
    expectNoViolation(world);
  });
});

describe('tookOverFrom in the outcome event', () => {
  test('a takeover of a FAILED holder\'s lock: the Succeeded event names the holder', async () => {
    const world = new World(plain);
    const holder = world.addExecution('failed-holder', 'FAILED');
    lockLeftBy(world, holder.executionArn);
    const run = await runRollout(world, rolloutInput('r1'));

    expect(run.status).toBe('SUCCEEDED');
    expect(world.events).toHaveLength(1);
    expect(world.events[0].Detail).toMatchObject({ status: 'SUCCEEDED', tookOverFrom: { rolloutId: 'r0', execution: holder.executionArn, status: 'FAILED' } });
    expect(world.events[0].Detail.tookOverFrom).toEqual(world.item('rollout#r1').tookOverFrom);
    expectNoViolation(world);
  });

  test('a takeover then a rollback: the ROLLED_BACK event names the holder too', async () => {
    const world = new World(plain);
    const holder = world.addExecution('failed-holder', 'FAILED');
    lockLeftBy(world, holder.executionArn);
    world.alarmTrigger = alarmWhen('green', 10, 0, plain.green.compositeAlarm);
    const run = await runRollout(world, rolloutInput('r1'));

    expect([run.status, run.error]).toEqual(['FAILED', ROLLOUT_ERRORS.rolledBack]);
    expect(world.events).toEqual([expect.objectContaining({
      DetailType: 'Canary Rollout ROLLED_BACK',
      Detail: expect.objectContaining({ tookOverFrom: { rolloutId: 'r0', execution: holder.executionArn, status: 'FAILED' } }),
    })]);
    expectNoViolation(world);
  });

  test('no takeover: tookOverFrom is {} (Succeeded and FAILED events alike)', async () => {
    const world = new World(plain);
    expect((await runRollout(world, rolloutInput('r1'))).status).toBe('SUCCEEDED');
    world.deploymentOutcome = 'FAILED';
    expect((await runRollout(world, rolloutInput('r2', V3))).error).toBe(ROLLOUT_ERRORS.unhealthy);
    expect(world.events.map((e) => [e.DetailType, e.Detail.tookOverFrom])).toEqual([['Canary Rollout SUCCEEDED', {}], ['Canary Rollout FAILED', {}]]);
    expectNoViolation(world);
  });
});

describe('a traced canary: a release names itself in the spans too', () => {
  test('the template\'s OTEL_RESOURCE_ATTRIBUTES take the live image; a release rewrites them with RELEASE_ID, the collector copied as it is', async () => {
    const traced = synthesizeCanary({ tracing: true });
    const variable = (container: Json, name: string) => (container.Environment ?? []).find((v: Json) => v.Name === name)?.Value;
    const app = traced.green.taskDefinition.ContainerDefinitions[traced.appContainerIndex];
    const initialImage = traced.firstDeployment[`ATT:${traced.liveStateId}.GreenImage`];
    expect(variable(app, 'OTEL_RESOURCE_ATTRIBUTES')).toBe(`deployment.environment=Test/Env,service.version=${initialImage}`);

    const world = new World(traced);
    const run = await runRollout(world, rolloutInput('r1'));
    expect(run.status).toBe('SUCCEEDED');
    const [registered] = world.registered;
    const released = registered.ContainerDefinitions[traced.appContainerIndex];
    expect(variable(released, 'RELEASE_ID')).toBe(NEW_IMAGE);
    expect(variable(released, 'OTEL_RESOURCE_ATTRIBUTES')).toBe(`deployment.environment=Test/Env,service.version=${NEW_IMAGE}`);
    // Every other variable as it was, in its place.
    const names = (container: Json) => container.Environment.map((v: Json) => v.Name);
    expect(names(released)).toEqual(names(app));
    const collector = registered.ContainerDefinitions.find((c: Json) => c.Name === 'otel-collector');
    // (ECS answers DescribeTaskDefinition with its empty lists filled in.)
    expect(collector).toMatchObject(traced.green.taskDefinition.ContainerDefinitions.find((c: Json) => c.Name === 'otel-collector'));
    expectNoViolation(world);
  });
});
