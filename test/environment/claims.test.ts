import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, aws_ec2 as ec2 } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { formatGateReports, GateReport, runGates } from '../../examples/store/gates';
import { MicroserviceEnvironment } from '../../src/environment';
import {
  CLAIMS_PATH, ClaimProvider, TEAM_APP_FIRST_PRIORITY, claimGroup, claimOwner, listenerPriorityClaim, serviceNameClaim,
} from '../../src/environment/claims';
import { PROVIDERS_ASSET } from '../../src/private/provider-function';
import { expectValidationError } from '../error-contract';
import { ACCOUNT, ExampleResolver, principalOf, simulate } from '../iam-simulation';

const ENV = { account: ACCOUNT, region: 'us-east-1' };

function build(app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } })) {
  const stack = new Stack(app, 'Test', { env: ENV });
  const env = new MicroserviceEnvironment(stack, 'Env');
  const provider = new ClaimProvider(stack, 'Claims', {
    environmentName: 'prod',
    vpc: env.vpc,
    vpcSubnets: env.serviceSubnets,
    encryptionKey: env.encryptionKey,
    logRetention: env.logRetention,
  });
  return { app, stack, env, provider };
}

function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } } | undefined): string {
  return stack.getLogicalId((construct as { node: { defaultChild: unknown } }).node.defaultChild as never);
}

