import {
  Annotations,
  Fn,
  Token,
  Tokenization,
  aws_ec2 as ec2,
  aws_route53 as route53,
  aws_route53_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { IPrivateLinkExposure, PrivateLinkExposure } from './private-link-exposure';
import { isDomainName, normalDnsName, upperSnake, zoneNameOf } from '../private/naming';
import { MicroservicesValidationError, Problems, anyAddressRange, checkKinds, cidrRangeProblem, known, show } from '../private/validation';
import { Access, BackingService, BackingServiceBinding, TwelveFactorService } from '../service';

const CLASS = 'PrivateLinkConsumer';

/**
 * Properties of a PrivateLinkConsumer.
 */
export interface PrivateLinkConsumerProps {
  /**
   * The service to consume: a `PrivateLinkExposure` of this app, or one imported with
   * `PrivateLinkExposure.fromPrivateLinkExposureAttributes()`.
   */
  readonly exposure: IPrivateLinkExposure;

  /** The VPC the consumers run in, where the interface endpoint is created. */
  readonly vpc: ec2.IVpc;

  /**
   * The subnets of the endpoint's network interfaces, one per Availability Zone. The zones
   * must be among the provider load balancer's zones (zone ids, which differ from names
   * across accounts).
   *
   * @default - the VPC's private subnets
   */
  readonly subnets?: ec2.SubnetSelection;

  /**
   * Resolve the provider's private DNS name to the endpoint inside the VPC.
   *
   * @default - true when the exposure has a private DNS name
   */
  readonly privateDnsEnabled?: boolean;

  /**
   * A friendly name for the endpoint inside the VPC, for a provider without a private DNS
   * name: an alias record in `hostedZone`, or, without one, at the apex of a new private
   * hosted zone of that name associated with `vpc`.
   *
   * @default - none: consumers use the endpoint's regional DNS name (`hostName`)
   */
  readonly domainName?: string;

  /**
   * The private hosted zone that holds `domainName`; it must be associated with `vpc`.
   *
   * @default - a new private hosted zone named `domainName`
   */
  readonly hostedZone?: route53.IHostedZone;

  /**
   * Who may connect to the endpoint, besides the services it is attached to (for example a
   * security group). `0.0.0.0/0` and `::/0` are refused.
   *
   * @default - nobody until a service attaches it or `allowFrom()` is called
   */
  readonly allowFrom?: ec2.IConnectable[];
}

/**
 * Options for attaching a PrivateLink endpoint to a service.
 */
export interface PrivateLinkBackingOptions {
  /**
   * The prefix of the injected variable names (upper snake case).
   *
   * @default - the consumer's construct id in upper snake case, for example `BILLING` for `Billing`
   */
  readonly envVarPrefix?: string;
}

/**
 * The consumer side of AWS PrivateLink: an interface VPC endpoint to a service exposed with
 * `PrivateLinkExposure` (in another stack, VPC or account), its security group closed to
 * all but the peers named, private DNS when the provider has a name, otherwise an optional
 * private record with a friendly name. Services reach it with
 * `service.attach(consumer.asBackingService())`, which opens the endpoint to them and injects
 * `<PREFIX>_HOST` and `<PREFIX>_PORT`.
 *
 * @example
 * declare const users: TwelveFactorService;
 * const billing = new PrivateLinkConsumer(this, 'Billing', {
 *   exposure: PrivateLinkExposure.fromPrivateLinkExposureAttributes(this, 'BillingService', {
 *     endpointServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0',
 *     port: 443,
 *     protocol: PrivateLinkProtocol.TLS,
 *   }),
 *   vpc: users.environment.vpc,
 *   domainName: 'billing.example.com',
 * });
 * users.attach(billing.asBackingService());
 */
export class PrivateLinkConsumer extends Construct implements ec2.IConnectable {
  /** The exposure consumed. */
  public readonly exposure: IPrivateLinkExposure;
  /** The interface VPC endpoint. */
  public readonly endpoint: ec2.InterfaceVpcEndpoint;
  /** The endpoint's security group. */
  public readonly securityGroup: ec2.SecurityGroup;
  /** Network access to the endpoint. */
  public readonly connections: ec2.Connections;
  /** The port consumers connect to. */
  public readonly port: number;
  /**
   * The name consumers connect to: the provider's private DNS name, the `domainName`, or
   * else the endpoint's regional DNS name.
   */
  public readonly hostName: string;
  /** Whether private DNS is on. */
  public readonly privateDnsEnabled: boolean;
  /**
   * The private hosted zone we created for `domainName`.
   * @default - none
   */
  public readonly privateHostedZone?: route53.PrivateHostedZone;
  /**
   * The alias record of `domainName`.
   * @default - none
   */
  public readonly record?: route53.ARecord;
  /**
   * The VPC of the endpoint.
   * @internal
   */
  public readonly _vpc: ec2.IVpc;

  constructor(scope: Construct, id: string, props: PrivateLinkConsumerProps) {
    super(scope, id);
    const checked = this.validate(props);
    const exposure = checked.exposure;
    this.exposure = exposure;
    this._vpc = checked.vpc;
    this.port = exposure.port;
    this.privateDnsEnabled = checked.privateDnsEnabled ?? exposure.privateDnsName !== undefined;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: checked.vpc,
      description: `PrivateLink endpoint ${this.node.path}`,
      allowAllOutbound: false,
    });
    this.endpoint = new ec2.InterfaceVpcEndpoint(this, 'Endpoint', {
      vpc: checked.vpc,
      service: new ec2.InterfaceVpcEndpointService(exposure.endpointServiceName, exposure.port),
      subnets: checked.subnets,
      securityGroups: [this.securityGroup],
      privateDnsEnabled: this.privateDnsEnabled,
      open: false,
    });
    this.connections = this.endpoint.connections;
    for (const peer of checked.allowFrom ?? []) this.allowFrom(peer);

    const regionalName = Fn.select(1, Fn.split(':', Fn.select(0, this.endpoint.vpcEndpointDnsEntries)));
    if (checked.domainName !== undefined) {
      // DNS names are case-insensitive: records are written in lower case, relative to the zone.
      const domainName = known(checked.domainName) ? normalDnsName(checked.domainName) : checked.domainName;
      const zone = checked.hostedZone ?? new route53.PrivateHostedZone(this, 'HostedZone', {
        zoneName: domainName,
        vpc: checked.vpc,
        comment: `Friendly name of the PrivateLink endpoint ${this.node.path}`,
      });
      if (!checked.hostedZone) this.privateHostedZone = zone as route53.PrivateHostedZone;
      this.record = new route53.ARecord(this, 'Record', {
        zone,
        recordName: checked.hostedZone ? relativeName(domainName, zone.zoneName) : undefined,
        target: route53.RecordTarget.fromAlias(new targets.InterfaceVpcEndpointTarget(this.endpoint)),
        comment: `PrivateLink endpoint ${this.node.path}`,
      });
      this.hostName = domainName;
    } else if (this.privateDnsEnabled && exposure.privateDnsName !== undefined) {
      this.hostName = exposure.privateDnsName;
    } else {
      this.hostName = regionalName;
    }

    if (exposure instanceof PrivateLinkExposure && sameVpc(exposure.service.environment.vpc, checked.vpc)) {
      Annotations.of(this).addWarningV2('cdk-microservices:privateLinkSameVpc',
        `${exposure.node.path} is exposed from the same VPC: services of one VPC reach each other directly; use discovery (the service's discoveryName and allowFrom) instead of PrivateLink.`);
    }
  }

  /** Lets a peer (a service, a security group) connect to the endpoint on its port. */
  public allowFrom(other: ec2.IConnectable): void {
    const problem = peerProblem(other);
    if (problem) throw new MicroservicesValidationError(CLASS, this, [`\`allowFrom\` ${problem}`]);
    this.connections.allowFrom(other, ec2.Port.tcp(this.port), `to PrivateLink endpoint ${this.node.path}`);
  }

  /**
   * The endpoint as a backing service: `service.attach(consumer.asBackingService())` opens
   * the endpoint to the service and injects `<PREFIX>_HOST` and `<PREFIX>_PORT`.
   */
  public asBackingService(options: PrivateLinkBackingOptions = {}): BackingService {
    return new PrivateLinkBacking(this, options);
  }

  private validate(given: PrivateLinkConsumerProps): PrivateLinkConsumerProps {
    const p = new Problems(CLASS, this);
    if (given === undefined || given === null || typeof given !== 'object') {
      p.add('needs props with `exposure` and `vpc`');
      p.throwIfAny();
    }
    const props = checkKinds(p, given, [['privateDnsEnabled', 'boolean'], ['domainName', 'string']]);
    const exposure = props.exposure;
    const exposureOk = !!exposure && typeof exposure.endpointServiceName === 'string' && typeof exposure.port === 'number';
    if (!exposureOk) {
      p.add(`\`exposure\` ${show(exposure)} is not a PrivateLink exposure; pass a PrivateLinkExposure or PrivateLinkExposure.fromPrivateLinkExposureAttributes(...)`);
    }
    if (!props.vpc || typeof props.vpc.vpcId !== 'string') {
      p.add(`\`vpc\` ${show(props.vpc)} is not an ec2.IVpc`);
    }
    const providerName = exposureOk ? exposure.privateDnsName : undefined;
    if (exposureOk && props.privateDnsEnabled === true && providerName === undefined) {
      p.add('`privateDnsEnabled` is true but the exposure has no private DNS name; set `privateDnsName` on the provider (or in the imported attributes), or use `domainName`');
    }
    const privateDns = props.privateDnsEnabled ?? providerName !== undefined;
    if (props.domainName !== undefined && privateDns) {
      p.add(`\`domainName\` ${show(props.domainName)} is not needed: private DNS already resolves ${show(providerName)} to the endpoint; remove it or set \`privateDnsEnabled\` to false`);
    }
    if (props.hostedZone !== undefined && props.domainName === undefined) {
      p.add('`hostedZone` holds the `domainName` record; give `domainName` or remove `hostedZone`');
    }
    const zone = props.hostedZone;
    const zoneName = zone !== undefined && zone !== null && typeof zone === 'object' ? zoneNameOf(zone) : undefined;
    if (zone !== undefined && (zone === null || typeof zone !== 'object' || typeof zone.hostedZoneId !== 'string')) {
      p.add(`\`hostedZone\` ${show(zone)} is not a route53.IHostedZone`);
    } else if (zone !== undefined && zoneName === undefined) {
      p.add('`hostedZone` has no zone name (it was imported by id only), which the record needs; import it with route53.HostedZone.fromHostedZoneAttributes({ hostedZoneId, zoneName })');
    }
    if (known(props.domainName)) {
      const name = normalDnsName(props.domainName);
      if (!isDomainName(name)) {
        p.add(`\`domainName\` ${show(props.domainName)} is not a DNS name; use labels of a-z, 0-9 and '-' separated by dots, like 'billing.example.com'`);
      } else if (known(zoneName)) {
        const apex = normalDnsName(zoneName);
        if (name !== apex && !name.endsWith(`.${apex}`)) {
          p.add(`\`domainName\` '${props.domainName}' is not in the hosted zone '${apex}'; use a name that ends with '.${apex}'`);
        }
      }
    }
    const peers = props.allowFrom;
    if (peers !== undefined && !Array.isArray(peers)) {
      p.add(`\`allowFrom\` ${show(peers)} is not a list of ec2.IConnectable`);
    } else {
      (peers ?? []).forEach((peer, i) => {
        const problem = peerProblem(peer);
        if (problem) p.add(`\`allowFrom[${i}]\` ${problem}`);
      });
    }
    p.throwIfAny();
    return props;
  }
}

