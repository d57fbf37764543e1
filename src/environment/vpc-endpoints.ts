import {
  Annotations,
  Stack,
  Token,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_iam as iam,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import type { MicroserviceEnvironmentProps } from './microservice-environment';
import { acknowledge, nistAndHipaa } from '../private/acknowledge';
import { imageReachableThroughEndpoints } from '../private/image-reach';
import { warningAcknowledged } from '../private/warnings';

/** Which environment added VPC endpoints to a VPC: private DNS allows one set per VPC. */
const ENDPOINT_OWNERS = new WeakMap<ec2.IVpc, string>();

/**
 * The interface endpoints every Fargate task of the environment needs without a NAT gateway,
 * with their construct ids (kept from earlier releases). Fargate tasks need no Amazon ECS
 * endpoints; they need ECR (`ecr.api`, `ecr.dkr`, plus the S3 gateway endpoint for the image
 * layers) to pull, CloudWatch Logs for the awslogs driver, and Secrets Manager or SSM to
 * inject secrets (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/platform-version-migration.html);
 * KMS serves tasks that decrypt what the environment's key encrypts (queues, topics, data).
 */
const BASE_ENDPOINTS: Array<[string, ec2.InterfaceVpcEndpointAwsService]> = [
  ['EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR],
  ['EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
  ['Logs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  ['SecretsManager', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
  ['Ssm', ec2.InterfaceVpcEndpointAwsService.SSM],
  ['Kms', ec2.InterfaceVpcEndpointAwsService.KMS],
];

/**
 * The interface endpoint a task needs for the actions of an IAM service prefix its task role
 * is allowed, for the services our constructs grant or that tasks commonly call (service
 * names from https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html).
 * S3 and DynamoDB have gateway endpoints, always created with `createVpcEndpoints`.
 */
const ENDPOINT_OF_ACTION_PREFIX: { [prefix: string]: ec2.InterfaceVpcEndpointAwsService } = {
  sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  sns: ec2.InterfaceVpcEndpointAwsService.SNS,
  events: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
  states: ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
  xray: ec2.InterfaceVpcEndpointAwsService.XRAY,
  config: ec2.InterfaceVpcEndpointAwsService.CONFIG,
  ssmmessages: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
  cloudwatch: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  lambda: ec2.InterfaceVpcEndpointAwsService.LAMBDA,
  kinesis: ec2.InterfaceVpcEndpointAwsService.KINESIS_STREAMS,
  firehose: ec2.InterfaceVpcEndpointAwsService.KINESIS_FIREHOSE,
  secretsmanager: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
  ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
  kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
};

/** The environment path that added VPC endpoints to `vpc`, if one did. */
export function endpointOwnerOf(vpc: ec2.IVpc): string | undefined {
  return ENDPOINT_OWNERS.get(vpc);
}

/**
 * A new VPC for the environment (`scope`): public subnets and private ones (isolated without
 * a NAT gateway), and flow logs to `flowLogGroup`.
 */
export function createVpc(
  scope: Construct, props: MicroserviceEnvironmentProps, flowLogGroup: () => logs.ILogGroup,
): { vpc: ec2.Vpc; flowLog: ec2.FlowLog } {
  const natGateways = props.natGateways ?? (props.createVpcEndpoints ? 0 : 1);
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs: props.maxAzs ?? 2,
    ipAddresses: props.vpcCidr !== undefined ? ec2.IpAddresses.cidr(props.vpcCidr) : undefined,
    natGateways,
    // Restricting the default security group needs a Lambda-backed custom resource outside
    // the VPC (Control Tower CT.LAMBDA.PR.3); nothing we create uses the default group.
    restrictDefaultSecurityGroup: false,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
      {
        name: 'Private',
        subnetType: natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
        cidrMask: 20,
      },
    ],
  });
  const flowLog = vpc.addFlowLog('FlowLog', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup()),
    trafficType: ec2.FlowLogTrafficType.ALL,
  });
  acknowledge(vpc, [
    ...nistAndHipaa('VPCNoUnrestrictedRouteToIGW', 'Only the public subnets route 0.0.0.0/0 to the internet gateway; they hold the internet-facing load balancer and NAT gateways, and tasks run in private subnets.'),
    ...nistAndHipaa('VPCDefaultSecurityGroupClosed', 'No resource of the environment uses the default security group; closing it takes a Lambda-backed custom resource outside the VPC, which Control Tower CT.LAMBDA.PR.3 forbids.'),
    ...nistAndHipaa('IAMNoInlinePolicy', 'The flow log role has one policy, written by CDK, scoped to its own log group; a managed policy would add no reuse.'),
  ]);
  return { vpc, flowLog };
}

/** What the network of an environment needs from the environment. */
export interface NetworkOwner extends IConstruct {
  readonly vpc: ec2.IVpc;
  readonly serviceSubnets: ec2.SubnetSelection;
  readonly cluster: ecs.ICluster;
}

const IMAGE_UNREACHABLE = 'cdk-microservices:image-unreachable';

