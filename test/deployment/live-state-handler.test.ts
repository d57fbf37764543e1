import {
  DynamoDBClient,
  GetItemCommand,
  ResourceNotFoundException,
  ThrottlingException,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { withServer } from '../response-server';
import { AttributeValue, ExpressionScope, Item, applyUpdate, checkAttributeValue, evaluateCondition } from './harness/dynamodb-expressions';
import { Json, checkCall, commandOperation, sentCommandProblems, standInProblems } from '../contract/aws-models';

/**
 * The canary live state handler (assets/providers/canary-live-state.js), the custom resource that
 * reads at deploy time which image each slot runs and which weight each record has, run against
 * an in-memory state table of one item (`DynamoFake` below) that applies the handler's
 * UpdateItem for real with the rollout harness's expression evaluator
 * (./harness/dynamodb-expressions.ts: `if_not_exists`, reserved words, placeholders) and refuses
 * what DynamoDB refuses (unused ExpressionAttributeValues or Names, a malformed attribute value,
 * another key). Every command sent and every answer given in this file is checked against the
 * DynamoDB API model at the end.
 */
interface Response {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  StackId: string;
  RequestId: string;
  LogicalResourceId: string;
  Data: { [key: string]: unknown };
}
interface Clients {
  dynamodb: DynamoDBClient;
  now?: () => number;
}
interface LiveStateModule {
  handle(event: Json, clients: Clients): Promise<Response>;
  handler(event: Json): Promise<Response>;
  sendResponse(url: string, response: Json): Promise<number>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const liveState = require('../../assets/providers/canary-live-state.js') as LiveStateModule;

const STACK = 'arn:aws:cloudformation:us-east-1:111111111111:stack/Shop/11111111-aaaa-4aaa-8aaa-111111111111';
const TABLE = 'Shop-UsersCanaryStateTable1A2B3C4D-ABCDEFGHIJKL';
const INITIAL = '111111111111.dkr.ecr.us-east-1.amazonaws.com/cdk-hnb659fds-container-assets-111111111111-us-east-1:' + 'a'.repeat(64);
const V1 = '111111111111.dkr.ecr.us-east-1.amazonaws.com/users:v1';
const V2 = '111111111111.dkr.ecr.us-east-1.amazonaws.com/users:v2';
const CANARY = 'Shop/Users/Canary';
const EXECUTION = 'arn:aws:states:us-east-1:111111111111:execution:UsersRollout:r-42-0123456789';
const MAX_SECONDS = 3600;
/** The handler's clock in these tests. */
const NOW = Date.parse('2025-06-01T12:00:00.000Z');

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number | string): AttributeValue => ({ N: String(n) });

// ---------------------------------------------------------------------------------------------
// The state table

/** One answer or error of the stand-in, to be checked against the model. */
interface DynamoAnswer {
  readonly op: string;
  readonly answer?: Json;
  readonly error?: string;
}

/**
 * The state table: items by `pk`. GetItem and UpdateItem as the DynamoDB API reference documents
 * them (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html): an
 * UpdateItem on a missing item creates it; ALL_NEW returns the item after the update; a
 * placeholder unused in the expressions is a ValidationException; another table is a
 * ResourceNotFoundException. What it refuses is also recorded in `violations` (checked after each
 * test), so a handler that turned it into a FAILED response would not hide it.
 */
class DynamoFake {
  public readonly items = new Map<string, Item>();
  public readonly violations: string[] = [];
  /** Every call fails with this error, when set (for UpdateItem only, with `failUpdateWith`). */
  public failWith?: Error;
  public failUpdateWith?: Error;
  /** Runs once, just before the next UpdateItem is applied: another writer between the handler's GetItem and UpdateItem. */
  public beforeNextUpdate?: () => void;

  constructor(private readonly answers: DynamoAnswer[], public readonly tableName = TABLE) {}

  public install(mock: ReturnType<typeof mockClient>): void {
    const recorded = (op: string, fake: (input: Json) => Json) => async (input: Json) => {
      try {
        const answer = fake(JSON.parse(JSON.stringify(input)));
        this.answers.push({ op, answer });
        return { ...answer, $metadata: {} };
      } catch (e) {
        this.answers.push({ op, error: (e as Error).name });
        throw e;
      }
    };
    mock.on(GetItemCommand).callsFake(recorded('GetItem', (input) => this.get(input)));
    mock.on(UpdateItemCommand).callsFake(recorded('UpdateItem', (input) => this.update(input)));
  }

  /** The item `service`, as a copy. */
  public service(): Item | undefined {
    const item = this.items.get('service');
    return item && JSON.parse(JSON.stringify(item));
  }

  public put(item: Item): void {
    this.items.set('service', { pk: S('service'), ...JSON.parse(JSON.stringify(item)) });
  }

  private refuse(message: string): never {
    this.violations.push(message);
    const e = new Error(message);
    e.name = 'ValidationException';
    throw e;
  }

  private key(input: Json): string {
    if (this.failWith) throw this.failWith;
    if (input.TableName !== this.tableName) throw new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });
    const key = input.Key;
    if (!key || Object.keys(key).length !== 1 || !key.pk || Object.keys(key.pk).length !== 1 || typeof key.pk.S !== 'string') {
      this.refuse(`The provided key element does not match the schema: ${JSON.stringify(key)}`);
    }
    return key.pk.S;
  }

  private get(input: Json): Json {
    const pk = this.key(input);
    const item = this.items.get(pk);
    return item ? { Item: JSON.parse(JSON.stringify(item)) } : {};
  }

  private update(input: Json): Json {
    const pk = this.key(input);
    if (this.failUpdateWith) throw this.failUpdateWith;
    if (typeof input.UpdateExpression !== 'string') this.refuse('UpdateExpression is missing');
    const names: { [k: string]: string } = input.ExpressionAttributeNames ?? {};
    const values: { [k: string]: AttributeValue } = input.ExpressionAttributeValues ?? {};
    for (const [k, v] of Object.entries(values)) checkAttributeValue(v, `ExpressionAttributeValues ${k}`, (m) => this.refuse(m));
    const text = [input.UpdateExpression, input.ConditionExpression].filter((e) => e !== undefined).join(' ');
    const unused = (k: string) => !new RegExp(`${k}(?![A-Za-z0-9_])`).test(text);
    const unusedNames = Object.keys(names).filter(unused);
    const unusedValues = Object.keys(values).filter(unused);
    if (unusedNames.length > 0) this.refuse(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`);
    if (unusedValues.length > 0) this.refuse(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`);
    const hook = this.beforeNextUpdate;
    this.beforeNextUpdate = undefined;
    hook?.();
    const scope: ExpressionScope = { names, values, fail: (m: string) => this.refuse(`Invalid UpdateExpression: ${m}`) };
    const current = this.items.get(pk);
    if (input.ConditionExpression !== undefined && !evaluateCondition(input.ConditionExpression, current ?? {}, scope)) {
      throw new Error('The conditional request failed');
    }
    const updated = applyUpdate(input.UpdateExpression, JSON.parse(JSON.stringify(current ?? { pk: S(pk) })), scope);
    if (JSON.stringify(updated.pk) !== JSON.stringify(S(pk))) this.refuse('the update changes the key');
    this.items.set(pk, updated);
    if (input.ReturnValues === 'ALL_NEW') return { Attributes: JSON.parse(JSON.stringify(updated)) };
    if (input.ReturnValues !== undefined && input.ReturnValues !== 'NONE') this.refuse(`ReturnValues ${input.ReturnValues} not simulated`);
    return {};
  }
}

