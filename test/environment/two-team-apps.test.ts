/**
 * Two team apps never collide (issue 16): two apps, each synthesized on its own
 * (`new App({ context })`, its own stack), both building on the same shared environment
 * (`MicroserviceEnvironment.fromLookup` with the context the platform app's deployment gives),
 * deploy their claims through the claim provider's handler (assets/providers/claims.js) against ONE
 * in-memory Parameter Store (./ssm-fake.ts). The claims are the AWS::CloudFormation::CustomResource
 * resources of each synthesized template, sent as CloudFormation sends them: Create events whose
 * ResourceProperties hold every scalar as a string, a StackId per app, the template's logical
 * id, a unique RequestId; a failed Create rolls the stack back (Delete of the claims it made).
 *
 * What two apps cannot see of each other at synthesis is refused at deploy time with both owners
 * and the fix; what one app holds twice is refused at synthesis (the last describe block).
 */
import { randomUUID } from 'crypto';
import { GetParametersByPathCommand, SSMClient } from '@aws-sdk/client-ssm';
import { App, Stack, aws_ecs as ecs } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { SsmAnswer, SsmFake } from './ssm-fake';
import { IMAGE, PLATFORM, platform as platformApp, platformContext } from './team-fixtures';
import { MicroserviceEnvironment, TwelveFactorService } from '../../src';
import { TEAM_APP_FIRST_PRIORITY } from '../../src/environment/claims';
import { Json, checkAnswer, checkCall, model } from '../contract/aws-models';
import { expectValidationError } from '../error-contract';

const CLAIMS = '/cdk-microservices/store/claims';

// ---------------------------------------------------------------------------------------------
// The apps

/** The platform app: the shared environment and two services of its own. */
const PLATFORM_APP = platformApp(['catalog', 'orders']).template;
const PLATFORM_TEMPLATE: Json = PLATFORM_APP.toJSON();
/** What the team apps' lookups find once the platform is deployed. */
const { context: CONTEXT, doc: DOC } = platformContext(PLATFORM_APP);

/** A web service of a team app, on the shared listener by its host name. */
interface WebService {
  readonly id: string;
  readonly host: string;
  readonly serviceName?: string;
  readonly routePriority?: number;
}

/** A team app synthesized on its own: its own App, its own stack, the environment looked up. */
function teamApp(stackName: string, services: WebService[]): Json {
  const app = new App({ context: CONTEXT });
  const stack = new Stack(app, stackName, { env: PLATFORM });
  const env = MicroserviceEnvironment.fromLookup(stack, 'Env', { environmentName: 'store' });
  for (const s of services) {
    new TwelveFactorService(stack, s.id, {
      environment: env,
      serviceName: s.serviceName,
      image: ecs.ContainerImage.fromRegistry(IMAGE),
      port: 8080,
      user: '101',
      hostName: `${s.host}.shop.example.com`,
      routePriority: s.routePriority,
    });
  }
  return app.synth().getStackByName(stackName).template;
}

// ---------------------------------------------------------------------------------------------
// CloudFormation, as far as custom resources go

interface Claim {
  readonly logicalId: string;
  /** The properties as CloudFormation passes them to the function. */
  readonly properties: Json;
}

/** A deployed (or deploying) stack: its id and the physical ids of the claims it holds. */
interface Deployment {
  readonly stackName: string;
  readonly stackId: string;
  readonly claims: Claim[];
  readonly physicalIds: Map<string, string>;
}

/**
 * The value CloudFormation passes for a template value: every scalar as a string, intrinsic
 * functions resolved (only those the platform's claims use: the listener's Ref, the function's
 * and the namespace's attributes, answered with the values the environment document holds).
 */
function asCloudFormationPasses(value: Json, template: Json): Json {
  if (Array.isArray(value)) return value.map((v) => asCloudFormationPasses(v, template));
  if (value === null || value === undefined) return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
    const [fn] = keys;
    const [id, attribute] = fn === 'Fn::GetAtt' ? value[fn] : [value[fn], undefined];
    const type = template.Resources?.[id]?.Type;
    if (fn === 'Ref' && type === 'AWS::ElasticLoadBalancingV2::Listener') return DOC.listenerArn;
    if (fn === 'Fn::GetAtt' && type === 'AWS::Lambda::Function' && attribute === 'Arn') return DOC.claimServiceToken;
    if (fn === 'Fn::GetAtt' && type === 'AWS::ServiceDiscovery::PrivateDnsNamespace' && attribute === 'Id') return DOC.namespaceId;
    throw new Error(`no stand-in for ${JSON.stringify(value)} in a claim's properties`);
  }
  return Object.fromEntries(keys.map((k) => [k, asCloudFormationPasses(value[k], template)]));
}