class PrivateLinkBacking extends BackingService {
  public readonly resource: PrivateLinkConsumer;
  public readonly access = Access.READ_WRITE;
  public readonly envVarPrefix?: string;

  constructor(private readonly consumer: PrivateLinkConsumer, options: PrivateLinkBackingOptions) {
    super();
    this.resource = consumer;
    this.envVarPrefix = options?.envVarPrefix;
  }

  public bind(service: TwelveFactorService): BackingServiceBinding {
    const prefix = this.envVarPrefix ?? upperSnake(this.consumer.node.id);
    if (this.envVarPrefix !== undefined && (typeof this.envVarPrefix !== 'string' || !/^[A-Z_][A-Z0-9_]*$/.test(this.envVarPrefix))) {
      throw new MicroservicesValidationError('TwelveFactorService', service, [
        `\`envVarPrefix\` ${show(this.envVarPrefix)} is not valid; use upper case letters, digits and underscores, not starting with a digit, like 'BILLING'`,
      ]);
    }
    if (differentVpcs(service.environment.vpc, this.consumer._vpc)) {
      throw new MicroservicesValidationError('TwelveFactorService', service, [
        `\`attach\` ${this.consumer.node.path} is an endpoint in another VPC than the service's; create the PrivateLinkConsumer with the service's VPC (\`vpc: service.environment.vpc\`)`,
      ]);
    }
    this.consumer.allowFrom(service);
    // A port from a token (a parameter) stays a token in the variable.
    const port = Tokenization.stringifyNumber(this.consumer.port);
    return {
      environment: { [`${prefix}_HOST`]: this.consumer.hostName, [`${prefix}_PORT`]: port },
      description: `PrivateLink endpoint (${this.consumer.exposure.protocol}, port ${port})`,
    };
  }
}

