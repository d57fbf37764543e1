/**
 * Least privilege of the message bus, proven with an IAM policy simulator instead of by reading
 * policy JSON: publishers, subscribers and SNS itself make requests against the topics, queues
 * and key of a synthesized stack. Identity policies, topic and queue policies and the key policy
 * are taken from the template, their CloudFormation tokens resolved to example ARNs, and each
 * request is evaluated offline with its resource's policy (test/iam-simulation.ts).
 */
import { CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { EventSubscription, MessageBus, TwelveFactorService } from '../../src';
import { ACCOUNT, CfnResource, Decision, ExampleResolver, Principal, principalOf, REGION, simulate } from '../iam-simulation';
import { IMAGE, withEnvironment } from '../service/fixtures';

const SNS = 'sns.amazonaws.com';

// ---------------------------------------------------------------------------------------
// The stack under test and the simulation.
// ---------------------------------------------------------------------------------------

/** A topic, queue or key: its example ARN and its resolved resource (or key) policy. */
interface Target {
  readonly arn: string;
  readonly policy: any;
}

/** The queues of one subscription. */
interface Queues {
  readonly queue: Target;
  readonly deadLetterQueue: Target;
  readonly subscriptionDeadLetterQueue: Target;
}

function build() {
  const { stack, env } = withEnvironment({}, false);
  const bus = new MessageBus(stack, 'Bus', { environment: env });
  const placed = bus.addTopic('order-placed');
  const refunded = bus.addTopic('order-refunded');
  const settled = bus.addTopic('payment-settled', { fifo: true });
  const service = (id: string) => new TwelveFactorService(stack, id, { environment: env, image: IMAGE });
  const checkout = service('Checkout');
  const ledger = service('Ledger');
  const email = service('Email');
  const warehouse = service('Warehouse');
  const accounting = service('Accounting');
  checkout.attach(placed.asBackingService());
  ledger.attach(settled.asBackingService());
  const subscriptions = {
    email: placed.subscribe(email),
    warehouse: placed.subscribe(warehouse), // fan-out: two queues on one topic
    accounting: settled.subscribe(accounting), // FIFO
  };

  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, CfnResource>;
  const resolver = new ExampleResolver(resources);
  const idOf = (construct: IConstruct) => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
  const refersTo = (refs: any[] | undefined, id: string) => (refs ?? []).some((ref: any) => ref?.Ref === id);
  const documents = (type: string, list: string, id: string) => Object.values(resources)
    .filter((r) => r.Type === type && refersTo(r.Properties[list], id))
    .map((r) => resolver.resolve(r.Properties.PolicyDocument));
  const principal = (s: TwelveFactorService): Principal => principalOf(resources, resolver, idOf(s.taskRole));
  const target = (construct: IConstruct): Target => {
    const id = idOf(construct);
    const found = resources[id].Type === 'AWS::KMS::Key' ? [resolver.resolve(resources[id].Properties.KeyPolicy)]
      : resources[id].Type === 'AWS::SNS::Topic' ? documents('AWS::SNS::TopicPolicy', 'Topics', id)
        : documents('AWS::SQS::QueuePolicy', 'Queues', id);
    if (found.length !== 1) throw new Error(`expected one policy for ${id}, found ${found.length}`);
    return { arn: resolver.arnOf(id), policy: found[0] };
  };
  const queues = (s: EventSubscription): Queues => ({
    queue: target(s.queue),
    deadLetterQueue: target(s.deadLetterQueue!),
    subscriptionDeadLetterQueue: target(s.subscriptionDeadLetterQueue),
  });
  return {
    resolver,
    roles: {
      checkout: principal(checkout),
      ledger: principal(ledger),
      email: principal(email),
      warehouse: principal(warehouse),
      accounting: principal(accounting),
    },
    topics: { placed: target(placed.topic), refunded: target(refunded.topic), settled: target(settled.topic) },
    queues: { email: queues(subscriptions.email), warehouse: queues(subscriptions.warehouse), accounting: queues(subscriptions.accounting) },
    keys: { bus: target(bus.encryptionKey), environment: target(env.encryptionKey) },
  };
}


/** A request made over TLS unless the context says otherwise. */
const TLS = { 'aws:SecureTransport': 'true' };

/**
 * Evaluates one request of a principal (a role, or a service principal such as SNS) on a
 * target, with the principal's identity policies and the target's resource policy.
 */
function decide(principal: Principal | string, action: string, on: Target, context: Record<string, string> = TLS): Promise<Decision> {
  return simulate({ principal, action, resource: on.arn, resourcePolicy: on.policy, context });
}

/** The decisions on several actions, keyed by action, to compare in one expectation. */
async function decisions(principal: Principal | string, actions: string[], on: Target, context?: Record<string, string>) {
  const out: Record<string, Decision> = {};
  for (const action of actions) out[action] = await decide(principal, action, on, context);
  return out;
}

const every = (actions: string[], decision: Decision) => Object.fromEntries(actions.map((a) => [a, decision]));

// ---------------------------------------------------------------------------------------
// Tests.
// ---------------------------------------------------------------------------------------

const f = build();
const { roles, topics, queues, keys } = f;
const CONSUME = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'];
const sentBy = (topic: Target) => ({ ...TLS, 'aws:SourceArn': topic.arn, 'aws:SourceAccount': ACCOUNT });

describe('the simulation harness', () => {
  test('every policy is fully resolved, and FIFO resources have FIFO names', () => {
    const all = [...Object.values(roles).map((r) => r.policies), ...Object.values(topics), ...Object.values(keys),
      ...Object.values(queues).flatMap((q) => Object.values(q))];
    expect(Object.values(roles).every((r) => r.policies.length > 0)).toBe(true);
    expect(JSON.stringify(all)).not.toMatch(/"(Ref|Fn::[A-Za-z]+)"/);
    expect(topics.settled.arn).toMatch(/\.fifo$/);
    expect(queues.accounting.queue.arn).toMatch(/\.fifo$/);
    expect(queues.email.queue.arn).not.toMatch(/\.fifo$/);
  });

  test('the simulator applies a resource policy\'s deny and a missing allow', async () => {
    const admin: Principal = {
      arn: `arn:aws:iam::${ACCOUNT}:role/Admin`,
      policies: [{ name: 'all', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } }],
    };
    expect(await decide(admin, 'sqs:PurgeQueue', queues.email.queue)).toBe('Allowed');
    expect(await decide(admin, 'sqs:PurgeQueue', queues.email.queue, { 'aws:SecureTransport': 'false' })).toBe('ExplicitlyDenied');
    expect(await decide({ arn: admin.arn, policies: [] }, 'sqs:PurgeQueue', queues.email.queue)).toBe('ImplicitlyDenied');
  });

  test('the resolver refuses what it cannot resolve', () => {
    expect(() => f.resolver.resolve({ 'Fn::ImportValue': 'Elsewhere' })).toThrow(/no example value/);
    expect(() => f.resolver.resolve({ Ref: 'Missing' })).toThrow(/no resource Missing/);
  });
});

