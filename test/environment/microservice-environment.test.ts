import {
  App,
  Stack,
  aws_certificatemanager as acm,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_kms as kms,
  aws_logs as logs,
  aws_s3 as s3,
  aws_servicediscovery as servicediscovery,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { MicroserviceEnvironment, Stage, TwelveFactorService } from '../../src';

const ENV = { account: '111111111111', region: 'us-east-1' };
const CERT_ARN = 'arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555';

function stack(): Stack {
  return new Stack(new App(), 'Test', { env: ENV });
}

describe('MicroserviceEnvironment defaults (we create)', () => {
  const s = stack();
  const env = new MicroserviceEnvironment(s, 'Env');
  const t = Template.fromStack(s);

  test('a VPC over two zones with public and private subnets, one NAT gateway', () => {
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.resourceCountIs('AWS::EC2::Subnet', 4);
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
    t.hasResourceProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
  });

  test('flow logs of all traffic to an encrypted log group with one year of retention', () => {
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EnvKey'), 'Arn'] },
    });
  });

  test('a cluster with Container Insights and Fargate capacity providers', () => {
    t.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    t.hasResourceProperties('AWS::ECS::ClusterCapacityProviderAssociations', {
      CapacityProviders: Match.arrayWith(['FARGATE', 'FARGATE_SPOT']),
    });
  });

  test('a private DNS namespace named after the construct id', () => {
    t.hasResourceProperties('AWS::ServiceDiscovery::PrivateDnsNamespace', { Name: 'env.internal' });
    expect(env.namespaceName).toBe('env.internal');
  });

  test('a rotating KMS key whose policy lets CloudWatch Logs use it and denies grants not for AWS resources', () => {
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Sid: 'AllowCloudWatchLogs', Principal: { Service: 'logs.us-east-1.amazonaws.com' } }),
          Match.objectLike({
            Sid: 'DenyGrantsNotForAwsResources',
            Effect: 'Deny',
            Action: 'kms:CreateGrant',
            Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
          }),
        ]),
      },
    });
  });

  test('an alarm topic encrypted with the key, TLS only', () => {
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EnvKey'), 'Arn'] } });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    expect(env.alarmTopic).toBeDefined();
  });

  test('no load balancer, no VPC endpoints, production stage', () => {
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    expect(env.stage).toBe(Stage.PRODUCTION);
    expect(env.stageDefaults).toEqual({ cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 10 });
    expect(env.loadBalancer).toBeUndefined();
  });
});