/**
 * The VPC endpoints of an environment (`createVpcEndpoints`) and, once the tree is complete,
 * the reports of what its tasks cannot reach without them: images they cannot pull and AWS
 * services their roles may call. Each report is said once for the environment, listing the
 * services, on the environment.
 */
export class EnvironmentEndpoints {
  /** The security group of the interface endpoints, once created. */
  public securityGroup?: ec2.SecurityGroup;
  /** The interface endpoints created so far, by endpoint service name. */
  private readonly interfaceEndpoints = new Map<string, ec2.InterfaceVpcEndpoint>();
  /** The unreachable images found, by service path and image, each once. */
  private readonly unreachableImages = new Map<string, { scope: IConstruct; imageName: string }>();

  constructor(private readonly env: NetworkOwner) {}

  /**
   * Creates the base interface endpoints (ECR, logs, secrets, KMS), the `additional` ones, the
   * S3 and DynamoDB gateway endpoints and the endpoints' security group.
   */
  public create(additional: ec2.InterfaceVpcEndpointAwsService[]): ec2.SecurityGroup {
    const env = this.env;
    const subnets = env.serviceSubnets;
    // One security group for the interface endpoints; each service is let in on 443 when it
    // is created, instead of the whole VPC range.
    ENDPOINT_OWNERS.set(env.vpc, env.node.path);
    const securityGroup = new ec2.SecurityGroup(env, 'EndpointSecurityGroup', {
      vpc: env.vpc,
      description: `Interface VPC endpoints of ${env.node.path}`,
      allowAllOutbound: false,
    });
    this.securityGroup = securityGroup;
    for (const [name, service] of BASE_ENDPOINTS) this.require(service, name);
    for (const service of additional) this.require(service);
    env.vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [subnets] });
    env.vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [subnets] });
    return securityGroup;
  }

  /**
   * An interface endpoint for `service` in the service subnets, with private DNS (so the SDKs'
   * default endpoint names resolve to it) and the endpoint security group; once per service.
   * Undefined without `createVpcEndpoints`.
   * See https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html.
   */
  public require(service: ec2.InterfaceVpcEndpointAwsService, name?: string): ec2.InterfaceVpcEndpoint | undefined {
    if (!this.securityGroup) return undefined;
    const existing = this.interfaceEndpoints.get(service.name);
    if (existing) return existing;
    const endpoint = this.env.vpc.addInterfaceEndpoint(`${name ?? endpointIdOf(service)}Endpoint`, {
      service,
      subnets: this.env.serviceSubnets,
      privateDnsEnabled: true,
      open: false,
      securityGroups: [this.securityGroup],
    });
    this.interfaceEndpoints.set(service.name, endpoint);
    return endpoint;
  }

  /** The service names of the interface endpoints created so far (for example `com.amazonaws.us-east-1.sqs`). */
  public interfaceServiceNames(): string[] {
    return [...this.interfaceEndpoints.keys()];
  }

  /**
   * Records `imageName` of the service `scope` when the tasks have no route to the internet
   * and the image is on a registry the ECR endpoints cannot reach; reported with the others
   * by `report`. Each image of a service once.
   */
  public checkImage(scope: IConstruct, imageName: string): void {
    if (this.serviceSubnetsHaveEgress()) return;
    if (imageReachableThroughEndpoints(imageName, Stack.of(this.env).region) !== false) return;
    const key = `${scope.node.path}\n${imageName}`;
    if (!this.unreachableImages.has(key)) this.unreachableImages.set(key, { scope, imageName });
  }

  /**
   * Warns, once for the environment, of the images of its Fargate services their tasks cannot
   * pull (`checkImage`), and once per AWS service (SQS, SNS, EventBridge, Step Functions,
   * X-Ray...) of the tasks whose role may call it but cannot reach it: the service subnets
   * have no route to the internet and the environment made no endpoint for it. A warning,
   * not an error: the VPC may have endpoints or a proxy we did not create.
   */
  public report(): void {
    if (this.serviceSubnetsHaveEgress()) return;
    const env = this.env;
    const missing = new Map<ec2.InterfaceVpcEndpointAwsService, Map<IConstruct, Set<string>>>();
    for (const construct of env.node.root.node.findAll()) {
      if (!(construct instanceof ecs.FargateService) || construct.cluster !== env.cluster) continue;
      const owner = construct.node.scope ?? construct;
      for (const child of construct.taskDefinition.node.children) {
        if (child instanceof ecs.ContainerDefinition) this.checkImage(owner, child.imageName);
      }
      for (const action of allowedActions(construct.taskDefinition.taskRole)) {
        const endpoint = ENDPOINT_OF_ACTION_PREFIX[action.split(':')[0].toLowerCase()];
        if (!endpoint || this.interfaceEndpoints.has(endpoint.name)) continue;
        const byOwner = missing.get(endpoint) ?? new Map<IConstruct, Set<string>>();
        byOwner.set(owner, (byOwner.get(owner) ?? new Set<string>()).add(action));
        missing.set(endpoint, byOwner);
      }
    }
    this.reportImages();
    for (const [endpoint, byOwner] of missing) this.reportEndpoint(endpoint, byOwner);
  }

  private reportImages(): void {
    const env = this.env;
    if (warningAcknowledged(env, IMAGE_UNREACHABLE)) return;
    const images = [...this.unreachableImages.values()].filter((i) => !warningAcknowledged(i.scope, IMAGE_UNREACHABLE));
    if (images.length === 0) return;
    // ECR's endpoints serve private registries of their Region only; the first pull through a
    // pull through cache rule needs a route to the internet even with the endpoints
    // (https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html).
    const byImage = new Map<string, string[]>();
    for (const i of images) byImage.set(i.imageName, [...byImage.get(i.imageName) ?? [], i.scope.node.path]);
    const what = [...byImage].map(([image, paths]) => `the image ${image} of ${paths.join(', ')}`).join('; ');
    const one = byImage.size === 1;
    Annotations.of(env).addWarningV2(IMAGE_UNREACHABLE,
      `${what[0].toUpperCase()}${what.slice(1)} ${one ? 'is' : 'are'} not on a private ECR registry of this Region, and the service subnets of `
      + `${env.node.path} have no route to the internet (no NAT gateway): tasks would fail to pull ${one ? 'it' : 'them'}. Push ${one ? 'the image' : 'each image'} to a private ECR `
      + 'repository in this Region, or use an ECR pull through cache rule (its first pull of an image needs internet access), or give '
      + 'the environment a NAT gateway (`natGateways`) or subnets with egress (`serviceSubnets`).');
  }

  private reportEndpoint(endpoint: ec2.InterfaceVpcEndpointAwsService, byOwner: Map<IConstruct, Set<string>>): void {
    const env = this.env;
    const shortName = endpoint.shortName;
    const id = `cdk-microservices:endpoint-missing-${shortName}`;
    if (warningAcknowledged(env, id)) return;
    const owners = [...byOwner].filter(([owner]) => !warningAcknowledged(owner, id));
    if (owners.length === 0) return;
    const name = constantNameOf(endpoint);
    const who = owners.map(([owner, actions]) => `the tasks of ${owner.node.path} may call ${[...actions].sort().join(', ')}`).join('; ');
    Annotations.of(env).addWarningV2(id,
      `${who[0].toUpperCase()}${who.slice(1)}, but the service subnets of ${env.node.path} `
      + `have no route to the internet (no NAT gateway) and it created no '${shortName}' interface endpoint: the calls would time out. `
      + (BASE_ENDPOINTS.some(([, base]) => base === endpoint) ? 'Set `createVpcEndpoints: true`'
        : `${this.securityGroup ? 'Add' : 'Set `createVpcEndpoints: true` and add'} ec2.InterfaceVpcEndpointAwsService.${name} to \`additionalVpcEndpoints\``)
      + ', or give the environment a NAT gateway (`natGateways`).');
  }

  /**
   * Whether the selected service subnets route to the internet: false only when every one of
   * them is an isolated subnet (no NAT gateway or internet gateway route).
   */
  private serviceSubnetsHaveEgress(): boolean {
    const { vpc, serviceSubnets } = this.env;
    if (serviceSubnets.subnetType !== undefined) return serviceSubnets.subnetType !== ec2.SubnetType.PRIVATE_ISOLATED;
    const isolated = new Set(vpc.isolatedSubnets.map((s) => s.subnetId));
    let selected: ec2.ISubnet[];
    try {
      selected = vpc.selectSubnets(serviceSubnets).subnets;
    } catch {
      return true; // a selection the VPC cannot resolve is refused where the service uses it
    }
    return selected.length === 0 || selected.some((s) => !isolated.has(s.subnetId));
  }
}