describe('a publisher', () => {
  test('may publish to its topic, and to no other topic of the bus', async () => {
    expect(await decide(roles.checkout, 'sns:Publish', topics.placed)).toBe('Allowed');
    expect(await decide(roles.checkout, 'sns:Publish', topics.refunded)).toBe('ImplicitlyDenied');
    expect(await decide(roles.checkout, 'sns:Publish', topics.settled)).toBe('ImplicitlyDenied');
  });

  test('may only publish to its topic, not subscribe to, reconfigure or delete it', async () => {
    const control = ['sns:Subscribe', 'sns:SetTopicAttributes', 'sns:DeleteTopic', 'sns:AddPermission', 'sns:RemovePermission'];
    expect(await decisions(roles.checkout, ['sns:Publish', ...control], topics.placed))
      .toEqual({ 'sns:Publish': 'Allowed', ...every(control, 'ImplicitlyDenied') });
  });

  test('may use the bus key to publish to the encrypted topic, and no other key', async () => {
    expect(await decide(roles.checkout, 'kms:GenerateDataKey', keys.bus)).toBe('Allowed');
    expect(await decide(roles.checkout, 'kms:GenerateDataKey', keys.environment)).toBe('ImplicitlyDenied');
    const control = ['kms:PutKeyPolicy', 'kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:Encrypt'];
    expect(await decisions(roles.checkout, control, keys.bus)).toEqual(every(control, 'ImplicitlyDenied'));
    // The key policy's DenyGrantsNotForAwsResources refuses grants outright.
    expect(await decide(roles.checkout, 'kms:CreateGrant', keys.bus)).toBe('ExplicitlyDenied');
  });

  test('has no access to the subscriber queues', async () => {
    for (const q of Object.values(queues)) {
      expect(await decisions(roles.checkout, ['sqs:SendMessage', 'sqs:ReceiveMessage'], q.queue))
        .toEqual(every(['sqs:SendMessage', 'sqs:ReceiveMessage'], 'ImplicitlyDenied'));
    }
  });
});

