/**
 * Unit tests of PrivateLinkConsumer and of imported exposures: the interface endpoint, its
 * closed security group, private DNS or a friendly private record, attaching it to services
 * (ingress and injected variables), use across stacks, the same-VPC warning, and every
 * refusal with its message.
 */
import {
  App,
  CfnParameter,
  Stack,
  Token,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_route53 as route53,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import {
  IPrivateLinkExposure,
  MicroserviceEnvironment,
  PrivateLinkConsumer,
  PrivateLinkConsumerProps,
  PrivateLinkExposure,
  PrivateLinkExposureAttributes,
  PrivateLinkExposureProps,
  PrivateLinkProtocol,
  TwelveFactorService,
} from '../../src';
import { attempt, expectConstructs, expectValidationError } from '../error-contract';
import { ENV, IMAGE, containerOf, importedVpc } from '../service/fixtures';

const PATH = 'Test/Billing';
const PROPS = ['exposure', 'vpc', 'vpcSubnets', 'serviceAvailabilityZoneIds', 'availabilityZoneIds', 'lookupSupportedAzs', 'privateDnsEnabled', 'domainName', 'hostedZone', 'allowFrom', 'envVarPrefix', 'attach'];
const ATTRIBUTES = ['endpointServiceName', 'port', 'protocol', 'privateDnsName'];
const SERVICE_NAME = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';
const CONSUMER_VPC_ID = 'vpc-0fedcba9876543210';
const CONSUMER_SUBNETS = ['subnet-1000000000000000c', 'subnet-1000000000000000d'];

/** The regional DNS name of the endpoint, as the consumer derives it. */
const REGIONAL_NAME = {
  'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::Select': [0, { 'Fn::GetAtt': [expect.stringMatching(/^BillingEndpoint/), 'DnsEntries'] }] }] }],
};

// ---------------------------------------------------------------------------------------
// Fixtures.
// ---------------------------------------------------------------------------------------

/** The consumers' VPC: another id and range than the provider's (importedVpc). */
function consumerVpc(stack: Stack, id = 'ConsumerVpc', vpcId = CONSUMER_VPC_ID): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, id, {
    vpcId,
    vpcCidrBlock: '10.1.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    publicSubnetIds: ['subnet-1000000000000000a', 'subnet-1000000000000000b'],
    privateSubnetIds: CONSUMER_SUBNETS,
    publicSubnetRouteTableIds: ['rtb-1000000000000000a', 'rtb-1000000000000000b'],
    privateSubnetRouteTableIds: ['rtb-1000000000000000c', 'rtb-1000000000000000d'],
  });
}

interface ConsumerWorld {
  readonly stack: Stack;
  readonly vpc: ec2.IVpc;
  readonly env: MicroserviceEnvironment;
  /** A service in the consumers' VPC. */
  readonly users: TwelveFactorService;
  readonly exposure: IPrivateLinkExposure;
}

/** A stack with the consumers' environment, a service `Users` and an imported exposure. */
function consumerWorld(attrs: Partial<PrivateLinkExposureAttributes> = {}): ConsumerWorld {
  const stack = new Stack(new App(), 'Test', { env: ENV });
  const vpc = consumerVpc(stack);
  const env = new MicroserviceEnvironment(stack, 'Env', { vpc });
  const users = new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, port: 8080, user: '1000' });
  const exposure = PrivateLinkExposure.fromPrivateLinkExposureAttributes(stack, 'BillingService', {
    endpointServiceName: SERVICE_NAME,
    port: 443,
    protocol: PrivateLinkProtocol.TLS,
    ...attrs,
  });
  return { stack, vpc, env, users, exposure };
}

type Extra = Partial<PrivateLinkConsumerProps> | ((w: ConsumerWorld) => Partial<PrivateLinkConsumerProps>);

function propsIn(w: ConsumerWorld, extra: Extra = {}): PrivateLinkConsumerProps {
  const more = typeof extra === 'function' ? extra(w) : extra;
  return { exposure: w.exposure, vpc: w.vpc, ...more };
}

/** A consumer `Billing` of an imported exposure; the template is synthesized on first use. */
function consume(extra: Extra = {}, attrs: Partial<PrivateLinkExposureAttributes> = {}) {
  const w = consumerWorld(attrs);
  const consumer = new PrivateLinkConsumer(w.stack, 'Billing', propsIn(w, extra));
  let template: Template | undefined;
  return {
    ...w,
    consumer,
    get t(): Template {
      template ??= Template.fromStack(w.stack);
      return template;
    },
  };
}

/** A provider (service `Payments` exposed as `PaymentsLink`) in `stack`, on the environment `ProviderEnv`. */
function provider(stack: Stack, extra: Partial<PrivateLinkExposureProps> = {}) {
  const env = new MicroserviceEnvironment(stack, 'ProviderEnv', { vpc: importedVpc(stack, 'ProviderVpc') });
  const service = new TwelveFactorService(stack, 'Payments', { environment: env, image: IMAGE, port: 8080, user: '1000' });
  const link = new PrivateLinkExposure(stack, 'PaymentsLink', {
    service,
    allowedPrincipals: [new iam.AccountPrincipal('111111111111')],
    allowedClients: [ec2.Peer.ipv4('10.1.0.0/16')],
    ...extra,
  });
  return { env, service, link };
}

function refersTo(value: unknown, prefix: string): boolean {
  return JSON.stringify(value ?? null).includes(`"${prefix}`);
}

/** Every ingress rule of the endpoint's security group (inline and separate), without descriptions. */
function endpointIngress(t: Template, prefix = 'BillingSecurityGroup'): Array<Record<string, unknown>> {
  const inline = Object.entries(t.findResources('AWS::EC2::SecurityGroup'))
    .filter(([id]) => id.startsWith(prefix))
    .flatMap(([, r]) => r.Properties.SecurityGroupIngress ?? []);
  const separate = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress'))
    .filter((r) => refersTo(r.Properties.GroupId, prefix))
    .map((r) => {
      const { GroupId: _group, ...rest } = r.Properties;
      return rest;
    });
  return [...inline, ...separate].map((r: Record<string, unknown>) => {
    const { Description: _description, ...rest } = r;
    return rest;
  });
}

