/**
 * The AWS Config configuration recorder and delivery channel of `ComplianceAudit`
 * (`createConfigurationRecorder: true`), the Aspect that makes the Config rules of its stack
 * depend on it, and the check that an app has one recorder per account and Region. Not
 * exported from the package.
 */
import {
  AspectPriority,
  Aspects,
  CfnResource,
  IAspect,
  Stack,
  Token,
  aws_config as config,
  aws_iam as iam,
  aws_kms as kms,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { RecordingFrequency } from './recording-frequency';
import { resourceTypeProblem } from '../private/config-resource-types';
import { enumProblem, known, MicroservicesValidationError, Problems, show } from '../private/validation';

const CLASS = 'ComplianceAudit';
const RECORDER_TYPE = 'AWS::Config::ConfigurationRecorder';
const CONFIG_RULE_TYPE = 'AWS::Config::ConfigRule';
/** The service-linked role of AWS Config, below `role/`. */
const CONFIG_SERVICE_LINKED_ROLE = 'aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig';
/** S3 key prefixes of the delivery channel: at most 256 characters (the S3 key limit is higher, AWS Config's lower). */
const MAX_KEY_PREFIX = 256;

/**
 * The resource types the rules of `ComplianceRules` evaluate, plus
 * `AWS::Config::ResourceCompliance` (the history of compliance results).
 */
const DEFAULT_RECORDED_TYPES = [
  'AWS::ECS::TaskDefinition',
  'AWS::ECS::Service',
  'AWS::SNS::Topic',
  'AWS::SQS::Queue',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ApiGateway::Stage',
  'AWS::EC2::VPC',
  'AWS::Config::ResourceCompliance',
];

/** Resource types AWS Config records continuously only: daily recording is refused for them. */
const CONTINUOUS_ONLY_TYPES = ['AWS::Config::ResourceCompliance', 'AWS::Config::ConformancePackCompliance', 'AWS::Config::ConfigurationRecorder'];

/** The props of `ComplianceAudit` that configure the recorder (see there). */
export interface RecorderOptions {
  readonly recorderRole?: iam.IRole;
  readonly recordedResourceTypes?: string[];
  readonly recordingFrequency?: RecordingFrequency;
  readonly deliveryKeyPrefix?: string;
  readonly snapshotDeliveryFrequency?: config.MaximumExecutionFrequency;
}

/** The same with the switch, as `checkRecorderProps` sees them. */
export interface RecorderProps extends RecorderOptions {
  readonly createConfigurationRecorder?: boolean;
}

/** What the recorder needs of its `ComplianceAudit`. */
export interface RecorderHost extends Construct {
  readonly bucket: s3.Bucket;
  readonly encryptionKey: kms.IKey;
  _allowKeyUse(key: kms.IKey, sid: string, principal: iam.IPrincipal, actions: string[],
    conditions: { [key: string]: unknown } | undefined, otherwise: string): void;
}

/**
 * Creates the recorder and the delivery channel below `audit`, writing to its bucket with its
 * key.
 */
export function createRecorder(
  audit: RecorderHost, props: RecorderOptions,
): { recorder: config.CfnConfigurationRecorder; deliveryChannel: config.CfnDeliveryChannel } {
  const stack = Stack.of(audit);
  const prefix = props.deliveryKeyPrefix ?? 'config';
  const frequency = props.recordingFrequency ?? RecordingFrequency.CONTINUOUS;
  const resourceTypes = [...new Set(props.recordedResourceTypes ?? DEFAULT_RECORDED_TYPES)];
  const continuousOnly = frequency === RecordingFrequency.DAILY ? resourceTypes.filter((t) => CONTINUOUS_ONLY_TYPES.includes(t)) : [];
  const roleArn = props.recorderRole?.roleArn
    ?? stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: CONFIG_SERVICE_LINKED_ROLE });

  const recorder = new config.CfnConfigurationRecorder(audit, 'Recorder', {
    roleArn,
    recordingGroup: {
      allSupported: false,
      includeGlobalResourceTypes: false,
      resourceTypes,
      recordingStrategy: { useOnly: 'INCLUSION_BY_RESOURCE_TYPES' },
    },
    recordingMode: {
      recordingFrequency: frequency,
      recordingModeOverrides: continuousOnly.length > 0 ? [{
        description: 'AWS Config records these types continuously only',
        recordingFrequency: RecordingFrequency.CONTINUOUS,
        resourceTypes: continuousOnly,
      }] : undefined,
    },
  });

  const deliveryArn = audit.bucket.arnForObjects(`${prefix}/AWSLogs/${stack.account}/Config/*`);
  if (props.recorderRole) {
    // AWS Config delivers with the recorder's role: grant it what the service principal gets below.
    const role = props.recorderRole;
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject', 's3:PutObjectAcl'],
      resources: [deliveryArn],
      conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control' } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetBucketAcl', 's3:ListBucket'], resources: [audit.bucket.bucketArn] }));
    audit.encryptionKey.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');
  } else {
    // The service-linked role has no S3 permissions: AWS Config delivers as the service principal.
    const sourceAccount = { 'aws:SourceAccount': stack.account };
    const service = new iam.ServicePrincipal('config.amazonaws.com');
    audit.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AWSConfigBucketPermissionsCheck',
      principals: [service],
      actions: ['s3:GetBucketAcl'],
      resources: [audit.bucket.bucketArn],
      conditions: { StringEquals: sourceAccount },
    }));
    audit.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AWSConfigBucketExistenceCheck',
      principals: [service],
      actions: ['s3:ListBucket'],
      resources: [audit.bucket.bucketArn],
      conditions: { StringEquals: sourceAccount },
    }));
    audit.bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AWSConfigBucketDelivery',
      principals: [service],
      actions: ['s3:PutObject'],
      resources: [deliveryArn],
      conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', ...sourceAccount } },
    }));
    audit._allowKeyUse(audit.encryptionKey, 'AllowConfigOfThisAccount', service, ['kms:Decrypt', 'kms:GenerateDataKey'],
      { StringEquals: sourceAccount }, 'AWS Config cannot deliver to the audit bucket');
  }

  // No DependsOn between the recorder and the channel, either way: CloudFormation starts the
  // recorder, which needs the channel, and the channel needs the recorder.
  const deliveryChannel = new config.CfnDeliveryChannel(audit, 'DeliveryChannel', {
    s3BucketName: audit.bucket.bucketName,
    s3KeyPrefix: prefix,
    s3KmsKeyArn: audit.encryptionKey.keyArn,
    configSnapshotDeliveryProperties: {
      deliveryFrequency: props.snapshotDeliveryFrequency ?? config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS,
    },
  });
  // AWS Config checks that it may write when the channel is created.
  if (audit.bucket.policy) deliveryChannel.node.addDependency(audit.bucket.policy);
  return { recorder, deliveryChannel };
}

