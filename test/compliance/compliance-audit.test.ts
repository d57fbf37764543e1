import {
  App,
  Duration,
  Lazy,
  RemovalPolicy,
  Stack,
  aws_config as config,
  aws_iam as iam,
  aws_kms as kms,
  aws_logs as logs,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { formatGateReports, GateReport, runGates } from '../../examples/store/gates';
import { ComplianceAudit, ComplianceAuditProps, RecordingFrequency } from '../../src/compliance';
import { attempt, expectValidationError } from '../error-contract';

const ACCOUNT = '111111111111';
const CLASSES = ['ComplianceAudit'];
const PROPS = [
  'encryptionKey', 'retention', 'enableTransition', 'transitionAfter', 'transitionStorageClass', 'noncurrentVersionExpiration',
  'objectLockEnabled', 'objectLockRetention', 'accessLogsBucket', 'removalPolicy', 'ruleNames', 'bufferingInterval', 'logRetention',
  'createConfigurationRecorder', 'recorderRole', 'recordedResourceTypes', 'recordingFrequency', 'deliveryKeyPrefix',
  'snapshotDeliveryFrequency', 'addDependent', 'props',
];

function newApp(): App {
  return new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
}

type Env = { account?: string; region?: string } | 'agnostic';

function newStack(app: App = newApp(), stackId = 'Test', env: Env = { account: ACCOUNT, region: 'us-east-1' }): Stack {
  return new Stack(app, stackId, { env: env === 'agnostic' ? undefined : env });
}

function synth(props: ComplianceAuditProps = {}): { stack: Stack; audit: ComplianceAudit; template: Template } {
  const stack = newStack();
  const audit = new ComplianceAudit(stack, 'Audit', props);
  return { stack, audit, template: Template.fromStack(stack) };
}

function id(stack: Stack, construct: { node: { defaultChild?: unknown } } | undefined): string {
  return stack.getLogicalId(construct!.node.defaultChild as never);
}

function bucketOf(template: Template, logicalId: string): { [key: string]: any } {
  return template.findResources('AWS::S3::Bucket')[logicalId];
}

function policyStatements(template: Template, type: string, ref: unknown, refProperty: string): Array<{ [key: string]: any }> {
  const policies = Object.values(template.findResources(type)).filter((p) => JSON.stringify(p.Properties[refProperty]) === JSON.stringify(ref));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

function bucketPolicy(template: Template, bucketId: string): Array<{ [key: string]: any }> {
  return policyStatements(template, 'AWS::S3::BucketPolicy', { Ref: bucketId }, 'Bucket');
}

function keyPolicy(template: Template, keyId: string): Array<{ [key: string]: any }> {
  return template.findResources('AWS::KMS::Key')[keyId].Properties.KeyPolicy.Statement;
}

const partitionArn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

describe('ComplianceAudit: the audit bucket', () => {
  test('defaults: versioned, SSE-KMS with a new rotating key and a bucket key, public access blocked, ACLs off, kept', () => {
    const { stack, audit, template } = synth();
    const key = id(stack, audit.encryptionKey as kms.Key);
    expect(audit.encryptionKey).toBeInstanceOf(kms.Key);
    expect(audit.bucket.node.id).toBe('Resource');
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const bucket = bucketOf(template, id(stack, audit.bucket));
    expect(bucket.DeletionPolicy).toBe('Retain');
    expect(bucket.UpdateReplacePolicy).toBe('Retain');
    expect(bucket.Properties).toMatchObject({
      VersioningConfiguration: { Status: 'Enabled' },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [key, 'Arn'] } },
        }],
      },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    });
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toBeUndefined();
  });

  test('default lifecycle: Glacier Instant Retrieval after 90 days, expiry after 2557 days, old versions after 365, uploads after 7', () => {
    const { stack, audit, template } = synth();
    expect(bucketOf(template, id(stack, audit.bucket)).Properties.LifecycleConfiguration).toEqual({
      Rules: [{
        Id: 'AuditRetention',
        Status: 'Enabled',
        ExpirationInDays: 2557,
        Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 90 }],
        NoncurrentVersionExpiration: { NoncurrentDays: 365 },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      }],
    });
  });

  test('custom lifecycle', () => {
    const { stack, audit, template } = synth({
      retention: Duration.days(3650),
      transitionAfter: Duration.days(30),
      transitionStorageClass: s3.StorageClass.INFREQUENT_ACCESS,
      noncurrentVersionExpiration: Duration.days(90),
    });
    expect(bucketOf(template, id(stack, audit.bucket)).Properties.LifecycleConfiguration.Rules[0]).toMatchObject({
      ExpirationInDays: 3650,
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
      NoncurrentVersionExpiration: { NoncurrentDays: 90 },
    });
  });

  test('enableTransition: false keeps objects in S3 Standard', () => {
    const { stack, audit, template } = synth({ enableTransition: false, retention: Duration.days(30) });
    const rule = bucketOf(template, id(stack, audit.bucket)).Properties.LifecycleConfiguration.Rules[0];
    expect(rule.Transitions).toBeUndefined();
    expect(rule.ExpirationInDays).toBe(30);
  });

  test('accepts TLS requests only', () => {
    const { stack, audit, template } = synth();
    const bucket = id(stack, audit.bucket);
    expect(bucketPolicy(template, bucket)).toContainEqual({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:*',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      Resource: [{ 'Fn::GetAtt': [bucket, 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/*']] }],
    });
  });

  test('the user\'s key encrypts the bucket; no key is created', () => {
    const stack = newStack();
    const userKey = new kms.Key(stack, 'UserKey', { enableKeyRotation: true });
    const audit = new ComplianceAudit(stack, 'Audit', { encryptionKey: userKey });
    const template = Template.fromStack(stack);
    expect(audit.encryptionKey).toBe(userKey);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(bucketOf(template, id(stack, audit.bucket)).Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]
      .ServerSideEncryptionByDefault.KMSMasterKeyID).toEqual({ 'Fn::GetAtt': [id(stack, userKey), 'Arn'] });
  });

  test('an imported key gets warnings that list what its policy needs', () => {
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Imported', `arn:aws:kms:us-east-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`);
    new ComplianceAudit(stack, 'Audit', { encryptionKey: key, createConfigurationRecorder: true });
    const warnings = Annotations.fromStack(stack).findWarning('/Test/Audit', Match.stringLikeRegexp('is imported: CDK cannot change its key policy'));
    expect(warnings.map((w) => String(w.entry.data))).toEqual([
      expect.stringContaining('AllowCloudWatchLogsOfThisAccount'),
      expect.stringContaining('AllowEventBridgeToUseKey'),
      expect.stringContaining('AllowConfigOfThisAccount'),
    ]);
  });

  test('object lock active by default without a default retention: no suppression, no checksum warning', () => {
    const { stack, audit, template } = synth();
    const bucket = bucketOf(template, id(stack, audit.bucket));
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toBeUndefined();
    expect(bucket.Metadata?.guard).toBeUndefined();
    Annotations.fromStack(stack).hasNoWarning('/Test/Audit', Match.stringLikeRegexp('default retention'));
  });

  test('objectLockEnabled false: no object lock, and its Control Tower control is suppressed with a reason', () => {
    const { stack, audit, template } = synth({ objectLockEnabled: false });
    const bucket = bucketOf(template, id(stack, audit.bucket));
    expect(bucket.Properties.ObjectLockEnabled).toBeUndefined();
    expect(bucket.Metadata.guard).toEqual({ SuppressedRules: ['s3_bucket_object_lock_enabled_check'], Reason: expect.stringContaining('objectLockEnabled: false') });
  });

  test('object lock with a default retention, and the checksum warning', () => {
    const { stack, audit, template } = synth({ objectLockRetention: s3.ObjectLockRetention.compliance(Duration.days(365)) });
    const bucket = bucketOf(template, id(stack, audit.bucket));
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
    });
    expect(bucket.Metadata?.guard).toBeUndefined();
    const warnings = Annotations.fromStack(stack).findWarning('/Test/Audit', Match.stringLikeRegexp('Content-MD5 or x-amz-checksum'));
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0].entry.data)).toContain('[ack: cdk-microservices:auditObjectLockChecksum]');
  });

  test('removalPolicy DESTROY applies to the buckets, the key and the log group', () => {
    const { stack, audit, template } = synth({ removalPolicy: RemovalPolicy.DESTROY });
    for (const logicalId of [id(stack, audit.bucket), id(stack, audit.accessLogsBucket as s3.Bucket), id(stack, audit.encryptionKey as kms.Key),
      id(stack, audit.logGroup)]) {
      expect(template.toJSON().Resources[logicalId].DeletionPolicy).toBe('Delete');
    }
  });

  test('server access logs go to a new SSE-S3 bucket, written by S3 logging from the audit bucket only', () => {
    const { stack, audit, template } = synth();
    const bucket = id(stack, audit.bucket);
    const logsBucket = id(stack, audit.accessLogsBucket as s3.Bucket);
    expect(audit.accessLogsBucket).toBeInstanceOf(s3.Bucket);
    expect(bucketOf(template, bucket).Properties.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logsBucket }, LogFilePrefix: 'audit-bucket/' });
    const logs3 = bucketOf(template, logsBucket);
    expect(logs3.DeletionPolicy).toBe('Retain');
    expect(logs3.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 2557, NoncurrentVersionExpiration: { NoncurrentDays: 30 } }] },
    });
    // No Object Lock at all: S3 does not deliver server access logs to a bucket with Object Lock.
    expect(logs3.Properties.ObjectLockEnabled).toBeUndefined();
    expect(logs3.Properties.ObjectLockConfiguration).toBeUndefined();
    expect(logs3.Properties.LoggingConfiguration).toBeUndefined();
    // ... and its Control Tower control (CT.S3.PR.9) is suppressed with that reason.
    expect(logs3.Metadata.guard.SuppressedRules).toContain('s3_bucket_object_lock_enabled_check');
    expect(logs3.Metadata.guard.Reason).toContain('Amazon S3 does not deliver the audit bucket\'s server access logs to a bucket with Object Lock');
    // The audit bucket itself keeps Object Lock.
    expect(bucketOf(template, bucket).Properties.ObjectLockEnabled).toBe(true);
    expect(bucketPolicy(template, logsBucket)).toContainEqual({
      Effect: 'Allow',
      Principal: { Service: 'logging.s3.amazonaws.com' },
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [logsBucket, 'Arn'] }, '/audit-bucket/*']] },
      Condition: { ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [bucket, 'Arn'] } }, StringEquals: { 'aws:SourceAccount': ACCOUNT } },
    });
    template.resourceCountIs('AWS::S3::Bucket', 2);
  });

  test('server access logs go to the bucket the user brings', () => {
    const stack = newStack();
    const mine = new s3.Bucket(stack, 'MyLogs', { encryption: s3.BucketEncryption.S3_MANAGED });
    const audit = new ComplianceAudit(stack, 'Audit', { accessLogsBucket: mine });
    const template = Template.fromStack(stack);
    expect(audit.accessLogsBucket).toBe(mine);
    template.resourceCountIs('AWS::S3::Bucket', 2);
    expect(bucketOf(template, id(stack, audit.bucket)).Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: id(stack, mine) });
    expect(bucketPolicy(template, id(stack, mine))).toContainEqual(expect.objectContaining({ Principal: { Service: 'logging.s3.amazonaws.com' } }));
    // ACLs stay off whatever the app's flags say.
    expect(bucketOf(template, id(stack, mine)).Properties.AccessControl).toBeUndefined();
  });

  test.each<[string, s3.BucketProps]>([
    ['Object Lock', { objectLockEnabled: true }],
    ['an Object Lock default retention', { objectLockDefaultRetention: s3.ObjectLockRetention.governance(Duration.days(1)) }],
  ])('a brought access-log bucket with %s is refused: S3 would not deliver to it', (_name, bucketProps) => {
    const stack = newStack();
    const locked = new s3.Bucket(stack, 'Locked', { encryption: s3.BucketEncryption.S3_MANAGED, ...bucketProps });
    const message = expectValidationError(attempt(() => new ComplianceAudit(stack, 'Audit', { accessLogsBucket: locked })),
      { classes: CLASSES, path: 'Test/Audit', props: PROPS });
    expect(message).toContain('`accessLogsBucket` Test/Locked has Object Lock, and S3 does not deliver server access logs to a bucket with Object Lock');
  });

  test('a brought access-log bucket whose Object Lock is set on the L1 is refused too', () => {
    const stack = newStack();
    const locked = new s3.Bucket(stack, 'Locked');
    (locked.node.defaultChild as s3.CfnBucket).objectLockConfiguration = { objectLockEnabled: 'Enabled' };
    expect(() => new ComplianceAudit(stack, 'Audit', { accessLogsBucket: locked })).toThrow('`accessLogsBucket` Test/Locked has Object Lock');
  });

  test('an imported or KMS-encrypted access-log bucket gets a warning', () => {
    const stack = newStack();
    new ComplianceAudit(stack, 'Audit', { accessLogsBucket: s3.Bucket.fromBucketName(stack, 'Imported', 'their-logs') });
    const kmsLogs = new s3.Bucket(stack, 'KmsLogs', { encryption: s3.BucketEncryption.KMS });
    new ComplianceAudit(stack, 'Audit2', { accessLogsBucket: kmsLogs });
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findWarning('/Test/Audit', Match.stringLikeRegexp('their-logs is imported.*must not have Object Lock'))).toHaveLength(1);
    expect(annotations.findWarning('/Test/Audit2', Match.stringLikeRegexp('only to buckets encrypted with SSE-S3'))).toHaveLength(1);
  });
});

