/**
 * The delivery matrix's model of what each AWS service sends when it acts on our resources:
 * the request (service principal or role, action, resource) and the request context that the
 * service's documentation says it sends, nothing more. Each builder names its page.
 *
 * A row is one delivery path: the requests AWS makes along it (to the resource's policy AND to
 * the key policy of the customer managed key that encrypts it), and the resources it covers.
 * Rows are derived from synthesized templates (test/delivery/delivery-matrix.test.ts).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { ACCOUNT, CfnResource, Decision, ExampleResolver, Principal, REGION, Request } from '../iam-simulation';

export const PARTITION = 'aws';

/** One delivery path. Every request must be Allowed. */
export interface Row {
  /** What acts, on what: "CloudWatch alarms -> Store/EnvAlarmTopic". */
  readonly name: string;
  /** The documentation page that says what the service sends (and needs). */
  readonly doc: string;
  /** The `stack/logicalId` of the topics, queues, buckets and keys this path proves. */
  readonly covers: string[];
  readonly requests: Array<Request & { readonly what: string }>;
}

/** A resource of a stack. */
export interface Located {
  readonly stack: ExampleStack;
  readonly id: string;
}

/** A synthesized stack, with its tokens resolvable to example values. */
export class ExampleStack {
  /** The logical id a `Ref`/`Fn::GetAtt` points at, or undefined. */
  public static idOf(value: any): string | undefined {
    if (value?.Ref) return value.Ref;
    const att = value?.['Fn::GetAtt'];
    if (Array.isArray(att)) return att[0];
    return undefined;
  }

  public readonly resolver: ExampleResolver;
  /**
   * Finds a resource of another stack (another app's) by the literal value this stack's template
   * holds for it (an ARN the team app got from the platform's environment document).
   */
  public foreign?: (value: string) => Located | undefined;

  constructor(public readonly name: string, public readonly resources: Record<string, CfnResource>) {
    this.resolver = new ExampleResolver(resources, name);
  }

  /** Resolves a fragment; the types ExampleResolver does not know get example values first. */
  public resolve(value: any): any {
    return this.resolver.resolve(this.substitute(value));
  }

  public typeOf(id: string): string {
    const r = this.resources[id];
    if (!r) throw new Error(`no resource ${id} in ${this.name}`);
    return r.Type;
  }

  /** The example ARN of a topic, queue, bucket, key, rule, ... */
  public arnOf(id: string): string {
    const type = this.typeOf(id);
    const extra = this.extraArn(id, type);
    return extra ?? this.resolver.arnOf(id);
  }

  /** The resource a value refers to: a Ref/GetAtt of this stack, or a literal of another stack's resource. */
  public locate(value: any): Located | undefined {
    const id = ExampleStack.idOf(value);
    if (id && this.resources[id]) return { stack: this, id };
    if (!this.foreign || value === undefined) return undefined;
    // A literal, or an ARN joined from pseudo parameters (`Stack.formatArn`): its example value.
    let text: unknown = value;
    try {
      text = typeof value === 'string' ? value : this.resolve(value);
    } catch {
      return undefined;
    }
    return typeof text === 'string' ? this.foreign(text) : undefined;
  }

  /** The customer managed key that encrypts a resource of this stack, in this stack or in another. */
  public keyLocation(id: string): Located | undefined {
    const p = this.resources[id].Properties ?? {};
    const ref = p.KmsMasterKeyId ?? p.SSESpecification?.KMSMasterKeyId ?? p.KmsKeyId
      ?? p.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID;
    const found = this.locate(ref);
    return found && found.stack.resources[found.id]?.Type === 'AWS::KMS::Key' ? found : undefined;
  }

  /** The key (logical id) that encrypts a resource, when it is one of this stack's customer managed keys. */
  public keyOf(id: string): string | undefined {
    const p = this.resources[id].Properties ?? {};
    const ref = p.KmsMasterKeyId ?? p.SSESpecification?.KMSMasterKeyId ?? p.KmsKeyId
      ?? p.BucketEncryption?.ServerSideEncryptionConfiguration?.[0]?.ServerSideEncryptionByDefault?.KMSMasterKeyID;
    const keyId = ExampleStack.idOf(ref);
    return keyId && this.resources[keyId]?.Type === 'AWS::KMS::Key' ? keyId : undefined;
  }

