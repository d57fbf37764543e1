import { Stack, Token, aws_ec2 as ec2, aws_ssm as ssm } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { MicroserviceEnvironment } from './microservice-environment';
import { show } from '../private/validation';

/** The version of the environment document this release writes and reads. */
export const DOCUMENT_VERSION = 1;

/** Where every environment of this library publishes itself: `/cdk-microservices/<name>`. */
export const PARAMETER_ROOT = '/cdk-microservices';

/** The name of the SSM parameter holding the environment document of `environmentName`. */
export function documentParameterName(environmentName: string): string {
  return `${PARAMETER_ROOT}/${environmentName}/environment`;
}

/**
 * An environment name: it is a level of SSM parameter names (letters, digits, `.`, `-` and
 * `_`; https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html),
 * kept to 64 characters so the claims under it stay far below SSM's 1011.
 */
export function environmentNameProblem(prop: string, name: unknown): string | undefined {
  if (name === undefined) return undefined;
  if (typeof name === 'string' && Token.isUnresolved(name)) return `\`${prop}\` must be known at synth time: it names the SSM parameters other apps look up`;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name)) {
    return `\`${prop}\` ${show(name)} is not valid; use 1 to 64 letters, digits, '.', '-' and '_', starting with a letter or digit, for example 'store-production'`;
  }
  return undefined;
}

/** The default environment name: the construct id in lower case, kebab-cased. */
export function defaultEnvironmentName(id: string): string {
  return id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').toLowerCase().slice(0, 64);
}

/** The subnets of one type of the VPC, as `ec2.Vpc.fromVpcAttributes` takes them. */
export interface SubnetGroupDocument {
  readonly subnetIds: string[];
  readonly routeTableIds: string[];
}

/**
 * What an environment publishes for the apps that deploy services into it: the document
 * stored as JSON in the SSM parameter `/cdk-microservices/<environmentName>/environment`.
 * Every value is a plain string, number or boolean once CloudFormation resolves it.
 */
export interface EnvironmentDocument {
  readonly version: number;
  readonly environmentName: string;
  readonly account: string;
  readonly region: string;
  readonly vpcId: string;
  readonly vpcCidrBlock: string;
  readonly availabilityZones: string[];
  readonly publicSubnets: SubnetGroupDocument;
  readonly privateSubnets: SubnetGroupDocument;
  readonly isolatedSubnets: SubnetGroupDocument;
  /** The subnet type the services run in (`Private`, `Isolated` or `Public`), or absent when they run in chosen subnets. */
  readonly serviceSubnetType?: string;
  /** The subnets the services run in. */
  readonly serviceSubnetIds: string[];
  readonly clusterName: string;
  readonly clusterArn: string;
  readonly namespaceName: string;
  readonly namespaceId: string;
  readonly namespaceArn: string;
  readonly encryptionKeyArn: string;
  readonly alarmTopicArn: string;
  readonly logRetentionDays: number;
  readonly stageProfile: string;
  readonly https: boolean;
  readonly loadBalancerArn?: string;
  readonly loadBalancerSecurityGroupId?: string;
  readonly loadBalancerDnsName?: string;
  readonly loadBalancerCanonicalHostedZoneId?: string;
  readonly listenerArn?: string;
  readonly certificateArn?: string;
  readonly hostedZoneId?: string;
  readonly hostedZoneName?: string;
  readonly endpointSecurityGroupId?: string;
  /** The interface endpoint services the environment created (for example `com.amazonaws.us-east-1.sqs`). */
  readonly endpointServices?: string[];
  readonly accessLogsBucketName?: string;
  readonly webAclArn?: string;
  /** The ARN of the claims function: listener priorities and service names across apps. */
  readonly claimServiceToken: string;
}

function subnetGroup(subnets: ec2.ISubnet[]): SubnetGroupDocument {
  return { subnetIds: subnets.map((s) => s.subnetId), routeTableIds: subnets.map((s) => s.routeTable.routeTableId) };
}

/** What publishing needs beyond the environment's public attributes. */
export interface PublishInputs {
  readonly environmentName: string;
  readonly claimServiceToken: string;
  readonly endpointServices: string[];
  readonly webAclArn?: string;
  readonly accessLogsBucketName?: string;
}

/**
 * The SSM parameter with the environment document of `env`. Intelligent-Tiering keeps it in the
 * free standard tier (4 KB) and moves it to the advanced tier only if a VPC with many subnets
 * makes it larger (https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html).
 */