function variablesOf(t: Template, prefix = 'UsersTaskDefinition'): Record<string, unknown> {
  const container = containerOf(t, prefix);
  return Object.fromEntries((container.Environment ?? []).map((v: { Name: string; Value: unknown }) => [v.Name, v.Value]));
}

function expectRefusal(build: () => void, path = PATH, classes = ['PrivateLinkConsumer'], props = PROPS): string {
  return expectValidationError(attempt(build), { classes, path, props });
}

// ---------------------------------------------------------------------------------------
// Defaults.
// ---------------------------------------------------------------------------------------

describe('defaults (we create them)', () => {
  const { consumer, t, stack } = consume();

  test('an interface endpoint to the service, in the VPC\'s private subnets, private DNS off', () => {
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 1);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      ServiceName: SERVICE_NAME,
      VpcId: CONSUMER_VPC_ID,
      SubnetIds: CONSUMER_SUBNETS,
      PrivateDnsEnabled: false,
      SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^BillingSecurityGroup'), 'GroupId'] }],
    });
    expect(consumer.privateDnsEnabled).toBe(false);
  });

  test('its own security group, closed: nobody in, nothing out', () => {
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'PrivateLink endpoint Test/Billing',
      VpcId: CONSUMER_VPC_ID,
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
    expect(endpointIngress(t)).toEqual([]);
  });

  test('consumers connect to the endpoint\'s regional DNS name on the exposure\'s port', () => {
    expect(stack.resolve(consumer.hostName)).toEqual(REGIONAL_NAME);
    expect(consumer.port).toBe(443);
  });

  test('no hosted zone, no record, no warning', () => {
    t.resourceCountIs('AWS::Route53::HostedZone', 0);
    t.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(consumer.privateHostedZone).toBeUndefined();
    expect(consumer.record).toBeUndefined();
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('privateLinkSameVpc'));
  });

  test('the L2 constructs in use are exposed', () => {
    expect(consumer.endpoint).toBeInstanceOf(ec2.InterfaceVpcEndpoint);
    expect(consumer.securityGroup).toBeInstanceOf(ec2.SecurityGroup);
    expect(consumer.connections.securityGroups).toEqual([consumer.securityGroup]);
  });
});

describe('subnets', () => {
  test('subnets of the user', () => {
    const { t } = consume({ vpcSubnets: { subnetFilters: [ec2.SubnetFilter.byIds(['subnet-1000000000000000d'])] } });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { SubnetIds: ['subnet-1000000000000000d'] });
  });

  test('public subnets by type', () => {
    const { t } = consume({ vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { SubnetIds: ['subnet-1000000000000000a', 'subnet-1000000000000000b'] });
  });
});

// ---------------------------------------------------------------------------------------
// Zones: the endpoint only where the provider's load balancer is (issue 14, defect 6).
// ---------------------------------------------------------------------------------------

/** This account's zone ids of the consumer VPC's zones (us-east-1a, us-east-1b). */
const ZONE_IDS = { 'us-east-1a': 'use1-az6', 'us-east-1b': 'use1-az4' };
const ZONES_WARNING = /cdk-microservices:privateLinkConsumerZones/;

function zoneWarnings(stack: Stack): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.anyValue())
    .map((w) => String(w.entry.data))
    .filter((text) => ZONES_WARNING.test(text));
}

/** A provider whose load balancer is in the given zones of the provider VPC (us-east-1a, us-east-1b, us-east-1c). */
function providerIn(stack: Stack, zones: string[]) {
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'ProviderVpc', {
    vpcId: 'vpc-0123456789abcdef0',
    vpcCidrBlock: '10.0.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
    privateSubnetIds: ['subnet-0000000000000000c', 'subnet-0000000000000000d', 'subnet-0000000000000000e'],
    privateSubnetRouteTableIds: ['rtb-0000000000000000c', 'rtb-0000000000000000d', 'rtb-0000000000000000e'],
  });
  const env = new MicroserviceEnvironment(stack, 'ProviderEnv', { vpc, serviceSubnets: { availabilityZones: zones } });
  const service = new TwelveFactorService(stack, 'Payments', { environment: env, image: IMAGE, port: 8080, user: '1000' });
  return new PrivateLinkExposure(stack, 'PaymentsLink', {
    service,
    allowedPrincipals: [new iam.AccountPrincipal('111111111111')],
    allowedClients: [ec2.Peer.ipv4('10.1.0.0/16')],
  });
}

