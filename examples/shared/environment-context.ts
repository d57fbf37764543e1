/**
 * The context a team app's `MicroserviceEnvironment.fromLookup` would find after the platform
 * app deployed: the environment documents of the platform's templates, with every
 * CloudFormation function resolved to a stand-in of the shape AWS gives (IDs, ARNs, names),
 * stored under the key the CDK CLI caches an SSM lookup under in `cdk.context.json`.
 *
 * It lets the team apps synthesize offline from what the platform app's synthesis gives
 * them, without an AWS account; with one, `cdk synth` looks the parameter up for real.
 */
import { createHash } from 'crypto';

type Template = { Resources?: { [id: string]: { Type: string; Properties?: { [key: string]: unknown } } } };

/** Where the platform runs. */
export interface Placement {
  readonly account: string;
  readonly region: string;
}

/**
 * The context entries of every environment document in `templates`, keyed as the CDK CLI
 * caches an SSM parameter lookup (`ssm:account=<account>:parameterName=<name>:region=<region>`).
 */
export function environmentContext(templates: Template[], placement: Placement): { [key: string]: string } {
  const context: { [key: string]: string } = {};
  for (const template of templates) {
    for (const [, resource] of Object.entries(template.Resources ?? {})) {
      const name = resource.Properties?.Name;
      if (resource.Type !== 'AWS::SSM::Parameter' || typeof name !== 'string' || !/^\/cdk-microservices\/[^/]+\/environment$/.test(name)) continue;
      const value = resolve(resource.Properties?.Value, template, placement);
      context[lookupKey(name, placement)] = String(value);
    }
  }
  return context;
}

/** The key the CDK CLI caches an SSM parameter lookup under. */
export function lookupKey(parameterName: string, placement: Placement): string {
  const quote = (s: string) => s.replace(/\$/g, '$$').replace(/:/g, '$:');
  return `ssm:account=${quote(placement.account)}:parameterName=${quote(parameterName)}:region=${quote(placement.region)}`;
}

function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** A stand-in for `Ref` of a resource, in the form AWS returns for its type. */
function refOf(id: string, type: string, p: Placement): string {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${p.region}:${p.account}:${resource}`;
  const name = `${id.slice(0, 20).toLowerCase()}-${hex(id, 6)}`;
  switch (type) {
    case 'AWS::EC2::VPC': return `vpc-${hex(id, 17)}`;
    case 'AWS::EC2::Subnet': return `subnet-${hex(id, 17)}`;
    case 'AWS::EC2::RouteTable': return `rtb-${hex(id, 17)}`;
    case 'AWS::EC2::SecurityGroup': return `sg-${hex(id, 17)}`;
    case 'AWS::SNS::Topic': return arn('sns', name);
    case 'AWS::ECS::Cluster': return name;
    case 'AWS::S3::Bucket': return name;
    case 'AWS::KMS::Key': return `${hex(id, 8)}-${hex(id + 1, 4)}-${hex(id + 2, 4)}-${hex(id + 3, 4)}-${hex(id + 4, 12)}`;
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer': return arn('elasticloadbalancing', `loadbalancer/app/${name}/${hex(id, 16)}`);
    case 'AWS::ElasticLoadBalancingV2::Listener': return arn('elasticloadbalancing', `listener/app/${name}/${hex(id, 16)}/${hex(id + 1, 16)}`);
    case 'AWS::Lambda::Function': return name;
    case 'AWS::ServiceDiscovery::PrivateDnsNamespace': return `ns-${hex(id, 16)}`;
    case 'AWS::Route53::HostedZone': return `Z${hex(id, 20).toUpperCase()}`;
    case 'AWS::CertificateManager::Certificate': return arn('acm', `certificate/${hex(id, 8)}-${hex(id + 1, 4)}-${hex(id + 2, 4)}-${hex(id + 3, 4)}-${hex(id + 4, 12)}`);
    default: return name;
  }
}

/** A stand-in for `Fn::GetAtt` of a resource. */
function attOf(id: string, attribute: string, template: Template, p: Placement): string {
  const resource = template.Resources?.[id];
  if (!resource) throw new Error(`Fn::GetAtt of an unknown resource ${id}`);
  const ref = refOf(id, resource.Type, p);
  const arn = (service: string, r: string) => `arn:aws:${service}:${p.region}:${p.account}:${r}`;
  switch (`${resource.Type}.${attribute}`) {
    case 'AWS::EC2::VPC.CidrBlock': return String(resource.Properties?.CidrBlock ?? '10.0.0.0/16');
    case 'AWS::EC2::SecurityGroup.GroupId': return ref;
    case 'AWS::KMS::Key.Arn': return arn('kms', `key/${ref}`);
    case 'AWS::ECS::Cluster.Arn': return arn('ecs', `cluster/${ref}`);
    case 'AWS::ServiceDiscovery::PrivateDnsNamespace.Id': return ref;
    case 'AWS::ServiceDiscovery::PrivateDnsNamespace.Arn': return arn('servicediscovery', `namespace/${ref}`);
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer.DNSName': return `${id.slice(0, 20).toLowerCase()}-${hex(id, 8)}.${p.region}.elb.amazonaws.com`;
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer.CanonicalHostedZoneID': return 'Z35SXDOTRQ7X7K';
    case 'AWS::Lambda::Function.Arn': return arn('lambda', `function:${ref}`);
    case 'AWS::WAFv2::WebACL.Arn': return arn('wafv2', `regional/webacl/${ref}/${hex(id, 8)}`);
    case 'AWS::S3::Bucket.Arn': return `arn:aws:s3:::${ref}`;
    case 'AWS::SNS::Topic.TopicArn': return ref;
    default: throw new Error(`no stand-in for Fn::GetAtt ${resource.Type}.${attribute} (${id})`);
  }
}

/**
 * The value `environmentContext` gives a CloudFormation expression of `template` (a `Ref` or a
 * `Fn::GetAtt`): what a team app sees of the platform's resources. Tests use it to map a team
 * template's literal IDs and ARNs back to the platform's resources.
 */
export function standInOf(expression: unknown, template: Template, placement: Placement): unknown {
  return resolve(expression, template, placement);
}

function resolve(value: unknown, template: Template, p: Placement): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, template, p));
  if (value === null || typeof value !== 'object') return value;
  const o = value as { [key: string]: unknown };
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const [fn] = keys;
    const arg = o[fn];
    switch (fn) {
      case 'Ref': {
        const name = arg as string;
        if (name === 'AWS::AccountId') return p.account;
        if (name === 'AWS::Region') return p.region;
        if (name === 'AWS::Partition') return 'aws';
        if (name === 'AWS::URLSuffix') return 'amazonaws.com';
        const resource = template.Resources?.[name];
        if (!resource) throw new Error(`Ref of an unknown resource ${name}`);
        return refOf(name, resource.Type, p);
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? arg as string[] : String(arg).split('.');
        return attOf(id, attribute, template, p);
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (resolve(parts, template, p) as unknown[]).map(String).join(sep);
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number | string, unknown];
        return (resolve(list, template, p) as unknown[])[Number(index)];
      }
      case 'Fn::GetAZs': return ['a', 'b', 'c'].map((z) => `${p.region}${z}`);
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return String(resolve(text, template, p)).split(sep);
      }
      default:
        if (fn.startsWith('Fn::')) throw new Error(`no stand-in for ${fn}`);
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolve(o[k], template, p)]));
}