  /** A role of this stack: its example ARN and its resolved inline and managed policies. */
  public principal(roleId: string): Principal {
    return {
      arn: this.resolver.arnOf(roleId),
      policies: Object.entries(this.resources)
        .filter(([, r]) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type))
        .filter(([, r]) => (r.Properties.Roles ?? []).some((ref: any) => ref?.Ref === roleId))
        .map(([name, r]) => ({ name, policy: this.resolve(r.Properties.PolicyDocument) })),
    };
  }

  /** The resolved key policy of a key. */
  public keyPolicy(keyId: string): any {
    return this.resolve(this.resources[keyId].Properties.KeyPolicy);
  }

  /** The resolved resource policy of a topic, queue or bucket (the one policy resource naming it), or undefined. */
  public policyOf(id: string): any {
    const type = this.typeOf(id);
    const [policyType, list] = {
      'AWS::SNS::Topic': ['AWS::SNS::TopicPolicy', 'Topics'],
      'AWS::SQS::Queue': ['AWS::SQS::QueuePolicy', 'Queues'],
      'AWS::S3::Bucket': ['AWS::S3::BucketPolicy', 'Bucket'],
    }[type] ?? [];
    if (!policyType) throw new Error(`${id} (${type}) has no resource policy type`);
    const found = Object.values(this.resources)
      .filter((r) => r.Type === policyType)
      .filter((r) => [r.Properties[list]].flat().some((ref: any) => ExampleStack.idOf(ref) === id));
    if (found.length > 1) throw new Error(`${found.length} policies name ${id}`);
    return found.length === 1 ? this.resolve(found[0].Properties.PolicyDocument) : undefined;
  }

  private extraArn(id: string, type: string): string | undefined {
    switch (type) {
      case 'AWS::Events::Rule': return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${id}`;
      case 'AWS::KinesisFirehose::DeliveryStream': return `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${id}`;
      case 'AWS::CloudWatch::Alarm':
      case 'AWS::CloudWatch::CompositeAlarm': return `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${id}`;
      case 'AWS::StepFunctions::StateMachine': return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`;
      case 'AWS::EC2::VPCEndpointService': return `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc-endpoint-service/vpce-svc-0123456789abcdef0`;
      // A task execution role pulling from a repository of the stack (the canary's images).
      case 'AWS::ECR::Repository': return `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${id.toLowerCase()}`;
      default: return undefined;
    }
  }

  /** Ref / GetAtt of types ExampleResolver does not know, replaced by example strings. */
  private substitute(value: any): any {
    if (Array.isArray(value)) return value.map((v) => this.substitute(v));
    if (value === null || typeof value !== 'object') return value;
    const id = ExampleStack.idOf(value);
    if (id && this.resources[id]) {
      const type = this.resources[id].Type;
      const extra = this.extraArn(id, type);
      if (extra !== undefined) {
        if (type === 'AWS::EC2::VPCEndpointService' && value.Ref) return 'vpce-svc-0123456789abcdef0';
        if (value.Ref && type === 'AWS::Events::Rule') return id;
        if (type === 'AWS::ECR::Repository') {
          if (value.Ref) return id.toLowerCase();
          if (value['Fn::GetAtt']?.[1] !== 'Arn') return value; // the resolver says which attribute it has no example for
        }
        return extra;
      }
      if (['AWS::ECS::Service', 'AWS::ECS::Cluster', 'AWS::ECS::TaskDefinition', 'AWS::Logs::LogStream'].includes(type)) return id;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.substitute(v)]));
  }
}

// -------------------------------------------------------------------------------------------
// Request contexts, as the documentation says each service sends them.
// -------------------------------------------------------------------------------------------

/** Every request in the matrix arrives over TLS (our policies deny aws:SecureTransport false). */
const TLS = { 'aws:SecureTransport': 'true' };

/**
 * CloudWatch alarm actions publishing to a topic: cloudwatch.amazonaws.com, with
 * aws:SourceArn (the alarm) and aws:SourceAccount.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
 * (and, for the confused-deputy keys, https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cross-service-confused-deputy-prevention.html)
 */
export function cloudWatchAlarm(alarmArn: string): Record<string, string> {
  return { ...TLS, 'aws:SourceArn': alarmArn, 'aws:SourceAccount': ACCOUNT };
}

/**
 * EventBridge delivering to a target by resource policy (SNS, SQS, and a dead-letter queue):
 * events.amazonaws.com with aws:SourceArn the rule.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html#eb-dlq-perms
 */
export function eventBridgeTarget(ruleArn: string): Record<string, string> {
  return { ...TLS, 'aws:SourceArn': ruleArn, 'aws:SourceAccount': ACCOUNT };
}

