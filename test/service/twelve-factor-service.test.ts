import {
  Duration,
  Stack,
  Token,
  Validations,
  aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_events as events,
  aws_logs as logs,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { containerOf, IMAGE, withEnvironment } from './fixtures';
import { Discovery, StageProfile, TwelveFactorService, TwelveFactorServiceProps } from '../../src';

function web(extra: Partial<TwelveFactorServiceProps> = {}, envProps = {}) {
  const { stack, env } = withEnvironment(envProps);
  const service = new TwelveFactorService(stack, 'Users', {
    environment: env,
    image: IMAGE,
    port: 8080,
    hostName: 'users.example.com',
    ...extra,
  });
  let template: Template | undefined;
  return {
    stack,
    env,
    service,
    get t(): Template {
      template = template ?? Template.fromStack(stack);
      return template;
    },
  };
}

describe('defaults of a web service', () => {
  const { service, t } = web();
  const container = containerOf(t, 'UsersTaskDefinition');

  test('I/II: one image, read-only root file system, not privileged, init process, stop timeout 30 s', () => {
    expect(container).toMatchObject({
      Image: 'public.ecr.aws/nginx/nginx:stable',
      ReadonlyRootFilesystem: true,
      Privileged: false,
      Essential: true,
      LinuxParameters: { InitProcessEnabled: true },
      StopTimeout: 30,
    });
  });

  test('V: RELEASE_ID injected, circuit breaker with rollback, error alarm as deployment alarm', () => {
    expect(container.Environment).toEqual(expect.arrayContaining([{ Name: 'RELEASE_ID', Value: 'public.ecr.aws/nginx/nginx:stable' }]));
    t.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        Alarms: { AlarmNames: [{ Ref: Match.stringLikeRegexp('^UsersErrorAlarm') }], Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      }),
    });
  });

  test('VII: port mapping, IP target group with health check, listener rule on the host name, alias record', () => {
    expect(container.PortMappings).toEqual([{ ContainerPort: 8080, Name: 'http', Protocol: 'tcp' }]);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8080,
      TargetType: 'ip',
      HealthCheckPath: '/',
      Matcher: { HttpCode: '200-399' },
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 1,
      Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['users.example.com'] } }],
      Actions: [Match.objectLike({ Type: 'forward' })],
    });
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'users.example.com.', Type: 'A' });
    t.hasResourceProperties('AWS::ECS::Service', { HealthCheckGracePeriodSeconds: 60 });
    expect(service.url).toBe('https://users.example.com');
  });

  test('VII: the tasks accept the port only from the load balancer', () => {
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 8080,
      ToPort: 8080,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EnvLoadBalancerSecurityGroup'), 'GroupId'] },
    });
  });

  test('VIII: stage sizes, 2 to 10 tasks, CPU target tracking at 70%, all on demand', () => {
    t.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '512', Memory: '1024' });
    t.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 2, LaunchType: 'FARGATE', PlatformVersion: 'LATEST' });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 10 });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 70,
      }),
    });
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 1);
  });

  test('XI: logs to an encrypted log group with the environment retention, non-blocking; error metric filter', () => {
    expect(container.LogConfiguration).toMatchObject({
      LogDriver: 'awslogs',
      Options: expect.objectContaining({ 'mode': 'non-blocking', 'awslogs-stream-prefix': 'users' }),
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '"ERROR"',
      MetricTransformations: [Match.objectLike({ MetricName: 'users-errors', MetricNamespace: 'CdkMicroservices/Test/Env', MetricValue: '1' })],
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 10, MetricName: 'users-errors', TreatMissingData: 'notBreaching' });
  });

  test('discovery: Cloud Map A record in the environment namespace', () => {
    t.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      Name: 'users',
      DnsConfig: Match.objectLike({ DnsRecords: [{ TTL: 10, Type: 'A' }] }),
    });
    expect(service.discoveryName).toBe('users.env.internal');
  });

  test('private subnets, no public IP, no exec', () => {
    t.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
      EnableExecuteCommand: false,
    });
  });

  test('the finding on environment variables is acknowledged with a reason', () => {
    const meta = service.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    expect(meta.map((m) => m.data)).toEqual([expect.objectContaining({ 'AwsSolutions-ECS2': expect.stringMatching(/secret/) })]);
  });

  test('a warning when the container may run as root, none with a user', () => {
    Annotations.fromStack(web().stack).hasWarning('/Test/Env',
      Match.stringLikeRegexp('The container of Test/Users runs as the image\'s user, which may be root: set its `user` to a non-root user'));
    Annotations.fromStack(web({ user: '1000' }).stack).hasNoWarning('*', Match.anyValue());
  });

  test('the error alarm notifies the environment alarm topic', () => {
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: Match.stringLikeRegexp('^EnvAlarmTopic') }] });
  });

  test('each container has a memory hard limit equal to the task memory', () => {
    expect(container.Memory).toBe(1024);
  });
});