/** The actions an IAM role's default policy allows (the policy CDK grants add to). */
function allowedActions(role: iam.IRole): string[] {
  const policy = role.node.tryFindChild('DefaultPolicy');
  if (!(policy instanceof iam.Policy)) return [];
  const statements = (policy.document.toJSON()?.Statement ?? []) as Array<{ Effect?: string; Action?: string | string[] }>;
  return statements
    .filter((st) => st.Effect !== 'Deny')
    .flatMap((st) => (Array.isArray(st.Action) ? st.Action : st.Action !== undefined ? [st.Action] : []))
    .filter((action) => typeof action === 'string' && action.includes(':'));
}

/** The name of the `InterfaceVpcEndpointAwsService` constant, for messages (`SQS`, `STEP_FUNCTIONS`). */
function constantNameOf(service: ec2.InterfaceVpcEndpointAwsService): string {
  const entry = Object.entries(ec2.InterfaceVpcEndpointAwsService).find(([, value]) => value === service);
  return entry ? entry[0] : service.shortName;
}

/** A construct id for an endpoint service: `sqs` -> `Sqs`, `data-servicediscovery` -> `DataServicediscovery`. */
function endpointIdOf(service: ec2.InterfaceVpcEndpointAwsService): string {
  const short = Token.isUnresolved(service.shortName) ? service.name : service.shortName;
  return short.split(/[^A-Za-z0-9]+/).filter((w) => w).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}