const dynamoMock = mockClient(DynamoDBClient);
const sent: Json[] = [];
const answers: DynamoAnswer[] = [];
let table: DynamoFake;
const dynamodb = new DynamoDBClient({ region: 'us-east-1' });
const clients: Clients = { dynamodb, now: () => NOW };

beforeEach(() => {
  sent.push(...dynamoMock.calls().map((c) => c.args[0]));
  dynamoMock.reset();
  table = new DynamoFake(answers);
  table.install(dynamoMock);
});

afterEach(() => {
  expect(table.violations).toEqual([]);
});

afterAll(() => {
  dynamoMock.restore();
});

let requests = 0;
function props(more: Json = {}): Json {
  return {
    ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:Shop-CanaryLiveState',
    TableName: TABLE,
    InitialImage: INITIAL,
    MaximumRolloutSeconds: String(MAX_SECONDS),
    CanaryName: CANARY,
    Slots: { Blue: { TaskDefinition: { Cpu: '256', Memory: '512' }, Record: { Name: 'users.example.com.', SetIdentifier: 'blue' } } },
    ...more,
  };
}

function event(type: 'Create' | 'Update' | 'Delete', properties: Json = props(), more: Json = {}): Json {
  requests++;
  return {
    RequestType: type,
    ResponseURL: 'http://127.0.0.1:1/unused',
    StackId: STACK,
    RequestId: `req-${requests}`,
    ResourceType: 'Custom::CanaryLiveState',
    LogicalResourceId: 'UsersCanaryLiveState',
    ResourceProperties: properties,
    ...(type === 'Create' ? {} : { PhysicalResourceId: `${TABLE}/live-state` }),
    ...more,
  };
}

/** An update event from the properties before to the properties after. */
function update(before: Json, after: Json, more: Json = {}): Json {
  return event('Update', after, { OldResourceProperties: before, ...more });
}

const updates = () => dynamoMock.commandCalls(UpdateItemCommand);
const gets = () => dynamoMock.commandCalls(GetItemCommand);

/** A lock taken `ago` seconds before the handler's clock. */
function lock(ago: number, more: Item = {}): Item {
  return { lockedBy: S('r-42'), lockedByExecution: S(EXECUTION), lockedAt: S(new Date(NOW - ago * 1000).toISOString()), ...more };
}