/**
 * EventBridge using the key of an encrypted topic or queue it delivers to: no aws:SourceArn or
 * aws:SourceAccount ("not supported" for EventBridge to encrypted topics); only what KMS sees
 * from the SNS or SQS call: the encryption context of the topic or queue.
 * https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
 */
export function eventBridgeKeyUse(encryptionContext: Record<string, string>): Record<string, string> {
  return { ...TLS, ...encryptionContext };
}

/**
 * SNS delivering to an SQS subscription (and its redrive dead-letter queue): sns.amazonaws.com
 * with aws:SourceArn the topic; and using the queue's key with the same source.
 * https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html
 * https://docs.aws.amazon.com/sns/latest/dg/sns-enable-encryption-for-topic.html (encrypted SQS subscriptions)
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
 */
export function snsDelivery(topicArn: string): Record<string, string> {
  return { ...TLS, 'aws:SourceArn': topicArn, 'aws:SourceAccount': ACCOUNT };
}

/**
 * VPC endpoint service connection notifications: vpce.amazonaws.com with aws:SourceArn the
 * endpoint service and aws:SourceAccount.
 * https://docs.aws.amazon.com/vpc/latest/privatelink/create-endpoint-service.html#create-endpoint-service-notification
 */
export function vpceNotification(serviceArn: string): Record<string, string> {
  return { ...TLS, 'aws:SourceArn': serviceArn, 'aws:SourceAccount': ACCOUNT };
}

/**
 * CloudWatch Logs encrypting a log group: logs.<region>.amazonaws.com with the encryption
 * context aws:logs:arn (the log group ARN, without `:*`).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function logsKeyUse(logGroupArn: string): Record<string, string> {
  return { ...TLS, 'kms:EncryptionContext:aws:logs:arn': logGroupArn.replace(/:\*$/, '') };
}

/**
 * Log delivery to S3 (NLB access logs, VPC flow logs): delivery.logs.amazonaws.com with
 * s3:x-amz-acl bucket-owner-full-control, aws:SourceAccount, aws:SourceArn arn:aws:logs:<region>:<account>:*.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-access-logs.html#access-logging-bucket-requirements
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html#AWS-logs-infrastructure-S3
 */
export function logDelivery(withAcl: boolean): Record<string, string> {
  return {
    ...TLS,
    'aws:SourceAccount': ACCOUNT,
    'aws:SourceArn': `arn:aws:logs:${REGION}:${ACCOUNT}:delivery-source:example`,
    ...(withAcl ? { 's3:x-amz-acl': 'bucket-owner-full-control' } : {}),
  };
}

/**
 * S3 server access logging: logging.s3.amazonaws.com with aws:SourceArn the source bucket and
 * aws:SourceAccount.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general
 */
export function serverAccessLogging(sourceBucketArn: string): Record<string, string> {
  return { ...TLS, 'aws:SourceArn': sourceBucketArn, 'aws:SourceAccount': ACCOUNT };
}

/**
 * AWS Config delivery channel (service-linked role: the service principal writes):
 * config.amazonaws.com with aws:SourceAccount, and s3:x-amz-acl bucket-owner-full-control on PutObject.
 * https://docs.aws.amazon.com/config/latest/developerguide/s3-bucket-policy.html
 * https://docs.aws.amazon.com/config/latest/developerguide/s3-kms-key-policy.html
 */
export function configDelivery(withAcl: boolean): Record<string, string> {
  return { ...TLS, 'aws:SourceAccount': ACCOUNT, ...(withAcl ? { 's3:x-amz-acl': 'bucket-owner-full-control' } : {}) };
}

