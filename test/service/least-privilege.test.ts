/**
 * Least privilege, proven with an IAM policy simulator instead of by reading policy JSON:
 * a service attaches a table READ, a table READ_WRITE, a bucket READ, a queue READ_WRITE, a
 * topic (publish) and two secrets (READ, READ_WRITE); the task and execution roles' identity
 * policies are taken from the synthesized template, their CloudFormation tokens resolved to
 * example ARNs, and each request is evaluated offline (test/iam-simulation.ts).
 */
import {
  App,
  CfnElement,
  Stack,
  aws_dynamodb as dynamodb,
  aws_ecs as ecs,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Access, BackingService, MicroserviceEnvironment, TwelveFactorService } from '../../src';
import { ACCOUNT, CfnResource, Decision, ExampleResolver, Principal, principalOf, REGION, simulate } from '../iam-simulation';

// ---------------------------------------------------------------------------------------
// The stack under test.
// ---------------------------------------------------------------------------------------

interface Fixture {
  readonly template: Template;
  readonly resolver: ExampleResolver;
  readonly task: Principal;
  readonly execution: Principal;
  readonly arns: {
    readonly readTable: string;
    readonly writeTable: string;
    readonly bucket: string;
    readonly queue: string;
    readonly topic: string;
    readonly secret: string;
    readonly writableSecret: string;
    readonly executionRole: string;
    readonly key: string;
  };
}

