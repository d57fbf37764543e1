/**
 * The operator command against the real rollout state machine, executed locally (the rollout
 * harness, test/deployment/rollout-harness.ts): `start --wait`'s exit code, the lines of `watch`,
 * `status` and `history` all come from a local execution of the synthesized definition and the
 * simulated world's table. Every command sent and every stand-in answer is checked against AWS's
 * API models.
 */
import { LocalAws, STATE_MACHINE_ARN } from './local-aws';
import { checkAnswers, checkSent, cli } from './support';
import { ACCOUNT, NEW_IMAGE, REGION, Synthesized, World, alarmWhen, synthesizeCanary } from '../deployment/rollout-harness';

const STEPS = [10, 25, 50, 100].map((percent) => ({ percent, bakeSeconds: 300, approvalBefore: false }));
const CANARY = ['--canary', 'Users/users'];

let synth: Synthesized;
let local: LocalAws;

beforeAll(() => {
  synth = synthesizeCanary();
});

beforeEach(() => {
  local = new LocalAws(new World(synth), STEPS, 10);
});

afterEach(() => {
  expect(local.world.violations).toEqual([]);
  expect(checkSent(local.sent)).toEqual([]);
  expect(checkAnswers(local.answers)).toEqual([]);
});

const run = (argv: string[], tty = false) => cli(['rollout', ...argv, ...CANARY], { clients: local.clients, clock: local.clock, tty });

test('a rollout that succeeds: start --wait exits 0; watch\'s lines, status and history come from the run', async () => {
  const r = await run(['start', '--image', NEW_IMAGE, '--rollout-id', 'r-ok', '--wait', '--interval', '10']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines[0]).toBe(`Started rollout r-ok of Users/users: ${NEW_IMAGE}`);
  // One line per change: each step's weights in order, then the outcome.
  for (const [n, percent] of [[1, 10], [2, 25], [3, 50], [4, 100]]) {
    expect(lines.some((l) => l.includes(`step ${n} of 4 (${percent}%): ${percent}% to green, ${100 - percent}% on blue; baking`))).toBe(true);
  }
  expect(lines[lines.length - 1]).toBe(`Rollout r-ok succeeded: green is live with ${NEW_IMAGE}. Exit code 0.`);

  const status = await run(['status']);
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/live slot\s+green/);
  expect(status.stdout).toMatch(/lock\s+free/);
  expect(status.stdout).toMatch(/last rollout\s+r-ok SUCCEEDED \(PROMOTED\)/);

  const history = await run(['history', '--json']);
  expect(JSON.parse(history.stdout).rollouts).toMatchObject([{ rolloutId: 'r-ok', status: 'SUCCEEDED', reason: 'PROMOTED', image: NEW_IMAGE, fromSlot: 'blue', toSlot: 'green' }]);

  const watch = await run(['watch', '--json']);
  expect(watch.code).toBe(0);
  expect(JSON.parse(watch.stdout.trim().split('\n').pop()!)).toMatchObject({ type: 'outcome', rolloutId: 'r-ok', status: 'SUCCEEDED', exitCode: 0 });
});

test('a rollout an alarm rolls back at 25 %: start --wait exits 10; the alarm shows before the outcome', async () => {
  local.world.alarmTrigger = alarmWhen('green', 25, 2, synth.extraAlarm);
  const r = await run(['start', '--image', NEW_IMAGE, '--rollout-id', 'r-alarm', '--wait', '--json']);
  expect(r.code).toBe(10);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines[0]).toMatchObject({ type: 'started', rolloutId: 'r-alarm', executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:Rollout:r-alarm` });
  const progress = lines.filter((l) => l.type === 'progress');
  expect(progress.some((p) => p.step?.percent === 25 && p.alarms.some((a: { state: string }) => a.state === 'ALARM'))).toBe(true);
  expect(progress.some((p) => p.step?.percent === 50)).toBe(false);
  expect(lines[lines.length - 1]).toMatchObject({ type: 'outcome', status: 'FAILED', error: 'CanaryDeployment.RolledBack', reason: 'ALARM', exitCode: 10 });

  const history = await run(['history']);
  expect(history.stdout).toMatch(/r-alarm\s+ROLLED_BACK\s+ALARM\s+25/);
  const status = await run(['status', '--json']);
  expect(JSON.parse(status.stdout)).toMatchObject({ liveSlot: 'blue', lock: null, lastRollout: { rolloutId: 'r-alarm', status: 'ROLLED_BACK', reason: 'ALARM' } });
});

test('a lock held by a running rollout: start is refused with exit 13, the state machine never started', async () => {
  const holder = local.world.addExecution('holder', 'RUNNING');
  local.world.items.set('service', {
    pk: { S: 'service' }, liveSlot: { S: 'blue' }, lockedBy: { S: 'holder' }, lockedByExecution: { S: holder.executionArn }, lockedAt: { S: '2026-01-01T00:00:00Z' },
  });
  const r = await run(['start', '--image', NEW_IMAGE]);
  expect(r.code).toBe(13);
  expect(r.stderr).toContain(`rollout holder holds the lock of Users/users and runs.\n  execution  ${holder.executionArn} (RUNNING)`);
  expect(r.stderr).toContain('Follow it with: npx cdk-microservices rollout watch --canary Users/users');
  expect(local.executions.size).toBe(0);
  expect(local.sent.some((s) => s.command.constructor.name === 'StartExecutionCommand')).toBe(false);
});

test('a start that loses the race for the lock: the state machine refuses (RolloutInProgress), start --wait exits 13', async () => {
  const holder = local.world.addExecution('racer', 'RUNNING');
  local.beforeRun = () => {
    local.world.items.set('service', {
      pk: { S: 'service' }, liveSlot: { S: 'blue' }, lockedBy: { S: 'racer' }, lockedByExecution: { S: holder.executionArn }, lockedAt: { S: '2026-01-01T00:00:00Z' },
    });
  };
  const r = await run(['start', '--image', NEW_IMAGE, '--rollout-id', 'r-late', '--wait']);
  expect(r.code).toBe(13);
  expect(r.stdout).toMatch(/Rollout r-late was refused \(CanaryDeployment.RolloutInProgress\): Rollout racer of .* holds the lock/);
  expect(STATE_MACHINE_ARN).toContain(':stateMachine:Rollout');
});