export function publishEnvironment(env: MicroserviceEnvironment, inputs: PublishInputs): ssm.StringParameter {
  const stack = Stack.of(env);
  const vpc = env.vpc;
  const selection = env.serviceSubnets;
  const selectedType = selection.subnetType !== undefined && selection.subnets === undefined && selection.subnetGroupName === undefined
    && selection.availabilityZones === undefined && selection.subnetFilters === undefined && selection.onePerAz === undefined
    ? selection.subnetType : undefined;
  const listener = env.listener;
  const loadBalancer = env.loadBalancer;
  const doc: EnvironmentDocument = {
    version: DOCUMENT_VERSION,
    environmentName: inputs.environmentName,
    account: stack.account,
    region: stack.region,
    vpcId: vpc.vpcId,
    vpcCidrBlock: vpc.vpcCidrBlock,
    availabilityZones: vpc.availabilityZones,
    publicSubnets: subnetGroup(vpc.publicSubnets),
    privateSubnets: subnetGroup(vpc.privateSubnets),
    isolatedSubnets: subnetGroup(vpc.isolatedSubnets),
    serviceSubnetType: selectedType === undefined ? undefined : subnetTypeName(selectedType),
    serviceSubnetIds: vpc.selectSubnets(selection).subnetIds,
    clusterName: env.cluster.clusterName,
    clusterArn: env.cluster.clusterArn,
    namespaceName: env.namespace.namespaceName,
    namespaceId: env.namespace.namespaceId,
    namespaceArn: env.namespace.namespaceArn,
    encryptionKeyArn: env.encryptionKey.keyArn,
    alarmTopicArn: env.alarmTopic.topicArn,
    logRetentionDays: env.logRetention,
    stageProfile: env.stageProfile,
    https: env.https,
    loadBalancerArn: loadBalancer?.loadBalancerArn,
    loadBalancerSecurityGroupId: loadBalancer ? loadBalancer.connections.securityGroups[0]?.securityGroupId : undefined,
    loadBalancerDnsName: loadBalancer?.loadBalancerDnsName,
    loadBalancerCanonicalHostedZoneId: loadBalancer?.loadBalancerCanonicalHostedZoneId,
    listenerArn: listener?.listenerArn,
    certificateArn: env.certificate?.certificateArn,
    hostedZoneId: env.hostedZone?.hostedZoneId,
    hostedZoneName: env.hostedZone?.zoneName,
    endpointSecurityGroupId: env.endpointSecurityGroup?.securityGroupId,
    endpointServices: inputs.endpointServices,
    accessLogsBucketName: inputs.accessLogsBucketName,
    webAclArn: inputs.webAclArn,
    claimServiceToken: inputs.claimServiceToken,
  };
  return new ssm.StringParameter(env, 'Document', {
    parameterName: documentParameterName(inputs.environmentName),
    description: `What services of other apps need from the microservice environment ${env.node.path} (cdk-microservices, document version ${DOCUMENT_VERSION})`,
    stringValue: stack.toJsonString(doc),
    tier: ssm.ParameterTier.INTELLIGENT_TIERING,
  });
}

const SUBNET_TYPE_NAMES: Array<[ec2.SubnetType, string]> = [
  [ec2.SubnetType.PUBLIC, 'Public'],
  [ec2.SubnetType.PRIVATE_WITH_EGRESS, 'Private'],
  [ec2.SubnetType.PRIVATE_ISOLATED, 'Isolated'],
];

function subnetTypeName(type: ec2.SubnetType): string | undefined {
  return SUBNET_TYPE_NAMES.find(([t]) => t === type)?.[1];
}

/** The subnet type of a name the document holds. */
export function subnetTypeOf(name: string | undefined): ec2.SubnetType | undefined {
  return SUBNET_TYPE_NAMES.find(([, n]) => n === name)?.[0];
}

const STRINGS: Array<keyof EnvironmentDocument> = [
  'environmentName', 'account', 'region', 'vpcId', 'vpcCidrBlock', 'clusterName', 'clusterArn', 'namespaceName', 'namespaceId',
  'namespaceArn', 'encryptionKeyArn', 'alarmTopicArn', 'stageProfile', 'claimServiceToken',
];
const OPTIONAL_STRINGS: Array<keyof EnvironmentDocument> = [
  'serviceSubnetType', 'loadBalancerArn', 'loadBalancerSecurityGroupId', 'loadBalancerDnsName', 'loadBalancerCanonicalHostedZoneId',
  'listenerArn', 'certificateArn', 'hostedZoneId', 'hostedZoneName', 'endpointSecurityGroupId', 'accessLogsBucketName', 'webAclArn',
];

/**
 * Reads the document of `parameterName`: its problems, or the document. CloudFormation writes
 * a property whose value is undefined as absent and a resolved number as a number.
 */