describe('zones of the provider\'s load balancer', () => {
  test('an exposure of this app in one zone: the endpoint only in the consumer subnet of that zone, no warning', () => {
    const w = consumerWorld();
    const link = providerIn(w.stack, ['us-east-1b']);
    new PrivateLinkConsumer(w.stack, 'Billing', { exposure: link, vpc: w.vpc });
    Template.fromStack(w.stack).hasResourceProperties('AWS::EC2::VPCEndpoint', { SubnetIds: ['subnet-1000000000000000d'] });
    expect(zoneWarnings(w.stack)).toEqual([]);
  });

  test('an exposure of this app in another stack of the same environment: its zones too', () => {
    const app = new App();
    const link = providerIn(new Stack(app, 'Provider', { env: ENV }), ['us-east-1a']);
    const stack = new Stack(app, 'Test', { env: ENV });
    new PrivateLinkConsumer(stack, 'Billing', { exposure: link, vpc: consumerVpc(stack) });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', { SubnetIds: ['subnet-1000000000000000c'] });
  });

  test('an exposure of this app in all the consumer\'s zones and more: every consumer subnet', () => {
    const w = consumerWorld();
    const link = providerIn(w.stack, ['us-east-1a', 'us-east-1b', 'us-east-1c']);
    new PrivateLinkConsumer(w.stack, 'Billing', { exposure: link, vpc: w.vpc });
    Template.fromStack(w.stack).hasResourceProperties('AWS::EC2::VPCEndpoint', { SubnetIds: CONSUMER_SUBNETS });
  });

  test('env-agnostic stacks: zones from the same Fn::GetAZs expressions are the same zones', () => {
    const stack = new Stack(new App(), 'Test');
    const providerVpc = new ec2.Vpc(stack, 'ProviderVpc', { maxAzs: 2, natGateways: 0 });
    const env = new MicroserviceEnvironment(stack, 'ProviderEnv', { vpc: providerVpc, serviceSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    const service = new TwelveFactorService(stack, 'Payments', { environment: env, image: IMAGE, port: 8080, user: '1000' });
    const link = new PrivateLinkExposure(stack, 'PaymentsLink', {
      service, allowedPrincipals: [new iam.AccountPrincipal('111111111111')], allowedClients: [ec2.Peer.ipv4('10.1.0.0/16')],
    });
    const vpc = new ec2.Vpc(stack, 'ConsumerVpc', { ipAddresses: ec2.IpAddresses.cidr('10.1.0.0/16'), maxAzs: 2, natGateways: 0 });
    new PrivateLinkConsumer(stack, 'Billing', { exposure: link, vpc, vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } });
    const [endpoint] = Object.values(Template.fromStack(stack).findResources('AWS::EC2::VPCEndpoint'));
    expect(endpoint.Properties.SubnetIds).toHaveLength(2);
  });

  test('an imported exposure with the provider\'s zone ids: the consumer subnets whose zone id matches, no warning', () => {
    const { t, stack } = consume({ serviceAvailabilityZoneIds: ['use1-az4', 'use1-az1'], availabilityZoneIds: ZONE_IDS });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { SubnetIds: ['subnet-1000000000000000d'] });
    expect(zoneWarnings(stack)).toEqual([]);
  });

  test('the zone ids narrow the user\'s subnets too', () => {
    const { t } = consume({ vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC }, serviceAvailabilityZoneIds: ['use1-az6'], availabilityZoneIds: ZONE_IDS });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { SubnetIds: ['subnet-1000000000000000a'] });
  });

  test('an imported exposure without zone ids: every subnet, and a warning naming the risk and the props that fix it', () => {
    const { t, stack } = consume();
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { SubnetIds: CONSUMER_SUBNETS });
    const [warning] = zoneWarnings(stack);
    expect(warning).toMatch(/its creation fails if the provider's load balancer is not in one of them \(zone names differ per account\)/);
    expect(warning).toMatch(/`serviceAvailabilityZoneIds`.*`availabilityZoneIds`.*`lookupSupportedAzs`/);
  });

  test('zone ids known only at deployment: not checked, every subnet, the warning', () => {
    const { t, stack } = consume((w) => ({
      serviceAvailabilityZoneIds: Token.asList(new CfnParameter(w.stack, 'ZoneIds', { type: 'CommaDelimitedList' }).valueAsList),
      availabilityZoneIds: ZONE_IDS,
    }));
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { SubnetIds: CONSUMER_SUBNETS });
    expect(zoneWarnings(stack)[0]).toMatch(/zone ids in `serviceAvailabilityZoneIds` are known only at deployment/);
  });

  test('no warning when the user picks the zones', () => {
    const { stack } = consume({ vpcSubnets: { availabilityZones: ['us-east-1a'] } });
    expect(zoneWarnings(stack)).toEqual([]);
  });

  test('lookupSupportedAzs: the zones EC2 reports for this account, from the context', () => {
    const app = new App({ context: { [`endpoint-service-availability-zones:account=${ENV.account}:region=${ENV.region}:serviceName=${SERVICE_NAME}`]: ['us-east-1b'] } });
    const stack = new Stack(app, 'Test', { env: ENV });
    const exposure = PrivateLinkExposure.fromPrivateLinkExposureAttributes(stack, 'BillingService', { endpointServiceName: SERVICE_NAME, port: 443 });
    new PrivateLinkConsumer(stack, 'Billing', { exposure, vpc: consumerVpc(stack), lookupSupportedAzs: true });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', { SubnetIds: ['subnet-1000000000000000d'] });
    expect(zoneWarnings(stack)).toEqual([]);
  });

  test.each<[string, Extra, RegExp]>([
    ['empty zone ids', { serviceAvailabilityZoneIds: [], availabilityZoneIds: ZONE_IDS }, /`serviceAvailabilityZoneIds` is empty; give the zone ids of the provider's load balancer/],
    ['a zone name given as a zone id', { serviceAvailabilityZoneIds: ['us-east-1a'], availabilityZoneIds: ZONE_IDS },
      /`serviceAvailabilityZoneIds\[0\]` 'us-east-1a' is not a zone id; use AZ IDs like 'use1-az1' \(zone names differ per account\)/],
    ['a zone id that is not one', { serviceAvailabilityZoneIds: ['use1-az4', 'az 9'], availabilityZoneIds: ZONE_IDS }, /`serviceAvailabilityZoneIds\[1\]` 'az 9' is not a zone id/],
    ['zone ids that are not a list', { serviceAvailabilityZoneIds: 'use1-az4' as unknown as string[], availabilityZoneIds: ZONE_IDS },
      /`serviceAvailabilityZoneIds` 'use1-az4' is not a list of strings/],
    ['zone ids without this account\'s mapping', { serviceAvailabilityZoneIds: ['use1-az4'] },
      /`serviceAvailabilityZoneIds` needs `availabilityZoneIds`, the zone id of each zone of `vpc` in this account .*describe-availability-zones/],
    ['a mapping that misses a zone of the subnets', { serviceAvailabilityZoneIds: ['use1-az4'], availabilityZoneIds: { 'us-east-1a': 'use1-az6' } },
      /`availabilityZoneIds` has no zone id for 'us-east-1b' of the selected subnets; name every zone of `vpcSubnets`/],
    ['a mapping with ids as keys', { serviceAvailabilityZoneIds: ['use1-az4'], availabilityZoneIds: { 'use1-az6': 'us-east-1a' } },
      /`availabilityZoneIds` key 'use1-az6' is not a zone name; use names like 'us-east-1a' as keys, their zone ids as values/],
    ['a mapping to something that is not a zone id', { serviceAvailabilityZoneIds: ['use1-az4'], availabilityZoneIds: { 'us-east-1a': 'use1-az6', 'us-east-1b': 'b' } },
      /`availabilityZoneIds` value 'b' of 'us-east-1b' is not a zone id; use AZ IDs like 'use1-az1' as values/],
    ['a mapping that is not a map', { serviceAvailabilityZoneIds: ['use1-az4'], availabilityZoneIds: ['use1-az6'] as unknown as { [name: string]: string } },
      /`availabilityZoneIds` \["use1-az6"\] is not a map of strings/],
    ['a mapping without zone ids', { availabilityZoneIds: ZONE_IDS }, /`availabilityZoneIds` is only used with `serviceAvailabilityZoneIds`/],
    ['none of the consumer\'s zones is the provider\'s', { serviceAvailabilityZoneIds: ['use1-az1', 'use1-az2'], availabilityZoneIds: ZONE_IDS },
      /`vpcSubnets` are in the zones us-east-1a \(use1-az6\), us-east-1b \(use1-az4\), none of which the service's load balancer is in \(the zone ids use1-az1, use1-az2\); choose subnets of `vpc` in its zones/],
    ['lookupSupportedAzs that is not a boolean', { lookupSupportedAzs: 'yes' as unknown as boolean }, /`lookupSupportedAzs` 'yes' is not a boolean/],
    ['lookupSupportedAzs with a service name known only at deployment', (w) => ({ exposure: providerIn(w.stack, ['us-east-1a']), lookupSupportedAzs: true }),
      /`lookupSupportedAzs` needs a literal endpoint service name, but the exposure's is known only at deployment/],
    ['an exposure of this app in none of the consumer\'s zones', (w) => ({ exposure: providerIn(w.stack, ['us-east-1c']) }),
      /`vpcSubnets` are in the zones us-east-1a, us-east-1b, none of which the service's load balancer is in \(the zones us-east-1c of Test\/PaymentsLink\)/],
  ])('refused: %s', (_name, extra, message) => {
    const w = consumerWorld();
    const text = expectRefusal(() => new PrivateLinkConsumer(w.stack, 'Billing', propsIn(w, extra)));
    expect(text).toMatch(message);
  });

  test('refused: lookupSupportedAzs in a stack without account and Region', () => {
    const stack = new Stack(new App(), 'Test');
    const exposure = PrivateLinkExposure.fromPrivateLinkExposureAttributes(stack, 'BillingService', { endpointServiceName: SERVICE_NAME, port: 443 });
    const text = expectRefusal(() => new PrivateLinkConsumer(stack, 'Billing', { exposure, vpc: consumerVpc(stack), lookupSupportedAzs: true }));
    expect(text).toMatch(/`lookupSupportedAzs` needs the stack's account and Region, which are known only at deployment; give the stack an `env`, or use `serviceAvailabilityZoneIds`/);
  });
});

// ---------------------------------------------------------------------------------------
// Attaching to services.
// ---------------------------------------------------------------------------------------

describe('attach', () => {
  const { consumer, users, t, stack } = (() => {
    const built = consume();
    built.users.attach(built.consumer.asBackingService());
    return built;
  })();

  test('the endpoint takes the service\'s security group on its port, nothing else', () => {
    expect(endpointIngress(t)).toEqual([{
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^UsersSecurityGroup/), 'GroupId'] },
    }]);
  });

  test('BILLING_HOST and BILLING_PORT are injected (the prefix from the consumer\'s id)', () => {
    expect(variablesOf(t)).toMatchObject({ BILLING_HOST: REGIONAL_NAME, BILLING_PORT: '443' });
  });

  test('the attachment is described', () => {
    expect(users.attachments).toEqual([expect.objectContaining({ description: 'PrivateLink endpoint (TLS, port 443)' })]);
    expect(stack.resolve(users.attachments[0].environment.BILLING_HOST)).toEqual(REGIONAL_NAME);
  });

  test('attaching again changes nothing', () => {
    expect(() => users.attach(consumer.asBackingService())).not.toThrow();
    expect(users.attachments).toHaveLength(1);
  });

  test('no rule open to the world', () => {
    const groups = Object.values(t.findResources('AWS::EC2::SecurityGroup')).flatMap((g) => g.Properties.SecurityGroupIngress ?? []);
    const rules = [...groups, ...Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties)];
    expect(rules.filter((r: { CidrIp?: string; CidrIpv6?: string }) => r.CidrIp === '0.0.0.0/0' || r.CidrIpv6 === '::/0')).toEqual([]);
  });
});

