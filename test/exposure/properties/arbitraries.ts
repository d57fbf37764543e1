/**
 * Generators of the PrivateLinkExposure, PrivateLinkConsumer and vpcCidr properties
 * (../properties.test.ts): samples as data (principals, client peers, Regions, DNS names, health
 * checks, consumer options, CIDRs), valid, malformed and of the wrong kind, and the fixed values
 * they are built with.
 */
import { Duration, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { ConnectionEvent, PrivateLinkProtocol } from '../../../src';

export const SERVICE_PORT = 8080;
export const ZONE_NAME = 'example.com';

export const CLIENT_SG = 'sg-0aaaaaaaaaaaaaaaa';
export const CLIENT_PREFIX_LIST = 'pl-0bbbbbbbbbbbbbbbb';

/** Drops the keys whose value is undefined, as a user's object literal would not have them. */
export function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function show(o: object): string {
  return JSON.stringify(o, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

/** Undefined most of the time (an option left out), else a value from `arb`. */
export function sometimes<T>(arb: fc.Arbitrary<T>, present = 1, absent = 3): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: absent, arbitrary: fc.constant(undefined) }, { weight: present, arbitrary: arb });
}

/** Values of the wrong kind for any prop. */
export const wrongKind: fc.Arbitrary<any> = fc.constantFrom<any>('text', 'true', '443', 42, 1.5, true, [], {}, null);
export const booleanProp: fc.Arbitrary<any> = sometimes(fc.oneof({ weight: 8, arbitrary: fc.boolean() }, { weight: 1, arbitrary: wrongKind }), 1, 2);

/** An allowed principal, as data: made into a principal in the sample's stack. */
export type PrincipalSpec =
  | { readonly kind: 'account'; readonly id: string }
  | { readonly kind: 'arn'; readonly arn: string }
  | { readonly kind: 'anyPrincipal' }
  | { readonly kind: 'service' }
  | { readonly kind: 'junk'; readonly value: any };

export const VALID_ACCOUNTS = ['222222222222', '333333333333', '123456789012'];
export const INVALID_ACCOUNTS = ['12345', '1234567890123', 'abcdefghijkl', '', '22222222222a', '*'];
export const VALID_ARNS = [
  'arn:aws:iam::444444444444:role/consumer', 'arn:aws:iam::444444444444:role/service-role/app', 'arn:aws:iam::555555555555:user/alice',
  'arn:aws:iam::666666666666:root', 'arn:aws-cn:iam::777777777777:role/x', 'arn:aws-us-gov:iam::888888888888:user/division/bob',
];
export const INVALID_ARNS = [
  'arn:aws:iam::444444444444:role/*', 'arn:aws:iam::*:root', 'arn:aws:iam::44444444444:role/x', 'arn:aws:iam::444444444444:group/devs',
  'arn:aws:sts::444444444444:assumed-role/r/s', 'arn:aws:s3:::bucket', '444444444444', 'role/consumer', 'arn:aws:iam::444444444444:role/', '',
  ' *', 'arn:aws:iam::444444444444:role/a b',
];

/**
 * Principals: mostly valid (in a tame sample), else any kind. The found bug of
 * AccountPrincipal (its ARN is one token, so its account id went unchecked and two of the
 * same account were not found twice) is fixed: invalid and repeated accounts are drawn.
 */
export function principalArbOf(bad: number): fc.Arbitrary<PrincipalSpec> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...VALID_ACCOUNTS).map((id) => ({ kind: 'account' as const, id })) },
    { weight: 2 * bad, arbitrary: fc.constantFrom(...INVALID_ACCOUNTS).map((id) => ({ kind: 'account' as const, id })) },
    { weight: 10, arbitrary: fc.constantFrom(...VALID_ARNS).map((arn) => ({ kind: 'arn' as const, arn })) },
    { weight: 2 * bad, arbitrary: fc.constantFrom(...INVALID_ARNS).map((arn) => ({ kind: 'arn' as const, arn })) },
    { weight: 1 + bad, arbitrary: fc.constant({ kind: 'arn' as const, arn: '*' }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'anyPrincipal' as const }) },
    { weight: bad, arbitrary: fc.constant({ kind: 'service' as const }) },
    {
      weight: bad,
      arbitrary: fc.constantFrom<any>('111122223333', null, {}, { arn: 'arn:aws:iam::111122223333:root' }).map((value) => ({ kind: 'junk' as const, value })),
    },
  );
}

