import {
  Annotations,
  Aws,
  CfnOutput,
  CfnResource,
  Duration,
  Fn,
  IResource,
  Names,
  Resource,
  Stack,
  Token,
  Tokenization,
  aws_certificatemanager as acm,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_route53 as route53,
  aws_s3 as s3,
  aws_sns as sns,
  custom_resources as cr,
} from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct, IConstruct } from 'constructs';
import { obtainAccessLogsBucket } from '../environment/environment-support';
import { acknowledge, nistAndHipaa, suppressGuard } from '../private/acknowledge';
import { isDomainName, normalDnsName, zoneNameOf } from '../private/naming';
import { Problems, checkInt, checkKinds, checkSeconds, anyAddressRange, cidrRangeProblem, enumProblem, kindProblem, known, show } from '../private/validation';
import { ITwelveFactorService } from '../service';
import { isTwelveFactorService } from '../service/twelve-factor-service';

const CLASS = 'PrivateLinkExposure';
const DEFAULT_ENDPOINT_SERVICE_PREFIX = 'com.amazonaws.vpce';
/** The construct id of CDK's singleton Lambda function for AwsCustomResource, at the stack's root. */
const AWS_CUSTOM_RESOURCE_ID = 'AWS679f53fac002430cb0da5b7982bd2287';
const VERIFICATION_NAME = 'ServiceConfigurations.0.PrivateDnsNameConfiguration.Name';
const VERIFICATION_VALUE = 'ServiceConfigurations.0.PrivateDnsNameConfiguration.Value';

/** The health check fields we set; the user's fields replace them one by one. */
const DEFAULT_HEALTH_CHECK: elbv2.HealthCheck = {
  protocol: elbv2.Protocol.TCP,
  interval: Duration.seconds(10),
  healthyThresholdCount: 2,
  unhealthyThresholdCount: 2,
};

/**
 * The listener protocol of a PrivateLink exposure.
 */
export enum PrivateLinkProtocol {
  /** TCP: bytes pass through to the service, which may speak TLS itself. */
  TCP = 'TCP',
  /** TLS: the load balancer terminates TLS with an ACM certificate and forwards TCP to the service. */
  TLS = 'TLS',
}

/**
 * The events of an endpoint service that send a connection notification.
 */
export enum ConnectionEvent {
  /** A consumer asked to connect (an endpoint was created). */
  CONNECT = 'Connect',
  /** A connection request was accepted. */
  ACCEPT = 'Accept',
  /** A connection request was rejected. */
  REJECT = 'Reject',
  /** An endpoint connected to the service was deleted. */
  DELETE = 'Delete',
}

/**
 * A service offered through AWS PrivateLink, as its consumers see it.
 */
export interface IPrivateLinkExposure extends IResource {
  /**
   * The endpoint service name consumers create their interface endpoints with, for example
   * `com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0`.
   * @attribute
   */
  readonly endpointServiceName: string;
  /** The port consumers connect to. */
  readonly port: number;
  /** The listener protocol. */
  readonly protocol: PrivateLinkProtocol;
  /**
   * The private DNS name of the endpoint service, when it has one.
   * @default - none: consumers use the endpoint's DNS names or their own record
   */
  readonly privateDnsName?: string;
}

/**
 * The attributes of a PrivateLink exposure made elsewhere (another app, account or Region).
 */
export interface PrivateLinkExposureAttributes {
  /** The endpoint service name, for example `com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0`. */
  readonly endpointServiceName: string;
  /** The port consumers connect to. */
  readonly port: number;
  /**
   * The listener protocol.
   * @default PrivateLinkProtocol.TCP
   */
  readonly protocol?: PrivateLinkProtocol;
  /**
   * The private DNS name of the endpoint service, when the provider set one and verified it.
   * @default - none
   */
  readonly privateDnsName?: string;
}

/**
 * Properties of a PrivateLinkExposure.
 */
export interface PrivateLinkExposureProps {
  /**
   * The service to expose. It must have a `port` and a rolling deployment, and be in the
   * exposure's stack.
   */
  readonly service: ITwelveFactorService;

  /**
   * Who may create endpoints to the service: accounts (`new iam.AccountPrincipal(...)`),
   * roles or users (`new iam.ArnPrincipal(roleArn)`). At least one. `*` (anyone) needs
   * `allowAnyPrincipal`.
   *
   * @see https://docs.aws.amazon.com/vpc/latest/privatelink/configure-endpoint-service.html#add-remove-permissions
   */
  readonly allowedPrincipals: iam.ArnPrincipal[];

  /**
   * Allow the principal `*`, that is any AWS account, to create endpoints to the service.
   * With acceptance required, each request still waits for you.
   *
   * @default false
   */
  readonly allowAnyPrincipal?: boolean;

  /**
   * The client address ranges the load balancer lets in on its listener port. The load
   * balancer's security group evaluates PrivateLink traffic by the client's own private
   * address (not the endpoint's), so these are the consumer VPCs' ranges (for example
   * `ec2.Peer.ipv4('10.1.0.0/16')`). `0.0.0.0/0` and `::/0` are refused.
   *
   * @default - none: required unless `enforceInboundRulesOnPrivateLinkTraffic` is false
   */
  readonly allowedClients?: ec2.IPeer[];

  /**
   * Evaluate the load balancer's inbound security group rules on PrivateLink traffic. Turn
   * off only when consumers' address ranges are unknown; access is then controlled by
   * `allowedPrincipals` and acceptance alone.
   *
   * @default true
   */
  readonly enforceInboundRulesOnPrivateLinkTraffic?: boolean;

  /**
   * Each connection request waits for the provider to accept it.
   *
   * @default true
   */
  readonly acceptanceRequired?: boolean;