/** The item a promotion to green leaves (the rollout of this version records both slots). */
const AFTER_ROLLOUT: Item = {
  liveSlot: S('green'),
  liveImage: S(V2),
  blueImage: S(V1),
  greenImage: S(V2),
  blueWeight: N(0),
  greenWeight: N(100),
  lastRollout: S('r-41'),
  lastStatus: S('SUCCEEDED'),
};

// ---------------------------------------------------------------------------------------------
// Create and Update

describe('Create and Update: the live state', () => {
  test('an empty table: the template\'s image on both slots, blue 100 and green 0, recorded in the table', async () => {
    const r = await liveState.handle(event('Create'), clients);
    expect(r).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: `${TABLE}/live-state`,
      StackId: STACK,
      RequestId: expect.any(String),
      LogicalResourceId: 'UsersCanaryLiveState',
      Data: { BlueImage: INITIAL, GreenImage: INITIAL, BlueWeight: '100', GreenWeight: '0', LiveSlot: 'blue' },
    });
    expect(gets().map((c) => c.args[0].input)).toEqual([{ TableName: TABLE, Key: { pk: S('service') }, ConsistentRead: true }]);
    expect(updates()).toHaveLength(1);
    expect(updates()[0].args[0].input).toMatchObject({ TableName: TABLE, Key: { pk: S('service') }, ReturnValues: 'ALL_NEW' });
    expect(table.service()).toEqual({
      pk: S('service'), liveSlot: S('blue'), blueImage: S(INITIAL), greenImage: S(INITIAL), blueWeight: N(100), greenWeight: N(0),
    });
  });

  test('every attribute the UpdateItem sets is set only if it does not exist (a rollout\'s write wins)', async () => {
    await liveState.handle(event('Create'), clients);
    const input = updates()[0].args[0].input;
    const actions = input.UpdateExpression!.replace(/^SET\s+/, '').split(/,\s*(?![^(]*\))/);
    expect(actions.length).toBeGreaterThan(0);
    for (const action of actions) expect(action).toMatch(/^(\w+) = if_not_exists\(\1, :\w+\)$/);
    expect(input.ConditionExpression).toBeUndefined();
    expect(input.ExpressionAttributeNames).toBeUndefined();
  });

  test('a table of an earlier version (liveSlot green and liveImage, no weights): green 100 with liveImage, blue 0 with the template\'s image', async () => {
    table.put({ liveSlot: S('green'), liveImage: S(V2), lastRollout: S('r-7'), lastStatus: S('SUCCEEDED') });
    const r = await liveState.handle(event('Create'), clients);
    expect(r).toMatchObject({ Status: 'SUCCESS', Data: { BlueImage: INITIAL, GreenImage: V2, BlueWeight: '0', GreenWeight: '100', LiveSlot: 'green' } });
    const kept = { pk: S('service'), liveSlot: S('green'), liveImage: S(V2), lastRollout: S('r-7'), lastStatus: S('SUCCEEDED') };
    const recorded = { blueImage: S(INITIAL), greenImage: S(V2), blueWeight: N(0), greenWeight: N(100) };
    expect(table.service()).toEqual({ ...kept, ...recorded });
  });

  test('a table of an earlier version with blue live: liveImage is blue\'s image, green gets the template\'s', async () => {
    table.put({ liveSlot: S('blue'), liveImage: S(V1) });
    const r = await liveState.handle(event('Create'), clients);
    expect(r.Data).toEqual({ BlueImage: V1, GreenImage: INITIAL, BlueWeight: '100', GreenWeight: '0', LiveSlot: 'blue' });
  });

  test('a table with a lock taken by an earlier version and nothing else: the lock\'s liveSlot is blue', async () => {
    // TakeLock writes liveSlot = if_not_exists(liveSlot, blue); a stale lock is ignored.
    table.put({ ...lock(MAX_SECONDS + 3600), liveSlot: S('blue') });
    const r = await liveState.handle(event('Create'), clients);
    expect(r.Data).toEqual({ BlueImage: INITIAL, GreenImage: INITIAL, BlueWeight: '100', GreenWeight: '0', LiveSlot: 'blue' });
  });

  test.each<[string, Item, Json]>([
    ['promoted to green', AFTER_ROLLOUT, { BlueImage: V1, GreenImage: V2, BlueWeight: '0', GreenWeight: '100', LiveSlot: 'green' }],
    ['rolled back to blue', { ...AFTER_ROLLOUT, liveSlot: S('blue'), liveImage: S(V1), blueWeight: N(100), greenWeight: N(0) },
      { BlueImage: V1, GreenImage: V2, BlueWeight: '100', GreenWeight: '0', LiveSlot: 'blue' }],
    // At rest (no lock) the weights are the live slot's 100 and the other's 0, whatever was
    // recorded (a rollback whose record failed leaves the last step's weights behind).
    ['weights recorded by a rollback whose record failed (25/75)', { ...AFTER_ROLLOUT, liveSlot: S('blue'), blueWeight: N(75), greenWeight: N(25) },
      { BlueImage: V1, GreenImage: V2, BlueWeight: '100', GreenWeight: '0', LiveSlot: 'blue' }],
    ['both weights recorded 0', { ...AFTER_ROLLOUT, blueWeight: N(0), greenWeight: N(0) },
      { BlueImage: V1, GreenImage: V2, BlueWeight: '0', GreenWeight: '100', LiveSlot: 'green' }],
    ['liveImage differing from the slot\'s own image (the slot\'s image wins)', { ...AFTER_ROLLOUT, liveImage: S('old') },
      { BlueImage: V1, GreenImage: V2, BlueWeight: '0', GreenWeight: '100', LiveSlot: 'green' }],
  ])('after a rollout (%s): the values of the item, nothing overwritten', async (_what, item, data) => {
    table.put(item);
    const before = table.service();
    const r = await liveState.handle(event('Create'), clients);
    expect(r).toMatchObject({ Status: 'SUCCESS', Data: data });
    expect(table.service()).toEqual(before);
    expect(updates()).toHaveLength(1);
  });

  test('some attributes missing: only those are recorded, the others kept', async () => {
    table.put({ liveSlot: S('green'), liveImage: S(V2), greenWeight: N(30) });
    const r = await liveState.handle(event('Create'), clients);
    // blue is not live: its weight 0; green is live: 100 (at rest; the item's 30 is kept as it is)
    expect(r.Data).toEqual({ BlueImage: INITIAL, GreenImage: V2, BlueWeight: '0', GreenWeight: '100', LiveSlot: 'green' });
    expect(table.service()).toMatchObject({ greenWeight: N(30), blueWeight: N(0), liveImage: S(V2) });
  });

  test('a lock a rollout left when it ended (older than its timeout): the weights it last recorded, which Route 53 still has', async () => {
    table.put({ ...AFTER_ROLLOUT, ...lock(MAX_SECONDS + 3600), liveSlot: S('blue'), blueWeight: N(75), greenWeight: N(25) });
    const r = await liveState.handle(event('Update'), clients);
    expect(r).toMatchObject({ Status: 'SUCCESS', Data: { BlueWeight: '75', GreenWeight: '25', LiveSlot: 'blue' } });
  });

  test('an Update with another InitialImage (a new image in the template) keeps the images the table holds', async () => {
    table.put(AFTER_ROLLOUT);
    const r = await liveState.handle(update(props(), props({ InitialImage: `${INITIAL}-new` })), clients);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${TABLE}/live-state`, Data: { BlueImage: V1, GreenImage: V2 } });
    expect(table.service()).toEqual({ pk: S('service'), ...AFTER_ROLLOUT });
  });

  test('an Update reads again: what a rollout changed since the Create is the answer', async () => {
    const created = await liveState.handle(event('Create'), clients);
    expect(created.Data).toMatchObject({ LiveSlot: 'blue', BlueWeight: '100' });
    table.put({ ...table.service(), liveSlot: S('green'), liveImage: S(V2), greenImage: S(V2), blueWeight: N(0), greenWeight: N(100) });
    const changed = props({ Slots: { Blue: { TaskDefinition: { Cpu: '512', Memory: '1024' } } } });
    const r = await liveState.handle(update(props(), changed, { PhysicalResourceId: created.PhysicalResourceId }), clients);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.PhysicalResourceId, Data: { BlueImage: INITIAL, GreenImage: V2, BlueWeight: '0', GreenWeight: '100', LiveSlot: 'green' } });
  });

  test('an Update of the same table keeps the old physical id', async () => {
    const r = await liveState.handle(update(props(), props({ CanaryName: 'Shop/People/Canary' }), { PhysicalResourceId: 'an-older-id' }), clients);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'an-older-id' });
  });

  test('an Update to another table: the new table is read, and the physical id is the new one', async () => {
    table = new DynamoFake(answers, 'Shop-OtherTable');
    dynamoMock.reset();
    table.install(dynamoMock);
    const r = await liveState.handle(update(props(), props({ TableName: 'Shop-OtherTable' })), clients);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'Shop-OtherTable/live-state' });
    expect(gets()[0].args[0].input.TableName).toBe('Shop-OtherTable');
  });

  test('MaximumRolloutSeconds as a number is taken too', async () => {
    const r = await liveState.handle(event('Create', props({ MaximumRolloutSeconds: 7200 })), clients);
    expect(r.Status).toBe('SUCCESS');
  });

  test('every value of Data is a string (weights as decimal strings)', async () => {
    table.put(AFTER_ROLLOUT);
    const r = await liveState.handle(event('Create'), clients);
    expect(Object.keys(r.Data).sort()).toEqual(['BlueImage', 'BlueWeight', 'GreenImage', 'GreenWeight', 'LiveSlot']);
    for (const v of Object.values(r.Data)) expect(typeof v).toBe('string');
    expect(r.Data.BlueWeight).toMatch(/^(0|[1-9]\d*)$/);
  });
});

describe('a write between the GetItem and the UpdateItem', () => {
  test('a rollout\'s values written meanwhile are kept, and they are the answer', async () => {
    // GetItem sees an empty table; a rollout records its promotion before our UpdateItem lands.
    table.beforeNextUpdate = () => table.put({ liveSlot: S('green'), liveImage: S(V2), greenImage: S(V2), blueWeight: N(0), greenWeight: N(100) });
    const r = await liveState.handle(event('Create'), clients);
    expect(r).toMatchObject({ Status: 'SUCCESS', Data: { BlueImage: INITIAL, GreenImage: V2, BlueWeight: '0', GreenWeight: '100', LiveSlot: 'green' } });
    expect(table.service()).toEqual({
      pk: S('service'), liveSlot: S('green'), liveImage: S(V2), greenImage: S(V2), blueWeight: N(0), greenWeight: N(100), blueImage: S(INITIAL),
    });
  });

  test('a rollout that took the lock meanwhile: FAILED, naming it', async () => {
    table.beforeNextUpdate = () => table.put({ ...lock(1), liveSlot: S('blue') });
    const r = await liveState.handle(event('Create'), clients);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toContain('rollout r-42');
    expect(r.Reason).toContain(EXECUTION);
    // What was written is what the table lacked, each only if it did not exist: the lock stays.
    expect(table.service()).toMatchObject(lock(1));
  });
});

// ---------------------------------------------------------------------------------------------
// The lock

describe('a deployment during a rollout', () => {
  test('a fresh lock: FAILED naming the canary, the rollout, the execution and what to do; nothing written', async () => {
    table.put({ ...AFTER_ROLLOUT, ...lock(600) });
    const before = table.service();
    const r = await liveState.handle(event('Create'), clients);
    expect(r.Status).toBe('FAILED');
    expect(r.PhysicalResourceId).not.toBe(`${TABLE}/live-state`);
    expect(r.Data).toEqual({});
    expect(r.Reason).toContain(`Canary ${CANARY}`);
    expect(r.Reason).toContain('rollout r-42');
    expect(r.Reason).toContain(`execution ${EXECUTION}`);
    expect(r.Reason).toContain(`\`npx cdk-microservices rollout watch --canary ${CANARY}\``);
    expect(r.Reason).toContain(`\`npx cdk-microservices rollout abort --canary ${CANARY}\``);
    expect(r.Reason).toContain('if that execution has already ended, this releases its lock');
    expect(r.Reason).toMatch(/then deploy again\.$/);
    expect(updates()).toHaveLength(0);
    expect(table.service()).toEqual(before);
  });

  test('a fresh lock on an Update: FAILED, the physical id kept', async () => {
    table.put({ ...AFTER_ROLLOUT, ...lock(5) });
    const r = await liveState.handle(update(props(), props({ InitialImage: V2 })), clients);
    expect(r).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `${TABLE}/live-state` });
    expect(updates()).toHaveLength(0);
  });

  test.each<[string, number, 'SUCCESS' | 'FAILED']>([
    ['just taken', 0, 'FAILED'],
    ['as old as the state machine\'s timeout', MAX_SECONDS, 'FAILED'],
    ['a millisecond short of the timeout plus a minute', MAX_SECONDS + 60 - 0.001, 'FAILED'],
    ['the timeout plus a minute', MAX_SECONDS + 60, 'SUCCESS'],
    ['a day old', 86400, 'SUCCESS'],
    ['taken in the future (clocks apart)', -30, 'FAILED'],
  ])('a lock %s: %s', async (_what, ago, status) => {
    table.put({ ...AFTER_ROLLOUT, ...lock(ago) });
    const before = table.service();
    const r = await liveState.handle(event('Create'), clients);
    expect(r.Status).toBe(status);
    if (status === 'SUCCESS') {
      expect(r.Data).toEqual({ BlueImage: V1, GreenImage: V2, BlueWeight: '0', GreenWeight: '100', LiveSlot: 'green' });
      // A stale lock is left as it is: the next rollout takes it over.
      expect(table.service()).toEqual(before);
    } else {
      expect(updates()).toHaveLength(0);
    }
  });

  test('the limit follows MaximumRolloutSeconds', async () => {
    table.put({ ...AFTER_ROLLOUT, ...lock(200) });
    expect((await liveState.handle(event('Create', props({ MaximumRolloutSeconds: '100' })), clients)).Status).toBe('SUCCESS');
    expect((await liveState.handle(event('Create', props({ MaximumRolloutSeconds: '200' })), clients)).Status).toBe('FAILED');
  });

  test('a lock of an earlier version (no execution recorded): FAILED, saying so', async () => {
    table.put({ liveSlot: S('blue'), lockedBy: S('r-9'), lockedAt: S(new Date(NOW - 1000).toISOString()) });
    const r = await liveState.handle(event('Create'), clients);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toContain('rollout r-9');
    expect(r.Reason).toContain('an execution the lock does not record');
    expect(updates()).toHaveLength(0);
  });

  test('lockedAt as Step Functions writes $$.State.EnteredTime, and with an offset', async () => {
    table.put({ ...lock(0), lockedAt: S('2025-06-01T11:59:00.123Z') });
    expect((await liveState.handle(event('Create'), clients)).Status).toBe('FAILED');
    table.put({ ...lock(0), lockedAt: S('2025-06-01T09:00:00+02:00') }); // 05:00 UTC, 7 hours ago
    expect((await liveState.handle(event('Create'), clients)).Status).toBe('SUCCESS');
  });

  test('a canary name with a space is quoted in the commands', async () => {
    table.put(lock(1));
    const r = await liveState.handle(event('Create', props({ CanaryName: "Shop/Users's Canary" })), clients);
    expect(r.Reason).toContain("rollout watch --canary 'Shop/Users'\\''s Canary'`");
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed input

describe('a malformed item: FAILED naming the attribute, nothing written', () => {
  test.each<[string, Item, RegExp]>([
    ['liveSlot not blue or green', { liveSlot: S('red') }, /attribute liveSlot .* "red", not blue or green/],
    ['liveSlot a number', { liveSlot: N(1) }, /attribute liveSlot .* not a DynamoDB S value/],
    ['blueWeight above 255', { blueWeight: N(256) }, /attribute blueWeight .* 256, not a Route 53 weight/],
    ['greenWeight negative', { greenWeight: N(-1) }, /attribute greenWeight .* -1, not a Route 53 weight/],
    ['greenWeight a fraction', { greenWeight: N('1.5') }, /attribute greenWeight .* 1\.5, not a Route 53 weight/],
    ['blueWeight a string', { blueWeight: S('100') }, /attribute blueWeight .* not a DynamoDB N value/],
    ['greenImage empty', { greenImage: S('') }, /attribute greenImage .* an empty string/],
    ['blueImage a map', { blueImage: { M: {} } }, /attribute blueImage .* not a DynamoDB S value/],
    ['liveImage empty when it is needed', { liveSlot: S('green'), liveImage: S(' ') }, /attribute liveImage .* an empty string/],
    ['lockedAt not a time', lock(0, { lockedAt: S('yesterday') }), /attribute lockedAt .* "yesterday", not an ISO 8601 time/],
    ['lockedAt missing from a lock', { lockedBy: S('r-1') }, /attribute lockedAt .* null, not an ISO 8601 time.*rollout abort --canary Shop\/Users\/Canary/],
    ['lockedBy a number', { lockedBy: N(3) }, /attribute lockedBy .* not a DynamoDB S value/],
  ])('%s', async (_what, item, reason) => {
    table.put(item);
    const r = await liveState.handle(event('Create'), clients);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toMatch(reason);
    expect(r.Reason).toContain(`table ${TABLE}`);
    expect(updates()).toHaveLength(0);
  });

  test('a liveImage that is not needed (the live slot has its own image) is not read', async () => {
    table.put({ ...AFTER_ROLLOUT, liveImage: S('') });
    expect((await liveState.handle(event('Create'), clients)).Status).toBe('SUCCESS');
  });
});

describe('malformed properties: FAILED before any call', () => {
  test.each<[string, Json, RegExp]>([
    ['TableName missing', { TableName: undefined }, /property TableName is missing/],
    ['TableName not a table name', { TableName: 'my table' }, /property TableName "my table" is not a DynamoDB table name/],
    ['InitialImage empty', { InitialImage: '' }, /property InitialImage is missing/],
    ['InitialImage not a string', { InitialImage: ['x'] }, /property InitialImage must be a string/],
    ['CanaryName missing', { CanaryName: undefined }, /property CanaryName is missing/],
    ['MaximumRolloutSeconds missing', { MaximumRolloutSeconds: undefined }, /property MaximumRolloutSeconds is missing/],
    ['MaximumRolloutSeconds 0', { MaximumRolloutSeconds: '0' }, /property MaximumRolloutSeconds "0" is not a number of seconds/],
    ['MaximumRolloutSeconds negative', { MaximumRolloutSeconds: -5 }, /property MaximumRolloutSeconds -5 is not a number of seconds/],
    ['MaximumRolloutSeconds not a number', { MaximumRolloutSeconds: 'an hour' }, /property MaximumRolloutSeconds "an hour" is not a number of seconds/],
  ])('%s', async (_what, more, reason) => {
    const r = await liveState.handle(event('Create', props(more)), clients);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toMatch(reason);
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  test('an unknown RequestType: FAILED', async () => {
    const r = await liveState.handle({ ...event('Create'), RequestType: 'Replace' }, clients);
    expect(r).toMatchObject({ Status: 'FAILED', Reason: 'RequestType "Replace" is not Create, Update or Delete' });
    expect(dynamoMock.calls()).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Delete and errors

describe('Delete', () => {
  test('SUCCESS, nothing touched (the table is retained, its item is the history)', async () => {
    table.put({ ...AFTER_ROLLOUT, ...lock(1) });
    const r = await liveState.handle(event('Delete'), clients);
    expect(r).toEqual({
      Status: 'SUCCESS', PhysicalResourceId: `${TABLE}/live-state`, StackId: STACK, RequestId: expect.any(String), LogicalResourceId: 'UsersCanaryLiveState', Data: {},
    });
    expect(dynamoMock.calls()).toHaveLength(0);
  });

  test('the Delete of a failed Create, even with malformed properties: SUCCESS without a call', async () => {
    table.put(lock(1));
    const failed = await liveState.handle(event('Create'), clients);
    dynamoMock.resetHistory();
    const r = await liveState.handle(event('Delete', props({ TableName: undefined }), { PhysicalResourceId: failed.PhysicalResourceId }), clients);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: failed.PhysicalResourceId });
    expect(dynamoMock.calls()).toHaveLength(0);
  });
});

describe('DynamoDB errors answer FAILED', () => {
  test('the table does not exist: FAILED naming the table and the error', async () => {
    const r = await liveState.handle(event('Create', props({ TableName: 'Shop-Gone' })), clients);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toBe('reading the item service of table Shop-Gone failed: ResourceNotFoundException: Requested resource not found');
  });

  test('throttled on the GetItem: FAILED, nothing written', async () => {
    table.failWith = new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });
    const r = await liveState.handle(event('Create'), clients);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toContain('ThrottlingException: Rate exceeded');
  });

  test('an error on the UpdateItem: FAILED', async () => {
    const e = new Error('User: arn:aws:sts::111111111111:assumed-role/x is not authorized to perform: dynamodb:UpdateItem');
    e.name = 'AccessDeniedException';
    table.failUpdateWith = e;
    const r = await liveState.handle(event('Update'), clients);
    expect(r).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `${TABLE}/live-state` });
    expect(r.Reason).toMatch(/^recording the live state in the item service of table .* failed: AccessDeniedException: .*dynamodb:UpdateItem$/);
  });

  test('a client that throws something else than an Error: FAILED', async () => {
    const r = await liveState.handle(event('Create'), { dynamodb: { send: () => Promise.reject('socket hang up') } as unknown as DynamoDBClient });
    expect(r).toMatchObject({ Status: 'FAILED' });
    expect(r.Reason).toContain('socket hang up');
  });
});

// ---------------------------------------------------------------------------------------------
// Sending the response

describe('the response sent to CloudFormation', () => {
  beforeEach(() => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('handler: a PUT of the JSON response to ResponseURL, with the fields CloudFormation reads', async () => {
    table.put(AFTER_ROLLOUT);
    await withServer(200, async (url, received) => {
      const e = { ...event('Create'), ResponseURL: url };
      await liveState.handler(e);
      // How it is sent (PUT, headers, length, the 4096-byte limit): test/providers/response.test.ts.
      expect(received).toHaveLength(1);
      expect(Buffer.byteLength(received[0].body)).toBeLessThanOrEqual(4096);
      expect(JSON.parse(received[0].body)).toEqual({
        Status: 'SUCCESS',
        PhysicalResourceId: `${TABLE}/live-state`,
        StackId: STACK,
        RequestId: e.RequestId,
        LogicalResourceId: 'UsersCanaryLiveState',
        Data: { BlueImage: V1, GreenImage: V2, BlueWeight: '0', GreenWeight: '100', LiveSlot: 'green' },
      });
    });
  });

  test('handler: a refusal is sent as FAILED with its Reason', async () => {
    // The handler reads the real clock.
    table.put({ ...AFTER_ROLLOUT, ...lock(1), lockedAt: S(new Date().toISOString()) });
    await withServer(200, async (url, received) => {
      await liveState.handler({ ...event('Create'), ResponseURL: url });
      const body = JSON.parse(received[0].body);
      expect(Object.keys(body).sort()).toEqual(['Data', 'LogicalResourceId', 'PhysicalResourceId', 'Reason', 'RequestId', 'StackId', 'Status']);
      expect(body.Status).toBe('FAILED');
      expect(body.Reason).toContain('rollout r-42');
      expect(typeof body.PhysicalResourceId).toBe('string');
    });
  });

  test('handler: a DynamoDB error is sent as FAILED, the handler does not throw', async () => {
    table.failWith = new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: {} });
    await withServer(200, async (url, received) => {
      const r = await liveState.handler({ ...event('Create'), ResponseURL: url });
      expect(r.Status).toBe('FAILED');
      expect(JSON.parse(received[0].body)).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('ResourceNotFoundException') });
    });
  });

  test('handler: Delete answers SUCCESS without a call', async () => {
    await withServer(200, async (url, received) => {
      await liveState.handler({ ...event('Delete'), ResponseURL: url });
      expect(JSON.parse(received[0].body)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${TABLE}/live-state`, Data: {} });
      expect(dynamoMock.calls()).toHaveLength(0);
    });
  });

  test('the longest Reason the handler writes (long names) is sent whole', async () => {
    const canary = `Shop/${'Users'.repeat(40)}/Canary`;
    table.put({ ...lock(1), lockedAt: S(new Date().toISOString()), lockedBy: S('r'.repeat(80)), lockedByExecution: S(`${EXECUTION}${'x'.repeat(60)}`) });
    await withServer(200, async (url, received) => {
      const r = await liveState.handler({ ...event('Create', props({ CanaryName: canary })), ResponseURL: url });
      expect(Buffer.byteLength(received[0].body)).toBeLessThanOrEqual(4096);
      expect(JSON.parse(received[0].body).Reason).toBe(r.Reason);
      expect(r.Reason).toMatch(/then deploy again\.$/);
    });
  });

  test('images too long for a 4096-byte response: FAILED saying so (not a truncated SUCCESS)', async () => {
    table.put({ ...AFTER_ROLLOUT, blueImage: S(`${V1}-${'b'.repeat(2000)}`), greenImage: S(`${V2}-${'g'.repeat(2000)}`) });
    await withServer(200, async (url, received) => {
      await liveState.handler({ ...event('Create'), ResponseURL: url });
      expect(Buffer.byteLength(received[0].body)).toBeLessThanOrEqual(4096);
      const body = JSON.parse(received[0].body);
      expect(body.Status).toBe('FAILED');
      expect(body.Reason).toMatch(/more than the 4096 CloudFormation takes: the images are \d+ and \d+ characters long/);
    });
  });

});

// ---------------------------------------------------------------------------------------------
// Every command sent above against the DynamoDB API model

/**
 * Constraints the DynamoDB API reference states and the v2 `.min.json` model leaves out
 * (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html,
 * API_GetItem.html): TableName 1-1024 (a name or an ARN; a name is 3-255), UpdateExpression up
 * to 4 KB, ExpressionAttributeValues placeholders start with ':'.
 */
function limitProblems(op: string, input: Json): string[] {
  const problems: string[] = [];
  if (typeof input.TableName !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(input.TableName)) problems.push(`${op}: TableName ${input.TableName}`);
  if (input.UpdateExpression !== undefined && Buffer.byteLength(input.UpdateExpression) > 4096) problems.push(`${op}: UpdateExpression over 4 KB`);
  for (const k of Object.keys(input.ExpressionAttributeValues ?? {})) if (!/^:[A-Za-z0-9_]+$/.test(k)) problems.push(`${op}: placeholder ${k}`);
  return problems;
}

test('every DynamoDB command the handler sent in this file matches the DynamoDB API model', () => {
  sent.push(...dynamoMock.calls().map((c) => c.args[0]));
  const names = new Set(sent.map((c) => c.constructor.name));
  // The function's role may call these two and nothing else.
  expect([...names].sort()).toEqual(['GetItemCommand', 'UpdateItemCommand']);
  expect(sentCommandProblems('dynamodb', sent, 'live state')).toEqual([]);
  expect(sent.flatMap((command) => limitProblems(commandOperation(command), command.input))).toEqual([]);
  expect(sent.length).toBeGreaterThan(40);
});

test('every answer and error of the DynamoDB stand-in matches the model (output shapes, modeled errors)', () => {
  // AccessDeniedException: the common AWS error the UpdateItem error test raises.
  expect(standInProblems('dynamodb', answers, ['AccessDeniedException'])).toEqual([]);
  expect(new Set(answers.map((a) => a.error).filter((e) => e))).toEqual(new Set(['ResourceNotFoundException', 'ThrottlingException', 'AccessDeniedException']));
  expect(answers.some((a) => a.op === 'UpdateItem' && a.answer?.Attributes)).toBe(true);
});

test('the checks can fail: a wrong call, an unused placeholder', async () => {
  expect(checkCall({ kind: 'api', service: 'dynamodb', action: 'UpdateItem', params: { TableName: TABLE, Key: { pk: { S: 'service' } }, ReturnValues: 'NEW', ConsistentRead: true }, where: 'bad' }))
    .toEqual([
      expect.stringContaining('"NEW" is not a value of ReturnValue'),
      expect.stringContaining('ConsistentRead is not a member'),
    ]);
  // The stand-in refuses what DynamoDB refuses (and records it, which afterEach would report: cleared here).
  await expect(dynamodb.send(new UpdateItemCommand({
    TableName: TABLE, Key: { pk: { S: 'service' } }, UpdateExpression: 'SET a = if_not_exists(a, :a)', ExpressionAttributeValues: { ':a': { S: 'x' }, ':b': { S: 'y' } },
  }))).rejects.toThrow('Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}');
  await expect(dynamodb.send(new UpdateItemCommand({
    TableName: TABLE, Key: { pk: { S: 'service' } }, UpdateExpression: 'SET a = if_not_exists(a, :c)', ExpressionAttributeValues: { ':c': { S: 'x' }, ':d': { N: 'ten' } },
  }))).rejects.toThrow('ExpressionAttributeValues :d: N "ten" is not a number string');
  await expect(dynamodb.send(new UpdateItemCommand({
    TableName: TABLE, Key: { pk: { S: 'service' } }, UpdateExpression: 'SET name = if_not_exists(name, :c)', ExpressionAttributeValues: { ':c': { S: 'x' } },
  }))).rejects.toThrow('attribute name name is a reserved word');
  expect(table.violations).toHaveLength(3);
  table.violations.length = 0;
});