describe('variable names', () => {
  test('a prefix of the user', () => {
    const built = consume();
    built.users.attach(built.consumer.asBackingService({ envVarPrefix: 'BILLING_API' }));
    expect(Object.keys(variablesOf(built.t))).toEqual(expect.arrayContaining(['BILLING_API_HOST', 'BILLING_API_PORT']));
    expect(Object.keys(variablesOf(built.t))).not.toContain('BILLING_HOST');
  });

  test('the default prefix from a compound id', () => {
    const w = consumerWorld();
    const consumer = new PrivateLinkConsumer(w.stack, 'BillingApi', propsIn(w));
    w.users.attach(consumer.asBackingService());
    expect(Object.keys(variablesOf(Template.fromStack(w.stack)))).toEqual(expect.arrayContaining(['BILLING_API_HOST', 'BILLING_API_PORT']));
  });

  test('the same consumer under another prefix is refused', () => {
    const { users, consumer } = consume();
    users.attach(consumer.asBackingService());
    const text = expectRefusal(() => users.attach(consumer.asBackingService({ envVarPrefix: 'OTHER' })), 'Test/Users', ['TwelveFactorService']);
    expect(text).toMatch(/`envVarPrefix` 'OTHER' differs from the undefined Test\/Billing is already attached with; attach it once/);
  });

  test.each([['bill.ing'], ['1BILLING'], ['BILL-ING'], [''], ['BILLING HOST']])('a bad prefix %p is refused', (prefix) => {
    const { users, consumer } = consume();
    const text = expectRefusal(() => users.attach(consumer.asBackingService({ envVarPrefix: prefix })), 'Test/Users', ['TwelveFactorService']);
    expect(text).toMatch(/`envVarPrefix` .* is not valid; use letters, digits and underscores, not starting with a digit, for example USER_SIGNUP/);
  });

  test('a port from a token is injected as its token', () => {
    const w = consumerWorld();
    const port = new CfnParameter(w.stack, 'BillingPort', { type: 'Number' });
    const exposure = PrivateLinkExposure.fromPrivateLinkExposureAttributes(w.stack, 'TokenService', { endpointServiceName: SERVICE_NAME, port: port.valueAsNumber });
    const consumer = new PrivateLinkConsumer(w.stack, 'Billing', { exposure, vpc: w.vpc });
    w.users.attach(consumer.asBackingService());
    const t = Template.fromStack(w.stack);
    expect(variablesOf(t).BILLING_PORT).toEqual({ Ref: 'BillingPort' });
    expect(endpointIngress(t)).toEqual([expect.objectContaining({ FromPort: { Ref: 'BillingPort' }, ToPort: { Ref: 'BillingPort' } })]);
  });
});