  /**
   * The Regions, besides the service's own, from which consumers may connect (cross-Region
   * PrivateLink).
   *
   * @default - only the service's Region
   */
  readonly allowedRegions?: string[];

  /**
   * The listener protocol.
   *
   * @default - PrivateLinkProtocol.TLS with a `certificate`, otherwise PrivateLinkProtocol.TCP
   */
  readonly protocol?: PrivateLinkProtocol;

  /**
   * The ACM certificate of a TLS listener; it should cover the name consumers use (the
   * private DNS name, or the consumer's own record).
   *
   * @default - none: a TCP listener
   */
  readonly certificate?: acm.ICertificate;

  /**
   * The TLS security policy of a TLS listener.
   *
   * @default elbv2.SslPolicy.RECOMMENDED_TLS
   */
  readonly sslPolicy?: elbv2.SslPolicy;

  /**
   * The port consumers connect to.
   *
   * @default - 443 for TLS, the service's port for TCP
   */
  readonly port?: number;

  /**
   * The health check of the target group. The fields you set replace ours one by one (for
   * example `{ protocol: elbv2.Protocol.HTTP, path: '/health' }` keeps the 10-second interval).
   * Health checks of IP targets cannot be turned off.
   *
   * @default - TCP connection to the service's port every 10 seconds, 2 checks healthy or unhealthy
   */
  readonly healthCheck?: elbv2.HealthCheck;

  /**
   * How long the load balancer lets connections of a stopping task drain.
   *
   * @default - the service's `stopTimeout`
   */
  readonly deregistrationDelay?: Duration;

  /**
   * Protect the load balancer from deletion.
   *
   * @default true
   */
  readonly deletionProtection?: boolean;

  /**
   * A private DNS name for the endpoint service, so consumers reach it by that name with
   * private DNS on their endpoint. AWS verifies that you own the domain through a TXT
   * record we write into `publicHostedZone`; setting and verifying the name takes
   * Lambda-backed custom resources (AWS CloudFormation has no property for it).
   *
   * @default - none
   * @see https://docs.aws.amazon.com/vpc/latest/privatelink/manage-dns-names.html
   */
  readonly privateDnsName?: string;

  /**
   * The public hosted zone that holds `privateDnsName`, where the verification record goes.
   *
   * @default - none; required with `privateDnsName`
   */
  readonly publicHostedZone?: route53.IPublicHostedZone;

  /**
   * Send connection notifications (requests, acceptances, rejections, deletions) to an SNS
   * topic.
   *
   * @default - on when acceptance is required or a `notificationTopic` is given
   */
  readonly connectionNotifications?: boolean;

  /**
   * The topic connection notifications go to. Its policy (and its key's, if encrypted) must
   * let `vpce.amazonaws.com` publish; we add the topic statement (an imported topic's policy
   * cannot be changed: a warning says so).
   *
   * @default - a new topic encrypted with the environment's key
   */
  readonly notificationTopic?: sns.ITopic;

  /**
   * The events that send a notification.
   *
   * @default - all four: CONNECT, ACCEPT, REJECT, DELETE
   */
  readonly connectionEvents?: ConnectionEvent[];

  /**
   * Add a stack output with the endpoint service name, for consumers in other apps.
   *
   * @default false
   */
  readonly output?: boolean;
}

/**
 * Exposes a `TwelveFactorService` to other VPCs and accounts through AWS PrivateLink: an
 * internal Network Load Balancer across the service's subnets (cross-zone, its own security
 * group enforced on PrivateLink traffic, access logs, deletion protection), a TCP or TLS
 * listener forwarding to the tasks by IP, the tasks' security group opened to the load
 * balancer only, and a VPC endpoint service with explicit allowed principals, acceptance
 * required and connection notifications. Consumers use `PrivateLinkConsumer`.
 *
 * @example
 * declare const billing: TwelveFactorService;
 * declare const certificate: acm.ICertificate;
 * const link = new PrivateLinkExposure(this, 'BillingLink', {
 *   service: billing,
 *   allowedPrincipals: [new iam.AccountPrincipal('111122223333')],
 *   allowedClients: [ec2.Peer.ipv4('10.1.0.0/16')],
 *   certificate,
 * });
 */
export class PrivateLinkExposure extends Resource implements IPrivateLinkExposure, ec2.IConnectable {
  /** Imports a PrivateLink exposure made elsewhere, to consume it. */
  public static fromPrivateLinkExposureAttributes(scope: Construct, id: string, attrs: PrivateLinkExposureAttributes): IPrivateLinkExposure {
    return new ImportedExposure(scope, id, attrs);
  }

  /** The service exposed. */
  public readonly service: ITwelveFactorService;
  /** The Network Load Balancer. */
  public readonly loadBalancer: elbv2.NetworkLoadBalancer;
  /** The load balancer's security group. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Network access of the load balancer: clients in, the service's port out. */
  public readonly connections: ec2.Connections;
  /** The listener. */
  public readonly listener: elbv2.NetworkListener;
  /** The target group: the service's tasks by IP. */
  public readonly targetGroup: elbv2.NetworkTargetGroup;
  /** The VPC endpoint service. */
  public readonly endpointService: ec2.VpcEndpointService;
  /** The endpoint service name consumers use. */
  public readonly endpointServiceName: string;
  /** The endpoint service id, for example `vpce-svc-0123456789abcdef0`. */
  public readonly endpointServiceId: string;
  /** The port consumers connect to. */
  public readonly port: number;
  /** The listener protocol. */
  public readonly protocol: PrivateLinkProtocol;
  /** The principals allowed to connect, as ARNs. */
  public readonly allowedPrincipalArns: string[];
  /** Whether each connection request waits for acceptance. */
  public readonly acceptanceRequired: boolean;
  /**
   * The private DNS name, when one is set.
   * @default - none
   */
  public readonly privateDnsName?: string;
  /**
   * The topic connection notifications go to, when they are on.
   * @default - none
   */
  public readonly notificationTopic?: sns.ITopic;

