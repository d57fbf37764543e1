import {
  Annotations,
  Duration,
  Names,
  RemovalPolicy,
  Stack,
  Token,
  aws_certificatemanager as acm,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_kms as kms,
  aws_logs as logs,
  aws_route53 as route53,
  aws_s3 as s3,
  aws_servicediscovery as servicediscovery,
  aws_sns as sns,
  aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { IMicroserviceEnvironment } from './environment-interface';
import { StageProfile, stageDefaults, StageDefaults } from './stage-profile';
import { acknowledge, nistAndHipaa } from '../private/acknowledge';
import { imageReachableThroughEndpoints } from '../private/image-reach';
import { denyGrantsNotForAwsResources } from '../private/kms';
import { createLogBucket } from '../private/log-buckets';
import { isDnsName } from '../private/naming';
import { checkInt, checkKinds, enumProblem, known, logRetentionProblem, Problems, show } from '../private/validation';

const CLASS = 'MicroserviceEnvironment';

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

/** How `_addLoadBalancer` builds a load balancer. @internal */
export interface LoadBalancerOptions {
  readonly certificate?: acm.ICertificate;
  readonly sslPolicy?: elbv2.SslPolicy;
  readonly internetFacing: boolean;
  readonly deletionProtection: boolean;
  readonly description: string;
  /** Answer 404 by default (the shared load balancer); otherwise the listener starts without a default action. */
  readonly notFoundByDefault: boolean;
}

/**
 * Properties of a `MicroserviceEnvironment`.
 */
export interface MicroserviceEnvironmentProps {
  /**
   * The VPC the services run in.
   *
   * @default - a new VPC over `maxAzs` zones with public and private subnets and flow logs
   * to an encrypted log group
   */
  readonly vpc?: ec2.IVpc;

  /**
   * How many Availability Zones a new VPC spans. Only with a VPC we create.
   *
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * The IPv4 address range of a new VPC, as a literal (the subnets are carved out of it at
   * synthesis). Only with a VPC we create. Give each environment its own range where VPCs
   * are peered or clients are allowed by range (for example a `PrivateLinkExposure`'s
   * `allowedClients`). It must hold one /20 private subnet per zone after the /24 public
   * subnets: /16 to /18 for 2 or 3 zones.
   *
   * @default '10.0.0.0/16'
   */
  readonly vpcCidr?: string;

  /**
   * How many NAT gateways a new VPC gets. Only with a VPC we create. With 0 the private
   * subnets are isolated and tasks reach AWS through VPC endpoints (`createVpcEndpoints`).
   *
   * @default - 1, or 0 when `createVpcEndpoints` is on
   */
  readonly natGateways?: number;

  /**
   * Create VPC endpoints so that tasks in private subnets reach AWS without a NAT gateway:
   * interface endpoints for ECR (API and Docker registry), CloudWatch Logs, Secrets Manager,
   * SSM Parameter Store and KMS, and gateway endpoints for S3 and DynamoDB. The constructs
   * of this library add the interface endpoints their tasks need when they need them: SQS
   * when a service consumes or sends to a queue (a `MessageBus` subscription, an attached
   * queue), SNS when it publishes. Interface endpoints are billed per Availability Zone
   * and hour; add the ones your own code calls with `additionalVpcEndpoints`.
   *
   * Without a NAT gateway, tasks pull images only from private ECR in the stack's Region
   * (asset images, your repositories, ECR pull through cache repositories); an image on
   * Docker Hub, `public.ecr.aws` or another registry is reported with a warning.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html
   * @default false
   */
  readonly createVpcEndpoints?: boolean;

  /**
   * More interface VPC endpoints for what your tasks call, for example
   * `ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE`, `XRAY`, `STEP_FUNCTIONS`, `CONFIG` or
   * `SSM_MESSAGES` (ECS Exec). Each gets private DNS, the endpoint security group (services
   * let in on 443) and the service subnets, like the ones `createVpcEndpoints` creates. Needs
   * `createVpcEndpoints: true`.
   *
   * @see https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html
   * @default - only the endpoints `createVpcEndpoints` creates and the ones the library's constructs add
   */
  readonly additionalVpcEndpoints?: ec2.InterfaceVpcEndpointAwsService[];

  /**
   * The subnets the tasks run in.
   *
   * @default - the private subnets of the VPC (with egress if it has them, else isolated)
   */
  readonly serviceSubnets?: ec2.SubnetSelection;

  /**
   * The ECS cluster. It must be in `vpc`. To use Fargate Spot weights, its Fargate capacity
   * providers must be enabled (`enableFargateCapacityProviders()`).
   *
   * @default - a new cluster with Container Insights and Fargate capacity providers
   */
  readonly cluster?: ecs.ICluster;

  /**
   * The Cloud Map private DNS namespace services register in.
   *
   * @default - a new private DNS namespace named `namespaceName`
   */
  readonly namespace?: servicediscovery.IPrivateDnsNamespace;

  /**
   * The name of the private DNS namespace we create. Services are reachable at
   * `<serviceName>.<namespaceName>`.
   *
   * @default - the construct id in lower case, followed by `.internal` (for example `env.internal`)
   */
  readonly namespaceName?: string;

  /**
   * How long the environment's log groups (service logs, VPC flow logs) keep events.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The KMS key that encrypts the environment's log groups and anything else the
   * environment's services encrypt at rest unless they bring their own key. When you bring
   * one, its key policy must let the CloudWatch Logs service use it.
   *
   * @default - a new customer-managed key with rotation on
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The SNS topic every alarm of the environment's services notifies. Subscribe the
   * people or systems on call to it.
   *
   * @default - a new topic encrypted with `encryptionKey`, TLS only
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * The stage profile: it sets the task sizes and counts a service does not set itself.
   *
   * @default StageProfile.PRODUCTION
   */
  readonly stageProfile?: StageProfile;

  /**
   * Create one shared Application Load Balancer that serves many services by host name or
   * path rules.
   *
   * @default false
   */
  readonly createLoadBalancer?: boolean;

  /**
   * The ACM certificate of the shared load balancer's HTTPS listener. Plain HTTP on port 80
   * is redirected to HTTPS.
   *
   * @default - none; then `allowPlainHttp` must be set to serve plain HTTP
   */
  readonly certificate?: acm.ICertificate;

  /**
   * Serve plain HTTP on port 80 without a certificate. Only for development: traffic is
   * not encrypted in transit, and a warning is reported.
   *
   * @default false
   */
  readonly allowPlainHttp?: boolean;

  /**
   * Whether the shared load balancer faces the internet.
   *
   * @default true
   */
  readonly internetFacing?: boolean;

  /**
   * The TLS policy of the HTTPS listener.
   *
   * @default elbv2.SslPolicy.RECOMMENDED_TLS
   */
  readonly sslPolicy?: elbv2.SslPolicy;

  /**
   * Deletion protection of the shared load balancer.
   *
   * @default true
   */
  readonly loadBalancerDeletionProtection?: boolean;

  /**
   * The bucket the environment's load balancers (the shared one and canary slots') write
   * their access logs to. ALB access logs support only SSE-S3 encryption.
   *
   * @default - a new bucket (SSE-S3, TLS only, public access blocked, versioned, Object Lock
   * activated without a default retention, expiring log objects after the log retention)
   */
  readonly accessLogsBucket?: s3.IBucket;

  /**
   * Give the access-log bucket we create an S3 Object Lock default retention: no log object
   * can be deleted or overwritten before it ends (in COMPLIANCE mode not even by the root
   * user).
   *
   * With a default retention, S3 refuses every PutObject that carries neither a `Content-MD5`
   * nor an `x-amz-checksum-*` header, and whether Elastic Load Balancing sends one is not
   * documented: a warning says so; deliver a log in a test account before relying on it.
   * Refused with `accessLogsBucket` (a bucket you bring keeps its own settings).
   *
   * It applies once a load balancer of the environment writes access logs (the shared one,
   * canary slots, PrivateLink exposures): the bucket is created then.
   *
   * @see https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
   * @default - Object Lock activated without a default retention: nothing is locked unless
   * asked, and every write is accepted
   */
  readonly accessLogsObjectLockRetention?: s3.ObjectLockRetention;

  /**
   * The public or private hosted zone in which services with a `hostName` get an alias
   * record to the shared load balancer.
   *
   * @default - no records are created
   */
  readonly hostedZone?: route53.IHostedZone;

  /**
   * The ARN of an AWS WAF web ACL (scope REGIONAL) to associate with the environment's load
   * balancers (the shared one and canary slots').
   *
   * @default - a web ACL we create (see `createWebAcl`)
   */
  readonly webAclArn?: string;

  /**
   * Create an AWS WAF web ACL for the environment's load balancers, with the AWS managed rule groups
   * for common threats, known bad inputs and IP reputation, and logging to an encrypted log
   * group. Ignored when `webAclArn` is given.
   *
   * @default true when there is a load balancer
   */
  readonly createWebAcl?: boolean;
}

/**
 * Where microservices live: a VPC (created with flow logs, or imported), an ECS cluster with
 * Container Insights, a Cloud Map private DNS namespace, a KMS key and a log retention for
 * every log group, optional VPC endpoints so private tasks need no NAT, and an optional
 * shared HTTPS load balancer that serves many services by host or path rules.
 *
 * @example
 * declare const certificate: acm.ICertificate;
 * declare const hostedZone: route53.IHostedZone;
 * const env = new MicroserviceEnvironment(this, 'Env', {
 *   createLoadBalancer: true,
 *   certificate,
 *   hostedZone,
 * });
 */
export class MicroserviceEnvironment extends Construct implements IMicroserviceEnvironment {
  /** The VPC the services run in. */
  public readonly vpc: ec2.IVpc;
  /** The ECS cluster. */
  public readonly cluster: ecs.ICluster;
  /** The Cloud Map private DNS namespace. */
  public readonly namespace: servicediscovery.IPrivateDnsNamespace;
  /** The KMS key for log groups and data at rest. */
  public readonly encryptionKey: kms.IKey;
  /** How long log groups keep events. */
  public readonly logRetention: logs.RetentionDays;
  /** The stage profile. */
  public readonly stageProfile: StageProfile;
  /** The topic the services' alarms notify. */
  public readonly alarmTopic: sns.ITopic;
  /** The subnets the tasks run in. */
  public readonly serviceSubnets: ec2.SubnetSelection;
  /** The shared load balancer, when there is one. */
  public readonly loadBalancer?: elbv2.ApplicationLoadBalancer;
  /** The listener services route on (HTTPS, or HTTP when plain HTTP is allowed). */
  public readonly listener?: elbv2.ApplicationListener;
  /** The certificate of the shared load balancer's HTTPS listener, when given. */
  public readonly certificate?: acm.ICertificate;
  /** The hosted zone for service host names, when given. */
  public readonly hostedZone?: route53.IHostedZone;
  /** The VPC flow log, when we created the VPC. */
  public readonly flowLog?: ec2.FlowLog;
  /** Whether the listener is HTTPS. */
  public readonly https: boolean;
  /** The security group of the interface VPC endpoints, when `createVpcEndpoints` is on; services are let in on 443. */
  public readonly endpointSecurityGroup?: ec2.ISecurityGroup;

  private readonly props: MicroserviceEnvironmentProps;
  /** The interface endpoints created so far, by endpoint service name. */
  private readonly interfaceEndpoints = new Map<string, ec2.InterfaceVpcEndpoint>();
  /** The images reported unreachable, by service path and image, so each is reported once. */
  private readonly reportedImages = new Set<string>();
  private sharedAccessLogsBucket?: s3.IBucket;
  private sharedWebAcl?: wafv2.CfnWebACL;


  constructor(scope: Construct, id: string, props: MicroserviceEnvironmentProps = {}) {
    super(scope, id);
    this.validate(id, props);

    this.stageProfile = props.stageProfile ?? StageProfile.PRODUCTION;
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    this.encryptionKey = props.encryptionKey ?? this.createKey();
    this.alarmTopic = props.alarmTopic ?? this.createAlarmTopic();

    if (props.vpc) {
      this.vpc = props.vpc;
    } else if (props.cluster) {
      this.vpc = props.cluster.vpc;
    } else {
      const created = this.createVpc(props);
      this.vpc = created.vpc;
      this.flowLog = created.flowLog;
    }
    this.serviceSubnets = props.serviceSubnets ?? {
      subnetType: this.vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
    };
    this.endpointSecurityGroup = props.createVpcEndpoints ? this.addVpcEndpoints(props.additionalVpcEndpoints ?? []) : undefined;
    // Once the tree is complete (every grant made), report tasks allowed to call an AWS
    // service they cannot reach: no route to the internet and no endpoint for it.
    this.node.addValidation({ validate: () => this.reportUnreachableServices() });

    this.cluster = props.cluster ?? new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      enableFargateCapacityProviders: true,
    });

    this.namespace = props.namespace ?? new servicediscovery.PrivateDnsNamespace(this, 'Namespace', {
      vpc: this.vpc,
      name: props.namespaceName ?? defaultNamespaceName(id),
      description: `Service discovery for ${this.node.path}`,
    });

    this.props = props;
    this.hostedZone = props.hostedZone;
    this.certificate = props.certificate;
    this.https = props.certificate !== undefined;
    if (props.createLoadBalancer) {
      const lb = this._addLoadBalancer(this, {
        certificate: props.certificate,
        internetFacing: props.internetFacing ?? true,
        sslPolicy: props.sslPolicy,
        deletionProtection: props.loadBalancerDeletionProtection ?? true,
        description: `Shared load balancer of ${this.node.path}`,
        notFoundByDefault: true,
      });
      this.loadBalancer = lb.loadBalancer;
      this.listener = lb.listener;
    }
  }

  /** The bucket load balancers of the environment write access logs to, once one exists. */
  public get accessLogsBucket(): s3.IBucket | undefined {
    return this.sharedAccessLogsBucket ?? this.props.accessLogsBucket;
  }

  /**
   * The bucket load balancers of the environment write access logs to, created on first use.
   * @internal
   */
  public _obtainAccessLogsBucket(): s3.IBucket {
    this.sharedAccessLogsBucket ??= this.props.accessLogsBucket ?? this.createAccessLogsBucket();
    return this.sharedAccessLogsBucket;
  }

  /** The AWS WAF web ACL we created for the environment's load balancers, when we created one. */
  public get webAcl(): wafv2.CfnWebACL | undefined {
    return this.sharedWebAcl;
  }

  /** The sizes and counts the stage profile sets. */
  public get stageDefaults(): StageDefaults {
    return stageDefaults(this.stageProfile);
  }

  /** The name of the Cloud Map namespace. */
  public get namespaceName(): string {
    return this.namespace.namespaceName;
  }

  /**
   * Makes sure the VPC has an interface endpoint for `service` when the environment creates
   * VPC endpoints (`createVpcEndpoints`): constructs call it for the AWS services their tasks call
   * (SQS for a consumer or sender, SNS for a publisher). Idempotent; does nothing without
   * `createVpcEndpoints`. Returns the endpoint, if any.
   * @internal
   */
  public _requireEndpoint(service: ec2.InterfaceVpcEndpointAwsService): ec2.IInterfaceVpcEndpoint | undefined {
    if (!this.endpointSecurityGroup) return undefined;
    return this.addInterfaceEndpoint(service, this.endpointSecurityGroup);
  }

  /**
   * Warns when the environment's tasks have no route to the internet (isolated service
   * subnets: no NAT gateway) and `imageName` is on a registry the ECR endpoints cannot reach
   * (Docker Hub, `public.ecr.aws`, `ghcr.io`, another Region's ECR...). A warning, not an
   * error: the VPC may reach the registry through a proxy, a peered or transit network we
   * cannot see. Images whose registry is a token (asset images, `fromEcrRepository`) are
   * private ECR and pass. `scope` is the service. The environment checks the containers of
   * every Fargate service of its cluster once the tree is complete; each image is reported
   * once per service.
   * @internal
   */
  public _checkImage(scope: Construct, imageName: string): void {
    if (this.serviceSubnetsHaveEgress()) return;
    if (imageReachableThroughEndpoints(imageName, Stack.of(this).region) !== false) return;
    const key = `${scope.node.path}\n${imageName}`;
    if (this.reportedImages.has(key)) return;
    this.reportedImages.add(key);
    // ECR's endpoints serve private registries of their Region only; the first pull through a
    // pull through cache rule needs a route to the internet even with the endpoints
    // (https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html).
    Annotations.of(scope).addWarningV2('cdk-microservices:image-unreachable',
      `The image ${imageName} of ${scope.node.path} is not on a private ECR registry of this Region, and the service subnets of `
      + `${this.node.path} have no route to the internet (no NAT gateway): tasks would fail to pull it. Push the image to a private ECR `
      + 'repository in this Region, or use an ECR pull through cache rule (its first pull of an image needs internet access), or give '
      + 'the environment a NAT gateway (`natGateways`) or subnets with egress (`serviceSubnets`).');
  }

  /**
   * Warns on each Fargate service of the cluster whose images its tasks cannot pull
   * (`_checkImage`), and on each whose task role may call an AWS service
   * (SQS, SNS, EventBridge, Step Functions, X-Ray...) that its tasks cannot reach: the service
   * subnets have no route to the internet and the environment made no endpoint for it. A
   * warning, not an error: the VPC may have endpoints or a proxy we did not create.
   */
  private reportUnreachableServices(): string[] {
    if (this.serviceSubnetsHaveEgress()) return [];
    for (const construct of this.node.root.node.findAll()) {
      if (!(construct instanceof ecs.FargateService) || construct.cluster !== this.cluster) continue;
      const owner = construct.node.scope ?? construct;
      for (const child of construct.taskDefinition.node.children) {
        if (child instanceof ecs.ContainerDefinition) this._checkImage(owner, child.imageName);
      }
      const missing = new Map<ec2.InterfaceVpcEndpointAwsService, Set<string>>();
      for (const action of allowedActions(construct.taskDefinition.taskRole)) {
        const endpoint = ENDPOINT_OF_ACTION_PREFIX[action.split(':')[0].toLowerCase()];
        if (!endpoint || this.interfaceEndpoints.has(endpoint.name)) continue;
        missing.set(endpoint, (missing.get(endpoint) ?? new Set<string>()).add(action));
      }
      for (const [endpoint, actions] of missing) {
        const shortName = endpoint.shortName;
        const name = constantNameOf(endpoint);
        Annotations.of(owner).addWarningV2(`cdk-microservices:endpoint-missing-${shortName}`,
          `The tasks of ${owner.node.path} may call ${[...actions].sort().join(', ')}, but the service subnets of ${this.node.path} `
          + `have no route to the internet (no NAT gateway) and it created no '${shortName}' interface endpoint: the calls would time out. `
          + (BASE_ENDPOINTS.some(([, base]) => base === endpoint) ? 'Set `createVpcEndpoints: true`'
            : `${this.endpointSecurityGroup ? 'Add' : 'Set `createVpcEndpoints: true` and add'} ec2.InterfaceVpcEndpointAwsService.${name} to \`additionalVpcEndpoints\``)
          + ', or give the environment a NAT gateway (`natGateways`).');
      }
    }
    return [];
  }

  /**
   * Whether the selected service subnets route to the internet: false only when every one of
   * them is an isolated subnet (no NAT gateway or internet gateway route).
   */
  private serviceSubnetsHaveEgress(): boolean {
    if (this.serviceSubnets.subnetType !== undefined) return this.serviceSubnets.subnetType !== ec2.SubnetType.PRIVATE_ISOLATED;
    const isolated = new Set(this.vpc.isolatedSubnets.map((s) => s.subnetId));
    let selected: ec2.ISubnet[];
    try {
      selected = this.vpc.selectSubnets(this.serviceSubnets).subnets;
    } catch {
      return true; // a selection the VPC cannot resolve is refused where the service uses it
    }
    return selected.length === 0 || selected.some((s) => !isolated.has(s.subnetId));
  }

  /**
   * Creates a log group with the environment's retention and key.
   * @internal
   */
  public _createLogGroup(scope: Construct, id: string, retention?: logs.RetentionDays): logs.LogGroup {
    return new logs.LogGroup(scope, id, {
      retention: retention ?? this.logRetention,
      encryptionKey: this.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  private validate(id: string, given: MicroserviceEnvironmentProps): void {
    const p = new Problems(CLASS, this);
    const props = checkKinds(p, given, [
      ['maxAzs', 'number'], ['vpcCidr', 'string'], ['natGateways', 'number'], ['createVpcEndpoints', 'boolean'], ['namespaceName', 'string'],
      ['logRetention', 'number'], ['createLoadBalancer', 'boolean'], ['allowPlainHttp', 'boolean'], ['internetFacing', 'boolean'],
      ['loadBalancerDeletionProtection', 'boolean'], ['webAclArn', 'string'], ['createWebAcl', 'boolean'],
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
      const owner = ENDPOINT_OWNERS.get(props.vpc);
      p.when(owner !== undefined,
        `\`createVpcEndpoints\`: the VPC already has endpoints from ${owner}; turn them on in one environment per VPC (they share private DNS names)`);
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
      p.when(Token.isUnresolved(Stack.of(this).region),
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

  private createAlarmTopic(): sns.Topic {
    const stack = Stack.of(this);
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Alarms of ${this.node.path}`,
      masterKey: this.encryptionKey,
      enforceSSL: true,
    });
    // A topic policy replaces SNS's default policy, so the TLS deny alone would leave CloudWatch
    // no right to publish: alarm actions publish as the cloudwatch.amazonaws.com service
    // principal, limited here to this account's alarms in this Region (confused deputy
    // prevention). See https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
    // and https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html.
    topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
      },
    }));
    return topic;
  }

  private createKey(): kms.Key {
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the log groups and data of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
      },
    }));
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToNotify',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }));
    denyGrantsNotForAwsResources(key);
    return key;
  }

  private createVpc(props: MicroserviceEnvironmentProps): { vpc: ec2.Vpc; flowLog: ec2.FlowLog } {
    const natGateways = props.natGateways ?? (props.createVpcEndpoints ? 0 : 1);
    const vpc = new ec2.Vpc(this, 'Vpc', {
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
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this._createLogGroup(this, 'FlowLogGroup')),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    acknowledge(vpc, [
      ...nistAndHipaa('VPCNoUnrestrictedRouteToIGW', 'Only the public subnets route 0.0.0.0/0 to the internet gateway; they hold the internet-facing load balancer and NAT gateways, and tasks run in private subnets.'),
      ...nistAndHipaa('VPCDefaultSecurityGroupClosed', 'No resource of the environment uses the default security group; closing it takes a Lambda-backed custom resource outside the VPC, which Control Tower CT.LAMBDA.PR.3 forbids.'),
      ...nistAndHipaa('IAMNoInlinePolicy', 'The flow log role has one policy, written by CDK, scoped to its own log group; a managed policy would add no reuse.'),
    ]);
    return { vpc, flowLog };
  }

  private addVpcEndpoints(additional: ec2.InterfaceVpcEndpointAwsService[]): ec2.SecurityGroup {
    const subnets = this.serviceSubnets;
    // One security group for the interface endpoints; each service is let in on 443 when it
    // is created, instead of the whole VPC range.
    ENDPOINT_OWNERS.set(this.vpc, this.node.path);
    const securityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: `Interface VPC endpoints of ${this.node.path}`,
      allowAllOutbound: false,
    });
    for (const [name, service] of BASE_ENDPOINTS) this.addInterfaceEndpoint(service, securityGroup, name);
    for (const service of additional) this.addInterfaceEndpoint(service, securityGroup);
    this.vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [subnets] });
    this.vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [subnets] });
    return securityGroup;
  }

  /**
   * An interface endpoint for `service` in the service subnets, with private DNS (so the SDKs'
   * default endpoint names resolve to it) and the endpoint security group; once per service.
   * See https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html.
   */
  private addInterfaceEndpoint(
    service: ec2.InterfaceVpcEndpointAwsService, securityGroup: ec2.ISecurityGroup, name?: string,
  ): ec2.InterfaceVpcEndpoint {
    const existing = this.interfaceEndpoints.get(service.name);
    if (existing) return existing;
    const endpoint = this.vpc.addInterfaceEndpoint(`${name ?? endpointIdOf(service)}Endpoint`, {
      service,
      subnets: this.serviceSubnets,
      privateDnsEnabled: true,
      open: false,
      securityGroups: [securityGroup],
    });
    this.interfaceEndpoints.set(service.name, endpoint);
    return endpoint;
  }

  /**
   * Creates an Application Load Balancer in the environment's VPC under `scope`, with the
   * environment's defaults: HTTPS with the certificate and a TLS policy, port 80 redirected
   * (or plain HTTP when no certificate is given, with a warning), invalid headers dropped,
   * access logs to the environment's bucket and the environment's WAF web ACL (both
   * created once, on first use). The shared load balancer and canary slots use it.
   * @internal
   */
  public _addLoadBalancer(scope: Construct, options: LoadBalancerOptions): {
    loadBalancer: elbv2.ApplicationLoadBalancer; listener: elbv2.ApplicationListener;
  } {
    const internetFacing = options.internetFacing;
    const notFound = options.notFoundByDefault
      ? elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Not found' }) : undefined;
    const securityGroup = new ec2.SecurityGroup(scope, 'LoadBalancerSecurityGroup', {
      vpc: this.vpc,
      description: options.description,
      allowAllOutbound: false,
    });
    const loadBalancer = new elbv2.ApplicationLoadBalancer(scope, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing,
      securityGroup,
      vpcSubnets: { subnetType: internetFacing ? ec2.SubnetType.PUBLIC : this.serviceSubnets.subnetType },
      deletionProtection: options.deletionProtection,
      dropInvalidHeaderFields: true,
    });
    loadBalancer.logAccessLogs(this._obtainAccessLogsBucket(), 'alb');

    const peer = internetFacing ? ec2.Peer.anyIpv4() : ec2.Peer.ipv4(this.vpc.vpcCidrBlock);
    let listener: elbv2.ApplicationListener;
    if (options.certificate) {
      listener = loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [options.certificate],
        sslPolicy: options.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultAction: notFound,
      });
      const redirect = loadBalancer.addListener('HttpRedirect', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
      acknowledge(redirect, nistAndHipaa('ELBv2ACMCertificateRequired', 'This port 80 listener only answers with a permanent redirect to the HTTPS listener; it serves no content.'));
      securityGroup.addIngressRule(peer, ec2.Port.tcp(443), 'HTTPS from clients');
      securityGroup.addIngressRule(peer, ec2.Port.tcp(80), 'HTTP from clients, redirected to HTTPS');
    } else {
      Annotations.of(scope).addWarningV2('cdk-microservices:plainHttp',
        'The load balancer serves plain HTTP (allowPlainHttp): traffic is not encrypted in transit. Use a certificate outside development.');
      listener = loadBalancer.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        open: false,
        defaultAction: notFound,
      });
      securityGroup.addIngressRule(peer, ec2.Port.tcp(80), 'HTTP from clients (plain HTTP allowed explicitly)');
    }
    if (internetFacing) {
      acknowledge(securityGroup, [{
        id: 'AwsSolutions-EC23',
        reason: 'An internet-facing load balancer accepts clients from any IPv4 address on its listener ports only.',
      }]);
    }
    if (this.props.webAclArn === undefined && this.props.createWebAcl !== false) this.sharedWebAcl ??= this.createWebAcl();
    const webAclArn = this.props.webAclArn ?? this.sharedWebAcl?.attrArn;
    if (webAclArn) {
      new wafv2.CfnWebACLAssociation(scope, 'WebAclAssociation', {
        resourceArn: loadBalancer.loadBalancerArn,
        webAclArn,
      });
    }
    return { loadBalancer, listener };
  }

  private createWebAcl(): wafv2.CfnWebACL {
    const managed = (name: string, priority: number): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
    });
    const metricName = Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: `Shared load balancer of ${this.node.path}`,
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName, sampledRequestsEnabled: true },
      rules: [
        managed('AWSManagedRulesAmazonIpReputationList', 0),
        managed('AWSManagedRulesKnownBadInputsRuleSet', 1),
        managed('AWSManagedRulesCommonRuleSet', 2),
      ],
    });
    // WAF logs to CloudWatch Logs only into log groups named aws-waf-logs-*, so the name is
    // fixed. Kept on update and delete but not when its creation is rolled back
    // (DeletionPolicy RetainExceptOnCreate): a log group kept by a failed first deployment
    // would make the next one fail with "already exists".
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
    const logGroup = new logs.LogGroup(this, 'WebAclLogs', {
      logGroupName: `aws-waf-logs-${Names.uniqueResourceName(this, { maxLength: 400, separator: '-' })}`,
      retention: this.logRetention,
      encryptionKey: this.encryptionKey,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    new wafv2.CfnLoggingConfiguration(this, 'WebAclLogging', {
      resourceArn: webAcl.attrArn,
      logDestinationConfigs: [logGroup.logGroupArn],
    });
    return webAcl;
  }

  private createAccessLogsBucket(): s3.Bucket {
    const expiration = Token.isUnresolved(this.logRetention) || this.logRetention <= 0
      ? undefined : Duration.days(this.logRetention);
    const retention = this.props.accessLogsObjectLockRetention;
    if (retention) {
      // "The Content-MD5 or x-amz-sdk-checksum-algorithm header is required for any request to
      // upload an object with a retention period configured using Amazon S3 Object Lock";
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html. The Elastic Load
      // Balancing guide says nothing of the headers it sends:
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
      Annotations.of(this).addWarningV2('cdk-microservices:accessLogsObjectLockChecksum',
        `\`accessLogsObjectLockRetention\` gives the access-log bucket of ${this.node.path} a default retention: S3 then refuses every PutObject without a Content-MD5 or x-amz-checksum-* header. `
        + 'Whether Elastic Load Balancing sends one is not documented: deliver an access log in a test account before relying on it.');
    }
    // Object Lock stays activated (without a default retention unless asked): these are
    // Elastic Load Balancing access logs, not S3 server access logs, and the ELB bucket
    // requirements (same Region, SSE-S3, a bucket policy) say nothing against Object Lock.
    return createLogBucket(this, 'AccessLogs', {
      writer: 'Elastic Load Balancing',
      logs: 'load balancer access logs',
      expiration,
      objectLock: true,
      defaultRetention: retention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
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

function defaultNamespaceName(id: string): string {
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

