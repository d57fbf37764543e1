/**
 * Shared by the least-privilege tests: resolving a synthesized template's CloudFormation
 * tokens to example ARNs in account 111111111111 / us-east-1, taking a role's identity
 * policies from it, and evaluating requests offline with @cloud-copilot/iam-simulate
 * (AGPL-3.0, a test-only devDependency).
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';

/** A resource of a synthesized template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: any;
}

/**
 * Resolves the intrinsic functions of a template fragment to the values CloudFormation would
 * give, with an example physical name per logical id (the explicit name when the template sets
 * one, else the logical id: lower case for buckets, with `.fifo` for FIFO topics and queues).
 * Throws on anything it cannot resolve, so a test never evaluates half a policy.
 */
export class ExampleResolver {
  constructor(private readonly resources: Record<string, CfnResource>, private readonly stackName = 'Stack') {}

  public resolve(value: any): any {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return this.intrinsic(keys[0], value[keys[0]]);
    return Object.fromEntries(keys.map((k) => [k, this.resolve(value[k])]));
  }

  /** The example ARN of a resource, from its Ref or Arn attribute. */
  public arnOf(logicalId: string): string {
    const type = this.typeOf(logicalId);
    return ['AWS::SNS::Topic', 'AWS::SecretsManager::Secret'].includes(type) ? this.ref(logicalId) : this.getAtt(logicalId, 'Arn');
  }

  private intrinsic(fn: string, arg: any): any {
    switch (fn) {
      case 'Ref':
        return this.ref(arg);
      case 'Fn::GetAtt': {
        const [id, attr] = typeof arg === 'string' ? [arg.slice(0, arg.indexOf('.')), arg.slice(arg.indexOf('.') + 1)] : arg;
        return this.getAtt(id, this.resolve(attr));
      }
      case 'Fn::Join': {
        const [separator, parts] = arg;
        return (this.resolve(parts) as any[]).map(String).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = this.resolve(arg);
        return list[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, source] = this.resolve(arg);
        return String(source).split(separator);
      }
      case 'Fn::Sub': {
        const [template, vars] = typeof arg === 'string' ? [arg, {}] : arg;
        const resolvedVars = this.resolve(vars);
        return template.replace(/\$\{([^}!]+)\}/g, (_: string, name: string) => {
          if (name in resolvedVars) return resolvedVars[name];
          return name.includes('.') ? this.getAtt(name.slice(0, name.indexOf('.')), name.slice(name.indexOf('.') + 1)) : this.ref(name);
        });
      }
      default:
        throw new Error(`no example value for ${fn} ${JSON.stringify(arg)}`);
    }
  }

  private typeOf(logicalId: string): string {
    const resource = this.resources[logicalId];
    if (!resource) throw new Error(`no resource ${logicalId} in the template`);
    return resource.Type;
  }

  /** The physical name: the explicit one, or the logical id (with `.fifo` when `fifoProp` is set). */
  private nameOf(id: string, nameProp: string, fifoProp: string): string {
    const props = this.resources[id].Properties ?? {};
    return props[nameProp] !== undefined ? this.resolve(props[nameProp]) : `${id}${props[fifoProp] ? '.fifo' : ''}`;
  }

  private ref(id: string): string {
    switch (id) {
      case 'AWS::Partition': return 'aws';
      case 'AWS::Region': return REGION;
      case 'AWS::AccountId': return ACCOUNT;
      case 'AWS::URLSuffix': return 'amazonaws.com';
      case 'AWS::StackName': return this.stackName;
    }
    const type = this.typeOf(id);
    switch (type) {
      case 'AWS::DynamoDB::Table':
      case 'AWS::Logs::LogGroup':
      case 'AWS::IAM::Role':
      case 'AWS::SSM::Parameter':
        return id;
      case 'AWS::S3::Bucket': return id.toLowerCase();
      case 'AWS::SQS::Queue': return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${this.nameOf(id, 'QueueName', 'FifoQueue')}`;
      case 'AWS::SNS::Topic': return `arn:aws:sns:${REGION}:${ACCOUNT}:${this.nameOf(id, 'TopicName', 'FifoTopic')}`;
      case 'AWS::SecretsManager::Secret': return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${id}-AbCdEf`;
      case 'AWS::KMS::Key': return exampleKeyId(id);
      default: throw new Error(`no example Ref for ${id} (${type})`);
    }
  }

  private getAtt(id: string, attr: string): string {
    const type = this.typeOf(id);
    switch (`${type}.${attr}`) {
      case 'AWS::DynamoDB::Table.Arn': return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}`;
      case 'AWS::DynamoDB::Table.StreamArn': return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${id}/stream/2026-01-01T00:00:00.000`;
      case 'AWS::S3::Bucket.Arn': return `arn:aws:s3:::${id.toLowerCase()}`;
      case 'AWS::SQS::Queue.Arn': return `arn:aws:sqs:${REGION}:${ACCOUNT}:${this.nameOf(id, 'QueueName', 'FifoQueue')}`;
      case 'AWS::SQS::Queue.QueueName': return this.nameOf(id, 'QueueName', 'FifoQueue');
      case 'AWS::SQS::Queue.QueueUrl': return this.ref(id);
      case 'AWS::SNS::Topic.TopicArn': return this.ref(id);
      case 'AWS::SNS::Topic.TopicName': return this.nameOf(id, 'TopicName', 'FifoTopic');
      case 'AWS::KMS::Key.Arn': return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${exampleKeyId(id)}`;
      case 'AWS::Logs::LogGroup.Arn': return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`;
      case 'AWS::IAM::Role.Arn': return `arn:aws:iam::${ACCOUNT}:role/${id}`;
      default: throw new Error(`no example value for Fn::GetAtt ${id}.${attr} (${type})`);
    }
  }
}