/** A list of principals, repeats included. */
export function principalsArbOf(bad: number): fc.Arbitrary<PrincipalSpec[]> {
  return fc.array(principalArbOf(bad), { minLength: 1, maxLength: 3 });
}

/** An allowed client peer, as data. */
export type ClientSpec =
  | { readonly kind: 'ipv4' | 'ipv6'; readonly cidr: string }
  | { readonly kind: 'anyIpv4' | 'anyIpv6' | 'securityGroup' | 'prefixList' }
  | { readonly kind: 'junk'; readonly value: any };

export const CLIENT_V4_OK = ['10.1.0.0/16', '10.2.0.0/16', '192.168.10.0/24', '172.16.0.0/12', '10.1.2.3/32'];
export const CLIENT_V4_ANY = ['0.0.0.0/0', '10.0.0.0/0', '0.0.0.0/00'];
export const CLIENT_V6_OK = ['fd00::/8', '2001:db8::/32'];

export function clientArbOf(bad: number): fc.Arbitrary<ClientSpec> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...CLIENT_V4_OK).map((cidr) => ({ kind: 'ipv4' as const, cidr })) },
    { weight: 2, arbitrary: fc.constantFrom(...CLIENT_V6_OK).map((cidr) => ({ kind: 'ipv6' as const, cidr })) },
    { weight: 2, arbitrary: fc.constantFrom('securityGroup' as const, 'prefixList' as const).map((kind) => ({ kind })) },
    { weight: bad, arbitrary: fc.constantFrom(...CLIENT_V4_ANY).map((cidr) => ({ kind: 'ipv4' as const, cidr })) },
    { weight: bad, arbitrary: fc.constant({ kind: 'ipv6' as const, cidr: '::/0' }) },
    { weight: bad, arbitrary: fc.constantFrom('anyIpv4' as const, 'anyIpv6' as const).map((kind) => ({ kind })) },
    { weight: bad, arbitrary: fc.constantFrom<any>('10.1.0.0/16', null, {}, 42).map((value) => ({ kind: 'junk' as const, value })) },
  );
}

export const VALID_REGIONS = ['eu-west-1', 'us-west-2', 'ap-southeast-2', 'us-gov-west-1', 'eu-central-2', 'ca-west-1', 'il-central-1', 'mx-central-1'];
export const INVALID_REGIONS = ['EU-WEST-1', 'eu-west', 'europe', 'us-east-1a', '', 'eu_west_1', ' eu-west-1', 'eu-west-1 '];

export function regionsArbOf(bad: number): fc.Arbitrary<any> {
  return sometimes(fc.oneof(
    { weight: 12, arbitrary: fc.uniqueArray(fc.constantFrom(...VALID_REGIONS), { maxLength: 3 }) },
    {
      weight: 2 * bad,
      arbitrary: fc.array(fc.oneof(fc.constantFrom(...VALID_REGIONS), fc.constantFrom(...INVALID_REGIONS)), { minLength: 1, maxLength: 3 }),
    },
    { weight: bad, arbitrary: fc.constantFrom(...VALID_REGIONS).map((r) => [r, r]) },
    { weight: bad, arbitrary: fc.constantFrom<any>('eu-west-1', [1], [null], 42) },
  ), 1, 2);
}

export type DnsName = { readonly name: string; readonly verdict: 'inZone' | 'outside' | 'notDns' };
export const DNS_NAMES: DnsName[] = [
  ...['billing.example.com', 'example.com', 'api.billing.example.com', 'Billing.Example.com', 'x-1.example.com']
    .map((name) => ({ name, verdict: 'inZone' as const })),
  ...['billing.example.org', 'billing.notexample.com', 'example.com.evil.org', 'com'].map((name) => ({ name, verdict: 'outside' as const })),
  ...['billing', 'bad_name.example.com', '-x.example.com', 'a..example.com', '', '*.example.com', `${'x'.repeat(64)}.example.com`, 'billing .example.com']
    .map((name) => ({ name, verdict: 'notDns' as const })),
];

