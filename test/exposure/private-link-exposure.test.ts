/**
 * Unit tests of PrivateLinkExposure: every resource and property it creates (load balancer,
 * security groups, listener, target group, endpoint service, notifications, private DNS name,
 * outputs), each default both ways (created by us, brought or turned off by the user), every
 * refusal with its message, and unresolved tokens passed through unchecked.
 */
import {
  App,
  CfnParameter,
  Duration,
  Stack,
  Token,
  aws_certificatemanager as acm,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_kms as kms,
  aws_route53 as route53,
  aws_s3 as s3,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import {
  ConnectionEvent,
  MicroserviceEnvironment,
  MicroserviceEnvironmentProps,
  PrivateLinkExposure,
  PrivateLinkExposureProps,
  PrivateLinkProtocol,
  TwelveFactorService,
  TwelveFactorServiceProps,
} from '../../src';
import { attempt, expectConstructs, expectValidationError } from '../error-contract';
import { CERT_ARN, ENV, IMAGE, importedVpc } from '../service/fixtures';

const PATH = 'Test/Link';
/** Every prop a problem may name. */
const PROPS: string[] = [
  'service', 'allowedPrincipals', 'allowAnyPrincipal', 'allowedClients', 'enforceSecurityGroupInboundRulesOnPrivateLinkTraffic',
  'acceptanceRequired', 'allowedRegions', 'protocol', 'certificate', 'sslPolicy', 'port', 'healthCheck', 'healthCheck.protocol',
  'healthCheck.path', 'healthCheck.port', 'healthCheck.interval', 'healthCheck.timeout', 'healthCheck.healthyThresholdCount',
  'healthCheck.unhealthyThresholdCount', 'healthCheck.enabled', 'healthCheck.healthyHttpCodes', 'deregistrationDelay',
  'deletionProtection', 'privateDnsName', 'publicHostedZone', 'enableConnectionNotifications', 'notificationTopic', 'connectionEvents',
  'createOutputs', 'env',
];
const CONSUMER_ACCOUNT = '222222222222';
const CLIENTS = '10.1.0.0/16';
const ZONE_ID = 'Z0PUBLIC123';
const RECOMMENDED_TLS = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
const PRIVATE_SUBNETS = ['subnet-0000000000000000c', 'subnet-0000000000000000d'];

// ---------------------------------------------------------------------------------------
// Fixtures.
// ---------------------------------------------------------------------------------------

interface World {
  readonly stack: Stack;
  readonly env: MicroserviceEnvironment;
  readonly service: TwelveFactorService;
}

interface WorldOptions {
  /** Environment props (the VPC is an imported one unless given). */
  readonly env?: (stack: Stack) => Partial<MicroserviceEnvironmentProps>;
  readonly service?: Partial<TwelveFactorServiceProps> | ((stack: Stack) => Partial<TwelveFactorServiceProps>);
  /** The stack name; private DNS names need one per test (CDK keeps them in a static map by path). */
  readonly stackName?: string;
  readonly region?: string;
}

/** A stack with an environment on an imported VPC and a web service on port 8080. */
function world(o: WorldOptions = {}): World {
  const stack = new Stack(new App(), o.stackName ?? 'Test', { env: { ...ENV, region: o.region ?? ENV.region } });
  const env = new MicroserviceEnvironment(stack, 'Env', { vpc: importedVpc(stack), ...o.env?.(stack) });
  const more = typeof o.service === 'function' ? o.service(stack) : o.service;
  const service = new TwelveFactorService(stack, 'Billing', { environment: env, image: IMAGE, port: 8080, user: '1000', ...more });
  return { stack, env, service };
}

type Extra = Partial<PrivateLinkExposureProps> | ((w: World) => Partial<PrivateLinkExposureProps>);

function propsIn(w: World, extra: Extra = {}): PrivateLinkExposureProps {
  const more = typeof extra === 'function' ? extra(w) : extra;
  return {
    service: w.service,
    allowedPrincipals: [new iam.AccountPrincipal(CONSUMER_ACCOUNT)],
    allowedClients: [ec2.Peer.ipv4(CLIENTS)],
    ...more,
  };
}

/** An exposure `Link` in a fresh world; the template is synthesized on first use. */
function expose(extra: Extra = {}, o: WorldOptions = {}) {
  const w = world(o);
  const link = new PrivateLinkExposure(w.stack, 'Link', propsIn(w, extra));
  let template: Template | undefined;
  return {
    ...w,
    link,
    get t(): Template {
      template ??= Template.fromStack(w.stack);
      return template;
    },
  };
}

let dnsStacks = 0;
/** A stack name not used before in this process (for private DNS names). */
function freshStackName(): string {
  return `Dns${++dnsStacks}`;
}

function publicZone(stack: Stack, zoneName = 'example.com'): route53.IPublicHostedZone {
  return route53.PublicHostedZone.fromPublicHostedZoneAttributes(stack, 'PublicZone', { hostedZoneId: ZONE_ID, zoneName });
}

function certificate(stack: Stack): acm.ICertificate {
  return acm.Certificate.fromCertificateArn(stack, 'LinkCert', CERT_ARN);
}

/** The one resource of a type whose logical id starts with `prefix`. */
function only(t: Template, type: string, prefix: string): any {
  const found = Object.entries(t.findResources(type)).filter(([id]) => id.startsWith(prefix));
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${found.map(([id]) => id).join(', ') || 'none'}`);
  return found[0][1];
}

function withoutDescription(rule: Record<string, unknown>): Record<string, unknown> {
  const { Description: _ignored, ...rest } = rule;
  return rest;
}

function refersTo(value: unknown, prefix: string): boolean {
  return JSON.stringify(value ?? null).includes(`"${prefix}`);
}

/** Every ingress rule of the security groups whose logical id starts with `prefix` (inline and separate). */
function ingressOf(t: Template, prefix: string): Array<Record<string, unknown>> {
  const inline = Object.entries(t.findResources('AWS::EC2::SecurityGroup'))
    .filter(([id]) => id.startsWith(prefix))
    .flatMap(([, r]) => r.Properties.SecurityGroupIngress ?? []);
  const separate = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress'))
    .filter((r) => refersTo(r.Properties.GroupId, prefix))
    .map((r) => {
      const { GroupId: _group, ...rest } = r.Properties;
      return rest;
    });
  return [...inline, ...separate].map(withoutDescription);
}

/** Every egress rule of the security groups whose logical id starts with `prefix` (inline and separate). */
function egressOf(t: Template, prefix: string): Array<Record<string, unknown>> {
  const inline = Object.entries(t.findResources('AWS::EC2::SecurityGroup'))
    .filter(([id]) => id.startsWith(prefix))
    .flatMap(([, r]) => r.Properties.SecurityGroupEgress ?? []);
  const separate = Object.values(t.findResources('AWS::EC2::SecurityGroupEgress'))
    .filter((r) => refersTo(r.Properties.GroupId, prefix))
    .map((r) => {
      const { GroupId: _group, ...rest } = r.Properties;
      return rest;
    });
  return [...inline, ...separate].map(withoutDescription);
}

/** Every ingress rule in the template open to any IPv4 or IPv6 address. */
function worldOpenIngress(t: Template): unknown[] {
  const inline = Object.values(t.findResources('AWS::EC2::SecurityGroup')).flatMap((r) => r.Properties.SecurityGroupIngress ?? []);
  const separate = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => r.Properties);
  return [...inline, ...separate].filter((r: { CidrIp?: string; CidrIpv6?: string }) => r.CidrIp === '0.0.0.0/0' || r.CidrIpv6 === '::/0');
}

