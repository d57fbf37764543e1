/**
 * An environment shared with team apps (`enableTeamApps`), as the platform team deploys it:
 * the environment document in SSM, the claims function in the VPC, and a service of the
 * platform's own app whose listener rule priority and Cloud Map name are claimed at deploy
 * time through it (plain HTTP: a test account has no domain or certificate).
 *
 * The assertions read the document back (what `MicroserviceEnvironment.fromLookup` of a team
 * app reads), check the claims the deployment made (one parameter per priority and per name
 * under /cdk-microservices/integ-team/claims/), and wait until the load balancer's rule
 * forwards to the running task.
 *
 * A team app cannot be part of this test: it looks the environment up when it synthesizes,
 * before anything here is deployed. To try one against it, deploy this test with
 * `integ-runner ... --no-clean`, then synthesize and deploy a team app (README, "Team apps")
 * with `environmentName: 'integ-team'` in the same account and Region.
 */
import { ExpectedResult, Match } from '@aws-cdk/integ-tests-alpha';
import { Duration, RemovalPolicies, Stack, aws_ecs as ecs } from 'aws-cdk-lib';
import { MicroserviceEnvironment, StageProfile, TwelveFactorService } from '../src';
import { accessLogsBucketOf, expectRunningTasks, integApp, integTest } from './common';

const app = integApp();

// The document names the account and Region (a team app's stack must be in them), and ELB
// access logging needs a concrete Region.
const env = { region: 'us-east-1' };
const stack = new Stack(app, 'IntegTeamPlatform', { env });
const assertionStack = new Stack(app, 'IntegTeamPlatformAssertions', { env });

const environment = new MicroserviceEnvironment(stack, 'Env', {
  enableTeamApps: true,
  environmentName: 'integ-team',
  stageProfile: StageProfile.DEVELOPMENT,
  createLoadBalancer: true,
  allowPlainHttp: true,
  loadBalancerDeletionProtection: false,
  accessLogsBucket: accessLogsBucketOf(stack),
  maxAzs: 2,
});

const web = new TwelveFactorService(stack, 'Web', {
  environment,
  serviceName: 'web',
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
  port: 80,
  pathPatterns: ['/*'],
  healthCheckPath: '/',
  // nginx writes to /var/cache and /var/run.
  readonlyRootFilesystem: false,
  minTasks: 1,
  maxTasks: 1,
});

// Everything the test creates goes away with the stack (keys, log groups included); the
// claims go with the custom resources that made them.
RemovalPolicies.of(stack).destroy();

const integ = integTest(app, 'TeamAppsTest', stack, assertionStack);

// The document a team app's lookup reads.
integ.assertions
  .awsApiCall('SSM', 'getParameter', { Name: '/cdk-microservices/integ-team/environment' })
  .expect(ExpectedResult.objectLike({
    Parameter: Match.objectLike({
      Type: 'String',
      Value: Match.serializedJson(Match.objectLike({
        version: 1,
        environmentName: 'integ-team',
        region: 'us-east-1',
        serviceSubnetType: 'Private',
      })),
    }),
  }));

// The claims of the platform's own service: its priority (the one chosen at synthesis) and its name.
integ.assertions
  .awsApiCall('SSM', 'getParametersByPath', { Path: '/cdk-microservices/integ-team/claims', Recursive: true })
  .expect(ExpectedResult.objectLike({
    Parameters: Match.arrayWith([
      Match.objectLike({ Name: '/cdk-microservices/integ-team/claims/listener-priority/1' }),
      Match.objectLike({ Name: '/cdk-microservices/integ-team/claims/service-name/web' }),
    ]),
  }));

expectRunningTasks(integ, environment.cluster, web.service, 1);

// The rule on the claimed priority forwards: the load balancer answers nginx's 200.
integ.assertions
  .httpApiCall(`http://${environment.loadBalancer!.loadBalancerDnsName}/`)
  .expect(ExpectedResult.objectLike({ status: 200 }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });
