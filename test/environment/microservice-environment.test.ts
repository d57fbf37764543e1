import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  App,
  CfnParameter,
  Stack,
  aws_certificatemanager as acm,
  aws_ec2 as ec2,
  aws_ecr as ecr,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_events as events,
  aws_kms as kms,
  aws_logs as logs,
  aws_s3 as s3,
  aws_servicediscovery as servicediscovery,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { MicroserviceEnvironment, StageProfile, TwelveFactorService } from '../../src';
import { expectValidationError } from '../error-contract';

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

  test('the alarm topic policy lets CloudWatch alarms of this account and Region publish (a topic policy replaces the default one)', () => {
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Condition: {
            StringEquals: { 'aws:SourceAccount': ENV.account },
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:cloudwatch:${ENV.region}:${ENV.account}:alarm:*`]] } },
          },
        })]),
      },
    });
  });

  test('no load balancer, no VPC endpoints, production stage', () => {
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    expect(env.stageProfile).toBe(StageProfile.PRODUCTION);
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
    const env = new MicroserviceEnvironment(stack(), 'Env', { stageProfile: StageProfile.DEVELOPMENT });
    expect(env.stageDefaults).toEqual({ cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 });
  });
});

describe('VPC endpoints', () => {
  test('interface endpoints for ECR, logs, Secrets Manager, SSM and KMS, gateway endpoints for S3 and DynamoDB, no NAT', () => {
    const s = stack();
    new MicroserviceEnvironment(s, 'Env', { createVpcEndpoints: true });
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
    const env = new MicroserviceEnvironment(s, 'Env', { createVpcEndpoints: true });
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

describe('interface endpoints the constructs need (defect 6)', () => {
  const SQS = ec2.InterfaceVpcEndpointAwsService.SQS;
  const SNS = ec2.InterfaceVpcEndpointAwsService.SNS;

  function interfaceEndpoints(t: Template, service: string): Array<{ [key: string]: any }> {
    return Object.values(t.findResources('AWS::EC2::VPCEndpoint', {
      Properties: { ServiceName: `com.amazonaws.us-east-1.${service}`, VpcEndpointType: 'Interface' },
    })).map((r) => r.Properties);
  }

  /** The endpoint has private DNS, the environment's endpoint security group and the service (private) subnets. */
  function expectWired(t: Template, service: string): void {
    const found = interfaceEndpoints(t, service);
    expect(found).toHaveLength(1);
    expect(found[0].PrivateDnsEnabled).toBe(true);
    expect(found[0].SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [expect.stringMatching(/^EnvEndpointSecurityGroup/), 'GroupId'] }]);
    expect(found[0].SubnetIds).toHaveLength(2);
    for (const subnet of found[0].SubnetIds) expect(subnet).toEqual({ Ref: expect.stringMatching(/^EnvVpcPrivateSubnet\dSubnet/) });
  }

  test('_requireEndpoint adds an SQS endpoint once, with private DNS, the endpoint security group and the service subnets', () => {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env', { createVpcEndpoints: true });
    const first = env._requireEndpoint(SQS);
    const again = env._requireEndpoint(SQS);
    env._requireEndpoint(SNS);
    const t = Template.fromStack(s);
    expect(first).toBeDefined();
    expect(again).toBe(first);
    expectWired(t, 'sqs');
    expectWired(t, 'sns');
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 10);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test('_requireEndpoint of a base endpoint adds nothing', () => {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env', { createVpcEndpoints: true });
    env._requireEndpoint(ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER);
    env._requireEndpoint(ec2.InterfaceVpcEndpointAwsService.ECR);
    Template.fromStack(s).resourceCountIs('AWS::EC2::VPCEndpoint', 8);
  });

  test('a queue worker admitted to the endpoints reaches SQS through one (the endpoint security group lets it in on 443)', () => {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env', { createVpcEndpoints: true });
    new TwelveFactorService(s, 'Worker', { environment: env, image: ecs.ContainerImage.fromRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com/w:1'), user: '1000' });
    env._requireEndpoint(SQS);
    const t = Template.fromStack(s);
    expectWired(t, 'sqs');
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 443,
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EnvEndpointSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkerSecurityGroup'), 'GroupId'] },
    });
  });

  test('without vpcEndpoints, _requireEndpoint creates nothing and returns undefined; NAT gateway stays', () => {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env');
    expect(env._requireEndpoint(SQS)).toBeUndefined();
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 0);
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('additionalVpcEndpoints: each one wired like the base ones, duplicates of base endpoints ignored', () => {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env', {
      createVpcEndpoints: true,
      additionalVpcEndpoints: [
        ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
        ec2.InterfaceVpcEndpointAwsService.XRAY,
        ec2.InterfaceVpcEndpointAwsService.KMS,
        ec2.InterfaceVpcEndpointAwsService.XRAY,
      ],
    });
    env._requireEndpoint(ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE);
    const t = Template.fromStack(s);
    expectWired(t, 'events');
    expectWired(t, 'xray');
    expectWired(t, 'kms');
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 10);
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test('additionalVpcEndpoints with vpcEndpoints and a NAT gateway', () => {
    const s = stack();
    new MicroserviceEnvironment(s, 'Env', { createVpcEndpoints: true, natGateways: 1, additionalVpcEndpoints: [ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS] });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
    expect(interfaceEndpoints(t, 'states')).toHaveLength(1);
  });

  test.each<[string, object, RegExp]>([
    ['without vpcEndpoints', { additionalVpcEndpoints: [ec2.InterfaceVpcEndpointAwsService.SQS] },
      /`additionalVpcEndpoints` adds to the endpoints `createVpcEndpoints` creates; set `createVpcEndpoints: true` or remove it/],
    ['with vpcEndpoints false', { createVpcEndpoints: false, additionalVpcEndpoints: [] }, /set `createVpcEndpoints: true` or remove it/],
    ['not a list', { createVpcEndpoints: true, additionalVpcEndpoints: 'sqs' },
      /`additionalVpcEndpoints` 'sqs' is not a list of ec2.InterfaceVpcEndpointAwsService; use for example \[ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE\]/],
    ['a list of names', { createVpcEndpoints: true, additionalVpcEndpoints: ['sqs'] }, /is not a list of ec2.InterfaceVpcEndpointAwsService/],
  ])('refuses additionalVpcEndpoints %s', (_name, props, message) => {
    const s = stack();
    let err: unknown;
    try {
      new MicroserviceEnvironment(s, 'Env', props as never);
    } catch (e) {
      err = e;
    }
    expect(expectValidationError(err, { classes: ['MicroserviceEnvironment'], path: 'Test/Env', props: ['additionalVpcEndpoints', 'vpcEndpoints'] }))
      .toMatch(message);
  });
});

/** Whether a warning names the construct at `at` ('/Test/Worker') as a whole path. */
function mentions(warning: string, at: string): boolean {
  return new RegExp(`(^|[ (])${at.slice(1).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}([ ,;:)]|$)`).test(warning);
}

describe('images the tasks cannot pull without a NAT gateway (defect 6)', () => {
  const WARNING = /cdk-microservices:image-unreachable/;

  /** A service with `image`; the environment checks its containers at synthesis, no call needed. */
  function check(props: object, image: ecs.ContainerImage, s = stack()): Stack {
    const env = new MicroserviceEnvironment(s, 'Env', props);
    new TwelveFactorService(s, 'Worker', { environment: env, image, user: '1000' });
    return s;
  }

  /** The environment's image warnings that name the service at `at` (one warning lists every service). */
  function warnings(s: Stack, at = '/Test/Worker'): string[] {
    return Annotations.fromStack(s).findWarning('/Test/Env', Match.stringLikeRegexp('image-unreachable'))
      .map((m) => String(m.entry.data)).filter((w) => mentions(w, at));
  }

  /**
   * `check` plus a control service `Other` on Docker Hub in the same environment: the image
   * under test passes only if the check runs and reports the control.
   */
  function passesBesideControl(image: ecs.ContainerImage, s = stack()): void {
    const env = new MicroserviceEnvironment(s, 'Env', { createVpcEndpoints: true });
    new TwelveFactorService(s, 'Worker', { environment: env, image, user: '1000' });
    new TwelveFactorService(s, 'Other', { environment: env, image: ecs.ContainerImage.fromRegistry('nginx:latest'), user: '1000' });
    expect(warnings(s)).toEqual([]);
    expect(warnings(s, '/Test/Other')).toHaveLength(1);
  }

  test.each([
    'public.ecr.aws/nginx/nginx:1',
    'nginx:latest',
    'docker.io/library/nginx',
    'ghcr.io/x/y',
    'quay.io/org/app:2',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/repo:tag',
  ])('vpcEndpoints and no NAT: %s is reported on the environment naming the service, with what to do', (image) => {
    const found = warnings(check({ createVpcEndpoints: true }, ecs.ContainerImage.fromRegistry(image)));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(WARNING);
    expect(found[0]).toContain(`The image ${image} of Test/Worker`);
    expect(found[0]).toMatch(/private ECR repository in this Region.*pull through cache.*NAT gateway \(`natGateways`\)/s);
  });

  test.each([
    '123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag',
    '210987654321.dkr.ecr.us-east-1.amazonaws.com/ecr-public/nginx/nginx:1',
  ])('vpcEndpoints and no NAT: private ECR of the Region %s passes (a Docker Hub service beside it is reported)', (image) => {
    passesBesideControl(ecs.ContainerImage.fromRegistry(image));
  });

  test('an explicit _checkImage and the synthesis check report an image once', () => {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env', { createVpcEndpoints: true });
    const service = new TwelveFactorService(s, 'Worker', { environment: env, image: ecs.ContainerImage.fromRegistry('nginx'), user: '1000' });
    env._checkImage(service, service.container.imageName);
    env._checkImage(service, service.container.imageName);
    expect(warnings(s)).toHaveLength(1);
  });

  test('every container of the task is checked (a sidecar on Docker Hub)', () => {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env', { createVpcEndpoints: true });
    const service = new TwelveFactorService(s, 'Worker', {
      environment: env, image: ecs.ContainerImage.fromRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com/w:1'), user: '1000',
    });
    service.taskDefinition.addContainer('Sidecar', { image: ecs.ContainerImage.fromRegistry('amazon/aws-otel-collector'), memoryLimitMiB: 64 });
    const found = warnings(s);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('The image amazon/aws-otel-collector of Test/Worker');
  });

  test('an asset image (private ECR of the stack) passes', () => {
    const s = stack();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'asset-'));
    fs.writeFileSync(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
    passesBesideControl(ecs.ContainerImage.fromAsset(dir), s);
  });

  test('an image from an ECR repository (a token) passes', () => {
    const s = stack();
    const repo = ecr.Repository.fromRepositoryName(s, 'Repo', 'app');
    passesBesideControl(ecs.ContainerImage.fromEcrRepository(repo, 'v1'), s);
  });

  test('an image name from a parameter (a token) passes', () => {
    const s = stack();
    const name = new CfnParameter(s, 'Image').valueAsString;
    passesBesideControl(ecs.ContainerImage.fromRegistry(name), s);
  });

  test('with a NAT gateway (the default, or vpcEndpoints with natGateways 1) any registry passes; the same images without are reported', () => {
    expect(warnings(check({}, ecs.ContainerImage.fromRegistry('nginx:latest')))).toEqual([]);
    expect(warnings(check({ createVpcEndpoints: true, natGateways: 1 }, ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1')))).toEqual([]);
    expect(warnings(check({ natGateways: 0 }, ecs.ContainerImage.fromRegistry('nginx:latest')))).toHaveLength(1);
    expect(warnings(check({ createVpcEndpoints: true, natGateways: 0 }, ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:1')))).toHaveLength(1);
  });

  test('natGateways 0 without vpcEndpoints: reported too', () => {
    expect(warnings(check({ natGateways: 0 }, ecs.ContainerImage.fromRegistry('nginx:latest')))).toHaveLength(1);
  });

  test('an imported VPC whose service subnets are isolated: reported; with egress subnets: not', () => {
    const isolated = stack();
    const vpc = ec2.Vpc.fromVpcAttributes(isolated, 'Vpc', {
      vpcId: 'vpc-1234', availabilityZones: ['us-east-1a', 'us-east-1b'], isolatedSubnetIds: ['subnet-a', 'subnet-b'],
    });
    expect(warnings(check({ vpc }, ecs.ContainerImage.fromRegistry('ghcr.io/x/y'), isolated))).toHaveLength(1);

    const egress = stack();
    const vpc2 = ec2.Vpc.fromVpcAttributes(egress, 'Vpc', {
      vpcId: 'vpc-1234', availabilityZones: ['us-east-1a', 'us-east-1b'], privateSubnetIds: ['subnet-a', 'subnet-b'],
    });
    expect(warnings(check({ vpc: vpc2 }, ecs.ContainerImage.fromRegistry('ghcr.io/x/y'), egress))).toEqual([]);
  });

  test('service subnets chosen by id: reported when all of them are isolated', () => {
    const s = stack();
    const vpc = ec2.Vpc.fromVpcAttributes(s, 'Vpc', {
      vpcId: 'vpc-1234',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      privateSubnetIds: ['subnet-a', 'subnet-b'],
      isolatedSubnetIds: ['subnet-c', 'subnet-d'],
    });
    const serviceSubnets = { subnets: vpc.isolatedSubnets };
    expect(warnings(check({ vpc, serviceSubnets }, ecs.ContainerImage.fromRegistry('nginx'), s))).toHaveLength(1);
  });
});

describe('tasks allowed to call a service they cannot reach (defect 6)', () => {
  /** The environment's endpoint warnings that name the service at `at` (one warning per endpoint lists every service). */
  function endpointWarnings(s: Stack, at = '/Test/Worker'): string[] {
    return Annotations.fromStack(s).findWarning('/Test/Env', Match.stringLikeRegexp('endpoint-missing'))
      .map((m) => String(m.entry.data)).filter((w) => mentions(w, at));
  }

  function worker(props: object): { s: Stack; env: MicroserviceEnvironment; service: TwelveFactorService } {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env', props);
    const service = new TwelveFactorService(s, 'Worker', {
      environment: env, image: ecs.ContainerImage.fromRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com/w:1'), user: '1000',
    });
    return { s, env, service };
  }

  test('a queue consumer with no SQS endpoint and no NAT is reported, naming the actions and what to add', () => {
    const { s, service } = worker({ createVpcEndpoints: true });
    new sqs.Queue(s, 'Jobs').grantConsumeMessages(service.taskRole);
    const found = endpointWarnings(s);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/cdk-microservices:endpoint-missing-sqs/);
    expect(found[0]).toContain('The tasks of Test/Worker may call ');
    expect(found[0]).toContain('sqs:ReceiveMessage');
    expect(found[0]).toContain('Add ec2.InterfaceVpcEndpointAwsService.SQS to `additionalVpcEndpoints`');
  });

  test('once the SQS endpoint exists (_requireEndpoint or additionalVpcEndpoints), nothing is reported', () => {
    const a = worker({ createVpcEndpoints: true });
    new sqs.Queue(a.s, 'Jobs').grantConsumeMessages(a.service.taskRole);
    a.env._requireEndpoint(ec2.InterfaceVpcEndpointAwsService.SQS);
    expect(endpointWarnings(a.s)).toEqual([]);

    const b = worker({ createVpcEndpoints: true, additionalVpcEndpoints: [ec2.InterfaceVpcEndpointAwsService.SQS] });
    new sqs.Queue(b.s, 'Jobs').grantConsumeMessages(b.service.taskRole);
    expect(endpointWarnings(b.s)).toEqual([]);
  });

  test('a publisher to an event bus: EventBridge reported; SNS publisher: SNS reported', () => {
    const { s, service } = worker({ createVpcEndpoints: true });
    new events.EventBus(s, 'Bus').grantPutEventsTo(service.taskRole);
    new sns.Topic(s, 'Topic').grantPublish(service.taskRole);
    const found = endpointWarnings(s);
    expect(found).toHaveLength(2);
    expect(found.join('\n')).toContain('ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE');
    expect(found.join('\n')).toContain('ec2.InterfaceVpcEndpointAwsService.SNS');
  });

  test('with a NAT gateway nothing is reported; the same grant without one is', () => {
    const { s, service } = worker({ createVpcEndpoints: true, natGateways: 1 });
    new sqs.Queue(s, 'Jobs').grantConsumeMessages(service.taskRole);
    expect(endpointWarnings(s)).toEqual([]);
    const without = worker({ createVpcEndpoints: true, natGateways: 0 });
    new sqs.Queue(without.s, 'Jobs').grantConsumeMessages(without.service.taskRole);
    expect(endpointWarnings(without.s)).toHaveLength(1);
  });

  test('natGateways 0 without vpcEndpoints: asks for vpcEndpoints', () => {
    const { s, service } = worker({ natGateways: 0 });
    new sqs.Queue(s, 'Jobs').grantConsumeMessages(service.taskRole);
    const found = endpointWarnings(s);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('Set `createVpcEndpoints: true` and add ec2.InterfaceVpcEndpointAwsService.SQS');
  });
});

describe('shared load balancer', () => {
  test('HTTPS with the recommended TLS policy, HTTP redirected, access logs, deletion protection, invalid headers dropped', () => {
    const s = stack();
    const env = new MicroserviceEnvironment(s, 'Env', {
      createLoadBalancer: true,
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
    const env = new MicroserviceEnvironment(s, 'Env', { createLoadBalancer: true, certificate: acm.Certificate.fromCertificateArn(s, 'Cert', CERT_ARN) });
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
    new MicroserviceEnvironment(s, 'Env', { createLoadBalancer: true, allowPlainHttp: true, createWebAcl: false });
    const t = Template.fromStack(s);
    t.resourceCountIs('AWS::WAFv2::WebACL', 0);
    t.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
  });

  test('an internal load balancer accepts only the VPC range', () => {
    const s = stack();
    new MicroserviceEnvironment(s, 'Env', {
      createLoadBalancer: true,
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
    new MicroserviceEnvironment(s, 'Env', { createLoadBalancer: true, allowPlainHttp: true });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    Annotations.fromStack(s).hasWarning('/Test/Env', Match.stringLikeRegexp('plain HTTP'));
  });

  test('access log bucket and web ACL options are accepted without a shared load balancer (canary slots use them), and create nothing alone', () => {
    const s = stack();
    const bucket = s3.Bucket.fromBucketName(s, 'Logs', 'my-logs');
    const env = new MicroserviceEnvironment(s, 'Env', { accessLogsBucket: bucket, createWebAcl: false });
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
      createLoadBalancer: true,
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
    ['load balancer without certificate', () => ({ createLoadBalancer: true }), /`createLoadBalancer` needs a `certificate`/],
    ['certificate without load balancer', (s) => ({ certificate: cert(s) }), /`certificate` configures the shared load balancer/],
    ['plain HTTP with a certificate', (s) => ({ createLoadBalancer: true, certificate: cert(s), allowPlainHttp: true }), /`allowPlainHttp` conflicts with `certificate`/],
    ['maxAzs 0', () => ({ maxAzs: 0 }), /`maxAzs` 0 is not valid/],
    ['maxAzs 1 with a load balancer', () => ({ maxAzs: 1, createLoadBalancer: true, allowPlainHttp: true }), /`maxAzs` 1 is too few/],
    ['more NAT gateways than zones', () => ({ maxAzs: 2, natGateways: 3 }), /`natGateways` 3 is not valid/],
    ['namespace name not DNS', () => ({ namespaceName: 'Not A Name' }), /`namespaceName` 'Not A Name' is not a DNS name/],
    ['web ACL not an ARN', (s) => ({ createLoadBalancer: true, certificate: cert(s), webAclArn: 'acl' }), /`webAclArn` 'acl' is not the ARN/],
    ['web ACL created and brought', (s) => ({ createLoadBalancer: true, certificate: cert(s), createWebAcl: true, webAclArn: 'arn:aws:wafv2:us-east-1:111111111111:regional/webacl/a/b' }), /set only one of them/],
    ['sslPolicy without load balancer', () => ({ sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS }), /`sslPolicy` configures the shared load balancer/],
    ['maxAzs with an imported VPC', (s) => ({ vpc: ec2.Vpc.fromLookup(s, 'V', { vpcId: 'vpc-1' }), maxAzs: 2 }), /`maxAzs` applies only to a VPC we create/],
  ])('%s', (_name, props, message) => {
    const s = stack();
    expect(() => new MicroserviceEnvironment(s, 'Env', props(s))).toThrow(message);
  });

  test('a load balancer in a stack without a region', () => {
    const s = new Stack(new App(), 'NoRegion');
    expect(() => new MicroserviceEnvironment(s, 'Env', { createLoadBalancer: true, allowPlainHttp: true }))
      .toThrow(/give the stack a region/);
  });

  test('all conflicting props in one error naming the path', () => {
    const s = stack();
    expect(() => new MicroserviceEnvironment(s, 'Env', { maxAzs: 0, namespaceName: 'x y', createLoadBalancer: true }))
      .toThrow(/^`MicroserviceEnvironment` at Test\/Env:\s+- `maxAzs` 0.*\n\s+- .*namespaceName.*\n\s+- `createLoadBalancer` needs/s);
  });

});

test('no warning annotations by default', () => {
  const s = stack();
  new MicroserviceEnvironment(s, 'Env');
  Annotations.fromStack(s).hasNoWarning('*', Match.anyValue());
});

describe('vpcCidr', () => {
  const CIDR_PROPS = ['vpcCidr', 'maxAzs', 'vpc', 'cluster'];

  function toNumber(address: string): number {
    return address.split('.').reduce((a, o) => a * 256 + Number(o), 0);
  }

  /** Whether the block `inner` lies inside the block `outer`. */
  function inside(inner: string, outer: string): boolean {
    const [ia, ip] = inner.split('/');
    const [oa, op] = outer.split('/');
    const start = toNumber(ia);
    const end = start + 2 ** (32 - Number(ip)) - 1;
    const outerStart = toNumber(oa);
    const outerEnd = outerStart + 2 ** (32 - Number(op)) - 1;
    return Number(ip) >= Number(op) && start >= outerStart && end <= outerEnd;
  }

  function subnetBlocks(t: Template): string[] {
    return Object.values(t.findResources('AWS::EC2::Subnet')).map((r) => r.Properties.CidrBlock);
  }

  function refusal(props: object, s = stack()): string {
    let err: unknown;
    try {
      new MicroserviceEnvironment(s, 'Env', props);
    } catch (e) {
      err = e;
    }
    return expectValidationError(err, { classes: ['MicroserviceEnvironment'], path: 'Test/Env', props: CIDR_PROPS });
  }

  test('the VPC takes the range: /24 public subnets, then a /20 private subnet per zone, all inside it', () => {
    const s = stack();
    new MicroserviceEnvironment(s, 'Env', { vpcCidr: '10.1.0.0/16' });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.1.0.0/16' });
    expect(subnetBlocks(t).sort()).toEqual(['10.1.0.0/24', '10.1.1.0/24', '10.1.16.0/20', '10.1.32.0/20']);
  });

  test('10.0.0.0/16 by default', () => {
    const s = stack();
    new MicroserviceEnvironment(s, 'Env');
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    for (const block of subnetBlocks(t)) expect(inside(block, '10.0.0.0/16')).toBe(true);
  });

  test.each<[string, number | undefined]>([
    ['10.2.0.0/18', 3],
    ['172.16.0.0/17', 4],
    ['192.168.0.0/17', 6],
    ['10.3.0.0/19', 1],
    ['10.4.0.0/18', undefined],
  ])('%s over %p zones: every subnet inside the range', (vpcCidr, maxAzs) => {
    const s = stack();
    new MicroserviceEnvironment(s, 'Env', { vpcCidr, maxAzs });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: vpcCidr });
    const blocks = subnetBlocks(t);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const block of blocks) expect(inside(block, vpcCidr)).toBe(true);
  });

  test('the range with VPC endpoints and no NAT gateway', () => {
    const s = stack();
    new MicroserviceEnvironment(s, 'Env', { vpcCidr: '10.5.0.0/16', createVpcEndpoints: true });
    const t = Template.fromStack(s);
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.5.0.0/16' });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test.each<[string, object, RegExp]>([
    ['no prefix', { vpcCidr: '10.0.0.0' }, /`vpcCidr` '10\.0\.0\.0' is not an IPv4 CIDR block from \/16 to \/28 \(the sizes a VPC may have\); use one like '10\.1\.0\.0\/16'/],
    ['three octets', { vpcCidr: '10.0.0/16' }, /`vpcCidr` '10\.0\.0\/16' is not an IPv4 CIDR block/],
    ['words', { vpcCidr: 'my-vpc' }, /`vpcCidr` 'my-vpc' is not an IPv4 CIDR block/],
    ['an octet over 255', { vpcCidr: '256.0.0.0/16' }, /`vpcCidr` '256\.0\.0\.0\/16' is not an IPv4 CIDR block/],
    ['a prefix over 32', { vpcCidr: '10.0.0.0/33' }, /is not an IPv4 CIDR block from \/16 to \/28/],
    ['IPv6', { vpcCidr: 'fd00::/56' }, /`vpcCidr` 'fd00::\/56' is not an IPv4 CIDR block/],
    ['a space', { vpcCidr: ' 10.0.0.0/16' }, /is not an IPv4 CIDR block/],
    ['/15', { vpcCidr: '10.0.0.0/15' }, /`vpcCidr` '10\.0\.0\.0\/15' is not an IPv4 CIDR block from \/16 to \/28/],
    ['/8', { vpcCidr: '10.0.0.0/8' }, /`vpcCidr` '10\.0\.0\.0\/8' is not an IPv4 CIDR block from \/16 to \/28/],
    ['/29', { vpcCidr: '10.0.0.0/29' }, /is not an IPv4 CIDR block from \/16 to \/28/],
    ['host bits', { vpcCidr: '10.0.0.1/16' }, /`vpcCidr` '10\.0\.0\.1\/16' has host bits set; use the network address, like '10\.0\.0\.0\/16'/],
    ['host bits in the third octet', { vpcCidr: '10.1.128.0/16' }, /`vpcCidr` '10\.1\.128\.0\/16' has host bits set; use the network address, like '10\.1\.0\.0\/16'/],
    ['host bits of a /18', { vpcCidr: '10.1.32.0/18' }, /has host bits set; use the network address, like '10\.1\.0\.0\/18'/],
    ['/19 for 2 zones', { vpcCidr: '10.0.0.0/19' },
      /`vpcCidr` '10\.0\.0\.0\/19' is too small for 2 zones \(a \/24 public and a \/20 private subnet in each\); use a \/18 or larger/],
    ['/18 for 4 zones', { vpcCidr: '10.0.0.0/18', maxAzs: 4 }, /`vpcCidr` '10\.0\.0\.0\/18' is too small for 4 zones.*use a \/17 or larger/],
    ['/20 for 1 zone', { vpcCidr: '10.0.0.0/20', maxAzs: 1 }, /is too small for 1 zones.*use a \/19 or larger/],
    ['/28', { vpcCidr: '10.0.0.0/28' }, /`vpcCidr` '10\.0\.0\.0\/28' is too small for 2 zones/],
    ['a number', { vpcCidr: 16 }, /`vpcCidr` 16 is not a string/],
  ])('refuses %s', (_name, props, message) => {
    expect(refusal(props)).toMatch(message);
  });

  test('refuses a range with an imported VPC', () => {
    const s = stack();
    const vpc = ec2.Vpc.fromVpcAttributes(s, 'Vpc', { vpcId: 'vpc-1234', availabilityZones: ['us-east-1a', 'us-east-1b'], privateSubnetIds: ['subnet-a', 'subnet-b'] });
    expect(refusal({ vpc, vpcCidr: '10.1.0.0/16' }, s)).toMatch(/`vpcCidr` applies only to a VPC we create; remove it or remove `vpc`\/`cluster`/);
  });

  test('refuses a range with an imported cluster', () => {
    const s = stack();
    const cluster = new ecs.Cluster(s, 'Cluster', { vpc: new ec2.Vpc(s, 'Vpc') });
    expect(refusal({ cluster, vpcCidr: '10.1.0.0/16' }, s)).toMatch(/`vpcCidr` applies only to a VPC we create/);
  });

  test('refuses a range from a token, which CDK cannot carve into subnets', () => {
    const s = stack();
    const vpcCidr = new CfnParameter(s, 'Cidr').valueAsString;
    expect(refusal({ vpcCidr }, s)).toMatch(/`vpcCidr` is a token, but the subnets are carved out of the range at synthesis; give the range as a literal, like '10\.1\.0\.0\/16'/);
  });

  test('every problem in one error', () => {
    const err = (() => {
      try {
        new MicroserviceEnvironment(stack(), 'Env', { vpcCidr: '10.0.0.1/16', maxAzs: 0 });
      } catch (e) {
        return e as { problems: string[] };
      }
      return undefined;
    })();
    // maxAzs 0 is refused on its own; the range is not judged against an invalid zone count.
    expect(err?.problems).toEqual([expect.stringMatching(/^`maxAzs` 0 is not valid/), expect.stringMatching(/^`vpcCidr` '10\.0\.0\.1\/16' has host bits/)]);
  });
});
