/**
 * Compliance audit: an EventBridge rule on AWS Config "Config Rules Compliance Change" events
 * that sends them, through an Amazon Data Firehose delivery stream, to a versioned, KMS-encrypted
 * audit bucket.
 *
 * The configuration recorder stays off: AWS Config allows one per account and Region, and test
 * accounts usually have one already (AWS Control Tower, Security Hub), so creating another would
 * fail the deployment. Its resources are covered by the unit tests.
 *
 * The assertions check that the rule is enabled on the compliance change events, and that the
 * stream writes to the bucket: they put a record shaped like the event AWS Config sends on the
 * stream and wait until an object appears under `compliance-changes/`. Then they delete that
 * object's version, so that the bucket (RemovalPolicy.DESTROY) can be deleted with the stack.
 * They do not wait for AWS Config: the account may have no recorder.
 */
import { AwsApiCall, ExpectedResult } from '@aws-cdk/integ-tests-alpha';
import { Duration, RemovalPolicies, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { accessLogsBucketOf, COMPLIANCE_CHANGE_EVENT, expectComplianceChangeRule, integApp, integTest } from './common';
import { ComplianceAudit } from '../src';

const app = integApp();

const env = { region: 'us-east-1' };
const stack = new Stack(app, 'IntegComplianceAudit', { env });
const assertionStack = new Stack(app, 'IntegComplianceAuditAssertions', { env });

const audit = new ComplianceAudit(stack, 'Audit', {
  removalPolicy: RemovalPolicy.DESTROY,
  // A bucket the test can empty and delete (the construct's own one has Object Lock activated).
  accessLogsBucket: accessLogsBucketOf(stack),
  bufferingInterval: Duration.seconds(60),
});

// Everything the test creates goes away with the stack (the key, the log group and the queue included).
RemovalPolicies.of(stack).destroy();

const integ = integTest(app, 'ComplianceAuditTest', stack, assertionStack);

// 1. The rule is enabled and matches AWS Config's compliance change events.
expectComplianceChangeRule(integ, audit.rule.ruleName);

// 2. The stream writes to the bucket an event as AWS Config would send it (EventBridge puts the
// whole event on the stream, with no delimiter: the stream appends a newline to each record).
const put = integ.assertions.awsApiCall('Firehose', 'putRecord', {
  DeliveryStreamName: audit.deliveryStream.deliveryStreamName,
  Record: { Data: JSON.stringify(COMPLIANCE_CHANGE_EVENT) },
});
put.provider.addToRolePolicy({
  Effect: 'Allow',
  Action: ['firehose:PutRecord'],
  Resource: [audit.deliveryStream.deliveryStreamArn],
});

// Firehose writes one GZIP object after the buffering interval.
const list = integ.assertions
  .awsApiCall('S3', 'listObjectsV2', { Bucket: audit.bucket.bucketName, Prefix: 'compliance-changes/' })
  .expect(ExpectedResult.objectLike({ KeyCount: 1 }))
  .waitForAssertions({ totalTimeout: Duration.minutes(10), interval: Duration.seconds(30) });

// 3. Clean up: the bucket is versioned, so delete the object's version, not only the object.
const versions = integ.assertions.awsApiCall('S3', 'listObjectVersions', { Bucket: audit.bucket.bucketName, Prefix: 'compliance-changes/' });
const remove = integ.assertions.awsApiCall('S3', 'deleteObject', {
  Bucket: audit.bucket.bucketName,
  Key: versions.getAttString('Versions.0.Key'),
  VersionId: versions.getAttString('Versions.0.VersionId'),
});

put.next(list).next(versions).next(remove);

// The API calls of the assertion stack share one provider function (put's); the waiter's checks
// another. The S3 actions CDK derives from the API names (s3:ListObjectsV2, s3:ListObjectVersions)
// are not IAM actions: grant the real ones, on this bucket only.
put.provider.addToRolePolicy({
  Effect: 'Allow',
  Action: ['s3:ListBucket', 's3:ListBucketVersions'],
  Resource: [audit.bucket.bucketArn],
});
put.provider.addToRolePolicy({
  Effect: 'Allow',
  Action: ['s3:DeleteObjectVersion'],
  Resource: [audit.bucket.arnForObjects('compliance-changes/*')],
});
if (list instanceof AwsApiCall) {
  list.waiterProvider?.addToRolePolicy({
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: [audit.bucket.bucketArn],
  });
}

app.synth();