  constructor(scope: Construct, id: string, props: PrivateLinkExposureProps) {
    super(scope, id);
    const checked = this.validate(props);
    const service = checked.service;
    const env = service.environment;
    const servicePort = service.port as number;
    this.service = service;
    this.protocol = checked.protocol ?? (checked.certificate ? PrivateLinkProtocol.TLS : PrivateLinkProtocol.TCP);
    const tls = this.protocol === PrivateLinkProtocol.TLS;
    this.port = checked.port ?? (tls ? 443 : servicePort);
    this.acceptanceRequired = checked.acceptanceRequired ?? true;
    this.privateDnsName = checked.privateDnsName;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: env.vpc,
      description: `PrivateLink load balancer of ${service.node.path}`,
      allowAllOutbound: false,
    });
    // One rule per distinct peer (the same range or group given twice would be a duplicate rule).
    const ruleKey = (client: ec2.IPeer): string => JSON.stringify(Stack.of(this).resolve(client.toIngressRuleConfig()));
    const clients = new Map((checked.allowedClients ?? []).map((client) => [ruleKey(client), client]));
    for (const client of clients.values()) {
      this.securityGroup.addIngressRule(client, ec2.Port.tcp(this.port), `PrivateLink clients of ${service.node.path}`);
    }
    if ([...clients.values()].some((client) => Token.isUnresolved(JSON.stringify(client.toIngressRuleConfig())))) {
      // cdk-nag cannot read a range known only at deployment (another VPC's CIDR): its rules
      // on open ingress throw. Literal ranges are checked above and never any address.
      const reason = 'A client range is known only at deployment (for example a consumer VPC\'s CIDR), which the rule cannot read; only the listener port is opened, to the ranges given, and a literal 0.0.0.0/0 or ::/0 is refused at synth.';
      acknowledge(this.securityGroup, [
        { id: 'AwsSolutions-EC23', reason },
        ...nistAndHipaa('EC2RestrictedCommonPorts', reason),
        ...nistAndHipaa('EC2RestrictedSSH', reason),
      ]);
    }
    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: env.vpc,
      vpcSubnets: env.serviceSubnets,
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [this.securityGroup],
      enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: checked.enforceInboundRulesOnPrivateLinkTraffic ?? true,
      deletionProtection: checked.deletionProtection ?? true,
    });
    this.logAccessLogs(obtainAccessLogsBucket(env, this), 'nlb');
    this.connections = this.loadBalancer.connections;

    this.targetGroup = new elbv2.NetworkTargetGroup(this, 'TargetGroup', {
      vpc: env.vpc,
      port: servicePort,
      protocol: elbv2.Protocol.TCP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: checked.deregistrationDelay ?? service.stopTimeout,
      healthCheck: healthCheckOf(checked.healthCheck),
    });
    this.targetGroup.addTarget(service.service.loadBalancerTarget({
      containerName: service.container.containerName,
      containerPort: servicePort,
    }));
    // The tasks take connections from the load balancer only (traffic and health checks).
    service.connections.allowFrom(this.loadBalancer, ec2.Port.tcp(servicePort), `PrivateLink load balancer ${this.node.path}`);
    const healthPort = checked.healthCheck?.port;
    if (healthPort !== undefined && healthPort !== 'traffic-port' && healthPort !== String(servicePort) && !Token.isUnresolved(healthPort)) {
      service.connections.allowFrom(this.loadBalancer, ec2.Port.tcp(Number(healthPort)), `Health checks of ${this.node.path}`);
    }

    this.listener = this.loadBalancer.addListener('Listener', {
      port: this.port,
      protocol: tls ? elbv2.Protocol.TLS : elbv2.Protocol.TCP,
      certificates: checked.certificate ? [checked.certificate] : undefined,
      sslPolicy: tls ? (checked.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS) : undefined,
      defaultTargetGroups: [this.targetGroup],
    });
    if (!tls) {
      Annotations.of(this).addWarningV2('cdk-microservices:privateLinkTcp',
        'The PrivateLink listener is TCP: the load balancer passes bytes through and does not encrypt them; terminate TLS in the service, or give a `certificate` for a TLS listener.');
      acknowledge(this.listener, nistAndHipaa('ELBv2ACMCertificateRequired',
        'A TCP listener passes the connection through unterminated (PrivateLink keeps it on the AWS network); TLS, if any, is the service\'s own, end to end, and a warning says so. With a `certificate` the listener is TLS with an ACM certificate.'));
    }

    this.allowedPrincipalArns = checked.allowedPrincipals.map((p) => p.arn);
    this.endpointService = new ec2.VpcEndpointService(this, 'EndpointService', {
      vpcEndpointServiceLoadBalancers: [this.loadBalancer],
      acceptanceRequired: this.acceptanceRequired,
      allowedPrincipals: checked.allowedPrincipals,
      allowedRegions: checked.allowedRegions,
      contributorInsights: false,
    });
    this.endpointServiceId = this.endpointService.vpcEndpointServiceId;
    // The name with the provider's Region (the L2's uses AWS::Region, which a consumer stack
    // would resolve to its own) and the Region's prefix (cn.com.amazonaws.vpce in China).
    const region = Stack.of(this).region;
    const prefix = Token.isUnresolved(region)
      ? DEFAULT_ENDPOINT_SERVICE_PREFIX
      : RegionInfo.get(region).vpcEndpointServiceNamePrefix ?? DEFAULT_ENDPOINT_SERVICE_PREFIX;
    this.endpointServiceName = Fn.join('.', [prefix, region, this.endpointServiceId]);

    if (checked.privateDnsName && checked.publicHostedZone) {
      this.addPrivateDnsName(checked.privateDnsName, checked.publicHostedZone);
    }
    const notify = checked.connectionNotifications ?? (this.acceptanceRequired || checked.notificationTopic !== undefined);
    if (notify) this.notificationTopic = this.addNotifications(checked);
    if (checked.output) {
      new CfnOutput(this, 'EndpointServiceName', {
        value: this.endpointServiceName,
        description: `PrivateLink endpoint service of ${service.node.path}`,
      });
    }
  }

  /**
   * Access logs of the Network Load Balancer: written by the log delivery service (not the
   * Region's load balancing account, as for application load balancers), so the stack needs
   * no known Region. The L2's `logAccessLogs` also grants that account and requires one.
   */
  private logAccessLogs(bucket: s3.IBucket, prefix: string): void {
    this.loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
    this.loadBalancer.setAttribute('access_logs.s3.bucket', bucket.bucketName);
    this.loadBalancer.setAttribute('access_logs.s3.prefix', prefix);
    const account = Stack.of(this).account;
    const delivery = new iam.ServicePrincipal('delivery.logs.amazonaws.com');
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      actions: ['s3:PutObject'],
      principals: [delivery],
      resources: [bucket.arnForObjects(`${prefix}/AWSLogs/${account}/*`)],
      conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': account } },
    }));
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      actions: ['s3:GetBucketAcl'],
      principals: [delivery],
      resources: [bucket.bucketArn],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }));
    // ELB checks that it may write when the attribute is set: the policy must exist first.
    const policy = bucket.policy?.node.defaultChild;
    if (policy instanceof CfnResource && Stack.of(policy) === Stack.of(this)) this.loadBalancer.node.addDependency(policy);
  }

  /**
   * Sets the endpoint service's private DNS name and has AWS verify the domain: three AWS
   * SDK calls through custom resources (CloudFormation has no property for it) and the TXT
   * record AWS asks for. The same calls as CDK's `VpcEndpointServiceDomainName`, which keeps
   * a registry of endpoint services for the whole process and so refuses a second synthesis
   * of the same app in one process (unit tests).
   */
  private addPrivateDnsName(name: string, zone: route53.IPublicHostedZone): void {
    const scope = new Construct(this, 'PrivateDnsName');
    const serviceId = this.endpointServiceId;
    const serviceArn = Stack.of(this).formatArn({ service: 'ec2', resource: 'vpc-endpoint-service', resourceName: serviceId });
    const enable: cr.AwsSdkCall = {
      service: 'EC2',
      action: 'modifyVpcEndpointServiceConfiguration',
      parameters: { ServiceId: serviceId, PrivateDnsName: name },
      physicalResourceId: cr.PhysicalResourceId.of(`${Names.uniqueId(this)}-private-dns`),
    };
    const enableDns = new cr.AwsCustomResource(scope, 'EnableDns', {
      onCreate: enable,
      onUpdate: enable,
      onDelete: { service: 'EC2', action: 'modifyVpcEndpointServiceConfiguration', parameters: { ServiceId: serviceId, RemovePrivateDnsName: true } },
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [serviceArn] }),
      installLatestAwsSdk: false,
    });
    // The verification record AWS asks for; read again whenever the name changes.
    const describe: cr.AwsSdkCall = {
      service: 'EC2',
      action: 'describeVpcEndpointServiceConfigurations',
      parameters: { ServiceIds: [serviceId] },
      physicalResourceId: cr.PhysicalResourceId.of(`${Names.uniqueId(this)}-${name}`),
      outputPaths: [VERIFICATION_NAME, VERIFICATION_VALUE],
    };
    const getNames = new cr.AwsCustomResource(scope, 'GetNames', {
      onCreate: describe,
      onUpdate: describe,
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
      installLatestAwsSdk: false,
    });
    getNames.node.addDependency(enableDns);
    const recordName = getNames.getResponseField(VERIFICATION_NAME);
    const recordValue = getNames.getResponseField(VERIFICATION_VALUE);
    const record = new route53.TxtRecord(scope, 'DnsVerificationRecord', { zone, recordName, values: [recordValue] });
    const start: cr.AwsSdkCall = {
      service: 'EC2',
      action: 'startVpcEndpointServicePrivateDnsVerification',
      parameters: { ServiceId: serviceId },
      physicalResourceId: cr.PhysicalResourceId.of(Fn.join(':', [recordName, recordValue])),
    };
    const verify = new cr.AwsCustomResource(scope, 'StartVerification', {
      onCreate: start,
      onUpdate: start,
      policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: [serviceArn] }),
      installLatestAwsSdk: false,
    });
    verify.node.addDependency(record);

    // The custom resources run in CDK's Lambda function for AwsCustomResource (one per stack,
    // outside any VPC): accepted here, where the user asked for a private DNS name.
    const lambdaReason = 'The Lambda function is CDK\'s AwsCustomResource that sets and verifies the endpoint service\'s private DNS name once per deployment (CloudFormation has no property for it); it handles no data and needs no VPC.';
    const provider = Stack.of(this).node.tryFindChild(AWS_CUSTOM_RESOURCE_ID);
    if (provider) acknowledgeCustomResourceLambda(provider, lambdaReason);
    acknowledge(scope, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ec2:DescribeVpcEndpointServiceConfigurations, which reads the verification record of the private DNS name, has no resource-level permissions; the other calls are scoped to this endpoint service.',
      },
      ...nistAndHipaa('IAMNoInlinePolicy', 'Each policy is written for one custom resource call on this endpoint service; a managed policy would add no reuse.'),
    ]);
  }

  private addNotifications(props: PrivateLinkExposureProps): sns.ITopic {
    const env = props.service.environment;
    const stack = Stack.of(this);
    const topic = props.notificationTopic ?? new sns.Topic(this, 'NotificationTopic', {
      displayName: `PrivateLink connections of ${props.service.node.path}`,
      masterKey: env.encryptionKey,
      enforceSSL: true,
    });
    const serviceArn = stack.formatArn({ service: 'ec2', resource: 'vpc-endpoint-service', resourceName: this.endpointServiceId });
    // A topic of the user may serve several exposures: statement ids must differ within a policy.
    const sid = props.notificationTopic ? `PrivateLinkConnectionNotifications${Names.uniqueId(this)}` : 'PrivateLinkConnectionNotifications';
    const topicStatement = topic.addToResourcePolicy(new iam.PolicyStatement({
      sid,
      principals: [new iam.ServicePrincipal('vpce.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: { 'aws:SourceArn': serviceArn },
      },
    }));
    if (!topicStatement.statementAdded) {
      Annotations.of(this).addWarningV2('cdk-microservices:notificationTopicPolicy',
        'The notification topic is imported: its policy must let vpce.amazonaws.com publish (sns:Publish, with aws:SourceAccount and aws:SourceArn of this endpoint service), or connection notifications are not delivered.');
    }
    if (!props.notificationTopic) {
      const added = env.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'PrivateLinkConnectionNotifications',
        principals: [new iam.ServicePrincipal('vpce.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }), true);
      if (!added.statementAdded) {
        Annotations.of(this).addWarningV2('cdk-microservices:notificationKey',
          'The environment\'s key is imported: its key policy must let vpce.amazonaws.com use it (kms:GenerateDataKey*, kms:Decrypt), or connection notifications are not delivered.');
      }
    }
    const notification = new ec2.CfnVPCEndpointConnectionNotification(this, 'ConnectionNotification', {
      serviceId: this.endpointServiceId,
      connectionNotificationArn: topic.topicArn,
      connectionEvents: [...new Set(props.connectionEvents ?? Object.values(ConnectionEvent))],
    });
    // EC2 may check that it can publish when the notification is created: policies first.
    const topicPolicy = topic instanceof sns.Topic ? topic.node.tryFindChild('Policy') : undefined;
    if (topicPolicy && Stack.of(topicPolicy) === Stack.of(this)) notification.node.addDependency(topicPolicy);
    if (!props.notificationTopic) notification.node.addDependency(env.encryptionKey);
    return topic;
  }

  private validate(given: PrivateLinkExposureProps): PrivateLinkExposureProps {
    const p = new Problems(CLASS, this);
    if (given === undefined || given === null || typeof given !== 'object') {
      p.add('needs props with at least `service` and `allowedPrincipals`');
      p.throwIfAny();
    }
    const props = checkKinds(p, given, [
      ['allowAnyPrincipal', 'boolean'], ['enforceInboundRulesOnPrivateLinkTraffic', 'boolean'], ['acceptanceRequired', 'boolean'],
      ['allowedRegions', 'list of strings'], ['port', 'number'], ['deletionProtection', 'boolean'], ['privateDnsName', 'string'],
      ['connectionNotifications', 'boolean'], ['output', 'boolean'], ['deregistrationDelay', 'Duration'],
    ]);
    const service = props.service;
    if (!isTwelveFactorService(service)) {
      p.add(`\`service\` needs an ITwelveFactorService; got ${show(service)}`);
      p.throwIfAny();
    }
    if (Stack.of(service) !== Stack.of(this)) {
      p.add(`\`service\` ${service.node.path} is in the stack ${Stack.of(service).node.path}: create the exposure in the same stack as its service (the service registers in the target group, and the load balancer's rules name the service's security group)`);
    }
    if (service.port === undefined) {
      p.add(`\`service\` ${service.node.path} has no \`port\`: a worker takes no connections; give the service a \`port\` to expose it`);
    }
    if (service.alternateTargetGroup !== undefined) {
      p.add(`\`service\` ${service.node.path} uses an ECS blue/green, linear or canary deployment, which shifts only its application load balancer's traffic; expose a service with a rolling deployment`);
    }
    this.validatePrincipals(p, props);
    this.validateNetwork(p, props);
    this.validateListener(p, props);
    this.validateDns(p, props);
    this.validateNotifications(p, props);
    p.throwIfAny();
    return props;
  }

  private validatePrincipals(p: Problems, props: PrivateLinkExposureProps): void {
    const principals = props.allowedPrincipals;
    if (!Array.isArray(principals) || principals.length === 0) {
      p.add('`allowedPrincipals` is empty: name who may connect, for example [new iam.AccountPrincipal(\'111122223333\')] (nobody could connect otherwise)');
      return;
    }
    principals.forEach((principal, i) => {
      if (!(principal instanceof iam.ArnPrincipal)) {
        p.add(`\`allowedPrincipals[${i}]\` ${kindOf(principal)} is not an iam.ArnPrincipal; use new iam.AccountPrincipal(accountId) or new iam.ArnPrincipal(roleArn)`);
        return;
      }
      const problem = principalProblem(principal, props.allowAnyPrincipal === true);
      if (problem) p.add(`\`allowedPrincipals[${i}]\` ${problem}`);
    });
    // An AccountPrincipal's ARN is a token (its partition): compare accounts by id.
    const arns = principals.filter((x) => x instanceof iam.ArnPrincipal)
      .map((x) => (x instanceof iam.AccountPrincipal && typeof x.accountId === 'string' && known(x.accountId) ? `arn:aws:iam::${x.accountId}:root` : x.arn))
      .filter((arn) => typeof arn === 'string' && !Token.isUnresolved(arn));
    const duplicates = [...new Set(arns.filter((arn, i) => arns.indexOf(arn) !== i))];
    if (duplicates.length > 0) p.add(`\`allowedPrincipals\` names ${duplicates.map((d) => `'${d}'`).join(', ')} more than once; name each principal once`);
    if (props.allowAnyPrincipal === true && !arns.includes('*')) {
      p.add('`allowAnyPrincipal` is true but no principal is \'*\'; add new iam.ArnPrincipal(\'*\') or remove `allowAnyPrincipal`');
    }
  }

  private validateNetwork(p: Problems, props: PrivateLinkExposureProps): void {
    const enforce = props.enforceInboundRulesOnPrivateLinkTraffic ?? true;
    const clients = props.allowedClients;
    if (clients !== undefined && !Array.isArray(clients)) {
      p.add(`\`allowedClients\` ${show(clients)} is not a list of ec2.IPeer, for example [ec2.Peer.ipv4('10.1.0.0/16')]`);
    } else if (clients !== undefined) {
      clients.forEach((client, i) => {
        const problem = clientProblem(client);
        if (problem) p.add(`\`allowedClients[${i}]\` ${problem}`);
      });
    }
    if (enforce && (clients === undefined || (Array.isArray(clients) && clients.length === 0))) {
      p.add('`allowedClients` is empty while inbound rules are enforced on PrivateLink traffic: no client could connect; name the consumer VPCs\' ranges (for example [ec2.Peer.ipv4(\'10.1.0.0/16\')]) or set `enforceInboundRulesOnPrivateLinkTraffic` to false');
    }
    if (!enforce && Array.isArray(clients) && clients.length > 0) {
      p.add('`allowedClients` has no effect when `enforceInboundRulesOnPrivateLinkTraffic` is false; remove one of them');
    }
    (props.allowedRegions ?? []).forEach((region, i) => {
      if (known(region) && !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(region)) {
        p.add(`\`allowedRegions[${i}]\` ${show(region)} is not a Region name; use one like 'eu-west-1'`);
      }
    });
    const regions = (props.allowedRegions ?? []).filter((r) => known(r));
    const repeated = [...new Set(regions.filter((r, i) => regions.indexOf(r) !== i))];
    if (repeated.length > 0) p.add(`\`allowedRegions\` names ${repeated.map((r) => `'${r}'`).join(', ')} more than once`);
    const delay = props.deregistrationDelay;
    if (delay !== undefined && known(delay)) {
      const s = delay.toMilliseconds({ integral: false }) / 1000;
      p.when(!Number.isFinite(s) || !Number.isInteger(s) || s < 0 || s > 3600,
        `\`deregistrationDelay\` ${delay.toHumanString()} is not valid; use whole seconds from 0 to 3600`);
    }
  }

  private validateListener(p: Problems, props: PrivateLinkExposureProps): void {
    const protocol = enumProblem('protocol', props.protocol, PrivateLinkProtocol, 'PrivateLinkProtocol');
    if (protocol) p.add(protocol);
    const tls = props.protocol === PrivateLinkProtocol.TLS || (props.protocol === undefined && props.certificate !== undefined);
    if (props.protocol === PrivateLinkProtocol.TLS && props.certificate === undefined) {
      p.add('`protocol` TLS needs a `certificate` (an ACM certificate for the name consumers use); give one, or use PrivateLinkProtocol.TCP');
    }
    if (props.protocol === PrivateLinkProtocol.TCP && props.certificate !== undefined) {
      p.add('`certificate` applies only to a TLS listener but `protocol` is TCP; remove one of them');
    }
    if (props.certificate !== undefined && (props.certificate === null || typeof props.certificate.certificateArn !== 'string')) {
      p.add(`\`certificate\` ${show(props.certificate)} is not an acm.ICertificate`);
    }
    if (props.sslPolicy !== undefined && !tls) {
      p.add('`sslPolicy` applies only to a TLS listener, which needs a `certificate`');
    }
    if (props.sslPolicy !== undefined && tls && !Object.values(elbv2.SslPolicy).includes(props.sslPolicy)) {
      p.add(`\`sslPolicy\` ${show(props.sslPolicy)} is not an elbv2.SslPolicy; use one such as elbv2.SslPolicy.RECOMMENDED_TLS`);
    }
    const port = checkInt('port', props.port, 1, 65535);
    if (port) p.add(port);
    if (props.healthCheck !== undefined) this.validateHealthCheck(p, props.healthCheck);
  }

  private validateHealthCheck(p: Problems, given: elbv2.HealthCheck): void {
    if (given === null || typeof given !== 'object') {
      p.add(`\`healthCheck\` ${show(given)} is not an elbv2.HealthCheck, for example { protocol: elbv2.Protocol.HTTP, path: '/health' }`);
      return;
    }
    const kinds: Array<[keyof elbv2.HealthCheck & string, 'Duration' | 'number' | 'string' | 'boolean']> = [
      ['interval', 'Duration'], ['timeout', 'Duration'], ['healthyThresholdCount', 'number'], ['unhealthyThresholdCount', 'number'],
      ['path', 'string'], ['port', 'string'], ['healthyHttpCodes', 'string'], ['enabled', 'boolean'],
    ];
    const check: { [key: string]: unknown } = { ...given };
    for (const [field, kind] of kinds) {
      const problem = kindProblem(`healthCheck.${field}`, check[field], kind);
      if (problem) {
        p.add(problem);
        delete check[field];
      }
    }
    const effective = { ...DEFAULT_HEALTH_CHECK, ...withoutUndefined(check as elbv2.HealthCheck) };
    const allowed = [elbv2.Protocol.TCP, elbv2.Protocol.HTTP, elbv2.Protocol.HTTPS];
    if (!allowed.includes(effective.protocol as elbv2.Protocol)) {
      p.add(`\`healthCheck.protocol\` ${show(effective.protocol)} is not valid for a TCP target group; use elbv2.Protocol.TCP, HTTP or HTTPS`);
    }
    const http = effective.protocol === elbv2.Protocol.HTTP || effective.protocol === elbv2.Protocol.HTTPS;
    p.when(effective.path !== undefined && !http, '`healthCheck.path` needs `healthCheck.protocol` HTTP or HTTPS');
    p.when(effective.healthyHttpCodes !== undefined && !http, '`healthCheck.healthyHttpCodes` needs `healthCheck.protocol` HTTP or HTTPS');
    p.when(effective.enabled === false, '`healthCheck.enabled` false: health checks of IP targets cannot be turned off; leave it out');
    const port = effective.port;
    if (port !== undefined && port !== 'traffic-port' && !Token.isUnresolved(port)) {
      const n = Number(port);
      p.when(!/^\d+$/.test(port) || n < 1 || n > 65535, `\`healthCheck.port\` ${show(port)} is not a port; use 'traffic-port' or a number from 1 to 65535`);
    }
    const problems = [
      checkSeconds('healthCheck.interval', effective.interval, 5, 300),
      checkSeconds('healthCheck.timeout', effective.timeout, 2, 120),
      checkInt('healthCheck.healthyThresholdCount', effective.healthyThresholdCount, 2, 10),
      checkInt('healthCheck.unhealthyThresholdCount', effective.unhealthyThresholdCount, 2, 10),
    ];
    for (const problem of problems) if (problem) p.add(problem);
    const interval = effective.interval;
    const timeout = effective.timeout;
    if (!problems[0] && !problems[1] && known(interval) && known(timeout) && timeout.toMilliseconds() > interval.toMilliseconds()) {
      p.add(`\`healthCheck.timeout\` ${timeout.toHumanString()} is longer than \`healthCheck.interval\` ${interval.toHumanString()}; use a timeout no longer than the interval`);
    }
  }

  private validateDns(p: Problems, props: PrivateLinkExposureProps): void {
    const name = props.privateDnsName;
    const zone = props.publicHostedZone;
    if (name !== undefined && zone === undefined) {
      p.add('`privateDnsName` needs the `publicHostedZone` that holds it, where AWS\'s verification TXT record is written');
    }
    if (zone !== undefined && name === undefined) {
      p.add('`publicHostedZone` is used only to verify a `privateDnsName`; give the name or remove the zone');
    }
    if (zone !== undefined && (zone === null || typeof zone !== 'object' || typeof zone.hostedZoneId !== 'string')) {
      p.add(`\`publicHostedZone\` ${show(zone)} is not a route53.IPublicHostedZone`);
      return;
    }
    const zoneName = zone ? zoneNameOf(zone) : undefined;
    if (zone && zoneName === undefined) {
      p.add('`publicHostedZone` has no zone name (it was imported by id only), which the verification record needs; import it with route53.PublicHostedZone.fromPublicHostedZoneAttributes({ hostedZoneId, zoneName })');
      return;
    }
    if (!known(name)) return;
    const lower = normalDnsName(name);
    if (!isDomainName(lower)) {
      p.add(`\`privateDnsName\` ${show(name)} is not a DNS name; use labels of a-z, 0-9 and '-' separated by dots, like 'billing.example.com'`);
      return;
    }
    if (known(zoneName)) {
      const apex = normalDnsName(zoneName);
      if (lower !== apex && !lower.endsWith(`.${apex}`)) {
        p.add(`\`privateDnsName\` '${name}' is not in the public hosted zone '${apex}'; use a name that ends with '.${apex}' or the zone that holds it`);
      }
    }
  }

  private validateNotifications(p: Problems, props: PrivateLinkExposureProps): void {
    if (props.connectionNotifications === false && props.notificationTopic !== undefined) {
      p.add('`notificationTopic` is given but `connectionNotifications` is false; remove one of them');
    }
    if (props.connectionNotifications === false && props.connectionEvents !== undefined) {
      p.add('`connectionEvents` is given but `connectionNotifications` is false; remove one of them');
    }
    if (props.notificationTopic !== undefined && (props.notificationTopic === null || typeof props.notificationTopic.topicArn !== 'string')) {
      p.add(`\`notificationTopic\` ${show(props.notificationTopic)} is not an sns.ITopic`);
    }
    const events = props.connectionEvents;
    if (events !== undefined) {
      if (!Array.isArray(events) || events.length === 0) {
        p.add(`\`connectionEvents\` ${show(events)} is not a non-empty list of ConnectionEvent; leave it out for all four`);
      } else {
        events.forEach((event, i) => {
          const problem = enumProblem(`connectionEvents[${i}]`, event, ConnectionEvent, 'ConnectionEvent');
          if (problem) p.add(problem);
        });
      }
    }
    const notify = props.connectionNotifications ?? ((props.acceptanceRequired ?? true) || props.notificationTopic !== undefined);
    if (!notify && events !== undefined && props.connectionNotifications === undefined) {
      p.add('`connectionEvents` needs notifications, which are off when acceptance is not required; set `connectionNotifications` to true');
    }
  }
}

class ImportedExposure extends Resource implements IPrivateLinkExposure {
  public readonly endpointServiceName: string;
  public readonly port: number;
  public readonly protocol: PrivateLinkProtocol;
  public readonly privateDnsName?: string;

  constructor(scope: Construct, id: string, attrs: PrivateLinkExposureAttributes) {
    super(scope, id);
    const p = new Problems(CLASS, this);
    const clean = checkKinds(p, attrs ?? ({} as PrivateLinkExposureAttributes), [
      ['endpointServiceName', 'string'], ['port', 'number'], ['privateDnsName', 'string'],
    ]);
    if (clean.endpointServiceName === undefined && !p.any) p.add('`endpointServiceName` is required');
    if (known(clean.endpointServiceName) && !/^(com\.amazonaws\.vpce\.[a-z0-9-]+\.vpce-svc-[0-9a-f]{8,17}|[a-z0-9-]+(\.[a-z0-9-]+)+)$/.test(clean.endpointServiceName)) {
      p.add(`\`endpointServiceName\` ${show(clean.endpointServiceName)} is not an endpoint service name; use one like 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0'`);
    }
    if (clean.port === undefined && attrs?.port === undefined) p.add('`port` is required: the port consumers connect to');
    const port = checkInt('port', clean.port, 1, 65535);
    if (port) p.add(port);
    const protocol = enumProblem('protocol', clean.protocol, PrivateLinkProtocol, 'PrivateLinkProtocol');
    if (protocol) p.add(protocol);
    if (known(clean.privateDnsName) && !isDomainName(normalDnsName(clean.privateDnsName))) {
      p.add(`\`privateDnsName\` ${show(clean.privateDnsName)} is not a DNS name`);
    }
    p.throwIfAny();
    this.endpointServiceName = clean.endpointServiceName;
    this.port = clean.port;
    this.protocol = clean.protocol ?? PrivateLinkProtocol.TCP;
    this.privateDnsName = clean.privateDnsName;
  }
}

/** The problem with an allowed principal, or undefined. */
function principalProblem(principal: iam.ArnPrincipal, allowAny: boolean): string | undefined {
  if (principal instanceof iam.AccountPrincipal) {
    // Its ARN is a token as a whole (the partition is the stack's): check the account id.
    const account: unknown = principal.accountId;
    if (typeof account !== 'string' || Token.isUnresolved(account)) return undefined;
    if (account.includes('*')) {
      return `(an iam.AccountPrincipal of ${show(account)}) has a wildcard: name whole 12-digit accounts, or new iam.ArnPrincipal('*') with \`allowAnyPrincipal\` for any account`;
    }
    if (!/^\d{12}$/.test(account)) return `(an iam.AccountPrincipal) account ${show(account)} is not a 12-digit AWS account id; use one like '111122223333'`;
    return undefined;
  }
  const arn = principal.arn;
  if (typeof arn !== 'string') return `${show(arn)} has no ARN`;
  const fragments = Tokenization.reverseString(arn);
  const literal = String(fragments.mapTokens({ mapToken: () => '' }).join({ join: (left: unknown, right: unknown) => `${left}${right}` }));
  const hasTokens = fragments.tokens.length > 0;
  if (!hasTokens && arn === '*') {
    return allowAny ? undefined : 'is \'*\' (any AWS account): set `allowAnyPrincipal` to true to allow it on purpose, or name accounts and roles';
  }
  if (literal.includes('*')) {
    return `'${arn}' has a wildcard: endpoint services take whole principals (an account, role or user ARN) or '*' alone`;
  }
  if (hasTokens) {
    // Partly resolved (the partition or account of an AccountPrincipal): check what is literal.
    if (literal !== '' && !literal.includes(':iam::')) return `'${literal}' is not an IAM principal ARN; use an account, role or user ARN`;
    return undefined;
  }
  if (!/^arn:aws(-[a-z]+)*:iam::\d{12}:(root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)$/.test(arn)) {
    return `'${arn}' is not an account, role or user ARN; use one like 'arn:aws:iam::111122223333:root' or 'arn:aws:iam::111122223333:role/consumer'`;
  }
  return undefined;
}

/** The problem with an allowed client peer, or undefined. */
function clientProblem(client: ec2.IPeer): string | undefined {
  if (!client || typeof (client as ec2.IPeer).toIngressRuleConfig !== 'function') {
    return `${show(client)} is not an ec2.IPeer; use ec2.Peer.ipv4('10.1.0.0/16')`;
  }
  const range = cidrRangeProblem(client);
  if (range) return range;
  const any = anyAddressRange(client);
  return any ? `${any} lets any address in; name the consumer VPCs' ranges, like ec2.Peer.ipv4('10.1.0.0/16')` : undefined;
}

/** Acknowledges the findings on CDK's AwsCustomResource Lambda function, with the reason. */
function acknowledgeCustomResourceLambda(fn: IConstruct, reason: string): void {
  acknowledge(fn, [
    { id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', reason },
    { id: 'AwsSolutions-L1', reason },
    ...nistAndHipaa('LambdaInsideVPC', reason),
    ...nistAndHipaa('LambdaConcurrency', reason),
    ...nistAndHipaa('LambdaDLQ', reason),
    ...nistAndHipaa('IAMNoInlinePolicy', reason),
  ]);
  suppressGuard(fn, ['lambda_inside_vpc_check'], reason);
}


/** The health check we give the target group: our defaults, replaced field by field by the user's. */
function healthCheckOf(check: elbv2.HealthCheck | undefined): elbv2.HealthCheck {
  return { ...DEFAULT_HEALTH_CHECK, ...withoutUndefined(check ?? {}) };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A value for an error message: its class for objects of a class, else the value itself. */
function kindOf(value: unknown): string {
  const name = value !== null && typeof value === 'object' ? (value as object).constructor?.name : undefined;
  return name && name !== 'Object' ? `(a ${name})` : show(value);
}