/** The DNS option of a sample: the name and the zone (data; the zone is made in the stack). */
export interface DnsSpec {
  readonly name?: any;
  readonly zone?: 'public' | 'junk';
}

export function dnsArbOf(bad: number): fc.Arbitrary<DnsSpec> {
  const good = DNS_NAMES.filter((d) => d.verdict === 'inZone');
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant({}) },
    { weight: 8, arbitrary: fc.constantFrom(...good).map((d) => ({ name: d.name, zone: 'public' as const })) },
    { weight: 2 * bad, arbitrary: fc.constantFrom(...DNS_NAMES).map((d) => ({ name: d.name, zone: 'public' as const })) },
    { weight: bad, arbitrary: fc.constantFrom(...DNS_NAMES).map((d) => ({ name: d.name })) },
    { weight: bad, arbitrary: fc.constant({ zone: 'public' as const }) },
    { weight: bad, arbitrary: fc.constantFrom<DnsSpec>({ name: 'billing.example.com', zone: 'junk' }, { name: 42, zone: 'public' }) },
  );
}

/** Health checks: the default, valid ones, and ones the target group would refuse. */
export const HEALTH_CHECKS: Array<{ check?: elbv2.HealthCheck; ok: boolean; extraPort?: number }> = [
  { ok: true },
  { check: { port: 'traffic-port' }, ok: true },
  { check: { protocol: elbv2.Protocol.HTTP, path: '/health' }, ok: true },
  { check: { port: '9090' }, ok: true, extraPort: 9090 },
  { check: { path: '/health' }, ok: false },
  { check: { protocol: elbv2.Protocol.UDP }, ok: false },
  { check: { port: '70000' }, ok: false },
];

/** A sample of exposure props, as data. */
export interface ExposureSample {
  readonly withPort: boolean;
  readonly principals: PrincipalSpec[] | 'none' | 'notList';
  readonly allowAnyPrincipal?: any;
  readonly clients?: ClientSpec[] | 'notList';
  readonly enforce?: any;
  readonly acceptanceRequired?: any;
  readonly allowedRegions?: any;
  readonly protocol?: any;
  readonly certificate?: 'cert' | 'junk';
  readonly sslPolicy?: any;
  readonly port?: any;
  readonly health: number;
  readonly deregistrationDelay?: Duration;
  readonly deletionProtection?: any;
  readonly dns: DnsSpec;
  readonly enableConnectionNotifications?: any;
  readonly topic?: 'imported' | 'junk';
  readonly connectionEvents?: any;
  readonly createOutputs?: any;
}

/** A value of `good` mostly, of `bad` with the relative weight `badWeight` (0: never). */
export function mix<T>(good: fc.Arbitrary<T>, bad: fc.Arbitrary<any>, badWeight: number, goodWeight = 12): fc.Arbitrary<any> {
  const weight = Math.round(4 * badWeight);
  return weight === 0 ? good : fc.oneof({ weight: 4 * goodWeight, arbitrary: good }, { weight, arbitrary: bad });
}

/**
 * Exposure samples. `bad` weighs the wrong values against the right ones: a tame sample
 * (bad 0 or 1) is mostly valid, a wild one (bad 4) mostly refused. Props that only make
 * sense together are drawn together: '*' mostly with `allowAnyPrincipal`, a TLS policy
 * mostly with a certificate, events mostly with notifications.
 */