function build(): Fixture {
  const stack = new Stack(new App(), 'Shop', { env: { account: ACCOUNT, region: REGION } });
  const environment = new MicroserviceEnvironment(stack, 'Env');
  const service = new TwelveFactorService(stack, 'Orders', {
    environment,
    image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
    port: 8080,
  });
  const partitionKey = { name: 'pk', type: dynamodb.AttributeType.STRING };
  const readTable = new dynamodb.Table(stack, 'Catalog', { partitionKey });
  const writeTable = new dynamodb.Table(stack, 'Carts', { partitionKey });
  const bucket = new s3.Bucket(stack, 'Images');
  const queue = new sqs.Queue(stack, 'Jobs');
  const topic = new sns.Topic(stack, 'Events');
  const secret = new secretsmanager.Secret(stack, 'ApiKey');
  const writableSecret = new secretsmanager.Secret(stack, 'SigningKey');
  service.attach(BackingService.dynamoDbTable(readTable, { access: Access.READ }));
  service.attach(BackingService.dynamoDbTable(writeTable, { access: Access.READ_WRITE }));
  service.attach(BackingService.s3Bucket(bucket, { access: Access.READ }));
  service.attach(BackingService.sqsQueue(queue, { access: Access.READ_WRITE }));
  service.attach(BackingService.snsTopic(topic));
  service.attach(BackingService.secret(secret));
  service.attach(BackingService.secret(writableSecret, { access: Access.READ_WRITE }));

  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, CfnResource>;
  const resolver = new ExampleResolver(resources, 'Shop');
  const idOf = (construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
  const principal = (roleId: string): Principal => principalOf(resources, resolver, roleId);
  return {
    template,
    resolver,
    task: principal(idOf(service.taskRole)),
    execution: principal(idOf(service.executionRole)),
    arns: {
      readTable: resolver.arnOf(idOf(readTable)),
      writeTable: resolver.arnOf(idOf(writeTable)),
      bucket: resolver.arnOf(idOf(bucket)),
      queue: resolver.arnOf(idOf(queue)),
      topic: resolver.arnOf(idOf(topic)),
      secret: resolver.arnOf(idOf(secret)),
      writableSecret: resolver.arnOf(idOf(writableSecret)),
      executionRole: resolver.arnOf(idOf(service.executionRole)),
      key: resolver.arnOf(idOf(environment.encryptionKey)),
    },
  };
}

/** Evaluates one request of the principal with its identity policies (same account, no SCPs). */
function decide(principal: Principal, action: string, resource: string): Promise<Decision> {
  return simulate({ principal, action, resource });
}

function statementsOf(principal: Principal): any[] {
  return principal.policies.flatMap((p) => {
    const statement = p.policy.Statement;
    return Array.isArray(statement) ? statement : [statement];
  });
}

const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

// ---------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------

const f = build();
const a = f.arns;
const OTHER = {
  table: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/Unrelated`,
  bucketObject: 'arn:aws:s3:::unrelated-bucket/reports/2026.csv',
  queue: `arn:aws:sqs:${REGION}:${ACCOUNT}:Unrelated`,
  topic: `arn:aws:sns:${REGION}:${ACCOUNT}:Unrelated`,
  secret: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:Unrelated-AbCdEf`,
};
const object = `${a.bucket}/reports/2026.csv`;

describe('the simulation harness', () => {
  test('the task role has identity policies, all fully resolved', () => {
    expect(f.task.policies.length).toBeGreaterThan(0);
    expect(f.execution.policies.length).toBeGreaterThan(0);
    expect(JSON.stringify([f.task.policies, f.execution.policies])).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"/);
  });

  test('the simulator allows what a policy grants and denies what it does not', async () => {
    const grantAll: Principal = {
      arn: `arn:aws:iam::${ACCOUNT}:role/Admin`,
      policies: [{ name: 'all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
    };
    const grantNothing: Principal = { arn: `arn:aws:iam::${ACCOUNT}:role/Nobody`, policies: [] };
    expect(await decide(grantAll, 'dynamodb:PutItem', OTHER.table)).toBe('Allowed');
    expect(await decide(grantNothing, 'dynamodb:GetItem', OTHER.table)).toBe('ImplicitlyDenied');
  });

  test('the resolver refuses what it cannot resolve', () => {
    expect(() => f.resolver.resolve({ 'Fn::ImportValue': 'Elsewhere' })).toThrow(/no example value/);
    expect(() => f.resolver.resolve({ Ref: 'Missing' })).toThrow(/no resource Missing/);
  });
});

describe('the task role: what the app may do', () => {
  test.each([
    ['dynamodb:GetItem', a.readTable],
    ['dynamodb:Query', a.readTable],
    ['dynamodb:Scan', a.readTable],
    ['dynamodb:BatchGetItem', a.readTable],
    ['dynamodb:GetItem', a.writeTable],
    ['dynamodb:PutItem', a.writeTable],
    ['dynamodb:UpdateItem', a.writeTable],
    ['dynamodb:DeleteItem', a.writeTable],
    ['s3:GetObject', object],
    ['s3:ListBucket', a.bucket],
    ['sqs:ReceiveMessage', a.queue],
    ['sqs:DeleteMessage', a.queue],
    ['sqs:SendMessage', a.queue],
    ['sns:Publish', a.topic],
    ['secretsmanager:PutSecretValue', a.writableSecret],
  ])('allows %s on %s', async (action, resource) => {
    expect(await decide(f.task, action, resource)).toBe('Allowed');
  });

  test.each([
    // The READ table is read only.
    ['dynamodb:PutItem', a.readTable],
    ['dynamodb:DeleteItem', a.readTable],
    ['dynamodb:UpdateItem', a.readTable],
    ['dynamodb:BatchWriteItem', a.readTable],
    // Data access, not control of the tables.
    ['dynamodb:DeleteTable', a.writeTable],
    ['dynamodb:UpdateTable', a.writeTable],
    // The READ bucket is read only.
    ['s3:PutObject', object],
    ['s3:DeleteObject', object],
    ['s3:PutBucketPolicy', a.bucket],
    ['s3:DeleteBucket', a.bucket],
    // The queue is for messages, not to purge, delete or reconfigure.
    ['sqs:PurgeQueue', a.queue],
    ['sqs:DeleteQueue', a.queue],
    ['sqs:SetQueueAttributes', a.queue],
    // The topic is to publish to.
    ['sns:Subscribe', a.topic],
    ['sns:DeleteTopic', a.topic],
    ['sns:SetTopicAttributes', a.topic],
    // A READ secret reaches the app through ECS secrets only: the task role has no access.
    ['secretsmanager:GetSecretValue', a.secret],
    ['secretsmanager:DescribeSecret', a.secret],
    ['secretsmanager:PutSecretValue', a.secret],
    ['secretsmanager:DeleteSecret', a.writableSecret],
    // Nothing of the platform.
    ['iam:PassRole', a.executionRole],
    ['kms:Decrypt', a.key],
  ])('denies %s on %s', async (action, resource) => {
    expect(await decide(f.task, action, resource)).toBe('ImplicitlyDenied');
  });

  test.each([
    'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem',
    'dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:DescribeTable',
  ])('denies %s on an unrelated table', async (action) => {
    expect(await decide(f.task, action, OTHER.table)).toBe('ImplicitlyDenied');
  });

  test('denies the attached tables\' names in another region or account', async () => {
    const name = a.readTable.split('/').pop();
    expect(await decide(f.task, 'dynamodb:GetItem', `arn:aws:dynamodb:eu-west-1:${ACCOUNT}:table/${name}`)).toBe('ImplicitlyDenied');
    expect(await decide(f.task, 'dynamodb:GetItem', `arn:aws:dynamodb:${REGION}:222222222222:table/${name}`)).toBe('ImplicitlyDenied');
  });

  test.each([
    ['s3:GetObject', OTHER.bucketObject],
    ['sqs:SendMessage', OTHER.queue],
    ['sqs:ReceiveMessage', OTHER.queue],
    ['sns:Publish', OTHER.topic],
    ['secretsmanager:GetSecretValue', OTHER.secret],
    ['secretsmanager:PutSecretValue', OTHER.secret],
  ])('denies %s on another resource (%s)', async (action, resource) => {
    expect(await decide(f.task, action, resource)).toBe('ImplicitlyDenied');
  });

  test('every action the role is granted is denied on unrelated resources of its service', async () => {
    const unrelated: Record<string, string[]> = {
      dynamodb: [OTHER.table, `${OTHER.table}/stream/2026-01-01T00:00:00.000`, `${OTHER.table}/index/byDate`],
      s3: [OTHER.bucketObject, 'arn:aws:s3:::unrelated-bucket'],
      sqs: [OTHER.queue],
      sns: [OTHER.topic],
      secretsmanager: [OTHER.secret],
    };
    const actions = [...new Set(statementsOf(f.task).filter((s) => s.Effect === 'Allow').flatMap((s) => asList(s.Action) as string[]))]
      .filter((action) => !action.includes('*'));
    expect(actions.length).toBeGreaterThan(10);
    for (const action of actions) {
      const candidates = unrelated[action.split(':')[0]];
      if (!candidates) throw new Error(`no unrelated resource for ${action}`);
      const decisions: string[] = [];
      for (const resource of candidates) {
        // The simulator refuses a resource of the wrong type for the action: try the next.
        const decision = await decide(f.task, action, resource).catch((err: Error) => (/no\.resource\.types/.test(err.message) ? undefined : Promise.reject(err)));
        if (decision) decisions.push(decision);
      }
      expect([action, decisions.length > 0 && decisions.every((d) => d === 'ImplicitlyDenied')]).toEqual([action, true]);
    }
  });

  test('no statement grants an action on Resource \'*\', and none uses NotAction or NotResource', () => {
    const statements = statementsOf(f.task);
    expect(statements.length).toBeGreaterThan(0);
    for (const s of statements) {
      expect(s.NotAction).toBeUndefined();
      expect(s.NotResource).toBeUndefined();
      expect(asList(s.Resource).length).toBeGreaterThan(0);
      if (s.Effect === 'Allow') {
        for (const resource of asList(s.Resource)) expect(resource).not.toBe('*');
        for (const action of asList(s.Action)) expect(action).not.toMatch(/^(\*|[a-z0-9-]+:\*)$/);
      }
    }
  });

  test('every allowed statement names one of the attached resources', () => {
    const attached = [a.readTable, a.writeTable, a.bucket, a.queue, a.topic, a.writableSecret];
    for (const s of statementsOf(f.task).filter((x) => x.Effect === 'Allow')) {
      for (const resource of asList(s.Resource) as string[]) {
        expect(attached.some((arn) => resource === arn || resource.startsWith(`${arn}/`))).toBe(true);
      }
    }
  });

  test('the role itself carries no inline or managed policies', () => {
    const role = f.template.toJSON().Resources[f.task.arn.split('/').pop()!];
    expect(role.Type).toBe('AWS::IAM::Role');
    expect(role.Properties.Policies).toBeUndefined();
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('the execution role: what ECS may do to start the task', () => {
  test.each([
    ['secretsmanager:GetSecretValue', a.secret],
    ['secretsmanager:GetSecretValue', a.writableSecret],
  ])('allows %s on the injected secret %s', async (action, resource) => {
    expect(await decide(f.execution, action, resource)).toBe('Allowed');
  });

  test.each([
    ['secretsmanager:GetSecretValue', OTHER.secret],
    ['secretsmanager:PutSecretValue', a.secret],
    ['dynamodb:GetItem', a.readTable],
    ['s3:GetObject', object],
    ['sqs:ReceiveMessage', a.queue],
    ['sns:Publish', a.topic],
  ])('denies %s on %s', async (action, resource) => {
    expect(await decide(f.execution, action, resource)).toBe('ImplicitlyDenied');
  });
});