describe('a subscriber', () => {
  test.each([
    ['Email', 'email'],
    ['Warehouse', 'warehouse'],
  ] as const)('%s may consume its own queue', async (_, who) => {
    expect(await decisions(roles[who], [...CONSUME, 'sqs:GetQueueAttributes'], queues[who].queue))
      .toEqual(every([...CONSUME, 'sqs:GetQueueAttributes'], 'Allowed'));
  });

  test.each([
    ['Email', 'Warehouse', 'email', 'warehouse'],
    ['Warehouse', 'Email', 'warehouse', 'email'],
  ] as const)('fan-out: %s may not consume the queue of %s, a subscriber of the same topic', async (_, __, who, other) => {
    expect(await decide(roles[who], 'sqs:ReceiveMessage', queues[who].queue)).toBe('Allowed');
    expect(await decisions(roles[who], CONSUME, queues[other].queue)).toEqual(every(CONSUME, 'ImplicitlyDenied'));
  });

  test('consumes only: may not send to, purge, reconfigure or delete its own queue', async () => {
    const denied = ['sqs:SendMessage', 'sqs:PurgeQueue', 'sqs:SetQueueAttributes', 'sqs:DeleteQueue', 'sqs:AddPermission'];
    expect(await decisions(roles.email, ['sqs:ReceiveMessage', ...denied], queues.email.queue))
      .toEqual({ 'sqs:ReceiveMessage': 'Allowed', ...every(denied, 'ImplicitlyDenied') });
  });

  test('may not send to or purge its dead-letter queues', async () => {
    const denied = ['sqs:SendMessage', 'sqs:PurgeQueue'];
    expect(await decide(roles.email, 'sqs:ReceiveMessage', queues.email.queue)).toBe('Allowed');
    expect(await decisions(roles.email, denied, queues.email.deadLetterQueue)).toEqual(every(denied, 'ImplicitlyDenied'));
    expect(await decisions(roles.email, denied, queues.email.subscriptionDeadLetterQueue)).toEqual(every(denied, 'ImplicitlyDenied'));
  });

  test('may decrypt with the bus key to read its queue, but not encrypt with it, and may not publish', async () => {
    expect(await decide(roles.email, 'kms:Decrypt', keys.bus)).toBe('Allowed');
    expect(await decide(roles.email, 'kms:GenerateDataKey', keys.bus)).toBe('ImplicitlyDenied');
    expect(await decide(roles.email, 'kms:Decrypt', keys.environment)).toBe('ImplicitlyDenied');
    expect(await decide(roles.email, 'sns:Publish', topics.placed)).toBe('ImplicitlyDenied');
  });

  test('every sqs action a subscriber is granted is denied on every queue but its own', async () => {
    const subscribers = [['email', roles.email], ['warehouse', roles.warehouse], ['accounting', roles.accounting]] as const;
    const allQueues = Object.entries(queues).flatMap(([owner, q]) => Object.values(q).map((t) => [owner, t] as const));
    for (const [who, role] of subscribers) {
      const actions = [...new Set(role.policies.flatMap((p) => [p.policy.Statement].flat())
        .filter((s: any) => s.Effect === 'Allow').flatMap((s: any) => [s.Action].flat() as string[]))].filter((a) => a.startsWith('sqs:'));
      expect(actions).toEqual(expect.arrayContaining(CONSUME));
      expect(actions).not.toContain('sqs:SendMessage');
      for (const [owner, t] of allQueues) {
        if (t === queues[who].queue) continue;
        expect([who, owner, t.arn, await decisions(role, actions, t)]).toEqual([who, owner, t.arn, every(actions, 'ImplicitlyDenied')]);
      }
    }
  });
});

describe('the queue policies: SNS delivers from the subscribed topic only', () => {
  test.each([
    ['email', 'queue'],
    ['email', 'subscriptionDeadLetterQueue'],
    ['warehouse', 'queue'],
    ['warehouse', 'subscriptionDeadLetterQueue'],
  ] as const)('%s %s: SNS may send from order-placed, not from another topic of the bus', async (who, which) => {
    const on = queues[who][which];
    expect(await decide(SNS, 'sqs:SendMessage', on, sentBy(topics.placed))).toBe('Allowed');
    expect(await decide(SNS, 'sqs:SendMessage', on, sentBy(topics.refunded))).toBe('ImplicitlyDenied');
    expect(await decide(SNS, 'sqs:SendMessage', on, sentBy(topics.settled))).toBe('ImplicitlyDenied');
    expect(await decide(SNS, 'sqs:SendMessage', on, TLS)).toBe('ImplicitlyDenied');
  });

  test('SNS may only send: not receive, purge or delete', async () => {
    const denied = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:PurgeQueue', 'sqs:SetQueueAttributes'];
    expect(await decisions(SNS, ['sqs:SendMessage', ...denied], queues.email.queue, sentBy(topics.placed)))
      .toEqual({ 'sqs:SendMessage': 'Allowed', ...every(denied, 'ImplicitlyDenied') });
  });

  test('the queue\'s own dead-letter queue takes nothing from SNS (the queue redrives to it)', async () => {
    expect(await decide(SNS, 'sqs:SendMessage', queues.email.queue, sentBy(topics.placed))).toBe('Allowed');
    expect(await decide(SNS, 'sqs:SendMessage', queues.email.deadLetterQueue, sentBy(topics.placed))).toBe('ImplicitlyDenied');
  });

  test('SNS may use the bus key for deliveries from topics of this account only', async () => {
    expect(await decide(SNS, 'kms:GenerateDataKey', keys.bus, sentBy(topics.placed))).toBe('Allowed');
    expect(await decide(SNS, 'kms:Decrypt', keys.bus, sentBy(topics.placed))).toBe('Allowed');
    const foreign = { ...TLS, 'aws:SourceArn': `arn:aws:sns:${REGION}:222222222222:Elsewhere`, 'aws:SourceAccount': '222222222222' };
    expect(await decide(SNS, 'kms:GenerateDataKey', keys.bus, foreign)).toBe('ImplicitlyDenied');
  });
});

