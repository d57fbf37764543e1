/**
 * A service offered through AWS PrivateLink and consumed from another VPC of the same account:
 * the provider stack runs nginx behind a `PrivateLinkExposure` (internal Network Load Balancer,
 * TCP listener, endpoint service open to this account, no acceptance step); the consumer stack,
 * in a VPC with another address range, creates the interface endpoint with a `PrivateLinkConsumer`
 * under a friendly name in its own private hosted zone, attaches it to a service, and runs a
 * small function as a stand-in client that fetches `/` through the endpoint.
 *
 * The assertions wait until the endpoint service is Available and open to this account, the
 * endpoint is available, the load balancer's target is healthy and the consumer's task runs;
 * they check the variable the attachment injects, and that the client gets nginx's 200 by the
 * friendly name (through the endpoint, the load balancer's security group and the tasks').
 */
import { ExpectedResult, Match } from '@aws-cdk/integ-tests-alpha';
import {
  Duration,
  RemovalPolicies,
  Stack,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { MicroserviceEnvironment, PrivateLinkConsumer, PrivateLinkExposure, StageProfile, TwelveFactorService } from '../src';
import { accessLogsBucketOf, exactly, expectRunningTasks, integApp, integTest } from './common';

const app = integApp();

// ELB access logging needs a concrete region (for the log delivery principal); the consumer
// and the assertions live in the same environment so they can reference the provider's stack.
const env = { region: 'us-east-1' };
const providerStack = new Stack(app, 'IntegPrivateLinkProvider', { env });
const consumerStack = new Stack(app, 'IntegPrivateLinkConsumer', { env });
const assertionStack = new Stack(app, 'IntegPrivateLinkAssertions', { env });

// The provider: nginx behind an internal Network Load Balancer and an endpoint service.
const providerEnvironment = new MicroserviceEnvironment(providerStack, 'Env', {
  stageProfile: StageProfile.DEVELOPMENT,
  vpcCidr: '10.20.0.0/16',
  maxAzs: 2,
  accessLogsBucket: accessLogsBucketOf(providerStack),
});

const web = new TwelveFactorService(providerStack, 'Web', {
  environment: providerEnvironment,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
  port: 80,
  // nginx writes to /var/cache and /var/run.
  readonlyRootFilesystem: false,
  minTasks: 1,
  maxTasks: 2,
});

const CONSUMER_CIDR = '10.30.0.0/16';
const exposure = new PrivateLinkExposure(providerStack, 'WebLink', {
  service: web,
  // The consumer is in this account: its endpoint may connect, with no manual acceptance.
  allowedPrincipals: [new iam.AccountRootPrincipal()],
  allowedClients: [ec2.Peer.ipv4(CONSUMER_CIDR)],
  acceptanceRequired: false,
  deletionProtection: false,
});

// The consumer: its own VPC, the endpoint under a friendly name, a service attached to it.
const consumerEnvironment = new MicroserviceEnvironment(consumerStack, 'Env', {
  stageProfile: StageProfile.DEVELOPMENT,
  vpcCidr: CONSUMER_CIDR,
  maxAzs: 2,
});

const HOST = 'web.integ-privatelink.internal';
const consumer = new PrivateLinkConsumer(consumerStack, 'Web', {
  exposure,
  vpc: consumerEnvironment.vpc,
  domainName: HOST,
});

// nginx stands in for a client service (our props have no command for the app container): it
// gets the endpoint's address in WEB_HOST and WEB_PORT; the function below makes the request.
const client = new TwelveFactorService(consumerStack, 'Client', {
  environment: consumerEnvironment,
  image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
  // nginx writes to /var/cache and /var/run.
  readonlyRootFilesystem: false,
  minTasks: 1,
  maxTasks: 2,
});
client.attach(consumer.asBackingService());

// A client in the consumer VPC: GET http://<friendly name>:<port>/ and answer the status code
// (or the error, so that a waiter retries until the path works).
const probe = new lambda.Function(consumerStack, 'Probe', {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline([
    'const http = require("http");',
    'exports.handler = () => new Promise((resolve) => {',
    '  const req = http.get({ host: process.env.TARGET_HOST, port: Number(process.env.TARGET_PORT), path: "/", timeout: 5000 }, (res) => {',
    '    res.resume();',
    '    resolve({ statusCode: res.statusCode });',
    '  });',
    '  req.on("timeout", () => req.destroy(new Error("timed out")));',
    '  req.on("error", (e) => resolve({ error: e.message }));',
    '});',
  ].join('\n')),
  environment: { TARGET_HOST: consumer.hostName, TARGET_PORT: String(consumer.port) },
  vpc: consumerEnvironment.vpc,
  vpcSubnets: consumerEnvironment.serviceSubnets,
  timeout: Duration.seconds(15),
  logGroup: new logs.LogGroup(consumerStack, 'ProbeLogs', { retention: logs.RetentionDays.ONE_WEEK }),
});
consumer.allowFrom(probe);

// Everything the test creates goes away with the stacks (keys, log groups included).
RemovalPolicies.of(providerStack).destroy();
RemovalPolicies.of(consumerStack).destroy();

const integ = integTest(app, 'PrivateLinkTest', [providerStack, consumerStack], assertionStack);

// 1. The endpoint service is Available and open to this account.
integ.assertions
  .awsApiCall('EC2', 'describeVpcEndpointServiceConfigurations', { ServiceIds: [exposure.endpointServiceId] })
  .assertAtPath('ServiceConfigurations.0.ServiceState', exactly('Available'))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });
integ.assertions
  .awsApiCall('EC2', 'describeVpcEndpointServicePermissions', { ServiceId: exposure.endpointServiceId })
  .assertAtPath('AllowedPrincipals.0.Principal', exactly(new iam.AccountRootPrincipal().arn));

// 2. The consumer's endpoint connected (no acceptance step) and is available.
integ.assertions
  .awsApiCall('EC2', 'describeVpcEndpoints', { VpcEndpointIds: [consumer.endpoint.vpcEndpointId] })
  .assertAtPath('VpcEndpoints.0.State', exactly('available'))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });

// 3. The load balancer sees the provider's task healthy (its one task: minTasks 1, no load to scale
// on). The service is named `ELBv2` (the SDK v2 name), which maps to the v3 client and the IAM
// prefix `elasticloadbalancing`; `ElasticLoadBalancingV2` maps to neither (no client of that name,
// and a grant of `elasticloadbalancingv2:DescribeTargetHealth`, an action that does not exist).
integ.assertions
  .awsApiCall('ELBv2', 'describeTargetHealth', { TargetGroupArn: exposure.targetGroup.targetGroupArn })
  .assertAtPath('TargetHealthDescriptions.0.TargetHealth.State', exactly('healthy'))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });

// 4. The consumer's service runs, with the endpoint's friendly name injected. Match the whole
// task definition (ECS does not keep the order of environment variables, and arrayWith keeps
// the order of its elements: one variable only).
expectRunningTasks(integ, consumerEnvironment.cluster, client.service, 1);
integ.assertions
  .awsApiCall('ECS', 'describeTaskDefinition', { taskDefinition: client.taskDefinition.taskDefinitionArn })
  .expect(ExpectedResult.objectLike({
    taskDefinition: {
      containerDefinitions: Match.arrayWith([
        Match.objectLike({
          environment: Match.arrayWith([{ name: 'WEB_HOST', value: HOST }]),
        }),
      ]),
    },
  }));

// 5. A client in the consumer VPC gets nginx's page by the friendly name, through PrivateLink.
integ.assertions
  .invokeFunction({ functionName: probe.functionName })
  .assertAtPath('Payload.statusCode', exactly(200))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });

app.synth();