export function parseEnvironmentDocument(text: string, parameterName: string): { doc?: EnvironmentDocument; problems: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problems: [`the SSM parameter ${parameterName} does not hold JSON; it is written by a MicroserviceEnvironment with \`enableTeamApps: true\`, do not edit it by hand`] };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { problems: [`the SSM parameter ${parameterName} does not hold an environment document`] };
  }
  const v = value as { [key: string]: unknown };
  const problems: string[] = [];
  if (v.version !== DOCUMENT_VERSION) {
    problems.push(`the SSM parameter ${parameterName} holds an environment document of version ${show(v.version)}; this release of cdk-microservices reads version ${DOCUMENT_VERSION}: use the same release in the environment's app and in this one`);
    return { problems };
  }
  for (const key of STRINGS) if (typeof v[key] !== 'string' || v[key] === '') problems.push(`\`${key}\` is missing`);
  for (const key of OPTIONAL_STRINGS) if (v[key] !== undefined && typeof v[key] !== 'string') problems.push(`\`${key}\` is not a string`);
  if (!Array.isArray(v.availabilityZones) || v.availabilityZones.length === 0) problems.push('`availabilityZones` is missing');
  if (!Array.isArray(v.serviceSubnetIds) || v.serviceSubnetIds.length === 0) problems.push('`serviceSubnetIds` is missing');
  for (const group of ['publicSubnets', 'privateSubnets', 'isolatedSubnets']) {
    const g = v[group] as { subnetIds?: unknown; routeTableIds?: unknown } | undefined;
    if (!g || !Array.isArray(g.subnetIds) || !Array.isArray(g.routeTableIds) || g.subnetIds.length !== g.routeTableIds.length) {
      problems.push(`\`${group}\` is not a list of subnets with their route tables`);
    }
  }
  if (typeof v.logRetentionDays !== 'number') problems.push('`logRetentionDays` is not a number');
  if (typeof v.https !== 'boolean') problems.push('`https` is not a boolean');
  if (problems.length > 0) {
    return { problems: [`the environment document in the SSM parameter ${parameterName} is not valid (${problems.join('; ')}); redeploy the environment's app with this release of cdk-microservices`] };
  }
  return { doc: v as unknown as EnvironmentDocument, problems: [] };
}

/** A stand-in document for the first synthesis, before the CDK CLI has looked the parameter up. */
export function placeholderDocument(environmentName: string, scope: Construct): EnvironmentDocument {
  const stack = Stack.of(scope);
  const dummy = (what: string) => `dummy-${what}`;
  const azs = [`${stack.region}a`, `${stack.region}b`];
  const group = (name: string): SubnetGroupDocument => ({ subnetIds: azs.map((_, i) => `subnet-${name}${i}`), routeTableIds: azs.map((_, i) => `rtb-${name}${i}`) });
  const arn = (service: string, resource: string) => `arn:aws:${service}:${stack.region}:${stack.account}:${resource}`;
  return {
    version: DOCUMENT_VERSION,
    environmentName,
    account: stack.account,
    region: stack.region,
    vpcId: 'vpc-12345',
    vpcCidrBlock: '10.0.0.0/16',
    availabilityZones: azs,
    publicSubnets: group('public'),
    privateSubnets: group('private'),
    isolatedSubnets: { subnetIds: [], routeTableIds: [] },
    serviceSubnetType: 'Private',
    serviceSubnetIds: group('private').subnetIds,
    clusterName: dummy('cluster'),
    clusterArn: arn('ecs', `cluster/${dummy('cluster')}`),
    namespaceName: `${environmentName}.internal`,
    namespaceId: 'ns-dummy',
    namespaceArn: arn('servicediscovery', 'namespace/ns-dummy'),
    encryptionKeyArn: arn('kms', 'key/00000000-0000-0000-0000-000000000000'),
    alarmTopicArn: arn('sns', dummy('alarms')),
    logRetentionDays: 365,
    stageProfile: 'production',
    https: true,
    loadBalancerArn: arn('elasticloadbalancing', `loadbalancer/app/${dummy('lb')}/0`),
    loadBalancerSecurityGroupId: 'sg-12345',
    loadBalancerDnsName: `${dummy('lb')}.${stack.region}.elb.amazonaws.com`,
    loadBalancerCanonicalHostedZoneId: 'Z0000000000000',
    listenerArn: arn('elasticloadbalancing', `listener/app/${dummy('lb')}/0/0`),
    claimServiceToken: arn('lambda', `function:${dummy('claims')}`),
  };
}