describe('TLS only', () => {
  const plain = { 'aws:SecureTransport': 'false' };

  test('a publisher may publish over TLS; without it the topic policy denies the publish', async () => {
    expect(await decide(roles.checkout, 'sns:Publish', topics.placed, TLS)).toBe('Allowed');
    expect(await decide(roles.checkout, 'sns:Publish', topics.placed, plain)).toBe('ExplicitlyDenied');
  });

  test.each(['email', 'warehouse'] as const)('%s may receive over TLS; without it the queue policy denies every call', async (who) => {
    expect(await decisions(roles[who], CONSUME, queues[who].queue, TLS)).toEqual(every(CONSUME, 'Allowed'));
    expect(await decisions(roles[who], CONSUME, queues[who].queue, plain)).toEqual(every(CONSUME, 'ExplicitlyDenied'));
  });

  test('every queue of a subscription and every topic denies requests without TLS', async () => {
    for (const q of Object.values(queues).flatMap((x) => Object.values(x))) {
      expect([q.arn, await decide(roles.email, 'sqs:ReceiveMessage', q, plain)]).toEqual([q.arn, 'ExplicitlyDenied']);
    }
    for (const t of Object.values(topics)) {
      expect([t.arn, await decide(roles.checkout, 'sns:Publish', t, plain)]).toEqual([t.arn, 'ExplicitlyDenied']);
    }
  });
});

describe('a FIFO topic gets the same guarantees', () => {
  test('its publisher may publish to it and to no other topic, and only over TLS', async () => {
    expect(await decide(roles.ledger, 'sns:Publish', topics.settled)).toBe('Allowed');
    expect(await decide(roles.ledger, 'sns:Publish', topics.placed)).toBe('ImplicitlyDenied');
    expect(await decide(roles.checkout, 'sns:Publish', topics.settled)).toBe('ImplicitlyDenied');
    expect(await decide(roles.ledger, 'sns:Subscribe', topics.settled)).toBe('ImplicitlyDenied');
    expect(await decide(roles.ledger, 'sns:Publish', topics.settled, { 'aws:SecureTransport': 'false' })).toBe('ExplicitlyDenied');
    expect(await decide(roles.ledger, 'kms:GenerateDataKey', keys.bus)).toBe('Allowed');
  });

  test('its subscriber may consume its FIFO queue only, and not send to it, and only over TLS', async () => {
    expect(await decisions(roles.accounting, CONSUME, queues.accounting.queue)).toEqual(every(CONSUME, 'Allowed'));
    expect(await decide(roles.accounting, 'sqs:SendMessage', queues.accounting.queue)).toBe('ImplicitlyDenied');
    expect(await decide(roles.accounting, 'sqs:ReceiveMessage', queues.email.queue)).toBe('ImplicitlyDenied');
    expect(await decide(roles.email, 'sqs:ReceiveMessage', queues.accounting.queue)).toBe('ImplicitlyDenied');
    expect(await decide(roles.accounting, 'sqs:PurgeQueue', queues.accounting.deadLetterQueue)).toBe('ImplicitlyDenied');
    expect(await decide(roles.accounting, 'sqs:ReceiveMessage', queues.accounting.queue, { 'aws:SecureTransport': 'false' }))
      .toBe('ExplicitlyDenied');
  });

  test.each(['queue', 'subscriptionDeadLetterQueue'] as const)('SNS may send to its %s from the FIFO topic only', async (which) => {
    const on = queues.accounting[which];
    expect(await decide(SNS, 'sqs:SendMessage', on, sentBy(topics.settled))).toBe('Allowed');
    expect(await decide(SNS, 'sqs:SendMessage', on, sentBy(topics.placed))).toBe('ImplicitlyDenied');
  });
});
