/**
 * The operator command `npx cdk-microservices rollout ...` against mocked AWS clients
 * (aws-sdk-client-mock): every subcommand, every exit code, the refusals, --json, the profile and
 * region, plain lines. Every command sent is checked against AWS's API models.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException, RepositoryNotFoundException } from '@aws-sdk/client-ecr';
import {
  DescribeExecutionCommand, ExecutionDoesNotExist, GetExecutionHistoryCommand, HistoryEvent, SFNClient, SendTaskFailureCommand,
  SendTaskSuccessCommand, StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SentCommand, checkSent, cli } from './support';
import { createClients } from '../../cli/aws';
import { exitCodeOfExecution } from '../../cli/exit-codes';

const sfn = mockClient(SFNClient);
const ddb = mockClient(DynamoDBClient);
const ssm = mockClient(SSMClient);
const cw = mockClient(CloudWatchClient);
const ecr = mockClient(ECRClient);
const MOCKS = { sfn, dynamodb: ddb, ssm, cloudwatch: cw, ecr };

const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/users';
const IMAGE = `${REPO}:v2`;
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:UsersRollout';
const TABLE = 'UsersCanaryTable';
const exec = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:UsersRollout:${name}`;
const STEPS = [10, 25, 50, 100].map((percent) => ({ percent, bakeSeconds: 300, approvalBefore: percent === 100 }));
const CANARY = {
  version: 1,
  canaryName: 'Users/users',
  label: 'Store/Users/Canary',
  stateMachineArn: MACHINE,
  tableName: TABLE,
  steps: STEPS,
  plannedSeconds: 1220,
  maximumSeconds: 7200,
  alarmPollSeconds: 60,
  imageRepositoryUri: REPO,
};
const T0 = Date.parse('2026-01-01T00:00:00Z');
const BASE = ['--canary', 'Users/users'];

/** Every command sent in this file, checked against the models after each test. */
function sentCommands(): SentCommand[] {
  return Object.entries(MOCKS).flatMap(([service, mock]) => mock.calls().map((c) => ({ service, command: c.args[0] as any })));
}
function sent(service: keyof typeof MOCKS, command: { name: string }): any[] {
  return MOCKS[service].calls().map((c) => c.args[0] as any).filter((c) => c.constructor.name === command.name).map((c) => c.input);
}

beforeEach(() => {
  for (const mock of Object.values(MOCKS)) mock.reset();
  ssm.on(GetParameterCommand, { Name: '/cdk-microservices/canaries/Users/users' }).resolves({ Parameter: { Value: JSON.stringify(CANARY) } });
  ssm.on(GetParameterCommand, { Name: '/cdk-microservices/canaries/Orders/orders' }).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
  ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageTags: ['v2'] }] });
  ddb.on(GetItemCommand).resolves({});
  ddb.on(ScanCommand).resolves({ Items: [] });
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [], CompositeAlarms: [] });
});

afterEach(() => {
  expect(checkSent(sentCommands())).toEqual([]);
});

afterAll(() => {
  for (const mock of Object.values(MOCKS)) mock.restore();
});

/** The service item. */
function serviceItem(item: { [key: string]: string | number }): void {
  const av: any = { pk: { S: 'service' } };
  for (const [k, v] of Object.entries(item)) av[k] = typeof v === 'number' ? { N: String(v) } : { S: v };
  ddb.on(GetItemCommand, { Key: { pk: { S: 'service' } } }).resolves({ Item: av });
}

const HOLDER = { lockedBy: 'rollout-holder', lockedByExecution: exec('rollout-holder'), lockedAt: '2026-01-01T00:00:00Z' };

/** An execution's history (ids from 1, `at` seconds after T0), answered in the order asked. */
function history(events: (Partial<HistoryEvent> & { at?: number })[]): void {
  const full = events.map(({ at, ...e }, i) => ({ id: i + 1, previousEventId: i, timestamp: new Date(T0 + (at ?? i) * 1000), ...e }));
  sfn.on(GetExecutionHistoryCommand).callsFake((input) => ({ events: input.reverseOrder ? [...full].reverse() : full }));
}

const stepInput = (index: number, more: object = {}) => JSON.stringify({
  input: { image: IMAGE, rolloutId: 'rollout-holder' },
  slots: { live: { name: 'blue', alarmNames: ['blue-alarm'] }, idle: { name: 'green', alarmNames: ['green-5xx', 'green-latency'] } },
  at: {
    step: {
      index,
      number: index + 1,
      percent: STEPS[index].percent,
      livePercent: 100 - STEPS[index].percent,
      percentText: String(STEPS[index].percent),
      lastPoll: 4,
      approvalBefore: STEPS[index].approvalBefore,
      last: index === 3,
    },
  },
  ...more,
});
const entered = (type: string, name: string, input: string, at?: number): Partial<HistoryEvent> & { at?: number } => ({
  type: type as any, stateEnteredEventDetails: { name, input }, at,
});
const exited = (type: string, name: string, at?: number): Partial<HistoryEvent> & { at?: number } => ({
  type: type as any, stateExitedEventDetails: { name, output: '{}' }, at,
});
const STARTED = { type: 'ExecutionStarted' as const, executionStartedEventDetails: { input: JSON.stringify({ image: IMAGE, rolloutId: 'rollout-holder' }) }, at: 0 };

/** A rollout baking step 2 (25%), then waiting for the approval. */
const BAKING = [
  STARTED,
  entered('TaskStateEntered', 'SetWeights', stepInput(1), 600), exited('TaskStateExited', 'SetWeights', 601),
  entered('PassStateEntered', 'StartBake', stepInput(1), 640), entered('WaitStateEntered', 'Bake', stepInput(1, { bake: { count: 1 } }), 700),
];
const APPROVAL = [
  STARTED,
  entered('TaskStateEntered', 'RequestApproval', stepInput(3), 1000),
  {
    type: 'TaskScheduled' as const,
    at: 1000,
    taskScheduledEventDetails: {
      resourceType: 'sns',
      resource: 'publish.waitForTaskToken',
      region: 'eu-west-1',
      parameters: JSON.stringify({ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:approvals', MessageAttributes: { taskToken: { DataType: 'String', StringValue: 'token-123' } } }),
    },
  },
  { type: 'TaskSubmitted' as const, at: 1001, taskSubmittedEventDetails: { resourceType: 'sns', resource: 'publish.waitForTaskToken' } },
];

describe('help and usage', () => {
  test('--help lists the commands and the exit codes, exit 0', async () => {
    const r = await cli(['rollout', '--help']);
    expect(r.code).toBe(0);
    for (const word of ['start', 'status', 'history', 'watch', 'approve', 'abort', 'Exit codes:', '13  lock held', '--profile', '--region', '--json']) {
      expect(r.stdout).toContain(word);
    }
  });

  test.each(['start', 'status', 'history', 'watch', 'approve', 'abort'])('%s --help, exit 0, no AWS call', async (sub) => {
    const r = await cli(['rollout', sub, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`rollout ${sub}`);
    expect(r.stdout).toContain('Exit codes:');
    expect(sentCommands()).toEqual([]);
  });

  test.each([
    [['rollout'], /Usage/],
    [['deploy'], /Unknown command deploy/],
    [['rollout', 'promote', ...BASE], /Unknown rollout command promote/],
    [['rollout', 'status', ...BASE, '--bogus'], /Unknown option '--bogus'/],
    [['rollout', 'start', ...BASE], /start needs --image/],
    [['rollout', 'history', ...BASE, '--limit', 'ten'], /--limit ten is not a positive number/],
    [['rollout', 'status'], /Which canary\?/],
    [['rollout', 'status', '--canary', 'Users//users'], /is not a canary name/],
    [['rollout', 'status', '--state-machine-arn', 'arn:aws:lambda:x', '--table-name', 'T'], /is not the ARN of a state machine/],
  ])('%j: usage error, exit 2', async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(message);
  });

  test('an unknown canary: names the parameter and says the stack must be deployed with this version, exit 2', async () => {
    const r = await cli(['rollout', 'status', '--canary', 'Orders/orders']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('/cdk-microservices/canaries/Orders/orders');
    expect(r.stderr).toContain('must be deployed with a version of cdk-microservices');
    const j = await cli(['rollout', 'status', '--canary', 'Orders/orders', '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({ type: 'error', exitCode: 2, error: { parameter: '/cdk-microservices/canaries/Orders/orders' } });
  });

  test('an AWS error: its name and message, no stack unless --debug, exit 1', async () => {
    ddb.on(GetItemCommand).rejects(Object.assign(new Error('User is not authorized to perform dynamodb:GetItem'), { name: 'AccessDeniedException' }));
    const r = await cli(['rollout', 'status', ...BASE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('AccessDeniedException: User is not authorized to perform dynamodb:GetItem\n');
    const d = await cli(['rollout', 'status', ...BASE, '--debug']);
    expect(d.stderr).toMatch(/\n\s+at /);
    const j = await cli(['rollout', 'status', ...BASE, '--json']);
    expect(JSON.parse(j.stdout)).toEqual({ type: 'error', error: { name: 'AccessDeniedException', message: 'User is not authorized to perform dynamodb:GetItem' }, exitCode: 1 });
  });
});

describe('profile and region', () => {
  test('--profile and --region go to the clients', async () => {
    const r = await cli(['rollout', 'status', ...BASE, '--profile', 'ops', '--region', 'eu-west-1']);
    expect(r.code).toBe(0);
    expect(r.clientOptions).toEqual([{ profile: 'ops', region: 'eu-west-1' }]);
  });

  test('AWS_PROFILE when no --profile; no region: the SDK default chain decides', async () => {
    const r = await cli(['rollout', 'status', ...BASE], { env: { AWS_PROFILE: 'from-env' } });
    expect(r.clientOptions).toEqual([{ profile: 'from-env', region: undefined }]);
  });

  test('the SDK clients get the region and profile; ECR gets the repository\'s region', async () => {
    const clients = createClients({ region: 'eu-west-1', profile: 'ops' });
    for (const client of [clients.sfn, clients.dynamodb, clients.ssm, clients.cloudwatch]) {
      expect(await client.config.region()).toBe('eu-west-1');
      expect((client.config as { profile?: string }).profile).toBe('ops');
    }
    const repoClient = clients.ecr('us-west-2');
    expect(await repoClient.config.region()).toBe('us-west-2');
    expect((repoClient.config as { profile?: string }).profile).toBe('ops');
    expect(clients.ecr('us-west-2')).toBe(repoClient);
  });

  test('start asks ECR in the repository\'s region', async () => {
    const regions: string[] = [];
    sfn.on(StartExecutionCommand).resolves({ executionArn: exec('x'), startDate: new Date(T0) });
    const r = await cli(['rollout', 'start', ...BASE, '--image', IMAGE, '--region', 'us-east-1'], {
      clients: (options) => {
        const real = createClients(options);
        const ecrOf = (region: string) => {
          regions.push(region);
          return real.ecr(region);
        };
        return { sfn: real.sfn, dynamodb: real.dynamodb, ssm: real.ssm, cloudwatch: real.cloudwatch, ecr: ecrOf };
      },
    });
    expect(r.code).toBe(0);
    expect(regions).toEqual(['eu-west-1']);
  });
});

describe('start', () => {
  beforeEach(() => {
    sfn.on(StartExecutionCommand).callsFake((input) => ({ executionArn: exec(input.name ?? 'generated'), startDate: new Date(T0) }));
  });

  test('starts with the image and a generated rollout id (also the execution name), exit 0', async () => {
    const r = await cli(['rollout', 'start', ...BASE, '--image', IMAGE]);
    expect(r.code).toBe(0);
    expect(sent('sfn', StartExecutionCommand)).toEqual([{
      stateMachineArn: MACHINE, name: 'rollout-20260101T000000Z-a1b2c3', input: JSON.stringify({ image: IMAGE, rolloutId: 'rollout-20260101T000000Z-a1b2c3' }),
    }]);
    expect(sent('ecr', DescribeImagesCommand)).toEqual([{ registryId: '123456789012', repositoryName: 'users', imageIds: [{ imageTag: 'v2' }] }]);
    expect(r.stdout).toContain('Started rollout rollout-20260101T000000Z-a1b2c3 of Users/users');
    expect(r.stdout).toContain('npx cdk-microservices rollout watch --canary Users/users --rollout-id rollout-20260101T000000Z-a1b2c3');
  });

  test('a digest image is looked up by digest; a rollout id that is no execution name is not used as one', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const r = await cli(['rollout', 'start', ...BASE, '--image', `${REPO}@${digest}`, '--rollout-id', digest, '--json']);
    expect(r.code).toBe(0);
    expect(sent('ecr', DescribeImagesCommand)[0].imageIds).toEqual([{ imageDigest: digest }]);
    const [call] = sent('sfn', StartExecutionCommand);
    expect(call.name).toBeUndefined();
    expect(JSON.parse(call.input)).toEqual({ image: `${REPO}@${digest}`, rolloutId: digest });
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'started', rolloutId: digest, executionArn: exec('generated') });
  });

  test.each([
    ['another repository', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/orders:v2'],
    ['a public image', 'nginx:latest'],
    ['no tag', REPO],
    ['a bad digest', `${REPO}@sha256:1234`],
    ['a bad tag', `${REPO}:-v2`],
  ])('refuses %s (names the expected repository), no StartExecution, exit 2', async (_what, image) => {
    const r = await cli(['rollout', 'start', ...BASE, '--image', image]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`Give ${REPO}:<tag> or ${REPO}@sha256:<digest>`);
    expect(sent('sfn', StartExecutionCommand)).toEqual([]);
    expect(sent('ecr', DescribeImagesCommand)).toEqual([]);
  });

  test.each([
    ['ImageNotFoundException', () => new ImageNotFoundException({ message: 'The image with imageId {imageTag:v9} does not exist', $metadata: {} })],
    ['RepositoryNotFoundException', () => new RepositoryNotFoundException({ message: 'The repository users does not exist', $metadata: {} })],
  ])('refuses an image ECR does not have (%s), no StartExecution, exit 2', async (name, error) => {
    ecr.on(DescribeImagesCommand).rejects(error());
    const r = await cli(['rollout', 'start', ...BASE, '--image', `${REPO}:v9`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`ECR has no image ${REPO}:v9 (${name}`);
    expect(sent('sfn', StartExecutionCommand)).toEqual([]);
  });

  test('without imageRepositoryUri any image reference goes, and ECR is not asked', async () => {
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: JSON.stringify({ ...CANARY, imageRepositoryUri: undefined }) } });
    const r = await cli(['rollout', 'start', ...BASE, '--image', 'public.ecr.aws/acme/users:v2']);
    expect(r.code).toBe(0);
    expect(sent('ecr', DescribeImagesCommand)).toEqual([]);
  });

  test('a lock held by a RUNNING execution: refused with the holder and the watch command, no StartExecution, exit 13', async () => {
    serviceItem({ liveSlot: 'blue', ...HOLDER });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date(T0) });
    const r = await cli(['rollout', 'start', ...BASE, '--image', IMAGE]);
    expect(r.code).toBe(13);
    expect(r.stderr).toContain('rollout rollout-holder holds the lock');
    expect(r.stderr).toContain(HOLDER.lockedByExecution);
    expect(r.stderr).toContain('2026-01-01T00:00:00Z');
    expect(r.stderr).toContain('npx cdk-microservices rollout watch --canary Users/users');
    expect(sent('sfn', StartExecutionCommand)).toEqual([]);
    expect(sent('sfn', DescribeExecutionCommand)).toEqual([{ executionArn: HOLDER.lockedByExecution }]);
    const j = await cli(['rollout', 'start', ...BASE, '--image', IMAGE, '--json']);
    expect(JSON.parse(j.stdout)).toMatchObject({
      type: 'error',
      exitCode: 13,
      error: { code: 'LockHeld', holder: { rolloutId: 'rollout-holder', executionArn: HOLDER.lockedByExecution }, watchCommand: 'npx cdk-microservices rollout watch --canary Users/users' },
    });
  });

  test.each([['FAILED'], ['SUCCEEDED'], ['ABORTED'], ['gone']])('a lock whose holder ended (%s) does not stop the start', async (status) => {
    serviceItem({ liveSlot: 'blue', ...HOLDER });
    if (status === 'gone') sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
    else sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: status as any });
    const r = await cli(['rollout', 'start', ...BASE, '--image', IMAGE]);
    expect(r.code).toBe(0);
    expect(sent('sfn', StartExecutionCommand)).toHaveLength(1);
  });

  test('the same rollout id as the running holder: not started again, exit 0', async () => {
    serviceItem({ liveSlot: 'blue', ...HOLDER });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date(T0) });
    const r = await cli(['rollout', 'start', ...BASE, '--image', IMAGE, '--rollout-id', 'rollout-holder']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('already runs');
    expect(sent('sfn', StartExecutionCommand)).toEqual([]);
  });

  test('--wait: watches to the end and exits with the outcome (rolled back: 10)', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: exec('r1'), startDate: new Date(T0) });
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: exec('r1'), stateMachineArn: MACHINE, status: 'FAILED', startDate: new Date(T0), error: 'CanaryDeployment.RolledBack', cause: 'An alarm fired',
    });
    history([...BAKING, entered('PassStateEntered', 'AlarmFired', stepInput(1), 720),
      { type: 'ExecutionFailed', executionFailedEventDetails: { error: 'CanaryDeployment.RolledBack', cause: 'An alarm fired' }, at: 730 }]);
    const r = await cli(['rollout', 'start', ...BASE, '--image', IMAGE, '--rollout-id', 'r1', '--wait']);
    expect(r.code).toBe(10);
    expect(r.stdout).toMatch(/Rollout rollout-holder rolled back at 25% \(step 2 of 4\).*CanaryDeployment.RolledBack.*Exit code 10/);
  });
});

