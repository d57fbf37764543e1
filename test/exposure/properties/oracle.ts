/**
 * The oracles of the PrivateLinkExposure, PrivateLinkConsumer and vpcCidr properties
 * (../properties.test.ts), from the documented rules: from a sample's props alone, the props a
 * refusal must name, or what the template of a valid sample must hold.
 */
import { aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { CidrSample, CLIENT_PREFIX_LIST, CLIENT_SG, ClientSpec, CONSUMER_NAMES, ConsumerSample, DNS_NAMES, ExposureSample, HEALTH_CHECKS, inZone, PrincipalSpec, SERVICE_PORT, show, VALID_ARNS, VALID_REGIONS, ZONE_NAME } from './arbitraries';
import { ConnectionEvent, PrivateLinkProtocol } from '../../../src';

/** The ARN a principal spec renders to in the template, or undefined when it is no ArnPrincipal. */
export function principalArn(spec: PrincipalSpec): string | undefined {
  switch (spec.kind) {
    case 'account': return `arn:\${AWS::Partition}:iam::${spec.id}:root`;
    case 'arn': return spec.arn;
    case 'anyPrincipal': return '*';
    default: return undefined;
  }
}

/** Whether the peer lets any address in; undefined when it is no peer. */
export function clientIsAny(spec: ClientSpec): boolean | undefined {
  switch (spec.kind) {
    case 'ipv4': case 'ipv6': return /\/0+$/.test(spec.cidr);
    case 'anyIpv4': case 'anyIpv6': return true;
    case 'securityGroup': case 'prefixList': return false;
    default: return undefined;
  }
}

/** The source of the ingress rule a valid client makes. */
export function clientSource(spec: ClientSpec): string {
  switch (spec.kind) {
    case 'ipv4': return `CidrIp=${spec.cidr}`;
    case 'ipv6': return `CidrIpv6=${spec.cidr}`;
    case 'securityGroup': return `SourceSecurityGroupId=${CLIENT_SG}`;
    case 'prefixList': return `SourcePrefixListId=${CLIENT_PREFIX_LIST}`;
    default: throw new Error(`no source for ${show(spec)}`);
  }
}

/** What the oracle expects of an exposure sample. */
export interface ExposureVerdict {
  readonly faults: Set<string>;
  readonly protocol: 'TCP' | 'TLS';
  readonly port: number;
  readonly sslPolicy?: string;
  readonly acceptance: boolean;
  readonly principals: Set<string>;
  readonly ingress: Set<string>;
  readonly enforce: boolean;
  readonly notify: boolean;
  readonly events: Set<string>;
  readonly regions?: string[];
  readonly dnsName?: string;
  readonly createOutputs: boolean;
  readonly healthPort?: number;
}

export const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

export function exposureOracle(s: ExposureSample): ExposureVerdict {
  const faults = new Set<string>();
  // Props of the wrong kind are faults, and the other rules see them as left out.
  const bool = (prop: string, v: unknown): boolean | undefined => {
    if (v === undefined) return undefined;
    if (!isBool(v)) {
      faults.add(prop);
      return undefined;
    }
    return v;
  };
  const allowAny = bool('allowAnyPrincipal', s.allowAnyPrincipal) ?? false;
  const enforce = bool('enforceSecurityGroupInboundRulesOnPrivateLinkTraffic', s.enforce) ?? true;
  const acceptance = bool('acceptanceRequired', s.acceptanceRequired) ?? true;
  bool('deletionProtection', s.deletionProtection);
  const createOutputs = bool('createOutputs', s.createOutputs) ?? false;
  const notifyGiven = bool('enableConnectionNotifications', s.enableConnectionNotifications);

  if (!s.withPort) faults.add('service');

  // Principals: whole accounts (12 digits), roles and users, or '*' on purpose; each once.
  const principals = new Set<string>();
  if (!Array.isArray(s.principals)) {
    faults.add('allowedPrincipals');
  } else {
    const arns: string[] = [];
    for (const p of s.principals) {
      const arn = principalArn(p);
      if (arn === undefined) {
        faults.add('allowedPrincipals');
        continue;
      }
      arns.push(arn);
      if (arn === '*') {
        if (!allowAny) faults.add('allowedPrincipals|allowAnyPrincipal');
      } else if (p.kind === 'account' ? !/^\d{12}$/.test(p.id) : !VALID_ARNS.includes(arn)) {
        faults.add('allowedPrincipals');
      }
      principals.add(arn);
    }
    if (arns.length !== principals.size) faults.add('allowedPrincipals');
    if (allowAny && !arns.includes('*')) faults.add('allowAnyPrincipal');
  }
  if (s.allowAnyPrincipal === true && !Array.isArray(s.principals)) faults.add('allowAnyPrincipal|allowedPrincipals');

  // Clients: named ranges, groups or prefix lists, never any address; some while enforced, none when not.
  const ingress = new Set<string>();
  if (s.clients === 'notList') {
    faults.add('allowedClients');
  } else {
    for (const c of s.clients ?? []) {
      const any = clientIsAny(c);
      if (any !== false) faults.add('allowedClients');
      else ingress.add(clientSource(c));
    }
    const none = (s.clients ?? []).length === 0;
    if (enforce && none) faults.add('allowedClients|enforceSecurityGroupInboundRulesOnPrivateLinkTraffic');
    if (!enforce && !none) faults.add('allowedClients|enforceSecurityGroupInboundRulesOnPrivateLinkTraffic');
  }

  // Regions: names like eu-west-1, each once.
  let regions: string[] | undefined;
  if (s.allowedRegions !== undefined) {
    if (!Array.isArray(s.allowedRegions) || !s.allowedRegions.every((r: unknown) => typeof r === 'string')) {
      faults.add('allowedRegions');
    } else {
      regions = s.allowedRegions;
      if (regions.some((r) => !VALID_REGIONS.includes(r)) || new Set(regions).size !== regions.length) faults.add('allowedRegions');
    }
  }

  // The listener: TLS with a certificate, TCP without; a TLS policy only for TLS; a whole port.
  const protocolOk = s.protocol === undefined || s.protocol === PrivateLinkProtocol.TCP || s.protocol === PrivateLinkProtocol.TLS;
  if (!protocolOk) faults.add('protocol');
  const tls = s.protocol === PrivateLinkProtocol.TLS || (s.protocol === undefined && s.certificate !== undefined);
  if (s.certificate === 'junk') faults.add('certificate');
  if (s.protocol === PrivateLinkProtocol.TLS && s.certificate === undefined) faults.add('protocol|certificate');
  if (s.protocol === PrivateLinkProtocol.TCP && s.certificate !== undefined) faults.add('protocol|certificate');
  if (s.sslPolicy !== undefined) {
    if (!tls) faults.add('sslPolicy');
    else if (!Object.values(elbv2.SslPolicy).includes(s.sslPolicy)) faults.add('sslPolicy');
  }
  let port: number | undefined;
  if (s.port !== undefined) {
    if (typeof s.port !== 'number') faults.add('port');
    else if (!(Number.isInteger(s.port) && s.port >= 1 && s.port <= 65535)) faults.add('port');
    else port = s.port;
  }
  const health = HEALTH_CHECKS[s.health];
  if (!health.ok) faults.add('healthCheck');
  if (s.deregistrationDelay !== undefined) {
    const ms = s.deregistrationDelay.toMilliseconds({ integral: false });
    if (!(ms % 1000 === 0 && ms >= 0 && ms <= 3600_000)) faults.add('deregistrationDelay');
  }

  // Private DNS: a DNS name in the public zone given with it.
  const { name, zone } = s.dns;
  let dnsName: string | undefined;
  if (name !== undefined && typeof name !== 'string') faults.add('privateDnsName');
  const nameGiven = typeof name === 'string';
  if (nameGiven && zone === undefined) faults.add('privateDnsName|publicHostedZone');
  if (!nameGiven && name === undefined && zone !== undefined) faults.add('publicHostedZone|privateDnsName');
  if (zone === 'junk') faults.add('publicHostedZone');
  if (nameGiven) {
    // The names are labelled by hand: in the zone example.com, outside it, or no DNS name.
    const label = DNS_NAMES.find((d) => d.name === name)!.verdict;
    if (label === 'notDns') faults.add('privateDnsName');
    else if (zone === 'public' && label === 'outside') faults.add('privateDnsName');
    dnsName = name;
  }

  // Notifications: on by default with acceptance or a topic; events only with notifications.
  const notify = notifyGiven ?? (acceptance || s.topic !== undefined);
  if (notifyGiven === false && s.topic !== undefined) faults.add('notificationTopic|enableConnectionNotifications');
  if (s.topic === 'junk') faults.add('notificationTopic');
  const ev = s.connectionEvents;
  let events = new Set<string>(Object.values(ConnectionEvent));
  if (ev !== undefined) {
    if (notifyGiven === false || !notify) faults.add('connectionEvents|enableConnectionNotifications');
    const all: unknown[] = Object.values(ConnectionEvent);
    if (!Array.isArray(ev) || ev.length === 0 || !ev.every((e) => all.includes(e))) faults.add('connectionEvents');
    else events = new Set(ev);
  }

  return {
    faults,
    protocol: tls ? 'TLS' : 'TCP',
    port: port ?? (tls ? 443 : SERVICE_PORT),
    sslPolicy: tls ? (s.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS) : undefined,
    acceptance,
    principals,
    ingress,
    enforce,
    notify,
    events,
    regions,
    dnsName,
    createOutputs,
    healthPort: health.extraPort,
  };
}

export const PROVIDER_DNS = 'billing.example.com';

export interface ConsumerVerdict {
  readonly faults: Set<string>;
  /** The faults the refusal must name (see the BUG notes in the oracle). */
  readonly mustName: Set<string>;
  readonly privateDns: boolean;
  /** The host name, or undefined for the endpoint's regional name. */
  readonly hostName?: string;
  /** The record's zone: a new private zone of the name, the zone given, or none. */
  readonly record?: 'newZone' | 'givenZone';
  readonly domainName?: string;
  readonly allowSg: boolean;
  readonly allowRange: boolean;
}

export function consumerOracle(s: ConsumerSample): ConsumerVerdict {
  if (s.exposure === 'junk') {
    const exposure = new Set(['exposure']);
    return { faults: exposure, mustName: exposure, privateDns: false, allowSg: false, allowRange: false };
  }
  const providerName = s.exposure === 'importedWithDns' || s.exposure === 'oursWithDns' ? PROVIDER_DNS : undefined;
  // Props of the wrong kind are faults, and the other rules see them as left out.
  const kindFaults = new Set<string>();
  let pde: boolean | undefined;
  if (s.privateDnsEnabled !== undefined) {
    if (isBool(s.privateDnsEnabled)) pde = s.privateDnsEnabled;
    else kindFaults.add('privateDnsEnabled');
  }
  let domainName: string | undefined;
  if (s.domainNameWrongKind) kindFaults.add('domainName');
  else if (s.domainName !== undefined) domainName = CONSUMER_NAMES[s.domainName].name;
  const faults = new Set<string>(kindFaults);
  // Faults of the name itself: not a DNS name, or outside the zone given.
  const nameFaults = new Set<string>();
  if (pde === true && providerName === undefined) faults.add('privateDnsEnabled');
  const privateDns = pde ?? providerName !== undefined;
  if (domainName !== undefined && privateDns) faults.add('domainName|privateDnsEnabled');
  if (s.hostedZone !== undefined && domainName === undefined && !s.domainNameWrongKind) faults.add('hostedZone|domainName');
  if (s.hostedZone === 'junk') faults.add('hostedZone');
  if (domainName !== undefined) {
    if (!CONSUMER_NAMES.find((n) => n.name === domainName)!.dns) nameFaults.add('domainName');
    else if (s.hostedZone === 'inside' && !inZone(domainName, ZONE_NAME)) nameFaults.add('domainName');
    else if (s.hostedZone === 'other' && !inZone(domainName, 'other.org')) nameFaults.add('domainName');
  }
  if (s.allowFrom === 'any' || s.allowFrom === 'junk' || s.allowFrom === 'notList') faults.add('allowFrom');
  // One refusal names every prop at fault, props of the wrong kind included.
  for (const f of nameFaults) faults.add(f);
  const mustName = new Set(faults);
  const record = domainName === undefined ? undefined : s.hostedZone === undefined ? 'newZone' : 'givenZone';
  return {
    faults,
    mustName,
    privateDns,
    hostName: domainName !== undefined ? domainName.toLowerCase().replace(/\.$/, '') : (privateDns ? providerName : undefined),
    record,
    domainName,
    allowSg: s.allowFrom === 'sg',
    allowRange: s.allowFrom === 'range',
  };
}

/** A VPC needs /16 to /28, the network address, and room for the subnets CDK lays out in order. */
export function cidrOracle(s: CidrSample): { ok: boolean; network?: [number, number] } {
  if (typeof s.cidr !== 'string') return { ok: false };
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(s.cidr);
  if (!m) return { ok: false };
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix < 16 || prefix > 28) return { ok: false };
  const start = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (start % size !== 0) return { ok: false };
  // One /24 public subnet per zone, then one /20 private subnet per zone, each aligned to its size.
  let next = start;
  for (const mask of [...Array(s.maxAzs).fill(24), ...Array(s.maxAzs).fill(20)]) {
    const block = 2 ** (32 - mask);
    next = Math.ceil(next / block) * block + block;
  }
  return { ok: next <= start + size, network: [start, size] };
}