/**
 * A role's call that a service turns into a KMS call on the role's behalf: kms:ViaService
 * <service>.<region>.amazonaws.com, kms:CallerAccount, and the service's encryption context.
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 */
export function viaService(service: string, encryptionContext: Record<string, string>): Record<string, string> {
  return { ...TLS, 'kms:ViaService': `${service}.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT, ...encryptionContext };
}

/**
 * The encryption context each service gives KMS:
 * - SNS: aws:sns:topicArn (https://docs.aws.amazon.com/sns/latest/dg/sns-server-side-encryption.html)
 * - SQS: aws:sqs:arn (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-server-side-encryption.html)
 * - DynamoDB: aws:dynamodb:tableName, aws:dynamodb:subscriberId (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html#dynamodb-encryption-context)
 * - S3 with an S3 Bucket Key: aws:s3:arn the bucket ARN (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#encryption-context)
 */
export const encryptionContext = {
  sns: (topicArn: string) => ({ 'kms:EncryptionContext:aws:sns:topicArn': topicArn }),
  sqs: (queueArn: string) => ({ 'kms:EncryptionContext:aws:sqs:arn': queueArn }),
  dynamodb: (tableName: string) => ({ 'kms:EncryptionContext:aws:dynamodb:tableName': tableName, 'kms:EncryptionContext:aws:dynamodb:subscriberId': ACCOUNT }),
  s3: (bucketArn: string) => ({ 'kms:EncryptionContext:aws:s3:arn': bucketArn }),
};

/**
 * The Elastic Load Balancing account of us-east-1, which writes ALB access logs in Regions
 * available before August 2022.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html#attach-bucket-policy
 */
export const ELB_ACCOUNT_US_EAST_1 = '127311923021';

/** The ELB account as a principal: AWS's own identity side allows it; our bucket policy decides. */
export const ELB_ACCOUNT_PRINCIPAL: Principal = {
  arn: `arn:aws:iam::${ELB_ACCOUNT_US_EAST_1}:root`,
  policies: [{ name: 'elb-log-delivery', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:PutObject', Resource: '*' }] } }],
};

/** Context keys the simulator does not know as keys of an action, but which KMS evaluates. */
const ENCRYPTION_CONTEXT = /^kms:EncryptionContext:/i;

/** A condition that never holds: what a statement whose encryption-context condition fails becomes. */
const NEVER = { StringEquals: { 'aws:SourceAccount': 'encryption-context-condition-not-met' } };

/** IAM wildcard matching (`*`, `?`), case-sensitive as the String and Arn operators are. */
function like(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`);
  return re.test(value);
}

/** Whether one operator holds for one key, with the value the request gives (or none). */
function holds(operator: string, expected: string | string[], actual: string | undefined): boolean {
  const ifExists = operator.endsWith('IfExists');
  const op = ifExists ? operator.slice(0, -'IfExists'.length) : operator;
  if (actual === undefined) return ifExists;
  const values = [expected].flat();
  const negated = /Not/.test(op);
  const base = op.replace('Not', '');
  let match: boolean;
  switch (base) {
    case 'StringEquals': case 'ArnEquals': match = values.includes(actual); break;
    case 'StringLike': case 'ArnLike': match = values.some((v) => like(v, actual)); break;
    default: throw new Error(`no evaluation of ${operator} on an encryption-context key`);
  }
  return negated ? !match : match;
}

/**
 * The simulator does not evaluate `kms:EncryptionContext:<key>` conditions (it drops the keys
 * from the request: its variable keys use `/`, these use `:`). Evaluates them here against the
 * request's context, as KMS would, and leaves the rest of each statement to the simulator: a
 * condition that holds is removed, a statement whose condition fails gets one that never holds.
 */
function withEncryptionContextEvaluated(policy: any, context: Record<string, string>): any {
  if (!policy) return policy;
  const lower = Object.fromEntries(Object.entries(context).map(([k, v]) => [k.toLowerCase(), v]));
  const statements = [policy.Statement].flat().map((statement: any) => {
    if (!statement.Condition) return statement;
    let failed = false;
    const condition: Record<string, Record<string, unknown>> = {};
    for (const [operator, keys] of Object.entries<Record<string, string | string[]>>(statement.Condition)) {
      for (const [key, expected] of Object.entries(keys)) {
        if (!ENCRYPTION_CONTEXT.test(key)) {
          condition[operator] = { ...condition[operator], [key]: expected };
        } else if (!holds(operator, expected, lower[key.toLowerCase()])) {
          failed = true;
        }
      }
    }
    if (failed) return { ...statement, Condition: NEVER };
    return Object.keys(condition).length > 0 ? { ...statement, Condition: condition } : (({ Condition: _, ...rest }) => rest)(statement);
  });
  return { ...policy, Statement: statements };
}

/**
 * Evaluates one request like test/iam-simulation.ts's `simulate`, with two differences the
 * matrix needs:
 * - a context key the action does not take is an error, not silently dropped (the simulator
 *   drops them: a row would then prove less than its context says);
 * - `kms:EncryptionContext:<key>` conditions are evaluated (withEncryptionContextEvaluated).
 */
