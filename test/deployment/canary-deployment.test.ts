/**
 * Unit tests of CanaryDeployment: what it creates (slots, load balancers, weighted records,
 * state table, state machine, alarms, approval topic, push rule), each default both ways
 * (created by us, brought by the user), the plan in the definition CloudFormation receives,
 * and every validation with a failing case. The state machine's behaviour is exercised in
 * rollout.test.ts; its role's least privilege in least-privilege.test.ts.
 */
import {
  CfnElement,
  Duration,
  Lazy,
  Stack,
  Validations,
  aws_certificatemanager as acm,
  aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_ecr as ecr,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_route53 as route53,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct, IConstruct } from 'constructs';
import {
  CanaryWorld, ZONE_ID, canaryWorld, definitionOf, expectCanaryRefusal, otherVpc, planOf, slotService, thrownBy,
} from './fixtures';
import { CanaryDeployment, CanaryDeploymentProps, CanaryStep, OldSlot } from '../../src';

const PATH = 'Test/Users';
/** Every prop a problem may name (with the method addAlarm); each test also checks the one it expects. */
const PROPS: string[] = [
  'serviceProps', 'hostedZone', 'recordName', 'recordTtl', 'steps', 'certificate', 'allowPlainHttp', 'internetFacing',
  'loadBalancerDeletionProtection', 'blueLoadBalancer', 'blueListener', 'greenLoadBalancer', 'greenListener', 'listenerRulePriority',
  'allowSlotsInDifferentVpcs', 'defaultAlarms', 'errorRatePercent', 'latencyThreshold', 'alarmPeriod', 'alarmEvaluationPeriods', 'alarms',
  'alarmPollInterval', 'healthTimeout', 'healthPollInterval', 'enableApprovalBeforeLastStep', 'approvalTopic', 'approvalTimeout', 'oldSlot',
  'imageRepository', 'startOnPush', 'startOnPushTagPrefix', 'canaryName', 'addAlarm', 'metricWeight',
];
const CANARY_CERT = 'arn:aws:acm:us-east-1:111111111111:certificate/99999999-8888-7777-6666-555555555555';
const ENV_CERT = 'arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555';

// ---------------------------------------------------------------------------------------
// Fixtures.
// ---------------------------------------------------------------------------------------

type Extra = Partial<CanaryDeploymentProps> | ((w: CanaryWorld) => Partial<CanaryDeploymentProps>);

/** The props of a canary in the world: its own certificate unless `extra` says otherwise. */
function propsIn(w: CanaryWorld, extra: Extra = {}): CanaryDeploymentProps {
  const more = typeof extra === 'function' ? extra(w) : extra;
  const certificate = 'certificate' in more || 'allowPlainHttp' in more || more.blueListener || more.greenListener || more.blueLoadBalancer
    ? undefined : acm.Certificate.fromCertificateArn(w.stack, 'CanaryCert', CANARY_CERT);
  return { serviceProps: slotService(w.env), hostedZone: w.zone, recordName: 'users', certificate, ...more };
}

/** A canary with id `Users` in a fresh world. */
function build(extra: Extra = {}, world: { certificate?: boolean } = {}) {
  const w = canaryWorld(world);
  const canary = new CanaryDeployment(w.stack, 'Users', propsIn(w, extra));
  return { ...w, canary };
}

function templateOf(extra: Extra = {}, world: { certificate?: boolean } = {}) {
  const built = build(extra, world);
  return { ...built, template: Template.fromStack(built.stack), definition: definitionOf(built.canary) };
}

function idOf(construct: IConstruct): string {
  const child = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(child);
}

/** The resources of a type whose logical id starts with `prefix`. */
function resourcesOf(template: Template, type: string, prefix: string): Array<[string, any]> {
  return Object.entries(template.findResources(type)).filter(([id]) => id.startsWith(prefix));
}

