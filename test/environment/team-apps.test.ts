/**
 * Independent teams (issue 16): an environment shared with other apps, and team apps that
 * synthesize on their own from what the environment's app publishes, with no CloudFormation
 * export between them.
 */
import { App, Stack, aws_ecs as ecs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CERT_ARN, PARAMETER, PLATFORM, platform as platformApp, platformContext as fixtureContext } from './team-fixtures';
import { environmentContext, lookupKey } from '../../examples/shared/environment-context';
import { IMicroserviceEnvironment, MicroserviceEnvironment, TwelveFactorService } from '../../src';
import { parseEnvironmentDocument } from '../../src/environment/environment-document';
import { expectValidationError } from '../error-contract';

/** The context a team app gets once the platform is deployed (its lookups answered). */
function platformContext(): { [key: string]: string } {
  return fixtureContext().context;
}

type TeamApp = { stack: Stack; env: IMicroserviceEnvironment; service: TwelveFactorService };

function teamApp(name: string, context: { [key: string]: unknown } = platformContext(), serviceName = name): TeamApp {
  const app = new App({ context });
  const stack = new Stack(app, `${name}-team`, { env: PLATFORM });
  const env = MicroserviceEnvironment.fromLookup(stack, 'Env', { environmentName: 'store' });
  const service = new TwelveFactorService(stack, 'Service', {
    environment: env,
    serviceName,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable'),
    port: 8080,
    user: '101',
    hostName: `${name}.shop.example.com`,
  });
  return { stack, env, service };
}

describe('an environment shared with other apps (enableTeamApps)', () => {
  const { template } = platformApp();

  test('publishes its document in the SSM parameter /cdk-microservices/<name>/environment', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: PARAMETER,
      Type: 'String',
      Tier: 'Intelligent-Tiering',
    });
  });

  test('the document, as CloudFormation resolves it, is one the lookup reads', () => {
    const context = platformContext();
    const value = context[lookupKey(PARAMETER, PLATFORM)];
    expect(value).toBeDefined();
    const parsed = parseEnvironmentDocument(value, PARAMETER);
    expect(parsed.problems).toEqual([]);
    const doc = parsed.doc!;
    expect(doc).toMatchObject({
      version: 1,
      environmentName: 'store',
      account: PLATFORM.account,
      region: PLATFORM.region,
      https: true,
      certificateArn: CERT_ARN,
      hostedZoneId: 'Z0123456789',
      hostedZoneName: 'shop.example.com',
      serviceSubnetType: 'Private',
    });
    expect(doc.listenerArn).toMatch(/^arn:aws:elasticloadbalancing:eu-west-1:111111111111:listener\/app\//);
    expect(doc.claimServiceToken).toMatch(/^arn:aws:lambda:eu-west-1:111111111111:function:/);
    expect(doc.accessLogsBucketName).toBeDefined();
    expect(doc.webAclArn).toMatch(/^arn:aws:wafv2:/);
    expect(doc.privateSubnets.subnetIds).toHaveLength(2);
    // Less than the 4 KB of the standard tier: the parameter costs nothing.
    expect(Buffer.byteLength(value)).toBeLessThan(4096);
  });

  test('creates the access-log bucket with the environment, for the load balancers of other apps', () => {
    template.resourcePropertiesCountIs('AWS::S3::Bucket', Match.objectLike({ ObjectLockEnabled: true }), 1);
  });

  test('lets the load balancers of other apps write access logs to that bucket (ELB account of the Region for ALBs, delivery.logs for NLBs)', () => {
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    const writes = (prefix: string) => statements.filter((st: any) => st.Effect === 'Allow' && st.Action === 's3:PutObject'
      && JSON.stringify(st.Resource).includes(`/${prefix}/AWSLogs/${PLATFORM.account}/*`));
    // eu-west-1's Elastic Load Balancing account (RegionInfo ELBV2_ACCOUNT).
    expect(writes('alb').filter((st: any) => JSON.stringify(st.Principal).includes(':iam::156460612806:root'))).toHaveLength(1);
    expect(writes('nlb')).toEqual([expect.objectContaining({
      Principal: { Service: 'delivery.logs.amazonaws.com' },
      Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceAccount': PLATFORM.account } },
    })]);
  });

  test('its own services claim the priorities they were given at synthesis', () => {
    const t = platformApp(['catalog', 'orders']).template;
    const claims = t.findResources('AWS::CloudFormation::CustomResource', { Properties: { Kind: 'ListenerPriority' } });
    expect(Object.values(claims).map((c) => c.Properties.Priority).sort()).toEqual([1, 2]);
    const rules = t.findResources('AWS::ElasticLoadBalancingV2::ListenerRule');
    for (const rule of Object.values(rules)) {
      expect(rule.Properties.Priority).toEqual({ 'Fn::GetAtt': [expect.any(String), 'Priority'] });
    }
  });

  test('two environments of one app shared under one name in one account and Region: refused, naming the first', () => {
    const app = new App();
    const first = new Stack(app, 'First', { env: PLATFORM });
    new MicroserviceEnvironment(first, 'Env', { enableTeamApps: true, environmentName: 'store' });
    const second = new Stack(app, 'Second', { env: PLATFORM });
    const err = expectThrow(() => new MicroserviceEnvironment(second, 'Env', { enableTeamApps: true, environmentName: 'store' }));
    expect(expectValidationError(err, { classes: ['MicroserviceEnvironment'], path: 'Second/Env', props: ['environmentName'] }))
      .toContain('`environmentName` \'store\' is already shared by First/Env in this account and Region (both would write the SSM parameter /cdk-microservices/store/environment)');
    // Another Region has its own parameters.
    const elsewhere = new Stack(app, 'Elsewhere', { env: { ...PLATFORM, region: 'us-east-1' } });
    expect(() => new MicroserviceEnvironment(elsewhere, 'Env', { enableTeamApps: true, environmentName: 'store' })).not.toThrow();
  });

  test.each([
    [{ environmentName: 'store' }, '`environmentName` names the environment other apps look up; set `enableTeamApps: true`'],
    [{ enableTeamApps: true, environmentName: 'bad/name' }, '`environmentName` \'bad/name\' is not valid'],
    [{ enableTeamApps: true, environmentName: '' }, '`environmentName` \'\' is not valid'],
    [{ enableTeamApps: 'yes' }, '`enableTeamApps` \'yes\' is not a boolean'],
  ])('refuses %j', (props, message) => {
    const stack = new Stack(new App(), 'Bad', { env: PLATFORM });
    const err = expectThrow(() => new MicroserviceEnvironment(stack, 'Env', props as never));
    expect(expectValidationError(err, { classes: ['MicroserviceEnvironment'], path: 'Bad/Env', props: ['environmentName', 'enableTeamApps'] })).toContain(message);
  });
});

describe('a team app (MicroserviceEnvironment.fromLookup)', () => {
  const { stack, service } = teamApp('users');
  const template = Template.fromStack(stack);
  const json = JSON.stringify(template.toJSON());
  const doc = parseEnvironmentDocument(platformContext()[lookupKey(PARAMETER, PLATFORM)], PARAMETER).doc!;

  test('holds no Fn::ImportValue and no reference to the environment\'s stack', () => {
    expect(json).not.toContain('Fn::ImportValue');
    // Nothing names the platform's stack (its outputs, exports or construct paths).
    expect(json).not.toMatch(/"Platform[/:-]/);
    expect(json).not.toContain('PlatformEnv');
  });

  test('runs the service in the environment\'s cluster, subnets and namespace, by ID', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      Cluster: doc.clusterName,
      NetworkConfiguration: { AwsvpcConfiguration: { Subnets: doc.privateSubnets.subnetIds } },
    });
    template.hasResourceProperties('AWS::ServiceDiscovery::Service', {
      NamespaceId: doc.namespaceId,
      Name: 'users',
    });
    expect(service.discoveryName).toBe(`users.${doc.namespaceName}`);
  });

  test('routes on the shared listener with a priority claimed at deploy time', () => {
    const claims = template.findResources('AWS::CloudFormation::CustomResource', { Properties: { Kind: 'ListenerPriority' } });
    const [claimId] = Object.keys(claims);
    expect(claims[claimId].Properties).toMatchObject({
      ServiceToken: doc.claimServiceToken,
      EnvironmentName: 'store',
      ListenerArn: doc.listenerArn,
      Hosts: ['users.shop.example.com'],
    });
    expect(claims[claimId].Properties.Priority).toBeUndefined();
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: doc.listenerArn,
      Priority: { 'Fn::GetAtt': [claimId, 'Priority'] },
    });
  });

  test('claims its Cloud Map name before registering it', () => {
    const claims = template.findResources('AWS::CloudFormation::CustomResource', { Properties: { Kind: 'ServiceName' } });
    const [claimId] = Object.keys(claims);
    expect(claims[claimId].Properties).toMatchObject({ Name: 'users', NamespaceId: doc.namespaceId, ServiceToken: doc.claimServiceToken });
    const discovery = template.findResources('AWS::ServiceDiscovery::Service');
    expect(Object.values(discovery)[0].DependsOn).toContain(claimId);
  });

  test('lets the load balancer reach the tasks through the environment\'s security group, by ID', () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      SourceSecurityGroupId: doc.loadBalancerSecurityGroupId,
      FromPort: 8080,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: doc.loadBalancerSecurityGroupId,
      FromPort: 8080,
    });
  });

  test('points its host name at the shared load balancer in the environment\'s zone', () => {
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      HostedZoneId: 'Z0123456789',
      Name: 'users.shop.example.com.',
      AliasTarget: Match.objectLike({ DNSName: `dualstack.${doc.loadBalancerDnsName}` }),
    });
  });
});