describe('status and history', () => {
  test('status: live slot, images, weights, lock holder with its execution status, last rollout', async () => {
    serviceItem({
      liveSlot: 'green',
      liveImage: `${REPO}:v1`,
      blueImage: `${REPO}:v0`,
      greenImage: `${REPO}:v1`,
      blueWeight: 0,
      greenWeight: 100,
      lastRollout: 'r1',
      lastStatus: 'SUCCEEDED',
      ...HOLDER,
    });
    ddb.on(GetItemCommand, { Key: { pk: { S: 'rollout#r1' } } }).resolves({ Item: { pk: { S: 'rollout#r1' }, status: { S: 'SUCCEEDED' }, reason: { S: 'PROMOTED' } } });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date(T0) });
    const r = await cli(['rollout', 'status', ...BASE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/live slot\s+green/);
    expect(r.stdout).toMatch(/blue\s+idle, image .*users:v0, weight 0/);
    expect(r.stdout).toMatch(/green\s+live, image .*users:v1, weight 100/);
    expect(r.stdout).toContain(`held by rollout rollout-holder since 2026-01-01T00:00:00Z: execution ${HOLDER.lockedByExecution} RUNNING`);
    expect(r.stdout).toMatch(/last rollout\s+r1 SUCCEEDED \(PROMOTED\)/);
    const j = JSON.parse((await cli(['rollout', 'status', ...BASE, '--json'])).stdout);
    expect(j).toMatchObject({
      type: 'status',
      liveSlot: 'green',
      slots: { blue: { image: `${REPO}:v0`, weight: 0, live: false }, green: { weight: 100, live: true } },
      lock: { rolloutId: 'rollout-holder', executionStatus: 'RUNNING', running: true },
      lastRollout: { rolloutId: 'r1', status: 'SUCCEEDED', reason: 'PROMOTED' },
    });
  });

  test('status before any rollout; a canary given by ARN and table', async () => {
    const r = await cli(['rollout', 'status', '--state-machine-arn', MACHINE, '--table-name', TABLE]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/lock\s+free/);
    expect(r.stdout).toMatch(/last rollout\s+none/);
    expect(sent('ssm', GetParameterCommand)).toEqual([]);
    expect(sent('dynamodb', GetItemCommand)).toEqual([{ TableName: TABLE, Key: { pk: { S: 'service' } }, ConsistentRead: true }]);
  });

  test('history: every page of the Scan, newest first, --limit', async () => {
    const item = (id: string, startedAt: string, status: string, reason?: string) => ({
      pk: { S: `rollout#${id}` },
      status: { S: status },
      startedAt: { S: startedAt },
      endedAt: { S: startedAt.replace('T00', 'T01') },
      image: { S: `${REPO}:${id}` },
      ...(reason ? { reason: { S: reason } } : {}),
    });
    ddb.on(ScanCommand).resolvesOnce({ Items: [item('a', '2026-01-01T00:00:00Z', 'SUCCEEDED')], LastEvaluatedKey: { pk: { S: 'rollout#a' } } })
      .resolvesOnce({ Items: [item('c', '2026-01-03T00:00:00Z', 'ROLLED_BACK', 'ALARM'), item('b', '2026-01-02T00:00:00Z', 'FAILED', 'RELEASE_FAILED')] });
    const r = await cli(['rollout', 'history', ...BASE, '--limit', '2']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^STARTED\s+ROLLOUT\s+STATUS\s+REASON/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[1])).toEqual(['c', 'b']);
    expect(sent('dynamodb', ScanCommand)).toEqual([
      { TableName: TABLE, FilterExpression: 'begins_with(pk, :prefix)', ExpressionAttributeValues: { ':prefix': { S: 'rollout#' } } },
      { TableName: TABLE, FilterExpression: 'begins_with(pk, :prefix)', ExpressionAttributeValues: { ':prefix': { S: 'rollout#' } }, ExclusiveStartKey: { pk: { S: 'rollout#a' } } },
    ]);
  });

  test('history --json', async () => {
    ddb.on(ScanCommand).resolves({ Items: [{ pk: { S: 'rollout#a' }, status: { S: 'SUCCEEDED' }, steps: { L: [{ M: { percent: { N: '10' }, outcome: { S: 'PASSED' }, at: { S: 'x' } } }] } }] });
    const j = JSON.parse((await cli(['rollout', 'history', ...BASE, '--json'])).stdout);
    expect(j).toEqual({ type: 'history', canary: 'Users/users', rollouts: [{ rolloutId: 'a', status: 'SUCCEEDED', steps: [{ percent: 10, outcome: 'PASSED', at: 'x' }] }] });
  });
});