describe('ComplianceAudit: compliance changes to the bucket', () => {
  const pattern = (detail: object) => Match.objectEquals({
    'source': ['aws.config'],
    'detail-type': ['Config Rules Compliance Change'],
    'detail': detail,
  });

  test('the rule matches every compliance change of every rule, exactly', () => {
    const { audit, template } = synth();
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', { State: 'ENABLED', EventPattern: pattern({ messageType: ['ComplianceChangeNotification'] }) });
    expect(audit.rule.node.id).toBe('Rule');
  });

  test('ruleNames narrow it, duplicates merged; tokens accepted', () => {
    const stack = newStack();
    const rule = new config.ManagedRule(stack, 'Versioning', { identifier: config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED });
    new ComplianceAudit(stack, 'Audit', { ruleNames: ['https-only', rule.configRuleName, 'https-only'] });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: pattern({
        messageType: ['ComplianceChangeNotification'],
        configRuleName: ['https-only', { Ref: stack.getLogicalId(rule.node.defaultChild as config.CfnConfigRule) }],
      }),
    });
  });

  test('one target, the stream, through its role, with retries and the dead-letter queue', () => {
    const { stack, audit, template } = synth();
    const targets = Object.values(template.findResources('AWS::Events::Rule'))[0].Properties.Targets;
    const role = audit.deliveryStream.node.findChild('EventsRole') as iam.Role;
    expect(targets).toEqual([{
      Id: 'Target0',
      Arn: { 'Fn::GetAtt': [id(stack, audit.deliveryStream), 'Arn'] },
      RoleArn: { 'Fn::GetAtt': [id(stack, role), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [id(stack, audit.deadLetterQueue), 'Arn'] } },
      RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
    }]);
    // The events role may put records on this stream only.
    expect(policyStatements(template, 'AWS::IAM::Policy', [{ Ref: id(stack, role) }], 'Roles')).toEqual([{
      Effect: 'Allow',
      Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
      Resource: { 'Fn::GetAtt': [id(stack, audit.deliveryStream), 'Arn'] },
    }]);
  });

  test('the stream: AWS-owned stream key, GZIP, the prefixes, 300 s buffering, the audit key, error logging', () => {
    const { stack, audit, template } = synth();
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      ExtendedS3DestinationConfiguration: {
        BucketARN: { 'Fn::GetAtt': [id(stack, audit.bucket), 'Arn'] },
        CompressionFormat: 'GZIP',
        Prefix: 'compliance-changes/!{timestamp:yyyy/MM/dd}/',
        ErrorOutputPrefix: 'compliance-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
        BufferingHints: { IntervalInSeconds: 300 },
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [id(stack, audit.encryptionKey as kms.Key), 'Arn'] } } },
        CloudWatchLoggingOptions: { Enabled: true, LogGroupName: { Ref: id(stack, audit.logGroup) } },
      },
    });
  });

  test('records are newline-delimited: the AppendDelimiterToRecord processor, and no other', () => {
    const { template } = synth();
    const streams = Object.values(template.findResources('AWS::KinesisFirehose::DeliveryStream'));
    expect(streams).toHaveLength(1);
    expect(streams[0].Properties.ExtendedS3DestinationConfiguration.ProcessingConfiguration).toEqual({
      Enabled: true,
      Processors: [{ Type: 'AppendDelimiterToRecord', Parameters: [] }],
    });
  });

  test('bufferingInterval is passed on (0 and 900 accepted)', () => {
    for (const seconds of [0, 60, 900]) {
      const { template } = synth({ bufferingInterval: Duration.seconds(seconds) });
      template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
        ExtendedS3DestinationConfiguration: { BufferingHints: { IntervalInSeconds: seconds } },
      });
    }
  });

  test('the error log group is encrypted with the key and kept a year (or as chosen)', () => {
    const { stack, audit, template } = synth();
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [id(stack, audit.encryptionKey as kms.Key), 'Arn'] },
    });
    synth({ logRetention: logs.RetentionDays.INFINITE }).template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.absent() });
    synth({ logRetention: logs.RetentionDays.TEN_YEARS }).template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 3653 });
  });

  test('the delivery role is scoped to the audit bucket, the key and the log group: no resource is *', () => {
    const { stack, audit, template } = synth();
    const role = audit.deliveryStream.node.findChild('S3 Destination Role') as iam.Role;
    const statements = policyStatements(template, 'AWS::IAM::Policy', [{ Ref: id(stack, role) }], 'Roles');
    const bucket = id(stack, audit.bucket);
    const key = { 'Fn::GetAtt': [id(stack, audit.encryptionKey as kms.Key), 'Arn'] };
    expect(JSON.stringify(statements)).not.toContain('"*"');
    for (const s of statements) {
      const resources = [s.Resource].flat();
      for (const r of resources) {
        expect([
          { 'Fn::GetAtt': [bucket, 'Arn'] },
          { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/*']] },
          key,
          { 'Fn::GetAtt': [id(stack, audit.logGroup), 'Arn'] },
        ]).toContainEqual(r);
      }
    }
    expect(statements).toContainEqual(expect.objectContaining({ Action: expect.arrayContaining(['s3:PutObject']) }));
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'firehose.amazonaws.com' } })] },
    });
  });

  test('the dead-letter queue: encrypted with the key, TLS only, a redrive allow policy, EventBridge from this rule only', () => {
    const { stack, audit, template } = synth();
    const queue = id(stack, audit.deadLetterQueue);
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [id(stack, audit.encryptionKey as kms.Key), 'Arn'] },
      MessageRetentionPeriod: 1209600,
      RedriveAllowPolicy: { redrivePermission: 'allowAll' },
    });
    const statements = policyStatements(template, 'AWS::SQS::QueuePolicy', [{ Ref: queue }], 'Queues');
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
    expect(statements).toContainEqual({
      Sid: 'AllowRuleToKeepUndeliveredEvents',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id(stack, audit.rule), 'Arn'] } } },
    });
  });

  test('the key policy: CloudWatch Logs of this account, EventBridge without source conditions, grants only for AWS resources', () => {
    const { stack, audit, template } = synth();
    const statements = keyPolicy(template, id(stack, audit.encryptionKey as kms.Key));
    expect(statements).toContainEqual(expect.objectContaining({
      Sid: 'AllowCloudWatchLogsOfThisAccount',
      Principal: { Service: 'logs.us-east-1.amazonaws.com' },
      Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': partitionArn(`:logs:us-east-1:${ACCOUNT}:log-group:*`) } },
    }));
    // No aws:SourceArn/aws:SourceAccount condition: EventBridge does not support them on the key
    // of what it delivers to (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
    // the dead-letter queue's policy names the rule.
    const eventBridge = statements.filter((s: any) => JSON.stringify(s.Principal).includes('events.amazonaws.com'));
    expect(eventBridge).toEqual([{
      Sid: 'AllowEventBridgeToUseKey',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
    }]);
    expect(statements).toContainEqual(expect.objectContaining({ Sid: 'DenyGrantsNotForAwsResources', Effect: 'Deny' }));
    expect(statements.some((s) => JSON.stringify(s.Principal).includes('config.amazonaws.com'))).toBe(false);
  });

  test.each<[string, ComplianceAuditProps]>([
    ['the defaults', {}],
    ['the recorder', { createConfigurationRecorder: true }],
    ['object lock and a brought access-log bucket', { objectLockRetention: s3.ObjectLockRetention.governance(Duration.days(30)) }],
  ])('no Lambda function and no custom resource anywhere, with %s', (_name, props) => {
    const { template } = synth(props);
    template.resourceCountIs('AWS::Lambda::Function', 0);
    template.resourceCountIs('AWS::CloudFormation::CustomResource', 0);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/Custom::|AWS::Lambda::/);
  });
});

describe('ComplianceAudit: the configuration recorder', () => {
  test('off by default: no recorder, no channel, no Config statements', () => {
    const { stack, audit, template } = synth();
    template.resourceCountIs('AWS::Config::ConfigurationRecorder', 0);
    template.resourceCountIs('AWS::Config::DeliveryChannel', 0);
    expect(audit.recorder).toBeUndefined();
    expect(audit.deliveryChannel).toBeUndefined();
    expect(JSON.stringify(bucketPolicy(template, id(stack, audit.bucket)))).not.toContain('config.amazonaws.com');
  });

  test('on: the service-linked role, the types of ComplianceRules, continuous recording', () => {
    const { audit, template } = synth({ createConfigurationRecorder: true });
    expect(audit.recorder).toBeInstanceOf(config.CfnConfigurationRecorder);
    template.resourceCountIs('AWS::Config::ConfigurationRecorder', 1);
    template.hasResourceProperties('AWS::Config::ConfigurationRecorder', {
      Name: Match.absent(),
      RoleARN: partitionArn(`:iam::${ACCOUNT}:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig`),
      RecordingGroup: {
        AllSupported: false,
        IncludeGlobalResourceTypes: false,
        RecordingStrategy: { UseOnly: 'INCLUSION_BY_RESOURCE_TYPES' },
        ResourceTypes: [
          'AWS::ECS::TaskDefinition', 'AWS::ECS::Service', 'AWS::SNS::Topic', 'AWS::SQS::Queue',
          'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::ElasticLoadBalancingV2::Listener', 'AWS::ApiGateway::Stage',
          'AWS::EC2::VPC', 'AWS::Config::ResourceCompliance',
        ],
      },
      RecordingMode: Match.objectEquals({ RecordingFrequency: 'CONTINUOUS' }),
    });
    template.resourceCountIs('AWS::IAM::ServiceLinkedRole', 0);
  });

  test('the delivery channel: the bucket, the prefix, the key, daily snapshots; it waits for the bucket policy', () => {
    const { stack, audit, template } = synth({ createConfigurationRecorder: true });
    template.resourceCountIs('AWS::Config::DeliveryChannel', 1);
    template.hasResource('AWS::Config::DeliveryChannel', {
      Properties: {
        S3BucketName: { Ref: id(stack, audit.bucket) },
        S3KeyPrefix: 'config',
        S3KmsKeyArn: { 'Fn::GetAtt': [id(stack, audit.encryptionKey as kms.Key), 'Arn'] },
        ConfigSnapshotDeliveryProperties: { DeliveryFrequency: 'TwentyFour_Hours' },
      },
      DependsOn: [id(stack, audit.bucket.policy)],
    });
  });

  test('custom prefix, snapshot frequency and resource types (duplicates merged)', () => {
    const { template } = synth({
      createConfigurationRecorder: true,
      deliveryKeyPrefix: 'audit/config',
      snapshotDeliveryFrequency: config.MaximumExecutionFrequency.SIX_HOURS,
      recordedResourceTypes: ['AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::S3::Bucket'],
    });
    template.hasResourceProperties('AWS::Config::DeliveryChannel', {
      S3KeyPrefix: 'audit/config',
      ConfigSnapshotDeliveryProperties: { DeliveryFrequency: 'Six_Hours' },
    });
    template.hasResourceProperties('AWS::Config::ConfigurationRecorder', { RecordingGroup: { ResourceTypes: ['AWS::S3::Bucket', 'AWS::SQS::Queue'] } });
  });

  test('daily recording keeps AWS::Config::ResourceCompliance continuous, as AWS Config requires', () => {
    const { template } = synth({ createConfigurationRecorder: true, recordingFrequency: RecordingFrequency.DAILY });
    template.hasResourceProperties('AWS::Config::ConfigurationRecorder', {
      RecordingMode: {
        RecordingFrequency: 'DAILY',
        RecordingModeOverrides: [{
          Description: Match.anyValue(),
          RecordingFrequency: 'CONTINUOUS',
          ResourceTypes: ['AWS::Config::ResourceCompliance'],
        }],
      },
    });
    synth({ createConfigurationRecorder: true, recordingFrequency: RecordingFrequency.DAILY, recordedResourceTypes: ['AWS::SQS::Queue'] })
      .template.hasResourceProperties('AWS::Config::ConfigurationRecorder', {
        RecordingMode: Match.objectEquals({ RecordingFrequency: 'DAILY' }),
      });
  });

  test('no DependsOn between the recorder and the channel, in either direction', () => {
    const { stack, audit, template } = synth({ createConfigurationRecorder: true });
    const resources = template.toJSON().Resources;
    const recorder = stack.getLogicalId(audit.recorder!);
    const channel = stack.getLogicalId(audit.deliveryChannel!);
    expect(resources[recorder].DependsOn ?? []).not.toContain(channel);
    expect(resources[channel].DependsOn ?? []).not.toContain(recorder);
  });

  test('the bucket policy lets AWS Config of this account check the bucket and deliver under the prefix, as AWS documents', () => {
    const { stack, audit, template } = synth({ createConfigurationRecorder: true, deliveryKeyPrefix: 'cfg' });
    const bucket = id(stack, audit.bucket);
    const config3 = bucketPolicy(template, bucket).filter((s) => JSON.stringify(s.Principal).includes('config.amazonaws.com'));
    const arn = { 'Fn::GetAtt': [bucket, 'Arn'] };
    expect(config3).toEqual([
      {
        Sid: 'AWSConfigBucketPermissionsCheck',
        Effect: 'Allow',
        Principal: { Service: 'config.amazonaws.com' },
        Action: 's3:GetBucketAcl',
        Resource: arn,
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
      {
        Sid: 'AWSConfigBucketExistenceCheck',
        Effect: 'Allow',
        Principal: { Service: 'config.amazonaws.com' },
        Action: 's3:ListBucket',
        Resource: arn,
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
      },
      {
        Sid: 'AWSConfigBucketDelivery',
        Effect: 'Allow',
        Principal: { Service: 'config.amazonaws.com' },
        Action: 's3:PutObject',
        Resource: { 'Fn::Join': ['', [arn, `/cfg/AWSLogs/${ACCOUNT}/Config/*`]] },
        Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': ACCOUNT } },
      },
    ]);
  });

  test('the key policy lets AWS Config of this account use the key', () => {
    const { stack, audit, template } = synth({ createConfigurationRecorder: true });
    expect(keyPolicy(template, id(stack, audit.encryptionKey as kms.Key))).toContainEqual({
      Sid: 'AllowConfigOfThisAccount',
      Effect: 'Allow',
      Principal: { Service: 'config.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT } },
    });
  });

  test('the user\'s role: the recorder uses it; it may write under the prefix and use the key; no service principal statements', () => {
    const stack = newStack();
    const role = new iam.Role(stack, 'ConfigRole', { assumedBy: new iam.ServicePrincipal('config.amazonaws.com') });
    const audit = new ComplianceAudit(stack, 'Audit', { createConfigurationRecorder: true, recorderRole: role });
    const template = Template.fromStack(stack);
    const bucket = id(stack, audit.bucket);
    template.hasResourceProperties('AWS::Config::ConfigurationRecorder', { RoleARN: { 'Fn::GetAtt': [id(stack, role), 'Arn'] } });
    expect(JSON.stringify(bucketPolicy(template, bucket))).not.toContain('config.amazonaws.com');
    expect(JSON.stringify(keyPolicy(template, id(stack, audit.encryptionKey as kms.Key)))).not.toContain('config.amazonaws.com');
    const statements = policyStatements(template, 'AWS::IAM::Policy', [{ Ref: id(stack, role) }], 'Roles');
    expect(statements).toEqual(expect.arrayContaining([
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:PutObjectAcl'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, `/config/AWSLogs/${ACCOUNT}/Config/*`]] },
        Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
      },
      { Effect: 'Allow', Action: ['s3:GetBucketAcl', 's3:ListBucket'], Resource: { 'Fn::GetAtt': [bucket, 'Arn'] } },
      { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [id(stack, audit.encryptionKey as kms.Key), 'Arn'] } },
    ]));
    expect(statements).toHaveLength(3);
  });
});

describe('ComplianceAudit: Config rules wait for the recorder', () => {
  function dependsOn(template: Template, logicalId: string): string[] {
    return template.toJSON().Resources[logicalId].DependsOn ?? [];
  }

  test('every Config rule of the stack, created before or after the audit, ours or an L1, depends on the recorder', () => {
    const stack = newStack();
    const before = new config.ManagedRule(stack, 'Before', { identifier: config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED });
    const audit = new ComplianceAudit(stack, 'Audit', { createConfigurationRecorder: true });
    const after = new config.ManagedRule(stack, 'After', { identifier: config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED });
    const l1 = new config.CfnConfigRule(stack, 'L1', { source: { owner: 'AWS', sourceIdentifier: 'SQS_QUEUE_ENCRYPTED' } });
    const template = Template.fromStack(stack);
    const recorder = stack.getLogicalId(audit.recorder!);
    for (const rule of [id(stack, before), id(stack, after), stack.getLogicalId(l1)]) {
      expect(dependsOn(template, rule)).toContain(recorder);
    }
    // Only the rules: nothing else gets a DependsOn on the recorder.
    const dependents = Object.entries(template.toJSON().Resources as { [k: string]: any })
      .filter(([, r]) => (r.DependsOn ?? []).includes(recorder)).map(([, r]) => r.Type);
    expect(dependents).toEqual(['AWS::Config::ConfigRule', 'AWS::Config::ConfigRule', 'AWS::Config::ConfigRule']);
  });

  test('without the recorder, rules get no dependency', () => {
    const stack = newStack();
    const rule = new config.ManagedRule(stack, 'Rule', { identifier: config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED });
    new ComplianceAudit(stack, 'Audit');
    expect(dependsOn(Template.fromStack(stack), id(stack, rule))).toEqual([]);
  });

  test('rules in another stack get no DependsOn; addDependent() orders the stacks', () => {
    const app = newApp();
    const auditStack = newStack(app, 'Audit');
    const rulesStack = newStack(app, 'Rules');
    const rule = new config.ManagedRule(rulesStack, 'Rule', { identifier: config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED });
    const audit = new ComplianceAudit(auditStack, 'Audit', { createConfigurationRecorder: true });
    audit.addDependent(rule);
    const assembly = app.synth();
    // No DependsOn across stacks (CloudFormation has none): the stacks deploy in order.
    expect(dependsOn(Template.fromStack(rulesStack), id(rulesStack, rule))).toEqual([]);
    expect(assembly.getStackByName('Rules').dependencies.map((d) => d.id)).toContain('Audit');
  });

  test('without addDependent(), a stack of rules does not depend on the audit\'s stack', () => {
    const app = newApp();
    new ComplianceAudit(newStack(app, 'Audit'), 'Audit', { createConfigurationRecorder: true });
    new config.ManagedRule(newStack(app, 'Rules'), 'Rule', { identifier: config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED });
    expect(app.synth().getStackByName('Rules').dependencies.map((d) => d.id)).not.toContain('Audit');
  });

  test('addDependent() in the same stack adds a DependsOn on the recorder', () => {
    const stack = newStack();
    const audit = new ComplianceAudit(stack, 'Audit', { createConfigurationRecorder: true });
    const other = new s3.CfnBucket(stack, 'Other');
    audit.addDependent(other);
    expect(dependsOn(Template.fromStack(stack), stack.getLogicalId(other))).toEqual([stack.getLogicalId(audit.recorder!)]);
  });

  test('addDependent() without the recorder is refused', () => {
    const stack = newStack();
    const audit = new ComplianceAudit(stack, 'Audit');
    const message = expectValidationError(attempt(() => audit.addDependent(stack)), { classes: CLASSES, path: 'Test/Audit', props: PROPS });
    expect(message).toContain('`createConfigurationRecorder: true`');
  });
});

describe('ComplianceAudit: one recorder per account and Region', () => {
  const SAME = { account: ACCOUNT, region: 'us-east-1' };

  /** Builds the app whose last construct is refused; returns the error and the path of the other recorder. */
  test.each<[string, () => { error: unknown; path: string; other: string }]>([
    ['two audits in one stack', () => {
      const stack = newStack();
      new ComplianceAudit(stack, 'First', { createConfigurationRecorder: true });
      return { error: attempt(() => new ComplianceAudit(stack, 'Second', { createConfigurationRecorder: true })), path: 'Test/Second', other: 'Test/First/Recorder' };
    }],
    ['two stacks in the same account and Region', () => {
      const app = newApp();
      new ComplianceAudit(newStack(app, 'A', SAME), 'Audit', { createConfigurationRecorder: true });
      const b = newStack(app, 'B', SAME);
      return { error: attempt(() => new ComplianceAudit(b, 'Audit', { createConfigurationRecorder: true })), path: 'B/Audit', other: 'A/Audit/Recorder' };
    }],
    ['two environment-agnostic stacks', () => {
      const app = newApp();
      new ComplianceAudit(newStack(app, 'A', 'agnostic'), 'Audit', { createConfigurationRecorder: true });
      const b = newStack(app, 'B', 'agnostic');
      return { error: attempt(() => new ComplianceAudit(b, 'Audit', { createConfigurationRecorder: true })), path: 'B/Audit', other: 'A/Audit/Recorder' };
    }],
    ['a recorder of the user (L1) created before', () => {
      const stack = newStack();
      new config.CfnConfigurationRecorder(stack, 'Mine', { roleArn: 'arn:aws:iam::111111111111:role/config' });
      return { error: attempt(() => new ComplianceAudit(stack, 'Audit', { createConfigurationRecorder: true })), path: 'Test/Audit', other: 'Test/Mine' };
    }],
  ])('refused when the audit comes second: %s', (_name, build) => {
    const { error, path, other } = build();
    const message = expectValidationError(error, { classes: CLASSES, path, props: PROPS });
    expect(message).toContain(`but ${other} is one too`);
    expect(message).toContain('one recorder per account and Region');
  });

  test.each<[string, (app: App) => void]>([
    ['a recorder of the user (L1) in the same stack', (app) => {
      new config.CfnConfigurationRecorder(app.node.findChild('Test'), 'Mine', { roleArn: 'arn:aws:iam::111111111111:role/config' });
    }],
    ['a recorder of the user (L1) in another stack of the same environment', (app) => {
      new config.CfnConfigurationRecorder(newStack(app, 'Other', SAME), 'Mine', { roleArn: 'arn:aws:iam::111111111111:role/config' });
    }],
  ])('refused at synthesis when the other recorder comes later: %s', (_name, addLater) => {
    const app = newApp();
    new ComplianceAudit(newStack(app), 'Audit', { createConfigurationRecorder: true });
    addLater(app);
    const error = attempt(() => app.synth());
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('Validation failed');
    expect(message).toMatch(/\[Test\/Audit\] `ComplianceAudit` at Test\/Audit: `createConfigurationRecorder` asks for a configuration recorder, but (Test|Other)\/Mine is one too/);
  });

  test.each<[string, Env, Env]>([
    ['different Regions', SAME, { account: ACCOUNT, region: 'eu-west-1' }],
    ['different accounts', SAME, { account: '222222222222', region: 'us-east-1' }],
    ['one environment-agnostic stack and one with an environment', 'agnostic', SAME],
  ])('allowed in %s', (_name, envA, envB) => {
    const app = newApp();
    new ComplianceAudit(newStack(app, 'A', envA), 'Audit', { createConfigurationRecorder: true });
    new ComplianceAudit(newStack(app, 'B', envB), 'Audit', { createConfigurationRecorder: true });
    expect(() => app.synth()).not.toThrow();
  });

  test('audits without a recorder never conflict', () => {
    const stack = newStack();
    new ComplianceAudit(stack, 'First', { createConfigurationRecorder: true });
    new ComplianceAudit(stack, 'Second');
    new ComplianceAudit(stack, 'Third', { createConfigurationRecorder: false });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});

describe('ComplianceAudit: refusals', () => {
  test.each<[string, ComplianceAuditProps, string]>([
    ['retention 0 days', { retention: Duration.days(0) }, '`retention` 0 days is not valid; use whole days from 1 to 36,500'],
    ['retention in hours', { retention: Duration.hours(36) }, '`retention` 1 day 12 hours is not valid; use whole days'],
    ['retention too long', { retention: Duration.days(36_501) }, '`retention` 36501 days is not valid'],
    ['retention not a Duration', { retention: 30 as never }, '`retention` 30 is not a Duration'],
    ['noncurrentVersionExpiration 0', { noncurrentVersionExpiration: Duration.days(0) }, '`noncurrentVersionExpiration` 0 days is not valid'],
    ['transitionAfter 0', { transitionAfter: Duration.days(0) }, '`transitionAfter` 0 days is not valid; use whole days from 1'],
    ['transitionAfter to infrequent access under 30 days', { transitionAfter: Duration.days(10), transitionStorageClass: s3.StorageClass.INFREQUENT_ACCESS },
      '`transitionAfter` 10 days is not valid; use whole days from 30 to 36,500 (S3 moves objects to an infrequent-access class after 30 days at the earliest)'],
    ['transitionAfter not shorter than retention', { transitionAfter: Duration.days(100), retention: Duration.days(100) },
      '`transitionAfter` 100 days is not shorter than `retention` 100 days'],
    ['default transition not shorter than retention', { retention: Duration.days(30) }, '`transitionAfter` 90 days is not shorter than `retention` 30 days'],
    ['transitionAfter without the transition', { enableTransition: false, transitionAfter: Duration.days(30) },
      '`transitionAfter` configures the transition, which `enableTransition: false` turns off; remove one of them'],
    ['transitionStorageClass without the transition', { enableTransition: false, transitionStorageClass: s3.StorageClass.GLACIER }, '`transitionStorageClass` configures the transition'],
    ['transitionStorageClass not a storage class', { transitionStorageClass: 'GLACIER' as never }, "`transitionStorageClass` 'GLACIER' is not an s3.StorageClass"],
    ['objectLockRetention not a retention', { objectLockRetention: { days: 30 } as never }, '`objectLockRetention` {"days":30} is not an s3.ObjectLockRetention'],
    ['removalPolicy SNAPSHOT', { removalPolicy: RemovalPolicy.SNAPSHOT }, "`removalPolicy` 'snapshot' is not valid for a bucket"],
    ['encryptionKey not a key', { encryptionKey: 'alias/mine' as never }, "`encryptionKey` 'alias/mine' is not a kms.IKey"],
    ['accessLogsBucket not a bucket', { accessLogsBucket: 'logs' as never }, "`accessLogsBucket` 'logs' is not an s3.IBucket"],
    ['empty rule names', { ruleNames: [] }, '`ruleNames` is empty, which would record no change'],
    ['rule name with a space', { ruleNames: ['https only'] }, "`ruleNames` 'https only' is not an AWS Config rule name"],
    ['rule name too long', { ruleNames: ['a'.repeat(129)] }, "`ruleNames` 'aaaa"],
    ['bufferingInterval too long', { bufferingInterval: Duration.seconds(901) }, '`bufferingInterval` 15 minutes 1 second is not valid; use whole seconds from 0 to 900 (15 minutes)'],
    ['bufferingInterval fraction', { bufferingInterval: Duration.millis(1500) }, '`bufferingInterval` 1 second 500 millis is not valid'],
    ['logRetention under a year', { logRetention: logs.RetentionDays.SIX_MONTHS }, '`logRetention` 180 days is shorter than a year'],
    ['logRetention not a retention', { logRetention: 42 as logs.RetentionDays }, '`logRetention` 42 is not a CloudWatch Logs retention'],
    ['createConfigurationRecorder not a boolean', { createConfigurationRecorder: 'yes' as never }, "`createConfigurationRecorder` 'yes' is not a boolean"],
    ['recorderRole without the recorder', { recorderRole: iam.Role.fromRoleArn(new Stack(), 'R', 'arn:aws:iam::111111111111:role/r') },
      '`recorderRole` configures the configuration recorder, which needs `createConfigurationRecorder: true`; set it, or remove `recorderRole`'],
    ['recordedResourceTypes without the recorder', { createConfigurationRecorder: false, recordedResourceTypes: ['AWS::S3::Bucket'] },
      '`recordedResourceTypes` configures the configuration recorder'],
    ['recordingFrequency without the recorder', { recordingFrequency: RecordingFrequency.DAILY }, '`recordingFrequency` configures the configuration recorder'],
    ['deliveryKeyPrefix without the recorder', { deliveryKeyPrefix: 'x' }, '`deliveryKeyPrefix` configures the configuration recorder'],
    ['snapshotDeliveryFrequency without the recorder', { snapshotDeliveryFrequency: config.MaximumExecutionFrequency.ONE_HOUR },
      '`snapshotDeliveryFrequency` configures the configuration recorder'],
    ['recorderRole not a role', { createConfigurationRecorder: true, recorderRole: 'arn:aws:iam::1:role/x' as never }, "`recorderRole` 'arn:aws:iam::1:role/x' is not an iam.IRole"],
    ['empty recordedResourceTypes', { createConfigurationRecorder: true, recordedResourceTypes: [] }, '`recordedResourceTypes` is empty, which would record nothing'],
    ['a resource type of the wrong shape', { createConfigurationRecorder: true, recordedResourceTypes: ['S3::Bucket'] },
      "`recordedResourceTypes` 'S3::Bucket' is not a resource type; use the form AWS::Service::Resource, for example AWS::S3::Bucket"],
    ['a resource type with a trailing part', { createConfigurationRecorder: true, recordedResourceTypes: ['AWS::S3::Bucket::Policy'] },
      "`recordedResourceTypes` 'AWS::S3::Bucket::Policy' is not a resource type"],
    ['objectLockRetention with objectLockEnabled false', { objectLockEnabled: false, objectLockRetention: s3.ObjectLockRetention.governance(Duration.days(30)) },
      '`objectLockRetention` needs Object Lock, which `objectLockEnabled: false` turns off'],
    ['objectLockEnabled not a boolean', { objectLockEnabled: 'yes' as never }, "`objectLockEnabled` 'yes' is not a boolean"],
    ['an unknown resource type', { createConfigurationRecorder: true, recordedResourceTypes: ['AWS::SQS::Queue', 'AWS::Sqs::Queue', 'AWS::Nope::Thing'] },
      "`recordedResourceTypes` 'AWS::Sqs::Queue' is not a resource type AWS Config records; did you mean 'AWS::SQS::Queue'?"],
    ['unknown recordingFrequency', { createConfigurationRecorder: true, recordingFrequency: 'WEEKLY' as RecordingFrequency },
      "`recordingFrequency` 'WEEKLY' is not a RecordingFrequency; use one of RecordingFrequency.CONTINUOUS, RecordingFrequency.DAILY"],
    ['unknown snapshotDeliveryFrequency', { createConfigurationRecorder: true, snapshotDeliveryFrequency: 'Weekly' as config.MaximumExecutionFrequency },
      "`snapshotDeliveryFrequency` 'Weekly' is not a config.MaximumExecutionFrequency"],
    ['deliveryKeyPrefix with AWSLogs/', { createConfigurationRecorder: true, deliveryKeyPrefix: 'config/AWSLogs/x' },
      "`deliveryKeyPrefix` 'config/AWSLogs/x' contains AWSLogs/, which AWS Config adds itself"],
    ['deliveryKeyPrefix ending in AWSLogs', { createConfigurationRecorder: true, deliveryKeyPrefix: 'AWSLogs' }, '`deliveryKeyPrefix` \'AWSLogs\' contains AWSLogs/'],
    ['empty deliveryKeyPrefix', { createConfigurationRecorder: true, deliveryKeyPrefix: '' }, "`deliveryKeyPrefix` '' is not valid; use 1 to 256 printable characters"],
    ['deliveryKeyPrefix with a trailing slash', { createConfigurationRecorder: true, deliveryKeyPrefix: 'config/' }, "`deliveryKeyPrefix` 'config/' is not valid"],
    ['deliveryKeyPrefix too long', { createConfigurationRecorder: true, deliveryKeyPrefix: 'a'.repeat(257) }, '`deliveryKeyPrefix` \'aaaa'],
  ])('%s', (_name, props, problem) => {
    const stack = newStack();
    const message = expectValidationError(attempt(() => new ComplianceAudit(stack, 'Audit', props)), { classes: CLASSES, path: 'Test/Audit', props: PROPS });
    expect(message).toContain(problem);
    // The failed construct leaves nothing behind: the id can be used again.
    expect(stack.node.tryFindChild('Audit')).toBeUndefined();
  });

  test('props that are not an object are refused', () => {
    expect(() => new ComplianceAudit(newStack(), 'Audit', null as never)).toThrow('`ComplianceAudit` at Test/Audit: props null are not an object');
  });

  test('every problem in one error', () => {
    const error = attempt(() => new ComplianceAudit(newStack(), 'Audit', {
      retention: Duration.days(0), ruleNames: [], bufferingInterval: Duration.seconds(1000), recordingFrequency: RecordingFrequency.DAILY,
    }));
    expectValidationError(error, { classes: CLASSES, path: 'Test/Audit', props: PROPS });
    expect((error as { problems: string[] }).problems).toEqual([
      expect.stringContaining('`retention` 0 days'),
      expect.stringContaining('`ruleNames` is empty'),
      expect.stringContaining('`bufferingInterval` 16 minutes 40 seconds'),
      expect.stringContaining('`recordingFrequency` configures the configuration recorder'),
    ]);
    expect((error as Error).message.startsWith('`ComplianceAudit` at Test/Audit:\n  - ')).toBe(true);
  });

  test('tokens are not validated', () => {
    const stack = newStack();
    const token = Lazy.string({ produce: () => 'anything' });
    expect(() => new ComplianceAudit(stack, 'Audit', {
      ruleNames: [token],
      createConfigurationRecorder: true,
      recordedResourceTypes: [token],
      deliveryKeyPrefix: Lazy.string({ produce: () => 'AWSLogs/' }),
      retention: Duration.days(Lazy.number({ produce: () => 0 })),
      transitionAfter: Duration.days(Lazy.number({ produce: () => 0 })),
      bufferingInterval: Duration.seconds(Lazy.number({ produce: () => 5000 })),
      logRetention: Lazy.number({ produce: () => 1 }),
    })).not.toThrow();
  });
});

/**
 * Every gate of the reference app over ComplianceAudit: the resources it creates must have
 * zero unacknowledged findings. The user's own key, role and bucket are filtered out by path.
 */
describe('ComplianceAudit: compliance gates', () => {
  let reports: GateReport[];
  const ours = ['Test/Audit/', 'Test/Brought/', 'Other/Locked/'];

  beforeAll(async () => {
    const app = newApp();
    const stack = newStack(app);
    new config.ManagedRule(stack, 'Rule', { identifier: config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED });
    new ComplianceAudit(stack, 'Audit', { createConfigurationRecorder: true, ruleNames: ['https-only'] });
    const userKey = new kms.Key(stack, 'UserKey', { enableKeyRotation: true });
    const userLogs = new s3.Bucket(stack, 'UserLogs', { encryption: s3.BucketEncryption.S3_MANAGED });
    new ComplianceAudit(stack, 'Brought', { encryptionKey: userKey, accessLogsBucket: userLogs });
    const other = newStack(app, 'Other', { account: ACCOUNT, region: 'eu-west-1' });
    const role = new iam.Role(other, 'ConfigRole', { assumedBy: new iam.ServicePrincipal('config.amazonaws.com') });
    new ComplianceAudit(other, 'Locked', {
      objectLockRetention: s3.ObjectLockRetention.governance(Duration.days(30)),
      createConfigurationRecorder: true,
      recorderRole: role,
      recordingFrequency: RecordingFrequency.DAILY,
    });
    reports = await runGates(app, app.synth());
  }, 120_000);

  test.each(['cdk-nag AwsSolutions', 'cdk-nag NIST.800.53.R5', 'cdk-nag HIPAA.Security', 'cfn-guard Control Tower', 'cloudformation-validate'])(
    '%s: no finding on a resource ComplianceAudit creates',
    (gate) => {
      const report = reports.find((r) => r.gate === gate)!;
      expect(report).toBeDefined();
      const mine = report.findings.filter((f) => ours.some((p) => f.resource.startsWith(p)));
      if (mine.length > 0) throw new Error(formatGateReports([{ ...report, findings: mine, warnings: [] }]));
    },
  );

  test('the Firehose grants and the dead-letter queues are acknowledged, not absent', () => {
    const nag = reports.find((r) => r.gate === 'cdk-nag AwsSolutions')!;
    expect(nag.acknowledged).toBeGreaterThanOrEqual(3 * 9);
  });

  test('the gates ran over the user\'s resources too (they can fail)', () => {
    const all = reports.flatMap((r) => r.findings);
    expect(all.some((f) => f.resource.startsWith('Test/UserLogs/') || f.resource.startsWith('Other/ConfigRole/'))).toBe(true);
  });
});