const getAtt = (prefix: string, attribute = 'GroupId') => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^${prefix}`), attribute] });

function lbAttributes(t: Template): Record<string, unknown> {
  const lb = only(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'LinkLoadBalancer');
  return Object.fromEntries(lb.Properties.LoadBalancerAttributes.map((a: { Key: string; Value: unknown }) => [a.Key, a.Value]));
}

function tgAttributes(t: Template): Record<string, unknown> {
  const tg = only(t, 'AWS::ElasticLoadBalancingV2::TargetGroup', 'LinkTargetGroup');
  return Object.fromEntries(tg.Properties.TargetGroupAttributes.map((a: { Key: string; Value: unknown }) => [a.Key, a.Value]));
}

function statementsOf(t: Template, type: string, prefix: string, document = 'PolicyDocument'): any[] {
  return only(t, type, prefix).Properties[document].Statement;
}

function expectRefusal(build: () => void, path = PATH, classes = ['PrivateLinkExposure']): string {
  return expectValidationError(attempt(build), { classes, path, props: PROPS });
}

// ---------------------------------------------------------------------------------------
// Defaults.
// ---------------------------------------------------------------------------------------

describe('defaults (we create them)', () => {
  const { link, service, t } = expose();

  test('an internal network load balancer across the service subnets, cross-zone, deletion protection on', () => {
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      Type: 'network',
      Subnets: PRIVATE_SUBNETS,
      SecurityGroups: [getAtt('LinkSecurityGroup')],
    });
    expect(lbAttributes(t)).toMatchObject({
      'load_balancing.cross_zone.enabled': 'true',
      'deletion_protection.enabled': 'true',
    });
    const ecsService = only(t, 'AWS::ECS::Service', 'BillingService');
    expect(ecsService.Properties.NetworkConfiguration.AwsvpcConfiguration.Subnets).toEqual(PRIVATE_SUBNETS);
  });

  test('the security group is enforced on PrivateLink traffic', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'on' });
  });

  test('access logs to the environment\'s shared bucket (created on first use) under the prefix nlb', () => {
    t.resourceCountIs('AWS::S3::Bucket', 1);
    expect(lbAttributes(t)).toMatchObject({ 'access_logs.s3.enabled': 'true', 'access_logs.s3.prefix': 'nlb' });
    expect(lbAttributes(t)['access_logs.s3.bucket']).toEqual({ Ref: expect.stringMatching(/^EnvAccessLogs/) });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^EnvAccessLogs') },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 's3:PutObject',
          Principal: { Service: 'delivery.logs.amazonaws.com' },
          Resource: { 'Fn::Join': ['', [getAtt('EnvAccessLogs', 'Arn'), '/nlb/AWSLogs/111111111111/*']] },
        })]),
      },
    });
  });

  test('a TCP listener on the service port forwarding to the target group', () => {
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      LoadBalancerArn: { Ref: Match.stringLikeRegexp('^LinkLoadBalancer') },
      Port: 8080,
      Protocol: 'TCP',
      Certificates: Match.absent(),
      SslPolicy: Match.absent(),
      DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: Match.stringLikeRegexp('^LinkTargetGroup') } }],
    });
    expect(link.port).toBe(8080);
    expect(link.protocol).toBe(PrivateLinkProtocol.TCP);
  });

  test('an IP target group on the service port: TCP health checks every 10 s, 2 checks either way, deregistration after the stop timeout', () => {
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 1);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetType: 'ip',
      Protocol: 'TCP',
      Port: 8080,
      HealthCheckProtocol: 'TCP',
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      HealthCheckPath: Match.absent(),
      HealthCheckEnabled: Match.absent(),
      VpcId: 'vpc-0123456789abcdef0',
    });
    expect(tgAttributes(t)).toEqual({ 'deregistration_delay.timeout_seconds': '30' });
    expect(service.stopTimeout.toSeconds()).toBe(30);
  });

  test('the ECS service registers its app container on the service port in the target group', () => {
    t.hasResourceProperties('AWS::ECS::Service', {
      LoadBalancers: [{ ContainerName: 'app', ContainerPort: 8080, TargetGroupArn: { Ref: Match.stringLikeRegexp('^LinkTargetGroup') } }],
    });
    const ecsService = only(t, 'AWS::ECS::Service', 'BillingService');
    expect(ecsService.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^LinkLoadBalancerListener/)]));
  });

  test('the load balancer takes only the allowed clients, on the listener port', () => {
    expect(ingressOf(t, 'LinkSecurityGroup')).toEqual([{ CidrIp: CLIENTS, IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080 }]);
  });

  test('the load balancer sends only to the service\'s security group, on the service port', () => {
    expect(egressOf(t, 'LinkSecurityGroup')).toEqual([{
      DestinationSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^BillingSecurityGroup/), 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: 8080,
      ToPort: 8080,
    }]);
  });

  test('the service takes connections from the load balancer only', () => {
    expect(ingressOf(t, 'BillingSecurityGroup')).toEqual([{
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^LinkSecurityGroup/), 'GroupId'] },
      IpProtocol: 'tcp',
      FromPort: 8080,
      ToPort: 8080,
    }]);
  });

  test('no security group in the template takes 0.0.0.0/0 or ::/0', () => {
    expect(worldOpenIngress(t)).toEqual([]);
  });

  test('an endpoint service on the load balancer: acceptance required, the allowed principals, only its own Region', () => {
    t.resourceCountIs('AWS::EC2::VPCEndpointService', 1);
    t.hasResourceProperties('AWS::EC2::VPCEndpointService', {
      NetworkLoadBalancerArns: [{ Ref: Match.stringLikeRegexp('^LinkLoadBalancer') }],
      AcceptanceRequired: true,
      ContributorInsightsEnabled: false,
      SupportedRegions: Match.absent(),
    });
    t.resourceCountIs('AWS::EC2::VPCEndpointServicePermissions', 1);
    t.hasResourceProperties('AWS::EC2::VPCEndpointServicePermissions', {
      ServiceId: { Ref: Match.stringLikeRegexp('^LinkEndpointService') },
      AllowedPrincipals: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${CONSUMER_ACCOUNT}:root`]] }],
    });
    expect(link.acceptanceRequired).toBe(true);
    expect(link.allowedPrincipalArns).toHaveLength(1);
  });

  test('the endpoint service name with the provider\'s Region literal', () => {
    expect(link.stack.resolve(link.endpointServiceName)).toEqual({
      'Fn::Join': ['.', ['com.amazonaws.vpce.us-east-1', { Ref: expect.stringMatching(/^LinkEndpointService/) }]],
    });
    expect(link.stack.resolve(link.endpointServiceId)).toEqual({ Ref: expect.stringMatching(/^LinkEndpointService/) });
  });

  test('connection notifications (acceptance is required): a topic encrypted with the environment\'s key, all four events', () => {
    t.resourceCountIs('AWS::SNS::Topic', 2); // the environment's alarm topic and ours
    const topic = only(t, 'AWS::SNS::Topic', 'LinkNotificationTopic');
    expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EnvKey/), 'Arn'] });
    t.resourceCountIs('AWS::EC2::VPCEndpointConnectionNotification', 1);
    t.hasResourceProperties('AWS::EC2::VPCEndpointConnectionNotification', {
      ServiceId: { Ref: Match.stringLikeRegexp('^LinkEndpointService') },
      ConnectionNotificationArn: { Ref: Match.stringLikeRegexp('^LinkNotificationTopic') },
      ConnectionEvents: ['Connect', 'Accept', 'Reject', 'Delete'],
    });
    expect(link.notificationTopic).toBeDefined();
  });

  test('ordering: the notification after the topic policy and the key, the load balancer after the bucket policy', () => {
    const notification = only(t, 'AWS::EC2::VPCEndpointConnectionNotification', 'LinkConnectionNotification');
    expect(notification.DependsOn).toEqual(expect.arrayContaining([
      expect.stringMatching(/^LinkNotificationTopicPolicy/), expect.stringMatching(/^EnvKey/),
    ]));
    const lb = only(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'LinkLoadBalancer');
    expect(lb.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^EnvAccessLogsPolicy/)]));
  });

  test('the topic lets vpce.amazonaws.com publish for this endpoint service of this account only, over TLS only', () => {
    const statements = statementsOf(t, 'AWS::SNS::TopicPolicy', 'LinkNotificationTopicPolicy');
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      {
        Sid: 'PrivateLinkConnectionNotifications',
        Effect: 'Allow',
        Principal: { Service: 'vpce.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: expect.stringMatching(/^LinkNotificationTopic/) },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:us-east-1:111111111111:vpc-endpoint-service/',
                { Ref: expect.stringMatching(/^LinkEndpointService/) }]],
            },
          },
        },
      },
    ]));
  });

  test('the environment\'s key lets vpce.amazonaws.com encrypt for the topic, for this account only', () => {
    const statements = statementsOf(t, 'AWS::KMS::Key', 'EnvKey', 'KeyPolicy');
    expect(statements).toEqual(expect.arrayContaining([{
      Sid: 'PrivateLinkConnectionNotifications',
      Effect: 'Allow',
      Principal: { Service: 'vpce.amazonaws.com' },
      Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    }]));
  });

  test('no private DNS name, no custom resource, no output', () => {
    t.resourceCountIs('Custom::AWS', 0);
    t.resourceCountIs('AWS::Lambda::Function', 0);
    t.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(Object.keys(t.findOutputs('*'))).toEqual([]);
    expect(link.privateDnsName).toBeUndefined();
  });

  test('one warning: the TCP listener does not encrypt (acknowledged for the NIST and HIPAA certificate rule)', () => {
    const warnings = Annotations.fromStack(link.stack).findWarning('*', Match.anyValue());
    expect(warnings.map((w) => String(w.entry.data))).toEqual([expect.stringContaining('cdk-microservices:privateLinkTcp')]);
  });

  test('the L2 constructs in use are exposed', () => {
    expect(link.service).toBe(service);
    expect(link.loadBalancer).toBeInstanceOf(elbv2.NetworkLoadBalancer);
    expect(link.listener).toBeInstanceOf(elbv2.NetworkListener);
    expect(link.targetGroup).toBeInstanceOf(elbv2.NetworkTargetGroup);
    expect(link.endpointService).toBeInstanceOf(ec2.VpcEndpointService);
    expect(link.securityGroup).toBeInstanceOf(ec2.SecurityGroup);
    expect(link.connections.securityGroups).toEqual([link.securityGroup]);
  });
});