describe('what the user sets instead', () => {
  test('II/VI: writable root, scratch volume, ephemeral storage', () => {
    const { t } = web({ readonlyRootFilesystem: false, scratchVolumePath: '/tmp', ephemeralStorageGiB: 50 });
    const container = containerOf(t, 'UsersTaskDefinition');
    expect(container.ReadonlyRootFilesystem).toBe(false);
    expect(container.MountPoints).toEqual([{ ContainerPath: '/tmp', SourceVolume: 'scratch', ReadOnly: false }]);
    t.hasResourceProperties('AWS::ECS::TaskDefinition', { Volumes: [{ Name: 'scratch' }], EphemeralStorage: { SizeInGiB: 50 } });
  });

  test('III: config and secrets', () => {
    const { stack, env } = withEnvironment({}, false);
    const secret = new secretsmanager.Secret(stack, 'Stripe');
    new TwelveFactorService(stack, 'Users', {
      environment: env,
      image: IMAGE,
      config: { LOG_LEVEL: 'info', TOKEN_ENDPOINT: 'https://auth.example.com' },
      allowPlainConfig: ['TOKEN_ENDPOINT'],
      secrets: { STRIPE_KEY: ecs.Secret.fromSecretsManager(secret) },
    });
    const t = Template.fromStack(stack);
    const container = containerOf(t, 'UsersTaskDefinition');
    expect(container.Environment).toEqual(expect.arrayContaining([
      { Name: 'LOG_LEVEL', Value: 'info' }, { Name: 'TOKEN_ENDPOINT', Value: 'https://auth.example.com' },
    ]));
    expect(container.Secrets).toEqual([{ Name: 'STRIPE_KEY', ValueFrom: { Ref: expect.stringMatching(/^Stripe/) } }]);
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^UsersTaskDefinitionExecutionRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: { Ref: Match.stringLikeRegexp('^Stripe') } })]) },
    });
  });

  test('V: release id, no circuit breaker, own deployment alarms, no error alarm', () => {
    const { stack, env } = withEnvironment({}, false);
    const alarm = cloudwatch.Alarm.fromAlarmName(stack, 'Dlq', 'dlq-not-empty');
    new TwelveFactorService(stack, 'Worker', {
      environment: env, image: IMAGE, releaseId: 'v42', circuitBreaker: false, deploymentAlarms: [alarm], errorAlarmThreshold: 0,
    });
    const t = Template.fromStack(stack);
    expect(containerOf(t, 'WorkerTaskDefinition').Environment).toEqual([{ Name: 'RELEASE_ID', Value: 'v42' }]);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    t.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: Match.absent(),
        Alarms: { AlarmNames: ['dlq-not-empty'], Enable: true, Rollback: true },
      }),
    });
  });

  test('V: addDeploymentAlarm adds alarms after construction, once each; none at all leaves alarms off', () => {
    const { stack, env } = withEnvironment({}, false);
    const service = new TwelveFactorService(stack, 'Worker', { environment: env, image: IMAGE });
    new TwelveFactorService(stack, 'Quiet', { environment: env, image: IMAGE, errorAlarmThreshold: 0 });
    const later = cloudwatch.Alarm.fromAlarmName(stack, 'Later', 'backlog-too-old');
    service.addDeploymentAlarm(later);
    service.addDeploymentAlarm(later);
    service.addDeploymentAlarm(cloudwatch.Alarm.fromAlarmName(stack, 'Other', 'dlq-not-empty'));
    expect(service.stopTimeout.toSeconds()).toBe(30);
    const t = Template.fromStack(stack);
    const services = t.findResources('AWS::ECS::Service');
    const alarms = (prefix: string): any =>
      Object.entries(services).find(([id]) => id.startsWith(prefix))![1].Properties.DeploymentConfiguration.Alarms;
    expect(alarms('WorkerService')).toEqual({
      AlarmNames: [{ Ref: expect.stringMatching(/^WorkerErrorAlarm/) }, 'backlog-too-old', 'dlq-not-empty'], Enable: true, Rollback: true,
    });
    expect(alarms('QuietService')).toBeUndefined();
    expect(() => service.addDeploymentAlarm('alarm' as any)).toThrow(/`TwelveFactorService` at Test\/Worker: `addDeploymentAlarm` needs a cloudwatch.IAlarm/);
  });

  test.each<[ecs.DeploymentStrategy, string | undefined, object | undefined]>([
    [ecs.DeploymentStrategy.BLUE_GREEN, undefined, undefined],
    [ecs.DeploymentStrategy.LINEAR, 'LinearConfiguration', { StepPercent: 20, StepBakeTimeInMinutes: 3 }],
    [ecs.DeploymentStrategy.CANARY, 'CanaryConfiguration', { CanaryPercent: 20, CanaryBakeTimeInMinutes: 3 }],
  ])('V: ECS built-in %s deployment with an alternate target group', (strategy, configKey, config) => {
    const { t, service } = web({
      deploymentStrategy: strategy,
      deploymentBakeTime: Duration.minutes(5),
      ...(configKey ? { trafficShiftPercent: 20, trafficShiftBakeTime: Duration.minutes(3) } : {}),
    });
    expect(service.alternateTargetGroup).toBeDefined();
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 2);
    t.hasResourceProperties('AWS::ECS::Service', {
      DeploymentConfiguration: Match.objectLike({
        Strategy: strategy,
        BakeTimeInMinutes: 5,
        ...(configKey ? { [configKey]: Match.objectLike(config!) } : {}),
      }),
      LoadBalancers: [Match.objectLike({
        AdvancedConfiguration: Match.objectLike({ AlternateTargetGroupArn: { Ref: Match.stringLikeRegexp('^UsersAlternateTargetGroup') } }),
      })],
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Actions: [Match.objectLike({
        Type: 'forward',
        ForwardConfig: { TargetGroups: [Match.objectLike({ Weight: 100 }), Match.objectLike({ Weight: 0 })] },
      })],
    });
  });

  test('VII: path routing with a chosen priority and health check', () => {
    const { t } = web({ hostName: undefined, pathPatterns: ['/users/*'], routePriority: 7, healthCheckPath: '/health', healthCheckGracePeriod: Duration.seconds(120) });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 7,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/users/*'] } }],
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/health' });
    t.hasResourceProperties('AWS::ECS::Service', { HealthCheckGracePeriodSeconds: 120 });
    t.resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  test('VII: services on one load balancer get distinct priorities', () => {
    const { stack, env } = withEnvironment();
    new TwelveFactorService(stack, 'A', { environment: env, image: IMAGE, port: 80, hostName: 'a.example.com' });
    new TwelveFactorService(stack, 'B', { environment: env, image: IMAGE, port: 80, hostName: 'b.example.com' });
    // A priority chosen after others were created automatically does not collide with them.
    new TwelveFactorService(stack, 'C', { environment: env, image: IMAGE, port: 80, hostName: 'c.example.com', routePriority: 2 });
    expect(() => new TwelveFactorService(stack, 'D', { environment: env, image: IMAGE, port: 80, hostName: 'd.example.com', routePriority: 2 }))
      .toThrow(/`routePriority` 2 is already used/);
    const rules = Template.fromStack(stack).findResources('AWS::ElasticLoadBalancingV2::ListenerRule');
    const priority = (prefix: string) => Object.entries(rules).find(([k]) => k.startsWith(prefix))![1].Properties.Priority;
    expect([priority('A'), priority('B'), priority('C')]).toEqual([1, 3, 2]);
  });

  test('VIII: sizes, counts, memory and request scaling, Spot weights', () => {
    const { t } = web({
      cpu: 1024,
      memoryMiB: 4096,
      minTasks: 3,
      maxTasks: 6,
      desiredTasks: 4,
      cpuTargetPercent: 0,
      memoryTargetPercent: 80,
      requestsPerTarget: 500,
      spotWeight: 3,
      onDemandWeight: 1,
      onDemandBase: 2,
    });
    t.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '1024', Memory: '4096' });
    t.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 4,
      CapacityProviderStrategy: [
        { CapacityProvider: 'FARGATE', Weight: 1, Base: 2 },
        { CapacityProvider: 'FARGATE_SPOT', Weight: 3 },
      ],
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 6 });
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalingPolicy', 2);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 80, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' } }),
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 500, PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }) }),
    });
  });

  test('VIII: a fixed count creates no scaling', () => {
    const { t, service } = web({ minTasks: 2, maxTasks: 2 });
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
    expect(service.scaling).toBeUndefined();
  });

  test('IX: container health check, stop timeout, no init process, user', () => {
    const { t } = web({
      containerHealthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'], startPeriod: Duration.seconds(30) },
      stopTimeout: Duration.seconds(90),
      initProcessEnabled: false,
      user: '1000:1000',
    });
    expect(containerOf(t, 'UsersTaskDefinition')).toMatchObject({
      HealthCheck: { Command: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'], StartPeriod: 30 },
      StopTimeout: 90,
      LinuxParameters: { InitProcessEnabled: false },
      User: '1000:1000',
    });
  });

  test('X: the development stage changes only sizes and counts', () => {
    const { t } = web({}, { stageProfile: StageProfile.DEVELOPMENT });
    t.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '256', Memory: '512' });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: 2 });
    expect(containerOf(t, 'UsersTaskDefinition').ReadonlyRootFilesystem).toBe(true);
  });

  test('XI: own retention, error pattern and threshold', () => {
    const { t } = web({ logRetention: logs.RetentionDays.ONE_WEEK, errorLogPattern: 'FATAL', errorAlarmThreshold: 3 });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    t.hasResourceProperties('AWS::Logs::MetricFilter', { FilterPattern: '"FATAL"' });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 3 });
  });

  test('a worker: no port, no load balancer wiring, no grace period, scale from zero', () => {
    const { stack, env } = withEnvironment({}, false);
    const worker = new TwelveFactorService(stack, 'EmailWorker', { environment: env, image: IMAGE, minTasks: 0, maxTasks: 4 });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 0);
    t.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 0, HealthCheckGracePeriodSeconds: Match.absent() });
    expect(containerOf(t, 'EmailWorkerTaskDefinition').PortMappings).toBeUndefined();
    expect(worker.serviceName).toBe('email-worker');
    expect(() => worker.allowFrom(worker)).toThrow(/`allowFrom` needs a `port`/);
  });
});

describe('discovery', () => {
  test('custom attributes for API discovery', () => {
    const { t } = web({ discoveryAttributes: { version: 'v2', protocol: 'http' } });
    t.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'users', ServiceAttributes: { version: 'v2', protocol: 'http' } });
  });

  test('Service Connect on top of the DNS registration, its endpoint under its own Cloud Map name', () => {
    const { t, service } = web({ discovery: Discovery.SERVICE_CONNECT, serviceName: 'users-api', discoveryAttributes: { version: 'v2' } });
    // The A record every task of the VPC resolves (admin tasks, CLOUD_MAP services, Lambda).
    t.resourceCountIs('AWS::ServiceDiscovery::Service', 1);
    t.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      Name: 'users-api', DnsConfig: Match.objectLike({ DnsRecords: [{ Type: 'A', TTL: 10 }] }), ServiceAttributes: { version: 'v2' },
    });
    const [svc] = Object.values(t.findResources('AWS::ECS::Service'));
    expect(svc.Properties.ServiceRegistries).toHaveLength(1);
    expect(svc.Properties.ServiceRegistries[0].RegistryArn['Fn::GetAtt'][0]).toMatch(/^UsersServiceCloudmapService/);
    t.hasResourceProperties('AWS::ECS::Service', {
      ServiceConnectConfiguration: Match.objectLike({
        Enabled: true,
        Namespace: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EnvNamespace'), 'Arn'] },
        // Two Cloud Map services of a namespace cannot share a name: the endpoint is '-sc',
        // the client alias the DNS name.
        Services: [Match.objectLike({ PortName: 'http', DiscoveryName: 'users-api-sc', ClientAliases: [{ DnsName: 'users-api.env.internal', Port: 8080 }] })],
      }),
    });
    expect(service.discoveryName).toBe('users-api.env.internal');
    expect(service.cloudMapService).toBeDefined();
  });

  test('a Service Connect endpoint name is refused when too long or taken', () => {
    expect(() => web({ discovery: Discovery.SERVICE_CONNECT, serviceName: 'a'.repeat(62) }))
      .toThrow(/`serviceName` 'a{62}' is too long for `Discovery.SERVICE_CONNECT`: its endpoint 'a{62}-sc' must have at most 64 characters; use at most 61/);
    const { stack, env } = withEnvironment();
    new TwelveFactorService(stack, 'Plain', { environment: env, image: IMAGE, serviceName: 'users-sc', user: '1' });
    expect(() => new TwelveFactorService(stack, 'Connected', { environment: env, image: IMAGE, serviceName: 'users', port: 80, discovery: Discovery.SERVICE_CONNECT, user: '1' }))
      .toThrow(/`serviceName` 'users' with `Discovery.SERVICE_CONNECT` registers the Cloud Map service 'users-sc', which Test\/Plain already uses/);
  });

  test('one service allows another on its port', () => {
    const { stack, env, service } = web();
    const worker = new TwelveFactorService(stack, 'Worker', { environment: env, image: IMAGE });
    service.allowFrom(worker);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 8080,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkerSecurityGroup'), 'GroupId'] },
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UsersSecurityGroup'), 'GroupId'] },
    });
  });
});

describe('admin tasks (XII)', () => {
  test('a one-off task with the same image, config, roles and logs', () => {
    const { stack, service } = web({ config: { LOG_LEVEL: 'info' } });
    const task = service.addAdminTask('migrate', { command: ['node', 'migrate.js'] });
    const t = Template.fromStack(stack);
    const admin = containerOf(t, 'UsersAdminmigrateTaskDefinition');
    expect(admin).toMatchObject({ Image: 'public.ecr.aws/nginx/nginx:stable', Command: ['node', 'migrate.js'], ReadonlyRootFilesystem: true });
    expect(admin.Environment).toEqual(expect.arrayContaining([{ Name: 'LOG_LEVEL', Value: 'info' }]));
    expect(admin.LogConfiguration.Options['awslogs-stream-prefix']).toBe('admin-migrate');
    const defs = t.findResources('AWS::ECS::TaskDefinition');
    const adminDef = Object.entries(defs).find(([k]) => k.startsWith('UsersAdminmigrate'))![1];
    expect(adminDef.Properties.TaskRoleArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^UsersTaskDefinitionTaskRole/), 'Arn'] });
    expect(adminDef.Properties.ExecutionRoleArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^UsersTaskDefinitionExecutionRole/), 'Arn'] });
    t.resourceCountIs('AWS::Events::Rule', 0);
    expect(task.rule).toBeUndefined();
    expect(service.adminTaskNames).toEqual(['migrate']);
  });

  test('a scheduled task runs in the service subnets with the service security group', () => {
    const { stack, service } = web();
    service.addAdminTask('nightly', { command: ['node', 'cleanup.js'], schedule: events.Schedule.cron({ minute: '0', hour: '3' }), cpu: 256, memoryMiB: 512 });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: [Match.objectLike({
        EcsParameters: Match.objectLike({
          LaunchType: 'FARGATE',
          PlatformVersion: 'LATEST',
          NetworkConfiguration: { AwsVpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED', SecurityGroups: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^UsersSecurityGroup'), 'GroupId'] }] }) },
        }),
      })],
    });
    t.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '256', Memory: '512' });
  });

  test.each<[string, object, RegExp]>([
    ['bad name', { command: ['x'] }, /`name` 'Bad Name' is not valid/],
  ])('refuses %s', (_n, options, message) => {
    const { service } = web();
    expect(() => service.addAdminTask('Bad Name', options as any)).toThrow(message);
  });

  test('refuses an empty command, a bad size and a duplicate name', () => {
    const { service } = web();
    expect(() => service.addAdminTask('a', { command: [] })).toThrow(/`command` must be a non-empty list/);
    expect(() => service.addAdminTask('b', { command: ['x'], cpu: 300 })).toThrow(/`cpu` 300 is not a Fargate size/);
    service.addAdminTask('c', { command: ['x'] });
    expect(() => service.addAdminTask('c', { command: ['y'] })).toThrow(/`name` 'c' is already used by another admin task/);
  });
});

describe('TwelveFactorService bad input', () => {
  test.each<[string, Partial<TwelveFactorServiceProps>, RegExp]>([
    ['cpu not a Fargate size', { cpu: 300 }, /`cpu` 300 is not a Fargate size; use 256, 512, 1024, 2048, 4096, 8192, 16384/],
    ['memory not valid for cpu', { cpu: 256, memoryMiB: 4096 }, /`memoryMiB` 4096 is not valid with `cpu` 256; use 512, 1024, 2048/],
    ['port 0', { port: 0 }, /`port` 0 is not valid; use a whole number from 1 to 65535/],
    ['port 70000', { port: 70000 }, /`port` 70000 is not valid/],
    ['health check path without slash', { healthCheckPath: 'health' }, /`healthCheckPath` 'health' is not valid/],
    ['min > max', { minTasks: 5, maxTasks: 2 }, /`minTasks` 5 is greater than `maxTasks` 2/],
    ['desired outside min..max', { minTasks: 1, maxTasks: 3, desiredTasks: 9 }, /`desiredTasks` 9 is outside `minTasks`..`maxTasks` \(1..3\)/],
    ['secret-looking config', { config: { DB_PASSWORD: 'hunter2' } }, /`config` DB_PASSWORD looks like a secret; pass it in `secrets`/],
    ['credential-like value', { config: { SETTINGS: '-----BEGIN RSA PRIVATE KEY-----abc' } }, /`config` SETTINGS holds what looks like a private key/],
    ['URL with a password', { config: { DATABASE_URL: 'postgres://app:pw@db:5432/app' } }, /looks like a URL with a password/],
    ['bad config name', { config: { 'my-var': 'x' } }, /`config` name 'my-var' is not valid/],
    ['stop timeout 150 s', { stopTimeout: Duration.seconds(150) }, /`stopTimeout` 2 minutes 30 seconds is not valid; use whole seconds from 2 to 120/],
    ['service name with capitals', { serviceName: 'Users' }, /`serviceName` 'Users' is not valid/],
    ['too many path patterns', { pathPatterns: ['/a', '/b', '/c', '/d', '/e', '/f'] }, /`pathPatterns` has 6 patterns; use 1 to 5/],
    ['host outside the zone', { hostName: 'users.other.org' }, /`hostName` 'users.other.org' is not in the environment's hosted zone 'example.com'/],
    ['strategy knobs on ROLLING', { trafficShiftPercent: 10 }, /`trafficShiftPercent` and `trafficShiftBakeTime` apply to LINEAR and CANARY/],
    ['linear step under 3%', { deploymentStrategy: ecs.DeploymentStrategy.LINEAR, trafficShiftPercent: 2 }, /`trafficShiftPercent` 2 is not valid for LINEAR; use 3 to 100/],
    ['bake not whole minutes', { deploymentStrategy: ecs.DeploymentStrategy.BLUE_GREEN, deploymentBakeTime: Duration.seconds(90) }, /`deploymentBakeTime` 1 minute 30 seconds is not valid/],
    ['spot knobs without spot', { onDemandBase: 1 }, /`onDemandWeight` and `onDemandBase` split tasks/],
    ['scratch path not absolute', { scratchVolumePath: 'tmp' }, /`scratchVolumePath` 'tmp' is not an absolute path/],
    ['ephemeral storage 10 GiB', { ephemeralStorageGiB: 10 }, /`ephemeralStorageGiB` 10 is not valid; use a whole number from 21 to 200/],
    ['error pattern with a space', { errorLogPattern: 'two words' }, /`errorLogPattern` 'two words' is not valid/],
  ])('%s', (_name, extra, message) => {
    expect(() => web(extra)).toThrow(message);
  });

  test('routing props on a worker', () => {
    const { stack, env } = withEnvironment({}, false);
    expect(() => new TwelveFactorService(stack, 'W', { environment: env, image: IMAGE, healthCheckPath: '/health', requestsPerTarget: 10 }))
      .toThrow(/`healthCheckPath` applies to a service routed by the load balancer[\s\S]*`requestsPerTarget` applies/);
    expect(() => new TwelveFactorService(stack, 'W2', { environment: env, image: IMAGE, port: 80, hostName: 'a.example.com' }))
      .toThrow(/need the environment's shared load balancer; create Test\/Env with `createLoadBalancer: true`/);
    expect(() => new TwelveFactorService(stack, 'W3', { environment: env, image: IMAGE, deploymentStrategy: ecs.DeploymentStrategy.CANARY }))
      .toThrow(/`deploymentStrategy` CANARY shifts load balancer traffic/);
  });

  test('every problem in one error naming the construct path', () => {
    expect(() => web({ cpu: 300, port: 0, minTasks: 4, maxTasks: 1 }))
      .toThrow(/^`TwelveFactorService` at Test\/Users:\n  - `cpu` 300.*\n  - `port` 0.*\n  - `minTasks` 4/);
  });

  test('allowPlainConfig lets a non-secret name through, addEnvironment checks too', () => {
    const { service } = web({ config: { TOKEN_URL: 'https://x' }, allowPlainConfig: ['TOKEN_URL'] });
    expect(() => service.addEnvironment('API_KEY', 'abc')).toThrow(/`config` API_KEY looks like a secret/);
    expect(() => service.addEnvironment('TOKEN_URL', 'again')).toThrow(/TOKEN_URL from addEnvironment is already set/);
  });

  test('tokens are not validated', () => {
    expect(() => web({ port: Token.asNumber({ Ref: 'Port' }), cpu: Token.asNumber({ Ref: 'Cpu' }), memoryMiB: Token.asNumber({ Ref: 'Mem' }) }))
      .not.toThrow();
  });
});

describe('routed from a given listener', () => {
  function ownLoadBalancer() {
    const { stack, env } = withEnvironment({}, false);
    const lb = new elbv2.ApplicationLoadBalancer(stack, 'Lb', { vpc: env.vpc });
    const listener = lb.addListener('Http', { port: 80, open: false });
    return { stack, env, lb, listener };
  }

  test('without hostName or pathPatterns: the listener\'s default action, its load balancer admitted on the port, no rule, no record', () => {
    const { stack, env, lb, listener } = ownLoadBalancer();
    const service = new TwelveFactorService(stack, 'Api', { environment: env, image: IMAGE, port: 8080, healthCheckPath: '/ready', listener });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: stack.getLogicalId(service.targetGroup!.node.defaultChild as elbv2.CfnTargetGroup) } }],
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 8080, TargetType: 'ip', HealthCheckPath: '/ready' });
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
    t.resourceCountIs('AWS::Route53::RecordSet', 0);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 8080,
      ToPort: 8080,
      GroupId: { 'Fn::GetAtt': [stack.getLogicalId(service.securityGroup.node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [stack.getLogicalId(lb.connections.securityGroups[0].node.defaultChild as ec2.CfnSecurityGroup), 'GroupId'] },
    });
    expect(service.listenerRule).toBeUndefined();
    expect(service.url).toBeUndefined();
  });

  test('with pathPatterns and routePriority: a rule on that listener, not on the shared one', () => {
    const { stack, env, listener } = ownLoadBalancer();
    listener.addAction('NotFound', { action: elbv2.ListenerAction.fixedResponse(404) });
    const service = new TwelveFactorService(stack, 'Api', { environment: env, image: IMAGE, port: 8080, pathPatterns: ['/api/*'], routePriority: 7, listener });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 7,
      ListenerArn: { Ref: stack.getLogicalId(listener.node.defaultChild as elbv2.CfnListener) },
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
    });
    expect(service.listenerRule).toBeDefined();
  });

  test('an imported listener with hostName and routePriority: a host-header rule on it', () => {
    const { stack, env } = withEnvironment({}, false);
    const listener = elbv2.ApplicationListener.fromApplicationListenerAttributes(stack, 'Imported', {
      listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/lb/1/2',
      securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'LbSg', 'sg-0123456789abcdef0'),
    });
    new TwelveFactorService(stack, 'Api', { environment: env, image: IMAGE, port: 8080, hostName: 'api.example.com', routePriority: 3, listener });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 3,
      ListenerArn: 'arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/lb/1/2',
      Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['api.example.com'] } }],
    });
  });

  test.each<[string, (s: Stack, l: elbv2.IApplicationListener) => Partial<TwelveFactorServiceProps>, RegExp]>([
    ['a rule without routePriority', () => ({ pathPatterns: ['/api/*'] }), /`listener` with `hostName` or `pathPatterns` needs a `routePriority`/],
    ['no port', () => ({ port: undefined }), /route requests to the service's `port`; set `port`/],
    ['an imported listener as default action', (s) => ({
      listener: elbv2.ApplicationListener.fromApplicationListenerAttributes(s, 'Imported', {
        listenerArn: 'arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/lb/1/2',
        securityGroup: ec2.SecurityGroup.fromSecurityGroupId(s, 'LbSg', 'sg-0123456789abcdef0'),
      }),
    }), /`listener` is not a listener of this app, so the service cannot be its default action/],
    ['a default action with a progressive strategy', () => ({ deploymentStrategy: ecs.DeploymentStrategy.BLUE_GREEN }),
      /`deploymentStrategy` BLUE_GREEN needs a listener rule/],
    ['not a listener', () => ({ listener: 'arn:aws:elasticloadbalancing:listener' as any }), /`listener` 'arn:aws:elasticloadbalancing:listener' is not an elbv2.IApplicationListener/],
  ])('refused: %s', (_, extra, pattern) => {
    const { stack, env, listener } = ownLoadBalancer();
    expect(() => new TwelveFactorService(stack, 'Api', { environment: env, image: IMAGE, port: 8080, listener, ...extra(stack, listener) }))
      .toThrow(new RegExp(`TwelveFactorService\` at Test/Api: .*${pattern.source}`, 's'));
  });
});
