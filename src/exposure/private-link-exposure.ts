import {
  Annotations,
  CfnOutput,
  CfnResource,
  Duration,
  Fn,
  IResource,
  Resource,
  Stack,
  Token,
  aws_certificatemanager as acm,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_route53 as route53,
  aws_s3 as s3,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { allowClients, allowedClientProblems, allowedPrincipalProblems } from './allowed-principals';
import { ConnectionEvent, addConnectionNotifications, connectionNotificationProblems, connectionNotificationsEnabled } from './connection-notifications';
import { addPrivateDnsName, privateDnsNameProblems } from './private-dns-name';
import { obtainAccessLogsBucket } from '../environment/environment-support';
import { sharingOf } from '../environment/sharing';
import { acknowledge, nistAndHipaa } from '../private/acknowledge';
import { allowNetworkLoadBalancerLogs } from '../private/log-buckets';
import { isDomainName, normalDnsName } from '../private/naming';
import { Problems, checkInt, checkKinds, checkSeconds, enumProblem, kindProblem, known, show } from '../private/validation';
import { ITwelveFactorService } from '../service';
import { isTwelveFactorService } from '../service/twelve-factor-service';

const CLASS = 'PrivateLinkExposure';
const DEFAULT_ENDPOINT_SERVICE_PREFIX = 'com.amazonaws.vpce';

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
   * @default - none: required unless `enforceSecurityGroupInboundRulesOnPrivateLinkTraffic` is false
   */
  readonly allowedClients?: ec2.IPeer[];

  /**
   * Evaluate the load balancer's inbound security group rules on PrivateLink traffic. Turn
   * off only when consumers' address ranges are unknown; access is then controlled by
   * `allowedPrincipals` and acceptance alone. (The name of the load balancer property in
   * aws-cdk-lib.)
   *
   * @default true
   */
  readonly enforceSecurityGroupInboundRulesOnPrivateLinkTraffic?: boolean;

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
  readonly enableConnectionNotifications?: boolean;

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
  readonly createOutputs?: boolean;
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
    allowClients(this, this.securityGroup, checked.allowedClients ?? [], this.port, service.node.path);
    this.loadBalancer = new elbv2.NetworkLoadBalancer(this, 'LoadBalancer', {
      vpc: env.vpc,
      vpcSubnets: env.serviceSubnets,
      internetFacing: false,
      crossZoneEnabled: true,
      securityGroups: [this.securityGroup],
      enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: checked.enforceSecurityGroupInboundRulesOnPrivateLinkTraffic ?? true,
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
      addPrivateDnsName(this, this.endpointServiceId, checked.privateDnsName, checked.publicHostedZone);
    }
    if (connectionNotificationsEnabled(checked)) {
      this.notificationTopic = addConnectionNotifications(this, this.endpointServiceId, checked);
    }
    if (checked.createOutputs) {
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
    const write = allowNetworkLoadBalancerLogs(bucket, prefix, account);
    // An imported bucket: its policy is written elsewhere, and Elastic Load Balancing refuses
    // to turn access logs on when it may not write there. The bucket of an environment shared
    // with other apps (`fromLookup`) lets every load balancer of its account write under alb/
    // and nlb/ (the environment's app writes that policy for them); a bucket the user brought
    // may not.
    if (!write.statementAdded && !sharingOf(this.service.environment)?.imported) {
      Annotations.of(this).addWarningV2('cdk-microservices:accessLogsBucketPolicy',
        `The access-log bucket is imported: its policy must let delivery.logs.amazonaws.com write under ${prefix}/AWSLogs/${account}/ `
        + '(s3:PutObject with s3:x-amz-acl bucket-owner-full-control, and s3:GetBucketAcl), or the load balancer\'s access logs cannot be turned on and its deployment fails.');
    }
    // ELB checks that it may write when the attribute is set: the policy must exist first.
    const policy = bucket.policy?.node.defaultChild;
    if (policy instanceof CfnResource && Stack.of(policy) === Stack.of(this)) this.loadBalancer.node.addDependency(policy);
  }

  private validate(given: PrivateLinkExposureProps): PrivateLinkExposureProps {
    const p = Problems.ofConstruction(CLASS, this);
    if (given === undefined || given === null || typeof given !== 'object') {
      p.add('needs props with at least `service` and `allowedPrincipals`');
      p.throwIfAny();
    }
    const props = checkKinds(p, given, [
      ['allowAnyPrincipal', 'boolean'], ['enforceSecurityGroupInboundRulesOnPrivateLinkTraffic', 'boolean'], ['acceptanceRequired', 'boolean'],
      ['allowedRegions', 'list of strings'], ['port', 'number'], ['deletionProtection', 'boolean'], ['privateDnsName', 'string'],
      ['enableConnectionNotifications', 'boolean'], ['createOutputs', 'boolean'], ['deregistrationDelay', 'Duration'],
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
    allowedPrincipalProblems(p, props);
    allowedClientProblems(p, props);
    this.validateDeregistrationDelay(p, props);
    this.validateListener(p, props);
    privateDnsNameProblems(p, props.privateDnsName, props.publicHostedZone);
    connectionNotificationProblems(p, props);
    p.throwIfAny();
    return props;
  }

  private validateDeregistrationDelay(p: Problems, props: PrivateLinkExposureProps): void {
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
}

class ImportedExposure extends Resource implements IPrivateLinkExposure {
  public readonly endpointServiceName: string;
  public readonly port: number;
  public readonly protocol: PrivateLinkProtocol;
  public readonly privateDnsName?: string;

  constructor(scope: Construct, id: string, attrs: PrivateLinkExposureAttributes) {
    super(scope, id);
    const p = Problems.ofConstruction(CLASS, this);
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

/** The health check we give the target group: our defaults, replaced field by field by the user's. */
function healthCheckOf(check: elbv2.HealthCheck | undefined): elbv2.HealthCheck {
  return { ...DEFAULT_HEALTH_CHECK, ...withoutUndefined(check ?? {}) };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
