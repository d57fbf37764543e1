/**
 * A web service behind the shared load balancer: nginx answers on `/` through plain HTTP
 * (a test account has no domain or certificate).
 *
 * The assertions wait until ECS runs the one task and the load balancer answers 200.
 */
import { ExpectedResult } from '@aws-cdk/integ-tests-alpha';
import {
  App,
  Duration,
  RemovalPolicies,
  RemovalPolicy,
  Stack,
  aws_ecs as ecs,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { MicroserviceEnvironment, Stage, TwelveFactorService } from '../src';
import { expectRunningTasks, integTest } from './common';

// No stack traces in the snapshot's metadata: they hold this machine's absolute paths.
const app = new App({
  context: {
    'aws:cdk:disable-creation-stack-traces': true,
    'aws:cdk:disable-stack-trace': true,
  },
});

// ELB access logging needs a concrete region (for the log delivery principal); the
// assertions live in a stack of the same environment so they can reference the test stack.
const env = { region: 'us-east-1' };
const stack = new Stack(app, 'IntegServiceStack', { env });
const assertionStack = new Stack(app, 'IntegServiceAssertions', { env });

// Our own access-logs bucket: the environment's default one has object lock and is kept
// on delete, which a test stack cannot empty.
const accessLogsBucket = new s3.Bucket(stack, 'AccessLogs', {
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  removalPolicy: RemovalPolicy.DESTROY,
  autoDeleteObjects: true,
});

const environment = new MicroserviceEnvironment(stack, 'Env', {
  stage: Stage.DEVELOPMENT,
  loadBalancer: true,
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

// Everything the test creates goes away with the stack (keys, log groups included).
RemovalPolicies.of(stack).destroy();

const integ = integTest(app, 'ServiceTest', stack, assertionStack);

expectRunningTasks(integ, environment.cluster, service.service, 1);

integ.assertions
  .httpApiCall(`http://${environment.loadBalancer!.loadBalancerDnsName}/`)
  .expect(ExpectedResult.objectLike({ status: 200 }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });

app.synth();
