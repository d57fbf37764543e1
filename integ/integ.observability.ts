/**
 * Observability of a traced web service: nginx behind the shared load balancer with `tracing`
 * (the ADOT collector as a sidecar, exporting to X-Ray), its saved Logs Insights queries, a
 * ServiceDashboard and an EnvironmentDashboard.
 *
 * The assertions wait until ECS runs the task with both containers healthy or running (the
 * collector health-checked by its /healthcheck program), then read back both dashboards
 * (GetDashboard answers with the body CloudWatch accepted) and the saved queries of the service
 * (DescribeQueryDefinitions by the folder's prefix).
 *
 * They do not check that a trace reaches X-Ray: nginx has no OpenTelemetry SDK.
 */
import { ExpectedResult, Match } from '@aws-cdk/integ-tests-alpha';
import { Duration, RemovalPolicies, Stack, aws_ecs as ecs } from 'aws-cdk-lib';
import { EnvironmentDashboard, MicroserviceEnvironment, ServiceDashboard, StageProfile, TwelveFactorService } from '../src';
import { accessLogsBucketOf, exactly, expectRunningTasks, integApp, integTest } from './common';

const app = integApp();
const env = { region: 'us-east-1' };
const stack = new Stack(app, 'IntegObservabilityStack', { env });
const assertionStack = new Stack(app, 'IntegObservabilityAssertions', { env });

const environment = new MicroserviceEnvironment(stack, 'Env', {
  stageProfile: StageProfile.DEVELOPMENT,
  createLoadBalancer: true,
  allowPlainHttp: true,
  loadBalancerDeletionProtection: false,
  accessLogsBucket: accessLogsBucketOf(stack),
  maxAzs: 2,
  defaultTracing: true,
});

const web = new TwelveFactorService(stack, 'Web', {
  environment,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
  port: 80,
  pathPatterns: ['/*'],
  healthCheckPath: '/',
  // nginx writes to /var/cache and /var/run.
  readonlyRootFilesystem: false,
  minTasks: 1,
  maxTasks: 1,
  tracingSampleRatio: 1,
});

const serviceDashboard = new ServiceDashboard(stack, 'WebDashboard', { service: web, dashboardName: 'integ-observability-web' });
const overview = new EnvironmentDashboard(stack, 'Overview', { environment, dashboardName: 'integ-observability' });
overview.addService(web);

RemovalPolicies.of(stack).destroy();

const integ = integTest(app, 'ObservabilityTest', stack, assertionStack);

expectRunningTasks(integ, environment.cluster, web.service, 1);

// Both dashboards exist with the bodies CloudWatch accepted.
for (const dashboard of [serviceDashboard.dashboard, overview.dashboard]) {
  integ.assertions
    .awsApiCall('CloudWatch', 'getDashboard', { DashboardName: dashboard.dashboardName })
    .assertAtPath('DashboardName', exactly(dashboard.dashboardName));
}

// The three saved queries of the service, in its folder.
integ.assertions
  .awsApiCall('CloudWatchLogs', 'describeQueryDefinitions', { queryDefinitionNamePrefix: `${environment.node.path}/${web.serviceName}/` })
  .expect(ExpectedResult.objectLike({
    queryDefinitions: Match.arrayWith([
      Match.objectLike({ name: `${environment.node.path}/${web.serviceName}/Errors by release` }),
      Match.objectLike({ name: `${environment.node.path}/${web.serviceName}/Slowest requests` }),
    ]),
  }))
  .waitForAssertions({ totalTimeout: Duration.minutes(2), interval: Duration.seconds(20) });

app.synth();
