import {
  Annotations,
  Fn,
  Stack,
  Token,
  Tokenization,
  aws_ec2 as ec2,
  aws_route53 as route53,
  aws_route53_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { IPrivateLinkExposure, PrivateLinkExposure } from './private-link-exposure';
import { isDomainName, normalDnsName, upperSnake, zoneNameOf } from '../private/naming';
import { anyAddressRange, checkKinds, cidrRangeProblem, envVarPrefixProblem, known, Problems, show } from '../private/validation';
import { Access, BackingService, BackingServiceBinding, ITwelveFactorService } from '../service';

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
   * The subnets of the endpoint's network interfaces, one per Availability Zone. The
   * endpoint can only be created in zones where the provider's load balancer is: when those
   * are known (an exposure of this app, `serviceAvailabilityZoneIds` or
   * `lookupSupportedAzs`), the subnets are narrowed to them, and a selection with none of
   * them is refused.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The zone ids (AZ IDs, like `use1-az1`) of the provider's load balancer, for an exposure
   * in another account: zone names (`us-east-1a`) map to different physical zones in each
   * account, zone ids are the same in all. The provider reads them with
   * `aws ec2 describe-subnets` on its load balancer's subnets (`AvailabilityZoneId`). The
   * endpoint is put only in the subnets whose zone id is one of these, which needs
   * `availabilityZoneIds`.
   *
   * @default - the zones of a `PrivateLinkExposure` of this app; for an imported exposure,
   * none: the endpoint goes in every zone of `vpcSubnets`, with a warning
   */
  readonly serviceAvailabilityZoneIds?: string[];

  /**
   * The zone id of each zone name of `vpc` in this (the consumer's) account, for
   * `serviceAvailabilityZoneIds`, for example `{ 'us-east-1a': 'use1-az6', 'us-east-1b': 'use1-az1' }`
   * (`aws ec2 describe-availability-zones` lists `ZoneName` and `ZoneId`). It must name every
   * zone of the selected subnets.
   *
   * @default - none; required with `serviceAvailabilityZoneIds`
   */
  readonly availabilityZoneIds?: { [zoneName: string]: string };

  /**
   * Ask EC2 at synth time which zones of this account the endpoint service supports
   * (`lookupSupportedAzs` of `ec2.InterfaceVpcEndpoint`, a context lookup cached in
   * `cdk.context.json`), and put the endpoint only there. The stack needs an account and
   * Region, the exposure a literal endpoint service name, and this account the permission
   * to create endpoints to the service.
   *
   * @default false
   */
  readonly lookupSupportedAzs?: boolean;

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
 * private record with a friendly name. The endpoint goes only in the zones of the provider's
 * load balancer when they are known (see `serviceAvailabilityZoneIds`). Services reach it with
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
 *   // The provider's zone ids, and this account's zone id of each zone name.
 *   serviceAvailabilityZoneIds: ['use1-az1', 'use1-az4'],
 *   availabilityZoneIds: { 'us-east-1a': 'use1-az4', 'us-east-1b': 'use1-az6', 'us-east-1c': 'use1-az1' },
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
    const subnets = this.endpointSubnets(checked);
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
      subnets,
      lookupSupportedAzs: checked.lookupSupportedAzs,
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
    if (problem) Problems.reject(CLASS, this, `\`allowFrom\` ${problem}`);
    this.connections.allowFrom(other, ec2.Port.tcp(this.port), `to PrivateLink endpoint ${this.node.path}`);
  }

  /**
   * The endpoint as a backing service: `service.attach(consumer.asBackingService())` opens
   * the endpoint to the service and injects `<PREFIX>_HOST` and `<PREFIX>_PORT`.
   */
  public asBackingService(options: PrivateLinkBackingOptions = {}): BackingService {
    return new PrivateLinkBacking(this, options);
  }

  /**
   * The endpoint's subnets: one per zone of the selection, narrowed to the zones of the
   * provider's load balancer when we know them. An interface endpoint can only be created in
   * a zone where the endpoint service's load balancer is ("The VPC endpoint service ... does
   * not support the Availability Zone of the subnet"),
   * https://repost.aws/knowledge-center/interface-endpoint-availability-zone, and
   * https://docs.aws.amazon.com/vpc/latest/privatelink/endpoint-service-overview.html (a
   * consumer creates its endpoint "in each Availability Zone in which you configured your
   * service"). Zone names map to physical zones per account; zone ids are the same in every
   * account: https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html
   */
  private endpointSubnets(props: PrivateLinkConsumerProps): ec2.SubnetSelection | undefined {
    const vpc = props.vpc;
    const exposure = props.exposure;
    const ids = props.serviceAvailabilityZoneIds;
    const zoneIdsGiven = ids !== undefined && !Token.isUnresolved(ids) && ids.length > 0 && ids.every((id) => known(id));
    const sameApp = exposure instanceof PrivateLinkExposure;
    if (!zoneIdsGiven && !sameApp) {
      const narrowed = props.vpcSubnets?.availabilityZones !== undefined || props.vpcSubnets?.subnets !== undefined;
      if (!props.lookupSupportedAzs && !narrowed) {
        Annotations.of(this).addWarningV2('cdk-microservices:privateLinkConsumerZones',
          `The endpoint goes in every zone of the selected subnets, but ${ids !== undefined ? 'the zone ids in `serviceAvailabilityZoneIds` are known only at deployment' : 'the zones of the provider\'s load balancer are not known here'}: its creation fails if the provider's load balancer is not in one of them (zone names differ per account). `
          + 'Give `serviceAvailabilityZoneIds` (the provider\'s zone ids) with `availabilityZoneIds` (this account\'s zone ids by name), or `lookupSupportedAzs`, or `vpcSubnets` in the provider\'s zones.');
      }
      return props.vpcSubnets;
    }
    const p = Problems.ofConstruction(CLASS, this);
    const selection = vpc.selectSubnets({ ...props.vpcSubnets, onePerAz: true });
    const stack = Stack.of(this);
    const zoneKey = (zone: string): string => JSON.stringify(stack.resolve(zone));
    let supported: (zone: string) => boolean | undefined;
    let theirs: string;
    if (zoneIdsGiven) {
      const byName = props.availabilityZoneIds ?? {};
      const wanted = new Set(ids);
      theirs = `the zone ids ${[...wanted].join(', ')}`;
      const unmapped = selection.subnets.map((s) => s.availabilityZone).filter((zone) => !known(zone) || byName[zone] === undefined);
      if (props.availabilityZoneIds === undefined) {
        p.add(`\`serviceAvailabilityZoneIds\` needs \`availabilityZoneIds\`, the zone id of each zone of \`vpc\` in this account (\`aws ec2 describe-availability-zones\` lists ZoneName and ZoneId), like { '${known(selection.subnets[0]?.availabilityZone) ? selection.subnets[0].availabilityZone : 'us-east-1a'}': 'use1-az1' }`);
      } else if (unmapped.length > 0) {
        const named = unmapped.map((zone) => known(zone) ? `'${zone}'` : 'a zone known only at deployment');
        p.add(`\`availabilityZoneIds\` has no zone id for ${[...new Set(named)].join(', ')} of the selected subnets; name every zone of \`vpcSubnets\`${unmapped.some((zone) => !known(zone)) ? ', and give the stack an account and Region (or import the VPC) so that its zones are names' : ''}`);
      }
      p.throwIfAny();
      supported = (zone) => wanted.has(byName[zone]);
    } else {
      // An exposure of this app: its endpoint service name is a reference, which CloudFormation
      // resolves only in the same account and Region, where zone names mean the same zones.
      const env = (exposure as PrivateLinkExposure).service.environment;
      const zones = env.vpc.selectSubnets(env.serviceSubnets).availabilityZones;
      const keys = new Set(zones.map(zoneKey));
      const allKnown = zones.every((zone) => known(zone));
      theirs = `the zones ${zones.map((zone) => known(zone) ? zone : '(a zone known only at deployment)').join(', ')} of ${exposure.node.path}`;
      // A zone is supported when it is the same (the same name or the same expression), not
      // when it is a name the exposure lacks; one known only at deployment is kept.
      supported = (zone) => keys.has(zoneKey(zone)) ? true : (known(zone) && allKnown ? false : undefined);
    }
    const kept = selection.subnets.filter((s) => supported(s.availabilityZone) !== false);
    if (kept.length === 0) {
      const mine = selection.subnets.map((s) => zoneIdsGiven ? `${s.availabilityZone} (${props.availabilityZoneIds![s.availabilityZone]})` : s.availabilityZone);
      p.add(`\`vpcSubnets\` are in the zones ${mine.join(', ')}, none of which the service's load balancer is in (${theirs}); choose subnets of \`vpc\` in its zones, or ask the provider to add a subnet in one of yours to its load balancer`);
      p.throwIfAny();
    }
    return kept.length === selection.subnets.length ? props.vpcSubnets : { subnets: kept };
  }

  private validate(given: PrivateLinkConsumerProps): PrivateLinkConsumerProps {
    const p = Problems.ofConstruction(CLASS, this);
    if (given === undefined || given === null || typeof given !== 'object') {
      p.add('needs props with `exposure` and `vpc`');
      p.throwIfAny();
    }
    const props = checkKinds(p, given, [
      ['privateDnsEnabled', 'boolean'], ['domainName', 'string'], ['lookupSupportedAzs', 'boolean'],
      ['serviceAvailabilityZoneIds', 'list of strings'], ['availabilityZoneIds', 'map of strings'],
    ]);
    zoneProblems(p, props, this);
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

const ZONE_ID = /^[a-z]{2,}[0-9]*(-[a-z]+[0-9]+)*-az[0-9]+$/;
const ZONE_NAME = /^[a-z]{2}-[a-z0-9-]+-[0-9]+[a-z]$/;

/** Checks the zone props (tokens skipped); records the problems. */
function zoneProblems(p: Problems, props: PrivateLinkConsumerProps, scope: Construct): void {
  const ids = props.serviceAvailabilityZoneIds;
  // A list from a token (a parameter) is known only at deployment: not checked.
  if (ids !== undefined && !Token.isUnresolved(ids)) {
    if (ids.length === 0) p.add('`serviceAvailabilityZoneIds` is empty; give the zone ids of the provider\'s load balancer, like [\'use1-az1\', \'use1-az2\'], or leave it out');
    ids.forEach((id, i) => {
      if (known(id) && !ZONE_ID.test(id)) {
        p.add(`\`serviceAvailabilityZoneIds[${i}]\` ${show(id)} is not a zone id; use AZ IDs like 'use1-az1' (${ZONE_NAME.test(id) ? 'zone names differ per account' : 'the ZoneId of describe-availability-zones'})`);
      }
    });
  }
  const byName = props.availabilityZoneIds;
  if (byName !== undefined) {
    for (const [name, id] of Object.entries(byName)) {
      if (known(name) && !ZONE_NAME.test(name)) p.add(`\`availabilityZoneIds\` key ${show(name)} is not a zone name; use names like 'us-east-1a' as keys, their zone ids as values`);
      if (known(id) && !ZONE_ID.test(id)) p.add(`\`availabilityZoneIds\` value ${show(id)} of '${name}' is not a zone id; use AZ IDs like 'use1-az1' as values`);
    }
    if (ids === undefined) {
      p.add('`availabilityZoneIds` is only used with `serviceAvailabilityZoneIds`, to match the provider\'s zone ids; give those or remove it');
    }
  }
  if (props.lookupSupportedAzs === true) {
    // CDK's lookup calls DescribeVpcEndpointServices in this account, which answers with the
    // zones the provider and this account have in common, by this account's names:
    // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeVpcEndpointServices.html
    // It needs a concrete environment and service name:
    // https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_ec2.InterfaceVpcEndpointOptions.html
    const stack = Stack.of(scope);
    if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) {
      p.add('`lookupSupportedAzs` needs the stack\'s account and Region, which are known only at deployment; give the stack an `env`, or use `serviceAvailabilityZoneIds`');
    }
    const name = props.exposure?.endpointServiceName;
    if (typeof name === 'string' && Token.isUnresolved(name)) {
      p.add('`lookupSupportedAzs` needs a literal endpoint service name, but the exposure\'s is known only at deployment; import the exposure by name, or leave `lookupSupportedAzs` out (an exposure of this app gives its zones)');
    }
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

  public bind(service: ITwelveFactorService): BackingServiceBinding {
    const prefix = this.envVarPrefix ?? upperSnake(this.consumer.node.id);
    const prefixProblem = envVarPrefixProblem(this.envVarPrefix);
    if (prefixProblem) Problems.reject('TwelveFactorService', service, prefixProblem);
    if (differentVpcs(service.environment.vpc, this.consumer._vpc)) {
      Problems.reject('TwelveFactorService', service,
        `\`attach\` ${this.consumer.node.path} is an endpoint in another VPC than the service's; create the PrivateLinkConsumer with the service's VPC (\`vpc: service.environment.vpc\`)`,
      );
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