// ---------------------------------------------------------------------------------------
// Load balancer options.
// ---------------------------------------------------------------------------------------

describe('load balancer options', () => {
  test('deletion protection off', () => {
    const { t } = expose({ deletionProtection: false });
    expect(lbAttributes(t)['deletion_protection.enabled']).toBe('false');
  });

  test('deletion protection on when asked explicitly', () => {
    const { t } = expose({ deletionProtection: true });
    expect(lbAttributes(t)['deletion_protection.enabled']).toBe('true');
  });

  test('enforcement off: no client rule, the attribute off', () => {
    const { t } = expose({ enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: false, allowedClients: undefined });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'off' });
    expect(ingressOf(t, 'LinkSecurityGroup')).toEqual([]);
    expect(egressOf(t, 'LinkSecurityGroup')).toHaveLength(1);
    expect(worldOpenIngress(t)).toEqual([]);
  });

  test('enforcement on when asked explicitly, with several client ranges and a prefix list', () => {
    const { t } = expose({
      enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: true,
      allowedClients: [ec2.Peer.ipv4('10.1.0.0/16'), ec2.Peer.ipv4('10.2.0.0/16'), ec2.Peer.ipv6('fd00:1::/64'), ec2.Peer.prefixList('pl-12345678')],
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'on' });
    expect(ingressOf(t, 'LinkSecurityGroup')).toEqual([
      { CidrIp: '10.1.0.0/16', IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080 },
      { CidrIp: '10.2.0.0/16', IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080 },
      { CidrIpv6: 'fd00:1::/64', IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080 },
      { SourcePrefixListId: 'pl-12345678', IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080 },
    ]);
  });

  test('the environment\'s own access log bucket: none created, the load balancer logs to it', () => {
    const { t, link } = expose({}, { env: (stack) => ({ accessLogsBucket: s3.Bucket.fromBucketName(stack, 'Logs', 'my-access-logs') }) });
    t.resourceCountIs('AWS::S3::Bucket', 0);
    expect(lbAttributes(t)).toMatchObject({ 'access_logs.s3.bucket': 'my-access-logs', 'access_logs.s3.prefix': 'nlb' });
    // Its policy is not ours to write: a warning says what it must allow.
    Annotations.fromStack(link.stack).hasWarning('/Test/Link', Match.stringLikeRegexp(
      'The access-log bucket is imported: its policy must let delivery.logs.amazonaws.com write under nlb/AWSLogs/111111111111/.*cdk-microservices:accessLogsBucketPolicy'));
  });

  test('one bucket shared with the environment\'s application load balancer (prefix alb)', () => {
    const { t } = expose({}, {
      env: (stack) => ({ createLoadBalancer: true, certificate: acm.Certificate.fromCertificateArn(stack, 'EnvCert', CERT_ARN) }),
    });
    t.resourceCountIs('AWS::S3::Bucket', 1);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 2);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'application',
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.prefix', Value: 'alb' }]),
    });
    expect(lbAttributes(t)['access_logs.s3.bucket']).toEqual({ Ref: expect.stringMatching(/^EnvAccessLogs/) });
  });

  test('the environment\'s service subnets', () => {
    const subnets = ['subnet-0000000000000000c'];
    const { t } = expose({}, { env: () => ({ serviceSubnets: { subnetFilters: [ec2.SubnetFilter.byIds(subnets)] } }) });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Subnets: subnets });
    t.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ Subnets: subnets }) },
    });
  });
});

// ---------------------------------------------------------------------------------------
// Listener and target group options.
// ---------------------------------------------------------------------------------------

describe('listener', () => {
  test('a certificate makes a TLS listener on 443 with the recommended policy; targets stay TCP on the service port', () => {
    const { t, link } = expose((w) => ({ certificate: certificate(w.stack) }));
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'TLS',
      Certificates: [{ CertificateArn: CERT_ARN }],
      SslPolicy: RECOMMENDED_TLS,
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Protocol: 'TCP', Port: 8080 });
    expect(ingressOf(t, 'LinkSecurityGroup')).toEqual([{ CidrIp: CLIENTS, IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }]);
    expect(egressOf(t, 'LinkSecurityGroup')).toEqual([expect.objectContaining({ FromPort: 8080, ToPort: 8080 })]);
    expect(link.protocol).toBe(PrivateLinkProtocol.TLS);
    expect(link.port).toBe(443);
    // TLS at the load balancer: no warning about encryption, no acknowledgement of the certificate rule.
    Annotations.fromStack(link.stack).hasNoWarning('*', Match.anyValue());
    expect(JSON.stringify(link.listener.node.metadata)).not.toContain('ELBv2ACMCertificateRequired');
  });

  test('TLS named explicitly, on a custom port with a custom policy', () => {
    const { t, link } = expose((w) => ({
      protocol: PrivateLinkProtocol.TLS,
      certificate: certificate(w.stack),
      port: 8443,
      sslPolicy: elbv2.SslPolicy.TLS13_13,
    }));
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 8443,
      Protocol: 'TLS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-3-2021-06',
    });
    expect(ingressOf(t, 'LinkSecurityGroup')).toEqual([{ CidrIp: CLIENTS, IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443 }]);
    expect(link.port).toBe(8443);
  });

  test('TCP named explicitly on a custom port', () => {
    const { t, link } = expose({ protocol: PrivateLinkProtocol.TCP, port: 9000 });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 9000, Protocol: 'TCP', SslPolicy: Match.absent() });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: 8080 });
    expect(ingressOf(t, 'LinkSecurityGroup')).toEqual([{ CidrIp: CLIENTS, IpProtocol: 'tcp', FromPort: 9000, ToPort: 9000 }]);
    expect(ingressOf(t, 'BillingSecurityGroup')).toEqual([expect.objectContaining({ FromPort: 8080, ToPort: 8080 })]);
    expect(link.port).toBe(9000);
  });
});

describe('target group', () => {
  test('a health check of the user, on its own port: the service takes it from the load balancer too', () => {
    const { t } = expose({
      healthCheck: {
        protocol: elbv2.Protocol.HTTP,
        path: '/health',
        port: '9090',
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 3,
        unhealthyThresholdCount: 4,
        healthyHttpCodes: '200-299',
      },
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/health',
      HealthCheckPort: '9090',
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 5,
      HealthyThresholdCount: 3,
      UnhealthyThresholdCount: 4,
      Matcher: { HttpCode: '200-299' },
    });
    const fromLb = { SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^LinkSecurityGroup/), 'GroupId'] }, IpProtocol: 'tcp' };
    expect(ingressOf(t, 'BillingSecurityGroup')).toEqual([
      { ...fromLb, FromPort: 8080, ToPort: 8080 },
      { ...fromLb, FromPort: 9090, ToPort: 9090 },
    ]);
    expect(egressOf(t, 'LinkSecurityGroup').map((r) => r.FromPort)).toEqual([8080, 9090]);
  });

  test('a partial health check keeps our other fields', () => {
    const { t } = expose({ healthCheck: { protocol: elbv2.Protocol.HTTP, path: '/health' } });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckProtocol: 'HTTP',
      HealthCheckPath: '/health',
      HealthCheckIntervalSeconds: 10,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 2,
      HealthCheckPort: Match.absent(),
    });
  });

  test.each([['traffic-port'], ['8080']])('a health check on the traffic port (%s) adds no rule', (port) => {
    const { t } = expose({ healthCheck: { port } });
    expect(ingressOf(t, 'BillingSecurityGroup')).toHaveLength(1);
    expect(egressOf(t, 'LinkSecurityGroup')).toHaveLength(1);
  });

  test('the deregistration delay follows the service\'s stop timeout', () => {
    const { t } = expose({}, { service: { stopTimeout: Duration.seconds(60) } });
    expect(tgAttributes(t)).toEqual({ 'deregistration_delay.timeout_seconds': '60' });
  });

  test('a deregistration delay of the user', () => {
    const { t } = expose({ deregistrationDelay: Duration.seconds(5) }, { service: { stopTimeout: Duration.seconds(60) } });
    expect(tgAttributes(t)).toEqual({ 'deregistration_delay.timeout_seconds': '5' });
  });

  test('a deregistration delay of zero', () => {
    const { t } = expose({ deregistrationDelay: Duration.seconds(0) });
    expect(tgAttributes(t)).toEqual({ 'deregistration_delay.timeout_seconds': '0' });
  });
});

// ---------------------------------------------------------------------------------------
// Endpoint service options.
// ---------------------------------------------------------------------------------------