describe('watch', () => {
  test.each([
    ['SUCCEEDED', undefined, 0],
    ['FAILED', 'CanaryDeployment.RolledBack', 10],
    ['FAILED', 'CanaryDeployment.DnsNotInSync', 10],
    ['FAILED', 'CanaryDeployment.StepFailed', 10],
    ['FAILED', 'CanaryDeployment.ApprovalTimedOut', 10],
    ['FAILED', 'CanaryDeployment.ReleaseFailed', 11],
    ['FAILED', 'CanaryDeployment.IdleSlotUnhealthy', 11],
    ['FAILED', 'CanaryDeployment.RollbackFailed', 11],
    ['FAILED', 'CanaryDeployment.InvalidInput', 11],
    ['FAILED', 'States.Runtime', 11],
    ['TIMED_OUT', undefined, 11],
    ['ABORTED', undefined, 11],
    ['FAILED', 'CanaryDeployment.Aborted', 12],
    ['FAILED', 'CanaryDeployment.RolloutInProgress', 13],
  ])('an execution %s %s: exit %d', async (status, error, code) => {
    expect(exitCodeOfExecution(status, error)).toBe(code);
    serviceItem({ ...HOLDER });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: status as any, error });
    history([STARTED]);
    const r = await cli(['rollout', 'watch', ...BASE, '--json']);
    expect(r.code).toBe(code);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[lines.length - 1]).toMatchObject({ type: 'outcome', status, exitCode: code });
  });

  test('non-TTY: one plain line per change (not per poll), then the outcome', async () => {
    serviceItem({ ...HOLDER });
    let polls = 0;
    sfn.on(DescribeExecutionCommand).callsFake(() => ({
      executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, startDate: new Date(T0), status: ++polls < 4 ? 'RUNNING' : 'SUCCEEDED',
    }));
    history(BAKING);
    cw.on(DescribeAlarmsCommand).callsFake(() => ({
      MetricAlarms: [{ AlarmName: 'green-5xx', StateValue: 'OK' }],
      CompositeAlarms: [{ AlarmName: 'green-latency', StateValue: polls >= 3 ? 'ALARM' : 'OK' }],
    }));
    const r = await cli(['rollout', 'watch', ...BASE]);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^2026-01-01T00:00:00Z; step 2 of 4 \(25%\): 25% to green, 75% on blue; baking \(watching the alarms\); bake \d+m \d+s left of 5m 00s; alarms OK \(2\)/);
    expect(lines[1]).toContain('ALARM: green-latency');
    expect(lines[2]).toMatch(/succeeded.*Exit code 0\.$/);
    expect(r.code).toBe(0);
    expect(sent('cloudwatch', DescribeAlarmsCommand)[0]).toEqual({ AlarmNames: ['green-5xx', 'green-latency'], AlarmTypes: ['CompositeAlarm', 'MetricAlarm'] });
    // The history is read incrementally: newest first.
    expect(sent('sfn', GetExecutionHistoryCommand).every((c) => c.reverseOrder === true)).toBe(true);
  });

  test('TTY: redraws in place with ANSI codes', async () => {
    serviceItem({ ...HOLDER });
    let polls = 0;
    sfn.on(DescribeExecutionCommand).callsFake(() => ({
      executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, startDate: new Date(T0), status: ++polls < 3 ? 'RUNNING' : 'SUCCEEDED',
    }));
    history(APPROVAL);
    const r = await cli(['rollout', 'watch', ...BASE], { tty: true });
    expect(r.stdout).toContain('\x1b[');
    expect(r.stdout).toContain('WAITING since 2026-01-01T00:16:40Z: npx cdk-microservices rollout approve --canary Users/users');
    expect(r.stdout).toMatch(/Rollout rollout-holder of Users\/users/);
  });

  test('--rollout-id reads the rollout item\'s execution; no rollout at all: nothing to watch, exit 0', async () => {
    const none = await cli(['rollout', 'watch', ...BASE]);
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('nothing to watch');
    const missing = await cli(['rollout', 'watch', ...BASE, '--rollout-id', 'nope']);
    expect(missing.code).toBe(2);
    ddb.on(GetItemCommand, { Key: { pk: { S: 'rollout#r1' } } }).resolves({ Item: { pk: { S: 'rollout#r1' }, execution: { S: exec('r1') } } });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: exec('r1'), stateMachineArn: MACHINE, status: 'SUCCEEDED', startDate: new Date(T0) });
    history([STARTED]);
    const r = await cli(['rollout', 'watch', ...BASE, '--rollout-id', 'r1']);
    expect(r.code).toBe(0);
    expect(sent('sfn', DescribeExecutionCommand)).toEqual([{ executionArn: exec('r1') }]);
  });
});