/**
 * Makes every AWS Config rule of the recorder's stack depend on it (also the rules created
 * after `audit`), and checks at synthesis that no other recorder joined the app for the same
 * account and Region.
 */
export function dependOnRecorder(audit: Construct, recorder: config.CfnConfigurationRecorder): void {
  // Rules evaluate only with a recorder: every Config rule of this stack depends on ours.
  // An Aspect is the only way to reach rules created after the audit construct without the user
  // doing anything; it is added only with `createConfigurationRecorder: true` (documented on the
  // prop), and it only adds a DependsOn on this recorder to AWS::Config::ConfigRule
  // resources of this stack. A node.addValidation must not change the tree.
  Aspects.of(Stack.of(audit)).add(new RulesDependOnRecorder(recorder), { priority: AspectPriority.MUTATING });
  audit.node.addValidation({ validate: () => recordersAddedLater(audit, recorder) });
}

/** The problems with recorders already in the app for this construct's account and Region. */
export function recordersAlreadyThere(audit: Construct): string[] {
  return otherRecorders(audit, undefined).map((other) => recorderConflict(audit, other));
}

/** The same, at synthesis: recorders added to the app after this construct. */
function recordersAddedLater(audit: Construct, recorder: CfnResource): string[] {
  return otherRecorders(audit, recorder).map((other) => new MicroservicesValidationError(CLASS, audit, [recorderConflict(audit, other)]).message);
}

/**
 * The problems of the recorder's props: each needs `createConfigurationRecorder: true`, and
 * each must be valid.
 */
