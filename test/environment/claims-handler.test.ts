import {
  DeleteParameterCommand,
  GetParametersByPathCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { withServer } from '../response-server';
import { SsmAnswer, SsmFake } from './ssm-fake';
import { Json, checkCall, commandOperation, sentCommandProblems, standInProblems } from '../contract/aws-models';

/**
 * The claim provider's handler (assets/providers/claims.js), run against an in-memory Parameter
 * Store that behaves as SSM documents it (./ssm-fake.ts): PutParameter with Overwrite false
 * refuses an existing name with ParameterAlreadyExists, GetParameter and DeleteParameter answer
 * ParameterNotFound, GetParametersByPath pages by at most MaxResults with a NextToken. Every
 * command sent in this file is checked against the SSM API model at the end.
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
interface ClaimsModule {
  handle(event: Json, ssm: SSMClient): Promise<Response>;
  handler(event: Json): Promise<Response>;
  sendResponse(url: string, response: Json): Promise<number>;
  patternsIntersect(a: string, b: string): boolean;
  rulesOverlap(a: { hosts: string[]; paths: string[] }, b: { hosts: string[]; paths: string[] }): boolean;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const claims = require('../../assets/providers/claims.js') as ClaimsModule;

const STACK_A = 'arn:aws:cloudformation:us-east-1:111111111111:stack/TeamA/11111111-aaaa-4aaa-8aaa-111111111111';
const STACK_B = 'arn:aws:cloudformation:us-east-1:111111111111:stack/TeamB/22222222-bbbb-4bbb-8bbb-222222222222';
const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/Shared/50dc6c495c0c9188/f2f7dc8efc522ab2';
const OTHER_LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/Other/60dc6c495c0c9188/a2f7dc8efc522ab2';
const PREFIX = '/cdk-microservices/prod/claims/listener-priority';

const ssmMock = mockClient(SSMClient);
const sent: Json[] = [];
const answers: SsmAnswer[] = [];
let store: SsmFake;
const ssm = new SSMClient({ region: 'us-east-1' });

beforeEach(() => {
  sent.push(...ssmMock.calls().map((c) => c.args[0]));
  ssmMock.reset();
  store = new SsmFake(answers);
  store.install(ssmMock);
});

afterAll(() => {
  ssmMock.restore();
});

let requests = 0;
function event(type: 'Create' | 'Update' | 'Delete', props: Json, more: Json = {}): Json {
  requests++;
  return {
    RequestType: type,
    ResponseURL: 'http://127.0.0.1:1/unused',
    StackId: STACK_A,
    RequestId: `req-${requests}`,
    ResourceType: 'AWS::CloudFormation::CustomResource',
    LogicalResourceId: 'UsersRoutePriority',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:claims', ...props },
    ...more,
  };
}

function listener(more: Json = {}): Json {
  return { Kind: 'ListenerPriority', EnvironmentName: 'prod', ListenerArn: LISTENER, Owner: 'TeamA/Users', Hosts: ['users.example.com'], Paths: [], ...more };
}

function serviceName(more: Json = {}): Json {
  return { Kind: 'ServiceName', EnvironmentName: 'prod', NamespaceId: 'ns-abc123', Name: 'users', Owner: 'TeamA/Users', ...more };
}

/** A claim held by another team's stack. */
function foreign(name: string, more: Json = {}): void {
  store.params.set(name, JSON.stringify({
    owner: 'TeamB/Orders', stackId: STACK_B, logicalResourceId: 'OrdersRoutePriority', listenerArn: LISTENER, hosts: ['orders.example.com'], paths: [], ...more,
  }));
}

function value(name: string): Json {
  return JSON.parse(store.params.get(name)!);
}

describe('ListenerPriority: Create', () => {
  test('with Priority: the parameter is created with Overwrite false, the priority is the answer', async () => {
    const r = await claims.handle(event('Create', listener({ Priority: '12' })), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${PREFIX}/12`, Data: { Priority: 12 }, StackId: STACK_A, LogicalResourceId: 'UsersRoutePriority' });
    expect(value(`${PREFIX}/12`)).toMatchObject({ owner: 'TeamA/Users', stackId: STACK_A, logicalResourceId: 'UsersRoutePriority', listenerArn: LISTENER, hosts: ['users.example.com'], paths: [] });
    const puts = ssmMock.commandCalls(PutParameterCommand).map((c) => c.args[0].input);
    expect(puts).toEqual([expect.objectContaining({ Name: `${PREFIX}/12`, Overwrite: false, Type: 'String', Tier: 'Standard' })]);
  });

  test('without Priority: the lowest number no claim holds, from 1', async () => {
    foreign(`${PREFIX}/1`);
    foreign(`${PREFIX}/2`, { hosts: ['a.example.com'] });
    foreign(`${PREFIX}/4`, { hosts: ['b.example.com'] });
    const r = await claims.handle(event('Create', listener()), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${PREFIX}/3`, Data: { Priority: 3 } });
  });

  test('without Priority: the listing is paged (MaxResults 10, NextToken) so claims past the first page count', async () => {
    for (let n = 1; n <= 23; n++) foreign(`${PREFIX}/${n}`, { hosts: [`h${n}.example.com`] });
    const r = await claims.handle(event('Create', listener()), ssm);
    expect(r.Data).toEqual({ Priority: 24 });
    const lists = ssmMock.commandCalls(GetParametersByPathCommand).map((c) => c.args[0].input);
    // Listed before the put and again after it (another app's overlapping rule may land between).
    const listing = [
      { Path: PREFIX, Recursive: false, MaxResults: 10 },
      { Path: PREFIX, Recursive: false, MaxResults: 10, NextToken: '10' },
      { Path: PREFIX, Recursive: false, MaxResults: 10, NextToken: '20' },
    ];
    expect(lists).toEqual([...listing, ...listing]);
  });

  test('without Priority, FirstPriority: the lowest free number from there (the environment\'s own app keeps the range below)', async () => {
    foreign(`${PREFIX}/10000`, { hosts: ['a.example.com'] });
    foreign(`${PREFIX}/3`, { hosts: ['b.example.com'] });
    const r = await claims.handle(event('Create', listener({ FirstPriority: '10000' })), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${PREFIX}/10001`, Data: { Priority: 10001 } });
  });

  test('a race: another deployment takes the free number first, the next one is claimed', async () => {
    store.stolen.set(`${PREFIX}/1`, JSON.stringify({ owner: 'TeamC/Carts', stackId: 'x', logicalResourceId: 'y', listenerArn: LISTENER, hosts: ['carts.example.com'], paths: [] }));
    store.stolen.set(`${PREFIX}/2`, JSON.stringify({ owner: 'TeamD/Pay', stackId: 'x', logicalResourceId: 'z', listenerArn: LISTENER, hosts: ['pay.example.com'], paths: [] }));
    const r = await claims.handle(event('Create', listener()), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', Data: { Priority: 3 } });
    expect(ssmMock.commandCalls(PutParameterCommand).map((c) => c.args[0].input.Name)).toEqual([`${PREFIX}/1`, `${PREFIX}/2`, `${PREFIX}/3`]);
  });

  test('a race lost ten times in a row fails with a clear reason', async () => {
    for (let n = 1; n <= 10; n++) store.stolen.set(`${PREFIX}/${n}`, JSON.stringify({ owner: `T${n}`, stackId: 's', logicalResourceId: 'l', listenerArn: OTHER_LISTENER }));
    const r = await claims.handle(event('Create', listener()), ssm);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toMatch(/10 free listener rule priorities were taken by other deployments .*deploy again/);
    expect(r.PhysicalResourceId).not.toMatch(/^\/cdk-microservices\//);
  });

  test('the same owner again (a retried Create): success, no second claim', async () => {
    const e = event('Create', listener({ Priority: '7' }));
    await claims.handle(e, ssm);
    const again = await claims.handle({ ...e }, ssm);
    expect(again).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${PREFIX}/7`, Data: { Priority: 7 } });
    const free = event('Create', listener({ Owner: 'TeamA/Users' }), { LogicalResourceId: 'Other' });
    const first = await claims.handle(free, ssm);
    const retried = await claims.handle({ ...free }, ssm);
    expect(retried.PhysicalResourceId).toBe(first.PhysicalResourceId);
    expect([...store.params.keys()].sort()).toEqual([`${PREFIX}/1`, `${PREFIX}/7`]);
  });

  test('another owner\'s priority: FAILED, the reason names both owners, the priority and the fix', async () => {
    foreign(`${PREFIX}/12`);
    const r = await claims.handle(event('Create', listener({ Priority: '12' })), ssm);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toContain('priority 12');
    expect(r.Reason).toContain('TeamB/Orders');
    expect(r.Reason).toContain(STACK_B);
    expect(r.Reason).toContain('TeamA/Users');
    expect(r.Reason).toContain('Remove `routePriority`');
    expect(r.Reason).toContain(`aws ssm get-parameter --name ${PREFIX}/12`);
    expect(value(`${PREFIX}/12`).owner).toBe('TeamB/Orders');
  });

  test.each([
    ['0'], ['50001'], ['1.5'], ['-3'], ['twelve'],
  ])('Priority %s is refused', async (priority) => {
    const r = await claims.handle(event('Create', listener({ Priority: priority })), ssm);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toContain('from 1 to 50000');
    expect(ssmMock.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  test('a value over 4096 bytes (too many hosts and paths) is refused before anything is written', async () => {
    const hosts = Array.from({ length: 60 }, (_, i) => `host-${i}-with-a-long-name.example.com`);
    const paths = Array.from({ length: 60 }, (_, i) => `/path-${i}/with/a/long/prefix/*`);
    const r = await claims.handle(event('Create', listener({ Hosts: hosts, Paths: paths })), ssm);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toMatch(/more than the 4096 a standard SSM parameter holds/);
    expect(ssmMock.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  test.each([
    ['missing Owner', { Owner: undefined }, /Owner is missing/],
    ['an unknown Kind', { Kind: 'Port' }, /Kind "Port" is not one of/],
    ['an environment name SSM cannot hold', { EnvironmentName: 'prod env' }, /EnvironmentName "prod env" cannot be part of a parameter name/],
    ['Hosts that is not a list', { Hosts: 'a.example.com' }, /Hosts must be a list/],
  ])('%s is refused', async (_what, more, reason) => {
    const r = await claims.handle(event('Create', listener(more)), ssm);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toMatch(reason);
  });
});

describe('ListenerPriority: overlapping conditions', () => {
  const overlapping: Array<[string, Json, Json]> = [
    ['the same host', { hosts: ['users.example.com'] }, { Hosts: ['users.example.com'] }],
    ['hosts differing in case only', { hosts: ['Users.Example.COM'] }, { Hosts: ['users.example.com'] }],
    ['a wildcard host covering the other', { hosts: ['*.example.com'] }, { Hosts: ['users.example.com'] }],
    ['two wildcards with a common host', { hosts: ['api.*'] }, { Hosts: ['*.example.com'] }],
    ['a ? wildcard', { hosts: ['user?.example.com'] }, { Hosts: ['users.example.com'] }],
    ['one rule without a host condition', { hosts: [] }, { Hosts: ['users.example.com'] }],
    ['no condition at all on the other rule', { hosts: [], paths: [] }, { Hosts: [], Paths: ['/users/*'] }],
    ['same host, overlapping paths', { hosts: ['users.example.com'], paths: ['/api/*'] }, { Paths: ['/api/users*'] }],
    ['same host, one rule without a path condition', { hosts: ['users.example.com'], paths: [] }, { Paths: ['/users/*'] }],
    ['a rule of another group', { hosts: ['users.example.com'], group: 'app of TeamB' }, { Group: 'app of TeamA' }],
    ['one host of several in common', { hosts: ['a.example.com', 'users.example.com'] }, { Hosts: ['b.example.com', 'users.example.com'] }],
  ];
  test.each(overlapping)('%s: FAILED naming both owners, both conditions and the fix', async (_what, theirs, ours) => {
    foreign(`${PREFIX}/3`, theirs);
    const r = await claims.handle(event('Create', listener(ours)), ssm);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toContain('TeamA/Users');
    expect(r.Reason).toContain('TeamB/Orders');
    expect(r.Reason).toMatch(/overlaps the rule of/);
    expect(r.Reason).toMatch(/\(.*(hosts|any host).*\).*\(.*(hosts|any host).*\)/);
    expect(r.Reason).toContain('distinct host names or path prefixes');
    expect(ssmMock.commandCalls(PutParameterCommand)).toHaveLength(0);
  });

  const apart: Array<[string, Json, Json]> = [
    ['different hosts', { hosts: ['orders.example.com'] }, { Hosts: ['users.example.com'] }],
    ['a wildcard that cannot match', { hosts: ['*.example.org'] }, { Hosts: ['users.example.com'] }],
    ['? needs exactly one character', { hosts: ['users?.example.com'] }, { Hosts: ['users.example.com'] }],
    ['same host, disjoint paths', { hosts: ['users.example.com'], paths: ['/orders/*'] }, { Paths: ['/users/*'] }],
    ['paths differing in case (paths are case-sensitive)', { hosts: ['users.example.com'], paths: ['/Users/*'] }, { Paths: ['/users/*'] }],
    ['the other rule is on another listener', { hosts: ['users.example.com'], listenerArn: OTHER_LISTENER }, {}],
    ['the same owner\'s other rule', { hosts: ['users.example.com'], owner: 'TeamA/Users' }, {}],
    ['a rule of the same group (app)', { hosts: ['users.example.com'], group: 'app of TeamA' }, { Group: 'app of TeamA' }],
  ];
  test.each(apart)('%s: no overlap, claimed', async (_what, theirs, ours) => {
    foreign(`${PREFIX}/1`, theirs);
    const r = await claims.handle(event('Create', listener(ours)), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', Data: { Priority: 2 } });
  });

  test.each([
    ['a*', '*b', true], ['a?c', 'abc', true], ['a?c', 'ac', false], ['/api/*', '/web/*', false],
    ['/api*', '/ap?x', true], ['*', '', true], ['?', '', false], ['a*b*c', '*x*', true], ['a*b', 'ba', false],
    ['*a', '*b', false], ['*a*', '*b*', true], ['??', '*', true], ['abc', 'abc', true], ['ab', 'abc', false],
  ])('glob intersection %s / %s: %s (both orders)', (a, b, expected) => {
    expect(claims.patternsIntersect(a, b)).toBe(expected);
    expect(claims.patternsIntersect(b, a)).toBe(expected);
  });

  test('glob intersection agrees with brute force over short strings', () => {
    const alphabet = ['a', 'b'];
    const strings: string[] = [''];
    for (let len = 1; len <= 5; len++) for (const s of strings.filter((x) => x.length === len - 1)) for (const c of alphabet) strings.push(s + c);
    const patterns: string[] = [''];
    for (let len = 1; len <= 3; len++) for (const p of patterns.filter((x) => x.length === len - 1)) for (const c of ['a', 'b', '*', '?']) patterns.push(p + c);
    const toRegex = (p: string) => new RegExp(`^${p.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    for (const a of patterns) {
      for (const b of patterns) {
        const [ra, rb] = [toRegex(a), toRegex(b)];
        // Patterns of at most 3 symbols with stars: a common string, if any, has at most 5 characters.
        const brute = strings.some((s) => ra.test(s) && rb.test(s));
        if (claims.patternsIntersect(a, b) !== brute) throw new Error(`${a} / ${b}: brute force says ${brute}`);
      }
    }
  });
});

describe('ListenerPriority: Update', () => {
  test('hosts changed: in place, same physical id and priority, value overwritten after checking the holder', async () => {
    const created = await claims.handle(event('Create', listener()), ssm);
    ssmMock.resetHistory();
    const r = await claims.handle(event('Update', listener({ Hosts: ['people.example.com'] }), {
      PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: listener(),
    }), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${PREFIX}/1`, Data: { Priority: 1 } });
    expect(value(`${PREFIX}/1`).hosts).toEqual(['people.example.com']);
    const order = ssmMock.calls().map((c) => (c.args[0] as Json).constructor.name);
    expect(order).toEqual(['GetParametersByPathCommand', 'GetParameterCommand', 'PutParameterCommand']);
    expect(ssmMock.commandCalls(PutParameterCommand)[0].args[0].input.Overwrite).toBe(true);
  });

  test('in place, the new conditions are checked against other owners (not against itself)', async () => {
    const created = await claims.handle(event('Create', listener()), ssm);
    foreign(`${PREFIX}/5`, { hosts: ['orders.example.com'] });
    const r = await claims.handle(event('Update', listener({ Hosts: ['orders.example.com'] }), {
      PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: listener(),
    }), ssm);
    expect(r.Status).toBe('FAILED');
    expect(r.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(value(`${PREFIX}/1`).hosts).toEqual(['users.example.com']);
  });

  test('requested priority changed: a new claim and a new physical id (CloudFormation then deletes the old one)', async () => {
    const created = await claims.handle(event('Create', listener({ Priority: '5' })), ssm);
    const r = await claims.handle(event('Update', listener({ Priority: '6' }), {
      PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: listener({ Priority: '5' }),
    }), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${PREFIX}/6`, Data: { Priority: 6 } });
    const del = await claims.handle(event('Delete', listener({ Priority: '5' }), { PhysicalResourceId: `${PREFIX}/5` }), ssm);
    expect(del.Status).toBe('SUCCESS');
    expect([...store.params.keys()]).toEqual([`${PREFIX}/6`]);
  });

  test('priority removed: a free number other than the old one (the old one is still held until deleted)', async () => {
    const created = await claims.handle(event('Create', listener({ Priority: '1' })), ssm);
    const r = await claims.handle(event('Update', listener(), { PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: listener({ Priority: '1' }) }), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `${PREFIX}/2`, Data: { Priority: 2 } });
  });

  test('environment changed: a claim under the new environment', async () => {
    const created = await claims.handle(event('Create', listener()), ssm);
    const r = await claims.handle(event('Update', listener({ EnvironmentName: 'staging' }), { PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: listener() }), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: '/cdk-microservices/staging/claims/listener-priority/1' });
  });

  test('in place, but the parameter is now another owner\'s: FAILED, the old physical id kept', async () => {
    foreign(`${PREFIX}/4`);
    const r = await claims.handle(event('Update', listener({ Hosts: ['people.example.com'] }), { PhysicalResourceId: `${PREFIX}/4`, OldResourceProperties: listener() }), ssm);
    expect(r).toMatchObject({ Status: 'FAILED', PhysicalResourceId: `${PREFIX}/4` });
    expect(r.Reason).toContain('TeamB/Orders');
    expect(value(`${PREFIX}/4`).owner).toBe('TeamB/Orders');
  });
});

describe('ServiceName', () => {
  const NAME = '/cdk-microservices/prod/claims/service-name/users';

  test('Create: the name is claimed, Data.Name answers', async () => {
    const r = await claims.handle(event('Create', serviceName()), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: NAME, Data: { Name: 'users' } });
    expect(value(NAME)).toMatchObject({ owner: 'TeamA/Users', namespaceId: 'ns-abc123', name: 'users', stackId: STACK_A });
  });

  test('the same owner again: success', async () => {
    const e = event('Create', serviceName());
    await claims.handle(e, ssm);
    expect(await claims.handle({ ...e }, ssm)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: NAME });
  });

  test('another owner\'s name: FAILED naming both owners and the fix', async () => {
    store.params.set(NAME, JSON.stringify({ owner: 'TeamB/Users', stackId: STACK_B, logicalResourceId: 'UsersName', name: 'users' }));
    const r = await claims.handle(event('Create', serviceName()), ssm);
    expect(r.Status).toBe('FAILED');
    expect(r.Reason).toContain('TeamB/Users');
    expect(r.Reason).toContain('TeamA/Users');
    expect(r.Reason).toContain('another `serviceName`');
    expect(r.Reason).toContain(`aws ssm get-parameter --name ${NAME}`);
  });

  test('Update with another Name: a new claim; with the same Name: in place', async () => {
    const created = await claims.handle(event('Create', serviceName()), ssm);
    const renamed = await claims.handle(event('Update', serviceName({ Name: 'people' }), { PhysicalResourceId: created.PhysicalResourceId, OldResourceProperties: serviceName() }), ssm);
    expect(renamed).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: '/cdk-microservices/prod/claims/service-name/people', Data: { Name: 'people' } });
    const moved = await claims.handle(event('Update', serviceName({ Name: 'people', NamespaceId: 'ns-new' }), {
      PhysicalResourceId: renamed.PhysicalResourceId, OldResourceProperties: serviceName({ Name: 'people' }),
    }), ssm);
    expect(moved).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: renamed.PhysicalResourceId, Data: { Name: 'people' } });
    expect(value('/cdk-microservices/prod/claims/service-name/people').namespaceId).toBe('ns-new');
  });
});

describe('Delete', () => {
  test('by the owner: the parameter is deleted', async () => {
    const created = await claims.handle(event('Create', listener()), ssm);
    const r = await claims.handle(event('Delete', listener(), { PhysicalResourceId: created.PhysicalResourceId }), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: created.PhysicalResourceId });
    expect(store.params.size).toBe(0);
  });

  test('not the owner: success, the other owner\'s claim stays', async () => {
    foreign(`${PREFIX}/9`);
    const r = await claims.handle(event('Delete', listener(), { PhysicalResourceId: `${PREFIX}/9` }), ssm);
    expect(r.Status).toBe('SUCCESS');
    expect(store.params.has(`${PREFIX}/9`)).toBe(true);
    expect(ssmMock.commandCalls(DeleteParameterCommand)).toHaveLength(0);
  });

  test('not found: success', async () => {
    const r = await claims.handle(event('Delete', listener(), { PhysicalResourceId: `${PREFIX}/9` }), ssm);
    expect(r.Status).toBe('SUCCESS');
  });

  test('the Delete of a failed Create: success without any SSM call', async () => {
    foreign(`${PREFIX}/12`);
    const failed = await claims.handle(event('Create', listener({ Priority: '12' })), ssm);
    ssmMock.resetHistory();
    const r = await claims.handle(event('Delete', listener({ Priority: '12' }), { PhysicalResourceId: failed.PhysicalResourceId }), ssm);
    expect(r).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: failed.PhysicalResourceId });
    expect(ssmMock.calls()).toHaveLength(0);
    expect(store.params.has(`${PREFIX}/12`)).toBe(true);
  });
});

describe('errors always answer', () => {
  test('an unexpected SDK error: FAILED with its name and message', async () => {
    const e = new Error('Rate exceeded');
    e.name = 'ThrottlingException';
    store.failWith = e;
    const r = await claims.handle(event('Create', listener()), ssm);
    expect(r).toMatchObject({ Status: 'FAILED', Reason: 'ThrottlingException: Rate exceeded' });
  });

  test('an unknown RequestType: FAILED', async () => {
    const r = await claims.handle({ ...event('Create', listener()), RequestType: 'Replace' }, ssm);
    expect(r.Status).toBe('FAILED');
  });
});

// ---------------------------------------------------------------------------------------------
// Sending the response

describe('the response sent to CloudFormation', () => {
  test('handler: a PUT of the JSON response to ResponseURL, with the fields CloudFormation reads', async () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    await withServer(200, async (url, received) => {
      const e = { ...event('Create', listener({ Priority: '3' })), ResponseURL: url };
      await claims.handler(e);
      // How it is sent (PUT, headers, length): test/providers/response.test.ts.
      expect(received).toHaveLength(1);
      const body = JSON.parse(received[0].body);
      expect(Object.keys(body).sort()).toEqual(['Data', 'LogicalResourceId', 'PhysicalResourceId', 'RequestId', 'StackId', 'Status']);
      expect(body).toEqual({
        Status: 'SUCCESS', PhysicalResourceId: `${PREFIX}/3`, StackId: STACK_A, RequestId: e.RequestId, LogicalResourceId: 'UsersRoutePriority', Data: { Priority: 3 },
      });
    });
    jest.restoreAllMocks();
  });

  test('handler: a failure is sent as FAILED with a Reason', async () => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    foreign(`${PREFIX}/3`);
    await withServer(200, async (url, received) => {
      await claims.handler({ ...event('Create', listener({ Priority: '3' })), ResponseURL: url });
      const body = JSON.parse(received[0].body);
      expect(body.Status).toBe('FAILED');
      expect(body.Reason).toContain('TeamB/Orders');
      expect(typeof body.PhysicalResourceId).toBe('string');
    });
    jest.restoreAllMocks();
  });

});

// ---------------------------------------------------------------------------------------------
// Every command sent above against the SSM API model

/**
 * Constraints the SSM API reference states and the v2 `.min.json` model leaves out (it keeps
 * shapes, members, required members and types, not min/max): PutParameter
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html):
 * Name 1-2048, Description 0-1024, Value up to 4 KB on the Standard tier; GetParameter and
 * DeleteParameter: Name 1-2048; GetParametersByPath
 * (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParametersByPath.html):
 * Path 1-2048, MaxResults 1-10. A parameter hierarchy has at most 15 levels.
 */
const LIMITS: { [op: string]: { [member: string]: { min?: number; max: number; bytes?: boolean } } } = {
  PutParameter: { Name: { min: 1, max: 2048 }, Description: { min: 0, max: 1024 }, Value: { min: 1, max: 4096, bytes: true } },
  GetParameter: { Name: { min: 1, max: 2048 } },
  DeleteParameter: { Name: { min: 1, max: 2048 } },
  GetParametersByPath: { Path: { min: 1, max: 2048 }, MaxResults: { min: 1, max: 10 } },
};

function limitProblems(op: string, input: Json): string[] {
  const problems: string[] = [];
  for (const [member, limit] of Object.entries(LIMITS[op] ?? {})) {
    const v = input[member];
    if (v === undefined) continue;
    const size = typeof v === 'number' ? v : limit.bytes ? Buffer.byteLength(String(v)) : String(v).length;
    if (size < (limit.min ?? 0) || size > limit.max) problems.push(`${op}.${member}: ${size} is outside ${limit.min ?? 0}..${limit.max}`);
  }
  const name = input.Name ?? input.Path;
  if (typeof name === 'string' && name.split('/').filter((l) => l).length > 15) problems.push(`${op}: ${name} has more than 15 levels`);
  return problems;
}

test('every SSM command the handler sent in this file matches the SSM API model', () => {
  sent.push(...ssmMock.calls().map((c) => c.args[0]));
  const names = new Set(sent.map((c) => c.constructor.name));
  expect([...names].sort()).toEqual(['DeleteParameterCommand', 'GetParameterCommand', 'GetParametersByPathCommand', 'PutParameterCommand']);
  expect(sentCommandProblems('ssm', sent, 'claims')).toEqual([]);
  expect(sent.flatMap((command) => limitProblems(commandOperation(command), command.input))).toEqual([]);
  expect(sent.length).toBeGreaterThan(50);
});

test('every answer and error of the SSM stand-in matches the model (output shapes, modeled errors)', () => {
  // ThrottlingException: the common AWS error the "unexpected SDK error" test raises.
  expect(standInProblems('ssm', answers, ['ThrottlingException'])).toEqual([]);
  expect(new Set(answers.map((a) => a.error).filter((e) => e))).toEqual(new Set(['ParameterAlreadyExists', 'ParameterNotFound', 'ThrottlingException']));
});

test('the model check catches a wrong call (it can fail)', () => {
  expect(checkCall({ kind: 'api', service: 'ssm', action: 'PutParameter', params: { Name: 'x', Value: 'y', Type: 'Text', Overwrite: 'no', Tier: 'Standard', Ttl: 3 }, where: 'bad' }))
    .toEqual([
      expect.stringContaining('"Text" is not a value of ParameterType'),
      expect.stringContaining('a boolean member gets "no"'),
      expect.stringContaining('Ttl is not a member'),
    ]);
  expect(limitProblems('GetParametersByPath', { Path: '/a', MaxResults: 50 })).toEqual(['GetParametersByPath.MaxResults: 50 is outside 1..10']);
});