describe('allowFrom', () => {
  test('peers given in props: a security group and a range', () => {
    const { t } = consume((w) => ({
      allowFrom: [new ec2.SecurityGroup(w.stack, 'Clients', { vpc: w.vpc }), ec2.Peer.ipv4('10.1.2.0/24')],
    }));
    expect(endpointIngress(t)).toEqual([ // inline rules first, then separate ones
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '10.1.2.0/24' },
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^Clients/), 'GroupId'] } },
    ]);
  });

  test('a peer added later', () => {
    const built = consume();
    built.consumer.allowFrom(ec2.Peer.ipv6('fd00:1::/64'));
    expect(endpointIngress(built.t)).toEqual([{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv6: 'fd00:1::/64' }]);
  });

  test.each<[string, () => ec2.IPeer, RegExp]>([
    ['any IPv4 address', () => ec2.Peer.anyIpv4(), /`allowFrom` 0\.0\.0\.0\/0 lets any address in; name the security groups or ranges that need the endpoint/],
    ['any IPv6 address', () => ec2.Peer.anyIpv6(), /`allowFrom` ::\/0 lets any address in/],
    ['an invalid range', () => ec2.Peer.ipv4('10.1.0.0/99'), /`allowFrom` '10\.1\.0\.0\/99' is not an IPv4 CIDR range/],
    ['something that is not a peer', () => ({}) as ec2.IPeer, /`allowFrom` \{\} is not an ec2\.IConnectable \(a service, a security group or an ec2\.Peer\)/],
  ])('allowFrom() refuses %s', (_name, peer, message) => {
    const { consumer } = consume();
    expect(expectRefusal(() => consumer.allowFrom(peer()))).toMatch(message);
  });
});

// ---------------------------------------------------------------------------------------
// Names.
// ---------------------------------------------------------------------------------------

describe('private DNS', () => {
  test('on by default when the exposure has a private DNS name; consumers use that name', () => {
    const built = consume({}, { privateDnsName: 'billing.example.com' });
    const { consumer, users } = built;
    users.attach(consumer.asBackingService());
    const t = built.t;
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { PrivateDnsEnabled: true });
    expect(consumer.privateDnsEnabled).toBe(true);
    expect(consumer.hostName).toBe('billing.example.com');
    expect(variablesOf(t)).toMatchObject({ BILLING_HOST: 'billing.example.com', BILLING_PORT: '443' });
    t.resourceCountIs('AWS::Route53::HostedZone', 0);
  });

  test('on when asked explicitly', () => {
    const { t } = consume({ privateDnsEnabled: true }, { privateDnsName: 'billing.example.com' });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { PrivateDnsEnabled: true });
  });

  test('turned off by the user: the regional name', () => {
    const { consumer, t, stack } = consume({ privateDnsEnabled: false }, { privateDnsName: 'billing.example.com' });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { PrivateDnsEnabled: false });
    expect(stack.resolve(consumer.hostName)).toEqual(REGIONAL_NAME);
  });

  test('off explicitly without a provider name', () => {
    const { t } = consume({ privateDnsEnabled: false });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', { PrivateDnsEnabled: false });
  });
});