function sameVpc(a: ec2.IVpc, b: ec2.IVpc): boolean {
  if (a === b) return true;
  return !Token.isUnresolved(a.vpcId) && !Token.isUnresolved(b.vpcId) && a.vpcId === b.vpcId;
}

/** Whether two VPCs are surely different ones (two VPCs of this app, or imported with other ids). */
function differentVpcs(a: ec2.IVpc, b: ec2.IVpc): boolean {
  if (a === b) return false;
  if (a instanceof ec2.Vpc && b instanceof ec2.Vpc) return true;
  return !Token.isUnresolved(a.vpcId) && !Token.isUnresolved(b.vpcId) && a.vpcId !== b.vpcId;
}


function peerProblem(peer: ec2.IConnectable): string | undefined {
  if (!peer || typeof peer !== 'object' || !(peer.connections instanceof ec2.Connections)) {
    return `${show(peer)} is not an ec2.IConnectable (a service, a security group or an ec2.Peer)`;
  }
  const isPeer = peer.connections.securityGroups.length === 0 && typeof (peer as ec2.IPeer).toIngressRuleConfig === 'function';
  const range = isPeer ? cidrRangeProblem(peer as ec2.IPeer) : undefined;
  if (range) return range;
  const any = isPeer ? anyAddressRange(peer as ec2.IPeer) : undefined;
  return any ? `${any} lets any address in; name the security groups or ranges that need the endpoint` : undefined;
}


/** The record name to give a zone: the label(s) before the zone's name, the full name where that is unknown, none at the apex. */
function relativeName(name: string, zoneName: string): string | undefined {
  if (!known(name) || !known(zoneName)) return name;
  const apex = normalDnsName(zoneName);
  if (name === apex) return undefined;
  return name.endsWith(`.${apex}`) ? name.slice(0, name.length - apex.length - 1) : name;
}

