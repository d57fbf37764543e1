import { Stack, Token, aws_s3 as s3 } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { defaultEnvironmentName, documentParameterName, environmentNameProblem } from './environment-document';
import type { MicroserviceEnvironmentProps } from './microservice-environment';
import { publisherOf } from './sharing';
import { StageProfile } from './stage-profile';
import { endpointOwnerOf } from './vpc-endpoints';
import { isDnsName } from '../private/naming';
import { checkInt, checkKinds, enumProblem, known, logRetentionProblem, Problems, show } from '../private/validation';

/** The account and Region of `scope`'s stack, as a key (tokens of agnostic stacks compare equal). @internal */
export function placementOf(scope: IConstruct): string {
  const stack = Stack.of(scope);
  return `${stack.account}/${stack.region}`;
}

/** The class named in an environment's errors. */
export const ENVIRONMENT_CLASS = 'MicroserviceEnvironment';

/**
 * Refuses the props of an environment (`scope`, construct id `id`) that are of the wrong
 * kind, out of range or in conflict, all problems in one error.
 */
export function validateEnvironmentProps(scope: IConstruct, id: string, given: MicroserviceEnvironmentProps): void {
  const p = Problems.ofConstruction(ENVIRONMENT_CLASS, scope);
  const props = checkKinds(p, given, [
    ['maxAzs', 'number'], ['vpcCidr', 'string'], ['natGateways', 'number'], ['createVpcEndpoints', 'boolean'], ['namespaceName', 'string'],
    ['logRetention', 'number'], ['defaultTracing', 'boolean'], ['createLoadBalancer', 'boolean'], ['allowPlainHttp', 'boolean'], ['internetFacing', 'boolean'],
    ['loadBalancerDeletionProtection', 'boolean'], ['webAclArn', 'string'], ['createWebAcl', 'boolean'], ['createOutputs', 'boolean'],
    ['enableTeamApps', 'boolean'], ['environmentName', 'string'],
  ]);
  const retention = logRetentionProblem('logRetention', props.logRetention);
  if (retention) p.add(retention);
  const stage = enumProblem('stageProfile', props.stageProfile, StageProfile, 'StageProfile');
  if (stage) p.add(stage);
  if (props.additionalVpcEndpoints !== undefined) {
    const list = props.additionalVpcEndpoints as unknown;
    if (!Array.isArray(list) || list.some((e) => typeof (e as { name?: unknown } | undefined)?.name !== 'string')) {
      p.add(`\`additionalVpcEndpoints\` ${show(list)} is not a list of ec2.InterfaceVpcEndpointAwsService; use for example [ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE]`);
    } else if (props.createVpcEndpoints !== true) {
      p.add('`additionalVpcEndpoints` adds to the endpoints `createVpcEndpoints` creates; set `createVpcEndpoints: true` or remove it');
    }
  }
  if (props.createVpcEndpoints && props.vpc) {
    const owner = endpointOwnerOf(props.vpc);
    p.when(owner !== undefined,
      `\`createVpcEndpoints\`: the VPC already has endpoints from ${owner}; turn them on in one environment per VPC (they share private DNS names)`);
  }
  p.addAll([environmentNameProblem('environmentName', props.environmentName)]);
  p.when(props.environmentName !== undefined && props.enableTeamApps !== true,
    '`environmentName` names the environment other apps look up; set `enableTeamApps: true` or remove it');
  if (props.enableTeamApps === true && props.environmentName === undefined) {
    p.addAll([environmentNameProblem('environmentName', defaultEnvironmentName(id))
      ? `the construct id ${show(id)} does not make an environment name; set \`environmentName\``
      : undefined]);
  }
  if (props.enableTeamApps === true) {
    const name = props.environmentName ?? defaultEnvironmentName(id);
    const other = environmentNameProblem('environmentName', name) ? undefined
      : publisherOf(scope, placementOf(scope), documentParameterName(name));
    p.when(other !== undefined,
      `\`environmentName\` '${name}' is already shared by ${other} in this account and Region (both would write the SSM parameter ${documentParameterName(name)}); give each environment its own name`);
  }
  const imported = props.vpc !== undefined || props.cluster !== undefined;
  if (imported) {
    p.when(props.maxAzs !== undefined, '`maxAzs` applies only to a VPC we create; remove it or remove `vpc`/`cluster`');
    p.when(props.natGateways !== undefined, '`natGateways` applies only to a VPC we create; remove it or remove `vpc`/`cluster`');
    p.when(props.vpcCidr !== undefined, '`vpcCidr` applies only to a VPC we create; remove it or remove `vpc`/`cluster`');
  }
  if (props.vpc && props.cluster && props.cluster.vpc !== props.vpc) {
    p.add('`cluster` is not in `vpc`; pass the cluster\'s own VPC (`cluster.vpc`) or leave `vpc` out');
  }
  p.when(props.namespace !== undefined && props.namespaceName !== undefined,
    '`namespaceName` names a namespace we create; it cannot be combined with `namespace`');
  const maxAzs = props.maxAzs ?? 2;
  const azProblem = checkInt('maxAzs', props.maxAzs, 1, 6);
  if (azProblem) p.add(azProblem);
  // The range's size is judged only against a valid zone count; its form always.
  const zones = known(maxAzs) && Number.isInteger(maxAzs) && maxAzs >= 1 && maxAzs <= 6 ? maxAzs : undefined;
  const cidr = vpcCidrProblem(props.vpcCidr, zones);
  if (cidr) p.add(cidr);
  p.when(!imported && typeof props.vpcCidr === 'string' && Token.isUnresolved(props.vpcCidr),
    '`vpcCidr` is a token, but the subnets are carved out of the range at synthesis; give the range as a literal, like \'10.1.0.0/16\'');
  const natProblem = checkInt('natGateways', props.natGateways, 0, known(maxAzs) ? Math.max(maxAzs, 0) : 6);
  if (natProblem) p.add(natProblem);
  if (known(props.namespaceName) && !isDnsName(props.namespaceName)) {
    p.add(`\`namespaceName\` ${show(props.namespaceName)} is not a DNS name; use labels of a-z, 0-9 and '-' separated by dots, for example 'store.internal'`);
  }
  if (props.namespaceName === undefined && props.namespace === undefined && !isDnsName(defaultNamespaceName(id))) {
    p.add(`the construct id ${show(id)} does not make a DNS name for the namespace; set \`namespaceName\``);
  }
  if (!props.createLoadBalancer) {
    const lbOnly: Array<[string, unknown]> = [
      ['certificate', props.certificate], ['allowPlainHttp', props.allowPlainHttp], ['internetFacing', props.internetFacing],
      ['sslPolicy', props.sslPolicy], ['loadBalancerDeletionProtection', props.loadBalancerDeletionProtection],
      ['createOutputs', props.createOutputs],
    ];
    for (const [name, value] of lbOnly) {
      p.when(value !== undefined, `\`${name}\` configures the shared load balancer; set \`createLoadBalancer: true\` or remove it`);
    }
  } else {
    p.when(props.certificate === undefined && props.allowPlainHttp !== true,
      '`createLoadBalancer` needs a `certificate` for HTTPS; to serve plain HTTP (development only) set `allowPlainHttp: true`');
    p.when(props.certificate !== undefined && props.allowPlainHttp === true,
      '`allowPlainHttp` conflicts with `certificate`: with a certificate, HTTP is redirected to HTTPS; remove one of them');
    p.when(!imported && known(props.maxAzs) && props.maxAzs < 2,
      `\`maxAzs\` ${props.maxAzs} is too few for a load balancer, which needs subnets in at least 2 Availability Zones; use 2 or more`);
    p.when(Token.isUnresolved(Stack.of(scope).region),
      '`createLoadBalancer` writes access logs, whose bucket policy names the region\'s load balancing account: give the stack a region (`env: { region }`)');
    p.when(props.sslPolicy !== undefined && props.certificate === undefined,
      '`sslPolicy` applies to the HTTPS listener, which needs a `certificate`');
  }
  if (props.accessLogsObjectLockRetention !== undefined) {
    if (!(props.accessLogsObjectLockRetention instanceof s3.ObjectLockRetention)) {
      p.add(`\`accessLogsObjectLockRetention\` ${show(props.accessLogsObjectLockRetention)} is not an s3.ObjectLockRetention; `
        + 'use s3.ObjectLockRetention.governance(...) or .compliance(...)');
    }
    p.when(props.accessLogsBucket !== undefined,
      '`accessLogsObjectLockRetention` configures the access-log bucket we create, but `accessLogsBucket` brings one; set its retention on your bucket, or remove one of them');
  }
  p.when(props.webAclArn !== undefined && props.createWebAcl === true,
    '`createWebAcl: true` creates a web ACL and `webAclArn` brings one; set only one of them');
  if (known(props.webAclArn) && !/^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/.+/.test(props.webAclArn)) {
    p.add(`\`webAclArn\` ${show(props.webAclArn)} is not the ARN of a regional WAFv2 web ACL (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>)`);
  }
  p.throwIfAny();
}