export function checkRecorderProps(p: Problems, o: RecorderProps): void {
  if (o.createConfigurationRecorder !== true) {
    for (const prop of ['recorderRole', 'recordedResourceTypes', 'recordingFrequency', 'deliveryKeyPrefix', 'snapshotDeliveryFrequency'] as const) {
      if (o[prop] !== undefined) p.add(`\`${prop}\` configures the configuration recorder, which needs \`createConfigurationRecorder: true\`; set it, or remove \`${prop}\``);
    }
  }
  if (o.recorderRole !== undefined && typeof (o.recorderRole as iam.IRole)?.roleArn !== 'string') {
    p.add(`\`recorderRole\` ${show(o.recorderRole)} is not an iam.IRole`);
  }
  if (o.recordedResourceTypes !== undefined) {
    if (o.recordedResourceTypes.length === 0) {
      p.add('`recordedResourceTypes` is empty, which would record nothing; omit it for the types of ComplianceRules, or name at least one type');
    }
    for (const t of o.recordedResourceTypes) {
      const problem = resourceTypeProblem('recordedResourceTypes', t);
      if (problem) p.add(problem);
    }
  }
  const frequency = enumProblem('recordingFrequency', o.recordingFrequency, RecordingFrequency, 'RecordingFrequency');
  if (frequency) p.add(frequency);
  const snapshots = enumProblem('snapshotDeliveryFrequency', o.snapshotDeliveryFrequency, config.MaximumExecutionFrequency, 'config.MaximumExecutionFrequency');
  if (snapshots) p.add(snapshots);
  if (known(o.deliveryKeyPrefix)) {
    const prefix = o.deliveryKeyPrefix;
    if (prefix.includes('AWSLogs/') || prefix.endsWith('AWSLogs')) {
      p.add(`\`deliveryKeyPrefix\` ${show(prefix)} contains AWSLogs/, which AWS Config adds itself (it writes under <prefix>/AWSLogs/<account>/Config/); remove it`);
    } else if (prefix.length === 0 || prefix.length > MAX_KEY_PREFIX || prefix.startsWith('/') || prefix.endsWith('/') || /[\u0000-\u001f\u007f]/.test(prefix)) {
      p.add(`\`deliveryKeyPrefix\` ${show(prefix)} is not valid; use 1 to ${MAX_KEY_PREFIX} printable characters without a leading or trailing /, such as 'config'`);
    }
  }
}

/** Adds a DependsOn on the recorder to every AWS Config rule of the recorder's stack. */
class RulesDependOnRecorder implements IAspect {
  constructor(private readonly recorder: config.CfnConfigurationRecorder) {}

  public visit(node: IConstruct): void {
    if (CfnResource.isCfnResource(node) && node.cfnResourceType === CONFIG_RULE_TYPE && Stack.of(node) === Stack.of(this.recorder)) {
      node.addDependency(this.recorder);
    }
  }
}

/**
 * The configuration recorders of the app (ours or not, other than `own`) that would land in
 * the same account and Region as `audit`: both resolved and equal, or both unresolved.
 */
function otherRecorders(audit: Construct, own: CfnResource | undefined): CfnResource[] {
  const here = Stack.of(audit);
  return audit.node.root.node.findAll()
    .filter((c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === RECORDER_TYPE && c !== own)
    .filter((c) => sameEnvironment(here, Stack.of(c)));
}

function sameEnvironment(a: Stack, b: Stack): boolean {
  const same = (x: string, y: string): boolean => (Token.isUnresolved(x) && Token.isUnresolved(y)) || (!Token.isUnresolved(x) && x === y);
  return same(a.account, b.account) && same(a.region, b.region);
}

function recorderConflict(audit: Construct, other: CfnResource): string {
  const stack = Stack.of(audit);
  const where = Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)
    ? 'the same (environment-agnostic) account and Region'
    : `account ${stack.account} and Region ${stack.region}`;
  return `\`createConfigurationRecorder\` asks for a configuration recorder, but ${other.node.path} is one too, in ${where}; `
    + 'AWS Config allows one recorder per account and Region: keep one of them (turn `createConfigurationRecorder` off here: '
    + 'the audit bucket still records every compliance change), or deploy them to different accounts or Regions';
}
