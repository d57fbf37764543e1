import { App, Stack, aws_ecs as ecs } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { ENV, IMAGE, importedVpc, withEnvironment } from './fixtures';
import { Discovery, MicroserviceEnvironment, TwelveFactorService, TwelveFactorServiceProps } from '../../src';

/** Issue 14: things that deploy and then do not work, or fail on a second attempt. */

function worker(extra: Partial<TwelveFactorServiceProps> = {}) {
  const { stack, env } = withEnvironment({}, false);
  const service = new TwelveFactorService(stack, 'Worker', { environment: env, image: IMAGE, ...extra });
  return { stack, env, service };
}

/** The container definitions of the task definition whose logical id starts with the prefix. */
function containersOf(t: Template, prefix: string): any[] {
  const defs = t.findResources('AWS::ECS::TaskDefinition');
  const id = Object.keys(defs).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no task definition ${prefix}*`);
  return defs[id].Properties.ContainerDefinitions;
}

function taskDefinitionOf(t: Template, prefix: string): any {
  const defs = t.findResources('AWS::ECS::TaskDefinition');
  return defs[Object.keys(defs).find((k) => k.startsWith(prefix))!];
}

/** The logical id of a resource that `Ref`/`Fn::GetAtt` of a log configuration names. */
function logGroupOf(container: any): string {
  const group = container.LogConfiguration.Options['awslogs-group'];
  return group.Ref;
}

describe('1: a non-root service can write its scratch volume', () => {
  // A Fargate bind mount is created owned by root, mode 0755: a non-root app cannot write it.
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html
  test('a non-essential init container of the same image chmods the volume as root before the app starts', () => {
    const { stack, service } = worker({ user: '1000:1000', scratchVolumePath: '/scratch' });
    service.addAdminTask('replay', { command: ['node', 'replay.js'] });
    const t = Template.fromStack(stack);
    for (const prefix of ['WorkerTaskDefinition', 'WorkerAdminreplayTaskDefinition']) {
      const [app, init, ...rest] = containersOf(t, prefix);
      expect(rest).toEqual([]);
      expect(app).toMatchObject({
        Name: 'app',
        User: '1000:1000',
        // The hard limits add up to the task's memory (1024 MiB in production).
        Memory: 1024 - 32,
        Essential: true,
        MountPoints: [{ ContainerPath: '/scratch', SourceVolume: 'scratch', ReadOnly: false }],
        DependsOn: [{ ContainerName: 'scratch-init', Condition: 'SUCCESS' }],
      });
      expect(init).toMatchObject({
        Name: 'scratch-init',
        Image: 'public.ecr.aws/nginx/nginx:stable',
        Essential: false,
        Memory: 32,
        User: '0',
        EntryPoint: ['chmod'],
        Command: ['1777', '/scratch'],
        ReadonlyRootFilesystem: true,
        Privileged: false,
        MountPoints: [{ ContainerPath: '/scratch', SourceVolume: 'scratch', ReadOnly: false }],
        LogConfiguration: { LogDriver: 'awslogs', Options: expect.objectContaining({ 'awslogs-stream-prefix': expect.stringMatching(/-scratch-init$/) }) },
      });
      // The app's own error metric does not count the init container's lines.
      expect(logGroupOf(init)).not.toBe(logGroupOf(containersOf(t, 'WorkerTaskDefinition')[0]));
      expect(taskDefinitionOf(t, prefix).Properties.Volumes).toEqual([{ Name: 'scratch' }]);
      // Control Tower's non-root check is suppressed with the reason, on this task definition only.
      expect(taskDefinitionOf(t, prefix).Metadata.guard).toMatchObject({
        SuppressedRules: expect.arrayContaining(['CT.ECS.PR.3']),
        Reason: expect.stringContaining('scratch-init'),
      });
    }
  });

  test.each([
    ['the image\'s user (may be root)', { scratchVolumePath: '/tmp' }],
    ['root', { scratchVolumePath: '/tmp', user: '0' }],
    ['prepareScratchVolume: false (the image declares the VOLUME)', { scratchVolumePath: '/tmp', user: '1000', prepareScratchVolume: false }],
    ['no scratch volume', { user: '1000' }],
  ])('no init container with %s', (_, extra) => {
    const { stack } = worker(extra);
    const t = Template.fromStack(stack);
    const containers = containersOf(t, 'WorkerTaskDefinition');
    expect(containers.map((c) => c.Name)).toEqual(['app']);
    expect(containers[0].DependsOn).toBeUndefined();
    expect(taskDefinitionOf(t, 'WorkerTaskDefinition').Metadata?.guard).toBeUndefined();
  });

  test('prepareScratchVolume: true with the image\'s user runs the init container but keeps the root-user finding', () => {
    const { stack } = worker({ scratchVolumePath: '/tmp', prepareScratchVolume: true });
    const t = Template.fromStack(stack);
    expect(containersOf(t, 'WorkerTaskDefinition').map((c) => c.Name)).toEqual(['app', 'scratch-init']);
    expect(taskDefinitionOf(t, 'WorkerTaskDefinition').Metadata?.guard).toBeUndefined();
  });

  test('prepareScratchVolume without scratchVolumePath is refused', () => {
    expect(() => worker({ user: '1000', prepareScratchVolume: true })).toThrow(/Worker.*`prepareScratchVolume`.*set `scratchVolumePath`/s);
  });
});

describe('3: a service on Fargate Spot depends on its cluster\'s capacity provider association', () => {
  // aws-cdk #15366: without it, create fails ("not associated with the cluster") and delete
  // fails ("in use").
  function associationId(t: Template): string {
    const ids = Object.keys(t.findResources('AWS::ECS::ClusterCapacityProviderAssociations'));
    expect(ids).toHaveLength(1);
    return ids[0];
  }

  test('with spotWeight the service DependsOn the association', () => {
    const { stack } = worker({ user: '1000', spotWeight: 2 });
    const t = Template.fromStack(stack);
    const id = associationId(t);
    const services = t.findResources('AWS::ECS::Service');
    const [service] = Object.values(services);
    expect(service.DependsOn).toEqual(expect.arrayContaining([id]));
    expect(service.Properties.CapacityProviderStrategy).toEqual(expect.arrayContaining([expect.objectContaining({ CapacityProvider: 'FARGATE_SPOT' })]));
  });

  test('without a strategy no dependency is added', () => {
    const { stack } = worker({ user: '1000' });
    const t = Template.fromStack(stack);
    const id = associationId(t);
    const [service] = Object.values(t.findResources('AWS::ECS::Service'));
    expect(service.DependsOn ?? []).not.toContain(id);
  });

  test('an imported cluster has no association: the service synthesizes without one', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const vpc = importedVpc(stack);
    const cluster = ecs.Cluster.fromClusterAttributes(stack, 'Cluster', { clusterName: 'shared', vpc, securityGroups: [] });
    const env = new MicroserviceEnvironment(stack, 'Env', { cluster });
    new TwelveFactorService(stack, 'Worker', { environment: env, image: IMAGE, user: '1000', spotWeight: 1 });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ECS::ClusterCapacityProviderAssociations', 0);
    t.hasResourceProperties('AWS::ECS::Service', { CapacityProviderStrategy: Match.arrayWith([Match.objectLike({ CapacityProvider: 'FARGATE_SPOT' })]) });
  });
});

describe('4: error metrics are the environment\'s and the app container\'s own', () => {
  test('two environments with a service of the same name write and alarm on different metrics', () => {
    const app = new App();
    const stacks = ['Staging', 'Prod'].map((stage) => {
      const stack = new Stack(app, `Store${stage}`, { env: ENV });
      const env = new MicroserviceEnvironment(stack, 'Env', {});
      new TwelveFactorService(stack, 'Orders', { environment: env, image: IMAGE, user: '1000' });
      return stack;
    });
    const namespaces: string[] = [];
    for (const stack of stacks) {
      const t = Template.fromStack(stack);
      const [filter] = Object.values(t.findResources('AWS::Logs::MetricFilter'));
      const transformation = filter.Properties.MetricTransformations[0];
      expect(transformation.MetricName).toBe('orders-errors');
      const [alarm] = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
      expect(alarm.Properties).toMatchObject({ Namespace: transformation.MetricNamespace, MetricName: 'orders-errors' });
      namespaces.push(transformation.MetricNamespace);
    }
    expect(namespaces).toEqual(['CdkMicroservices/StoreStaging/Env', 'CdkMicroservices/StoreProd/Env']);
  });

  test('two environments in one stack get their own namespaces', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const a = new TwelveFactorService(stack, 'A', { environment: new MicroserviceEnvironment(stack, 'Blue', { vpc: importedVpc(stack, 'V1') }), image: IMAGE, serviceName: 'orders', user: '1' });
    const b = new TwelveFactorService(stack, 'B', { environment: new MicroserviceEnvironment(stack, 'Green', { vpc: importedVpc(stack, 'V2') }), image: IMAGE, serviceName: 'orders', user: '1' });
    expect(stack.resolve(a.metricErrors().namespace)).toBe('CdkMicroservices/Test/Blue');
    expect(stack.resolve(b.metricErrors().namespace)).toBe('CdkMicroservices/Test/Green');
  });

  test('admin task and Service Connect proxy logs go to the support log group, outside the metric filter\'s', () => {
    const { stack, env } = withEnvironment({}, false);
    const service = new TwelveFactorService(stack, 'Internal', {
      environment: env, image: IMAGE, port: 9000, discovery: Discovery.SERVICE_CONNECT, user: '1000',
    });
    service.addAdminTask('migrate', { command: ['migrate'] });
    const t = Template.fromStack(stack);
    const [filter] = Object.values(t.findResources('AWS::Logs::MetricFilter'));
    const appGroup = stack.resolve(service.logGroup.logGroupName).Ref;
    expect(filter.Properties.LogGroupName).toEqual({ Ref: appGroup });
    expect(logGroupOf(containersOf(t, 'InternalTaskDefinition')[0])).toBe(appGroup);
    const supportGroup = stack.resolve(service.supportLogGroup!.logGroupName).Ref;
    expect(supportGroup).not.toBe(appGroup);
    expect(logGroupOf(containersOf(t, 'InternalAdminmigrateTaskDefinition')[0])).toBe(supportGroup);
    const [svc] = Object.values(t.findResources('AWS::ECS::Service'));
    expect(svc.Properties.ServiceConnectConfiguration.LogConfiguration.Options['awslogs-group']).toEqual({ Ref: supportGroup });
    // The support log group has the environment's retention and key, like the app's.
    t.hasResource('AWS::Logs::LogGroup', Match.objectLike({
      Properties: { RetentionInDays: 365, KmsKeyId: Match.anyValue() },
    }));
    expect(Object.keys(t.findResources('AWS::Logs::MetricFilter'))).toHaveLength(1);
  });

  test('no support log group for a service without admin tasks, proxy or init container', () => {
    const { service } = worker({ user: '1000' });
    expect(service.supportLogGroup).toBeUndefined();
  });
});

describe('5: who can reach a Service Connect name', () => {
  // "Only the tasks that Amazon ECS services create are supported with Service Connect": an
  // admin task (RunTask) has no proxy. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ClusterServiceConnectDefaults.html
  // A Service Connect service keeps its DNS name for clients without the proxy, its client
  // alias being that same name (AWS's migration path from DNS discovery):
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-connect-concepts-deploy.html
  test('the name of a Service Connect service is an A record in the namespace, which admin tasks and Cloud Map services resolve', () => {
    const { stack, env } = withEnvironment({}, false);
    const internal = new TwelveFactorService(stack, 'Internal', { environment: env, image: IMAGE, port: 9000, discovery: Discovery.SERVICE_CONNECT, user: '1000' });
    const users = new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, user: '1000' });
    users.addAdminTask('migrate', { command: ['migrate'] });
    internal.allowFrom(users);
    const t = Template.fromStack(stack);
    const registry = stack.resolve((internal.cloudMapService!.node.defaultChild as any).logicalId);
    t.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      Name: 'internal',
      NamespaceId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EnvNamespace'), 'Id'] },
      DnsConfig: Match.objectLike({ DnsRecords: [{ Type: 'A', TTL: 10 }] }),
    });
    const services = t.findResources('AWS::ECS::Service');
    const internalService = Object.entries(services).find(([id]) => id.startsWith('InternalService'))![1];
    expect(internalService.Properties.ServiceRegistries).toEqual([{ RegistryArn: { 'Fn::GetAtt': [registry, 'Arn'] } }]);
    const alias = internalService.Properties.ServiceConnectConfiguration.Services[0];
    expect(alias.ClientAliases[0].DnsName).toBe(internal.discoveryName);
    expect(alias.DiscoveryName).toBe('internal-sc');
    // The name the admin task uses is that record: no warning that it cannot resolve it.
    Annotations.fromStack(stack).hasNoWarning('/Test/Users/Admin-migrate', Match.anyValue());
    // Direct clients reach the tasks on the same port the alias names.
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 9000, ToPort: 9000 });
  });
});