describe('MicroserviceEnvironment with what the user brings', () => {
  test('an imported VPC: no VPC, flow log or NAT created, private subnets used', () => {
    const s = stack();
    const vpc = ec2.Vpc.fromVpcAttributes(s, 'Vpc', {
      vpcId: 'vpc-1234',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-a', 'subnet-b'],
      publicSubnetIds: ['subnet-c', 'subnet-d'],
    });
    const env = new MicroserviceEnvironment(s, 'Env', { vpc });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::EC2::VPC', 0);
    t.resourceCountIs('AWS::EC2::FlowLog', 0);
    expect(env.vpc).toBe(vpc);
    expect(env.serviceSubnets).toEqual({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
  });

  test('a cluster, namespace and key of the user', () => {
    const s = stack();
    const vpc = new ec2.Vpc(s, 'Vpc');
    const cluster = new ecs.Cluster(s, 'Cluster', { vpc });
    const namespace = new servicediscovery.PrivateDnsNamespace(s, 'Ns', { vpc, name: 'mine.internal' });
    const key = new kms.Key(s, 'Key');
    const env = new MicroserviceEnvironment(s, 'Env', { cluster, namespace, encryptionKey: key, logRetention: logs.RetentionDays.ONE_MONTH });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::ECS::Cluster', 1);
    t.resourceCountIs('AWS::ServiceDiscovery::PrivateDnsNamespace', 1);
    t.resourceCountIs('AWS::KMS::Key', 1);
    expect(env.vpc).toBe(vpc);
    expect(env.cluster).toBe(cluster);
    expect(env.namespaceName).toBe('mine.internal');
    expect(env.encryptionKey).toBe(key);
    expect(env.logRetention).toBe(logs.RetentionDays.ONE_MONTH);
  });

  test('an alarm topic of the user: none created, service alarms notify it', () => {
    const s = stack();
    const topic = sns.Topic.fromTopicArn(s, 'OnCall', 'arn:aws:sns:us-east-1:111111111111:on-call');
    const env = new MicroserviceEnvironment(s, 'Env', { alarmTopic: topic });
    new TwelveFactorService(s, 'Worker', { environment: env, image: ecs.ContainerImage.fromRegistry('nginx'), user: '1000' });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:us-east-1:111111111111:on-call'] });
    expect(env.alarmTopic).toBe(topic);
  });

  test('the development stage profile', () => {
    const env = new MicroserviceEnvironment(stack(), 'Env', { stage: Stage.DEVELOPMENT });
    expect(env.stageDefaults).toEqual({ cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 });
  });
});

describe('VPC endpoints', () => {
  test('interface endpoints for ECR, logs, Secrets Manager, SSM and KMS, gateway endpoints for S3 and DynamoDB, no NAT', () => {
    const s = stack();
    new MicroserviceEnvironment(s, 'Env', { vpcEndpoints: true });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    for (const service of ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'ssm', 'kms']) {
      t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: `com.amazonaws.us-east-1.${service}`,
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
      });
    }
    for (const service of ['s3', 'dynamodb']) {
      t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([`.${service}`])]) }),
        VpcEndpointType: 'Gateway',
      });
    }
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 8);
  });

  test('interface endpoints admit only the services, on 443, not the VPC range', () => {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env', { vpcEndpoints: true });
    new TwelveFactorService(s, 'Worker', { environment: env, image: ecs.ContainerImage.fromRegistry('nginx'), user: '1000' });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EnvEndpointSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkerSecurityGroup'), 'GroupId'] },
    });
    const groups = Object.values(t.findResources('AWS::EC2::SecurityGroup'));
    const ingress = groups.flatMap((g) => g.Properties.SecurityGroupIngress ?? []);
    expect(ingress.filter((r: { CidrIp?: unknown }) => r.CidrIp !== undefined)).toEqual([]);
    expect(env.endpointSecurityGroup).toBeDefined();
  });
});

describe('shared load balancer', () => {
  test('HTTPS with the recommended TLS policy, HTTP redirected, access logs, deletion protection, invalid headers dropped', () => {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env', {
      loadBalancer: true,
      certificate: acm.Certificate.fromCertificateArn(s, 'Cert', CERT_ARN),
    });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'deletion_protection.enabled', Value: 'true' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      Certificates: [{ CertificateArn: CERT_ARN }],
      DefaultActions: [Match.objectLike({ Type: 'fixed-response' })],
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) })],
    });
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: Match.arrayWith([Match.objectLike({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })]),
    });
    expect(env.https).toBe(true);
    Annotations.fromStack(s).hasNoWarning('*', Match.anyValue());
  });

  test('an AWS WAF web ACL with AWS managed rules and logging, associated with the load balancer', () => {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env', { loadBalancer: true, certificate: acm.Certificate.fromCertificateArn(s, 'Cert', CERT_ARN) });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      Rules: [
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesAmazonIpReputationList' } } }),
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' } } }),
        Match.objectLike({ Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' } } }),
      ],
    });
    t.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: Match.stringLikeRegexp('^EnvLoadBalancer') },
      WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EnvWebAcl'), 'Arn'] },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: Match.stringLikeRegexp('^aws-waf-logs-'), KmsKeyId: Match.anyValue() });
    t.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 1);
    expect(env.webAcl).toBeDefined();
  });

  test('no web ACL when turned off', () => {
    const s = stack();
    new MicroserviceEnvironment(s, 'Env', { loadBalancer: true, allowPlainHttp: true, webAcl: false });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::WAFv2::WebACL', 0);
    t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  test('an internal load balancer accepts only the VPC range', () => {
    const s = stack();
    new MicroserviceEnvironment(s, 'Env', {
      loadBalancer: true,
      internetFacing: false,
      certificate: acm.Certificate.fromCertificateArn(s, 'Cert', CERT_ARN),
    });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
    const groups = t.findResources('AWS::EC2::SecurityGroup');
    const ingress = Object.values(groups).flatMap((g) => g.Properties.SecurityGroupIngress ?? []);
    expect(ingress.some((r: { CidrIp?: string }) => r.CidrIp === '0.0.0.0/0')).toBe(false);
  });

  test('plain HTTP only when allowed, with a warning', () => {
    const s = stack();
    new MicroserviceEnvironment(s, 'Env', { loadBalancer: true, allowPlainHttp: true });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    Annotations.fromStack(s).hasWarning('/Test/Env', Match.stringLikeRegexp('plain HTTP'));
  });

  test('access log bucket and web ACL options are accepted without a shared load balancer (canary slots use them), and create nothing alone', () => {
    const s = stack();
    const bucket = s3.Bucket.fromBucketName(s, 'Logs', 'my-logs');
    const env = new MicroserviceEnvironment(s, 'Env', { accessLogsBucket: bucket, webAcl: false });
    expect(env.accessLogsBucket).toBe(bucket);
    expect(env.webAcl).toBeUndefined();
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::S3::Bucket', 0);
    t.resourceCountIs('AWS::WAFv2::WebACL', 0);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
  });

  test('the user\'s access log bucket and web ACL', () => {
    const s = stack();
    const bucket = s3.Bucket.fromBucketName(s, 'Logs', 'my-logs');
    const env = new MicroserviceEnvironment(s, 'Env', {
      loadBalancer: true,
      certificate: acm.Certificate.fromCertificateArn(s, 'Cert', CERT_ARN),
      accessLogsBucket: bucket,
      loadBalancerDeletionProtection: false,
      webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/store/abc',
    });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::S3::Bucket', 0);
    expect(env.accessLogsBucket).toBe(bucket);
    t.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/store/abc' });
    t.resourceCountIs('AWS::WAFv2::WebACL', 0);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'false' }]),
    });
  });
});

