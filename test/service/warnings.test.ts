// Warnings about several services of one environment are said once, on the environment, with
// the list of services, and say what to do; acknowledging them works on the environment (or
// above) for all, on a service for that service.
import { Annotations as CdkAnnotations, App, Stack, aws_ecs as ecs, aws_sqs as sqs } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { ENV, IMAGE } from './fixtures';
import { MicroserviceEnvironment, TwelveFactorService } from '../../src';

const ROOT = /\[ack: cdk-microservices:rootUser\]$/;

function app(): { stack: Stack; env: MicroserviceEnvironment } {
  const stack = new Stack(new App(), 'Test', { env: ENV });
  return { stack, env: new MicroserviceEnvironment(stack, 'Env') };
}

function rootWarnings(stack: Stack): Array<{ id: string; data: string }> {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('cdk-microservices:rootUser'))
    .map((m) => ({ id: m.id, data: String(m.entry.data) }));
}

describe('the root-user warning', () => {
  test('six services without `user`: one warning on the environment naming all six, with what to do', () => {
    const { stack, env } = app();
    const names = ['Web', 'Users', 'Orders', 'Payments', 'Email', 'Search'];
    for (const name of names) new TwelveFactorService(stack, name, { environment: env, image: IMAGE, port: 8080 });
    const found = rootWarnings(stack);
    expect(found).toHaveLength(1);
    expect(found[0].id).toBe('/Test/Env');
    expect(found[0].data).toMatch(ROOT);
    expect(found[0].data).toContain(`The containers of ${names.map((n) => `Test/${n}`).join(', ')} run as their image's user, which may be root: `
      + 'set the `user` of each to a non-root user such as \'1000:1000\' (AWS Control Tower CT.ECS.PR.3');
  });

  test('services without `user` and services run as root: one warning naming each with its user', () => {
    const { stack, env } = app();
    new TwelveFactorService(stack, 'Web', { environment: env, image: IMAGE });
    new TwelveFactorService(stack, 'Admin', { environment: env, image: IMAGE, user: 'root' });
    new TwelveFactorService(stack, 'Ok', { environment: env, image: IMAGE, user: '1000' });
    const found = rootWarnings(stack);
    expect(found).toHaveLength(1);
    expect(found[0].data).toContain('The containers of Test/Web run as their image\'s user, which may be root, and those of Test/Admin (`user` \'root\') as root: set the `user` of each');
    expect(found[0].data).not.toContain('Test/Ok');
  });

  test('only services run as root: named with their user', () => {
    const { stack, env } = app();
    new TwelveFactorService(stack, 'A', { environment: env, image: IMAGE, user: '0' });
    new TwelveFactorService(stack, 'B', { environment: env, image: IMAGE, user: 'root:root' });
    expect(rootWarnings(stack).map((w) => w.data)).toEqual([
      expect.stringContaining('The containers of Test/A (`user` \'0\'), Test/B (`user` \'root:root\') run as root: set the `user` of each'),
    ]);
  });

  test('each environment says it for its own services', () => {
    const { stack, env } = app();
    const other = new MicroserviceEnvironment(stack, 'Other', { vpc: env.vpc });
    new TwelveFactorService(stack, 'A', { environment: env, image: IMAGE });
    new TwelveFactorService(stack, 'B', { environment: other, image: IMAGE });
    const found = rootWarnings(stack);
    expect(found.map((w) => w.id).sort()).toEqual(['/Test/Env', '/Test/Other']);
    expect(found.find((w) => w.id === '/Test/Other')!.data).toContain('The container of Test/B runs as the image\'s user');
  });

  test('acknowledged on a service: that service is left out; on the environment or the stack: nothing is said', () => {
    const one = app();
    const a = new TwelveFactorService(one.stack, 'A', { environment: one.env, image: IMAGE });
    new TwelveFactorService(one.stack, 'B', { environment: one.env, image: IMAGE });
    CdkAnnotations.of(a).acknowledgeWarning('cdk-microservices:rootUser', 'the image runs as a non-root user');
    expect(rootWarnings(one.stack).map((w) => w.data)).toEqual([expect.stringContaining('The container of Test/B runs as the image\'s user')]);

    const onEnv = app();
    new TwelveFactorService(onEnv.stack, 'A', { environment: onEnv.env, image: IMAGE });
    CdkAnnotations.of(onEnv.env).acknowledgeWarning('cdk-microservices:rootUser', 'every image runs as a non-root user');
    expect(rootWarnings(onEnv.stack)).toEqual([]);

    const onStack = app();
    new TwelveFactorService(onStack.stack, 'A', { environment: onStack.env, image: IMAGE });
    CdkAnnotations.of(onStack.stack).acknowledgeWarning('cdk-microservices:rootUser', 'every image runs as a non-root user');
    expect(rootWarnings(onStack.stack)).toEqual([]);
  });
});

