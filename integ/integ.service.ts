/**
 * A web service behind the shared load balancer: nginx answers on `/` through plain HTTP
 * (a test account has no domain or certificate).
 *
 * A second nginx uses Service Connect; its name must also be registered for DNS discovery
 * (clients without the proxy, such as admin tasks, resolve it there).
 *
 * The assertions wait until ECS runs the one task and the load balancer answers 200, and
 * until Cloud Map lists the Service Connect service's task under its DNS registration.
 */
import { ExpectedResult, Match } from '@aws-cdk/integ-tests-alpha';
import {
  Duration,
  RemovalPolicies,
  Stack,
  aws_ecs as ecs,
} from 'aws-cdk-lib';
import { Discovery, MicroserviceEnvironment, StageProfile, TwelveFactorService } from '../src';
import { accessLogsBucketOf, expectRunningTasks, integApp, integTest } from './common';

const app = integApp();

// ELB access logging needs a concrete region (for the log delivery principal); the
// assertions live in a stack of the same environment so they can reference the test stack.
const env = { region: 'us-east-1' };
const stack = new Stack(app, 'IntegServiceStack', { env });
const assertionStack = new Stack(app, 'IntegServiceAssertions', { env });

const accessLogsBucket = accessLogsBucketOf(stack);

const environment = new MicroserviceEnvironment(stack, 'Env', {
  stageProfile: StageProfile.DEVELOPMENT,
  createLoadBalancer: true,
  allowPlainHttp: true,
  loadBalancerDeletionProtection: false,
  accessLogsBucket,
  maxAzs: 2,
});

const service = new TwelveFactorService(stack, 'Web', {
  environment,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
  port: 80,
  pathPatterns: ['/*'],
  healthCheckPath: '/',
  // nginx writes to /var/cache and /var/run.
  readonlyRootFilesystem: false,
  minTasks: 1,
  maxTasks: 2,
});

const internal = new TwelveFactorService(stack, 'Internal', {
  environment,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
  port: 80,
  discovery: Discovery.SERVICE_CONNECT,
  readonlyRootFilesystem: false,
  minTasks: 1,
  maxTasks: 1,
});
internal.allowFrom(service);

// Everything the test creates goes away with the stack (keys, log groups included).
RemovalPolicies.of(stack).destroy();

const integ = integTest(app, 'ServiceTest', stack, assertionStack);

expectRunningTasks(integ, environment.cluster, service.service, 1);

expectRunningTasks(integ, environment.cluster, internal.service, 1);

// The A record clients without a Service Connect proxy resolve: one healthy instance.
integ.assertions
  .awsApiCall('ServiceDiscovery', 'discoverInstances', {
    NamespaceName: environment.namespaceName,
    ServiceName: internal.serviceName,
  })
  .expect(ExpectedResult.objectLike({ Instances: Match.arrayWith([Match.objectLike({ ServiceName: internal.serviceName })]) }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });

integ.assertions
  .httpApiCall(`http://${environment.loadBalancer!.loadBalancerDnsName}/`)
  .expect(ExpectedResult.objectLike({ status: 200 }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });

app.synth();