describe('MicroserviceEnvironment bad input', () => {
  const cert = (s: Stack) => acm.Certificate.fromCertificateArn(s, 'Cert', CERT_ARN);
  test.each<[string, (s: Stack) => object, RegExp]>([
    ['load balancer without certificate', () => ({ loadBalancer: true }), /`loadBalancer` needs a `certificate`/],
    ['certificate without load balancer', (s) => ({ certificate: cert(s) }), /`certificate` configures the shared load balancer/],
    ['plain HTTP with a certificate', (s) => ({ loadBalancer: true, certificate: cert(s), allowPlainHttp: true }), /`allowPlainHttp` conflicts with `certificate`/],
    ['maxAzs 0', () => ({ maxAzs: 0 }), /`maxAzs` 0 is not valid/],
    ['maxAzs 1 with a load balancer', () => ({ maxAzs: 1, loadBalancer: true, allowPlainHttp: true }), /`maxAzs` 1 is too few/],
    ['more NAT gateways than zones', () => ({ maxAzs: 2, natGateways: 3 }), /`natGateways` 3 is not valid/],
    ['namespace name not DNS', () => ({ namespaceName: 'Not A Name' }), /`namespaceName` 'Not A Name' is not a DNS name/],
    ['web ACL not an ARN', (s) => ({ loadBalancer: true, certificate: cert(s), webAclArn: 'acl' }), /`webAclArn` 'acl' is not the ARN/],
    ['web ACL created and brought', (s) => ({ loadBalancer: true, certificate: cert(s), webAcl: true, webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/a/b' }), /set only one of them/],
    ['sslPolicy without load balancer', () => ({ sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS }), /`sslPolicy` configures the shared load balancer/],
    ['maxAzs with an imported VPC', (s) => ({ vpc: ec2.Vpc.fromLookup(s, 'V', { vpcId: 'vpc-1' }), maxAzs: 2 }), /`maxAzs` applies only to a VPC we create/],
  ])('%s', (_name, props, message) => {
    const s = stack();
    expect(() => new MicroserviceEnvironment(s, 'Env', props(s))).toThrow(message);
  });

  test('a load balancer in a stack without a region', () => {
    const s = new Stack(new App(), 'NoRegion');
    expect(() => new MicroserviceEnvironment(s, 'Env', { loadBalancer: true, allowPlainHttp: true }))
      .toThrow(/give the stack a region/);
  });

  test('all conflicting props in one error naming the path', () => {
    const s = stack();
    expect(() => new MicroserviceEnvironment(s, 'Env', { maxAzs: 0, namespaceName: 'x y', loadBalancer: true }))
      .toThrow(/^`MicroserviceEnvironment` at Test\/Env:\s+- `maxAzs` 0.*\n\s+- .*namespaceName.*\n\s+- `loadBalancer` needs/s);
  });

});

test('no warning annotations by default', () => {
  const s = stack();
  new MicroserviceEnvironment(s, 'Env');
  Annotations.fromStack(s).hasNoWarning('*', Match.anyValue());
});
