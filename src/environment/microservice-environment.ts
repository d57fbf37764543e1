import {
  CfnOutput,
  RemovalPolicy,
  Stack,
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
  aws_ssm as ssm,
  aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { defaultEnvironmentName } from './environment-document';
import { IMicroserviceEnvironment } from './environment-interface';
import { EnvironmentLoadBalancing, LoadBalancerOptions } from './environment-load-balancer';
import { lookUpEnvironment, shareEnvironment } from './environment-sharing';
import { defaultNamespaceName, validateEnvironmentProps } from './environment-validation';
import { StageProfile, stageDefaults, StageDefaults } from './stage-profile';
import { createVpc, EnvironmentEndpoints } from './vpc-endpoints';
import { denyGrantsNotForAwsResources } from '../private/kms';

export { LoadBalancerOptions } from './environment-load-balancer';

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
   * Whether the environment's services trace (`TwelveFactorServiceProps.tracing`) when they do
   * not say. Services of other apps on a shared environment (`fromLookup`) set `tracing` themselves.
   *
   * @default false
   */
  readonly defaultTracing?: boolean;

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
   * @default true when there is a load balancer, or with `enableTeamApps` (the load
   * balancers of other apps are associated with it)
   */
  readonly createWebAcl?: boolean;

  /**
   * Add a CloudFormation output with the DNS name of the shared load balancer (id
   * `LoadBalancerDnsName` under the environment, so its logical id is unique in the stack):
   * point a CNAME at it, or try the services before their DNS records exist. Only with
   * `createLoadBalancer`. A service's own outputs (its URL) are its `createOutputs`.
   *
   * @default false
   */
  readonly createOutputs?: boolean;

  /**
   * Share the environment with services that other CDK apps deploy (each team its own app):
   * publishes what they need as a JSON document in the SSM parameter
   * `/cdk-microservices/<environmentName>/environment`, which
   * `MicroserviceEnvironment.fromLookup` reads at synth time, and creates the claims function
   * that gives listener rule priorities and Cloud Map service names to the services of every
   * app at deploy time, so two apps synthesized apart never take the same priority or name.
   * No CloudFormation export is involved: the apps deploy, update and are deleted apart. The
   * access-log bucket (whose policy lets every load balancer of the account write under `alb/`
   * and `nlb/`) and the web ACL (unless `createWebAcl: false` or `webAclArn`) are created with
   * the environment, so that the load balancers of other apps (canary slots, PrivateLink) log
   * to it and are protected by it.
   *
   * @default false
   */
  readonly enableTeamApps?: boolean;

  /**
   * The name other apps look the environment up by (`MicroserviceEnvironment.fromLookup`): a
   * level of SSM parameter names, unique in the account and Region. Only with
   * `enableTeamApps`.
   *
   * @default - the construct id in kebab case, for example 'platform-env' for `PlatformEnv`
   */
  readonly environmentName?: string;
}

/**
 * How to find an environment another app shared (`enableTeamApps`).
 */
export interface MicroserviceEnvironmentLookupOptions {
  /**
   * The environment's name (its `environmentName`).
   */
  readonly environmentName: string;
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
  /**
   * The environment another app shared (`enableTeamApps`), read at synth time from the SSM
   * parameter `/cdk-microservices/<environmentName>/environment` in this stack's account and
   * Region, and cached in `cdk.context.json` as `Vpc.fromLookup` does (refresh it with
   * `cdk context --reset <key>` after the environment changes). Every construct of this
   * library accepts it; its resources are imported by ID and ARN, so this app's templates hold
   * no `Fn::ImportValue` and deploy apart from the environment's. The stack must have an
   * explicit account and Region, the environment's own: services of another account or Region
   * are not supported.
   *
   * @param scope the scope of the imported environment (a construct of a stack with an explicit `env`)
   * @param id its construct id
   * @param options the environment's name
   */
  public static fromLookup(scope: Construct, id: string, options: MicroserviceEnvironmentLookupOptions): IMicroserviceEnvironment {
    return lookUpEnvironment(scope, id, options);
  }

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
  /** Whether services trace when they do not say (`defaultTracing`). */
  public readonly defaultTracing: boolean;
  /** The stage profile. */
  public readonly stageProfile: StageProfile;
  /** The topic the services' alarms notify. */
  public readonly alarmTopic: sns.ITopic;
  /** The subnets the tasks run in. */
  public readonly serviceSubnets: ec2.SubnetSelection;
  /** The shared load balancer, when there is one. */
  public readonly loadBalancer?: elbv2.IApplicationLoadBalancer;
  /** The listener services route on (HTTPS, or HTTP when plain HTTP is allowed). */
  public readonly listener?: elbv2.IApplicationListener;
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

