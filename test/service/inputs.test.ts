/**
 * Bad input that AWS would refuse or that would misbehave after deployment (issue 13): two
 * services on one listener competing for the same requests, an empty or root `user`, an empty
 * `releaseId`, and constructs built from plain JavaScript without their required props. Each
 * is refused at synth time with our error naming class, construct path and prop.
 */
import { Stack, aws_dynamodb as dynamodb, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { containerOf, IMAGE, withEnvironment } from './fixtures';
import { AdminTask, BackingService, MicroserviceEnvironment, TwelveFactorService, TwelveFactorServiceProps } from '../../src';
import { attempt, expectConstructs, expectValidationError } from '../error-contract';

/** Every prop a problem of TwelveFactorService may name. */
const SERVICE_PROPS = ['hostName', 'pathPatterns', 'user', 'releaseId', 'attach'];

function service(stack: Stack, env: MicroserviceEnvironment, id: string, extra: Partial<TwelveFactorServiceProps>): TwelveFactorService {
  return new TwelveFactorService(stack, id, { environment: env, image: IMAGE, port: 8080, user: '1000', ...extra });
}

/** Builds the second service after the first; returns the message of the refusal of the second. */
function refusedSecond(first: Partial<TwelveFactorServiceProps>, second: Partial<TwelveFactorServiceProps>, own = false): string {
  const { stack, env } = withEnvironment({}, !own);
  const listener = own ? new elbv2.ApplicationLoadBalancer(stack, 'Lb', { vpc: env.vpc }).addListener('Http', { port: 80, open: false }) : undefined;
  const routed = (extra: Partial<TwelveFactorServiceProps>) => (own ? { listener, ...extra } : extra);
  service(stack, env, 'Users', routed(first));
  const err = attempt(() => service(stack, env, 'Orders', routed(second)));
  return expectValidationError(err, { classes: ['TwelveFactorService'], path: 'Test/Orders', props: SERVICE_PROPS });
}

describe('two services on one listener with the same host name and path patterns', () => {
  test.each<[string, Partial<TwelveFactorServiceProps>, Partial<TwelveFactorServiceProps>]>([
    ['the same host name, no path patterns', { hostName: 'shop.example.com' }, { hostName: 'shop.example.com' }],
    ['the same host name in other capitals', { hostName: 'shop.example.com' }, { hostName: 'Shop.Example.COM' }],
    ['the same host name with a final dot', { hostName: 'shop.example.com' }, { hostName: 'shop.example.com.' }],
    ['the same host name and the same path patterns', { hostName: 'shop.example.com', pathPatterns: ['/api/*'] }, { hostName: 'shop.example.com', pathPatterns: ['/api/*'] }],
    ['the same path patterns in another order', { hostName: 'shop.example.com', pathPatterns: ['/a/*', '/b/*'] }, { hostName: 'shop.example.com', pathPatterns: ['/b/*', '/a/*'] }],
    ['no host name and the same path patterns', { pathPatterns: ['/api/*'] }, { pathPatterns: ['/api/*'] }],
  ])('on the shared load balancer: %s is refused, naming both services', (_name, first, second) => {
    const message = refusedSecond(first, second);
    expect(message).toMatch(/is already routed on this listener to Test\/Users: .*one of Test\/Users and Test\/Orders would never receive any/);
    expect(message).toMatch(/give each service its own `hostName` \(host names match without case\) or distinct `pathPatterns`/);
  });

  test('the message names what the second service gave', () => {
    expect(refusedSecond({ hostName: 'shop.example.com' }, { hostName: 'Shop.example.com' }))
      .toMatch(/^`TwelveFactorService` at Test\/Orders: `hostName` 'Shop\.example\.com' with no `pathPatterns` is already routed on this listener to Test\/Users/);
    expect(refusedSecond({ pathPatterns: ['/api/*'] }, { pathPatterns: ['/api/*'] }))
      .toMatch(/no `hostName` with `pathPatterns` \["\/api\/\*"\] is already routed/);
  });

  test('on a listener of the user\'s own, with priorities: the same host name is refused', () => {
    const message = refusedSecond({ hostName: 'shop.example.com', routePriority: 1 }, { hostName: 'SHOP.example.com', routePriority: 2 }, true);
    expect(message).toMatch(/`hostName` 'SHOP\.example\.com' with no `pathPatterns` is already routed on this listener to Test\/Users/);
  });

  test.each<[string, Partial<TwelveFactorServiceProps>, Partial<TwelveFactorServiceProps>]>([
    ['the same host name with different path patterns', { hostName: 'shop.example.com', pathPatterns: ['/users/*'] }, { hostName: 'shop.example.com', pathPatterns: ['/orders/*'] }],
    ['different host names', { hostName: 'users.example.com' }, { hostName: 'orders.example.com' }],
    ['path patterns that differ in case (paths are case-sensitive)', { pathPatterns: ['/api/*'] }, { pathPatterns: ['/API/*'] }],
    ['a host name, and the same host name with path patterns', { hostName: 'shop.example.com' }, { hostName: 'shop.example.com', pathPatterns: ['/orders/*'] }],
  ])('accepted: %s', (_name, first, second) => {
    const { stack, env } = withEnvironment();
    service(stack, env, 'Users', first);
    expectConstructs(() => service(stack, env, 'Orders', second));
    Template.fromStack(stack).resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 2);
  });

  test('accepted: the same host name on two different listeners', () => {
    const { stack, env } = withEnvironment();
    const own = new elbv2.ApplicationLoadBalancer(stack, 'Lb', { vpc: env.vpc }).addListener('Http', { port: 80, open: false });
    service(stack, env, 'Users', { hostName: 'shop.example.com' });
    expectConstructs(() => service(stack, env, 'Orders', { hostName: 'shop.example.com', listener: own, routePriority: 1 }));
  });

  test('accepted: the same host name in two apps (the registry is per listener)', () => {
    for (let i = 0; i < 2; i++) {
      const { stack, env } = withEnvironment();
      expectConstructs(() => service(stack, env, 'Users', { hostName: 'shop.example.com' }));
    }
  });

  test('a refused service claims no route: a third service may take it after a fix', () => {
    const { stack, env } = withEnvironment();
    expect(() => service(stack, env, 'Bad', { hostName: 'shop.example.com', cpu: 300 })).toThrow(/`cpu` 300/);
    expectConstructs(() => service(stack, env, 'Users', { hostName: 'shop.example.com' }));
  });
});