describe('a friendly name (domainName)', () => {
  test('without a zone: a new private hosted zone of that name in the VPC, an alias A record at its apex', () => {
    const built = consume({ domainName: 'billing.internal.example' });
    const { consumer, users } = built;
    users.attach(consumer.asBackingService());
    const t = built.t;
    t.resourceCountIs('AWS::Route53::HostedZone', 1);
    t.hasResourceProperties('AWS::Route53::HostedZone', {
      Name: 'billing.internal.example.',
      VPCs: [{ VPCId: CONSUMER_VPC_ID, VPCRegion: 'us-east-1' }],
    });
    t.resourceCountIs('AWS::Route53::RecordSet', 1);
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'billing.internal.example.',
      Type: 'A',
      HostedZoneId: { Ref: Match.stringLikeRegexp('^BillingHostedZone') },
      AliasTarget: {
        DNSName: Match.objectLike({ 'Fn::Select': [1, Match.anyValue()] }),
        HostedZoneId: Match.objectLike({ 'Fn::Select': [0, Match.anyValue()] }),
      },
    });
    expect(consumer.privateHostedZone).toBeInstanceOf(route53.PrivateHostedZone);
    expect(consumer.record).toBeDefined();
    expect(consumer.hostName).toBe('billing.internal.example');
    expect(variablesOf(t)).toMatchObject({ BILLING_HOST: 'billing.internal.example' });
  });

  test('with a zone of the user: a record only', () => {
    const { consumer, t } = consume((w) => ({
      domainName: 'billing.corp.example',
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(w.stack, 'Corp', { hostedZoneId: 'ZPRIVATE123', zoneName: 'corp.example' }),
    }));
    t.resourceCountIs('AWS::Route53::HostedZone', 0);
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'billing.corp.example.', Type: 'A', HostedZoneId: 'ZPRIVATE123' });
    expect(consumer.privateHostedZone).toBeUndefined();
    expect(consumer.hostName).toBe('billing.corp.example');
  });

  test('with a zone of this app whose name ends with a dot, at its apex', () => {
    const { t } = consume((w) => ({
      domainName: 'corp.example',
      hostedZone: new route53.PrivateHostedZone(w.stack, 'Corp', { zoneName: 'corp.example.', vpc: w.vpc }),
    }));
    t.resourceCountIs('AWS::Route53::HostedZone', 1);
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'corp.example.', Type: 'A' });
  });

  test('a name and a zone name from tokens are not checked', () => {
    const { t } = consume((w) => ({
      domainName: new CfnParameter(w.stack, 'Name').valueAsString,
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(w.stack, 'Corp', {
        hostedZoneId: 'ZPRIVATE123', zoneName: new CfnParameter(w.stack, 'ZoneName').valueAsString,
      }),
    }));
    t.hasResourceProperties('AWS::Route53::RecordSet', { Type: 'A', HostedZoneId: 'ZPRIVATE123' });
  });

  test('alongside a provider name when private DNS is turned off', () => {
    const { consumer } = consume({ privateDnsEnabled: false, domainName: 'billing.internal.example' }, { privateDnsName: 'billing.example.com' });
    expect(consumer.hostName).toBe('billing.internal.example');
  });
});

// ---------------------------------------------------------------------------------------
// Exposures of this app.
// ---------------------------------------------------------------------------------------

describe('an exposure of the same app', () => {
  test('in the same stack, another VPC: the endpoint service name with the provider Region, the exposure port, no warning', () => {
    const w = consumerWorld();
    const { link } = provider(w.stack);
    const consumer = new PrivateLinkConsumer(w.stack, 'Billing', { exposure: link, vpc: w.vpc });
    w.users.attach(consumer.asBackingService());
    const t = Template.fromStack(w.stack);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['.', ['com.amazonaws.vpce.us-east-1', { Ref: Match.stringLikeRegexp('^PaymentsLinkEndpointService') }]] },
      PrivateDnsEnabled: false,
      VpcId: CONSUMER_VPC_ID,
    });
    expect(variablesOf(t)).toMatchObject({ BILLING_PORT: '8080' });
    expect(consumer.port).toBe(8080);
    Annotations.fromStack(w.stack).hasNoWarning('*', Match.stringLikeRegexp('privateLinkSameVpc'));
  });

  test('an exposure with a private DNS name turns private DNS on', () => {
    const w = consumerWorld();
    const zone = route53.PublicHostedZone.fromPublicHostedZoneAttributes(w.stack, 'Public', { hostedZoneId: 'ZPUBLIC', zoneName: 'example.com' });
    const { link } = provider(w.stack, { privateDnsName: 'payments.example.com', publicHostedZone: zone });
    const consumer = new PrivateLinkConsumer(w.stack, 'Billing', { exposure: link, vpc: w.vpc });
    expect(consumer.privateDnsEnabled).toBe(true);
    expect(consumer.hostName).toBe('payments.example.com');
  });

  test('in another stack of the same app and environment: the name is exported and imported', () => {
    const app = new App();
    const providerStack = new Stack(app, 'Provider', { env: ENV });
    const { link } = provider(providerStack);
    const stack = new Stack(app, 'Test', { env: ENV });
    const vpc = consumerVpc(stack);
    const env = new MicroserviceEnvironment(stack, 'Env', { vpc });
    const users = new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, port: 8080, user: '1000' });
    const consumer = new PrivateLinkConsumer(stack, 'Billing', { exposure: link, vpc });
    users.attach(consumer.asBackingService());
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['.', ['com.amazonaws.vpce.us-east-1', { 'Fn::ImportValue': Match.stringLikeRegexp('^Provider:ExportsOutputRefPaymentsLinkEndpointService') }]] },
    });
    expect(variablesOf(t)).toMatchObject({ BILLING_PORT: '8080' });
    expect(endpointIngress(t)).toHaveLength(1);
    const outputs = Template.fromStack(providerStack).findOutputs('*');
    expect(Object.values(outputs).map((o) => o.Export?.Name)).toEqual([expect.stringMatching(/^Provider:ExportsOutputRefPaymentsLinkEndpointService/)]);
    expect(stack.dependencies).toContain(providerStack);
  });

  test('in the provider\'s VPC: a warning', () => {
    const w = consumerWorld();
    const { env } = provider(w.stack);
    const { link } = { link: (w.stack.node.findChild('PaymentsLink') as PrivateLinkExposure) };
    new PrivateLinkConsumer(w.stack, 'Billing', { exposure: link, vpc: env.vpc });
    Annotations.fromStack(w.stack).hasWarning('/Test/Billing', Match.stringLikeRegexp('cdk-microservices:privateLinkSameVpc'));
    Annotations.fromStack(w.stack).hasWarning('/Test/Billing', Match.stringLikeRegexp('Test/PaymentsLink is exposed from the same VPC'));
  });

  test('in another import of the provider\'s VPC (same id): a warning', () => {
    const w = consumerWorld();
    const { link } = provider(w.stack);
    new PrivateLinkConsumer(w.stack, 'Billing', { exposure: link, vpc: importedVpc(w.stack, 'SameVpcAgain') });
    Annotations.fromStack(w.stack).hasWarning('/Test/Billing', Match.stringLikeRegexp('same VPC'));
  });

  test('an imported exposure never warns', () => {
    const w = consumerWorld();
    provider(w.stack);
    new PrivateLinkConsumer(w.stack, 'Billing', { exposure: w.exposure, vpc: importedVpc(w.stack, 'ProviderVpcAgain') });
    Annotations.fromStack(w.stack).hasNoWarning('*', Match.stringLikeRegexp('privateLinkSameVpc'));
  });
});

