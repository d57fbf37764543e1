import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack, aws_ecs as ecs, aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The app of an integ test, without stack traces in the snapshot's metadata (they hold this machine's absolute paths). */
export function integApp(): App {
  return new App({
    context: {
      'aws:cdk:disable-creation-stack-traces': true,
      'aws:cdk:disable-stack-trace': true,
    },
  });
}

/**
 * An access-logs bucket the test stack can delete: the environment's default one has object
 * lock and is kept on delete, which a test stack cannot empty.
 */
export function accessLogsBucketOf(stack: Stack): s3.Bucket {
  return new s3.Bucket(stack, 'AccessLogs', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
  });
}

/**
 * The actual value must equal `value`. Not `ExpectedResult.exact`: integ-tests-alpha 2.245
 * encodes it as `{"$Exact": value}`, which its assertion handler does not decode (it decodes
 * $ObjectLike, $ArrayWith, $StringLike and $SerializedJson only), so it never matches. A plain
 * JSON value is compared with `Match.exact`.
 */
export function exactly(value: unknown): ExpectedResult {
  return { result: JSON.stringify(value) };
}

/**
 * The integ test of one stack (or of several deployed together, in dependency order) as every
 * test here runs it: us-east-1, no old snapshot to deploy first (the snapshot's assets are not
 * committed), destroyed without asking.
 */
export function integTest(scope: Construct, id: string, stack: Stack | Stack[], assertionStack?: Stack): IntegTest {
  return new IntegTest(scope, id, {
    testCases: Array.isArray(stack) ? stack : [stack],
    assertionStack,
    regions: ['us-east-1'],
    diffAssets: false,
    stackUpdateWorkflow: false,
    cdkCommandOptions: { destroy: { args: { force: true } } },
  });
}

/**
 * Waits until the ECS service runs `count` tasks. Asserts at a path: a whole DescribeServices
 * answer (events, deployments) is larger than the 4 KB a custom resource may return.
 */
export function expectRunningTasks(integ: IntegTest, cluster: ecs.ICluster, service: ecs.BaseService, count: number): void {
  integ.assertions
    .awsApiCall('ECS', 'describeServices', { cluster: cluster.clusterArn, services: [service.serviceArn] })
    .assertAtPath('services.0.runningCount', exactly(count))
    .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });
}