describe('endpoint service', () => {
  test('several principals: accounts, roles and users', () => {
    const role = 'arn:aws:iam::333333333333:role/consumer';
    const user = 'arn:aws-us-gov:iam::444444444444:user/ops/alice';
    const { t, link } = expose({
      allowedPrincipals: [new iam.AccountPrincipal(CONSUMER_ACCOUNT), new iam.ArnPrincipal(role), new iam.ArnPrincipal(user)],
    });
    t.hasResourceProperties('AWS::EC2::VPCEndpointServicePermissions', {
      AllowedPrincipals: [Match.objectLike({ 'Fn::Join': Match.anyValue() }), role, user],
    });
    expect(link.allowedPrincipalArns.slice(1)).toEqual([role, user]);
  });

  test('a role of the app, by its ARN token', () => {
    const { t } = expose((w) => ({
      allowedPrincipals: [new iam.ArnPrincipal(new iam.Role(w.stack, 'ConsumerRole', { assumedBy: new iam.AccountRootPrincipal() }).roleArn)],
    }));
    t.hasResourceProperties('AWS::EC2::VPCEndpointServicePermissions', { AllowedPrincipals: [getAtt('ConsumerRole', 'Arn')] });
  });

  test.each<[string, () => iam.ArnPrincipal]>([
    ['ArnPrincipal(\'*\')', () => new iam.ArnPrincipal('*')],
    ['AnyPrincipal', () => new iam.AnyPrincipal()],
  ])('anyone (%s) with allowAnyPrincipal', (_name, principal) => {
    const { t } = expose({ allowedPrincipals: [principal()], allowAnyPrincipal: true });
    t.hasResourceProperties('AWS::EC2::VPCEndpointServicePermissions', { AllowedPrincipals: ['*'] });
    t.hasResourceProperties('AWS::EC2::VPCEndpointService', { AcceptanceRequired: true });
  });

  test('acceptance not required: no notification by default', () => {
    const { t, link } = expose({ acceptanceRequired: false });
    t.hasResourceProperties('AWS::EC2::VPCEndpointService', { AcceptanceRequired: false });
    t.resourceCountIs('AWS::EC2::VPCEndpointConnectionNotification', 0);
    t.resourceCountIs('AWS::SNS::Topic', 1); // the environment's alarm topic only
    const keyStatements = statementsOf(t, 'AWS::KMS::Key', 'EnvKey', 'KeyPolicy');
    expect(keyStatements.map((s: { Sid?: string }) => s.Sid)).not.toContain('PrivateLinkConnectionNotifications');
    expect(link.acceptanceRequired).toBe(false);
    expect(link.notificationTopic).toBeUndefined();
  });

  test('acceptance required when asked explicitly', () => {
    const { t } = expose({ acceptanceRequired: true });
    t.hasResourceProperties('AWS::EC2::VPCEndpointService', { AcceptanceRequired: true });
  });

  test('other Regions allowed', () => {
    const { t } = expose({ allowedRegions: ['us-west-2', 'eu-west-1', 'us-gov-west-1'] });
    t.hasResourceProperties('AWS::EC2::VPCEndpointService', { SupportedRegions: ['us-west-2', 'eu-west-1', 'us-gov-west-1'] });
  });

  test.each<[string, string]>([
    ['eu-west-1', 'com.amazonaws.vpce.eu-west-1'],
    ['cn-north-1', 'cn.com.amazonaws.vpce.cn-north-1'],
  ])('the endpoint service name in %s', (region, prefix) => {
    const { link } = expose({}, { region });
    expect(link.stack.resolve(link.endpointServiceName)).toEqual({
      'Fn::Join': ['.', [prefix, { Ref: expect.stringMatching(/^LinkEndpointService/) }]],
    });
  });

  test('an output with the endpoint service name, only when asked', () => {
    const { t } = expose({ createOutputs: true });
    const outputs = Object.values(t.findOutputs('*'));
    expect(outputs).toEqual([{
      Description: 'PrivateLink endpoint service of Test/Billing',
      Value: { 'Fn::Join': ['.', ['com.amazonaws.vpce.us-east-1', { Ref: expect.stringMatching(/^LinkEndpointService/) }]] },
    }]);
  });

  test('no output with createOutputs: false', () => {
    const { t } = expose({ createOutputs: false });
    expect(Object.keys(t.findOutputs('*'))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// Connection notifications.
// ---------------------------------------------------------------------------------------

describe('connection notifications', () => {
  test('a subset of events', () => {
    const { t } = expose({ connectionEvents: [ConnectionEvent.CONNECT, ConnectionEvent.DELETE] });
    t.hasResourceProperties('AWS::EC2::VPCEndpointConnectionNotification', { ConnectionEvents: ['Connect', 'Delete'] });
  });

  test('a repeated event is sent once', () => {
    const { t } = expose({ connectionEvents: [ConnectionEvent.ACCEPT, ConnectionEvent.ACCEPT] });
    t.hasResourceProperties('AWS::EC2::VPCEndpointConnectionNotification', { ConnectionEvents: ['Accept'] });
  });

  test('forced on without acceptance', () => {
    const { t, link } = expose({ acceptanceRequired: false, enableConnectionNotifications: true, connectionEvents: [ConnectionEvent.CONNECT] });
    t.hasResourceProperties('AWS::EC2::VPCEndpointService', { AcceptanceRequired: false });
    t.hasResourceProperties('AWS::EC2::VPCEndpointConnectionNotification', { ConnectionEvents: ['Connect'] });
    t.hasResourceProperties('AWS::SNS::Topic', { DisplayName: 'PrivateLink connections of Test/Billing' });
    expect(link.notificationTopic).toBeDefined();
  });

  test('turned off with acceptance required: no topic, no notification, the key untouched', () => {
    const { t, link } = expose({ enableConnectionNotifications: false });
    t.resourceCountIs('AWS::EC2::VPCEndpointConnectionNotification', 0);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    const keyStatements = statementsOf(t, 'AWS::KMS::Key', 'EnvKey', 'KeyPolicy');
    expect(keyStatements.map((s: { Sid?: string }) => s.Sid)).not.toContain('PrivateLinkConnectionNotifications');
    expect(link.notificationTopic).toBeUndefined();
  });

  test('a topic of the user: none created, its policy lets vpce.amazonaws.com publish, the environment\'s key untouched', () => {
    let topic!: sns.Topic;
    const { t, link } = expose((w) => {
      topic = new sns.Topic(w.stack, 'Ops', { masterKey: new kms.Key(w.stack, 'OpsKey') });
      return { notificationTopic: topic };
    });
    t.resourceCountIs('AWS::SNS::Topic', 2); // the environment's alarm topic and the user's
    t.hasResourceProperties('AWS::EC2::VPCEndpointConnectionNotification', {
      ConnectionNotificationArn: { Ref: Match.stringLikeRegexp('^Ops') },
    });
    const statements = statementsOf(t, 'AWS::SNS::TopicPolicy', 'OpsPolicy');
    expect(statements).toEqual([expect.objectContaining({
      Principal: { Service: 'vpce.amazonaws.com' },
      Action: 'sns:Publish',
      Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
    })]);
    const keyStatements = statementsOf(t, 'AWS::KMS::Key', 'EnvKey', 'KeyPolicy');
    expect(keyStatements.map((s: { Sid?: string }) => s.Sid)).not.toContain('PrivateLinkConnectionNotifications');
    expect(link.notificationTopic).toBe(topic);
    Annotations.fromStack(link.stack).hasNoWarning('*', Match.stringLikeRegexp('notification'));
  });

  test('a topic of the user turns notifications on without acceptance', () => {
    const { t } = expose((w) => ({ acceptanceRequired: false, notificationTopic: new sns.Topic(w.stack, 'Ops') }));
    t.resourceCountIs('AWS::EC2::VPCEndpointConnectionNotification', 1);
  });

  test('an imported topic, whose policy we cannot change: a warning', () => {
    const { t, link } = expose((w) => ({ notificationTopic: sns.Topic.fromTopicArn(w.stack, 'Ops', 'arn:aws:sns:us-east-1:111111111111:ops') }));
    t.hasResourceProperties('AWS::EC2::VPCEndpointConnectionNotification', { ConnectionNotificationArn: 'arn:aws:sns:us-east-1:111111111111:ops' });
    Annotations.fromStack(link.stack).hasWarning('/Test/Link',
      Match.stringLikeRegexp('The notification topic is imported: its policy must let vpce.amazonaws.com publish.*cdk-microservices:notificationTopicPolicy'));
  });

  test('an imported environment key, whose policy we cannot change: a warning', () => {
    const { link } = expose({}, {
      env: (stack) => ({ encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555') }),
    });
    Annotations.fromStack(link.stack).hasWarning('/Test/Link',
      Match.stringLikeRegexp('The environment\'s key is imported: its key policy must let vpce.amazonaws.com use it.*cdk-microservices:notificationKey'));
  });

  test('two exposures sharing a topic: one statement each, with distinct ids', () => {
    const w = world();
    const orders = new TwelveFactorService(w.stack, 'Orders', { environment: w.env, image: IMAGE, port: 8080, user: '1000' });
    const topic = new sns.Topic(w.stack, 'Ops');
    new PrivateLinkExposure(w.stack, 'Link', propsIn(w, { notificationTopic: topic }));
    new PrivateLinkExposure(w.stack, 'OrdersLink', { ...propsIn(w, { notificationTopic: topic }), service: orders });
    const statements = statementsOf(Template.fromStack(w.stack), 'AWS::SNS::TopicPolicy', 'OpsPolicy');
    expect(statements).toHaveLength(2);
    const sids = statements.map((s: { Sid?: string }) => s.Sid);
    expect(new Set(sids).size).toBe(2);
    for (const sid of sids) expect(sid).toMatch(/^[A-Za-z0-9]+$/);
  });

  test('two exposures in one environment: one key statement', () => {
    const w = world();
    const orders = new TwelveFactorService(w.stack, 'Orders', { environment: w.env, image: IMAGE, port: 8080, user: '1000' });
    new PrivateLinkExposure(w.stack, 'Link', propsIn(w));
    new PrivateLinkExposure(w.stack, 'OrdersLink', { ...propsIn(w), service: orders });
    const t = Template.fromStack(w.stack);
    const keyStatements = statementsOf(t, 'AWS::KMS::Key', 'EnvKey', 'KeyPolicy');
    expect(keyStatements.filter((s: { Sid?: string }) => s.Sid === 'PrivateLinkConnectionNotifications')).toHaveLength(1);
    t.resourceCountIs('AWS::EC2::VPCEndpointConnectionNotification', 2);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 2);
    t.resourceCountIs('AWS::S3::Bucket', 1);
  });
});

// ---------------------------------------------------------------------------------------
// Private DNS name.
// ---------------------------------------------------------------------------------------

describe('private DNS name', () => {
  const built = expose((w) => ({ privateDnsName: 'billing.example.com', publicHostedZone: publicZone(w.stack) }), { stackName: freshStackName() });
  const { t, link } = built;

  test('custom resources set the name, read the verification record and start the verification', () => {
    t.resourceCountIs('Custom::AWS', 3);
    const calls = Object.values(t.findResources('Custom::AWS')).map((r) => JSON.stringify(r.Properties.Create));
    expect(calls.find((c) => c.includes('modifyVpcEndpointServiceConfiguration'))).toMatch(/PrivateDnsName\\":\\"billing\.example\.com/);
    expect(calls.some((c) => c.includes('describeVpcEndpointServiceConfigurations'))).toBe(true);
    expect(calls.some((c) => c.includes('startVpcEndpointServicePrivateDnsVerification'))).toBe(true);
    const deletes = Object.values(t.findResources('Custom::AWS')).map((r) => JSON.stringify(r.Properties.Delete ?? ''));
    expect(deletes.some((c) => c.includes('RemovePrivateDnsName'))).toBe(true);
  });

  test('the verification TXT record in the public hosted zone', () => {
    t.resourceCountIs('AWS::Route53::RecordSet', 1);
    t.hasResourceProperties('AWS::Route53::RecordSet', {
      Type: 'TXT',
      HostedZoneId: ZONE_ID,
      Name: Match.objectLike({ 'Fn::Join': Match.anyValue() }),
      ResourceRecords: [Match.objectLike({ 'Fn::Join': Match.anyValue() })],
    });
  });

  test('the name is exposed for consumers', () => {
    expect(link.privateDnsName).toBe('billing.example.com');
  });

  test('the name at the zone apex, and a name with a trailing dot and capitals', () => {
    expectConstructs(() => expose((w) => ({ privateDnsName: 'example.com', publicHostedZone: publicZone(w.stack) }), { stackName: freshStackName() }));
    expectConstructs(() => expose((w) => ({ privateDnsName: 'Billing.Example.com.', publicHostedZone: publicZone(w.stack, 'example.com.') }),
      { stackName: freshStackName() }));
  });
});

// ---------------------------------------------------------------------------------------
// Unresolved tokens are passed through unchecked.
// ---------------------------------------------------------------------------------------

describe('tokens', () => {
  test('a port, a Region, a principal ARN, a DNS name, a health check port and a delay from tokens', () => {
    const { t } = expose((w) => {
      const port = new CfnParameter(w.stack, 'LinkPort', { type: 'Number' });
      const region = new CfnParameter(w.stack, 'PeerRegion');
      const name = new CfnParameter(w.stack, 'DnsName');
      const delay = new CfnParameter(w.stack, 'Delay', { type: 'Number' });
      const role = new iam.Role(w.stack, 'ConsumerRole', { assumedBy: new iam.AccountRootPrincipal() });
      return {
        port: port.valueAsNumber,
        allowedClients: [ec2.Peer.ipv4(new CfnParameter(w.stack, 'ClientRange').valueAsString)],
        allowedRegions: [region.valueAsString],
        allowedPrincipals: [new iam.ArnPrincipal(role.roleArn), new iam.AccountPrincipal(Token.asString({ Ref: 'AWS::AccountId' }))],
        privateDnsName: name.valueAsString,
        publicHostedZone: publicZone(w.stack),
        healthCheck: { port: Token.asString(port.value), interval: Duration.seconds(delay.valueAsNumber) },
        deregistrationDelay: Duration.seconds(delay.valueAsNumber),
      };
    }, { stackName: freshStackName() });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: { Ref: 'LinkPort' } });
    t.hasResourceProperties('AWS::EC2::VPCEndpointService', { SupportedRegions: [{ Ref: 'PeerRegion' }] });
    expect(ingressOf(t, 'LinkSecurityGroup')).toEqual([{ CidrIp: { Ref: 'ClientRange' }, IpProtocol: 'tcp', FromPort: { Ref: 'LinkPort' }, ToPort: { Ref: 'LinkPort' } }]);
  });

  test('a service port from a token', () => {
    const w = world({ service: (stack) => ({ port: new CfnParameter(stack, 'ServicePort', { type: 'Number' }).valueAsNumber }) });
    expectConstructs(() => new PrivateLinkExposure(w.stack, 'Link', propsIn(w)));
    const t = Template.fromStack(w.stack);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: { Ref: 'ServicePort' } });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { Port: { Ref: 'ServicePort' } });
  });
});

// ---------------------------------------------------------------------------------------
// Refusals.
// ---------------------------------------------------------------------------------------

describe('refusals', () => {
  type Bad = [string, Extra, RegExp];
  const cases: Bad[] = [
    // Principals.
    ['no allowed principals', { allowedPrincipals: [] }, /`allowedPrincipals` is empty: name who may connect, for example/],
    ['allowed principals left out', { allowedPrincipals: undefined as unknown as iam.ArnPrincipal[] }, /`allowedPrincipals` is empty/],
    ['a wildcard principal without allowAnyPrincipal', { allowedPrincipals: [new iam.ArnPrincipal('*')] },
      /`allowedPrincipals\[0\]` is '\*' \(any AWS account\): set `allowAnyPrincipal` to true/],
    ['AnyPrincipal without allowAnyPrincipal', { allowedPrincipals: [new iam.AnyPrincipal()] }, /set `allowAnyPrincipal` to true/],
    ['allowAnyPrincipal without a wildcard principal', { allowAnyPrincipal: true },
      /`allowAnyPrincipal` is true but no principal is '\*'; add new iam.ArnPrincipal\('\*'\) or remove `allowAnyPrincipal`/],
    ['a partial wildcard in the resource', { allowedPrincipals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:role/*')] },
      /`allowedPrincipals\[0\]` 'arn:aws:iam::111122223333:role\/\*' has a wildcard: endpoint services take whole principals/],
    ['a partial wildcard in the account', { allowedPrincipals: [new iam.ArnPrincipal('arn:aws:iam::*:root')] }, /has a wildcard/],
    ['a wildcard account principal', { allowedPrincipals: [new iam.AccountPrincipal('*')] },
      /`allowedPrincipals\[0\]` \(an iam\.AccountPrincipal of '\*'\) has a wildcard: name whole 12-digit accounts/],
    ['a wildcard even with allowAnyPrincipal', { allowAnyPrincipal: true, allowedPrincipals: [new iam.ArnPrincipal('*'), new iam.ArnPrincipal('arn:aws:iam::1111*')] },
      /has a wildcard/],
    ['a service principal', { allowedPrincipals: [new iam.ServicePrincipal('ecs.amazonaws.com') as unknown as iam.ArnPrincipal] },
      /`allowedPrincipals\[0\]` .*is not an iam\.ArnPrincipal; use new iam\.AccountPrincipal\(accountId\) or new iam\.ArnPrincipal\(roleArn\)/],
    ['an organization principal', { allowedPrincipals: [new iam.OrganizationPrincipal('o-1234567890') as unknown as iam.ArnPrincipal] },
      /is not an iam\.ArnPrincipal/],
    ['a role instead of its ARN', (w) => ({ allowedPrincipals: [new iam.Role(w.stack, 'R', { assumedBy: new iam.AccountRootPrincipal() }) as unknown as iam.ArnPrincipal] }),
      /is not an iam\.ArnPrincipal/],
    ['an account id, not an ARN', { allowedPrincipals: [new iam.ArnPrincipal('111122223333')] },
      /'111122223333' is not an account, role or user ARN; use one like 'arn:aws:iam::111122223333:root'/],
    ['a group ARN', { allowedPrincipals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:group/admins')] }, /is not an account, role or user ARN/],
    ['an S3 ARN', { allowedPrincipals: [new iam.ArnPrincipal('arn:aws:s3:::bucket')] }, /is not an account, role or user ARN/],
    ['a short account id', { allowedPrincipals: [new iam.AccountPrincipal('12345')] },
      /`allowedPrincipals\[0\]` \(an iam\.AccountPrincipal\) account '12345' is not a 12-digit AWS account id; use one like '111122223333'/],
    ['an account named twice', { allowedPrincipals: [new iam.AccountPrincipal(CONSUMER_ACCOUNT), new iam.AccountPrincipal(CONSUMER_ACCOUNT)] },
      /`allowedPrincipals` names 'arn:aws:iam::222222222222:root' more than once/],
    ['a principal named twice', { allowedPrincipals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:root'), new iam.ArnPrincipal('arn:aws:iam::111122223333:root')] },
      /`allowedPrincipals` names 'arn:aws:iam::111122223333:root' more than once; name each principal once/],
    // Service.
    ['a worker without a port', (w) => ({ service: new TwelveFactorService(w.stack, 'Worker', { environment: w.env, image: IMAGE, user: '1000' }) }),
      /`service` Test\/Worker has no `port`: a worker takes no connections; give the service a `port` to expose it/],
    ['no service', { service: undefined as unknown as TwelveFactorService }, /`service` needs an ITwelveFactorService; got undefined/],
    ['a service that is not a TwelveFactorService', { service: {} as unknown as TwelveFactorService }, /`service` needs an ITwelveFactorService/],
    // Network.
    ['no allowed clients while enforcing', { allowedClients: [] },
      /`allowedClients` is empty while inbound rules are enforced on PrivateLink traffic: no client could connect; name the consumer VPCs' ranges .* or set `enforceSecurityGroupInboundRulesOnPrivateLinkTraffic` to false/],
    ['allowed clients left out while enforcing', { allowedClients: undefined }, /`allowedClients` is empty while inbound rules are enforced/],
    ['allowed clients left out, enforcing explicitly', { allowedClients: undefined, enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: true },
      /`allowedClients` is empty while inbound rules are enforced/],
    ['any IPv4 client', { allowedClients: [ec2.Peer.anyIpv4()] }, /`allowedClients\[0\]` 0\.0\.0\.0\/0 lets any address in; name the consumer VPCs' ranges/],
    ['any IPv6 client', { allowedClients: [ec2.Peer.ipv4('10.1.0.0/16'), ec2.Peer.anyIpv6()] }, /`allowedClients\[1\]` ::\/0 lets any address in/],
    ['0.0.0.0/0 spelled out', { allowedClients: [ec2.Peer.ipv4('0.0.0.0/0')] }, /0\.0\.0\.0\/0 lets any address in/],
    ['a client that is not a peer', { allowedClients: [{} as ec2.IPeer] }, /`allowedClients\[0\]` .*is not an ec2\.IPeer; use ec2\.Peer\.ipv4/],
    ['clients that are not a list', { allowedClients: ec2.Peer.ipv4('10.1.0.0/16') as unknown as ec2.IPeer[] }, /`allowedClients` .*is not a list of ec2\.IPeer/],
    ['allowed clients without enforcement', { enforceSecurityGroupInboundRulesOnPrivateLinkTraffic: false },
      /`allowedClients` has no effect when `enforceSecurityGroupInboundRulesOnPrivateLinkTraffic` is false; remove one of them/],
    // Regions.
    ['a Region that is not one', { allowedRegions: ['moon'] }, /`allowedRegions\[0\]` 'moon' is not a Region name; use one like 'eu-west-1'/],
    ['a Region in capitals', { allowedRegions: ['US-EAST-1'] }, /`allowedRegions\[0\]` 'US-EAST-1' is not a Region name/],
    ['a Region without number', { allowedRegions: ['us-east'] }, /is not a Region name/],
    ['an empty Region', { allowedRegions: [''] }, /`allowedRegions\[0\]` '' is not a Region name/],
    ['a Region twice', { allowedRegions: ['us-west-2', 'us-west-2'] }, /`allowedRegions` names 'us-west-2' more than once/],
    ['Regions that are not a list', { allowedRegions: 'us-west-2' as unknown as string[] }, /`allowedRegions` 'us-west-2' is not a list of strings/],
    // Listener.
    ['TLS without certificate', { protocol: PrivateLinkProtocol.TLS },
      /`protocol` TLS needs a `certificate` .*; give one, or use PrivateLinkProtocol\.TCP/],
    ['TCP with a certificate', (w) => ({ protocol: PrivateLinkProtocol.TCP, certificate: certificate(w.stack) }),
      /`certificate` applies only to a TLS listener but `protocol` is TCP; remove one of them/],
    ['a TLS policy without TLS', { sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS }, /`sslPolicy` applies only to a TLS listener, which needs a `certificate`/],
    ['a TLS policy with TCP', (w) => ({ protocol: PrivateLinkProtocol.TCP, sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS, certificate: certificate(w.stack) }),
      /`sslPolicy` applies only to a TLS listener/],
    ['a TLS policy that is not one', (w) => ({ certificate: certificate(w.stack), sslPolicy: 'weak' as elbv2.SslPolicy }),
      /`sslPolicy` 'weak' is not an elbv2\.SslPolicy; use one such as elbv2\.SslPolicy\.RECOMMENDED_TLS/],
    ['a protocol that is not one', { protocol: 'UDP' as PrivateLinkProtocol }, /`protocol` 'UDP' is not a PrivateLinkProtocol; use one of PrivateLinkProtocol\.TCP, PrivateLinkProtocol\.TLS/],
    ['a certificate that is not one', { certificate: {} as acm.ICertificate }, /`certificate` \{\} is not an acm\.ICertificate/],
    ['port 0', { port: 0 }, /`port` 0 is not valid; use a whole number from 1 to 65535/],
    ['port 65536', { port: 65536 }, /`port` 65536 is not valid; use a whole number from 1 to 65535/],
    ['a fractional port', { port: 443.5 }, /`port` 443\.5 is not valid/],
    ['a negative port', { port: -1 }, /`port` -1 is not valid/],
    ['port NaN', { port: NaN }, /`port` NaN is not valid/],
    ['a port that is a string', { port: '443' as unknown as number }, /`port` '443' is not a number/],
    // Health check.
    ['a UDP health check', { healthCheck: { protocol: elbv2.Protocol.UDP } },
      /`healthCheck\.protocol` 'UDP' is not valid for a TCP target group; use elbv2\.Protocol\.TCP, HTTP or HTTPS/],
    ['a TLS health check', { healthCheck: { protocol: elbv2.Protocol.TLS } }, /`healthCheck\.protocol` 'TLS' is not valid/],
    ['a health check path with TCP', { healthCheck: { path: '/health' } }, /`healthCheck\.path` needs `healthCheck\.protocol` HTTP or HTTPS/],
    ['a health check port that is not a number', { healthCheck: { port: 'abc' } }, /`healthCheck\.port` 'abc' is not a port; use 'traffic-port' or a number from 1 to 65535/],
    ['a health check port too high', { healthCheck: { port: '70000' } }, /`healthCheck\.port` '70000' is not a port/],
    ['a health check port 0', { healthCheck: { port: '0' } }, /`healthCheck\.port` '0' is not a port/],
    ['a health check interval too short', { healthCheck: { interval: Duration.seconds(1) } },
      /`healthCheck\.interval` 1 second is not valid; use whole seconds from 5 to 300/],
    ['a health check interval too long', { healthCheck: { interval: Duration.minutes(6) } }, /`healthCheck\.interval` 6 minutes is not valid/],
    ['a health check timeout too short', { healthCheck: { timeout: Duration.seconds(1) } },
      /`healthCheck\.timeout` 1 second is not valid; use whole seconds from 2 to 120/],
    ['a health check timeout longer than the interval', { healthCheck: { interval: Duration.seconds(5), timeout: Duration.seconds(6) } },
      /`healthCheck\.timeout` 6 seconds is longer than `healthCheck\.interval` 5 seconds; use a timeout no longer than the interval/],
    ['a health check timeout longer than our default interval', { healthCheck: { timeout: Duration.seconds(20) } },
      /`healthCheck\.timeout` 20 seconds is longer than `healthCheck\.interval` 10 seconds/],
    ['a health check interval that is a number', { healthCheck: { interval: 30 as unknown as Duration } },
      /`healthCheck\.interval` 30 is not a Duration, for example Duration\.seconds\(30\)/],
    ['a health check that is not one', { healthCheck: 'tcp' as unknown as elbv2.HealthCheck }, /`healthCheck` 'tcp' is not an elbv2\.HealthCheck/],
    ['a healthy threshold of 1', { healthCheck: { healthyThresholdCount: 1 } },
      /`healthCheck\.healthyThresholdCount` 1 is not valid; use a whole number from 2 to 10/],
    ['an unhealthy threshold of 11', { healthCheck: { unhealthyThresholdCount: 11 } },
      /`healthCheck\.unhealthyThresholdCount` 11 is not valid; use a whole number from 2 to 10/],
    ['health checks turned off', { healthCheck: { enabled: false } },
      /`healthCheck\.enabled` false: health checks of IP targets cannot be turned off; leave it out/],
    ['HTTP codes with a TCP health check', { healthCheck: { healthyHttpCodes: '200' } },
      /`healthCheck\.healthyHttpCodes` needs `healthCheck\.protocol` HTTP or HTTPS/],
    // Deregistration delay.
    ['a deregistration delay over an hour', { deregistrationDelay: Duration.seconds(3601) },
      /`deregistrationDelay` 1 hour 1 second is not valid; use whole seconds from 0 to 3600/],
    ['a deregistration delay in fractions of a second', { deregistrationDelay: Duration.millis(1500) }, /`deregistrationDelay` 1 second 500 millis is not valid/],
    ['a deregistration delay that is not a Duration', { deregistrationDelay: 30 as unknown as Duration }, /`deregistrationDelay` 30 is not a Duration/],
    // Private DNS name.
    ['a private DNS name without zone', { privateDnsName: 'billing.example.com' },
      /`privateDnsName` needs the `publicHostedZone` that holds it, where AWS's verification TXT record is written/],
    ['a zone without private DNS name', (w) => ({ publicHostedZone: publicZone(w.stack) }),
      /`publicHostedZone` is used only to verify a `privateDnsName`; give the name or remove the zone/],
    ['a name outside the zone', (w) => ({ privateDnsName: 'billing.example.org', publicHostedZone: publicZone(w.stack) }),
      /`privateDnsName` 'billing\.example\.org' is not in the public hosted zone 'example\.com'; use a name that ends with '\.example\.com'/],
    ['a name that only ends like the zone', (w) => ({ privateDnsName: 'billingexample.com', publicHostedZone: publicZone(w.stack) }),
      /is not in the public hosted zone 'example\.com'/],
    ['a name with spaces', (w) => ({ privateDnsName: 'not a name', publicHostedZone: publicZone(w.stack) }),
      /`privateDnsName` 'not a name' is not a DNS name; use labels of a-z, 0-9 and '-' separated by dots/],
    ['a name of one label', (w) => ({ privateDnsName: 'billing', publicHostedZone: publicZone(w.stack) }), /`privateDnsName` 'billing' is not a DNS name/],
    ['a name with an empty label', (w) => ({ privateDnsName: 'billing..example.com', publicHostedZone: publicZone(w.stack) }), /is not a DNS name/],
    ['a name with a leading hyphen', (w) => ({ privateDnsName: '-billing.example.com', publicHostedZone: publicZone(w.stack) }), /is not a DNS name/],
    ['a zone imported by id only, without its name', (w) => ({
      privateDnsName: 'billing.example.com', publicHostedZone: route53.PublicHostedZone.fromHostedZoneId(w.stack, 'ZoneById', ZONE_ID),
    }), /`publicHostedZone` has no zone name .*; import it with route53\.PublicHostedZone\.fromPublicHostedZoneAttributes/],
    ['a zone that is not one', { privateDnsName: 'billing.example.com', publicHostedZone: {} as route53.IPublicHostedZone },
      /`publicHostedZone` \{\} is not a route53\.IPublicHostedZone/],
    // Notifications.
    ['a topic with notifications off', (w) => ({ enableConnectionNotifications: false, notificationTopic: new sns.Topic(w.stack, 'Ops') }),
      /`notificationTopic` is given but `enableConnectionNotifications` is false; remove one of them/],
    ['events with notifications off', { enableConnectionNotifications: false, connectionEvents: [ConnectionEvent.CONNECT] },
      /`connectionEvents` is given but `enableConnectionNotifications` is false; remove one of them/],
    ['events without acceptance, notifications left to their default', { acceptanceRequired: false, connectionEvents: [ConnectionEvent.CONNECT] },
      /`connectionEvents` needs notifications, which are off when acceptance is not required; set `enableConnectionNotifications` to true/],
    ['no events', { connectionEvents: [] }, /`connectionEvents` \[\] is not a non-empty list of ConnectionEvent; leave it out for all four/],
    ['an event that is not one', { connectionEvents: ['Open' as ConnectionEvent] },
      /`connectionEvents\[0\]` 'Open' is not a ConnectionEvent; use one of ConnectionEvent\.CONNECT, ConnectionEvent\.ACCEPT/],
    ['events that are not a list', { connectionEvents: 'Connect' as unknown as ConnectionEvent[] }, /`connectionEvents` 'Connect' is not a non-empty list/],
    ['a topic that is not one', { notificationTopic: {} as sns.ITopic }, /`notificationTopic` \{\} is not an sns\.ITopic/],
    // Kinds.
    ['a boolean that is a string', { acceptanceRequired: 'no' as unknown as boolean }, /`acceptanceRequired` 'no' is not a boolean/],
    ['createOutputs that is a string', { createOutputs: 'yes' as unknown as boolean }, /`createOutputs` 'yes' is not a boolean/],
  ];

  test.each(cases)('%s', (_name, extra, message) => {
    const w = world();
    const text = expectRefusal(() => new PrivateLinkExposure(w.stack, 'Link', propsIn(w, extra)));
    expect(text).toMatch(message);
  });

  test('a service with an ECS blue/green, linear or canary deployment', () => {
    for (const strategy of [ecs.DeploymentStrategy.BLUE_GREEN, ecs.DeploymentStrategy.LINEAR, ecs.DeploymentStrategy.CANARY]) {
      const w = world({
        env: (stack) => ({
          createLoadBalancer: true,
          certificate: acm.Certificate.fromCertificateArn(stack, 'EnvCert', CERT_ARN),
          hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' }),
        }),
        service: { hostName: 'billing.example.com', deploymentStrategy: strategy },
      });
      const text = expectRefusal(() => new PrivateLinkExposure(w.stack, 'Link', propsIn(w)));
      expect(text).toMatch(/`service` Test\/Billing uses an ECS blue\/green, linear or canary deployment, .*; expose a service with a rolling deployment/);
    }
  });

  test('no props at all', () => {
    const w = world();
    const text = expectRefusal(() => new PrivateLinkExposure(w.stack, 'Link', undefined as unknown as PrivateLinkExposureProps));
    expect(text).toMatch(/needs props with at least `service` and `allowedPrincipals`/);
  });

  test('an exposure in another stack than its service', () => {
    const w = world();
    const other = new Stack(w.stack.node.root as App, 'Other', { env: ENV });
    const text = expectRefusal(() => new PrivateLinkExposure(other, 'Link', propsIn(w)), 'Other/Link');
    expect(text).toMatch(/`service` Test\/Billing is in the stack Test: create the exposure in the same stack as its service/);
  });

  type BucketPolicy = { Properties: { PolicyDocument: { Statement: Array<{ Effect: string; Principal: unknown }> } } };
  test('a stack without a Region: access logs by the log delivery service, no Region needed', () => {
    const stack = new Stack(new App(), 'Test');
    const env = new MicroserviceEnvironment(stack, 'Env', { vpc: importedVpc(stack) });
    const service = new TwelveFactorService(stack, 'Billing', { environment: env, image: IMAGE, port: 8080, user: '1000' });
    new PrivateLinkExposure(stack, 'Link', propsIn({ stack, env, service }));
    const t = Template.fromStack(stack);
    expect(lbAttributes(t)).toMatchObject({ 'access_logs.s3.enabled': 'true', 'access_logs.s3.prefix': 'nlb' });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 's3:PutObject',
          Principal: { Service: 'delivery.logs.amazonaws.com' },
          Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        })]),
      },
    });
    const statements = Object.values(t.findResources('AWS::S3::BucketPolicy'))
      .flatMap((r) => (r as BucketPolicy).Properties.PolicyDocument.Statement);
    // No grant to a Region's load balancing account (which would need the Region).
    expect(statements.filter((st) => st.Effect === 'Allow').some((st) => JSON.stringify(st.Principal).includes('"AWS"'))).toBe(false);
  });

  test('every problem in one error', () => {
    const w = world();
    const text = expectRefusal(() => new PrivateLinkExposure(w.stack, 'Link', propsIn(w, {
      allowedPrincipals: [],
      allowedClients: [ec2.Peer.anyIpv4()],
      port: 0,
      protocol: PrivateLinkProtocol.TLS,
      allowedRegions: ['moon'],
      privateDnsName: 'billing.example.com',
      enableConnectionNotifications: false,
      connectionEvents: [ConnectionEvent.ACCEPT],
    })));
    expect(text).toMatch(/^`PrivateLinkExposure` at Test\/Link:\n {2}- /);
    for (const prop of ['allowedPrincipals', 'allowedClients', 'port', 'protocol', 'allowedRegions', 'privateDnsName', 'connectionEvents']) {
      expect(text).toContain(`\`${prop}`);
    }
    expect((attempt(() => new PrivateLinkExposure(w.stack, 'Link2', propsIn(w, { allowedPrincipals: [], port: 0 }))) as { problems: string[] }).problems)
      .toHaveLength(2);
  });
});

describe('accepted edge cases', () => {
  test.each<[string, Extra]>([
    ['allowAnyPrincipal false with named principals', { allowAnyPrincipal: false }],
    ['a user with a path', { allowedPrincipals: [new iam.ArnPrincipal('arn:aws:iam::111122223333:user/team/ci')] }],
    ['a role in another partition', { allowedPrincipals: [new iam.ArnPrincipal('arn:aws-cn:iam::111122223333:role/consumer')] }],
    ['the account root principal of the stack', { allowedPrincipals: [new iam.AccountRootPrincipal()] }],
    ['a Region in GovCloud', { allowedRegions: ['us-gov-east-1'] }],
    ['no other Region', { allowedRegions: [] }],
    ['port 1 and 65535', { port: 65535 }],
    ['a health check at the edges', { healthCheck: { port: '65535', interval: Duration.seconds(300), timeout: Duration.seconds(120), healthyThresholdCount: 10 } }],
    ['a health check at the other edges', { healthCheck: { port: '1', interval: Duration.seconds(5), timeout: Duration.seconds(2), unhealthyThresholdCount: 2 } }],
    ['a health check with a path and an explicit HTTP protocol', { healthCheck: { protocol: elbv2.Protocol.HTTP, path: '/ready' } }],
    ['health checks on explicitly', { healthCheck: { enabled: true } }],
    ['an HTTPS health check with codes', { healthCheck: { protocol: elbv2.Protocol.HTTPS, path: '/', healthyHttpCodes: '200-399' } }],
    ['a deregistration delay of an hour', { deregistrationDelay: Duration.hours(1) }],
    ['connection notifications on explicitly with acceptance', { enableConnectionNotifications: true }],
  ])('%s', (_name, extra) => {
    const w = world();
    expectConstructs(() => new PrivateLinkExposure(w.stack, 'Link', propsIn(w, extra)));
    expect(() => Template.fromStack(w.stack)).not.toThrow();
  });
});

// ---------------------------------------------------------------------------------------
// Client ranges that EC2 would refuse (issue 13): ec2.Peer.ipv4 checks only the shape.
// ---------------------------------------------------------------------------------------

/** A peer as a custom IPeer (or plain JavaScript) gives it, past ec2.Peer's shape checks. */
function rawPeer(config: { cidrIp?: string; cidrIpv6?: string }): ec2.IPeer {
  return {
    canInlineRule: true,
    uniqueId: config.cidrIp ?? config.cidrIpv6 ?? 'peer',
    connections: undefined as unknown as ec2.Connections,
    toIngressRuleConfig: () => config,
    toEgressRuleConfig: () => config,
  };
}

describe('allowedClients: invalid ranges', () => {
  test.each<[string, () => ec2.IPeer, RegExp]>([
    ['an octet over 255', () => ec2.Peer.ipv4('999.1.0.0/16'), /`allowedClients\[0\]` '999\.1\.0\.0\/16' is not an IPv4 CIDR range; use four numbers from 0 to 255 and a prefix length from \/0 to \/32/],
    ['the last octet over 255', () => ec2.Peer.ipv4('10.1.0.256/32'), /'10\.1\.0\.256\/32' is not an IPv4 CIDR range/],
    ['a prefix over 32', () => ec2.Peer.ipv4('10.1.0.0/99'), /`allowedClients\[0\]` '10\.1\.0\.0\/99' is not an IPv4 CIDR range/],
    ['a prefix of 33', () => ec2.Peer.ipv4('10.1.0.0/33'), /'10\.1\.0\.0\/33' is not an IPv4 CIDR range/],
    ['a prefix of four digits', () => ec2.Peer.ipv4('10.1.0.0/0016'), /'10\.1\.0\.0\/0016' is not an IPv4 CIDR range/],
    ['a leading zero (octal to some parsers)', () => ec2.Peer.ipv4('010.1.0.0/16'), /'010\.1\.0\.0\/16' is not an IPv4 CIDR range/],
    ['no prefix, from a custom peer', () => rawPeer({ cidrIp: '10.1.0.0' }), /`allowedClients\[0\]` '10\.1\.0\.0' is not an IPv4 CIDR range/],
    ['an empty range, from a custom peer', () => rawPeer({ cidrIp: '' }), /`allowedClients\[0\]` '' is not an IPv4 CIDR range/],
    ['two prefixes, from a custom peer', () => rawPeer({ cidrIp: '10.1.0.0/16/8' }), /is not an IPv4 CIDR range/],
    ['an IPv6 prefix over 128', () => ec2.Peer.ipv6('2001:db8::/200'), /`allowedClients\[0\]` '2001:db8::\/200' is not an IPv6 CIDR range; use an IPv6 address and a prefix length from \/0 to \/128/],
    ['an IPv6 prefix of 129', () => ec2.Peer.ipv6('fd00:1::/129'), /'fd00:1::\/129' is not an IPv6 CIDR range/],
    ['two double colons', () => ec2.Peer.ipv6('fd00::1::/64'), /'fd00::1::\/64' is not an IPv6 CIDR range/],
    ['nine groups, from a custom peer', () => rawPeer({ cidrIpv6: '1:2:3:4:5:6:7:8:9/64' }), /is not an IPv6 CIDR range/],
    ['an IPv6 range without prefix, from a custom peer', () => rawPeer({ cidrIpv6: 'fd00:1::' }), /'fd00:1::' is not an IPv6 CIDR range/],
    ['an IPv6 range with a zone, from a custom peer', () => rawPeer({ cidrIpv6: 'fe80::1%eth0/64' }), /is not an IPv6 CIDR range/],
  ])('%s is refused', (_name, peer, message) => {
    const w = world();
    const text = expectRefusal(() => new PrivateLinkExposure(w.stack, 'Link', propsIn(w, { allowedClients: [peer()] })));
    expect(text).toMatch(message);
  });

  test('each invalid range is its own problem, with its index', () => {
    const w = world();
    const err = attempt(() => new PrivateLinkExposure(w.stack, 'Link', propsIn(w, {
      allowedClients: [ec2.Peer.ipv4('10.1.0.0/16'), ec2.Peer.ipv4('999.1.0.0/16'), ec2.Peer.ipv4('10.2.0.0/99')],
    })));
    expectValidationError(err, { classes: ['PrivateLinkExposure'], path: PATH, props: PROPS });
    expect((err as { problems: string[] }).problems).toEqual([
      expect.stringMatching(/^`allowedClients\[1\]` '999\.1\.0\.0\/16'/),
      expect.stringMatching(/^`allowedClients\[2\]` '10\.2\.0\.0\/99'/),
    ]);
  });

  test.each<[string, () => ec2.IPeer]>([
    ['a /32 address', () => ec2.Peer.ipv4('10.1.2.3/32')],
    ['the largest octets', () => ec2.Peer.ipv4('255.255.255.0/24')],
    ['a /8 range', () => ec2.Peer.ipv4('10.0.0.0/8')],
    ['an IPv6 /128', () => ec2.Peer.ipv6('fd00:1::1/128')],
    ['a full IPv6 address', () => ec2.Peer.ipv6('2001:0db8:0000:0000:0000:0000:0000:0000/32')],
    ['a prefix list', () => ec2.Peer.prefixList('pl-12345678')],
    ['a security group', () => ec2.Peer.securityGroupId('sg-12345678')],
    ['a range from a token', () => ec2.Peer.ipv4(Token.asString({ Ref: 'ClientRange' }))],
  ])('%s is accepted', (_name, peer) => {
    const w = world();
    expectConstructs(() => new PrivateLinkExposure(w.stack, 'Link', propsIn(w, { allowedClients: [peer()] })));
  });
});