  /** The name other apps look the environment up by, with `enableTeamApps`. */
  public readonly environmentName?: string;
  /** The SSM parameter holding what other apps need, with `enableTeamApps`. */
  public readonly documentParameter?: ssm.IStringParameter;

  private readonly endpoints: EnvironmentEndpoints;
  private readonly loadBalancing: EnvironmentLoadBalancing;

  constructor(scope: Construct, id: string, props: MicroserviceEnvironmentProps = {}) {
    super(scope, id);
    validateEnvironmentProps(this, id, props);
    this.endpoints = new EnvironmentEndpoints(this);
    this.loadBalancing = new EnvironmentLoadBalancing(this, props);

    this.stageProfile = props.stageProfile ?? StageProfile.PRODUCTION;
    this.logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    this.defaultTracing = props.defaultTracing ?? false;
    this.encryptionKey = props.encryptionKey ?? this.createKey();
    this.alarmTopic = props.alarmTopic ?? this.createAlarmTopic();

    if (props.vpc) {
      this.vpc = props.vpc;
    } else if (props.cluster) {
      this.vpc = props.cluster.vpc;
    } else {
      const created = createVpc(this, props, () => this._createLogGroup(this, 'FlowLogGroup'));
      this.vpc = created.vpc;
      this.flowLog = created.flowLog;
    }
    this.serviceSubnets = props.serviceSubnets ?? {
      subnetType: this.vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
    };
    this.endpointSecurityGroup = props.createVpcEndpoints ? this.endpoints.create(props.additionalVpcEndpoints ?? []) : undefined;
    // Once the tree is complete (every grant made), report tasks allowed to call an AWS
    // service they cannot reach: no route to the internet and no endpoint for it.
    this.node.addValidation({ validate: () => { this.endpoints.report(); return []; } });

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
      if (props.createOutputs) {
        new CfnOutput(this, 'LoadBalancerDnsName', {
          description: `The DNS name of the shared load balancer of ${this.node.path}`,
          value: lb.loadBalancer.loadBalancerDnsName,
        });
      }
    }

    if (props.enableTeamApps) {
      const environmentName = props.environmentName ?? defaultEnvironmentName(id);
      this.environmentName = environmentName;
      // Created now (unless `createWebAcl: false`), as the access-log bucket: the load balancers
      // of other apps (canary slots) are associated with it, and they cannot create it here.
      const webAclArn = this.loadBalancing.obtainWebAclArn();
      const shared = shareEnvironment(this, environmentName, {
        endpointServices: () => this.endpoints.interfaceServiceNames(),
        webAclArn: () => webAclArn,
        accessLogsBucket: () => this._obtainAccessLogsBucket(),
      });
      this.documentParameter = shared.parameter;
    }
  }

  /** The bucket load balancers of the environment write access logs to, once one exists. */
  public get accessLogsBucket(): s3.IBucket | undefined {
    return this.loadBalancing.accessLogsBucket;
  }

  /**
   * The bucket load balancers of the environment write access logs to, created on first use.
   * @internal
   */
  public _obtainAccessLogsBucket(): s3.IBucket {
    return this.loadBalancing.obtainAccessLogsBucket();
  }

  /** The AWS WAF web ACL we created for the environment's load balancers, when we created one. */
  public get webAcl(): wafv2.CfnWebACL | undefined {
    return this.loadBalancing.webAcl;
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
    return this.endpoints.require(service);
  }

  /**
   * Warns when the environment's tasks have no route to the internet (isolated service
   * subnets: no NAT gateway) and `imageName` is on a registry the ECR endpoints cannot reach
   * (Docker Hub, `public.ecr.aws`, `ghcr.io`, another Region's ECR...). A warning, not an
   * error: the VPC may reach the registry through a proxy, a peered or transit network we
   * cannot see. Images whose registry is a token (asset images, `fromEcrRepository`) are
   * private ECR and pass. `scope` is the service. The environment checks the containers of
   * every Fargate service of its cluster once the tree is complete and reports the images
   * once, each image of each service listed once, in one warning on the environment.
   * @internal
   */
  public _checkImage(scope: Construct, imageName: string): void {
    this.endpoints.checkImage(scope, imageName);
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
    return this.loadBalancing.addLoadBalancer(scope, options);
  }
}
