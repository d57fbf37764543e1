import {
  Annotations,
  Duration,
  RemovalPolicy,
  Stack,
  aws_config as config,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_kinesisfirehose as firehose,
  aws_kms as kms,
  aws_logs as logs,
  aws_s3 as s3,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { checkRecorderProps, createRecorder, dependOnRecorder, recordersAlreadyThere } from './configuration-recorder';
import { RecordingFrequency } from './recording-frequency';
import { acknowledge, nagString, nistAndHipaa, suppressGuard } from '../private/acknowledge';
import { checkRuleNames, complianceChangePattern } from '../private/compliance-events';
import { denyGrantsNotForAwsResources } from '../private/kms';
import { announceOnEventBridge, createLogBucket } from '../private/log-buckets';
import { checkKinds, checkSeconds, known, logRetentionProblem, Problems, show } from '../private/validation';

const CLASS = 'ComplianceAudit';

/** Seven years (with two leap days): a common retention for audit records. */
const DEFAULT_RETENTION = Duration.days(2557);
const DEFAULT_TRANSITION_AFTER = Duration.days(90);
const DEFAULT_NONCURRENT_EXPIRATION = Duration.days(365);
const MAX_DAYS = 36_500;
/** How long EventBridge retries a delivery to the stream (its maximum), and how often. */
const MAX_EVENT_AGE = Duration.hours(24);
const RETRY_ATTEMPTS = 185;
/** Where the audit bucket's server access logs go in the access-log bucket. */
const ACCESS_LOGS_PREFIX = 'audit-bucket/';
const CHANGES_PREFIX = 'compliance-changes/!{timestamp:yyyy/MM/dd}/';
const ERRORS_PREFIX = 'compliance-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/';
/**
 * Properties of `ComplianceAudit`.
 */
export interface ComplianceAuditProps {
  /**
   * The customer-managed KMS key that encrypts the audit bucket (SSE-KMS with an S3 Bucket
   * Key), the records Firehose writes, its error log group and the dead-letter queue. CDK
   * adds statements to its key policy that let CloudWatch Logs (log groups of this account
   * and Region), EventBridge (no source conditions, which it does not support for keys; the
   * dead-letter queue policy names the rule) and, with the recorder, AWS Config
   * (`aws:SourceAccount` this account) use it; an imported key cannot be changed: a warning
   * lists what it needs.
   *
   * @default - a new key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long the audit bucket keeps an object after it was written: then it expires (a
   * delete marker; the version itself goes after `noncurrentVersionExpiration`). Whole days,
   * 1 to 36,500.
   *
   * @default Duration.days(2557) - seven years, a common retention for audit records
   */
  readonly retention?: Duration;

  /**
   * Move objects to a cheaper storage class (`transitionStorageClass`) after
   * `transitionAfter`. `false` keeps them in S3 Standard until they expire. S3 does not
   * move objects smaller than 128 KiB (most compliance change records).
   *
   * @default true
   */
  readonly enableTransition?: boolean;

  /**
   * When objects move to `transitionStorageClass`: whole days, at least 1 (30 for the
   * infrequent-access classes), shorter than `retention`.
   *
   * @default Duration.days(90)
   */
  readonly transitionAfter?: Duration;

  /**
   * The storage class objects move to after `transitionAfter`.
   *
   * @default s3.StorageClass.GLACIER_INSTANT_RETRIEVAL - cheap storage that still reads in milliseconds
   */
  readonly transitionStorageClass?: s3.StorageClass;

  /**
   * How long a version stays after it was overwritten or deleted (it is the evidence of the
   * change): whole days, 1 to 36,500.
   *
   * @default Duration.days(365)
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * Activate S3 Object Lock on the (versioned) audit bucket, without a default retention:
   * nothing is locked until you set `objectLockRetention`, a retention on an object or a legal
   * hold, but the bucket can take them later without being re-created (Object Lock can only be
   * activated, never turned off). Set false for a bucket that must never hold locked objects.
   *
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
   * @default true
   */
  readonly objectLockEnabled?: boolean;

  /**
   * Give S3 Object Lock this default retention: no object version can be deleted or
   * overwritten before it ends (in COMPLIANCE mode not even by the root user). Object Lock
   * cannot be turned off again.
   *
   * With a default retention, every PutObject needs a `Content-MD5` or `x-amz-checksum-*`
   * header. Whether Amazon Data Firehose and AWS Config send one is not verified here: a
   * warning says so; prove it in a test account before relying on it.
   *
   * Refused with `objectLockEnabled: false`.
   *
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html
   * @default - Object Lock active (`objectLockEnabled`) but no default retention
   */
  readonly objectLockRetention?: s3.ObjectLockRetention;

  /**
   * The bucket that receives the audit bucket's server access logs (under `audit-bucket/`).
   * It must be encrypted with SSE-S3 (S3 does not deliver server access logs to SSE-KMS
   * buckets) and must not have Object Lock (S3 buckets with Object Lock cannot be destinations
   * of server access logs): a bucket of this app with Object Lock is refused. CDK adds a
   * statement to its policy that lets `logging.s3.amazonaws.com` write there from the audit
   * bucket; for an imported bucket a warning says what to add and what it must not have.
   *
   * @see https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html
   * @default - a new bucket: SSE-S3, TLS only, versioned, without Object Lock, objects expire
   * after `retention`
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * What happens to the buckets, the key and the log group when they leave the stack.
   * `DESTROY` fails on a bucket that still holds objects (nothing here empties it: that
   * would need a Lambda function).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Record only the compliance changes of these AWS Config rules, by name (for example
   * `rule.configRuleName`; tokens are accepted). Names are 1 to 128 letters, digits, hyphens
   * and underscores. Duplicates are merged; an empty list is refused (omit the prop for every
   * rule).
   *
   * @default - the changes of every rule of the account and Region
   */
  readonly ruleNames?: string[];

  /**
   * How long Firehose buffers records before it writes an object: whole seconds from 0 to
   * 900. Longer means fewer, larger objects (300 seconds is at most 288 objects a day).
   *
   * @default Duration.seconds(300)
   */
  readonly bufferingInterval?: Duration;

  /**
   * How long the log group of Firehose delivery errors keeps its events: at least one year
   * (AWS Control Tower CT.CLOUDWATCH.PR.2).
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Create an AWS Config configuration recorder and a delivery channel that writes
   * configuration history and snapshots to the audit bucket (under `deliveryKeyPrefix`).
   *
   * Off by default: AWS Config allows **one recorder and one delivery channel per account and
   * Region**, and AWS Control Tower, AWS Security Hub or an earlier setup often created them
   * already; then creating them fails the deployment. Two recorders in one app for the same
   * account and Region are refused at synthesis.
   *
   * With the recorder, every `AWS::Config::ConfigRule` of this construct's stack depends on it
   * (rules fail with `NoAvailableConfigurationRecorderException` without a recorder): the
   * construct adds an Aspect to its stack that adds the `DependsOn`, and nothing else. For
   * rules in other stacks, call `addDependent(rules)`.
   *
   * By default the recorder uses AWS Config's service-linked role `AWSServiceRoleForConfig`,
   * which must exist in the account (AWS creates it at the first Config setup, or create it
   * once with `iam.CfnServiceLinkedRole` and `awsServiceName: 'config.amazonaws.com'`).
   *
   * @see https://docs.aws.amazon.com/config/latest/developerguide/stop-start-recorder.html
   * @default false
   */
  readonly createConfigurationRecorder?: boolean;

  /**
   * The role the recorder uses instead of the service-linked role. It must trust
   * `config.amazonaws.com` and carry the managed policy `service-role/AWS_ConfigRole`; CDK
   * grants it writing to the delivery prefix and using the key. Only with the recorder.
   *
   * @default - the service-linked role AWSServiceRoleForConfig
   */
  readonly recorderRole?: iam.IRole;

  /**
   * The resource types the recorder records, of the form `AWS::Service::Resource`.
   * Duplicates are merged; an empty list is refused. Only with the recorder.
   *
   * @see https://docs.aws.amazon.com/config/latest/developerguide/resource-config-reference.html
   * @default - the types the rules of `ComplianceRules` evaluate (ECS task definitions and
   * services, SNS topics, SQS queues, ELBv2 load balancers and listeners, API Gateway stages,
   * VPCs) and `AWS::Config::ResourceCompliance`
   */
  readonly recordedResourceTypes?: string[];

  /**
   * How often the recorder records changes. With `DAILY`, the types AWS Config records
   * continuously only (`AWS::Config::ResourceCompliance`, `AWS::Config::ConformancePackCompliance`,
   * `AWS::Config::ConfigurationRecorder`) get a continuous override. Only with the recorder.
   *
   * @default RecordingFrequency.CONTINUOUS
   */
  readonly recordingFrequency?: RecordingFrequency;

  /**
   * The key prefix of the delivery channel in the audit bucket: AWS Config writes under
   * `<prefix>/AWSLogs/<account>/Config/`. 1 to 256 characters without a leading or trailing
   * `/`, and without `AWSLogs/` (AWS Config adds it). Only with the recorder.
   *
   * @default 'config'
   */
  readonly deliveryKeyPrefix?: string;

  /**
   * How often AWS Config delivers a configuration snapshot to the bucket. Only with the
   * recorder.
   *
   * @default config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS
   */
  readonly snapshotDeliveryFrequency?: config.MaximumExecutionFrequency;
}

/**
 * An audit trail of AWS Config compliance: a versioned, encrypted, TLS-only S3 bucket with
 * lifecycle rules and optional Object Lock, where every "Config Rules Compliance Change"
 * event lands, and optionally AWS Config's own configuration recorder and delivery channel.
 *
 * An EventBridge rule on the default event bus matches the compliance changes (every result,
 * optionally of some rules only) and sends them to an Amazon Data Firehose delivery stream,
 * which writes them one JSON object a line (newline-delimited), GZIP-compressed and encrypted
 * with the audit key under `compliance-changes/yyyy/MM/dd/` (failed deliveries under
 * `compliance-errors/`). No Lambda function is involved. EventBridge retries the stream for
 * 24 hours (185 attempts) and then keeps the event in `deadLetterQueue` (14 days).
 *
 * The bucket: SSE-KMS with an S3 Bucket Key, versioned, public access blocked, ACLs off,
 * server access logs, EventBridge notifications, objects moved to Glacier Instant Retrieval
 * after 90 days and expired after seven years, old versions after one year, incomplete
 * uploads after 7 days; kept when removed from the stack.
 *
 * @see https://docs.aws.amazon.com/config/latest/developerguide/monitor-config-with-cloudwatchevents.html
 * @see https://docs.aws.amazon.com/firehose/latest/dev/create-destination.html#create-destination-s3
 *
 * @example
 * const rules = new ComplianceRules(this, 'ComplianceRules');
 * const audit = new ComplianceAudit(this, 'ComplianceAudit', {
 *   ruleNames: rules.ruleNames,
 *   // Only where no recorder exists yet in the account and Region.
 *   createConfigurationRecorder: true,
 * });
 */
export class ComplianceAudit extends Construct {
  /** The audit bucket. */
  public readonly bucket: s3.Bucket;
  /** The key that encrypts the bucket, the records, the error log group and the dead-letter queue (created, or the one brought). */
  public readonly encryptionKey: kms.IKey;
  /** The bucket that receives the audit bucket's server access logs (created, or the one brought). */
  public readonly accessLogsBucket: s3.IBucket;
  /** The EventBridge rule on the default event bus that matches the compliance changes. */
  public readonly rule: events.Rule;
  /** The Firehose delivery stream that writes the compliance changes to the bucket. */
  public readonly deliveryStream: firehose.DeliveryStream;
  /** The log group of Firehose delivery errors. */
  public readonly logGroup: logs.LogGroup;
  /**
   * Where EventBridge keeps the changes it could not put on the stream within 24 hours,
   * with the `ERROR_CODE`, `ERROR_MESSAGE`, `RULE_ARN` and `TARGET_ARN` message attributes.
   */
  public readonly deadLetterQueue: sqs.Queue;
  /** The configuration recorder, with `createConfigurationRecorder: true`. */
  public readonly recorder?: config.CfnConfigurationRecorder;
  /** The delivery channel to the bucket, with `createConfigurationRecorder: true`. */
  public readonly deliveryChannel?: config.CfnDeliveryChannel;

  constructor(scope: Construct, id: string, props: ComplianceAuditProps = {}) {
    super(scope, id);
    const p = Problems.ofConstruction(CLASS, this);
    p.addAll(this.validate(props));
    if (!p.any && props.createConfigurationRecorder === true) p.addAll(recordersAlreadyThere(this));
    p.throwIfAny();
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    if (props.encryptionKey) {
      this.encryptionKey = props.encryptionKey;
    } else {
      const key = new kms.Key(this, 'Key', {
        description: `Encrypts the compliance audit records of ${this.node.path}`,
        enableKeyRotation: true,
        removalPolicy,
      });
      denyGrantsNotForAwsResources(key);
      this.encryptionKey = key;
    }
    const key = this.encryptionKey;

    this.bucket = this.createBucket(props, removalPolicy);
    this.accessLogsBucket = props.accessLogsBucket ?? this.createAccessLogsBucket(props, removalPolicy);
    this.logAccess(this.accessLogsBucket);

    // Compliance changes: rule -> Firehose -> bucket, with retries and a dead-letter queue.
    const ruleNames = props.ruleNames ? [...new Set(props.ruleNames)] : undefined;
    this.rule = new events.Rule(this, 'Rule', {
      description: `Every AWS Config compliance change, to the audit bucket of ${this.node.path}`,
      eventPattern: complianceChangePattern(ruleNames),
    });

    this.logGroup = new logs.LogGroup(this, 'DeliveryErrors', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      encryptionKey: key,
      removalPolicy,
    });
    this._allowKeyUse(key, 'AllowCloudWatchLogsOfThisAccount', new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`),
      ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` } },
      'CloudWatch Logs cannot encrypt the Firehose error log group');

    this.deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      // The AWS-owned key encrypts the records while Firehose holds them; the audit key the objects.
      encryption: firehose.StreamEncryption.awsOwnedKey(),
      destination: new firehose.S3Bucket(this.bucket, {
        encryptionKey: key,
        compression: firehose.Compression.GZIP,
        dataOutputPrefix: CHANGES_PREFIX,
        errorOutputPrefix: ERRORS_PREFIX,
        bufferingInterval: props.bufferingInterval ?? Duration.seconds(300),
        loggingConfig: new firehose.EnableLogging(this.logGroup),
        // Firehose concatenates records as they come: without a delimiter an object is one line
        // of JSON objects back to back, which Athena and line-based JSON readers cannot split.
        // The AppendDelimiterToRecord processor (no parameters) adds a newline after each record.
        // https://docs.aws.amazon.com/firehose/latest/APIReference/API_Processor.html
        // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-kinesisfirehose-deliverystream-processor.html
        processors: [new firehose.AppendDelimiterToRecordProcessor()],
      }),
    });
    const firehoseGrants = 'Grants aws-kinesisfirehose makes for the delivery role of the S3 destination, scoped to the audit bucket and key; '
      + 'Firehose needs to list, read back and abort its multipart uploads, and the KMS actions are the ones S3 needs for SSE-KMS writes.';
    const objectsArn = nagString(stack, this.bucket.arnForObjects('*'));
    acknowledge(this.deliveryStream, [
      ...['Action::s3:Abort*', 'Action::s3:DeleteObject*', 'Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*',
        'Action::kms:GenerateDataKey*', 'Action::kms:ReEncrypt*', `Resource::${objectsArn}`]
        .map((finding) => ({ id: `AwsSolutions-IAM5[${finding}]`, reason: firehoseGrants })),
      ...nistAndHipaa('IAMNoInlinePolicy', 'The delivery role and the EventBridge role are used by this stream only; their inline policies, written by aws-kinesisfirehose and aws-events-targets, live and go with them.'),
    ]);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      // AWS Control Tower CT.SQS.PR.1: a queue without a redrive policy must say which queues may
      // use it as a dead-letter queue. None does (it is EventBridge's); naming the rule is not possible.
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    acknowledge(this.deadLetterQueue, [{
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the EventBridge rule target (DeadLetterConfig of AWS::Events::Rule), which cdk-nag does not recognize; a dead-letter queue of a dead-letter queue would hold nothing.',
    }]);
    this.deadLetterQueue.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowRuleToKeepUndeliveredEvents',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [this.deadLetterQueue.queueArn],
      conditions: { ArnEquals: { 'aws:SourceArn': this.rule.ruleArn } },
    }));
    // EventBridge encrypts what it keeps in the dead-letter queue with the audit key. The key
    // statement carries no aws:SourceArn/aws:SourceAccount condition: the SNS developer guide
    // says EventBridge does not support them on the key of what it delivers to, and the EventBridge
    // guide gives the dead-letter queue's permission as a queue policy naming the rule (above),
    // not as key conditions. Scoping stays on the queue policy.
    // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html#eb-dlq-perms
    this._allowKeyUse(key, 'AllowEventBridgeToUseKey', new iam.ServicePrincipal('events.amazonaws.com'),
      ['kms:Decrypt', 'kms:GenerateDataKey*'], undefined,
      'EventBridge cannot keep undelivered compliance changes in the dead-letter queue');

    // targets.FirehoseDeliveryStream takes no dead-letter queue or retry policy; EventBridge
    // accepts both on any target: add them to what it binds.
    const target = new targets.FirehoseDeliveryStream(this.deliveryStream);
    const deadLetterArn = this.deadLetterQueue.queueArn;
    this.rule.addTarget({
      bind: (rule, targetId) => ({
        ...target.bind(rule, targetId),
        deadLetterConfig: { arn: deadLetterArn },
        retryPolicy: { maximumEventAgeInSeconds: MAX_EVENT_AGE.toSeconds(), maximumRetryAttempts: RETRY_ATTEMPTS },
      }),
    });

    if (props.createConfigurationRecorder === true) {
      const recorded = createRecorder(this, props);
      this.recorder = recorded.recorder;
      this.deliveryChannel = recorded.deliveryChannel;
      dependOnRecorder(this, this.recorder);
    }
  }

  /**
   * Makes a construct (and everything below it) wait for the configuration recorder: for
   * AWS Config rules in another stack (`audit.addDependent(rules)`; the stacks then deploy in
   * order). Rules in this construct's stack depend on the recorder without it. Refused
   * without `createConfigurationRecorder: true`.
   *
   * @param dependent the construct that needs the recorder, for example a `ComplianceRules`
   */
  public addDependent(dependent: IConstruct): void {
    if (!this.recorder) {
      Problems.reject(CLASS, this,
        '`addDependent()` makes a construct wait for the configuration recorder, which only `createConfigurationRecorder: true` creates; set it, or remove the call',
      );
    }
    dependent.node.addDependency(this.recorder);
  }

  private createBucket(props: ComplianceAuditProps, removalPolicy: RemovalPolicy): s3.Bucket {
    const lock = props.objectLockRetention;
    const locked = props.objectLockEnabled !== false;
    const transition = props.enableTransition ?? true;
    const bucket = new s3.Bucket(this, 'Resource', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      objectLockEnabled: locked ? true : undefined,
      objectLockDefaultRetention: lock,
      removalPolicy,
      lifecycleRules: [{
        id: 'AuditRetention',
        expiration: props.retention ?? DEFAULT_RETENTION,
        transitions: transition ? [{
          storageClass: props.transitionStorageClass ?? s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
          transitionAfter: props.transitionAfter ?? DEFAULT_TRANSITION_AFTER,
        }] : undefined,
        noncurrentVersionExpiration: props.noncurrentVersionExpiration ?? DEFAULT_NONCURRENT_EXPIRATION,
        abortIncompleteMultipartUploadAfter: Duration.days(7),
      }],
    });
    announceOnEventBridge(bucket);
    acknowledge(bucket, nistAndHipaa('S3BucketReplicationEnabled',
      'Audit records are kept in-region with versioning and lifecycle rules; cross-region replication is an account-level choice (it needs a second bucket and key in another Region).'));
    if (lock) {
      Annotations.of(this).addWarningV2('cdk-microservices:auditObjectLockChecksum',
        `\`objectLockRetention\` gives the audit bucket of ${this.node.path} a default retention: S3 then refuses every PutObject without a Content-MD5 or x-amz-checksum-* header. `
        + 'Whether Amazon Data Firehose and the AWS Config delivery channel send one is not verified by this library: deliver a record in a test account before relying on it.');
    } else if (!locked) {
      suppressGuard(bucket, ['s3_bucket_object_lock_enabled_check'],
        'Object Lock was turned off on purpose (objectLockEnabled: false) for this audit bucket; it is versioned, and only lifecycle rules expire its records.');
    }
    return bucket;
  }

  /**
   * The bucket of the audit bucket's server access logs, treated as the environment's
   * access-log bucket: SSE-S3 (the only encryption S3 delivers server access logs to) and no
   * server access logs of its own (the end of the log chain).
   */
  private createAccessLogsBucket(props: ComplianceAuditProps, removalPolicy: RemovalPolicy): s3.Bucket {
    // No Object Lock at all (the audit bucket itself may have it): "S3 buckets with Object
    // Lock can't be used as destination buckets for server access logs."
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html
    return createLogBucket(this, 'AccessLogs', {
      writer: 'Amazon S3',
      logs: 'the audit bucket\'s server access logs',
      expiration: props.retention ?? DEFAULT_RETENTION,
      objectLock: false,
      removalPolicy,
    });
  }

  /**
   * Turns on server access logging of the audit bucket into `target`, with a bucket policy
   * statement (not ACLs, whatever the app's `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`
   * flag says) that lets only this bucket of this account write.
   */
  private logAccess(target: s3.IBucket): void {
    const stack = Stack.of(this);
    (this.bucket.node.defaultChild as s3.CfnBucket).loggingConfiguration = {
      destinationBucketName: target.bucketName,
      logFilePrefix: ACCESS_LOGS_PREFIX,
    };
    const added = target.addToResourcePolicy(new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [target.arnForObjects(`${ACCESS_LOGS_PREFIX}*`)],
      conditions: {
        ArnLike: { 'aws:SourceArn': this.bucket.bucketArn },
        StringEquals: { 'aws:SourceAccount': stack.account },
      },
    }));
    if (!added.statementAdded) {
      Annotations.of(this).addWarningV2('cdk-microservices:importedAccessLogsBucket',
        `The bucket ${target.bucketName} is imported: CDK cannot change its policy. Let logging.s3.amazonaws.com use s3:PutObject on ${ACCESS_LOGS_PREFIX}* with aws:SourceArn the audit bucket of ${this.node.path}, or its access logs are lost. `
        + 'It must not have Object Lock either: S3 does not deliver server access logs to such a bucket.');
    }
    if (target.encryptionKey) {
      Annotations.of(this).addWarningV2('cdk-microservices:accessLogsBucketKms',
        `\`accessLogsBucket\` is encrypted with a KMS key: Amazon S3 delivers server access logs only to buckets encrypted with SSE-S3, so the audit bucket's access logs of ${this.node.path} are lost.`);
    }
  }

  /**
   * Adds a statement to the key policy, or warns what an imported key needs.
   * @internal
   */
  public _allowKeyUse(key: kms.IKey, sid: string, principal: iam.IPrincipal, actions: string[],
    conditions: { [key: string]: unknown } | undefined, otherwise: string): void {
    const added = key.addToResourcePolicy(new iam.PolicyStatement({ sid, principals: [principal], actions, resources: ['*'], conditions }), true);
    if (!added.statementAdded) {
      Annotations.of(this).addWarningV2(`cdk-microservices:importedKey${sid}`,
        `The key ${key.keyArn} is imported: CDK cannot change its key policy. Add the statement ${sid} (${actions.join(', ')} for ${principal}), or ${otherwise} (${this.node.path}).`);
    }
  }

  private validate(props: ComplianceAuditProps): string[] {
    if (props === null || typeof props !== 'object') return [`props ${show(props)} are not an object of ComplianceAuditProps`];
    const p = new Problems(CLASS, this);
    const o = checkKinds(p, props, [
      ['retention', 'Duration'], ['objectLockEnabled', 'boolean'], ['enableTransition', 'boolean'], ['transitionAfter', 'Duration'], ['noncurrentVersionExpiration', 'Duration'],
      ['removalPolicy', 'string'], ['ruleNames', 'list of strings'], ['bufferingInterval', 'Duration'], ['logRetention', 'number'],
      ['createConfigurationRecorder', 'boolean'], ['recordedResourceTypes', 'list of strings'], ['recordingFrequency', 'string'],
      ['deliveryKeyPrefix', 'string'], ['snapshotDeliveryFrequency', 'string'],
    ]);

    if (o.encryptionKey !== undefined && typeof (o.encryptionKey as kms.IKey)?.keyArn !== 'string') {
      p.add(`\`encryptionKey\` ${show(o.encryptionKey)} is not a kms.IKey`);
    }
    if (o.accessLogsBucket !== undefined && typeof (o.accessLogsBucket as s3.IBucket)?.bucketName !== 'string') {
      p.add(`\`accessLogsBucket\` ${show(o.accessLogsBucket)} is not an s3.IBucket`);
    }
    if (objectLockOf(o.accessLogsBucket)) {
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html
      p.add(`\`accessLogsBucket\` ${(o.accessLogsBucket as s3.Bucket).node.path} has Object Lock, and S3 does not deliver server access logs `
        + 'to a bucket with Object Lock; bring a bucket without Object Lock (Object Lock cannot be turned off), or omit `accessLogsBucket` for a new one');
    }
    if (o.objectLockEnabled === false && o.objectLockRetention !== undefined) {
      p.add('`objectLockRetention` needs Object Lock, which `objectLockEnabled: false` turns off; remove one of them');
    }
    if (o.objectLockRetention !== undefined && !(o.objectLockRetention instanceof s3.ObjectLockRetention)) {
      p.add(`\`objectLockRetention\` ${show(o.objectLockRetention)} is not an s3.ObjectLockRetention; use s3.ObjectLockRetention.governance(...) or .compliance(...)`);
    }
    const policies = [RemovalPolicy.RETAIN, RemovalPolicy.DESTROY, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE];
    if (o.removalPolicy !== undefined && !policies.includes(o.removalPolicy)) {
      p.add(`\`removalPolicy\` ${show(o.removalPolicy)} is not valid for a bucket; use RemovalPolicy.RETAIN, DESTROY or RETAIN_ON_UPDATE_OR_DELETE`);
    }

    // Lifecycle.
    const retention = days(p, 'retention', o.retention, 1, MAX_DAYS);
    days(p, 'noncurrentVersionExpiration', o.noncurrentVersionExpiration, 1, MAX_DAYS);
    if (o.enableTransition === false) {
      for (const prop of ['transitionAfter', 'transitionStorageClass'] as const) {
        if (o[prop] !== undefined) p.add(`\`${prop}\` configures the transition, which \`enableTransition: false\` turns off; remove one of them`);
      }
    }
    const storageClass = o.transitionStorageClass;
    if (storageClass !== undefined && !(storageClass instanceof s3.StorageClass)) {
      p.add(`\`transitionStorageClass\` ${show(storageClass)} is not an s3.StorageClass; use one such as s3.StorageClass.GLACIER_INSTANT_RETRIEVAL`);
    }
    const infrequent = storageClass instanceof s3.StorageClass
      && [s3.StorageClass.INFREQUENT_ACCESS.value, s3.StorageClass.ONE_ZONE_INFREQUENT_ACCESS.value].includes(storageClass.value);
    const transitionAfter = days(p, 'transitionAfter', o.transitionAfter ?? (infrequent ? DEFAULT_TRANSITION_AFTER : undefined),
      infrequent ? 30 : 1, MAX_DAYS, infrequent ? ' (S3 moves objects to an infrequent-access class after 30 days at the earliest)' : '');
    // Compared only when both are known and valid (a default counts as known).
    const retentionDays = o.retention === undefined ? DEFAULT_RETENTION.toDays() : retention;
    const transitionDays = o.transitionAfter === undefined ? DEFAULT_TRANSITION_AFTER.toDays() : transitionAfter;
    if (o.enableTransition !== false && retentionDays !== undefined && transitionDays !== undefined && transitionDays >= retentionDays) {
      p.add(`\`transitionAfter\` ${transitionDays} days is not shorter than \`retention\` ${retentionDays} days: `
        + 'objects would expire before they move; shorten `transitionAfter`, lengthen `retention`, or set `enableTransition: false`');
    }

    // Compliance changes.
    checkRuleNames(p, o.ruleNames, 'would record no change');
    const buffering = checkSeconds('bufferingInterval', o.bufferingInterval, 0, 900, '0 to 900 (15 minutes)');
    if (buffering) p.add(buffering);
    const retentionProblem = logRetentionProblem('logRetention', o.logRetention);
    if (retentionProblem) {
      p.add(retentionProblem);
    } else if (known(o.logRetention) && o.logRetention < logs.RetentionDays.ONE_YEAR) {
      p.add(`\`logRetention\` ${o.logRetention} days is shorter than a year, which audit logs need (AWS Control Tower CT.CLOUDWATCH.PR.2); use logs.RetentionDays.ONE_YEAR or longer`);
    }

    // The recorder.
    checkRecorderProps(p, o);
    return p.all;
  }
}

/** Whether a bucket of this app (not an imported one) has Object Lock, as far as synthesis can tell. */
function objectLockOf(bucket: unknown): boolean {
  if (!(bucket instanceof s3.Bucket)) return false;
  const cfn = bucket.node.defaultChild as s3.CfnBucket | undefined;
  if (!cfn) return false;
  const lock = cfn.objectLockEnabled;
  const configured = cfn.objectLockConfiguration as s3.CfnBucket.ObjectLockConfigurationProperty | undefined;
  return lock === true || configured?.objectLockEnabled === 'Enabled';
}

/** A known Duration as whole days within a range, or undefined (recording the problem when it is not). */
function days(p: Problems, prop: string, value: Duration | undefined, min: number, max: number, why = ''): number | undefined {
  if (!known(value)) return undefined;
  const ms = value.toMilliseconds({ integral: false });
  const dayMs = 86_400_000;
  if (!Number.isFinite(ms) || ms % dayMs !== 0 || ms / dayMs < min || ms / dayMs > max) {
    p.add(`\`${prop}\` ${value.toHumanString()} is not valid; use whole days from ${min} to ${max.toLocaleString('en-US')}${why}`);
    return undefined;
  }
  return ms / dayMs;
}