describe('ClaimProvider', () => {
  const { stack, env, provider } = build();
  const t = Template.fromStack(stack);
  const fnId = idOf(stack, provider.function);
  const roleId = idOf(stack, provider.role);
  const logGroupId = idOf(stack, provider.logGroup);
  const queueId = idOf(stack, provider.deadLetterQueue);
  const sgId = idOf(stack, provider.securityGroup);
  const keyId = idOf(stack, env.encryptionKey as never);

  test('CLAIMS_PATH', () => {
    expect(CLAIMS_PATH('prod')).toBe('/cdk-microservices/prod/claims');
  });

  test('the function: Node.js 24, the asset handler, 60 s, reserved concurrency 2, X-Ray, DLQ, VPC, its own log group', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'claims.handler',
      Timeout: 60,
      ReservedConcurrentExecutions: 2,
      TracingConfig: { Mode: 'Active' },
      DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      Role: { 'Fn::GetAtt': [roleId, 'Arn'] },
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
      VpcConfig: {
        SecurityGroupIds: [{ 'Fn::GetAtt': [sgId, 'GroupId'] }],
        SubnetIds: env.vpc.privateSubnets.map((s) => ({ Ref: stack.getLogicalId(s.node.defaultChild as never) })),
      },
    });
    t.resourceCountIs('AWS::Lambda::Function', 1);
    expect(stack.resolve(provider.serviceToken)).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
  });

  test('the function waits for its role\'s policy (Lambda checks the ENI permissions on creation)', () => {
    const fn = t.findResources('AWS::Lambda::Function')[fnId];
    const policyId = idOf(stack, provider.role.node.findChild('DefaultPolicy') as never);
    expect(fn.DependsOn).toEqual(expect.arrayContaining([policyId, roleId]));
  });

  test('the code asset is assets/providers (claims.js and the shared response.js), the same directory from src/private and from lib/private', () => {
    const root = path.join(__dirname, '..', '..');
    for (const dir of ['src', 'lib']) expect(path.join(root, dir, 'private', '..', '..', 'assets', 'providers')).toBe(PROVIDERS_ASSET);
    for (const file of ['claims.js', 'response.js']) expect(fs.existsSync(path.join(PROVIDERS_ASSET, file))).toBe(true);
    const fn = t.findResources('AWS::Lambda::Function')[fnId].Properties;
    expect(fn.Code.S3Key).toMatch(/\.zip$/);
    expect(fn.Handler).toBe('claims.handler');
  });

  test('the role: no managed policy, one statement per need, exactly scoped', () => {
    const role = t.findResources('AWS::IAM::Role')[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
    ]);
    const policies = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId));
    expect(policies).toHaveLength(1);
    const claims = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1:111111111111:parameter/cdk-microservices/prod/claims/*']] };
    const list = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ssm:us-east-1:111111111111:parameter/cdk-microservices/prod/claims/listener-priority']] };
    expect(policies[0].Properties.PolicyDocument.Statement).toEqual([
      { Sid: 'Logs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
      {
        Sid: 'VpcNetworkInterfaces',
        Effect: 'Allow',
        Action: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets', 'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        Resource: '*',
      },
      { Sid: 'Claims', Effect: 'Allow', Action: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'], Resource: claims },
      { Sid: 'ListListenerClaims', Effect: 'Allow', Action: 'ssm:GetParametersByPath', Resource: list },
      { Sid: 'DeadLetterQueueKey', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': [keyId, 'Arn'] } },
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } },
      { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
    ]);
  });

  test('the role allows the claims of its environment and nothing else (IAM simulation)', async () => {
    const resources = t.toJSON().Resources;
    const principal = principalOf(resources, new ExampleResolver(resources), roleId);
    const arn = (name: string) => `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${name}`;
    const cases: Array<[string, string, string]> = [
      ['ssm:PutParameter', arn('/cdk-microservices/prod/claims/listener-priority/7'), 'Allowed'],
      ['ssm:GetParameter', arn('/cdk-microservices/prod/claims/service-name/users'), 'Allowed'],
      ['ssm:DeleteParameter', arn('/cdk-microservices/prod/claims/listener-priority/7'), 'Allowed'],
      ['ssm:GetParametersByPath', arn('/cdk-microservices/prod/claims/listener-priority'), 'Allowed'],
      ['ssm:PutParameter', arn('/cdk-microservices/staging/claims/listener-priority/7'), 'ImplicitlyDenied'],
      ['ssm:PutParameter', arn('/cdk-microservices/prod/environment'), 'ImplicitlyDenied'],
      ['ssm:GetParametersByPath', arn('/cdk-microservices/prod'), 'ImplicitlyDenied'],
      ['ssm:GetParameter', arn('/other/secret'), 'ImplicitlyDenied'],
    ];
    const decisions = [];
    for (const [action, resource] of cases) decisions.push([action, resource, await simulate({ principal, action, resource })]);
    expect(decisions).toEqual(cases);
  });

  test('its own log group: retention and the environment key', () => {
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
    });
    expect(t.findResources('AWS::Logs::LogGroup')[logGroupId].DeletionPolicy).toBe('Retain');
  });

  test('the dead-letter queue: KMS with the environment key, 14 days, TLS only', () => {
    t.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] },
      MessageRetentionPeriod: 1209600,
      RedriveAllowPolicy: { redrivePermission: 'allowAll' },
    });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  test('its security group: no ingress, egress on 443 only', () => {
    const sg = t.findResources('AWS::EC2::SecurityGroup')[sgId];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(sg.Properties.SecurityGroupEgress).toEqual([
      { CidrIp: '0.0.0.0/0', Description: 'HTTPS to SSM and the CloudFormation response URL (S3)', FromPort: 443, IpProtocol: 'tcp', ToPort: 443 },
    ]);
  });

  test('with the endpoints\' security group: the function is let in on 443', () => {
    const s = new Stack(new App(), 'Endpoints', { env: ENV });
    const e = new MicroserviceEnvironment(s, 'Env', { createVpcEndpoints: true });
    const p = new ClaimProvider(s, 'Claims', {
      environmentName: 'prod',
      vpc: e.vpc,
      vpcSubnets: e.serviceSubnets,
      encryptionKey: e.encryptionKey,
      logRetention: e.logRetention,
      endpointSecurityGroup: e.endpointSecurityGroup,
    });
    Template.fromStack(s).hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      SourceSecurityGroupId: { 'Fn::GetAtt': [idOf(s, p.securityGroup), 'GroupId'] },
      GroupId: { 'Fn::GetAtt': [s.getLogicalId((e.endpointSecurityGroup as ec2.SecurityGroup).node.defaultChild as never), 'GroupId'] },
    });
  });

  test.each([['prod env'], ['a/b'], [''], ['x'.repeat(129)]])('environmentName %j is refused', (environmentName) => {
    const s = new Stack(new App(), 'Bad', { env: ENV });
    const e = new MicroserviceEnvironment(s, 'Env');
    let error: unknown;
    try {
      new ClaimProvider(s, 'Claims', { environmentName, vpc: e.vpc, vpcSubnets: e.serviceSubnets, encryptionKey: e.encryptionKey, logRetention: e.logRetention });
    } catch (err) {
      error = err;
    }
    expectValidationError(error, { classes: ['ClaimProvider'], path: 'Bad/Claims', props: ['environmentName'] });
    // The refused construct left the tree: the id can be used again.
    expect(s.node.tryFindChild('Claims')).toBeUndefined();
  });
});

describe('claims custom resources', () => {
  const TOKEN = 'arn:aws:lambda:us-east-1:111111111111:function:Platform-EnvClaimsFunction-AbC123';
  const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/Shared/50dc6c495c0c9188/f2f7dc8efc522ab2';

  test('a listener priority claim: its properties, and the priority read from the Priority attribute', () => {
    const stack = new Stack(new App(), 'TeamA', { env: ENV });
    const { resource, priority } = listenerPriorityClaim(stack, 'UsersPriority', {
      serviceToken: TOKEN,
      environmentName: 'prod',
      listenerArn: LISTENER,
      owner: 'TeamA/Users (stack TeamA)',
      hosts: ['users.example.com'],
      paths: ['/api/*'],
      priority: 12,
      firstPriority: TEAM_APP_FIRST_PRIORITY,
      group: 'app of TeamA/Env',
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::CloudFormation::CustomResource', {
      ServiceToken: TOKEN,
      Kind: 'ListenerPriority',
      EnvironmentName: 'prod',
      ListenerArn: LISTENER,
      Owner: 'TeamA/Users (stack TeamA)',
      Hosts: ['users.example.com'],
      Paths: ['/api/*'],
      Priority: '12',
      FirstPriority: '10000',
      Group: 'app of TeamA/Env',
    });
    const id = stack.getLogicalId(resource.node.defaultChild as never);
    expect(stack.resolve(priority)).toEqual({ 'Fn::GetAtt': [id, 'Priority'] });
    // The ServiceToken is a literal ARN, not an import of another stack's export.
    expect(JSON.stringify(t.toJSON())).not.toContain('Fn::ImportValue');
  });

  test('without a priority: no Priority property (the provider picks the lowest free one)', () => {
    const stack = new Stack(new App(), 'TeamA', { env: ENV });
    listenerPriorityClaim(stack, 'P', { serviceToken: TOKEN, environmentName: 'prod', listenerArn: LISTENER, owner: 'o', hosts: [], paths: ['/x/*'] });
    const props = Object.values(Template.fromStack(stack).findResources('AWS::CloudFormation::CustomResource'))[0].Properties;
    expect(props.Priority).toBeUndefined();
    expect(props.Hosts).toEqual([]);
  });

  test.each([[0], [50001], [1.5]])('priority %p is refused at synthesis', (priority) => {
    const stack = new Stack(new App(), 'TeamA', { env: ENV });
    let error: unknown;
    try {
      listenerPriorityClaim(stack, 'P', { serviceToken: TOKEN, environmentName: 'prod', listenerArn: LISTENER, owner: 'o', hosts: [], paths: [], priority });
    } catch (err) {
      error = err;
    }
    expectValidationError(error, { classes: ['ClaimProvider'], path: 'TeamA', props: ['routePriority'] });
  });

  test('a service name claim', () => {
    const stack = new Stack(new App(), 'TeamA', { env: ENV });
    serviceNameClaim(stack, 'UsersName', { serviceToken: TOKEN, environmentName: 'prod', namespaceId: 'ns-abc123', name: 'users', owner: 'TeamA/Users (stack TeamA)' });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFormation::CustomResource', {
      ServiceToken: TOKEN, Kind: 'ServiceName', EnvironmentName: 'prod', NamespaceId: 'ns-abc123', Name: 'users', Owner: 'TeamA/Users (stack TeamA)',
    });
  });

  test('claimOwner names the construct path and the stack; claimGroup the environment\'s', () => {
    const stack = new Stack(new App(), 'TeamA', { env: ENV, stackName: 'team-a-services' });
    const env = new MicroserviceEnvironment(stack, 'Env');
    expect(claimOwner(env)).toBe('TeamA/Env (stack team-a-services)');
    expect(claimGroup(env)).toBe('app of TeamA/Env (stack team-a-services)');
  });
});

/** cdk-nag (AwsSolutions, NIST 800-53 R5, HIPAA), the Control Tower guard rules and the template validator, as the store's gates run them. */
describe('ClaimProvider: compliance gates', () => {
  let reports: GateReport[];

  beforeAll(async () => {
    const { app } = build();
    reports = await runGates(app, app.synth());
  }, 120_000);

  test.each(['cdk-nag AwsSolutions', 'cdk-nag NIST.800.53.R5', 'cdk-nag HIPAA.Security', 'cfn-guard Control Tower', 'cloudformation-validate'])(
    '%s: no finding on the test stack (environment and claim provider)',
    (gate) => {
      const report = reports.find((r) => r.gate === gate)!;
      expect(report).toBeDefined();
      if (report.findings.length > 0) throw new Error(formatGateReports([{ ...report, warnings: [] }]));
    },
  );
});