// ---------------------------------------------------------------------------------------
// Imported exposures.
// ---------------------------------------------------------------------------------------

describe('fromPrivateLinkExposureAttributes', () => {
  test('the attributes, TCP by default', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const imported = PrivateLinkExposure.fromPrivateLinkExposureAttributes(stack, 'Billing', { endpointServiceName: SERVICE_NAME, port: 8443 });
    expect(imported.endpointServiceName).toBe(SERVICE_NAME);
    expect(imported.port).toBe(8443);
    expect(imported.protocol).toBe(PrivateLinkProtocol.TCP);
    expect(imported.privateDnsName).toBeUndefined();
  });

  test.each<[string, PrivateLinkExposureAttributes]>([
    ['a China name', { endpointServiceName: 'cn.com.amazonaws.vpce.cn-north-1.vpce-svc-0123456789abcdef0', port: 443 }],
    ['a partner service name', { endpointServiceName: 'aws.sagemaker.us-east-1.notebook', port: 443 }],
    ['a name from a token', { endpointServiceName: 'TOKEN', port: 443 }],
    ['a TLS exposure with a private DNS name', { endpointServiceName: SERVICE_NAME, port: 443, protocol: PrivateLinkProtocol.TLS, privateDnsName: 'billing.example.com.' }],
  ])('accepts %s', (_name, attrs) => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const endpointServiceName = attrs.endpointServiceName === 'TOKEN' ? new CfnParameter(stack, 'Name').valueAsString : attrs.endpointServiceName;
    expectConstructs(() => PrivateLinkExposure.fromPrivateLinkExposureAttributes(stack, 'Billing', { ...attrs, endpointServiceName }));
  });

  test.each<[string, unknown, RegExp]>([
    ['no attributes', undefined, /`endpointServiceName` is required/],
    ['no name', { port: 443 }, /`endpointServiceName` is required/],
    ['a name that is not one', { endpointServiceName: 'vpce-svc-0123456789abcdef0', port: 443 },
      /`endpointServiceName` 'vpce-svc-0123456789abcdef0' is not an endpoint service name; use one like 'com\.amazonaws\.vpce\.us-east-1\.vpce-svc-0123456789abcdef0'/],
    ['a name in capitals', { endpointServiceName: 'Com.Amazonaws.Vpce.us-east-1.vpce-svc-0123456789abcdef0', port: 443 }, /is not an endpoint service name/],
    ['a name that is a number', { endpointServiceName: 42, port: 443 }, /`endpointServiceName` 42 is not a string/],
    ['no port', { endpointServiceName: SERVICE_NAME }, /`port` is required: the port consumers connect to/],
    ['port 0', { endpointServiceName: SERVICE_NAME, port: 0 }, /`port` 0 is not valid; use a whole number from 1 to 65535/],
    ['port 65536', { endpointServiceName: SERVICE_NAME, port: 65536 }, /`port` 65536 is not valid/],
    ['a port that is a string', { endpointServiceName: SERVICE_NAME, port: '443' }, /`port` '443' is not a number/],
    ['a protocol that is not one', { endpointServiceName: SERVICE_NAME, port: 443, protocol: 'HTTP' }, /`protocol` 'HTTP' is not a PrivateLinkProtocol/],
    ['a private DNS name that is not one', { endpointServiceName: SERVICE_NAME, port: 443, privateDnsName: 'not a name' },
      /`privateDnsName` 'not a name' is not a DNS name/],
  ])('refuses %s', (_name, attrs, message) => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const text = expectRefusal(() => PrivateLinkExposure.fromPrivateLinkExposureAttributes(stack, 'Billing', attrs as PrivateLinkExposureAttributes),
      'Test/Billing', ['PrivateLinkExposure'], ATTRIBUTES);
    expect(text).toMatch(message);
  });
});

// ---------------------------------------------------------------------------------------
// Refusals.
// ---------------------------------------------------------------------------------------

