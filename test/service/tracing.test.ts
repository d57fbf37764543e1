import { App, Stack, aws_certificatemanager as acm, aws_ecr as ecr, aws_ecs as ecs, aws_route53 as route53 } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { IMAGE, withEnvironment } from './fixtures';
import { CanaryDeployment, MicroserviceEnvironment, TwelveFactorService, TwelveFactorServiceProps } from '../../src';
import {
  APP_MIN_MEMORY_MIB, COLLECTOR_CPU_UNITS, COLLECTOR_IMAGE, COLLECTOR_MEMORY_MIB, collectorConfig, tracingSizeProblem,
} from '../../src/service/service-tracing';
import { CERT_ARN, PLATFORM, ZONE, platformContext } from '../environment/team-fixtures';

/**
 * Tracing (`tracing: true`): the ADOT collector sidecar, the app's OpenTelemetry variables, the
 * task role's X-Ray actions, the X-Ray endpoint of an environment that makes endpoints.
 */
function traced(props: Partial<TwelveFactorServiceProps> = {}, envProps = {}) {
  const { stack, env } = withEnvironment(envProps);
  const service = new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, port: 8080, user: '1000', tracing: true, ...props });
  return { stack, env, service, template: Template.fromStack(stack) };
}

function containers(template: Template): any[] {
  const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as any[];
  return taskDefinition.Properties.ContainerDefinitions;
}