describe('approve', () => {
  test('sends SendTaskSuccess with the waiting approval\'s token and output {}', async () => {
    serviceItem({ ...HOLDER });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date(T0) });
    history(APPROVAL);
    const r = await cli(['rollout', 'approve', ...BASE, '--json']);
    expect(r.code).toBe(0);
    expect(sent('sfn', SendTaskSuccessCommand)).toEqual([{ taskToken: 'token-123', output: '{}' }]);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'approved', rolloutId: 'rollout-holder' });
  });

  test('an approval already answered: nothing waits, exit 3, nothing sent', async () => {
    serviceItem({ ...HOLDER });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date(T0) });
    history([...APPROVAL, { type: 'TaskSucceeded', taskSucceededEventDetails: { resourceType: 'sns', resource: 'publish.waitForTaskToken', output: '{}' } },
      exited('TaskStateExited', 'RequestApproval'), entered('TaskStateEntered', 'SetWeights', stepInput(3))]);
    const r = await cli(['rollout', 'approve', ...BASE]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('waits for no approval: it is setting the weights, step 4 of 4 (100% on green)');
    expect(sent('sfn', SendTaskSuccessCommand)).toEqual([]);
  });

  test('a rollout baking: says what it does, exit 3, nothing sent', async () => {
    serviceItem({ ...HOLDER });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date(T0) });
    history(BAKING);
    const r = await cli(['rollout', 'approve', ...BASE]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('baking (watching the alarms), step 2 of 4 (25% on green)');
  });

  test('no running rollout: exit 3, nothing sent', async () => {
    serviceItem({ liveSlot: 'blue', lastRollout: 'r1', lastStatus: 'SUCCEEDED' });
    const r = await cli(['rollout', 'approve', ...BASE, '--json']);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ type: 'error', exitCode: 3, error: { code: 'NothingRuns' } });
    expect(sent('sfn', SendTaskSuccessCommand)).toEqual([]);
  });
});