describe('looking up an environment', () => {
  test('the first synthesis asks the CDK CLI for the parameter and builds on a stand-in', () => {
    const app = new App();
    const stack = new Stack(app, 'Team', { env: PLATFORM });
    MicroserviceEnvironment.fromLookup(stack, 'Env', { environmentName: 'store' });
    const missing = app.synth().manifest.missing ?? [];
    expect(missing).toEqual([expect.objectContaining({
      key: lookupKey(PARAMETER, PLATFORM),
      provider: 'ssm',
      props: expect.objectContaining({ parameterName: PARAMETER, ignoreErrorOnMissingContext: true }),
    })]);
  });

  test('an environment that does not exist: the parameter path and how to create it', () => {
    const app = new App({ context: { [lookupKey(PARAMETER, PLATFORM)]: 'cdk-microservices:environment-not-found' } });
    const stack = new Stack(app, 'Team', { env: PLATFORM });
    const err = expectThrow(() => MicroserviceEnvironment.fromLookup(stack, 'Env', { environmentName: 'store' }));
    expect(err.message).toContain(`the SSM parameter ${PARAMETER} does not exist`);
    expect(err.message).toContain('enableTeamApps: true, environmentName: \'store\'');
    expect(err.message).toContain('cdk context --reset');
  });

  test('a stack without an explicit account and Region is refused', () => {
    const stack = new Stack(new App(), 'Team');
    const err = expectThrow(() => MicroserviceEnvironment.fromLookup(stack, 'Env', { environmentName: 'store' }));
    expect(err.message).toContain('needs an explicit account and Region');
  });

  test('an environment of another Region is refused', () => {
    const elsewhere = { account: PLATFORM.account, region: 'us-east-1' };
    const context = environmentContext([platformApp().template.toJSON()], elsewhere);
    // The document says where the environment lives; a copy under another Region's key is refused.
    const key = lookupKey(PARAMETER, elsewhere);
    context[key] = JSON.stringify({ ...JSON.parse(context[key]), region: 'eu-west-1' });
    const stack = new Stack(new App({ context }), 'Team', { env: elsewhere });
    const err = expectThrow(() => MicroserviceEnvironment.fromLookup(stack, 'Env', { environmentName: 'store' }));
    expect(err.message).toContain('lives in account 111111111111, Region eu-west-1');
  });

  test.each([
    ['not JSON', 'does not hold JSON'],
    [JSON.stringify({ version: 99 }), 'holds an environment document of version 99'],
    [JSON.stringify({ version: 1 }), 'is not valid'],
  ])('a parameter that holds %s is refused', (value, message) => {
    const app = new App({ context: { [lookupKey(PARAMETER, PLATFORM)]: value } });
    const stack = new Stack(app, 'Team', { env: PLATFORM });
    const err = expectThrow(() => MicroserviceEnvironment.fromLookup(stack, 'Env', { environmentName: 'store' }));
    expect(err.message).toContain(message);
  });

  test.each([
    [{}, '`environmentName` is missing'],
    [{ environmentName: 'a b' }, '`environmentName` \'a b\' is not valid'],
  ])('refuses the options %j', (options, message) => {
    const stack = new Stack(new App(), 'Team', { env: PLATFORM });
    const err = expectThrow(() => MicroserviceEnvironment.fromLookup(stack, 'Env', options as never));
    expect(err.message).toContain(message);
  });
});

function expectThrow(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
}