describe('a traced service', () => {
  test('the collector: non-essential, non-root, read-only root, health checked, its own limits, logging to the support log group', () => {
    const { template, service, stack } = traced();
    const [app, collector] = containers(template);
    expect(collector).toMatchObject({
      Name: 'otel-collector',
      Image: COLLECTOR_IMAGE,
      Essential: false,
      User: '4317',
      ReadonlyRootFilesystem: true,
      Privileged: false,
      Memory: COLLECTOR_MEMORY_MIB,
      Cpu: COLLECTOR_CPU_UNITS,
      HealthCheck: { Command: ['CMD', '/healthcheck'], Interval: 10, Timeout: 5, Retries: 3, StartPeriod: 10 },
      LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: stack.resolve((service.supportLogGroup!.node.defaultChild as any).logicalId) } } },
    });
    // The app's hard limit is the rest of the task: the two add up to the task's memory.
    const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as any[];
    expect(app.Memory + collector.Memory).toBe(Number(taskDefinition.Properties.Memory));
    // The app starts once the collector has started (traces never hold it back).
    expect(app.DependsOn).toEqual([{ ContainerName: 'otel-collector', Condition: 'START' }]);
  });

  test('the collector\'s configuration: OTLP on localhost only, X-Ray out in the stack\'s Region, the health check extension on', () => {
    const config = JSON.parse(collectorConfig('us-east-1'));
    expect(config.receivers.otlp.protocols).toEqual({ grpc: { endpoint: '127.0.0.1:4317' }, http: { endpoint: '127.0.0.1:4318' } });
    expect(config.exporters).toEqual({ awsxray: { region: 'us-east-1' } });
    expect(config.service.extensions).toEqual(['health_check']);
    expect(config.extensions.health_check.endpoint).toBe('127.0.0.1:13133');
    expect(config.service.pipelines.traces.exporters).toEqual(['awsxray']);
    expect(config.processors.memory_limiter.limit_mib).toBeLessThan(COLLECTOR_MEMORY_MIB);
    const { template } = traced();
    const [, collector] = containers(template);
    expect(collector.Environment).toEqual([{ Name: 'AOT_CONFIG_CONTENT', Value: collectorConfig('us-east-1') }]);
  });

  test('the app\'s OpenTelemetry variables: its name, environment and release, the local collector, W3C and X-Ray propagation, ratio sampling', () => {
    const { template, env } = traced({ releaseId: 'v42', tracingSampleRatio: 0.25 });
    const [app] = containers(template);
    const variables = Object.fromEntries(app.Environment.map((v: { Name: string; Value: string }) => [v.Name, v.Value]));
    expect(variables).toMatchObject({
      OTEL_SERVICE_NAME: 'users',
      OTEL_RESOURCE_ATTRIBUTES: `deployment.environment=${env.node.path},service.version=v42`,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_PROPAGATORS: 'tracecontext,baggage,xray',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      RELEASE_ID: 'v42',
    });
  });

  test('services of a shared environment name it the same in every app (the name team apps look it up by), a canary\'s slots too', () => {
    const attributes = (stack: Stack) => Object.values(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition')).flatMap((t: any) =>
      t.Properties.ContainerDefinitions.flatMap((c: any) => (c.Environment ?? []).filter((v: any) => v.Name === 'OTEL_RESOURCE_ATTRIBUTES')))
      .map((v: any) => JSON.stringify(v.Value));
    const platformStack = new Stack(new App(), 'Platform', { env: PLATFORM });
    const shared = new MicroserviceEnvironment(platformStack, 'Env', { enableTeamApps: true, environmentName: 'store' });
    new TwelveFactorService(platformStack, 'Orders', { environment: shared, image: IMAGE, user: '1000', tracing: true, releaseId: 'v1' });
    const team = new Stack(new App({ context: platformContext().context }), 'Team', { env: PLATFORM });
    const imported = MicroserviceEnvironment.fromLookup(team, 'Env', { environmentName: 'store' });
    new TwelveFactorService(team, 'Worker', { environment: imported, image: IMAGE, user: '1000', tracing: true, releaseId: 'v2' });
    new CanaryDeployment(team, 'Api', {
      serviceProps: { environment: imported, serviceName: 'api', image: IMAGE, port: 8080, user: '1000', tracing: true },
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(team, 'Zone', ZONE),
      recordName: 'api',
      certificate: acm.Certificate.fromCertificateArn(team, 'Cert', CERT_ARN),
    });
    expect(attributes(platformStack)).toEqual(['"deployment.environment=store,service.version=v1"']);
    const teamAttributes = attributes(team);
    expect(teamAttributes).toHaveLength(3);
    expect(teamAttributes[0]).toBe('"deployment.environment=store,service.version=v2"');
    // The slots: the live image read at deploy time after the same prefix.
    for (const slot of teamAttributes.slice(1)) expect(slot).toMatch(/^\{"Fn::Join":\["",\["deployment.environment=store,service.version=",\{"Fn::GetAtt":/);
  });

  test('the task role may call what the exporter calls (PutTraceSegments) and nothing else of X-Ray, on * (no resource type), acknowledged with the reason', () => {
    const { template, stack } = traced();
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'ExportTraces',
          Effect: 'Allow',
          Action: 'xray:PutTraceSegments',
          Resource: '*',
        }]),
      },
    });
    expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  });

  test('an environment that makes VPC endpoints gets the X-Ray endpoint; a collector image from a private repository is used as given', () => {
    const { stack, env } = withEnvironment({ createVpcEndpoints: true });
    const repository = ecr.Repository.fromRepositoryName(stack, 'Otel', 'aws-otel-collector');
    new TwelveFactorService(stack, 'Users', {
      environment: env, image: IMAGE, user: '1000', tracing: true, tracingCollectorImage: ecs.ContainerImage.fromEcrRepository(repository, 'v0.49.0'),
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.xray', VpcEndpointType: 'Interface' });
    const [, collector] = containers(template);
    expect(JSON.stringify(collector.Image)).toContain('aws-otel-collector:v0.49.0');
    // Reachable through the ECR endpoints: no warning of an image the tasks cannot pull.
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('otel'))).toEqual([]);
  });

  test('the environment\'s defaultTracing traces its services; tracing: false on a service says no', () => {
    const { stack, env } = withEnvironment({ defaultTracing: true });
    const a = new TwelveFactorService(stack, 'A', { environment: env, image: IMAGE, user: '1000' });
    const b = new TwelveFactorService(stack, 'B', { environment: env, image: IMAGE, user: '1000', tracing: false });
    expect([a.tracing, b.tracing]).toEqual([true, false]);
    expect(a.collector?.containerName).toBe('otel-collector');
    expect(b.collector).toBeUndefined();
  });

  test('a service that does not trace has no collector, no OTEL variable and no X-Ray action', () => {
    const { stack, env } = withEnvironment();
    new TwelveFactorService(stack, 'Plain', { environment: env, image: IMAGE, user: '1000' });
    const template = Template.fromStack(stack);
    expect(containers(template).map((c) => c.Name)).toEqual(['app']);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/OTEL_|xray:/);
  });
});

describe('refused at synth', () => {
  test.each([
    [{ tracingSampleRatio: 1.5 }, 'tracingSampleRatio'],
    [{ tracingSampleRatio: -0.1 }, 'tracingSampleRatio'],
    [{ tracing: false, tracingSampleRatio: 0.5 }, 'tracingSampleRatio'],
    [{ tracing: 'yes' as unknown as boolean }, 'tracing'],
    [{ tracingCollectorImage: 'otel' as unknown as ecs.ContainerImage }, 'tracingCollectorImage'],
  ])('%j is refused naming %s', (props, name) => {
    const { stack, env } = withEnvironment();
    expect(() => new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, user: '1000', ...props }))
      .toThrow(new RegExp(`\`${name}\``));
  });

  test('the size rule: the app keeps at least 256 MiB; every Fargate size does (the smallest, 512 MiB, keeps 384, or 352 with a scratch volume\'s init container)', () => {
    expect(tracingSizeProblem(512, 0)).toBeUndefined();
    expect(tracingSizeProblem(512, 32)).toBeUndefined();
    expect(tracingSizeProblem(APP_MIN_MEMORY_MIB + COLLECTOR_MEMORY_MIB - 1, 0)).toMatch(/`tracing` needs 128 MiB .* at least 384 MiB/);
  });
});