describe('user', () => {
  test.each<[string, string]>([
    ['empty', ''],
    ['blank', '  '],
    ['a space inside', 'app user'],
    ['an empty group', '1000:'],
    ['an empty user', ':1000'],
    ['two colons', '1000:1000:1000'],
  ])('%s is refused', (_name, user) => {
    const { stack, env } = withEnvironment();
    const err = attempt(() => service(stack, env, 'Users', { hostName: 'users.example.com', user }));
    const message = expectValidationError(err, { classes: ['TwelveFactorService'], path: 'Test/Users', props: SERVICE_PROPS });
    expect(message).toContain(`\`user\` '${user}' `);
    expect(message).toMatch(/use user, user:group, uid or uid:gid, for example '1000' or '1000:1000', or leave it out for the image's user/);
  });

  test.each(['root', '0', 'root:root', '0:0', 'root:1000', '00'])('%s is accepted with a warning', (user) => {
    const { stack, env } = withEnvironment();
    service(stack, env, 'Users', { hostName: 'users.example.com', user });
    const t = Template.fromStack(stack);
    expect(containerOf(t, 'UsersTaskDefinition').User).toBe(user);
    // Said once for the environment, naming the service and its user.
    Annotations.fromStack(stack).hasWarning('/Test/Env',
      Match.stringLikeRegexp(`The container of Test/Users runs as root \\(\`user\` '${user}'\\): set its \`user\` to a non-root user`));
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.anyValue());
    expect(warnings.map((w) => w.entry.data)).toEqual([expect.stringMatching(/\[ack: cdk-microservices:rootUser\]$/)]);
  });

  test.each(['1000', '1000:1000', 'app', 'app:app', '10', 'rooter', '1000:0'])('%s is accepted without a warning', (user) => {
    const { stack, env } = withEnvironment();
    service(stack, env, 'Users', { hostName: 'users.example.com', user });
    expect(containerOf(Template.fromStack(stack), 'UsersTaskDefinition').User).toBe(user);
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('releaseId', () => {
  test.each(['', ' ', '\t\n'])('%j is refused', (releaseId) => {
    const { stack, env } = withEnvironment();
    const err = attempt(() => service(stack, env, 'Users', { hostName: 'users.example.com', releaseId }));
    const message = expectValidationError(err, { classes: ['TwelveFactorService'], path: 'Test/Users', props: SERVICE_PROPS });
    expect(message).toMatch(/`releaseId` [\s\S]* is empty: RELEASE_ID would name no release; give a release identifier such as a version or commit, or leave it out for the image reference/);
  });

  test('a release identifier is injected as RELEASE_ID', () => {
    const { stack, env } = withEnvironment();
    service(stack, env, 'Users', { hostName: 'users.example.com', releaseId: 'v1.2.3' });
    expect(containerOf(Template.fromStack(stack), 'UsersTaskDefinition').Environment)
      .toEqual(expect.arrayContaining([{ Name: 'RELEASE_ID', Value: 'v1.2.3' }]));
  });
});

describe('plain JavaScript: required props left out', () => {
  const ADMIN_PROPS = ['service', 'name', 'command', 'cpu', 'memoryMiB', 'schedule'];

  test.each<[string, unknown, RegExp]>([
    ['props undefined', undefined, /^`AdminTask` at Test\/Admin: props undefined are missing; pass at least `service`, `name` and `command`/],
    ['props null', null, /props null are missing; pass at least `service`/],
    ['no service', { name: 'migrate', command: ['node', 'migrate.js'] },
      /^`AdminTask` at Test\/Admin: `service` undefined is not a TwelveFactorService of this library \(the admin task copies its app container\); pass the service whose image, config and roles the task uses/],
    ['a service that is not one', { service: {}, name: 'migrate', command: ['node', 'migrate.js'] }, /`service` \{\} is not a TwelveFactorService/],
    ['no service and no command', { name: 'migrate' }, /`service` undefined is not a TwelveFactorService[\s\S]*`command` must be a non-empty list of strings/],
  ])('AdminTask with %s is refused naming the prop', (_name, props, message) => {
    const { stack } = withEnvironment();
    const err = attempt(() => new AdminTask(stack, 'Admin', props as never));
    expect(expectValidationError(err, { classes: ['AdminTask'], path: 'Test/Admin', props: ADMIN_PROPS })).toMatch(message);
  });

  test('AdminTask with its service is built as before', () => {
    const { stack, env } = withEnvironment();
    const users = service(stack, env, 'Users', { hostName: 'users.example.com' });
    expectConstructs(() => new AdminTask(stack, 'Admin', { service: users, name: 'migrate', command: ['node', 'migrate.js'] }));
    Template.fromStack(stack).resourceCountIs('AWS::ECS::TaskDefinition', 2);
  });

  test.each<[string, () => BackingService]>([
    ['a DynamoDB table left out', () => BackingService.dynamoDbTable(undefined as never)],
    ['an S3 bucket left out', () => BackingService.s3Bucket(undefined as never)],
    ['an SNS topic left out, options null', () => BackingService.snsTopic(undefined as never, null as never)],
    ['a secret left out, options null', () => BackingService.secret(undefined as never, null as never)],
  ])('attach with %s is refused naming `attach`', (_name, backing) => {
    const { stack, env } = withEnvironment();
    const users = service(stack, env, 'Users', { hostName: 'users.example.com' });
    const err = attempt(() => users.attach(backing()));
    expect(expectValidationError(err, { classes: ['TwelveFactorService'], path: 'Test/Users', props: SERVICE_PROPS }))
      .toMatch(/`attach` got a BackingService of undefined; pass the resource to attach/);
  });

  test('a backing service with options null attaches with the defaults', () => {
    const { stack, env } = withEnvironment();
    const users = service(stack, env, 'Users', { hostName: 'users.example.com' });
    const table = new dynamodb.Table(stack, 'Orders', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    expectConstructs(() => users.attach(BackingService.dynamoDbTable(table, null as never)));
    expect(containerOf(Template.fromStack(stack), 'UsersTaskDefinition').Environment)
      .toEqual(expect.arrayContaining([expect.objectContaining({ Name: 'ORDERS_TABLE_NAME' })]));
  });

  test.each<[string, unknown]>([
    ['props undefined', undefined],
    ['no environment', { image: IMAGE }],
  ])('TwelveFactorService with %s is refused (already so; kept)', (_name, props) => {
    const { stack } = withEnvironment();
    const err = attempt(() => new TwelveFactorService(stack, 'Users', props as never));
    expectValidationError(err, { classes: ['TwelveFactorService'], path: 'Test/Users', props: ['environment', 'image'] });
  });
});