export function exposureArbOf(bad: number): fc.Arbitrary<ExposureSample> {
  const base = fc.record({
    withPort: mix(fc.constant(true), fc.constant(false), bad / 4, 30),
    principals: mix(principalsArbOf(bad), fc.constantFrom<'none' | 'notList'>('none', 'notList'), bad / 2),
    clients: mix(fc.array(clientArbOf(bad), { minLength: 1, maxLength: 3 }), fc.constantFrom<any>([], undefined, 'notList'), bad),
    enforce: sometimes(mix(fc.boolean(), wrongKind, bad / 2), 1, 6),
    acceptanceRequired: sometimes(mix(fc.boolean(), wrongKind, bad / 2), 1, 2),
    allowedRegions: regionsArbOf(bad),
    protocol: fc.constantFrom<any>(undefined, undefined, PrivateLinkProtocol.TCP, PrivateLinkProtocol.TLS),
    certificate: sometimes(mix(fc.constant('cert' as const), fc.constant('junk' as const), bad / 2), 1, 1),
    sslPolicy: sometimes(mix(
      fc.constantFrom(elbv2.SslPolicy.RECOMMENDED_TLS, elbv2.SslPolicy.TLS13_13, elbv2.SslPolicy.FIPS_TLS13_12_EXT2),
      fc.constantFrom<any>('ELBSecurityPolicy-Nope', 42), bad / 2), 1, 4),
    port: sometimes(mix(
      fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 1, max: 65535 }) }, { weight: 1, arbitrary: fc.constantFrom(1, 443, 65535) }),
      fc.constantFrom<any>(0, -1, 65536, 70000, 443.5, 0.5, NaN, Infinity, -Infinity, '443'), 2 * bad), 1, 2),
    health: mix(fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
      fc.integer({ min: 4, max: HEALTH_CHECKS.length - 1 }), bad),
    deregistrationDelay: sometimes(mix(fc.constantFrom(Duration.seconds(0), Duration.seconds(30), Duration.seconds(3600)),
      fc.constantFrom(Duration.seconds(3601), Duration.millis(1500)), bad), 1, 6),
    deletionProtection: sometimes(mix(fc.boolean(), wrongKind, bad / 2), 1, 3),
    dns: dnsArbOf(bad),
    enableConnectionNotifications: sometimes(mix(fc.boolean(), wrongKind, bad / 2), 1, 2),
    topic: sometimes(mix(fc.constant('imported' as const), fc.constant('junk' as const), bad / 2), 1, 4),
    connectionEvents: sometimes(mix(
      fc.oneof({ weight: 6, arbitrary: fc.subarray(Object.values(ConnectionEvent), { minLength: 1 }) },
        { weight: 1, arbitrary: fc.constant([ConnectionEvent.ACCEPT, ConnectionEvent.ACCEPT]) }),
      fc.constantFrom<any>([], ['connect'], [ConnectionEvent.CONNECT, 'Established'], 'Connect', [42]), bad), 1, 3),
    createOutputs: sometimes(mix(fc.boolean(), wrongKind, bad / 2), 1, 5),
    // Whether the props that go together are drawn together (1) or apart (0).
    together: mix(fc.constant(true), fc.constant(false), bad),
    junkProtocol: mix(fc.constant(false), fc.constant(true), bad / 4, 30),
    anyWrongKind: mix(fc.constant(undefined), wrongKind, bad / 4, 30),
    eventsWithoutNotifications: mix(fc.constant(false), fc.constant(true), bad / 4),
  });
  return base.map(({ together, junkProtocol, anyWrongKind, eventsWithoutNotifications, ...raw }) => {
    const s = eventsWithoutNotifications
      ? { ...raw, enableConnectionNotifications: raw.acceptanceRequired === false ? undefined : false, connectionEvents: [ConnectionEvent.CONNECT] }
      : raw;
    const star = Array.isArray(s.principals) && s.principals.some((p: PrincipalSpec) => p.kind === 'anyPrincipal' || (p.kind === 'arn' && p.arn === '*'));
    const tls = s.certificate !== undefined;
    const notify = s.enableConnectionNotifications ?? ((s.acceptanceRequired ?? true) || s.topic !== undefined);
    return defined({
      ...s,
      allowAnyPrincipal: anyWrongKind ?? (together ? (star ? true : undefined) : star ? undefined : true),
      protocol: junkProtocol ? 'tls' : s.protocol === undefined ? undefined : together ? (tls ? PrivateLinkProtocol.TLS : PrivateLinkProtocol.TCP) : s.protocol,
      sslPolicy: together && !tls ? undefined : s.sslPolicy,
      connectionEvents: together && notify !== true ? undefined : s.connectionEvents,
      clients: together && s.enforce === false ? undefined : s.clients,
    }) as ExposureSample;
  });
}

/** Whether `name` is `zone` or a name under it (case-insensitive). */
export function inZone(name: string, zone: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  const z = zone.toLowerCase().replace(/\.$/, '');
  return n === z || n.endsWith(`.${z}`);
}