describe('refusals', () => {
  const privateZone = (w: ConsumerWorld, zoneName = 'corp.example') =>
    route53.HostedZone.fromHostedZoneAttributes(w.stack, 'Corp', { hostedZoneId: 'ZPRIVATE123', zoneName });

  test.each<[string, Extra, Partial<PrivateLinkExposureAttributes>, RegExp]>([
    ['no exposure', { exposure: undefined as unknown as IPrivateLinkExposure }, {},
      /`exposure` undefined is not a PrivateLink exposure; pass a PrivateLinkExposure or PrivateLinkExposure\.fromPrivateLinkExposureAttributes/],
    ['an exposure that is not one', { exposure: {} as IPrivateLinkExposure }, {}, /`exposure` \{\} is not a PrivateLink exposure/],
    ['no VPC', { vpc: undefined as unknown as ec2.IVpc }, {}, /`vpc` undefined is not an ec2\.IVpc/],
    ['a VPC that is not one', { vpc: {} as ec2.IVpc }, {}, /`vpc` \{\} is not an ec2\.IVpc/],
    ['private DNS without a provider name', { privateDnsEnabled: true }, {},
      /`privateDnsEnabled` is true but the exposure has no private DNS name; set `privateDnsName` on the provider .*, or use `domainName`/],
    ['a friendly name while private DNS is on by default', { domainName: 'billing.internal.example' }, { privateDnsName: 'billing.example.com' },
      /`domainName` 'billing\.internal\.example' is not needed: private DNS already resolves 'billing\.example\.com' to the endpoint; remove it or set `privateDnsEnabled` to false/],
    ['a friendly name with private DNS on explicitly', { domainName: 'billing.internal.example', privateDnsEnabled: true }, { privateDnsName: 'billing.example.com' },
      /`domainName` .* is not needed/],
    ['a zone without a friendly name', (w) => ({ hostedZone: privateZone(w) }), {},
      /`hostedZone` holds the `domainName` record; give `domainName` or remove `hostedZone`/],
    ['a friendly name outside the zone', (w) => ({ hostedZone: privateZone(w), domainName: 'billing.example.org' }), {},
      /`domainName` 'billing\.example\.org' is not in the hosted zone 'corp\.example'; use a name that ends with '\.corp\.example'/],
    ['a friendly name that only ends like the zone', (w) => ({ hostedZone: privateZone(w), domainName: 'billingcorp.example' }), {},
      /is not in the hosted zone 'corp\.example'/],
    ['a friendly name that is not a DNS name', { domainName: 'billing internal' }, {},
      /`domainName` 'billing internal' is not a DNS name; use labels of a-z, 0-9 and '-' separated by dots/],
    ['a friendly name of one label', { domainName: 'billing' }, {}, /`domainName` 'billing' is not a DNS name/],
    ['a friendly name that is not a string', { domainName: 42 as unknown as string }, {}, /`domainName` 42 is not a string/],
    ['a zone imported by id only', (w) => ({ domainName: 'billing.corp.example', hostedZone: route53.HostedZone.fromHostedZoneId(w.stack, 'ById', 'ZPRIVATE123') }), {},
      /`hostedZone` has no zone name .*; import it with route53\.HostedZone\.fromHostedZoneAttributes/],
    ['a zone that is not one', { domainName: 'billing.corp.example', hostedZone: {} as route53.IHostedZone }, {},
      /`hostedZone` \{\} is not a route53\.IHostedZone/],
    ['private DNS that is not a boolean', { privateDnsEnabled: 'yes' as unknown as boolean }, {}, /`privateDnsEnabled` 'yes' is not a boolean/],
    ['any IPv4 address allowed', { allowFrom: [ec2.Peer.anyIpv4()] }, {},
      /`allowFrom\[0\]` 0\.0\.0\.0\/0 lets any address in; name the security groups or ranges that need the endpoint/],
    ['0.0.0.0/0 spelled out', { allowFrom: [ec2.Peer.ipv4('10.1.0.0/16'), ec2.Peer.ipv4('0.0.0.0/0')] }, {}, /`allowFrom\[1\]` 0\.0\.0\.0\/0 lets any address in/],
    ['any IPv6 address allowed', { allowFrom: [ec2.Peer.anyIpv6()] }, {}, /`allowFrom\[0\]` ::\/0 lets any address in/],
    ['an IPv4 range with an octet over 255', { allowFrom: [ec2.Peer.ipv4('999.1.0.0/16')] }, {},
      /`allowFrom\[0\]` '999\.1\.0\.0\/16' is not an IPv4 CIDR range; use four numbers from 0 to 255 and a prefix length from \/0 to \/32/],
    ['an IPv4 prefix over 32', { allowFrom: [ec2.Peer.ipv4('10.1.0.0/99')] }, {}, /`allowFrom\[0\]` '10\.1\.0\.0\/99' is not an IPv4 CIDR range/],
    ['a peer that is not one', { allowFrom: [{} as ec2.IConnectable] }, {}, /`allowFrom\[0\]` \{\} is not an ec2\.IConnectable/],
    ['peers that are not a list', { allowFrom: ec2.Peer.ipv4('10.1.0.0/16') as unknown as ec2.IConnectable[] }, {},
      /`allowFrom` .* is not a list of ec2\.IConnectable/],
  ])('%s', (_name, extra, attrs, message) => {
    const w = consumerWorld(attrs);
    const text = expectRefusal(() => new PrivateLinkConsumer(w.stack, 'Billing', propsIn(w, extra)));
    expect(text).toMatch(message);
  });

  test('no props at all', () => {
    const w = consumerWorld();
    const text = expectRefusal(() => new PrivateLinkConsumer(w.stack, 'Billing', undefined as unknown as PrivateLinkConsumerProps));
    expect(text).toMatch(/needs props with `exposure` and `vpc`/);
  });

  test('every problem in one error', () => {
    const w = consumerWorld();
    const err = attempt(() => new PrivateLinkConsumer(w.stack, 'Billing', propsIn(w, (x) => ({
      privateDnsEnabled: true,
      hostedZone: privateZone(x),
      allowFrom: [ec2.Peer.anyIpv4()],
    }))));
    const text = expectValidationError(err, { classes: ['PrivateLinkConsumer'], path: PATH, props: PROPS });
    expect((err as { problems: string[] }).problems).toHaveLength(3);
    expect(text).toMatch(/^`PrivateLinkConsumer` at Test\/Billing:\n {2}- `privateDnsEnabled`/);
  });

  test('a service of another VPC cannot attach the endpoint', () => {
    const w = consumerWorld();
    const { service } = provider(w.stack);
    const consumer = new PrivateLinkConsumer(w.stack, 'Billing', propsIn(w));
    const text = expectRefusal(() => service.attach(consumer.asBackingService()), 'Test/Payments', ['TwelveFactorService']);
    expect(text).toMatch(/`attach` Test\/Billing is an endpoint in another VPC than the service's; create the PrivateLinkConsumer with the service's VPC/);
  });
});