export async function evaluate(request: Request): Promise<Decision> {
  const { principal, action, resource } = request;
  const context = request.context ?? {};
  const result = await runSimulation({
    request: {
      principal: typeof principal === 'string' ? principal : principal.arn,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: Object.fromEntries(Object.entries(context).filter(([k]) => !ENCRYPTION_CONTEXT.test(k))),
    },
    identityPolicies: typeof principal === 'string' ? [] : principal.policies.map((p) => ({ ...p, policy: withEncryptionContextEvaluated(p.policy, context) })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: withEncryptionContextEvaluated(request.resourcePolicy, context),
  }, {});
  if (result.resultType === 'error') throw new Error(`the simulator refused ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== 'single') throw new Error(`expected a single-resource simulation of ${action} on ${resource}, got ${result.resultType}`);
  const ignored: string[] = (result.result as any).ignoredContextKeys ?? [];
  if (ignored.length > 0) throw new Error(`${action} takes no context key ${ignored.join(', ')}: fix the request context`);
  return result.overallResult;
}

// -------------------------------------------------------------------------------------------
// The tracing collector (the ADOT sidecar of a traced service): what it calls, read from its
// configuration, and the contexts of those calls.
// -------------------------------------------------------------------------------------------

/** The variable the AWS Distro for OpenTelemetry collector takes its configuration from, inline. */
export const COLLECTOR_CONFIG_VARIABLE = 'AOT_CONFIG_CONTENT';

/** The ADOT collector's image (any registry, tag or digest): a collector without an inline configuration runs the image's own. */
const COLLECTOR_IMAGE = /aws-otel-collector(?::|@|$)/;

/** A tracing collector: the task definition it runs in, its container definition and its parsed configuration. */
export interface Collector {
  readonly taskDefinitionId: string;
  readonly container: any;
  readonly config: any;
}

/**
 * The tracing collectors of a template: every container of a task definition that takes its
 * configuration from AOT_CONFIG_CONTENT (found by the variable, not the image: the image can be
 * replaced, `tracingCollectorImage`). A container of the ADOT image without the variable runs
 * the image's default configuration, whose calls the tests cannot read: an error.
 * `resolve` turns a token in the variable (a Region not known at synthesis) into a string.
 */
export function collectorsOf(resources: Record<string, CfnResource>, resolve: (value: any) => any): Collector[] {
  const out: Collector[] = [];
  for (const [taskDefinitionId, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::ECS::TaskDefinition') continue;
    for (const container of r.Properties.ContainerDefinitions ?? []) {
      const variable = (container.Environment ?? []).find((e: any) => e.Name === COLLECTOR_CONFIG_VARIABLE);
      if (!variable) {
        if (typeof container.Image === 'string' && COLLECTOR_IMAGE.test(container.Image)) {
          throw new Error(`${taskDefinitionId} ${container.Name}: an ADOT collector without ${COLLECTOR_CONFIG_VARIABLE} runs its image's default configuration; what it calls is unknown to the tests`);
        }
        continue;
      }
      const text = typeof variable.Value === 'string' ? variable.Value : resolve(variable.Value);
      let config: any;
      try {
        config = JSON.parse(text);
      } catch {
        throw new Error(`${taskDefinitionId} ${container.Name}: ${COLLECTOR_CONFIG_VARIABLE} is not JSON (YAML as JSON, what service-tracing.ts writes); the tests read JSON only`);
      }
      out.push({ taskDefinitionId, container, config });
    }
  }
  return out;
}

/** An AWS call the collector makes, and the component of its configuration that makes it. */
export interface CollectorCall {
  /** The IAM action (`xray:PutTraceSegments`). */
  readonly action: string;
  /** The component (`exporters/awsxray`). */
  readonly by: string;
  /** The Region it calls (the component's `region`), when the configuration says. */
  readonly region?: string;
}

/** X-Ray remote sampling: the rules and the quota a sampler asks X-Ray for. */
const SAMPLING = ['xray:GetSamplingRules', 'xray:GetSamplingTargets'];