function only(template: Template, type: string, prefix: string): [string, any] {
  const found = resourcesOf(template, type, prefix);
  if (found.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${found.map(([id]) => id).join(', ') || 'none'}`);
  return found[0];
}

/** The statements of the identity policies attached to a role. */
function statementsOf(template: Template, roleId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** A load balancer and an HTTPS listener created in the test stack (the user's own). */
function ownLoadBalancer(w: CanaryWorld, id: string, vpc: ec2.IVpc = w.vpc) {
  const loadBalancer = new elbv2.ApplicationLoadBalancer(w.stack, id, { vpc, internetFacing: true });
  const listener = loadBalancer.addListener(`${id}Https`, {
    port: 443,
    certificates: [elbv2.ListenerCertificate.fromArn(CANARY_CERT)],
    defaultAction: elbv2.ListenerAction.fixedResponse(404),
  });
  return { loadBalancer, listener };
}

/** A load balancer and listener imported by attributes (nothing is created for them). */
function importedLoadBalancer(w: CanaryWorld, id: string, vpc: ec2.IVpc | undefined = w.vpc) {
  const arn = `arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/${id.toLowerCase()}/0123456789abcdef`;
  const securityGroup = ec2.SecurityGroup.fromSecurityGroupId(w.stack, `${id}Sg`, `sg-${id.toLowerCase()}`);
  const loadBalancer = elbv2.ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(w.stack, id, {
    loadBalancerArn: arn,
    securityGroupId: securityGroup.securityGroupId,
    loadBalancerDnsName: `${id.toLowerCase()}-123.us-east-1.elb.amazonaws.com`,
    loadBalancerCanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
    vpc,
  });
  const listener = elbv2.ApplicationListener.fromApplicationListenerAttributes(w.stack, `${id}Listener`, {
    listenerArn: `arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/${id.toLowerCase()}/0123456789abcdef/fedcba9876543210`,
    securityGroup,
  });
  return { loadBalancer, listener };
}

/** Own load balancers for both slots. */
function bothOwn(w: CanaryWorld): Partial<CanaryDeploymentProps> {
  const blue = ownLoadBalancer(w, 'BlueLb');
  const green = ownLoadBalancer(w, 'GreenLb');
  return { blueLoadBalancer: blue.loadBalancer, blueListener: blue.listener, greenLoadBalancer: green.loadBalancer, greenListener: green.listener };
}

function importedAlarm(stack: Stack, name: string): cloudwatch.IAlarm {
  return cloudwatch.Alarm.fromAlarmArn(stack, `Alarm${name}`, `arn:aws:cloudwatch:us-east-1:111111111111:alarm:${name}`);
}

const minutes = Duration.minutes;
const seconds = Duration.seconds;

// ---------------------------------------------------------------------------------------
// The slots and their load balancers.
// ---------------------------------------------------------------------------------------

describe('slots', () => {
  test('two services named <name>-blue and <name>-green, from the construct id by default', () => {
    const { canary, template } = templateOf();
    expect(canary.blue.serviceName).toBe('users-blue');
    expect(canary.green.serviceName).toBe('users-green');
    expect(canary.slots).toEqual([canary.blue, canary.green]);
    template.resourceCountIs('AWS::ECS::Service', 2);
    template.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'users-blue' });
    template.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'users-green' });
  });

  test('from the service\'s serviceName when it is given', () => {
    const { canary, template } = templateOf((w) => ({ serviceProps: slotService(w.env, { serviceName: 'accounts' }) }));
    expect([canary.blue.serviceName, canary.green.serviceName]).toEqual(['accounts-blue', 'accounts-green']);
    template.hasResourceProperties('AWS::ServiceDiscovery::Service', { Name: 'accounts-green' });
  });

  test('a load balancer per slot with the given certificate: HTTPS listener, redirect listener, WAF, access logs', () => {
    const { canary, template } = templateOf();
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 2);
    for (const [slot, lb] of [['Blue', canary.blueLoadBalancer], ['Green', canary.greenLoadBalancer]] as const) {
      const lbId = idOf(lb);
      expect(lbId).toMatch(new RegExp(`^Users${slot}LoadBalancer`));
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Scheme: 'internet-facing',
        LoadBalancerAttributes: Match.arrayWith([
          { Key: 'deletion_protection.enabled', Value: 'true' },
          { Key: 'access_logs.s3.enabled', Value: 'true' },
          { Key: 'access_logs.s3.bucket', Value: { Ref: Match.stringLikeRegexp('^EnvAccessLogs') } },
        ]),
      });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        LoadBalancerArn: { Ref: lbId },
        Port: 443,
        Protocol: 'HTTPS',
        Certificates: [{ CertificateArn: CANARY_CERT }],
      });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        LoadBalancerArn: { Ref: lbId },
        Port: 80,
        Protocol: 'HTTP',
        DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) })],
      });
      template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        ResourceArn: { Ref: lbId },
        WebACLArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EnvWebAcl'), 'Arn'] },
      });
    }
    template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 2);
    expect(canary.url).toBe('https://users.example.com');
  });

  test('without a certificate of its own, the listeners use the environment\'s', () => {
    const { template } = templateOf({ certificate: undefined }, { certificate: true });
    // The environment's shared load balancer and the two slots'.
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 3);
    const https = resourcesOf(template, 'AWS::ElasticLoadBalancingV2::Listener', 'Users')
      .filter(([, l]) => l.Properties.Protocol === 'HTTPS');
    expect(https).toHaveLength(2);
    for (const [, l] of https) expect(l.Properties.Certificates).toEqual([{ CertificateArn: ENV_CERT }]);
  });

  test('allowPlainHttp: an HTTP listener per slot forwards to the slot, no redirect, no HTTPS', () => {
    const { canary, template } = templateOf({ allowPlainHttp: true });
    const listeners = resourcesOf(template, 'AWS::ElasticLoadBalancingV2::Listener', 'Users');
    expect(listeners.map(([, l]) => [l.Properties.Port, l.Properties.Protocol, l.Properties.DefaultActions[0].Type]))
      .toEqual([[80, 'HTTP', 'forward'], [80, 'HTTP', 'forward']]);
    expect(canary.url).toBe('http://users.example.com');
  });

  test('internetFacing and loadBalancerDeletionProtection default to true and can be turned off', () => {
    const { template } = templateOf({ internetFacing: false, loadBalancerDeletionProtection: false });
    for (const [, lb] of resourcesOf(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'Users')) {
      expect(lb.Properties.Scheme).toBe('internal');
      expect(lb.Properties.LoadBalancerAttributes).toContainEqual({ Key: 'deletion_protection.enabled', Value: 'false' });
    }
  });

  test('each slot\'s target group is its own listener\'s default action', () => {
    const { canary, template } = templateOf();
    for (const [slot, lb] of [[canary.blue, canary.blueLoadBalancer], [canary.green, canary.greenLoadBalancer]] as const) {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        LoadBalancerArn: { Ref: idOf(lb) },
        Protocol: 'HTTPS',
        DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: idOf(slot.targetGroup!) } }],
      });
      template.hasResourceProperties('AWS::ECS::Service', {
        LoadBalancers: [{ ContainerName: 'app', ContainerPort: 8080, TargetGroupArn: { Ref: idOf(slot.targetGroup!) } }],
      });
    }
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 0);
  });

  test('a slot\'s security group admits only its own load balancer, on the port', () => {
    const { canary, template } = templateOf();
    const lbSecurityGroup = (lb: elbv2.IApplicationLoadBalancer) =>
      (template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer')[idOf(lb)].Properties.SecurityGroups[0])['Fn::GetAtt'][0];
    for (const [slot, lb] of [[canary.blue, canary.blueLoadBalancer], [canary.green, canary.greenLoadBalancer]] as const) {
      const sgId = idOf(slot.securityGroup);
      const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
        .filter((r) => r.Properties.GroupId?.['Fn::GetAtt']?.[0] === sgId);
      expect(ingress.map((r) => [r.Properties.SourceSecurityGroupId['Fn::GetAtt'][0], r.Properties.FromPort, r.Properties.ToPort]))
        .toEqual([[lbSecurityGroup(lb), 8080, 8080]]);
      expect(template.findResources('AWS::EC2::SecurityGroup')[sgId].Properties.SecurityGroupIngress).toBeUndefined();
    }
  });
});

// ---------------------------------------------------------------------------------------
// The weighted records.
// ---------------------------------------------------------------------------------------

describe('weighted records', () => {
  test('alias A records of the name, weights read by the live state (blue 100 and green 0 at first), evaluating target health', () => {
    const { canary, template } = templateOf();
    expect(canary.domainName).toBe('users.example.com');
    template.resourceCountIs('AWS::Route53::RecordSet', 2);
    for (const [slot, lb] of [['blue', canary.blueLoadBalancer], ['green', canary.greenLoadBalancer]] as const) {
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        HostedZoneId: ZONE_ID,
        Name: 'users.example.com.',
        Type: 'A',
        SetIdentifier: slot,
        Weight: { 'Fn::GetAtt': [idOf(canary.liveState), `${slot === 'blue' ? 'Blue' : 'Green'}Weight`] },
        TTL: Match.absent(),
        AliasTarget: {
          DNSName: { 'Fn::Join': ['', ['dualstack.', { 'Fn::GetAtt': [idOf(lb), 'DNSName'] }]] },
          HostedZoneId: { 'Fn::GetAtt': [idOf(lb), 'CanonicalHostedZoneID'] },
          EvaluateTargetHealth: true,
        },
      });
    }
    // The state machine sends the record as the AWS SDK integration takes it: AliasTarget.DnsName
    // (Java v2 spelling); a DNSName member would be refused and no weight would ever move.
    const definition = definitionOf(canary);
    expect(definition.States.BlueIsLive.Result.idle.record).toEqual({
      Name: 'users.example.com.',
      Type: 'A',
      SetIdentifier: 'green',
      AliasTarget: {
        HostedZoneId: `<GetAtt ${idOf(canary.greenLoadBalancer)}.CanonicalHostedZoneID>`,
        DnsName: `dualstack.<GetAtt ${idOf(canary.greenLoadBalancer)}.DNSName>`,
        EvaluateTargetHealth: true,
      },
    });
    expect(definition.States.SetWeights.Parameters.ChangeBatch.Changes[0].ResourceRecordSet).toEqual({
      'Name.$': '$.slots.idle.record.Name',
      'Type.$': '$.slots.idle.record.Type',
      'SetIdentifier.$': '$.slots.idle.record.SetIdentifier',
      'AliasTarget.$': '$.slots.idle.record.AliasTarget',
      'Weight.$': '$.at.step.percent',
    });
  });

  test('with recordTtl: weighted CNAME records with that TTL', () => {
    const { canary, template, definition } = templateOf({ recordTtl: seconds(30) });
    for (const [slot, lb] of [['blue', canary.blueLoadBalancer], ['green', canary.greenLoadBalancer]] as const) {
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'users.example.com.',
        Type: 'CNAME',
        SetIdentifier: slot,
        Weight: { 'Fn::GetAtt': [idOf(canary.liveState), `${slot === 'blue' ? 'Blue' : 'Green'}Weight`] },
        TTL: '30',
        ResourceRecords: [{ 'Fn::GetAtt': [idOf(lb), 'DNSName'] }],
        AliasTarget: Match.absent(),
      });
    }
    const idle = definition.States.BlueIsLive.Result.idle;
    expect(idle.record).toEqual({
      Name: 'users.example.com.',
      Type: 'CNAME',
      SetIdentifier: 'green',
      // The AWS SDK integration's member name (Java v2 spelling), not CloudFormation's TTL.
      Ttl: 30,
      ResourceRecords: [{ Value: `<GetAtt ${idOf(canary.greenLoadBalancer)}.DNSName>` }],
    });
    expect(JSON.stringify(definition)).not.toMatch(/"TTL(\.\$)?"/);
  });

  test('a fully qualified recordName in the zone, and the zone apex with alias records', () => {
    expect(build({ recordName: 'Users.Example.com' }).canary.domainName).toBe('Users.Example.com');
    const apex = templateOf({ recordName: 'example.com' });
    expect(apex.canary.domainName).toBe('example.com');
    apex.template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'example.com.', Type: 'A', SetIdentifier: 'blue' });
  });
});

// ---------------------------------------------------------------------------------------
// State and the state machine.
// ---------------------------------------------------------------------------------------

describe('state table', () => {
  test('pk string, on demand, encrypted with the environment key, PITR, deletion protection, retained', () => {
    const { canary, template } = templateOf();
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EnvKey'), 'Arn'] } },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
    });
    expect(idOf(canary.table)).toMatch(/^UsersState/);
  });
});

describe('state machine', () => {
  test('STANDARD, logging ALL with execution data to an encrypted log group with retention, X-Ray tracing', () => {
    const { canary, template } = templateOf();
    const [logId, logGroup] = only(template, 'AWS::Logs::LogGroup', 'UsersLogs');
    expect(logGroup.Properties).toEqual({ KmsKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^EnvKey/), 'Arn'] }, RetentionInDays: 365 });
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logId, 'Arn'] } } }],
      },
      TracingConfiguration: { Enabled: true },
    });
    expect(idOf(canary.stateMachine)).toMatch(/^UsersStateMachine/);
  });

  test('DescribeExecution of its own executions only, in a policy of its own that the state machine does not depend on (no cycle)', () => {
    const { canary, template } = templateOf();
    const machineId = idOf(canary.stateMachine);
    const roleId = idOf(canary.stateMachine.role);
    const [policyId, policy] = only(template, 'AWS::IAM::Policy', 'UsersStateMachineDescribeOwnExecutions');
    expect(policy.Properties.Roles).toEqual([{ Ref: roleId }]);
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{
      Sid: 'DescribeLockHolders',
      Effect: 'Allow',
      Action: 'states:DescribeExecution',
      Resource: {
        'Fn::Join': ['', [
          'arn:', { Ref: 'AWS::Partition' }, `:states:${Stack.of(canary).region}:${Stack.of(canary).account}:execution:`,
          { 'Fn::GetAtt': [machineId, 'Name'] }, ':*',
        ]],
      },
    }]);
    // The state machine waits for its role's default policy, not for this one (which names it).
    const dependsOn: string[] = template.toJSON().Resources[machineId].DependsOn ?? [];
    expect(dependsOn).not.toContain(policyId);
    expect(dependsOn.some((id) => id.startsWith(`${roleId.replace(/[A-F0-9]{8}$/, '')}DefaultPolicy`))).toBe(true);
    // And nothing else grants DescribeExecution.
    expect(statementsOf(template, roleId).filter((st) => [st.Action].flat().includes('states:DescribeExecution'))).toHaveLength(1);
  });

  test('the environment\'s log retention applies to the state machine\'s logs', () => {
    const w = canaryWorld({ env: { logRetention: 30 } });
    new CanaryDeployment(w.stack, 'Users', propsIn(w));
    expect(only(Template.fromStack(w.stack), 'AWS::Logs::LogGroup', 'UsersLogs')[1].Properties.RetentionInDays).toBe(30);
  });

  test('the default plan: 10, 25, 50, 100% of 5 minutes each, polled every 10 seconds', () => {
    const { canary, definition } = templateOf();
    expect(canary.steps.map((s) => [s.percent, s.bake.toSeconds()])).toEqual([[10, 300], [25, 300], [50, 300], [100, 300]]);
    expect(planOf(definition)).toEqual([10, 25, 50, 100].map((percent, index) => ({
      index,
      number: index + 1,
      percent,
      livePercent: 100 - percent,
      livePercentText: String(100 - percent),
      percentText: String(percent),
      lastPoll: 29,
      approvalBefore: false,
      last: index === 3,
    })));
    expect(definition.States.Bake).toMatchObject({ Type: 'Wait', Seconds: 10 });
  });

  test('given steps and poll interval: polls per bake = ceil(bake / poll)', () => {
    const steps = [CanaryStep.weight(5, seconds(60)), CanaryStep.weight(50, seconds(120)), CanaryStep.weight(100, seconds(65))];
    const { canary, definition } = templateOf({ steps, alarmPollInterval: seconds(30), alarmEvaluationPeriods: 1 });
    expect(canary.steps).toBe(steps);
    expect(planOf(definition).map((s) => [s.percent, s.livePercent, s.lastPoll + 1, s.last])).toEqual([
      [5, 95, 2, false], [50, 50, 4, false], [100, 0, 3, true],
    ]);
    expect(definition.States.Bake.Seconds).toBe(30);
  });

  test('the presets: linear, allAtOnce', () => {
    expect(planOf(templateOf({ steps: CanaryStep.linear(30, minutes(2)) }).definition).map((s) => s.percent)).toEqual([30, 60, 90, 100]);
    expect(planOf(templateOf({ steps: CanaryStep.allAtOnce() }).definition).map((s) => [s.percent, s.lastPoll])).toEqual([[100, 59]]);
  });

  test('health wait: every 15 seconds for 20 minutes by default, or as given', () => {
    const defaults = templateOf().definition;
    expect(defaults.States.WaitForIdleSlot.Seconds).toBe(15);
    expect(defaults.States.IdleSlotSteady.Choices).toContainEqual(expect.objectContaining({ Variable: '$.health.count', NumericGreaterThanEquals: 79 }));
    const given = templateOf({ healthPollInterval: seconds(30), healthTimeout: minutes(5) }).definition;
    expect(given.States.WaitForIdleSlot.Seconds).toBe(30);
    expect(given.States.IdleSlotSteady.Choices).toContainEqual(expect.objectContaining({ Variable: '$.health.count', NumericGreaterThanEquals: 9 }));
  });

  test('no approval state without enableApprovalBeforeLastStep', () => {
    const { definition, template } = templateOf();
    expect(Object.keys(definition.States)).not.toContain('RequestApproval');
    expect(planOf(definition).every((s) => !s.approvalBefore)).toBe(true);
    template.resourceCountIs('AWS::SNS::Topic', 1); // the environment's alarm topic only
  });

  test('enableApprovalBeforeLastStep: a task-token approval before the last step only, timing out after a day by default', () => {
    const { canary, definition } = templateOf({ enableApprovalBeforeLastStep: true });
    expect(planOf(definition).map((s) => s.approvalBefore)).toEqual([false, false, false, true]);
    expect(definition.States.NeedsApproval.Choices[0].Next).toBe('RequestApproval');
    expect(definition.States.RequestApproval).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish.waitForTaskToken',
      Parameters: { TopicArn: `<Ref ${idOf(canary.approvalTopic as sns.Topic)}>` },
      TimeoutSeconds: 86_400,
    });
    const twoHours = templateOf({ enableApprovalBeforeLastStep: true, approvalTimeout: Duration.hours(2) }).definition;
    expect(twoHours.States.RequestApproval.TimeoutSeconds).toBe(7200);
  });

  test('scale-in states only with OldSlot.SCALE_IN', () => {
    const scaleInStates = ['RestoreIdleScaling', 'RestoreBlueScaling', 'RestoreGreenScaling', 'RetireOldSlot', 'RetireBlueScaling', 'RetireGreenScaling', 'ScaleInOldSlot'];
    const keepWarm = templateOf().definition;
    expect(Object.keys(keepWarm.States).filter((s) => scaleInStates.includes(s))).toEqual([]);
    expect(Object.keys(templateOf({ oldSlot: OldSlot.KEEP_WARM }).definition.States).filter((s) => scaleInStates.includes(s))).toEqual([]);

    const scaleIn = templateOf({ oldSlot: OldSlot.SCALE_IN }).definition;
    expect(Object.keys(scaleIn.States).filter((s) => scaleInStates.includes(s)).sort()).toEqual([...scaleInStates].sort());
    expect(scaleIn.States.ScaleInOldSlot.Parameters).toMatchObject({ DesiredCount: 0 });
    expect(scaleIn.States.RestoreBlueScaling.Parameters).toMatchObject({ MinCapacity: 2, MaxCapacity: 10, ServiceNamespace: 'ecs' });
  });

  test('scale-in of slots that do not scale: no scaling targets to restore or retire', () => {
    const { definition } = templateOf((w) => ({ oldSlot: OldSlot.SCALE_IN, serviceProps: slotService(w.env, { minTasks: 2, maxTasks: 2 }) }));
    expect(Object.keys(definition.States)).toEqual(expect.arrayContaining(['RestoreIdleScaling', 'RetireOldSlot', 'ScaleInOldSlot']));
    expect(Object.keys(definition.States).filter((s) => /^(Restore|Retire)(Blue|Green)Scaling$/.test(s))).toEqual([]);
  });

  test('each slot in the definition: its service, task definition and alarms', () => {
    const { canary, definition } = templateOf();
    const blue = definition.States.BlueIsLive.Result.live;
    expect(blue).toMatchObject({
      name: 'blue',
      serviceArn: `<Ref ${idOf(canary.blue.service)}>`,
      taskDefinitionArn: `<Ref ${idOf(canary.blue.taskDefinition)}>`,
      alarmNames: [`<Ref ${idOf(canary.blueAlarm!)}>`],
      record: { Name: 'users.example.com.', Type: 'A', SetIdentifier: 'blue' },
    });
    expect(definition.States.GreenIsLive.Result.idle).toEqual(blue);
    expect(definition.States.BlueIsLive.Result.idle.alarmNames).toEqual([`<Ref ${idOf(canary.greenAlarm!)}>`]);
  });
});

// ---------------------------------------------------------------------------------------
// Alarms.
// ---------------------------------------------------------------------------------------

describe('alarms', () => {
  test('default alarms per slot: 5XX rate, p99 latency, unhealthy hosts, in a composite with the error log alarm', () => {
    const { canary, template } = templateOf();
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 2);
    for (const [slot, service, composite] of [['Blue', canary.blue, canary.blueAlarm], ['Green', canary.green, canary.greenAlarm]] as const) {
      const targetGroup = idOf(service.targetGroup!);
      const [errorsId, errors] = only(template, 'AWS::CloudWatch::Alarm', `Users${slot}AlarmsErrorRate`);
      expect(errors.Properties).toMatchObject({ Threshold: 5, EvaluationPeriods: 2, DatapointsToAlarm: 2, ComparisonOperator: 'GreaterThanThreshold' });
      const metrics = errors.Properties.Metrics as any[];
      expect(metrics.find((m) => m.Expression)?.Expression).toBe('IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)');
      expect(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat.Metric.MetricName, m.MetricStat.Period, m.MetricStat.Stat])).toEqual([
        ['errors', 'HTTPCode_Target_5XX_Count', 60, 'Sum'], ['requests', 'RequestCount', 60, 'Sum'],
      ]);
      expect(JSON.stringify(metrics)).toContain(targetGroup);
      const [latencyId, latency] = only(template, 'AWS::CloudWatch::Alarm', `Users${slot}AlarmsLatency`);
      expect(latency.Properties).toMatchObject({ MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99', Threshold: 2, Period: 60, EvaluationPeriods: 2 });
      const [unhealthyId, unhealthy] = only(template, 'AWS::CloudWatch::Alarm', `Users${slot}AlarmsUnhealthyHosts`);
      expect(unhealthy.Properties).toMatchObject({ MetricName: 'UnHealthyHostCount', Statistic: 'Maximum', Threshold: 0 });
      const [compositeId, compositeResource] = only(template, 'AWS::CloudWatch::CompositeAlarm', `Users${slot}AlarmsComposite`);
      expect(compositeId).toBe(idOf(composite!));
      const rule = JSON.stringify(compositeResource.Properties.AlarmRule);
      for (const child of [errorsId, latencyId, unhealthyId, idOf(service.errorAlarm!)]) expect(rule).toContain(child);
      expect(compositeResource.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^EnvAlarmTopic/) }]);
    }
  });

  test('every alarm the canary creates notifies the environment\'s alarm topic', () => {
    const { template } = templateOf();
    const mine = [...resourcesOf(template, 'AWS::CloudWatch::Alarm', 'Users'), ...resourcesOf(template, 'AWS::CloudWatch::CompositeAlarm', 'Users')];
    expect(mine.length).toBe(10); // 3 + composite per slot, and each slot's error log alarm
    for (const [id, alarm] of mine) {
      expect([id, alarm.Properties.AlarmActions]).toEqual([id, [{ Ref: expect.stringMatching(/^EnvAlarmTopic/) }]]);
    }
  });

  test('errorRatePercent, latencyThreshold, alarmPeriod and alarmEvaluationPeriods set the default alarms', () => {
    const { template } = templateOf({
      errorRatePercent: 1.5,
      latencyThreshold: Duration.millis(750),
      alarmPeriod: minutes(2),
      alarmEvaluationPeriods: 4,
      steps: CanaryStep.standard(minutes(8)),
    });
    const [, errors] = only(template, 'AWS::CloudWatch::Alarm', 'UsersBlueAlarmsErrorRate');
    expect(errors.Properties).toMatchObject({ Threshold: 1.5, EvaluationPeriods: 4, DatapointsToAlarm: 4 });
    expect((errors.Properties.Metrics as any[]).filter((m) => m.MetricStat).map((m) => m.MetricStat.Period)).toEqual([120, 120]);
    const [, latency] = only(template, 'AWS::CloudWatch::Alarm', 'UsersGreenAlarmsLatency');
    expect(latency.Properties).toMatchObject({ Threshold: 0.75, Period: 120, EvaluationPeriods: 4 });
  });

  test('defaultAlarms: false with alarms: only those alarms, in the definition and the role', () => {
    const { canary, template, definition } = templateOf((w) => ({ defaultAlarms: false, alarms: [importedAlarm(w.stack, 'bus-dlq')] }));
    expect(canary.blueAlarm).toBeUndefined();
    expect(canary.greenAlarm).toBeUndefined();
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
    expect(resourcesOf(template, 'AWS::CloudWatch::Alarm', 'Users').map(([id]) => id).every((id) => /ErrorAlarm/.test(id))).toBe(true);
    expect(definition.States.BlueIsLive.Result.live.alarmNames).toEqual(['bus-dlq']);
    expect(definition.States.BlueIsLive.Result.idle.alarmNames).toEqual(['bus-dlq']);
    const read = statementsOf(template, idOf(canary.stateMachine.role)).find((s) => s.Sid === 'ReadAlarms');
    expect([read.Resource].flat()).toEqual(['arn:aws:cloudwatch:us-east-1:111111111111:alarm:bus-dlq']);
  });

  test('addAlarm: idempotent, after construction too; its name lands in both slots\' alarm lists and the role', () => {
    const w = canaryWorld();
    const dlq = importedAlarm(w.stack, 'bus-dlq');
    const canary = new CanaryDeployment(w.stack, 'Users', propsIn(w, { alarms: [dlq, dlq] }));
    canary.addAlarm(dlq);
    const late = importedAlarm(w.stack, 'late');
    canary.addAlarm(late);
    canary.addAlarm(late);
    expect(canary.alarms).toEqual([dlq, late]);
    const definition = definitionOf(canary);
    expect(definition.States.BlueIsLive.Result.live.alarmNames).toEqual([`<Ref ${idOf(canary.blueAlarm!)}>`, 'bus-dlq', 'late']);
    expect(definition.States.BlueIsLive.Result.idle.alarmNames).toEqual([`<Ref ${idOf(canary.greenAlarm!)}>`, 'bus-dlq', 'late']);
    const read = statementsOf(Template.fromStack(w.stack), idOf(canary.stateMachine.role)).find((s) => s.Sid === 'ReadAlarms');
    expect(read.Resource).toEqual([
      { 'Fn::GetAtt': [idOf(canary.blueAlarm!), 'Arn'] }, { 'Fn::GetAtt': [idOf(canary.greenAlarm!), 'Arn'] },
      'arn:aws:cloudwatch:us-east-1:111111111111:alarm:bus-dlq', 'arn:aws:cloudwatch:us-east-1:111111111111:alarm:late',
    ]);
  });

  test('addAlarm refuses what is not an alarm, naming addAlarm', () => {
    const { canary } = build();
    const err = thrownBy(() => canary.addAlarm('bus-dlq' as any));
    expectCanaryRefusal(err, PATH, ['addAlarm']);
  });

  test('metricWeight and metricStep: the namespace and dimensions the state machine publishes with; Maximum by default', () => {
    const { canary } = build();
    const weight = canary.metricWeight('green');
    expect([weight.namespace, weight.metricName, weight.dimensions, weight.statistic]).toEqual(
      ['CdkMicroservices/Canary', 'Weight', { Canary: PATH, Slot: 'green' }, 'Maximum']);
    expect(canary.metricWeight('blue', { period: Duration.minutes(1), statistic: 'Average', dimensionsMap: { Slot: 'other' } })).toMatchObject({
      dimensions: { Canary: PATH, Slot: 'blue' }, statistic: 'Average', period: Duration.minutes(1),
    });
    const step = canary.metricStep();
    expect([step.namespace, step.metricName, step.dimensions, step.statistic]).toEqual(['CdkMicroservices/Canary', 'Step', { Canary: PATH }, 'Maximum']);
    // The state machine publishes with the same names.
    const put = definitionOf(canary).States.PublishStepMetrics.Parameters;
    expect(put.Namespace).toBe(weight.namespace);
    expect(put.MetricData.map((d: any) => d.MetricName)).toEqual(['Weight', 'Weight', 'Step']);
    expect(put.MetricData[0].Dimensions).toEqual([{ Name: 'Canary', Value: PATH }, { 'Name': 'Slot', 'Value.$': '$.slots.idle.name' }]);
  });

  test('a construct path longer than a dimension value (255 characters: aws-cdk-lib\'s limit, CloudWatch takes 1024) keeps its end, ASCII only', () => {
    const w = canaryWorld();
    let scope: Construct = w.stack;
    for (let i = 0; i < 3; i++) scope = new Construct(scope, `Ünit${'x'.repeat(100)}${i}`);
    const canary = new CanaryDeployment(scope, 'Users', propsIn(w));
    const value = canary.metricStep().dimensions!.Canary as string;
    expect(canary.node.path.length).toBeGreaterThan(255);
    expect(value.length).toBe(255);
    expect(value).toMatch(/^\.\.\.[\x20-\x7e]*\/Users$/);
    expect(definitionOf(canary).States.PublishRollbackMetrics.Parameters.MetricData[2].Dimensions).toEqual([{ Name: 'Canary', Value: value }]);
  });

  test('metricWeight refuses a slot that is neither blue nor green, naming the method and the valid slots', () => {
    const { canary } = build();
    for (const slot of ['purple', 'Blue', '']) {
      const err = thrownBy(() => canary.metricWeight(slot));
      const refusal = expectCanaryRefusal(err, PATH, ['metricWeight']);
      expect(refusal.message).toContain(`'${slot}'`);
      expect(refusal.message).toContain('\'blue\' or \'green\'');
    }
  });

  test('the role may PutMetricData in the rollout namespace only (no resource-level permission: "*" by condition, acknowledged)', () => {
    const { canary, stack } = build();
    const put = statementsOf(Template.fromStack(stack), idOf(canary.stateMachine.role)).find((s) => s.Sid === 'PublishRolloutMetrics');
    expect(put).toEqual({
      Sid: 'PublishRolloutMetrics',
      Effect: 'Allow',
      Action: 'cloudwatch:PutMetricData',
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'CdkMicroservices/Canary' } },
    });
  });

  test('addAlarm refuses a 91st alarm with an error that names the method', () => {
    const w = canaryWorld();
    const canary = new CanaryDeployment(w.stack, 'Users', propsIn(w));
    for (let i = 0; i < 90; i++) canary.addAlarm(importedAlarm(w.stack, `a${i}`));
    const err = thrownBy(() => canary.addAlarm(importedAlarm(w.stack, 'one-too-many')));
    expectCanaryRefusal(err, PATH, ['addAlarm', 'alarms']);
  });
});

// ---------------------------------------------------------------------------------------
// Approval topic, push rule, grants, durations.
// ---------------------------------------------------------------------------------------

describe('approval topic', () => {
  test('with a long construct path, the created topic\'s display name stays within SNS\'s 100 characters', () => {
    const w = canaryWorld();
    const deep = new Construct(new Construct(w.stack, 'PaymentsTeamWithAVeryLongAndDescriptiveName'), 'CheckoutAndSettlementServicesOfTheEuropeanRegion');
    const canary = new CanaryDeployment(deep, 'Users', { ...propsIn(w, { enableApprovalBeforeLastStep: true }), serviceProps: slotService(w.env, { serviceName: 'users' }) });
    expect(canary.node.path.length).toBeGreaterThan(100);
    Template.fromStack(w.stack).hasResourceProperties('AWS::SNS::Topic', {
      DisplayName: Match.stringLikeRegexp('^Rollout approvals of \\.\\.\\..*/Users$'),
    });
    const subject: string = definitionOf(canary).States.RequestApproval.Parameters.Subject;
    expect(subject.length).toBeLessThanOrEqual(100);
    expect(subject).toMatch(/^Canary rollout of \.\.\..*\/Users waits for approval$/);
  });

  test.each([
    ['without approval: no KMS action wildcard to acknowledge (the state key gets precise actions)', false, []],
    ['with approval: only grantPublish\'s kms:GenerateDataKey* on the topic key', true, ['AwsSolutions-IAM5[Action::kms:GenerateDataKey*]']],
  ])('acknowledgements of the state machine role, %s', (_name, enableApprovalBeforeLastStep, expected) => {
    const { canary } = build({ enableApprovalBeforeLastStep });
    const acknowledged = canary.stateMachine.role.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.keys(m.data as object));
    expect(acknowledged.filter((id) => id.includes('Action::kms:'))).toEqual(expected);
  });

  test('created: encrypted with the environment key, TLS only, the role may publish', () => {
    const { canary, template } = templateOf({ enableApprovalBeforeLastStep: true });
    const topicId = idOf(canary.approvalTopic as sns.Topic);
    expect(topicId).toMatch(/^UsersApprovalTopic/);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EnvKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topicId }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    expect(statementsOf(template, idOf(canary.stateMachine.role))).toContainEqual(
      expect.objectContaining({ Action: 'sns:Publish', Resource: { Ref: topicId } }));
  });

  test('brought: none is created; the definition and the grant use it', () => {
    const w = canaryWorld();
    const topic = sns.Topic.fromTopicArn(w.stack, 'Approvals', 'arn:aws:sns:us-east-1:111111111111:approvals');
    const canary = new CanaryDeployment(w.stack, 'Users', propsIn(w, { enableApprovalBeforeLastStep: true, approvalTopic: topic }));
    const template = Template.fromStack(w.stack);
    expect(canary.approvalTopic).toBe(topic);
    expect(resourcesOf(template, 'AWS::SNS::Topic', 'Users')).toEqual([]);
    expect(definitionOf(canary).States.RequestApproval.Parameters.TopicArn).toBe('arn:aws:sns:us-east-1:111111111111:approvals');
    expect(statementsOf(template, idOf(canary.stateMachine.role))).toContainEqual(
      expect.objectContaining({ Action: 'sns:Publish', Resource: 'arn:aws:sns:us-east-1:111111111111:approvals' }));
  });
});

describe('image repository and start on push', () => {
  test('without imageRepository: no pull grant, no rule', () => {
    const { canary, template } = templateOf();
    expect(canary.pushRule).toBeUndefined();
    template.resourceCountIs('AWS::Events::Rule', 0);
    for (const slot of canary.slots) {
      expect(statementsOf(template, idOf(slot.executionRole)).flatMap((s) => [s.Action].flat())).not.toContain('ecr:BatchGetImage');
    }
  });

  test('imageRepository: both slots\' execution roles may pull from it; no rule without startOnPush', () => {
    const w = canaryWorld();
    const repository = new ecr.Repository(w.stack, 'Images');
    const canary = new CanaryDeployment(w.stack, 'Users', propsIn(w, { imageRepository: repository }));
    const template = Template.fromStack(w.stack);
    template.resourceCountIs('AWS::Events::Rule', 0);
    for (const slot of canary.slots) {
      expect(statementsOf(template, idOf(slot.executionRole))).toContainEqual(expect.objectContaining({
        Action: expect.arrayContaining(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer']),
        Resource: { 'Fn::GetAtt': [idOf(repository), 'Arn'] },
      }));
    }
  });

  test('startOnPush: a rule on successful ECR pushes of the repository, any tag, starting the machine with the digest', () => {
    const w = canaryWorld();
    const repository = new ecr.Repository(w.stack, 'Images');
    const canary = new CanaryDeployment(w.stack, 'Users', propsIn(w, { imageRepository: repository, startOnPush: true }));
    const template = Template.fromStack(w.stack);
    expect(canary.pushRule).toBeDefined();
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        'detail': { 'action-type': ['PUSH'], 'result': ['SUCCESS'], 'repository-name': [{ Ref: idOf(repository) }], 'image-tag': [{ exists: true }] },
      },
      Targets: [Match.objectLike({
        Arn: { Ref: idOf(canary.stateMachine) },
        InputTransformer: {
          InputPathsMap: { 'detail-image-digest': '$.detail.image-digest' },
          InputTemplate: Match.anyValue(),
        },
      })],
    });
    const [, rule] = only(template, 'AWS::Events::Rule', 'UsersPushRule');
    const input = JSON.stringify(rule.Properties.Targets[0].InputTransformer.InputTemplate);
    expect(input).toContain('@<detail-image-digest>');
    expect(input).toContain('\\"rolloutId\\":<detail-image-digest>');
    expect(input).toContain(`{"Ref":"${idOf(repository)}"}`);
  });

  test('startOnPushTagPrefix: only tags with the prefix', () => {
    const w = canaryWorld();
    const repository = ecr.Repository.fromRepositoryName(w.stack, 'Images', 'users');
    new CanaryDeployment(w.stack, 'Users', propsIn(w, { imageRepository: repository, startOnPush: true, startOnPushTagPrefix: 'release-' }));
    Template.fromStack(w.stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: Match.objectLike({ 'repository-name': ['users'], 'image-tag': [{ prefix: 'release-' }] }) },
    });
  });
});

describe('grants', () => {
  test('grantStartRollout: states:StartExecution on this state machine only', () => {
    const w = canaryWorld();
    const canary = new CanaryDeployment(w.stack, 'Users', propsIn(w));
    const ci = new iam.Role(w.stack, 'Ci', { assumedBy: new iam.AccountRootPrincipal() });
    canary.grantStartRollout(ci);
    expect(statementsOf(Template.fromStack(w.stack), idOf(ci))).toEqual([
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: idOf(canary.stateMachine) } },
    ]);
  });

  test('grantReadState: read-only on the table', () => {
    const w = canaryWorld();
    const canary = new CanaryDeployment(w.stack, 'Users', propsIn(w));
    const ops = new iam.Role(w.stack, 'Ops', { assumedBy: new iam.AccountRootPrincipal() });
    canary.grantReadState(ops);
    const actions = statementsOf(Template.fromStack(w.stack), idOf(ops)).flatMap((s) => [s.Action].flat());
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions.filter((a: string) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a))).toEqual([]);
  });
});

describe('durations', () => {
  const steps = () => [CanaryStep.weight(5, seconds(60)), CanaryStep.weight(50, seconds(120)), CanaryStep.weight(100, seconds(65))];
  const timing = { alarmPollInterval: seconds(30), alarmPeriod: minutes(1), alarmEvaluationPeriods: 1 };

  test('a known plan: planned = bakes rounded up to polls + a DNS poll per step; maximum = the state machine timeout', () => {
    const { canary, definition } = templateOf({ steps: steps(), ...timing });
    // Bakes 60, 120 and 90 (65 rounded up to 3 polls of 30 s); 5 s of DNS per step.
    expect(canary.plannedDuration.toSeconds()).toBe(270 + 3 * 5);
    // Health 1200 + 15, bakes 270, per step DNS timeout 300 and a poll 30, and 300 to spare.
    expect(canary.maximumDuration.toSeconds()).toBe(1200 + 15 + 270 + 3 * (300 + 30) + 300);
    expect(canary.rollbackReaction.toSeconds()).toBe(30);
    expect(definition.TimeoutSeconds).toBe(2 * canary.maximumDuration.toSeconds());
  });

  test('the approval timeout and health timing count in the maximum only', () => {
    const { canary, definition } = templateOf({
      steps: steps(),
      ...timing,
      enableApprovalBeforeLastStep: true,
      approvalTimeout: Duration.hours(2),
      healthTimeout: minutes(10),
      healthPollInterval: seconds(20),
    });
    expect(canary.plannedDuration.toSeconds()).toBe(285);
    expect(canary.maximumDuration.toSeconds()).toBe(600 + 20 + 270 + 3 * 330 + 7200 + 300);
    expect(definition.TimeoutSeconds).toBe(2 * canary.maximumDuration.toSeconds());
  });

  test('defaults: 4 steps of 5 minutes polled every 10 s', () => {
    const { canary } = build();
    expect(canary.plannedDuration.toSeconds()).toBe(4 * 300 + 4 * 5);
    expect(canary.maximumDuration.toSeconds()).toBe(1200 + 15 + 1200 + 4 * 310 + 300);
    expect(canary.rollbackReaction.toSeconds()).toBe(10);
    expect(canary.eventSource).toBe('cdk-microservices.canary');
  });
});

// ---------------------------------------------------------------------------------------
// Brought load balancers.
// ---------------------------------------------------------------------------------------

describe('brought load balancers', () => {
  test('load balancers of the app: a host-header rule per listener, no load balancer created, records to them', () => {
    const w = canaryWorld();
    const lbs = bothOwn(w);
    const canary = new CanaryDeployment(w.stack, 'Users', propsIn(w, { ...lbs, listenerRulePriority: 7 }));
    const template = Template.fromStack(w.stack);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 2);
    expect(resourcesOf(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'Users')).toEqual([]);
    expect(resourcesOf(template, 'AWS::WAFv2::WebACLAssociation', 'Users')).toEqual([]);
    expect(canary.blueLoadBalancer).toBe(lbs.blueLoadBalancer);
    expect(canary.greenLoadBalancer).toBe(lbs.greenLoadBalancer);
    for (const [slot, listener] of [[canary.blue, lbs.blueListener!], [canary.green, lbs.greenListener!]] as const) {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
        ListenerArn: { Ref: idOf(listener) },
        Priority: 7,
        Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['users.example.com'] } }],
        Actions: [{ Type: 'forward', TargetGroupArn: { Ref: idOf(slot.targetGroup!) } }],
      });
    }
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      SetIdentifier: 'green',
      AliasTarget: Match.objectLike({ HostedZoneId: { 'Fn::GetAtt': [idOf(lbs.greenLoadBalancer!), 'CanonicalHostedZoneID'] } }),
    });
    // The slot's tasks admit the brought load balancer on the port.
    const lbSg = (lbs.blueLoadBalancer as elbv2.ApplicationLoadBalancer).connections.securityGroups[0];
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [idOf(canary.blue.securityGroup), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [idOf(lbSg), 'GroupId'] },
      FromPort: 8080,
    });
    expect(canary.url).toBe('https://users.example.com');
  });

  test('listenerRulePriority defaults to 1', () => {
    const w = canaryWorld();
    new CanaryDeployment(w.stack, 'Users', propsIn(w, bothOwn(w)));
    const rules = Object.values(Template.fromStack(w.stack).findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(rules.map((r) => r.Properties.Priority)).toEqual([1, 1]);
  });

  test('imported load balancers and listeners: rules on the listener ARNs, records to the imported names', () => {
    const w = canaryWorld();
    const blue = importedLoadBalancer(w, 'BlueLb');
    const green = importedLoadBalancer(w, 'GreenLb');
    new CanaryDeployment(w.stack, 'Users', propsIn(w, {
      blueLoadBalancer: blue.loadBalancer,
      blueListener: blue.listener,
      greenLoadBalancer: green.loadBalancer,
      greenListener: green.listener,
      listenerRulePriority: 40,
    }));
    const template = Template.fromStack(w.stack);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 0);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: blue.listener.listenerArn,
      Priority: 40,
      Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: ['users.example.com'] } }],
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      SetIdentifier: 'green',
      AliasTarget: { DNSName: 'dualstack.greenlb-123.us-east-1.elb.amazonaws.com', HostedZoneId: 'Z35SXDOTRQ7X7K', EvaluateTargetHealth: true },
    });
  });

  test('imported load balancers without a VPC are accepted (nothing to compare)', () => {
    const w = canaryWorld();
    const blue = importedLoadBalancer(w, 'BlueLb', undefined);
    const green = importedLoadBalancer(w, 'GreenLb', undefined);
    expect(() => new CanaryDeployment(w.stack, 'Users', propsIn(w, {
      blueLoadBalancer: blue.loadBalancer, blueListener: blue.listener, greenLoadBalancer: green.loadBalancer, greenListener: green.listener,
    }))).not.toThrow();
  });

  test('slots in different VPCs are accepted with allowSlotsInDifferentVpcs', () => {
    const w = canaryWorld();
    const blue = ownLoadBalancer(w, 'BlueLb', otherVpc(w.stack, 'BlueVpc', 'vpc-0aaaaaaaaaaaaaaaa'));
    const green = ownLoadBalancer(w, 'GreenLb', otherVpc(w.stack, 'GreenVpc', 'vpc-0bbbbbbbbbbbbbbbb'));
    const canary = new CanaryDeployment(w.stack, 'Users', propsIn(w, {
      blueLoadBalancer: blue.loadBalancer,
      blueListener: blue.listener,
      greenLoadBalancer: green.loadBalancer,
      greenListener: green.listener,
      allowSlotsInDifferentVpcs: true,
    }));
    expect(canary.blueLoadBalancer).toBe(blue.loadBalancer);
    Template.fromStack(w.stack).resourceCountIs('AWS::ElasticLoadBalancingV2::ListenerRule', 2);
  });
});

// ---------------------------------------------------------------------------------------
// Tokens.
// ---------------------------------------------------------------------------------------

describe('tokens', () => {
  const lazy = (n: number) => Lazy.number({ produce: () => n });

  test('numbers the validation skips when they are tokens are accepted and resolve in the template', () => {
    const { template } = templateOf((w) => ({
      errorRatePercent: lazy(3),
      alarmEvaluationPeriods: lazy(3),
      serviceProps: slotService(w.env, { minTasks: lazy(2), maxTasks: 4 }),
    }));
    const [, errors] = only(template, 'AWS::CloudWatch::Alarm', 'UsersBlueAlarmsErrorRate');
    expect(errors.Properties).toMatchObject({ Threshold: 3, EvaluationPeriods: 3 });
  });

  test('a token listenerRulePriority on brought listeners', () => {
    const w = canaryWorld();
    new CanaryDeployment(w.stack, 'Users', propsIn(w, { ...bothOwn(w), listenerRulePriority: lazy(12) }));
    const rules = Object.values(Template.fromStack(w.stack).findResources('AWS::ElasticLoadBalancingV2::ListenerRule'));
    expect(rules.map((r) => r.Properties.Priority)).toEqual([12, 12]);
  });

  test('a token recordName: the records and the role\'s record-name condition get its value', () => {
    const { canary, template } = templateOf({ recordName: Lazy.string({ produce: () => 'users' }) });
    template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'users.example.com.', SetIdentifier: 'blue' });
    const shift = statementsOf(template, idOf(canary.stateMachine.role)).find((s) => s.Sid === 'ShiftWeights');
    // BUG: the name is lower-cased as a string, which breaks the token ("${token[token.123]}").
    expect(shift.Condition['ForAllValues:StringEquals']['route53:ChangeResourceRecordSetsNormalizedRecordNames']).toEqual(['users.example.com']);
  });

  // These durations set the plan, the poll counts and the state machine's timeout at synth
  // time (or a CloudWatch period, or a computed threshold): a token cannot be used, so the
  // construct must refuse it with its own error instead of failing in CDK or producing a
  // definition whose timeout and poll counts are wrong (both happen today).
  test.each([
    ['alarmPollInterval', { alarmPollInterval: Duration.seconds(lazy(10)) }],
    ['healthTimeout', { healthTimeout: Duration.seconds(lazy(600)) }],
    ['healthPollInterval', { healthPollInterval: Duration.seconds(lazy(15)) }],
    ['approvalTimeout', { enableApprovalBeforeLastStep: true, approvalTimeout: Duration.seconds(lazy(600)) }],
    ['alarmPeriod', { alarmPeriod: Duration.seconds(lazy(60)) }],
    ['latencyThreshold', { latencyThreshold: Duration.seconds(lazy(1)) }],
    ['recordTtl', { recordTtl: Duration.seconds(lazy(60)) }],
  ] as Array<[string, Partial<CanaryDeploymentProps>]>)('a token %s is refused by the canary (it is computed with at synth time)', (prop, extra) => {
    const err = thrownBy(() => {
      const { stack } = build(extra);
      Template.fromStack(stack);
    });
    expectCanaryRefusal(err, PATH, [prop]);
  });
});

// ---------------------------------------------------------------------------------------
// Validation.
// ---------------------------------------------------------------------------------------

type Case = [string, Extra, string, RegExp?];

/** Builds the case and checks the refusal names CanaryDeployment, the path and the prop. */
function expectRefused(extra: Extra, prop: string, pattern?: RegExp, world: { certificate?: boolean } = {}): string {
  const w = canaryWorld(world);
  const err = thrownBy(() => new CanaryDeployment(w.stack, 'Users', propsIn(w, extra)));
  const { message } = expectCanaryRefusal(err, PATH, PROPS);
  expect(message).toContain(`\`${prop}`);
  if (pattern) expect(message).toMatch(pattern);
  return message;
}