export type ConsumerName = { readonly name: any; readonly dns: boolean };
export const CONSUMER_NAMES: ConsumerName[] = [
  ...['billing.example.com', 'example.com', 'billing.internal.example.com', 'Billing.Example.com', 'billing.example.com.', 'billing.corp']
    .map((name) => ({ name, dns: true })),
  ...['billing', 'bad_name.example.com', '', '-billing.example.com', 'a..example.com', '*.example.com'].map((name) => ({ name, dns: false })),
];

export interface ConsumerSample {
  /** The exposure: imported with or without a private DNS name, or one of this app. */
  readonly exposure: 'imported' | 'importedWithDns' | 'ours' | 'oursWithDns' | 'junk';
  readonly privateDnsEnabled?: any;
  readonly domainName?: number;
  readonly domainNameWrongKind?: boolean;
  readonly hostedZone?: 'inside' | 'other' | 'junk';
  readonly allowFrom?: 'sg' | 'range' | 'any' | 'junk' | 'notList';
}

/** The names in the zone example.com. */
export const NAMES_IN_ZONE = CONSUMER_NAMES.map((n, i) => (n.dns && inZone(n.name, ZONE_NAME) ? i : -1)).filter((i) => i >= 0);

/** Consumer samples (names in capitals included: DNS is case-insensitive, records are lower case). */
export const consumerArb: fc.Arbitrary<ConsumerSample> = fc.record({
  exposure: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom<'imported' | 'importedWithDns'>('imported', 'importedWithDns') },
    { weight: 2, arbitrary: fc.constantFrom<'ours' | 'oursWithDns'>('ours', 'oursWithDns') },
    { weight: 1, arbitrary: fc.constant<'junk'>('junk') },
  ),
  privateDnsEnabled: booleanProp,
  domainName: sometimes(fc.oneof(fc.integer({ min: 0, max: CONSUMER_NAMES.length - 1 }), fc.constantFrom(...NAMES_IN_ZONE)), 1, 1),
  domainNameWrongKind: fc.oneof({ weight: 20, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  hostedZone: sometimes(fc.constantFrom<'inside' | 'other' | 'junk'>('inside', 'inside', 'inside', 'other', 'junk'), 1, 2),
  allowFrom: sometimes(fc.constantFrom<'sg' | 'range' | 'any' | 'junk' | 'notList'>('sg', 'sg', 'range', 'any', 'junk', 'notList'), 1, 2),
}, { requiredKeys: ['exposure', 'domainNameWrongKind'] });

export interface CidrSample {
  readonly cidr: any;
  readonly maxAzs: number;
}

export const octet = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 255 }) },
  { weight: 1, arbitrary: fc.integer({ min: 256, max: 999 }) },
);
/** A CIDR: mostly a network address (host bits clear), sometimes not; any prefix from 8 to 32. */
export const cidrArb: fc.Arbitrary<any> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.tuple(fc.tuple(octet, octet, octet, octet), fc.integer({ min: 8, max: 32 }), fc.boolean()).map(([o, prefix, clear]) => {
      if (!clear || o.some((x) => x > 255)) return `${o.join('.')}/${prefix}`;
      const address = o.reduce((a, x) => a * 256 + x, 0);
      const network = address - (address % 2 ** (32 - prefix));
      return `${[24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.')}/${prefix}`;
    }),
  },
  // Ranges of the sizes a VPC may have, host bits clear: 10.a.b.0/16 to /20.
  {
    weight: 6,
    arbitrary: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 16, max: 20 }))
      .map(([a, b, p]) => `10.${a}.${b - (b % 2 ** Math.max(0, 24 - p))}.0/${p}`),
  },
  { weight: 2, arbitrary: fc.constantFrom('10.0.0.0/16', '10.2.0.0/16', '172.16.0.0/18', '192.168.0.0/19', '10.0.0.0/17', '10.0.0.0/20') },
  { weight: 2, arbitrary: fc.constantFrom<any>('10.0.0.0', '10.0.0.0/16/1', 'ten', '10.0.0/16', ' 10.0.0.0/16', '10.0.0.0/-1', '', '10.0.0.0/1.5', 10, null) },
);
