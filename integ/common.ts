import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
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
 * JSON value is compared with `Match.exact`. Not for 0, false, '' or null: refused (see below).
 */
export function exactly(value: unknown): ExpectedResult {
  // The handler decodes the actual value with `if (!call) return undefined`: a 0, false, '' or
  // null read at a path arrives as undefined, and the assertion can never pass.
  if (value === 0 || value === false || value === '' || value === null) {
    throw new Error(`exactly(${JSON.stringify(value)}): integ-tests-alpha 2.245 reads a falsy value at a path as undefined; assert on the whole answer with ExpectedResult.objectLike instead`);
  }
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

/** An AWS Config "Config Rules Compliance Change" event as EventBridge delivers it (made-up account and resource). */
export const COMPLIANCE_CHANGE_EVENT = {
  'version': '0',
  'id': '00000000-0000-0000-0000-000000000000',
  'detail-type': 'Config Rules Compliance Change',
  'source': 'aws.config',
  'account': '123456789012',
  'time': '2025-01-01T00:00:00Z',
  'region': 'us-east-1',
  'resources': [],
  'detail': {
    resourceId: 'integ-compliance-bucket',
    awsRegion: 'us-east-1',
    awsAccountId: '123456789012',
    configRuleName: 's3-bucket-ssl-requests-only',
    recordVersion: '1.0',
    configRuleARN: 'arn:aws:config:us-east-1:123456789012:config-rule/config-rule-integ',
    messageType: 'ComplianceChangeNotification',
    newEvaluationResult: {
      evaluationResultIdentifier: {
        evaluationResultQualifier: {
          configRuleName: 's3-bucket-ssl-requests-only',
          resourceType: 'AWS::S3::Bucket',
          resourceId: 'integ-compliance-bucket',
        },
        orderingTimestamp: '2025-01-01T00:00:00.000Z',
      },
      complianceType: 'NON_COMPLIANT',
      resultRecordedTime: '2025-01-01T00:00:01.000Z',
      configRuleInvokedTime: '2025-01-01T00:00:00.500Z',
    },
    notificationCreationTime: '2025-01-01T00:00:02.000Z',
    resourceType: 'AWS::S3::Bucket',
  },
};

/**
 * Asserts that an EventBridge rule is enabled and matches AWS Config's compliance change events.
 * Not assertAtPath: a flattened answer has its JSON strings parsed, EventPattern included; whole,
 * it stays a string.
 */
export function expectComplianceChangeRule(integ: IntegTest, ruleName: string): void {
  integ.assertions
    .awsApiCall('EventBridge', 'describeRule', { Name: ruleName })
    .expect(ExpectedResult.objectLike({
      State: 'ENABLED',
      EventPattern: Match.stringLikeRegexp('Config Rules Compliance Change'),
    }));
}