const step = CanaryStep.weight;

describe('validation: steps', () => {
  test.each<Case>([
    ['not rising (equal)', { steps: [step(50, minutes(5)), step(50, minutes(5)), step(100, minutes(5))] }, 'steps[1]', /does not rise above the step before \(50%\)/],
    ['falling', { steps: [step(60, minutes(5)), step(40, minutes(5)), step(100, minutes(5))] }, 'steps[1]', /40% does not rise/],
    ['not ending at 100', { steps: [step(10, minutes(5)), step(50, minutes(5))] }, 'steps', /ends at 50%/],
    ['weight 0', { steps: [step(0, minutes(5)), step(100, minutes(5))] }, 'steps[0]', /weight 0 is not valid/],
    ['weight 101', { steps: [step(50, minutes(5)), step(101, minutes(5))] }, 'steps[1]', /weight 101 is not valid/],
    ['weight 2.5', { steps: [step(2.5, minutes(5)), step(100, minutes(5))] }, 'steps[0]', /weight 2.5 is not valid/],
    ['weight NaN', { steps: [step(NaN, minutes(5)), step(100, minutes(5))] }, 'steps[0]', /is not valid/],
    ['weight as a string', { steps: [step('50' as any, minutes(5)), step(100, minutes(5))] }, 'steps[0]', /weight '50'/],
    ['linear with a bad step percent', { steps: CanaryStep.linear(0, minutes(5)) }, 'steps[0]', /weight 0/],
    ['bake shorter than the default alarm window (2 minutes)', { steps: [step(50, seconds(119)), step(100, minutes(5))] }, 'steps[0]',
      /shorter than the alarm evaluation window \(2 minutes/],
    ['bake shorter than alarmPeriod x alarmEvaluationPeriods', { alarmPeriod: minutes(5), steps: CanaryStep.standard(minutes(9)) }, 'steps[0]',
      /evaluation window \(10 minutes/],
    ['bake shorter than the window of custom evaluation periods', { alarmEvaluationPeriods: 5, steps: CanaryStep.standard(minutes(4)) }, 'steps[0]',
      /evaluation window \(5 minutes/],
    ['bake shorter than a 1 minute x 3 window', { alarmPeriod: minutes(1), alarmEvaluationPeriods: 3, steps: [step(100, seconds(179))] }, 'steps[0]', /window/],
    ['bake in fractions of a second', { steps: [step(100, Duration.millis(180_500))] }, 'steps[0]', /whole seconds/],
    ['bake over a day', { steps: [step(100, Duration.hours(25))] }, 'steps[0]', /whole seconds from 1 second to 1 day/],
    ['bake not a Duration', { steps: [step(100, 300 as any)] }, 'steps[0]', /bake 300 is not a Duration/],
    ['empty steps', { steps: [] }, 'steps', /\[\] is not a list of CanaryStep/],
    ['steps not a list', { steps: 'standard' as any }, 'steps', /not a list of CanaryStep/],
    ['a plain object for a step', { steps: [{ percent: 100, bake: minutes(5) } as any] }, 'steps[0]', /is not a CanaryStep/],
    ['null for a step', { steps: [null as any, step(100, minutes(5))] }, 'steps[0]', /null is not a CanaryStep/],
    ['a string for a step', { steps: [step(50, minutes(5)), 'step' as any, step(100, minutes(5))] }, 'steps[1]', /'step' is not a CanaryStep/],
    ['more than 20 steps', { steps: CanaryStep.linear(1, minutes(2)) }, 'steps', /has 100 steps; use at most 20/],
  ])('%s', (_, extra, prop, pattern) => {
    expectRefused(extra, prop, pattern);
  });

  test('the bake equal to the alarm window is accepted, and so are 20 steps', () => {
    expect(() => build({ alarmPeriod: minutes(1), alarmEvaluationPeriods: 3, steps: [step(100, seconds(180))] })).not.toThrow();
    expect(() => build({ steps: CanaryStep.linear(5, minutes(2)) })).not.toThrow();
  });

  test('without default alarms, no alarm window applies to the bakes', () => {
    expect(() => build((w) => ({ defaultAlarms: false, alarms: [importedAlarm(w.stack, 'x')], steps: [step(100, seconds(1))] }))).not.toThrow();
  });

  test('the default steps are checked against the alarm window too', () => {
    // BUG: validateSteps returns when `steps` is undefined, so CanaryStep.standard()'s 5-minute
    // bakes are never compared with a 10-minute window.
    expectRefused({ alarmPeriod: minutes(5) }, 'steps', /shorter than the alarm evaluation window \(10 minutes/);
  });

  test('a hole in the steps is a step that is not a CanaryStep', () => {
    // BUG: forEach skips holes, so [, step] passes and the plan gets a null step.
    // eslint-disable-next-line no-sparse-arrays
    expectRefused({ steps: [, step(100, minutes(5))] as any }, 'steps[0]', /is not a CanaryStep/);
  });

  test('a plan too long for one execution history is refused', () => {
    // BUG: accepted today. One execution runs the whole rollout, and each alarm poll of a bake
    // is 4 states and 11 history events (Wait 2, Task 5, Choice 2, Pass 2). A 12-hour bake
    // polled every 10 s is 4,320 polls, about 47,500 events; Step Functions fails a Standard
    // execution at 25,000, mid-rollout: no Catch runs, so the weights stay split and the lock
    // in the table is never released (every later rollout fails with RolloutInProgress).
    const w = canaryWorld();
    const err = thrownBy(() => new CanaryDeployment(w.stack, 'Users', propsIn(w, { steps: [step(50, Duration.hours(12)), step(100, minutes(5))] })));
    const { message } = expectCanaryRefusal(err, PATH, PROPS);
    expect(message).toMatch(/`(steps|alarmPollInterval)/);
  });

  test('a long plan within one execution history is accepted', () => {
    // 4 bakes of 30 minutes polled every 10 s: 720 polls, about 8,000 events with the health wait.
    expect(() => build({ steps: CanaryStep.standard(minutes(30)) })).not.toThrow();
    expect(() => build({ steps: [step(50, Duration.hours(12)), step(100, minutes(5))], alarmPollInterval: minutes(5) })).not.toThrow();
  });

  test('every problem of the steps in one error', () => {
    const message = expectRefused({ steps: [step(50, seconds(30)), step(20, minutes(5)), step(2.5, minutes(5))] }, 'steps[0]');
    expect(message).toMatch(/`steps\[0\]` bake 30 seconds is shorter/);
    expect(message).toMatch(/`steps\[1\]` weight 20% does not rise/);
    expect(message).toMatch(/`steps\[2\]` weight 2.5 is not valid/);
    expect(message).toMatch(/`steps` ends at 2.5%/);
  });
});

describe('validation: the record', () => {
  test.each<Case>([
    ['recordName not in the zone', { recordName: 'users.other.org' }, 'recordName', /not in the hosted zone 'example.com'/],
    ['recordName a suffix of the zone name but not in it', { recordName: 'users.notexample.com' }, 'recordName', /not in the hosted zone/],
    ['recordName not a DNS name', { recordName: 'users_api!' }, 'recordName', /is not a DNS name/],
    ['recordName empty', { recordName: '' }, 'recordName', /is not a DNS name/],
    ['recordName missing', { recordName: undefined }, 'recordName', /is missing/],
    ['recordName not a string', { recordName: 42 as any }, 'recordName', /42 is not a string/],
    ['recordTtl at the apex', { recordName: 'example.com', recordTtl: seconds(60) }, 'recordTtl', /cannot be at the zone apex 'example.com'/],
    ['recordTtl at the apex, fully qualified with a dot', { recordName: 'EXAMPLE.com.', recordTtl: seconds(60) }, 'recordTtl', /zone apex/],
    ['recordTtl 0', { recordTtl: seconds(0) }, 'recordTtl', /whole seconds from 1 to 86400/],
    ['recordTtl in fractions of a second', { recordTtl: Duration.millis(1500) }, 'recordTtl', /not valid/],
    ['recordTtl over a day', { recordTtl: Duration.days(2) }, 'recordTtl', /not valid/],
    ['recordTtl not a Duration', { recordTtl: 60 as any }, 'recordTtl', /60 is not a Duration/],
  ])('%s', (_, extra, prop, pattern) => {
    expectRefused(extra, prop, pattern);
  });

  test('hostedZone that is not a hosted zone', () => {
    expectRefused({ hostedZone: 'Z123' as any }, 'hostedZone', /is not a route53.IHostedZone/);
  });

  test('a hosted zone imported without its name (fromHostedZoneId) is refused with our error', () => {
    // BUG: reading zoneName of HostedZone.fromHostedZoneId() throws CDK's own error.
    expectRefused((w) => ({ hostedZone: route53.HostedZone.fromHostedZoneId(w.stack, 'ById', 'Z999') }), 'hostedZone');
  });
});

describe('validation: load balancers', () => {
  const slots = (w: CanaryWorld, blueVpc: ec2.IVpc, greenVpc: ec2.IVpc): Partial<CanaryDeploymentProps> => {
    const blue = ownLoadBalancer(w, 'BlueLb', blueVpc);
    const green = ownLoadBalancer(w, 'GreenLb', greenVpc);
    return { blueLoadBalancer: blue.loadBalancer, blueListener: blue.listener, greenLoadBalancer: green.loadBalancer, greenListener: green.listener };
  };

  test.each<Case>([
    ['slots in different VPCs', (w) => slots(w, w.vpc, otherVpc(w.stack, 'Other')), 'blueLoadBalancer', /are in different VPCs/],
    ['a load balancer outside the environment\'s VPC', (w) => {
      const vpc = otherVpc(w.stack, 'Other');
      return slots(w, vpc, vpc);
    }, 'blueLoadBalancer', /is not in the environment's VPC/],
    ['the green load balancer outside the environment\'s VPC', (w) => slots(w, w.vpc, otherVpc(w.stack, 'Other')), 'greenLoadBalancer',
      /`greenLoadBalancer` is not in the environment's VPC/],
    ['only the blue slot brought', (w) => {
      const blue = ownLoadBalancer(w, 'BlueLb');
      return { blueLoadBalancer: blue.loadBalancer, blueListener: blue.listener };
    }, 'blueLoadBalancer', /bring load balancers for both slots/],
    ['a listener without its load balancer', (w) => ({ ...bothOwn(w), blueLoadBalancer: undefined }), 'blueListener', /`blueListener` needs `blueLoadBalancer`/],
    ['a load balancer without its listener', (w) => ({ ...bothOwn(w), greenListener: undefined }), 'greenLoadBalancer', /needs `greenListener`/],
    ['certificate with brought load balancers', (w) => ({ ...bothOwn(w), certificate: acm.Certificate.fromCertificateArn(w.stack, 'C', CANARY_CERT) }),
      'certificate', /with brought load balancers, remove it/],
    ['allowPlainHttp with brought load balancers', (w) => ({ ...bothOwn(w), allowPlainHttp: true }), 'allowPlainHttp', /brought load balancers/],
    ['internetFacing with brought load balancers', (w) => ({ ...bothOwn(w), internetFacing: false }), 'internetFacing', /brought load balancers/],
    ['loadBalancerDeletionProtection with brought load balancers', (w) => ({ ...bothOwn(w), loadBalancerDeletionProtection: false }),
      'loadBalancerDeletionProtection', /brought load balancers/],
    ['listenerRulePriority 0', (w) => ({ ...bothOwn(w), listenerRulePriority: 0 }), 'listenerRulePriority', /whole number from 1 to 50000/],
    ['listenerRulePriority 50001', (w) => ({ ...bothOwn(w), listenerRulePriority: 50001 }), 'listenerRulePriority', /from 1 to 50000/],
    ['listenerRulePriority 1.5', (w) => ({ ...bothOwn(w), listenerRulePriority: 1.5 }), 'listenerRulePriority', /from 1 to 50000/],
    ['listenerRulePriority without brought listeners', { listenerRulePriority: 3 }, 'listenerRulePriority', /applies to brought listeners/],
    ['allowSlotsInDifferentVpcs without brought load balancers', { allowSlotsInDifferentVpcs: true }, 'allowSlotsInDifferentVpcs', /brought load balancers/],
  ])('%s', (_, extra, prop, pattern) => {
    expectRefused(extra, prop, pattern);
  });

  test('one load balancer and listener for both slots is refused (two rules of one priority and host on one listener)', () => {
    // BUG: accepted today; CloudFormation then fails on the second rule (priority in use), and
    // both weighted records point at the same load balancer, so weights shift nothing.
    expectRefused((w) => {
      const shared = ownLoadBalancer(w, 'SharedLb');
      return {
        blueLoadBalancer: shared.loadBalancer, blueListener: shared.listener, greenLoadBalancer: shared.loadBalancer, greenListener: shared.listener,
      };
    }, 'greenListener');
  });

  test.each<Case>([
    ['blueLoadBalancer', (w) => ({ ...bothOwn(w), blueLoadBalancer: 'arn:aws:elasticloadbalancing:us-east-1:111111111111:loadbalancer/app/x/1' as any }), 'blueLoadBalancer'],
    ['greenListener', (w) => ({ ...bothOwn(w), greenListener: 'arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/x/1/2' as any }), 'greenListener'],
  ])('a %s of the wrong kind is refused by the canary', (_, extra, prop) => {
    // BUG: not kind-checked; the slot's TwelveFactorService reports `listener` (or the VPC
    // check reads undefined) instead of the canary naming its own prop.
    expectRefused(extra, prop);
  });
});

describe('validation: the service', () => {
  test.each<Case>([
    ['serviceProps with hostName', (w) => ({ serviceProps: slotService(w.env, { hostName: 'users.example.com' }) }), 'serviceProps.hostName', /is not used by a canary/],
    ['serviceProps with pathPatterns', (w) => ({ serviceProps: slotService(w.env, { pathPatterns: ['/users/*'] }) }), 'serviceProps.pathPatterns', /not used by a canary/],
    ['serviceProps with routePriority', (w) => ({ serviceProps: slotService(w.env, { routePriority: 3 }) }), 'serviceProps.routePriority', /not used by a canary/],
    ['serviceProps with listener', (w) => ({ serviceProps: slotService(w.env, { listener: bothOwn(w).blueListener }) }), 'serviceProps.listener', /not used by a canary/],
    ['a CANARY deploymentStrategy', (w) => ({ serviceProps: slotService(w.env, { deploymentStrategy: ecs.DeploymentStrategy.CANARY }) }),
      'serviceProps.deploymentStrategy', /use ROLLING or leave it out/],
    ['a BLUE_GREEN deploymentStrategy', (w) => ({ serviceProps: slotService(w.env, { deploymentStrategy: ecs.DeploymentStrategy.BLUE_GREEN }) }),
      'serviceProps.deploymentStrategy', /shifts traffic itself/],
    ['a LINEAR deploymentStrategy', (w) => ({ serviceProps: slotService(w.env, { deploymentStrategy: ecs.DeploymentStrategy.LINEAR }) }),
      'serviceProps.deploymentStrategy', /ROLLING/],
    ['no port', (w) => ({ serviceProps: slotService(w.env, { port: undefined }) }), 'serviceProps.port', /is missing/],
    ['minTasks 0', (w) => ({ serviceProps: slotService(w.env, { minTasks: 0 }) }), 'serviceProps.minTasks', /the live slot must serve; use 1 or more/],
    ['a serviceName too long for -green', (w) => ({ serviceProps: slotService(w.env, { serviceName: 'a'.repeat(58) }) }), 'serviceProps.serviceName', /at most 57/],
    ['serviceProps missing', { serviceProps: undefined }, 'serviceProps', /is not TwelveFactorService props/],
    ['serviceProps without an environment', { serviceProps: { image: ecs.ContainerImage.fromRegistry('nginx'), port: 80 } as any }, 'serviceProps', /with an `environment`/],
  ])('%s', (_, extra, prop, pattern) => {
    expectRefused(extra, prop, pattern);
  });

  test('an explicit ROLLING deploymentStrategy is accepted', () => {
    expect(() => build((w) => ({ serviceProps: slotService(w.env, { deploymentStrategy: ecs.DeploymentStrategy.ROLLING }) }))).not.toThrow();
  });

  test('a construct id too long for a service name is refused by the canary, naming serviceName', () => {
    // BUG: only an explicit serviceName is checked; the name from the id reaches
    // TwelveFactorService as '<name>-blue', whose error is about a name the user never gave.
    const w = canaryWorld();
    const err = thrownBy(() => new CanaryDeployment(w.stack, 'U'.repeat(60), propsIn(w)));
    expectCanaryRefusal(err, `Test/${'U'.repeat(60)}`, ['serviceName', 'serviceProps']);
  });

  test('missing props', () => {
    const w = canaryWorld();
    expectCanaryRefusal(thrownBy(() => new CanaryDeployment(w.stack, 'Users', undefined as any)), PATH, ['serviceProps', 'hostedZone', 'recordName']);
  });
});

describe('validation: certificates', () => {
  test('no certificate anywhere and no allowPlainHttp', () => {
    expectRefused({ certificate: undefined }, 'certificate', /the environment has none.*set `allowPlainHttp: true`/);
  });

  test('allowPlainHttp with a certificate', () => {
    expectRefused((w) => ({ allowPlainHttp: true, certificate: acm.Certificate.fromCertificateArn(w.stack, 'C', CANARY_CERT) }),
      'allowPlainHttp', /conflicts with `certificate`/);
  });

  test('allowPlainHttp with the environment\'s certificate: plain HTTP as asked', () => {
    const { template } = templateOf({ allowPlainHttp: true }, { certificate: true });
    expect(resourcesOf(template, 'AWS::ElasticLoadBalancingV2::Listener', 'Users').map(([, l]) => l.Properties.Protocol)).toEqual(['HTTP', 'HTTP']);
  });

  test('a certificate of the wrong kind is refused', () => {
    // BUG: not kind-checked; a string reaches the listener as a certificate without an ARN.
    expectRefused({ certificate: CANARY_CERT as any }, 'certificate');
  });
});

describe('validation: alarms and timing', () => {
  test.each<Case>([
    ['defaultAlarms off without alarms', { defaultAlarms: false }, 'defaultAlarms', /needs at least one alarm/],
    ['defaultAlarms off with an empty alarms list', { defaultAlarms: false, alarms: [] }, 'defaultAlarms', /no `alarms` are given/],
    ['alarms not a list', { alarms: 'dlq' as any }, 'alarms', /'dlq' is not a list/],
    ['errorRatePercent with default alarms off', (w) => ({ defaultAlarms: false, alarms: [importedAlarm(w.stack, 'x')], errorRatePercent: 3 }),
      'errorRatePercent', /configures the default alarms, which are off/],
    ['latencyThreshold with default alarms off', (w) => ({ defaultAlarms: false, alarms: [importedAlarm(w.stack, 'x')], latencyThreshold: seconds(1) }),
      'latencyThreshold', /which are off/],
    ['alarmPeriod with default alarms off', (w) => ({ defaultAlarms: false, alarms: [importedAlarm(w.stack, 'x')], alarmPeriod: seconds(30) }),
      'alarmPeriod', /which are off/],
    ['alarmEvaluationPeriods with default alarms off', (w) => ({ defaultAlarms: false, alarms: [importedAlarm(w.stack, 'x')], alarmEvaluationPeriods: 1 }),
      'alarmEvaluationPeriods', /which are off/],
    ['errorRatePercent 0', { errorRatePercent: 0 }, 'errorRatePercent', /above 0 up to 100/],
    ['errorRatePercent negative', { errorRatePercent: -1 }, 'errorRatePercent', /above 0 up to 100/],
    ['errorRatePercent 101', { errorRatePercent: 101 }, 'errorRatePercent', /above 0 up to 100/],
    ['errorRatePercent NaN', { errorRatePercent: NaN }, 'errorRatePercent', /above 0 up to 100/],
    ['latencyThreshold 0', { latencyThreshold: seconds(0) }, 'latencyThreshold', /more than 0 and at most 60 seconds/],
    ['latencyThreshold 61 s', { latencyThreshold: seconds(61) }, 'latencyThreshold', /at most 60 seconds/],
    ['latencyThreshold NaN', { latencyThreshold: seconds(NaN) }, 'latencyThreshold', /not valid/],
    ['alarmPeriod 20 s', { alarmPeriod: seconds(20) }, 'alarmPeriod', /load balancer metrics come once a minute, so use a multiple of 60 s/],
    ['alarmPeriod 30 s', { alarmPeriod: seconds(30) }, 'alarmPeriod', /multiple of 60 s/],
    ['alarmPeriod 90 s', { alarmPeriod: seconds(90), steps: CanaryStep.standard(minutes(10)) }, 'alarmPeriod', /multiple of 60 s/],
    ['alarmPeriod 0', { alarmPeriod: seconds(0) }, 'alarmPeriod', /multiple of 60 s/],
    ['alarmPeriod over a day', { alarmPeriod: Duration.days(2) }, 'alarmPeriod', /up to 1 day/],
    ['alarmEvaluationPeriods 0', { alarmEvaluationPeriods: 0 }, 'alarmEvaluationPeriods', /whole number from 1 to 10/],
    ['alarmEvaluationPeriods 11', { alarmEvaluationPeriods: 11 }, 'alarmEvaluationPeriods', /from 1 to 10/],
    ['alarmEvaluationPeriods 1.5', { alarmEvaluationPeriods: 1.5 }, 'alarmEvaluationPeriods', /from 1 to 10/],
    ['alarmPollInterval 4 s', { alarmPollInterval: seconds(4) }, 'alarmPollInterval', /5 seconds to 5 minutes/],
    ['alarmPollInterval 301 s', { alarmPollInterval: seconds(301) }, 'alarmPollInterval', /5 seconds to 5 minutes/],
    ['alarmPollInterval in fractions of a second', { alarmPollInterval: Duration.millis(5500) }, 'alarmPollInterval', /whole seconds/],
    ['healthTimeout 59 s', { healthTimeout: seconds(59) }, 'healthTimeout', /1 minute to 2 hours/],
    ['healthTimeout over 2 hours', { healthTimeout: seconds(7201) }, 'healthTimeout', /1 minute to 2 hours/],
    ['healthPollInterval 4 s', { healthPollInterval: seconds(4) }, 'healthPollInterval', /5 seconds to 5 minutes/],
    ['healthPollInterval 6 minutes', { healthPollInterval: minutes(6) }, 'healthPollInterval', /5 seconds to 5 minutes/],
    ['approvalTimeout 59 s', { enableApprovalBeforeLastStep: true, approvalTimeout: seconds(59) }, 'approvalTimeout', /1 minute to 7 days/],
    ['approvalTimeout 8 days', { enableApprovalBeforeLastStep: true, approvalTimeout: Duration.days(8) }, 'approvalTimeout', /1 minute to 7 days/],
    ['approvalTopic without enableApprovalBeforeLastStep', (w) => ({ approvalTopic: sns.Topic.fromTopicArn(w.stack, 'T', 'arn:aws:sns:us-east-1:111111111111:t') }),
      'approvalTopic', /needs `enableApprovalBeforeLastStep: true`/],
    ['approvalTimeout without enableApprovalBeforeLastStep', { approvalTimeout: Duration.hours(1) }, 'approvalTimeout', /needs `enableApprovalBeforeLastStep: true`/],
    ['approvalTimeout with enableApprovalBeforeLastStep false', { enableApprovalBeforeLastStep: false, approvalTimeout: Duration.hours(1) }, 'approvalTimeout', /needs/],
    ['startOnPush without imageRepository', { startOnPush: true }, 'startOnPush', /needs `imageRepository`/],
    ['startOnPushTagPrefix without startOnPush', { startOnPushTagPrefix: 'v' }, 'startOnPushTagPrefix', /needs `startOnPush: true`/],
    ['startOnPushTagPrefix with a slash', (w) => ({ imageRepository: ecr.Repository.fromRepositoryName(w.stack, 'R', 'users'), startOnPush: true, startOnPushTagPrefix: 'v1/' }),
      'startOnPushTagPrefix', /is not the start of an image tag/],
    ['startOnPushTagPrefix with a space', (w) => ({ imageRepository: ecr.Repository.fromRepositoryName(w.stack, 'R', 'users'), startOnPush: true, startOnPushTagPrefix: 'rel ease' }),
      'startOnPushTagPrefix', /not the start of an image tag/],
    ['startOnPushTagPrefix empty', (w) => ({ imageRepository: ecr.Repository.fromRepositoryName(w.stack, 'R', 'users'), startOnPush: true, startOnPushTagPrefix: '' }),
      'startOnPushTagPrefix', /not the start of an image tag/],
    ['startOnPushTagPrefix of 128 characters', (w) => ({
      imageRepository: ecr.Repository.fromRepositoryName(w.stack, 'R', 'users'),
      startOnPush: true,
      startOnPushTagPrefix: 'v'.repeat(128),
    }), 'startOnPushTagPrefix', /not the start of an image tag/],
    ['oldSlot unknown', { oldSlot: 'DELETE' as any }, 'oldSlot', /is not a OldSlot; use one of OldSlot.KEEP_WARM, OldSlot.SCALE_IN/],
    ['oldSlot in lower case', { oldSlot: 'scale_in' as any }, 'oldSlot', /is not a OldSlot/],
  ])('%s', (_, extra, prop, pattern) => {
    expectRefused(extra, prop, pattern);
  });

  test.each<Case>([
    ['a bake of 300.0001 seconds', { steps: [step(100, seconds(300.0001))] }, 'steps[0]'],
    ['an alarmPollInterval of 10.0001 seconds', { alarmPollInterval: seconds(10.0001) }, 'alarmPollInterval'],
    ['a recordTtl of 60.0001 seconds', { recordTtl: seconds(60.0001) }, 'recordTtl'],
    ['a NaN alarmPeriod', { alarmPeriod: seconds(NaN) }, 'alarmPeriod'],
    ['a NaN healthTimeout', { healthTimeout: seconds(NaN) }, 'healthTimeout'],
  ])('%s (not a whole number of milliseconds) is refused with our error', (_, extra, prop) => {
    // BUG: the checks call Duration.toMilliseconds(), which throws CDK's own error for a
    // fraction of a millisecond or NaN; toMilliseconds({ integral: false }) lets them report it.
    expectRefused(extra, prop);
  });

  test('several problems are reported together', () => {
    const message = expectRefused({ errorRatePercent: 0, alarmEvaluationPeriods: 0, healthTimeout: seconds(1) }, 'errorRatePercent');
    expect(message).toContain('`alarmEvaluationPeriods` 0');
    expect(message).toContain('`healthTimeout` 1 second');
  });

  test('the bounds are accepted', () => {
    expect(() => build({
      errorRatePercent: 100,
      latencyThreshold: seconds(60),
      alarmPeriod: minutes(1),
      alarmEvaluationPeriods: 10,
      alarmPollInterval: seconds(5),
      healthTimeout: Duration.hours(2),
      healthPollInterval: seconds(300),
      enableApprovalBeforeLastStep: true,
      approvalTimeout: Duration.days(7),
      steps: CanaryStep.standard(minutes(10)),
    })).not.toThrow();
    expect(() => build({
      errorRatePercent: 0.01,
      alarmEvaluationPeriods: 1,
      alarmPollInterval: minutes(5),
      healthTimeout: minutes(1),
      healthPollInterval: seconds(5),
      enableApprovalBeforeLastStep: true,
      approvalTimeout: minutes(1),
      recordTtl: Duration.days(1),
    })).not.toThrow();
  });
});

describe('validation: wrong kinds', () => {
  test.each<[string, unknown, RegExp]>([
    ['recordTtl', 60, /is not a Duration/],
    ['allowPlainHttp', 'yes', /'yes' is not a boolean/],
    ['internetFacing', 1, /1 is not a boolean/],
    ['loadBalancerDeletionProtection', 'no', /is not a boolean/],
    ['listenerRulePriority', '5', /'5' is not a number/],
    ['allowSlotsInDifferentVpcs', 'true', /is not a boolean/],
    ['defaultAlarms', 'off', /is not a boolean/],
    ['errorRatePercent', '5', /'5' is not a number/],
    ['latencyThreshold', 2000, /2000 is not a Duration/],
    ['alarmPeriod', 60, /60 is not a Duration/],
    ['alarmEvaluationPeriods', '2', /'2' is not a number/],
    ['alarmPollInterval', 10, /is not a Duration/],
    ['healthTimeout', '20m', /'20m' is not a Duration/],
    ['healthPollInterval', 15, /is not a Duration/],
    ['enableApprovalBeforeLastStep', 'yes', /is not a boolean/],
    ['approvalTimeout', 3600, /is not a Duration/],
    ['startOnPush', 1, /is not a boolean/],
    ['startOnPushTagPrefix', 5, /5 is not a string/],
    ['recordName', ['users'], /is not a string/],
  ])('%s: %j', (prop, value, pattern) => {
    expectRefused({ [prop]: value } as any, prop, pattern);
  });

  test.each<[string, (w: CanaryWorld) => Partial<CanaryDeploymentProps>]>([
    ['approvalTopic', () => ({ enableApprovalBeforeLastStep: true, approvalTopic: 'arn:aws:sns:us-east-1:111111111111:approvals' as any })],
    ['imageRepository', () => ({ imageRepository: 'users' as any })],
    ['alarms', () => ({ alarms: ['bus-dlq' as any] })],
  ])('%s of the wrong kind is refused naming it', (prop, extra) => {
    // BUG (approvalTopic, imageRepository): not kind-checked; a TypeError follows
    // ("grantPublish is not a function", "grantPull is not a function"). A bad entry of
    // `alarms` is reported as `addAlarm`, a method the user did not call.
    expectRefused(extra, prop);
  });
});

// ---------------------------------------------------------------------------------------
// What operators and deployments read: the operator parameter and the live state.
// ---------------------------------------------------------------------------------------

describe('the operator parameter (npx cdk-microservices rollout --canary <name>)', () => {
  test('by default /cdk-microservices/canaries/<stack name>/<service name>, holding the state machine, the table and the plan', () => {
    const { canary, template, stack } = templateOf();
    expect(canary.canaryName).toBe(`${stack.stackName}/users`);
    const [, parameter] = only(template, 'AWS::SSM::Parameter', 'UsersOperatorParameter');
    expect(parameter.Properties.Name).toBe(`/cdk-microservices/canaries/${stack.stackName}/users`);
    expect(parameter.Properties.Type).toBe('String');
    // The value is JSON with tokens: resolved here to placeholders.
    const value = JSON.parse(parameter.Properties.Value['Fn::Join'][1]
      .map((part: any) => (typeof part === 'string' ? part : `<${Object.keys(part)[0]} ${[part[Object.keys(part)[0]]].flat().join('.')}>`)).join(''));
    expect(value).toMatchObject({
      version: 1,
      canaryName: `${stack.stackName}/users`,
      label: PATH,
      stateMachineArn: `<Ref ${idOf(canary.stateMachine)}>`,
      tableName: `<Ref ${idOf(canary.table)}>`,
      steps: [10, 25, 50, 100].map((percent) => ({ percent, bakeSeconds: 300, approvalBefore: false })),
      plannedSeconds: canary.plannedDuration.toSeconds(),
      maximumSeconds: canary.maximumDuration.toSeconds(),
    });
    expect(value.imageRepositoryUri).toBeUndefined();
  });

  test('canaryName given: that parameter; with imageRepository its URI is there too', () => {
    const { canary, template } = templateOf((w) => ({
      canaryName: 'prod/users.v2',
      imageRepository: ecr.Repository.fromRepositoryName(w.stack, 'Repo', 'users'),
    }));
    expect(canary.canaryName).toBe('prod/users.v2');
    const [, parameter] = only(template, 'AWS::SSM::Parameter', 'UsersOperatorParameter');
    expect(parameter.Properties.Name).toBe('/cdk-microservices/canaries/prod/users.v2');
    expect(JSON.stringify(parameter.Properties.Value)).toContain('imageRepositoryUri');
  });

  test.each(['', 'a b', 'Users//users', 'a/b/c/d/e/f', 'aws/users', 'x'.repeat(201)])('canaryName %j is refused naming it', (canaryName) => {
    const err = thrownBy(() => build({ canaryName }));
    expectCanaryRefusal(err, PATH, ['canaryName']);
  });

  test('two canaries of one app with one name in one account and Region are refused, naming the other', () => {
    const w = canaryWorld();
    new CanaryDeployment(w.stack, 'Users', { ...propsIn(w), canaryName: 'shop/users' });
    const err = thrownBy(() => new CanaryDeployment(w.stack, 'People', {
      ...propsIn(w, { certificate: acm.Certificate.fromCertificateArn(w.stack, 'Other', CANARY_CERT) }),
      serviceProps: slotService(w.env, { serviceName: 'people' }),
      recordName: 'people',
      canaryName: 'shop/users',
    }));
    const refusal = expectCanaryRefusal(err, 'Test/People', ['canaryName']);
    expect(refusal.message).toContain('Test/Users');
    // The refused canary left nothing behind: the app still synthesizes.
    expect(() => Template.fromStack(w.stack)).not.toThrow();
  });

  test('serviceProps.releaseId is refused: each slot\'s RELEASE_ID is the image it runs', () => {
    const err = thrownBy(() => build((w) => ({ serviceProps: slotService(w.env, { releaseId: 'v1' }) })));
    expectCanaryRefusal(err, PATH, ['serviceProps']);
  });
});

describe('the live state (Custom::CanaryLiveState)', () => {
  test('the app containers take Image and RELEASE_ID from it, the records Weight; its properties copy the rest of both slots', () => {
    const { canary, template, stack } = templateOf((w) => ({ serviceProps: slotService(w.env, { config: { FEATURE_FLAGS: 'on' } }) }));
    const live = idOf(canary.liveState);
    const [, resource] = only(template, 'Custom::CanaryLiveState', 'UsersLiveState');
    expect(resource.Properties).toMatchObject({
      TableName: { Ref: idOf(canary.table) },
      InitialImage: canary.blue.container.imageName,
      CanaryName: canary.canaryName,
      MaximumRolloutSeconds: String(canary.maximumDuration.toSeconds() * 2),
    });
    for (const [slot, name] of [[canary.blue, 'Blue'], [canary.green, 'Green']] as const) {
      const [, taskDefinition] = only(template, 'AWS::ECS::TaskDefinition', idOf(slot.taskDefinition));
      const app = taskDefinition.Properties.ContainerDefinitions[0];
      expect(app.Image).toEqual({ 'Fn::GetAtt': [live, `${name}Image`] });
      expect(app.Environment).toContainEqual({ Name: 'RELEASE_ID', Value: { 'Fn::GetAtt': [live, `${name}Image`] } });
      // The copy: every other property, the image and RELEASE_ID left out (no cycle).
      const copy = resource.Properties.Slots[name].TaskDefinition;
      expect(copy.Cpu).toEqual(taskDefinition.Properties.Cpu);
      expect(copy.ContainerDefinitions[0].Image).toBeUndefined();
      expect(copy.ContainerDefinitions[0].Environment).toContainEqual({ Name: 'FEATURE_FLAGS', Value: 'on' });
      expect(JSON.stringify(copy)).not.toContain(live);
      expect(resource.Properties.Slots[name].Record.Weight).toBeUndefined();
    }
    template.hasResourceProperties('AWS::Route53::RecordSet', { SetIdentifier: 'green', Weight: { 'Fn::GetAtt': [live, 'GreenWeight'] } });
    expect(stack.resolve(canary.liveState.node.defaultChild && (canary.liveState.node.defaultChild as CfnElement).logicalId)).toBe(live);
  });

  test('a configuration change changes its properties; the same props do not', () => {
    const props = (config: { [k: string]: string }) => (w: CanaryWorld) => ({ serviceProps: slotService(w.env, { config }) });
    const liveOf = (t: Template) => only(t, 'Custom::CanaryLiveState', 'UsersLiveState')[1].Properties;
    const a = liveOf(templateOf(props({ A: '1' })).template);
    expect(liveOf(templateOf(props({ A: '1' })).template)).toEqual(a);
    expect(liveOf(templateOf(props({ A: '2' })).template)).not.toEqual(a);
  });

  test('its function may read and record the state table and nothing else of it; in the environment\'s VPC, with a dead-letter queue', () => {
    const { canary, template } = templateOf();
    const [roleId] = only(template, 'AWS::IAM::Role', 'UsersLiveStateRole');
    const policy = Object.values(template.findResources('AWS::IAM::Policy'))
      .find((p: any) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }])) as any;
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(expect.objectContaining({
      Sid: 'ReadLiveState', Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Resource: { 'Fn::GetAtt': [idOf(canary.table), 'Arn'] },
    }));
    expect(statements).toContainEqual(expect.objectContaining({ Sid: 'UseStateTableKey', Condition: { StringEquals: { 'kms:ViaService': expect.anything() } } }));
    expect(JSON.stringify(statements)).not.toMatch(/dynamodb:(Scan|Query|DeleteItem|PutItem|\*)/);
    const [, fn] = only(template, 'AWS::Lambda::Function', 'UsersLiveStateFunction');
    expect(fn.Properties).toMatchObject({ Handler: 'canary-live-state.handler', Runtime: 'nodejs24.x', ReservedConcurrentExecutions: 1 });
    expect(fn.Properties.VpcConfig.SubnetIds.length).toBeGreaterThan(0);
    expect(fn.Properties.DeadLetterConfig.TargetArn).toBeDefined();
  });
});
