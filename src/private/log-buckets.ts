import { Duration, RemovalPolicy, Stack, Token, aws_iam as iam, aws_s3 as s3 } from 'aws-cdk-lib';
import { FactName, RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { acknowledge, nistAndHipaa, suppressGuard } from './acknowledge';

/**
 * Announces the bucket's new objects on EventBridge (AWS Control Tower CT.S3.PR.4), set on the
 * resource: CDK's own `eventBridgeEnabled` switch adds a Lambda-backed custom resource.
 */
export function announceOnEventBridge(bucket: s3.Bucket): void {
  (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
    eventBridgeConfiguration: { eventBridgeEnabled: true },
  };
}

/** How a log bucket is made: who writes to it, and how long it keeps what. */
export interface LogBucketOptions {
  /** The service that writes the logs, which accepts only SSE-S3 buckets: 'Elastic Load Balancing', 'Amazon S3'. */
  readonly writer: string;
  /** What the bucket receives, for the reasons of the acknowledgements: 'load balancer access logs'. */
  readonly logs: string;
  /** When log objects expire. @default - never */
  readonly expiration?: Duration;
  /**
   * Activate Object Lock. Must be false for a bucket that receives S3 server access logs:
   * "S3 buckets with Object Lock can't be used as destination buckets for server access logs"
   * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html).
   * Elastic Load Balancing states no such requirement for its access-log bucket
   * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html).
   */
  readonly objectLock: boolean;
  /**
   * The Object Lock default retention (ignored without `objectLock`). With one, S3 refuses every
   * PutObject without a Content-MD5 or x-amz-checksum-* header
   * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html).
   * @default - Object Lock (when activated) without a default retention
   */
  readonly defaultRetention?: s3.ObjectLockRetention;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The last bucket of a log chain: SSE-S3 (what the log writers accept), TLS only, public access
 * blocked, ACLs off, versioned, Object Lock activated when the writer allows it, lifecycle,
 * EventBridge notifications; the rules it cannot meet acknowledged with their reasons.
 */
export function createLogBucket(scope: Construct, id: string, options: LogBucketOptions): s3.Bucket {
  const bucket = new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    objectLockEnabled: options.objectLock ? true : undefined,
    objectLockDefaultRetention: options.objectLock ? options.defaultRetention : undefined,
    removalPolicy: options.removalPolicy,
    lifecycleRules: [{
      expiration: options.expiration,
      noncurrentVersionExpiration: Duration.days(30),
      abortIncompleteMultipartUploadAfter: Duration.days(7),
    }],
  });
  announceOnEventBridge(bucket);
  const noLock = options.objectLock ? '' : ` ${options.writer} does not deliver ${options.logs} to a bucket with Object Lock (CT.S3.PR.9).`;
  suppressGuard(bucket, [
    's3_bucket_default_encryption_kms_check',
    's3_bucket_logging_enabled_check',
    ...(options.objectLock ? [] : ['s3_bucket_object_lock_enabled_check']),
  ],
  `${options.writer} writes ${options.logs} only to SSE-S3 buckets (CT.S3.PR.10); this bucket is the end of the log chain, `
    + `so logging its own access would log the log writes (CT.S3.PR.2).${noLock}`);
  const selfLogging = `This bucket receives ${options.logs}; logging its own access would log the log writes.`;
  acknowledge(bucket, [
    { id: 'AwsSolutions-S1', reason: selfLogging },
    ...nistAndHipaa('S3BucketLoggingEnabled', selfLogging),
    ...nistAndHipaa('S3DefaultEncryptionKMS', `${options.writer} writes ${options.logs} only to buckets encrypted with SSE-S3, not SSE-KMS.`),
    ...nistAndHipaa('S3BucketReplicationEnabled',
      'Access logs are operational records kept in-region for their retention; cross-region replication is an account-level choice.'),
  ]);
  return bucket;
}

/**
 * Lets every load balancer of the bucket's account write its access logs where this library's
 * load balancers put them (`alb/` and `nlb/`), so that load balancers of other apps (team apps
 * of a shared environment, whose imported bucket they cannot change) can turn access logs on:
 * Elastic Load Balancing checks that it may write when the attribute is set, and the
 * deployment fails otherwise.
 *
 * Application Load Balancers: the Elastic Load Balancing account of the Region (Regions
 * available before August 2022), or the log delivery service principal elsewhere:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html#attach-bucket-policy
 * Network Load Balancers: delivery.logs.amazonaws.com, with the ACL and source account it sends:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html#access-logging-bucket-requirements
 */
export function allowAccountLoadBalancerLogs(bucket: s3.IBucket, scope: Construct): void {
  const stack = Stack.of(scope);
  const account = stack.account;
  const elbAccount = Token.isUnresolved(stack.region)
    ? stack.regionalFact(FactName.ELBV2_ACCOUNT)
    : RegionInfo.get(stack.region).elbv2Account;
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:PutObject'],
    principals: [elbAccount ? new iam.AccountPrincipal(elbAccount) : new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')],
    resources: [bucket.arnForObjects(`alb/AWSLogs/${account}/*`)],
  }));
  allowNetworkLoadBalancerLogs(bucket, 'nlb', account);
}

/**
 * Lets the log delivery service write Network Load Balancer access logs of `account` under
 * `prefix/` of the bucket, with the ACL and source account it sends:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html#access-logging-bucket-requirements
 * Returns the result of adding the write statement (not added: the bucket is imported).
 */
export function allowNetworkLoadBalancerLogs(bucket: s3.IBucket, prefix: string, account: string): iam.AddToResourcePolicyResult {
  const delivery = new iam.ServicePrincipal('delivery.logs.amazonaws.com');
  const write = bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:PutObject'],
    principals: [delivery],
    resources: [bucket.arnForObjects(`${prefix}/AWSLogs/${account}/*`)],
    conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': account } },
  }));
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:GetBucketAcl'],
    principals: [delivery],
    resources: [bucket.bucketArn],
    conditions: { StringEquals: { 'aws:SourceAccount': account } },
  }));
  return write;
}