/** The namespace name of an environment with construct id `id`: `<id>.internal`. */
export function defaultNamespaceName(id: string): string {
  return `${id.toLowerCase().replace(/[^a-z0-9-]/g, '-').replace(/^-+|-+$/g, '')}.internal`;
}

/**
 * The problem with a VPC range: not an IPv4 CIDR, or too small for the subnets a new VPC gets
 * (/24 public subnets in the first /20, then one /20 private subnet per zone). The size is
 * checked only when the zone count is given.
 */
function vpcCidrProblem(cidr: string | undefined, maxAzs: number | undefined): string | undefined {
  if (!known(cidr)) return undefined;
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const prefix = match ? Number(match[5]) : NaN;
  if (!match || octets.some((o) => o > 255) || prefix < 16 || prefix > 28) {
    return `\`vpcCidr\` ${show(cidr)} is not an IPv4 CIDR block from /16 to /28 (the sizes a VPC may have); use one like '10.1.0.0/16'`;
  }
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  if (address % 2 ** (32 - prefix) !== 0) {
    return `\`vpcCidr\` ${show(cidr)} has host bits set; use the network address, like '${networkAddress(address, prefix)}/${prefix}'`;
  }
  if (maxAzs === undefined) return undefined;
  const largest = 32 - Math.ceil(Math.log2((maxAzs + 1) * 4096));
  if (prefix > largest) {
    return `\`vpcCidr\` ${show(cidr)} is too small for ${maxAzs} zones (a /24 public and a /20 private subnet in each); use a /${largest} or larger, like '10.1.0.0/${largest}'`;
  }
  return undefined;
}

function networkAddress(address: number, prefix: number): string {
  const network = address - (address % 2 ** (32 - prefix));
  return [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.');
}