describe('abort', () => {
  beforeEach(() => {
    ddb.on(UpdateItemCommand).resolves({});
  });

  test('an approval waits: SendTaskFailure CanaryDeployment.Aborted with the reason', async () => {
    serviceItem({ ...HOLDER });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date(T0) });
    history(APPROVAL);
    const r = await cli(['rollout', 'abort', ...BASE, '--reason', 'latency regression']);
    expect(r.code).toBe(0);
    expect(sent('sfn', SendTaskFailureCommand)).toEqual([{ taskToken: 'token-123', error: 'CanaryDeployment.Aborted', cause: 'latency regression' }]);
    expect(sent('dynamodb', UpdateItemCommand)).toEqual([]);
  });

  test('baking: abortRequested set on the holder\'s item, conditioned on the lock', async () => {
    serviceItem({ ...HOLDER });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date(T0) });
    history(BAKING);
    const r = await cli(['rollout', 'abort', ...BASE]);
    expect(r.code).toBe(0);
    expect(sent('dynamodb', UpdateItemCommand)).toEqual([{
      TableName: TABLE,
      Key: { pk: { S: 'service' } },
      UpdateExpression: 'SET abortRequested = :id',
      ConditionExpression: 'lockedBy = :id AND lockedByExecution = :exec',
      ExpressionAttributeValues: { ':id': { S: 'rollout-holder' }, ':exec': { S: HOLDER.lockedByExecution } },
    }]);
    expect(r.stdout).toContain('Asked rollout rollout-holder to abort: it rolls back at its next check (within about 1m 00s)');
  });

  test('the holder ended: the stale lock is released instead, and said so', async () => {
    serviceItem({ ...HOLDER });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: 'FAILED', startDate: new Date(T0) });
    const r = await cli(['rollout', 'abort', ...BASE]);
    expect(r.code).toBe(0);
    expect(sent('dynamodb', UpdateItemCommand)).toEqual([{
      TableName: TABLE,
      Key: { pk: { S: 'service' } },
      UpdateExpression: 'REMOVE lockedBy, lockedByExecution, lockedAt, abortRequested',
      ConditionExpression: 'lockedBy = :id AND lockedByExecution = :exec',
      ExpressionAttributeValues: { ':id': { S: 'rollout-holder' }, ':exec': { S: HOLDER.lockedByExecution } },
    }]);
    expect(r.stdout).toContain('no longer runs (its execution');
    expect(r.stdout).toContain('released the lock it left');
  });

  test('the lock changed meanwhile: exit 3', async () => {
    serviceItem({ ...HOLDER });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date(T0) });
    history(BAKING);
    ddb.on(UpdateItemCommand).rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
    const r = await cli(['rollout', 'abort', ...BASE]);
    expect(r.code).toBe(3);
  });

  test.each([
    ['no lock', () => serviceItem({ liveSlot: 'blue' }), []],
    ['another rollout holds it', () => serviceItem({ ...HOLDER }), ['--rollout-id', 'other']],
  ])('nothing to abort (%s): exit 3, nothing changed', async (_what, setup, extra) => {
    setup();
    const r = await cli(['rollout', 'abort', ...BASE, ...extra]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('nothing to abort');
    expect(sent('dynamodb', UpdateItemCommand)).toEqual([]);
    expect(sent('sfn', SendTaskFailureCommand)).toEqual([]);
  });

  test('too late: the rollout already rolls back, exit 3', async () => {
    serviceItem({ ...HOLDER });
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: HOLDER.lockedByExecution, stateMachineArn: MACHINE, status: 'RUNNING', startDate: new Date(T0) });
    history([...BAKING, entered('TaskStateEntered', 'RestoreWeights', stepInput(1, { outcome: { status: 'ROLLED_BACK', reason: 'ALARM' } }))]);
    const r = await cli(['rollout', 'abort', ...BASE]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('too late to abort');
    expect(sent('dynamodb', UpdateItemCommand)).toEqual([]);
  });
});
