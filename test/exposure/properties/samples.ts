/**
 * Building the samples of the PrivateLinkExposure and PrivateLinkConsumer properties
 * (../properties.test.ts) in a stack, and checking their templates against the oracle's verdict.
 */
import { App, Aws, Stack, Token, aws_certificatemanager as acm, aws_ec2 as ec2, aws_iam as iam, aws_route53 as route53, aws_sns as sns } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CLIENT_PREFIX_LIST, CLIENT_SG, ClientSpec, ConsumerSample, defined, ExposureSample, HEALTH_CHECKS, PrincipalSpec, SERVICE_PORT, ZONE_NAME } from './arbitraries';
import { ConsumerVerdict, ExposureVerdict, PROVIDER_DNS } from './oracle';
import { IPrivateLinkExposure, MicroserviceEnvironment, PrivateLinkConsumer, PrivateLinkExposure, PrivateLinkProtocol, StageProfile, TwelveFactorService } from '../../../src';
import { attempt } from '../../error-contract';
import { CERT_ARN, IMAGE, importedVpc } from '../../service/fixtures';

export const ENV = { account: '111111111111', region: 'us-east-1' };

export const TOPIC_ARN = 'arn:aws:sns:us-east-1:111111111111:connections';

export let stacks = 0;
/** A fresh app and stack, named Test<n> (see the note at the top). */
export function freshStack(): Stack {
  stacks++;
  return new Stack(new App(), `Test${stacks}`, { env: ENV });
}

/** A second VPC, of the consumers (another id and range than importedVpc). */
export function consumerVpc(stack: Stack): ec2.IVpc {
  return ec2.Vpc.fromVpcAttributes(stack, 'ConsumerVpc', {
    vpcId: 'vpc-0ccccccccccccccc0',
    vpcCidrBlock: '10.1.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    privateSubnetIds: ['subnet-0ccccccccccccccc1', 'subnet-0ccccccccccccccc2'],
    privateSubnetRouteTableIds: ['rtb-0ccccccccccccccc1', 'rtb-0ccccccccccccccc2'],
  });
}

/** A development environment on an imported VPC and a service on it (a worker without a port when asked). */
export function provider(stack: Stack, withPort = true): TwelveFactorService {
  const env = new MicroserviceEnvironment(stack, 'Env', { stageProfile: StageProfile.DEVELOPMENT, vpc: importedVpc(stack) });
  return new TwelveFactorService(stack, 'Billing', { environment: env, image: IMAGE, port: withPort ? SERVICE_PORT : undefined });
}

/** Renders a resolved CloudFormation value as a string: `${AWS::Partition}` for a Ref, joins joined. */
export function render(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(render).join('');
  const o = v as Record<string, unknown>;
  if (o && typeof o.Ref === 'string') return `\${${o.Ref}}`;
  const join = o?.['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map(render).join(join[0]);
  const getAtt = o?.['Fn::GetAtt'] as string[] | undefined;
  if (getAtt) return `\${${getAtt.join('.')}}`;
  return JSON.stringify(v);
}

export function makePrincipal(spec: PrincipalSpec): any {
  switch (spec.kind) {
    case 'account': return new iam.AccountPrincipal(spec.id);
    case 'arn': return new iam.ArnPrincipal(spec.arn);
    case 'anyPrincipal': return new iam.AnyPrincipal();
    case 'service': return new iam.ServicePrincipal('vpce.amazonaws.com');
    default: return spec.value;
  }
}

export function makeClient(stack: Stack, spec: ClientSpec): any {
  switch (spec.kind) {
    case 'ipv4': return ec2.Peer.ipv4(spec.cidr);
    case 'ipv6': return ec2.Peer.ipv6(spec.cidr);
    case 'anyIpv4': return ec2.Peer.anyIpv4();
    case 'anyIpv6': return ec2.Peer.anyIpv6();
    case 'securityGroup':
      // One import per stack, passed as often as drawn (two imports of one group make two equal rules: see the notes at the end).
      return stack.node.tryFindChild('ClientSg') ?? ec2.SecurityGroup.fromSecurityGroupId(stack, 'ClientSg', CLIENT_SG);
    case 'prefixList': return ec2.Peer.prefixList(CLIENT_PREFIX_LIST);
    default: return spec.value;
  }
}

/** The props a sample makes in its stack. */
export function exposureProps(stack: Stack, service: TwelveFactorService, s: ExposureSample): any {
  const zone = s.dns.zone === 'public'
    ? route53.PublicHostedZone.fromPublicHostedZoneAttributes(stack, 'PublicZone', { hostedZoneId: 'Z1', zoneName: ZONE_NAME })
    : s.dns.zone === 'junk' ? { zoneName: 42 } : undefined;
  return defined({
    service,
    allowedPrincipals: s.principals === 'none' ? [] : s.principals === 'notList' ? new iam.AccountPrincipal('222222222222') : s.principals.map(makePrincipal),
    allowAnyPrincipal: s.allowAnyPrincipal,
    allowedClients: s.clients === 'notList' ? ec2.Peer.ipv4('10.1.0.0/16') : s.clients?.map((c) => makeClient(stack, c)),
    enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: s.enforce,
    acceptanceRequired: s.acceptanceRequired,
    allowedRegions: s.allowedRegions,
    protocol: s.protocol,
    certificate: s.certificate === 'cert' ? acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN) : s.certificate === 'junk' ? CERT_ARN : undefined,
    sslPolicy: s.sslPolicy,
    port: s.port,
    healthCheck: HEALTH_CHECKS[s.health].check,
    deregistrationDelay: s.deregistrationDelay,
    deletionProtection: s.deletionProtection,
    privateDnsName: s.dns.name,
    publicHostedZone: zone,
    enableConnectionNotifications: s.enableConnectionNotifications,
    notificationTopic: s.topic === 'imported' ? sns.Topic.fromTopicArn(stack, 'Topic', TOPIC_ARN) : s.topic === 'junk' ? TOPIC_ARN : undefined,
    connectionEvents: s.connectionEvents,
    createOutputs: s.createOutputs,
  });
}