function deployment(stackName: string, template: Json): Deployment {
  const claims = Object.entries(template.Resources as { [id: string]: Json })
    .filter(([, r]) => r.Type === 'AWS::CloudFormation::CustomResource')
    .map(([logicalId, r]) => ({ logicalId, properties: asCloudFormationPasses(r.Properties, template) }));
  return {
    stackName,
    stackId: `arn:aws:cloudformation:${PLATFORM.region}:${PLATFORM.account}:stack/${stackName}/${randomUUID()}`,
    claims,
    physicalIds: new Map(),
  };
}

interface Response {
  Status: 'SUCCESS' | 'FAILED';
  Reason?: string;
  PhysicalResourceId: string;
  Data: { [key: string]: unknown };
}
interface ClaimsModule {
  handle(event: Json, ssm: SSMClient): Promise<Response>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const handler = require('../../assets/providers/claims.js') as ClaimsModule;

function event(d: Deployment, claim: Claim, type: 'Create' | 'Delete'): Json {
  return {
    RequestType: type,
    ServiceToken: claim.properties.ServiceToken,
    ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3-eu-west-1.amazonaws.com/unused',
    StackId: d.stackId,
    RequestId: randomUUID(),
    ResourceType: 'AWS::CloudFormation::CustomResource',
    LogicalResourceId: claim.logicalId,
    ResourceProperties: claim.properties,
    ...(type === 'Delete' ? { PhysicalResourceId: d.physicalIds.get(claim.logicalId) } : {}),
  };
}

/** The outcome of a stack's deployment: the response of each Create, by logical id. */
type Outcome = Map<string, Response>;

/**
 * Creates the stack's claims one after the other; on the first FAILED one, rolls back as
 * CloudFormation does (Delete of every claim created, the failed one included, with the
 * physical id its response gave).
 */
async function deploy(d: Deployment): Promise<Outcome> {
  const outcome: Outcome = new Map();
  for (const claim of d.claims) {
    const r = await handler.handle(event(d, claim, 'Create'), ssm);
    outcome.set(claim.logicalId, r);
    d.physicalIds.set(claim.logicalId, r.PhysicalResourceId);
    if (r.Status === 'FAILED') {
      await destroy(d);
      break;
    }
  }
  return outcome;
}

/** Deletes the stack's claims (a `cdk destroy`, or a rollback). */
async function destroy(d: Deployment): Promise<void> {
  for (const claim of [...d.claims].reverse()) {
    if (!d.physicalIds.has(claim.logicalId)) continue;
    const r = await handler.handle(event(d, claim, 'Delete'), ssm);
    expect(r.Status).toBe('SUCCESS');
    d.physicalIds.delete(claim.logicalId);
  }
}

function claimOf(d: Deployment, kind: 'ListenerPriority' | 'ServiceName', owner?: string): Claim {
  const found = d.claims.filter((c) => c.properties.Kind === kind && (owner === undefined || c.properties.Owner.startsWith(`${d.stackName}/${owner} `)));
  expect(found).toHaveLength(1);
  return found[0];
}

function priorityOf(d: Deployment, outcome: Outcome, owner: string): number {
  const r = outcome.get(claimOf(d, 'ListenerPriority', owner).logicalId)!;
  expect(r.Status).toBe('SUCCESS');
  return r.Data.Priority as number;
}

function failures(outcome: Outcome): Response[] {
  return [...outcome.values()].filter((r) => r.Status === 'FAILED');
}

// ---------------------------------------------------------------------------------------------
// One shared Parameter Store

const ssmMock = mockClient(SSMClient);
const ssm = new SSMClient({ region: PLATFORM.region });
const answers: SsmAnswer[] = [];
const sent: Json[] = [];
let store: SsmFake;
let platform: Deployment;

beforeEach(async () => {
  sent.push(...ssmMock.calls().map((c) => c.args[0]));
  ssmMock.reset();
  store = new SsmFake(answers);
  store.install(ssmMock);
  platform = deployment('Platform', PLATFORM_TEMPLATE);
  const outcome = await deploy(platform);
  expect(failures(outcome)).toEqual([]);
});

afterAll(() => {
  ssmMock.restore();
});

/** The claims the store holds: parameter name to the owner the value names. */
function held(): { [name: string]: string } {
  return Object.fromEntries([...store.params].map(([name, value]) => [name, JSON.parse(value).owner]));
}

// ---------------------------------------------------------------------------------------------

describe('the claims in the templates', () => {
  test('each team template holds its claims with literal values only, against the environment\'s function and listener', () => {
    const d = deployment('TeamA', teamApp('TeamA', [{ id: 'Users', host: 'users' }]));
    expect(d.claims.map((c) => c.properties.Kind).sort()).toEqual(['ListenerPriority', 'ServiceName']);
    for (const claim of d.claims) {
      expect(claim.properties).toMatchObject({ ServiceToken: DOC.claimServiceToken, EnvironmentName: 'store' });
    }
    expect(claimOf(d, 'ListenerPriority').properties).toEqual({
      ServiceToken: DOC.claimServiceToken,
      Kind: 'ListenerPriority',
      EnvironmentName: 'store',
      ListenerArn: DOC.listenerArn,
      Owner: 'TeamA/Users (stack TeamA)',
      Group: 'app of TeamA/Env (stack TeamA)',
      Hosts: ['users.shop.example.com'],
      Paths: [],
      FirstPriority: String(TEAM_APP_FIRST_PRIORITY),
    });
    expect(claimOf(d, 'ServiceName').properties).toMatchObject({ NamespaceId: DOC.namespaceId, Name: 'users', Owner: 'TeamA/Users (stack TeamA)' });
  });

  test('the platform\'s own services claim the priorities chosen at its synthesis, below the team range', () => {
    expect(held()).toEqual({
      [`${CLAIMS}/listener-priority/1`]: 'Platform/catalog (stack Platform)',
      [`${CLAIMS}/listener-priority/2`]: 'Platform/orders (stack Platform)',
      [`${CLAIMS}/service-name/catalog`]: 'Platform/catalog (stack Platform)',
      [`${CLAIMS}/service-name/orders`]: 'Platform/orders (stack Platform)',
    });
  });
});

describe('two team apps deployed one after the other', () => {
  test('distinct listener rule priorities, both from TEAM_APP_FIRST_PRIORITY on, the platform\'s below', async () => {
    const a = deployment('TeamA', teamApp('TeamA', [{ id: 'Users', host: 'users' }]));
    const b = deployment('TeamB', teamApp('TeamB', [{ id: 'Carts', host: 'carts' }, { id: 'Pay', host: 'pay' }]));
    const outA = await deploy(a);
    const outB = await deploy(b);
    expect([...failures(outA), ...failures(outB)]).toEqual([]);
    const priorities = [priorityOf(a, outA, 'Users'), priorityOf(b, outB, 'Carts'), priorityOf(b, outB, 'Pay')];
    expect(priorities).toEqual([TEAM_APP_FIRST_PRIORITY, TEAM_APP_FIRST_PRIORITY + 1, TEAM_APP_FIRST_PRIORITY + 2]);
    const platformPriorities = Object.keys(held()).filter((n) => n.includes('/listener-priority/')).map((n) => Number(n.split('/').pop()))
      .filter((n) => !priorities.includes(n));
    expect(platformPriorities.sort()).toEqual([1, 2]);
    expect(Math.max(...platformPriorities)).toBeLessThan(TEAM_APP_FIRST_PRIORITY);
  });

  test('the same `serviceName` in both apps: the second Create FAILED, naming both owners and the fix; the rollback leaves the first app\'s claims', async () => {
    const a = deployment('TeamA', teamApp('TeamA', [{ id: 'Users', host: 'users' }]));
    const b = deployment('TeamB', teamApp('TeamB', [{ id: 'Accounts', host: 'accounts', serviceName: 'users' }]));
    expect(failures(await deploy(a))).toEqual([]);
    const outB = await deploy(b);
    const [failed] = failures(outB);
    expect(outB.get(claimOf(b, 'ServiceName').logicalId)).toBe(failed);
    expect(failed.Reason).toContain('the Cloud Map service name users in environment store is held by TeamA/Users (stack TeamA)');
    expect(failed.Reason).toContain(a.stackId);
    expect(failed.Reason).toContain('so TeamB/Accounts (stack TeamB) cannot have it');
    expect(failed.Reason).toContain('Give the service another `serviceName`');
    expect(Object.values(held()).filter((owner) => owner.startsWith('TeamB/'))).toEqual([]);
    expect(held()[`${CLAIMS}/service-name/users`]).toBe('TeamA/Users (stack TeamA)');
  });

  test('the same `hostName` in both apps: the second listener claim FAILED, naming both owners, both conditions and the fix', async () => {
    const a = deployment('TeamA', teamApp('TeamA', [{ id: 'Users', host: 'users' }]));
    const b = deployment('TeamB', teamApp('TeamB', [{ id: 'People', host: 'users' }]));
    expect(failures(await deploy(a))).toEqual([]);
    const outB = await deploy(b);
    const [failed] = failures(outB);
    expect(outB.get(claimOf(b, 'ListenerPriority').logicalId)).toBe(failed);
    expect(failed.Reason).toContain('the listener rule of TeamB/People (stack TeamB) (hosts users.shop.example.com and any path) overlaps the rule of TeamA/Users (stack TeamA)');
    expect(failed.Reason).toContain(a.stackId);
    expect(failed.Reason).toContain(`priority ${TEAM_APP_FIRST_PRIORITY}`);
    expect(failed.Reason).toContain('distinct host names or path prefixes');
    expect(Object.values(held()).filter((owner) => owner.startsWith('TeamB/'))).toEqual([]);
  });

  test('an explicit `routePriority` the other app holds: FAILED with the holder and the fix', async () => {
    const a = deployment('TeamA', teamApp('TeamA', [{ id: 'Users', host: 'users', routePriority: 20000 }]));
    const b = deployment('TeamB', teamApp('TeamB', [{ id: 'Carts', host: 'carts', routePriority: 20000 }]));
    const outA = await deploy(a);
    expect(priorityOf(a, outA, 'Users')).toBe(20000);
    const outB = await deploy(b);
    const [failed] = failures(outB);
    expect(outB.get(claimOf(b, 'ListenerPriority').logicalId)).toBe(failed);
    expect(failed.Reason).toContain('listener rule priority 20000 is held by TeamA/Users (stack TeamA)');
    expect(failed.Reason).toContain(a.stackId);
    expect(failed.Reason).toContain('so TeamB/Carts (stack TeamB) cannot have it');
    expect(failed.Reason).toContain('Remove `routePriority` to get a free priority, or choose another one');
    expect(held()[`${CLAIMS}/listener-priority/20000`]).toBe('TeamA/Users (stack TeamA)');
  });

  test('an explicit `routePriority` in the platform\'s range is refused when the platform holds it', async () => {
    const b = deployment('TeamB', teamApp('TeamB', [{ id: 'Carts', host: 'carts', routePriority: 1 }]));
    const [failed] = failures(await deploy(b));
    expect(failed.Reason).toContain('listener rule priority 1 is held by Platform/catalog (stack Platform)');
  });

  test('deleting the first app frees its name, host and priority: the second app then claims them', async () => {
    const a = deployment('TeamA', teamApp('TeamA', [{ id: 'Users', host: 'users', routePriority: 20000 }]));
    const b = deployment('TeamB', teamApp('TeamB', [{ id: 'People', host: 'users', serviceName: 'users', routePriority: 20000 }]));
    expect(failures(await deploy(a))).toEqual([]);
    expect(failures(await deploy(b))).toHaveLength(1);
    await destroy(a);
    expect(Object.values(held()).filter((owner) => !owner.startsWith('Platform/'))).toEqual([]);
    const outB = await deploy(b);
    expect(failures(outB)).toEqual([]);
    expect(priorityOf(b, outB, 'People')).toBe(20000);
    expect(held()).toMatchObject({
      [`${CLAIMS}/listener-priority/20000`]: 'TeamB/People (stack TeamB)',
      [`${CLAIMS}/service-name/users`]: 'TeamB/People (stack TeamB)',
    });
  });

  test('deleting the first app\'s free priority lets the second app take the lowest one', async () => {
    const a = deployment('TeamA', teamApp('TeamA', [{ id: 'Users', host: 'users' }]));
    const b = deployment('TeamB', teamApp('TeamB', [{ id: 'Carts', host: 'carts' }]));
    expect(priorityOf(a, await deploy(a), 'Users')).toBe(TEAM_APP_FIRST_PRIORITY);
    await destroy(a);
    expect(priorityOf(b, await deploy(b), 'Carts')).toBe(TEAM_APP_FIRST_PRIORITY);
  });
});

describe('two team apps deployed at the same time', () => {
  /** Runs `other`'s whole deployment when the next claim of `kind` is about to put its parameter. */
  function interleave(other: Deployment, outcome: { value?: Outcome }, kind = 'listener-priority'): void {
    const hook = async (input: Json): Promise<void> => {
      if (!String(input.Name).includes(`/${kind}/`)) {
        store.beforeNextPut = hook;
        return;
      }
      outcome.value = await deploy(other);
    };
    store.beforeNextPut = hook;
  }

  test('app B\'s claim lands between app A\'s listing and its put: distinct priorities, A takes the next free one', async () => {
    const a = deployment('TeamA', teamApp('TeamA', [{ id: 'Users', host: 'users' }]));
    const b = deployment('TeamB', teamApp('TeamB', [{ id: 'Carts', host: 'carts' }]));
    const outB: { value?: Outcome } = {};
    interleave(b, outB);
    const answersBefore = answers.length;
    const outA = await deploy(a);
    expect(outB.value).toBeDefined();
    expect([...failures(outA), ...failures(outB.value!)]).toEqual([]);
    expect(priorityOf(b, outB.value!, 'Carts')).toBe(TEAM_APP_FIRST_PRIORITY);
    expect(priorityOf(a, outA, 'Users')).toBe(TEAM_APP_FIRST_PRIORITY + 1);
    // What happened, in the order the store answered: A listed, B listed, put 10000 and looked
    // again, A's put of 10000 was refused (ParameterAlreadyExists), A put 10001 and looked again.
    const listener = (x: SsmAnswer) => x.op === 'GetParametersByPath' || (x.op === 'PutParameter' && String(x.input.Name).includes('/listener-priority/'));
    const happened = answers.slice(answersBefore).filter(listener)
      .map((x) => (x.op === 'PutParameter' ? `put ${String(x.input.Name).split('/').pop()} ${JSON.parse(x.input.Value).owner}: ${x.error ?? 'ok'}` : 'list'));
    expect(happened).toEqual([
      'list',
      'list',
      `put ${TEAM_APP_FIRST_PRIORITY} TeamB/Carts (stack TeamB): ok`,
      'list',
      `put ${TEAM_APP_FIRST_PRIORITY} TeamA/Users (stack TeamA): ParameterAlreadyExists`,
      `put ${TEAM_APP_FIRST_PRIORITY + 1} TeamA/Users (stack TeamA): ok`,
      'list',
    ]);
  });

  test('the same explicit `routePriority` at the same time: exactly one app gets it', async () => {
    const a = deployment('TeamA', teamApp('TeamA', [{ id: 'Users', host: 'users', routePriority: 20000 }]));
    const b = deployment('TeamB', teamApp('TeamB', [{ id: 'Carts', host: 'carts', routePriority: 20000 }]));
    const outB: { value?: Outcome } = {};
    interleave(b, outB);
    const outA = await deploy(a);
    expect(failures(outB.value!)).toEqual([]);
    const [failed] = failures(outA);
    expect(failed.Reason).toContain('listener rule priority 20000 is held by TeamB/Carts (stack TeamB)');
    expect(held()[`${CLAIMS}/listener-priority/20000`]).toBe('TeamB/Carts (stack TeamB)');
  });

  test('the same `serviceName` at the same time: exactly one app gets it', async () => {
    const a = deployment('TeamA', teamApp('TeamA', [{ id: 'Users', host: 'users' }]));
    const b = deployment('TeamB', teamApp('TeamB', [{ id: 'Accounts', host: 'accounts', serviceName: 'users' }]));
    const outB: { value?: Outcome } = {};
    interleave(b, outB, 'service-name');
    const outA = await deploy(a);
    expect(failures(outB.value!)).toEqual([]);
    expect(failures(outA)[0].Reason).toContain('is held by TeamB/Accounts (stack TeamB)');
    expect(held()[`${CLAIMS}/service-name/users`]).toBe('TeamB/Accounts (stack TeamB)');
  });

  // The overlap check reads the claims before the put, and again after it: two rules with the
  // same host, each claimed while the other app's first listing had not seen it, cannot both
  // stay (of two concurrent puts, the later one's second listing sees the earlier one).
  test('the same `hostName` at the same time: at least one app is refused', async () => {
    const a = deployment('TeamA', teamApp('TeamA', [{ id: 'Users', host: 'users' }]));
    const b = deployment('TeamB', teamApp('TeamB', [{ id: 'People', host: 'users' }]));
    const outB: { value?: Outcome } = {};
    interleave(b, outB);
    const outA = await deploy(a);
    expect(failures(outA).length + failures(outB.value!).length).toBeGreaterThanOrEqual(1);
  });
});

describe('every SSM call of the deployments above', () => {
  test('matches the SSM API model, and so does every answer of the stand-in', () => {
    sent.push(...ssmMock.calls().map((c) => c.args[0]));
    expect(sent.length).toBeGreaterThan(50);
    const calls = sent.flatMap((command) => {
      const op = command.constructor.name.replace(/Command$/, '');
      return checkCall({ kind: 'api', service: 'ssm', action: op, params: command.input, where: `claims ${op}` });
    });
    expect(calls).toEqual([]);
    const errors = model('ssm').errors;
    const problems = answers.flatMap(({ op, answer, error }) => (error !== undefined
      ? (errors.has(error) ? [] : [`${op}: ${error} is not an SSM error`])
      : checkAnswer({ kind: 'api', service: 'ssm', action: op, params: {}, where: `stand-in ${op}` }, answer)));
    expect(problems).toEqual([]);
    // No page was asked for with more than the 10 results SSM allows.
    const pages = sent.filter((c) => c instanceof GetParametersByPathCommand).map((c) => c.input.MaxResults);
    expect(pages.length).toBeGreaterThan(0);
    expect(pages.filter((max) => max === undefined || max > 10)).toEqual([]);
  });
});

describe('within one app, where both are known: refused at synthesis', () => {
  function refusal(services: WebService[]): string {
    try {
      teamApp('TeamA', services);
    } catch (e) {
      return expectValidationError(e, { classes: ['TwelveFactorService'], path: 'TeamA/Second', props: ['serviceName', 'routePriority', 'hostName'] });
    }
    throw new Error('expected a refusal');
  }

  test('two services of a team app with the same `serviceName`', () => {
    expect(refusal([{ id: 'First', host: 'first', serviceName: 'users' }, { id: 'Second', host: 'second', serviceName: 'users' }]))
      .toContain('`serviceName` \'users\' is already used by TeamA/First in the same environment; give each service its own name');
  });

  test('two services of a team app with the same `routePriority`', () => {
    expect(refusal([{ id: 'First', host: 'first', routePriority: 20000 }, { id: 'Second', host: 'second', routePriority: 20000 }]))
      .toContain('`routePriority` 20000 is already used by another service on TeamA/Env');
  });

  test('two services of a team app with the same `hostName`', () => {
    expect(refusal([{ id: 'First', host: 'users' }, { id: 'Second', host: 'users' }]))
      .toContain('is already routed on this listener to TeamA/First');
  });

  test('two services of the environment\'s own app with the same `serviceName`', () => {
    const stack = new Stack(new App(), 'Platform', { env: PLATFORM });
    const env = new MicroserviceEnvironment(stack, 'Env', { enableTeamApps: true, environmentName: 'store' });
    new TwelveFactorService(stack, 'First', { environment: env, serviceName: 'users', image: ecs.ContainerImage.fromRegistry(IMAGE), user: '101' });
    let error: unknown;
    try {
      new TwelveFactorService(stack, 'Second', { environment: env, serviceName: 'users', image: ecs.ContainerImage.fromRegistry(IMAGE), user: '101' });
    } catch (e) {
      error = e;
    }
    expect(expectValidationError(error, { classes: ['TwelveFactorService'], path: 'Platform/Second', props: ['serviceName'] }))
      .toContain('`serviceName` \'users\' is already used by Platform/First in the same environment');
  });
});