/** A key id in the shape of a UUID, made from the logical id. */
function exampleKeyId(logicalId: string): string {
  const hex = [...logicalId].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 0x1_0000_0000, 7).toString(16).padStart(8, '0');
  return `${hex}-1111-2222-3333-444444444444`;
}

/** A role that makes requests: its example ARN and its resolved identity policies. */
export interface Principal {
  readonly arn: string;
  readonly policies: Array<{ name: string; policy: any }>;
}

/** The role of that logical id, with the inline and managed policies the template attaches to it. */
export function principalOf(resources: Record<string, CfnResource>, resolver: ExampleResolver, roleId: string): Principal {
  return {
    arn: resolver.arnOf(roleId),
    policies: Object.entries(resources)
      .filter(([, r]) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type))
      .filter(([, r]) => (r.Properties.Roles ?? []).some((ref: any) => ref?.Ref === roleId))
      .map(([name, r]) => ({ name, policy: resolver.resolve(r.Properties.PolicyDocument) })),
  };
}

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** One request to evaluate (same account, no SCPs or RCPs). */
export interface Request {
  /** A role, or a service principal such as `sns.amazonaws.com` (no identity policies). */
  readonly principal: Principal | string;
  readonly action: string;
  /** The ARN of the resource. */
  readonly resource: string;
  /** The resource's own policy (queue, topic or key policy), when it has one. */
  readonly resourcePolicy?: any;
  readonly context?: Record<string, string>;
}

/** Evaluates one request with the principal's identity policies and the resource's policy. */
export async function simulate(request: Request): Promise<Decision> {
  const { principal, action, resource } = request;
  const result = await runSimulation({
    request: {
      principal: typeof principal === 'string' ? principal : principal.arn,
      action,
      resource: { resource, accountId: ACCOUNT },
      contextVariables: request.context ?? {},
    },
    identityPolicies: typeof principal === 'string' ? [] : principal.policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: request.resourcePolicy,
  }, {});
  if (result.resultType === 'error') throw new Error(`the simulator refused ${action} on ${resource}: ${JSON.stringify(result.errors)}`);
  if (result.resultType !== 'single') throw new Error(`expected a single-resource simulation of ${action} on ${resource}, got ${result.resultType}`);
  return result.overallResult;
}