export function only(template: Template, type: string, prefix: string): [string, any] {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${found.length}`);
  return found[0];
}

/** The ingress rules of a security group, inline and separate, as `proto:from-to:source`. */
export function ingressOf(template: Template, sgLogicalId: string, sg: any): string[] {
  const key = (r: any) => {
    const source = ['CidrIp', 'CidrIpv6', 'SourceSecurityGroupId', 'SourcePrefixListId'].filter((k) => r[k] !== undefined)
      .map((k) => `${k}=${render(r[k])}`).join(',');
    return `${r.IpProtocol}:${r.FromPort}-${r.ToPort}:${source}`;
  };
  const inline = (sg.Properties.SecurityGroupIngress ?? []).map(key);
  const separate = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
    .filter((r: any) => r.Properties.GroupId?.['Fn::GetAtt']?.[0] === sgLogicalId).map((r: any) => key(r.Properties));
  return [...inline, ...separate];
}

export function checkExposure(stack: Stack, link: PrivateLinkExposure, v: ExposureVerdict, sample: string): void {
  const fail = (what: string, got?: unknown) => {
    throw new Error(`${what}${got === undefined ? '' : `; got ${JSON.stringify(got)}`}\n(${sample})`);
  };
  const synth = attempt(() => Template.fromStack(stack));
  if (synth !== undefined) fail(`synthesis failed: ${synth instanceof Error ? synth.message : String(synth)}`);
  const template = Template.fromStack(stack);

  if (link.port !== v.port || link.protocol !== v.protocol || link.acceptanceRequired !== v.acceptance) {
    fail(`expected ${v.protocol}:${v.port}, acceptance ${v.acceptance}`, [link.protocol, link.port, link.acceptanceRequired]);
  }
  const [, listener] = only(template, 'AWS::ElasticLoadBalancingV2::Listener', 'LinkLoadBalancerListener');
  const l = listener.Properties;
  if (l.Protocol !== v.protocol || l.Port !== v.port) fail(`listener: expected ${v.protocol}:${v.port}`, l);
  if ((l.Certificates !== undefined) !== (v.protocol === 'TLS')) fail('listener certificates', l.Certificates);
  if (v.protocol === 'TLS' && l.Certificates[0].CertificateArn !== CERT_ARN) fail('listener certificate', l.Certificates);
  if (l.SslPolicy !== v.sslPolicy) fail(`listener SslPolicy: expected ${v.sslPolicy}`, l.SslPolicy);

  const [, service] = only(template, 'AWS::EC2::VPCEndpointService', 'LinkEndpointService');
  const es = service.Properties;
  if (es.AcceptanceRequired !== v.acceptance) fail(`AcceptanceRequired: expected ${v.acceptance}`, es.AcceptanceRequired);
  const regionsOk = v.regions === undefined || v.regions.length === 0
    ? es.SupportedRegions === undefined || (Array.isArray(es.SupportedRegions) && es.SupportedRegions.length === 0)
    : JSON.stringify(es.SupportedRegions) === JSON.stringify(v.regions);
  if (!regionsOk) fail(`SupportedRegions: expected ${JSON.stringify(v.regions)}`, es.SupportedRegions);

  const [, permissions] = only(template, 'AWS::EC2::VPCEndpointServicePermissions', 'LinkEndpointServicePermissions');
  const allowed = (permissions.Properties.AllowedPrincipals as unknown[]).map(render);
  if (allowed.length !== v.principals.size || !allowed.every((a) => v.principals.has(a))) {
    fail(`AllowedPrincipals: expected ${JSON.stringify([...v.principals])}`, allowed);
  }

  // The load balancer's group: exactly the clients on the listener port; never any address.
  const [sgId, sg] = only(template, 'AWS::EC2::SecurityGroup', 'LinkSecurityGroup');
  const ingress = ingressOf(template, sgId, sg);
  const expected = [...v.ingress].map((source) => `tcp:${v.port}-${v.port}:${source}`);
  if (ingress.length !== expected.length || !expected.every((e) => ingress.includes(e))) fail(`ingress: expected ${JSON.stringify(expected)}`, ingress);
  if (ingress.some((r) => /=(0\.0\.0\.0\/0|::\/0)$/.test(r))) fail('ingress from any address', ingress);
  const [, lb] = only(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'LinkLoadBalancer');
  if (lb.Properties.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic !== (v.enforce ? 'on' : 'off')) {
    fail(`EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: expected ${v.enforce}`, lb.Properties.EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic);
  }
  if (lb.Properties.Scheme !== 'internal') fail('the load balancer is not internal', lb.Properties.Scheme);

  // The tasks take the service port (and a health check port) from the load balancer only.
  const [serviceSgId, serviceSg] = only(template, 'AWS::EC2::SecurityGroup', 'BillingSecurityGroup');
  const serviceIngress = ingressOf(template, serviceSgId, serviceSg);
  const wanted = [SERVICE_PORT, ...(v.healthPort ? [v.healthPort] : [])].map((p) => `tcp:${p}-${p}:SourceSecurityGroupId=\${${sgId}.GroupId}`);
  if (serviceIngress.length !== wanted.length || !wanted.every((w) => serviceIngress.includes(w))) {
    fail(`service ingress: expected ${JSON.stringify(wanted)}`, serviceIngress);
  }

  // Notifications iff expected, with the events asked for.
  const notifications = Object.values(template.findResources('AWS::EC2::VPCEndpointConnectionNotification')) as any[];
  if (notifications.length !== (v.notify ? 1 : 0)) fail(`expected ${v.notify ? 'a' : 'no'} connection notification`, notifications.length);
  if (v.notify) {
    const n = notifications[0].Properties;
    const events = n.ConnectionEvents as string[];
    if (events.length !== v.events.size || !events.every((e) => v.events.has(e))) fail(`events: expected ${JSON.stringify([...v.events])}`, events);
    if (link.notificationTopic === undefined) fail('no notificationTopic');
  } else if (link.notificationTopic !== undefined) {
    fail('a notificationTopic without notifications');
  }

  // Private DNS: set through CDK's custom resources iff a name is given.
  const custom = Object.entries(template.findResources('Custom::AWS')).filter(([id]) => id.startsWith('LinkPrivateDnsName'));
  if ((custom.length > 0) !== (v.dnsName !== undefined)) fail(`expected ${v.dnsName ? 'a' : 'no'} private DNS name`, custom.length);
  if (v.dnsName !== undefined) {
    const enable = custom.find(([id]) => id.startsWith('LinkPrivateDnsNameEnableDns'));
    if (!enable || !render(enable[1].Properties.Create).includes(`"PrivateDnsName":"${v.dnsName}"`)) fail(`PrivateDnsName ${v.dnsName} not set`);
    if (link.privateDnsName !== v.dnsName) fail('privateDnsName', link.privateDnsName);
  }
  const outputs = Object.keys(template.toJSON().Outputs ?? {}).filter((k) => k.startsWith('Link'));
  if ((outputs.length > 0) !== v.createOutputs) fail(`expected ${v.createOutputs ? 'an' : 'no'} output`, outputs);
}

export const ENDPOINT_SERVICE_NAME = 'com.amazonaws.vpce.us-east-1.vpce-svc-0123456789abcdef0';

export function consumerExposure(stack: Stack, kind: ConsumerSample['exposure']): IPrivateLinkExposure | any {
  if (kind === 'junk') return { endpointServiceName: ENDPOINT_SERVICE_NAME };
  if (kind === 'imported' || kind === 'importedWithDns') {
    return PrivateLinkExposure.fromPrivateLinkExposureAttributes(stack, 'Imported', {
      endpointServiceName: ENDPOINT_SERVICE_NAME,
      port: 443,
      protocol: PrivateLinkProtocol.TLS,
      privateDnsName: kind === 'importedWithDns' ? PROVIDER_DNS : undefined,
    });
  }
  return new PrivateLinkExposure(stack, 'Link', {
    service: provider(stack),
    allowedPrincipals: [new iam.AccountPrincipal(Aws.ACCOUNT_ID)],
    allowedClients: [ec2.Peer.ipv4('10.1.0.0/16')],
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN),
    privateDnsName: kind === 'oursWithDns' ? PROVIDER_DNS : undefined,
    publicHostedZone: kind === 'oursWithDns'
      ? route53.PublicHostedZone.fromPublicHostedZoneAttributes(stack, 'PublicZone', { hostedZoneId: 'Z1', zoneName: ZONE_NAME }) : undefined,
  });
}

export function checkConsumer(stack: Stack, consumer: PrivateLinkConsumer, v: ConsumerVerdict, sample: string): void {
  const fail = (what: string, got?: unknown) => {
    throw new Error(`${what}${got === undefined ? '' : `; got ${JSON.stringify(got)}`}\n(${sample})`);
  };
  const synth = attempt(() => Template.fromStack(stack));
  if (synth !== undefined) fail(`synthesis failed: ${synth instanceof Error ? synth.message : String(synth)}`);
  const template = Template.fromStack(stack);
  const [, endpoint] = only(template, 'AWS::EC2::VPCEndpoint', 'ConsumerEndpoint');
  const e = endpoint.Properties;
  if (e.PrivateDnsEnabled !== v.privateDns) fail(`PrivateDnsEnabled: expected ${v.privateDns}`, e.PrivateDnsEnabled);
  if (consumer.privateDnsEnabled !== v.privateDns) fail('privateDnsEnabled', consumer.privateDnsEnabled);
  if (e.VpcId !== 'vpc-0ccccccccccccccc0') fail('the endpoint is not in the consumer VPC', e.VpcId);
  if (consumer.port !== 443) fail('port', consumer.port);

  if (v.hostName !== undefined) {
    if (consumer.hostName !== v.hostName) fail(`hostName: expected ${v.hostName}`, consumer.hostName);
  } else {
    // The endpoint's regional DNS name: the name part of its first DNS entry.
    const resolved = render(stack.resolve(consumer.hostName));
    if (!Token.isUnresolved(consumer.hostName) || !resolved.includes('DnsEntries')) fail('hostName is not the endpoint\'s regional name', resolved);
  }

  const zones = Object.entries(template.findResources('AWS::Route53::HostedZone')).filter(([id]) => id.startsWith('Consumer'));
  const records = Object.entries(template.findResources('AWS::Route53::RecordSet')).filter(([id]) => id.startsWith('Consumer'));
  if (zones.length !== (v.record === 'newZone' ? 1 : 0)) fail(`expected ${v.record === 'newZone' ? 'a' : 'no'} private zone`, zones.length);
  if (records.length !== (v.record ? 1 : 0)) fail(`expected ${v.record ? 'a' : 'no'} record`, records.length);
  if (v.record) {
    // The record of the name itself (DNS is case-insensitive; a trailing dot is the root).
    const fqdn = `${v.domainName!.toLowerCase().replace(/\.$/, '')}.`;
    const r = records[0][1].Properties;
    if (r.Type !== 'A' || r.AliasTarget === undefined) fail('the record is not an alias A record', r);
    if (String(r.Name).toLowerCase() !== fqdn) fail(`record name: expected ${fqdn}`, r.Name);
    if (v.record === 'newZone') {
      const z = zones[0][1].Properties;
      if (String(z.Name).toLowerCase() !== fqdn) fail(`zone name: expected ${fqdn}`, z.Name);
      if (!Array.isArray(z.VPCs) || z.VPCs[0].VPCId !== 'vpc-0ccccccccccccccc0') fail('the zone is not associated with the consumer VPC', z.VPCs);
      if (render(r.HostedZoneId) !== `\${${zones[0][0]}}`) fail('the record is not in the new zone', r.HostedZoneId);
    } else if (r.HostedZoneId !== 'Z2') {
      fail('the record is not in the zone given', r.HostedZoneId);
    }
  }

  const [sgId, sg] = only(template, 'AWS::EC2::SecurityGroup', 'ConsumerSecurityGroup');
  const ingress = ingressOf(template, sgId, sg);
  const expected = [...(v.allowSg ? [`tcp:443-443:SourceSecurityGroupId=${CLIENT_SG}`] : []), ...(v.allowRange ? ['tcp:443-443:CidrIp=10.1.0.0/16'] : [])];
  if (ingress.length !== expected.length || !expected.every((x) => ingress.includes(x))) fail(`endpoint ingress: expected ${JSON.stringify(expected)}`, ingress);
}