describe('the environment\'s reports without a NAT gateway', () => {
  const dockerHub = ecs.ContainerImage.fromRegistry('nginx:latest');
  const ghcr = ecs.ContainerImage.fromRegistry('ghcr.io/x/y');

  function isolated(): { stack: Stack; env: MicroserviceEnvironment } {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    return { stack, env: new MicroserviceEnvironment(stack, 'Env', { createVpcEndpoints: true }) };
  }

  test('unreachable images of several services: one warning, each image with its services, and what to do', () => {
    const { stack, env } = isolated();
    for (const name of ['A', 'B']) new TwelveFactorService(stack, name, { environment: env, image: dockerHub, user: '1000' });
    new TwelveFactorService(stack, 'C', { environment: env, image: ghcr, user: '1000' });
    const found = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('image-unreachable'));
    expect(found).toHaveLength(1);
    expect(found[0].id).toBe('/Test/Env');
    expect(String(found[0].entry.data)).toContain(
      'The image nginx:latest of Test/A, Test/B; the image ghcr.io/x/y of Test/C are not on a private ECR registry of this Region, '
      + 'and the service subnets of Test/Env have no route to the internet (no NAT gateway): tasks would fail to pull them. Push each image to a private ECR repository');
  });

  test('one image of several services: "is", "it"', () => {
    const { stack, env } = isolated();
    for (const name of ['A', 'B']) new TwelveFactorService(stack, name, { environment: env, image: dockerHub, user: '1000' });
    const [warning] = Annotations.fromStack(stack).findWarning('/Test/Env', Match.stringLikeRegexp('image-unreachable'));
    expect(String(warning.entry.data)).toContain('The image nginx:latest of Test/A, Test/B is not on a private ECR registry');
    expect(String(warning.entry.data)).toContain('would fail to pull it. Push the image');
  });

  test('an unreachable image acknowledged on its service is left out', () => {
    const { stack, env } = isolated();
    const a = new TwelveFactorService(stack, 'A', { environment: env, image: dockerHub, user: '1000' });
    new TwelveFactorService(stack, 'B', { environment: env, image: ghcr, user: '1000' });
    CdkAnnotations.of(a).acknowledgeWarning('cdk-microservices:image-unreachable', 'pulled through a proxy');
    const found = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('image-unreachable')).map((m) => String(m.entry.data));
    expect(found).toEqual([expect.stringContaining('The image ghcr.io/x/y of Test/B is not')]);
  });

  test('a missing endpoint for several services: one warning per endpoint, each service with its actions', () => {
    const { stack, env } = isolated();
    const image = ecs.ContainerImage.fromRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com/w:1');
    const a = new TwelveFactorService(stack, 'A', { environment: env, image, user: '1000' });
    const b = new TwelveFactorService(stack, 'B', { environment: env, image, user: '1000' });
    const queue = new sqs.Queue(stack, 'Jobs');
    queue.grantConsumeMessages(a.taskRole);
    queue.grantSendMessages(b.taskRole);
    const found = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('endpoint-missing-sqs'));
    expect(found).toHaveLength(1);
    expect(found[0].id).toBe('/Test/Env');
    const text = String(found[0].entry.data);
    expect(text).toMatch(/^The tasks of Test\/A may call sqs:ChangeMessageVisibility, .*sqs:ReceiveMessage; the tasks of Test\/B may call .*sqs:SendMessage, but the service subnets of Test\/Env/);
    expect(text).toContain('Add ec2.InterfaceVpcEndpointAwsService.SQS to `additionalVpcEndpoints`');
  });
});