/**
 * What each collector component calls, by kind and type (the part of its id before `/`). A
 * component that is not listed fails: a new one must say what it calls (an `awsemf` exporter
 * calls CloudWatch Logs, an `ec2` resource detector EC2).
 * - exporters/awsxray: PutTraceSegments; PutTelemetryRecords only with `telemetry.enabled`
 *   (default false). With `role_arn` it would call STS first: not modeled.
 *   https://github.com/open-telemetry/opentelemetry-collector-contrib/blob/main/exporter/awsxrayexporter/README.md
 * - extensions/awsproxy and receivers/awsxray (its proxy server): sign and forward to X-Ray,
 *   with the collector's credentials, what an app's X-Ray SDK or remote sampler sends them:
 *   GetSamplingRules and GetSamplingTargets (X-Ray remote sampling).
 *   https://github.com/open-telemetry/opentelemetry-collector-contrib/blob/main/extension/awsproxy/README.md
 * - receivers/otlp, processors memory_limiter and batch, extensions/health_check: no AWS call.
 * - processors/resourcedetection with the env, system and ecs detectors: the ecs detector reads
 *   the task metadata endpoint (ECS_CONTAINER_METADATA_URI_V4), no AWS API.
 */
const COMPONENT_CALLS: { [kindAndType: string]: (settings: any) => Array<{ action: string; region?: string }> } = {
  'exporters/awsxray': (c) => {
    if (c?.role_arn) throw new Error('an awsxray exporter with role_arn assumes another role: not modeled');
    return [
      { action: 'xray:PutTraceSegments', region: c?.region },
      ...(c?.telemetry?.enabled === true ? [{ action: 'xray:PutTelemetryRecords', region: c?.region }] : []),
    ];
  },
  'extensions/awsproxy': (c) => {
    if (c?.role_arn || (c?.service_name ?? 'xray') !== 'xray') throw new Error('an awsproxy with role_arn or another service_name than xray: not modeled');
    return SAMPLING.map((action) => ({ action, region: c?.region }));
  },
  'receivers/awsxray': (c) => SAMPLING.map((action) => ({ action, region: c?.proxy_server?.region })),
  'receivers/otlp': () => [],
  'processors/memory_limiter': () => [],
  'processors/batch': () => [],
  'processors/resourcedetection': (c) => {
    const other = (c?.detectors ?? []).filter((d: string) => !['env', 'system', 'ecs'].includes(d));
    if (other.length > 0) throw new Error(`resource detectors ${other.join(', ')} may call AWS APIs: not modeled`);
    return [];
  },
  'extensions/health_check': () => [],
};

/**
 * The AWS calls a collector's configuration makes: of the components its pipelines and its
 * `service.extensions` use (a component that is defined but not used does not run).
 */
export function collectorCalls(config: any): CollectorCall[] {
  const pipelines = Object.values<any>(config.service?.pipelines ?? {});
  const used: Array<[string, string]> = [
    ...['receivers', 'processors', 'exporters'].flatMap((kind) => [...new Set(pipelines.flatMap((p) => p[kind] ?? []))].map((id): [string, string] => [kind, id])),
    ...(config.service?.extensions ?? []).map((id: string): [string, string] => ['extensions', id]),
  ];
  const out: CollectorCall[] = [];
  for (const [kind, id] of used) {
    const by = `${kind}/${id}`;
    const calls = COMPONENT_CALLS[`${kind}/${id.split('/')[0]}`];
    if (!calls) throw new Error(`the collector's ${by}: what it calls is not known to the tests; add it to COMPONENT_CALLS`);
    let made: Array<{ action: string; region?: string }>;
    try {
      made = calls(config[kind]?.[id]);
    } catch (e) {
      throw new Error(`the collector's ${by}: ${(e as Error).message}`);
    }
    for (const call of made) if (!out.some((o) => o.action === call.action)) out.push({ ...call, by });
  }
  return out;
}

/**
 * The tracing collector calling X-Ray with the task role's credentials: over HTTPS, to the
 * Region its configuration names. The actions have no resource type and no condition key that
 * applies here: the resource is `*`
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html), and
 * the role's identity policy decides: X-Ray's resource-based policies (PutResourcePolicy) let
 * AWS services such as SNS send segments; the reference app has none, and a role of the
 * account needs none (https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html).
 */
export function xrayCall(region: string): Record<string, string> {
  return { ...TLS, 'aws:RequestedRegion': region };
}

/**
 * The awslogs log driver of a Fargate task writing a container's log stream with the task
 * execution role: logs:CreateLogStream and logs:PutLogEvents on the stream
 * `<awslogs-stream-prefix>/<container name>/<task id>` of the group `awslogs-group` in
 * `awslogs-region`, over HTTPS; CloudWatch Logs uses the group's key itself (logsKeyUse).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
 */
export function awslogsWrite(): Record<string, string> {
  return { ...TLS };
}

/** An example ECS task id (32 hexadecimal digits), for log stream names. */
export const EXAMPLE_TASK_ID = '0123456789abcdef0123456789abcdef';
