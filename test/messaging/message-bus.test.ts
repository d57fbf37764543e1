import {
  App,
  Duration,
  Stack,
  aws_cloudwatch as cloudwatch,
  aws_kms as kms,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { only, policyStatementsOf, resourcesOf, setup } from './fixtures';
import { EventSubscription, EventTopic, MessageBus, MicroserviceEnvironment, TwelveFactorService } from '../../src';
import { containerOf, ENV, IMAGE, withEnvironment } from '../service/fixtures';

describe('MessageBus', () => {
  test('creates a customer-managed key with rotation that encrypts its topics', () => {
    const { stack } = setup();
    const t = Template.fromStack(stack);
    const keys = resourcesOf(t, 'AWS::KMS::Key', 'BusKey');
    expect(keys).toHaveLength(1);
    expect(keys[0][1].Properties.EnableKeyRotation).toBe(true);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keys[0][0], 'Arn'] } });
  });

  test('uses a key the user brings and creates none', () => {
    const { stack, env } = withEnvironment({}, false);
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    const bus = new MessageBus(stack, 'Bus', { environment: env, encryptionKey: key });
    bus.addTopic('user-signup');
    const t = Template.fromStack(stack);
    expect(resourcesOf(t, 'AWS::KMS::Key', 'BusKey')).toHaveLength(0);
    expect(bus.encryptionKey).toBe(key);
    t.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyKey'), 'Arn'] } });
  });

  test('the failed-delivery alarm of a topic notifies the environment\'s alarm topic', () => {
    const { stack, topic } = setup();
    expect(topic.failedDeliveryAlarm).toBeDefined();
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'NumberOfNotificationsFailed',
      Namespace: 'AWS/SNS',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^EnvAlarmTopic') }],
    });
  });

  test('without an environment nor an alarm topic, topics have no alarm; with an alarm topic, it is notified', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const bare = new MessageBus(stack, 'Bare');
    expect(bare.addTopic('a').alarms).toEqual([]);
    const alarmTopic = new sns.Topic(stack, 'Pager');
    const withTopic = new MessageBus(stack, 'Paged', { alarmTopic });
    expect(withTopic.addTopic('b').alarms).toHaveLength(1);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::CloudWatch::Alarm', 1);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: Match.stringLikeRegexp('^Pager') }] });
  });

  test.each([
    [{ environment: 'env' }, '`environment`'],
    [{ encryptionKey: 'arn:aws:kms:us-east-1:111111111111:key/abc' }, '`encryptionKey`'],
    [{ alarmTopic: 42 }, '`alarmTopic`'],
  ])('refuses bad props %j', (props, prop) => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    expect(() => new MessageBus(stack, 'Bus', props as any)).toThrow(new RegExp(`\`MessageBus\` at Test/Bus: .*${prop}`));
  });
});

describe('EventTopic', () => {
  test('a created topic is encrypted and refuses requests without TLS', () => {
    const { stack, topic } = setup();
    expect(topic.fifo).toBe(false);
    const t = Template.fromStack(stack);
    const topicRes = only(t, 'AWS::SNS::Topic', 'Bususersignup');
    expect(topicRes.Properties.FifoTopic).toBeUndefined();
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^Bususersignup') }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny',
          Action: Match.arrayWith(['sns:Publish', 'sns:Subscribe', 'sns:SetTopicAttributes', 'sns:DeleteTopic']),
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    });
  });

  test('FIFO topics with content-based deduplication, physical and display names', () => {
    const { stack, bus } = setup();
    const fifo = bus.addTopic('orders', { fifo: true, contentBasedDeduplication: true, topicName: 'orders.fifo', displayName: 'Orders' });
    expect(fifo.fifo).toBe(true);
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Topic', {
      FifoTopic: true, ContentBasedDeduplication: true, TopicName: 'orders.fifo', DisplayName: 'Orders',
    });
  });

  test('addTopic returns the same topic for the same name and options, and refuses other options', () => {
    const { bus, topic } = setup();
    expect(bus.addTopic('user-signup')).toBe(topic);
    expect(bus.findTopic('user-signup')).toBe(topic);
    expect(bus.findTopic('nope')).toBeUndefined();
    expect(bus.topics).toEqual([topic]);
    expect(() => bus.addTopic('user-signup', { fifo: true })).toThrow(/`MessageBus` at Test\/Bus: `addTopic` 'user-signup' was already added with other options/);
  });

  test('a topic the user brings: no topic is created, its FIFO-ness is followed and the TLS-only statement is added', () => {
    const { stack, bus } = setup();
    const own = new sns.Topic(stack, 'Own', { fifo: true, topicName: 'own.fifo', masterKey: new kms.Key(stack, 'OwnKey', { enableKeyRotation: true }) });
    const topic = bus.addTopic('own', { topic: own });
    expect(topic.topic).toBe(own);
    expect(topic.fifo).toBe(true);
    const t = Template.fromStack(stack);
    expect(resourcesOf(t, 'AWS::SNS::Topic', 'Busown')).toHaveLength(0);
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: Match.stringLikeRegexp('^Own') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  test('a warning for a created topic nobody subscribes to, none once a service subscribes', () => {
    const { stack, bus, topic, worker } = setup();
    bus.addTopic('orders').subscribe(worker);
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Test/Bus/user-signup', Match.stringLikeRegexp('No service subscribes to the user-signup topic'));
    annotations.hasNoWarning('/Test/Bus/orders', Match.stringLikeRegexp('No service subscribes'));
    expect(topic.subscriptions).toEqual([]);
  });

  test('an imported topic gets a warning that its policy cannot be checked', () => {
    const { stack, bus } = setup();
    const imported = sns.Topic.fromTopicArn(stack, 'Imported', 'arn:aws:sns:us-east-1:111111111111:legacy');
    bus.addTopic('legacy', { topic: imported });
    Annotations.fromStack(stack).hasWarning('/Test/Bus/legacy', Match.stringLikeRegexp('is imported'));
  });

  test.each([
    ['', {}, '`name`'],
    ['user signup', {}, '`name`'],
    ['a'.repeat(252), {}, '`name`'],
    ['x.fifo', {}, '`name`'],
    ['1orders', {}, '`name`'],
    ['-', {}, '`name`'],
    ['constructor', {}, '`name`'],
    ['Key', {}, '`name` \'Key\' is taken'],
    ['ok', 42, '`options`'],
    ['ok', { contentBasedDeduplication: true }, '`contentBasedDeduplication`'],
    ['ok', { fifo: true, topicName: 'plain' }, '`topicName`'],
    ['ok', { topicName: 'plain.fifo' }, '`topicName`'],
    ['ok', { topicName: 'bad name' }, '`topicName`'],
    ['ok', { displayName: 'd'.repeat(101) }, '`displayName`'],
    ['ok', { fifo: 'yes' }, '`fifo`'],
    ['ok', { topic: 'arn:aws:sns:us-east-1:111111111111:t' }, '`topic`'],
  ])('refuses name %j with options %j', (name, options, prop) => {
    const { bus } = setup();
    expect(() => bus.addTopic(name, options as any)).toThrow(new RegExp(`\`MessageBus\` at Test/Bus: .*${prop}`));
  });

  test('refuses options that contradict a brought topic, and a brought topic without encryption', () => {
    const { stack, bus } = setup();
    expect(() => bus.addTopic('plain', { topic: new sns.Topic(stack, 'Plain') })).toThrow(/`topic` is not encrypted/);
    const own = new sns.Topic(stack, 'Own', { masterKey: bus.encryptionKey });
    expect(() => bus.addTopic('own', { topic: own, fifo: true })).toThrow(/`fifo` true contradicts `topic`/);
    expect(() => bus.addTopic('own', { topic: own, displayName: 'x' })).toThrow(/`displayName` configures a topic the bus creates/);
  });
});

describe('EventTopic.subscribe', () => {
  test('creates the subscriber\'s encrypted queue with a DLQ, the subscription with its own DLQ, consume rights and the queue URL', () => {
    const { stack, topic, worker } = setup();
    const sub = topic.subscribe(worker);
    expect(sub.node.path).toBe('Test/Worker/Bus-user-signup');
    expect(sub.envVarName).toBe('USER_SIGNUP_QUEUE_URL');
    expect(topic.subscriptions).toEqual([sub]);
    const t = Template.fromStack(stack);
    const queue = only(t, 'AWS::SQS::Queue', 'WorkerBususersignupQueue');
    const dlqId = resourcesOf(t, 'AWS::SQS::Queue', 'WorkerBususersignupDeadLetterQueue')[0][0];
    const subDlq = resourcesOf(t, 'AWS::SQS::Queue', 'WorkerBususersignupSubscriptionDeadLetterQueue');
    expect(subDlq).toHaveLength(1);
    expect(queue.Properties).toMatchObject({
      KmsMasterKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^BusKey/), 'Arn'] },
      MessageRetentionPeriod: 4 * 24 * 3600,
      VisibilityTimeout: 30,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlqId, 'Arn'] }, maxReceiveCount: 10 },
    });
    const dlq = only(t, 'AWS::SQS::Queue', 'WorkerBususersignupDeadLetterQueue');
    expect(dlq.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(subDlq[0][1].Properties.KmsMasterKeyId).toBeDefined();
    expect(subDlq[0][1].Properties.RedriveAllowPolicy).toMatchObject({ redrivePermission: 'byQueue' });
    t.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      TopicArn: { Ref: Match.stringLikeRegexp('^Bususersignup') },
      Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkerBususersignupQueue'), 'Arn'] },
      RawMessageDelivery: false,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [subDlq[0][0], 'Arn'] } },
      FilterPolicy: Match.absent(),
    });
    const container = containerOf(t, 'WorkerTaskDefinition');
    expect(container.Environment).toContainEqual({ Name: 'USER_SIGNUP_QUEUE_URL', Value: { Ref: expect.stringMatching(/^WorkerBususersignupQueue/) } });
    const consume = policyStatementsOf(t, 'WorkerTaskDefinitionTaskRole').find((s) => JSON.stringify(s.Action).includes('sqs:ReceiveMessage'));
    expect(consume.Action).not.toContain('sqs:SendMessage');
    expect(consume.Resource['Fn::GetAtt'][0]).toMatch(/^WorkerBususersignupQueue/);
  });

  test('the queue accepts messages from its topic only, over TLS only; SNS may use the key', () => {
    const { stack, topic, worker } = setup();
    topic.subscribe(worker);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('^WorkerBususersignupQueue') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': { Ref: Match.stringLikeRegexp('^Bususersignup') } } },
          }),
        ]),
      },
    });
    const key = only(t, 'AWS::KMS::Key', 'BusKey');
    const snsStatement = key.Properties.KeyPolicy.Statement.find((s: any) => s.Principal?.Service === 'sns.amazonaws.com');
    expect(snsStatement.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(snsStatement.Condition.StringEquals['aws:SourceAccount']).toBe('111111111111');
  });

  test('fan-out: two services each get their own queue; one service subscribes to two topics', () => {
    const { stack, bus, topic, users, worker } = setup();
    const other = bus.addTopic('order-placed');
    topic.subscribe(worker);
    topic.subscribe(users);
    other.subscribe(worker);
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::SNS::Subscription', 3);
    expect(resourcesOf(t, 'AWS::SQS::Queue', 'UsersBususersignupQueue')).toHaveLength(1);
    const env = containerOf(t, 'WorkerTaskDefinition').Environment.map((e: any) => e.Name);
    expect(env).toEqual(expect.arrayContaining(['USER_SIGNUP_QUEUE_URL', 'ORDER_PLACED_QUEUE_URL']));
  });

  test('filter policies on message attributes or on the body, raw delivery', () => {
    const { stack, bus, topic, users, worker } = setup();
    topic.subscribe(worker, { filterPolicy: { plan: sns.SubscriptionFilter.stringFilter({ allowlist: ['paid'] }) }, rawMessageDelivery: true });
    const sub = bus.addTopic('order-placed').subscribe(users, {
      filterPolicyWithMessageBody: {
        order: sns.FilterOrPolicy.policy({ total: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.numericFilter({ greaterThan: 100 })) }),
      },
    });
    expect(sub.filterPolicyScope).toBe('MessageBody');
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SNS::Subscription', { FilterPolicy: { plan: ['paid'] }, RawMessageDelivery: true });
    t.hasResourceProperties('AWS::SNS::Subscription', {
      FilterPolicyScope: 'MessageBody',
      FilterPolicy: { order: { total: [{ numeric: ['>', 100] }] } },
    });
  });

  test('a FIFO topic gets FIFO queues', () => {
    const { stack, bus, worker } = setup();
    bus.addTopic('orders', { fifo: true }).subscribe(worker);
    const queues = resourcesOf(Template.fromStack(stack), 'AWS::SQS::Queue', 'WorkerBusorders');
    expect(queues).toHaveLength(3);
    for (const [, q] of queues) expect(q.Properties.FifoQueue).toBe(true);
  });

  test('queue options: receive count, retention, visibility, key', () => {
    const { stack, topic, worker } = setup({ stopTimeout: Duration.seconds(90) });
    const key = new kms.Key(stack, 'QueueKey', { enableKeyRotation: true });
    topic.subscribe(worker, {
      maxReceiveCount: 3, retentionPeriod: Duration.days(7), deadLetterRetentionPeriod: Duration.days(10), encryptionKey: key,
    });
    const t = Template.fromStack(stack);
    const queue = only(t, 'AWS::SQS::Queue', 'WorkerBususersignupQueue');
    expect(queue.Properties.RedrivePolicy.maxReceiveCount).toBe(3);
    expect(queue.Properties.MessageRetentionPeriod).toBe(7 * 86400);
    // The default visibility follows a stop timeout longer than 30 s.
    expect(queue.Properties.VisibilityTimeout).toBe(90);
    expect(queue.Properties.KmsMasterKeyId['Fn::GetAtt'][0]).toMatch(/^QueueKey/);
    expect(only(t, 'AWS::SQS::Queue', 'WorkerBususersignupDeadLetterQueue').Properties.MessageRetentionPeriod).toBe(10 * 86400);
    const keyPolicy = only(t, 'AWS::KMS::Key', 'QueueKey').Properties.KeyPolicy.Statement;
    expect(keyPolicy.some((s: any) => s.Principal?.Service === 'sns.amazonaws.com')).toBe(true);
  });

  test('alarms: DLQ not empty, subscription DLQ not empty, oldest message; they notify the environment', () => {
    const { stack, topic, worker } = setup();
    const sub = topic.subscribe(worker, { oldestMessageAgeThreshold: Duration.minutes(5) });
    expect(sub.alarms).toHaveLength(3);
    const t = Template.fromStack(stack);
    const alarms = resourcesOf(t, 'AWS::CloudWatch::Alarm', 'WorkerBususersignup');
    expect(alarms).toHaveLength(3);
    for (const [, a] of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: expect.stringMatching(/^EnvAlarmTopic/) }]);
    const oldest = alarms.find(([id]) => id.includes('OldestMessage'))![1];
    expect(oldest.Properties).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 300 });
    const dlq = alarms.find(([id]) => id.startsWith('WorkerBususersignupDeadLetterAlarm'))![1];
    expect(dlq.Properties).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
  });

  test('defaultAlarms: false turns the alarms off', () => {
    const { stack, topic, worker } = setup();
    expect(topic.subscribe(worker, { defaultAlarms: false }).alarms).toEqual([]);
    expect(resourcesOf(Template.fromStack(stack), 'AWS::CloudWatch::Alarm', 'WorkerBususersignup')).toHaveLength(0);
  });

  test('enableDeploymentAlarms adds the subscription\'s alarms to the service\'s ECS deployment alarms (off by default)', () => {
    const { stack, bus, topic, worker, users } = setup();
    topic.subscribe(worker, { enableDeploymentAlarms: true });
    bus.addTopic('other').subscribe(users);
    const t = Template.fromStack(stack);
    const alarmsOf = (prefix: string): any[] => only(t, 'AWS::ECS::Service', prefix).Properties.DeploymentConfiguration.Alarms.AlarmNames;
    const workerAlarms = alarmsOf('WorkerService');
    expect(workerAlarms).toHaveLength(4);
    expect(workerAlarms).toContainEqual({ Ref: expect.stringMatching(/^WorkerBususersignupOldestMessageAlarm/) });
    expect(alarmsOf('UsersService')).toHaveLength(1);
  });

  test('no backlog scaling unless acceptableLatency is set', () => {
    const { stack, topic, worker } = setup({ minTasks: 1, maxTasks: 4 });
    const sub = topic.subscribe(worker);
    expect(sub.backlogScalingPolicy).toBeUndefined();
    expect(resourcesOf(Template.fromStack(stack), 'AWS::ApplicationAutoScaling::ScalingPolicy', 'WorkerBususersignup')).toHaveLength(0);
  });

  test('backlog scaling: target tracking on visible messages per running task, target = latency / processing time', () => {
    const { stack, topic, worker } = setup({ minTasks: 1, maxTasks: 4 });
    const sub = topic.subscribe(worker, { acceptableLatency: Duration.minutes(2), messageProcessingTime: Duration.millis(250) });
    expect(sub.backlogPerTaskTarget).toBe(480);
    expect(sub.scaleFromZeroPolicy).toBeUndefined();
    const t = Template.fromStack(stack);
    const policy = only(t, 'AWS::ApplicationAutoScaling::ScalingPolicy', 'WorkerBususersignupBacklogScaling');
    expect(policy.Properties.PolicyType).toBe('TargetTrackingScaling');
    expect(policy.Properties.ScalingTargetId.Ref).toMatch(/^WorkerServiceTaskCountTarget/);
    const config = policy.Properties.TargetTrackingScalingPolicyConfiguration;
    expect(config.TargetValue).toBe(480);
    const metrics = config.CustomizedMetricSpecification.Metrics;
    expect(metrics.find((m: any) => m.Id === 'messages').MetricStat.Metric).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [expect.stringMatching(/^WorkerBususersignupQueue/), 'QueueName'] } }],
    });
    expect(metrics.find((m: any) => m.Id === 'tasks').MetricStat.Metric).toMatchObject({ Namespace: 'ECS/ContainerInsights', MetricName: 'RunningTaskCount' });
    const expression = metrics.find((m: any) => m.ReturnData === true);
    expect(expression.Expression).toBe('IF(FILL(tasks, 0) > 0, messages / FILL(tasks, 0), messages)');
    expect(metrics.filter((m: any) => m.ReturnData !== false)).toHaveLength(1);
  });

  test('metrics named after SQS\'s, taking MetricOptions; backlog per task divides by the service\'s running task count', () => {
    const { stack, topic, worker } = setup({ minTasks: 1, maxTasks: 4 });
    const sub = topic.subscribe(worker, { acceptableLatency: Duration.minutes(1) });
    const visible = sub.metricApproximateNumberOfMessagesVisible();
    expect(visible).toMatchObject({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', statistic: 'Maximum' });
    expect(visible.period.toSeconds()).toBe(60);
    expect(sub.metricApproximateNumberOfMessagesVisible({ statistic: 'Average', period: Duration.minutes(5) })).toMatchObject({ statistic: 'Average' });
    expect(sub.metricApproximateAgeOfOldestMessage()).toMatchObject({ namespace: 'AWS/SQS', metricName: 'ApproximateAgeOfOldestMessage', statistic: 'Maximum' });
    const backlog = sub.metricBacklogPerTask();
    expect(backlog.expression).toBe('IF(FILL(tasks, 0) > 0, messages / FILL(tasks, 0), messages)');
    expect(stack.resolve((backlog.usingMetrics.tasks as cloudwatch.Metric).dimensions))
      .toEqual(stack.resolve(worker.metricRunningTaskCount().dimensions));
    expect(sub.metricBacklogPerTask({ label: 'mine' }).label).toBe('mine');
  });

  test('the default processing time is one second', () => {
    const { topic, worker } = setup({ minTasks: 1, maxTasks: 4 });
    expect(topic.subscribe(worker, { acceptableLatency: Duration.minutes(1) }).backlogPerTaskTarget).toBe(60);
  });

  test('scale from zero: a step policy adds a task when messages wait and none runs', () => {
    const { stack, topic, worker } = setup({ minTasks: 0, maxTasks: 4 });
    const sub = topic.subscribe(worker, { acceptableLatency: Duration.minutes(1) });
    expect(sub.scaleFromZeroPolicy).toBeDefined();
    // The environment's own cluster has Container Insights: no warning.
    Annotations.fromStack(stack).hasNoWarning('/Test/Worker/Bus-user-signup', Match.stringLikeRegexp('Container Insights'));
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(FILL(tasks, 0) < 1, messages, 0)' })]),
    });
  });

  test('backlog scaling on a cluster the user brings warns that it needs Container Insights', () => {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const own = new MicroserviceEnvironment(stack, 'Own');
    const env = new MicroserviceEnvironment(stack, 'Env', { cluster: own.cluster, namespaceName: 'env.internal' });
    const worker = new TwelveFactorService(stack, 'Worker', { environment: env, image: IMAGE, user: '1000', minTasks: 0, maxTasks: 2 });
    new MessageBus(stack, 'Bus').addTopic('jobs').subscribe(worker, { acceptableLatency: Duration.minutes(1) });
    Annotations.fromStack(stack).hasWarning('/Test/Worker/Bus-jobs', Match.stringLikeRegexp('Container Insights'));
  });

  test('a queue the user brings receives the messages; no queue is created for it', () => {
    const { stack, topic, worker } = setup();
    const dlq = new sqs.Queue(stack, 'MyDlq', { encryption: sqs.QueueEncryption.SQS_MANAGED });
    const queue = new sqs.Queue(stack, 'MyQueue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 5 }, encryption: sqs.QueueEncryption.SQS_MANAGED });
    const sub = topic.subscribe(worker, { queue });
    expect(sub.queue).toBe(queue);
    expect(sub.deadLetterQueue).toBe(dlq);
    const t = Template.fromStack(stack);
    expect(resourcesOf(t, 'AWS::SQS::Queue', 'WorkerBususersignup').map(([id]) => id)).toEqual([expect.stringMatching(/SubscriptionDeadLetterQueue/)]);
    t.hasResourceProperties('AWS::SNS::Subscription', { Endpoint: { 'Fn::GetAtt': [Match.stringLikeRegexp('^MyQueue'), 'Arn'] } });
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: Match.stringLikeRegexp('^MyQueue') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'sns.amazonaws.com' } })]) },
    });
  });

  test('an imported queue gets a warning', () => {
    const { stack, topic, worker } = setup();
    const queue = sqs.Queue.fromQueueArn(stack, 'Imported', 'arn:aws:sqs:us-east-1:111111111111:legacy');
    topic.subscribe(worker, { queue });
    Annotations.fromStack(stack).hasWarning('/Test/Worker/Bus-user-signup', Match.stringLikeRegexp('is imported'));
  });

  test('an imported key gets a warning that SNS must be let in', () => {
    const { stack, topic, worker } = setup();
    const key = kms.Key.fromKeyArn(stack, 'ImportedKey', 'arn:aws:kms:us-east-1:111111111111:key/1234');
    topic.subscribe(worker, { encryptionKey: key });
    Annotations.fromStack(stack).hasWarning('/Test/Worker/Bus-user-signup', Match.stringLikeRegexp('sns.amazonaws.com'));
  });

  test('a subscriber in another stack gets its queue in its own stack, without a dependency cycle', () => {
    const app = new App();
    const platform = new Stack(app, 'Platform', { env: ENV });
    const env = new MicroserviceEnvironment(platform, 'Env');
    const bus = new MessageBus(platform, 'Bus', { environment: env });
    const topic = bus.addTopic('user-signup');
    const apps = new Stack(app, 'Apps', { env: ENV });
    const worker = new TwelveFactorService(apps, 'Worker', { environment: env, image: IMAGE, user: '1000', minTasks: 0, maxTasks: 2 });
    topic.subscribe(worker, { acceptableLatency: Duration.minutes(1) });
    const appsTemplate = Template.fromStack(apps);
    appsTemplate.resourceCountIs('AWS::SNS::Subscription', 1);
    expect(resourcesOf(appsTemplate, 'AWS::SQS::Queue', 'WorkerBususersignup')).toHaveLength(3);
    Template.fromStack(platform).resourceCountIs('AWS::SQS::Queue', 0);
    expect(apps.dependencies).toContain(platform);
    expect(platform.dependencies).not.toContain(apps);
  });

  test('a service subscribes to a topic once', () => {
    const { topic, worker } = setup();
    topic.subscribe(worker);
    expect(() => topic.subscribe(worker)).toThrow(/`EventTopic` at Test\/Bus\/user-signup: `subscribe`: Test\/Worker already subscribes to the user-signup topic/);
  });

  test('a directly constructed EventSubscription registers with its topic: listed, and no warning of a topic without subscriber', () => {
    const { stack, topic, worker } = setup();
    const sub = new EventSubscription(worker, 'Signups', { topic, service: worker });
    // Compared by path: a failing diff of constructs is unreadable.
    expect(topic.subscriptions.map((x) => x.node.path)).toEqual([sub.node.path]);
    Annotations.fromStack(stack).hasNoWarning('/Test/Bus/user-signup', Match.stringLikeRegexp('No service subscribes'));
    // It counts for `subscribe` too: the service subscribes once.
    expect(() => topic.subscribe(worker)).toThrow(/`subscribe`: Test\/Worker already subscribes to the user-signup topic/);
    expect(() => new EventSubscription(worker, 'Again', { topic, service: worker }))
      .toThrow(/`EventSubscription` at Test\/Worker\/Again: `service`: Test\/Worker already subscribes to the user-signup topic/);
    expect(topic.subscriptions.map((x) => x.node.path)).toEqual([sub.node.path]);
  });

  test('a directly constructed EventTopic registers with its bus: listed, found by name, and addTopic returns it', () => {
    const { stack, env } = withEnvironment({}, false);
    const bus = new MessageBus(stack, 'Bus', { environment: env });
    const direct = new EventTopic(bus, 'order-placed', { bus, name: 'order-placed' });
    expect(bus.topics).toEqual([direct]);
    expect(bus.findTopic('order-placed')).toBe(direct);
    expect(bus.addTopic('order-placed')).toBe(direct);
    expect(() => bus.addTopic('order-placed', { fifo: true })).toThrow(/`addTopic` 'order-placed' was already added with other options/);
    // Another construct of that name elsewhere cannot be a second topic of the bus.
    expect(() => new EventTopic(stack, 'Other', { bus, name: 'order-placed' }))
      .toThrow(/`name` 'order-placed' is already a topic of Test\/Bus \(Test\/Bus\/order-placed\)/);
    expect(bus.topics).toEqual([direct]);
  });

  test('a subscription refused at construction is not counted', () => {
    const { stack, topic, worker } = setup();
    expect(() => new EventSubscription(worker, 'Bad', { topic, service: worker, maxReceiveCount: 0 })).toThrow(/`maxReceiveCount` 0/);
    expect(topic.subscriptions).toEqual([]);
    Annotations.fromStack(stack).hasWarning('/Test/Bus/user-signup', Match.stringLikeRegexp('No service subscribes'));
  });

  const tooManyKeys = Object.fromEntries(['a', 'b', 'c', 'd', 'e', 'f'].map((k) => [k, sns.SubscriptionFilter.stringFilter({ allowlist: ['x'] })]));
  const tooManyCombinations = {
    a: sns.SubscriptionFilter.stringFilter({ allowlist: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13'] }),
    b: sns.SubscriptionFilter.stringFilter({ allowlist: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'] }),
  };
  test.each([
    [{ maxReceiveCount: 0 }, '`maxReceiveCount` 0'],
    [{ maxReceiveCount: 1001 }, '`maxReceiveCount` 1001'],
    [{ maxReceiveCount: 2.5 }, '`maxReceiveCount` 2.5'],
    [{ retentionPeriod: Duration.seconds(30) }, '`retentionPeriod`'],
    [{ deadLetterRetentionPeriod: Duration.days(15) }, '`deadLetterRetentionPeriod`'],
    [{ visibilityTimeout: Duration.seconds(10) }, '`visibilityTimeout` 10 seconds is shorter than the `stopTimeout` 30 seconds'],
    [{ visibilityTimeout: Duration.hours(13) }, '`visibilityTimeout`'],
    [{ messageProcessingTime: Duration.seconds(1) }, '`messageProcessingTime` is used with `acceptableLatency`'],
    [{ filterPolicy: tooManyKeys }, '`filterPolicy` has 6 keys'],
    [{ filterPolicy: tooManyCombinations }, '`filterPolicy` has 156 combinations'],
    [{ filterPolicy: {} }, '`filterPolicy` is empty'],
    [{ filterPolicy: { plan: ['paid'] } }, '`filterPolicy`.plan'],
    [{ filterPolicy: { plan: sns.SubscriptionFilter.stringFilter({}) } }, 'has no condition'],
    [{ filterPolicyWithMessageBody: { a: sns.FilterOrPolicy.policy({}) } }, 'empty nested policy'],
    [{
      filterPolicy: { a: sns.SubscriptionFilter.existsFilter() },
      filterPolicyWithMessageBody: { a: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.existsFilter()) },
    }, 'cannot both be set'],
    [{ envVarPrefix: 'bad-prefix' }, '`envVarPrefix`'],
    [{ defaultAlarms: false, oldestMessageAgeThreshold: Duration.minutes(5) }, '`oldestMessageAgeThreshold` configures the subscription\'s alarms, which `defaultAlarms: false` turns off'],
    [{ defaultAlarms: false, enableDeploymentAlarms: true }, '`enableDeploymentAlarms` configures the subscription\'s alarms, which `defaultAlarms: false` turns off'],
    [{ oldestMessageAgeThreshold: Duration.days(4) }, 'is not shorter than the `retentionPeriod`'],
    [{ oldestMessageAgeThreshold: Duration.seconds(10) }, '`oldestMessageAgeThreshold`'],
    [{ retentionPeriod: Duration.millis(90_500), oldestMessageAgeThreshold: Duration.minutes(1) }, '`retentionPeriod`'],
    [{ retentionPeriod: Duration.days(7), deadLetterRetentionPeriod: Duration.days(5) }, '`deadLetterRetentionPeriod` 5 days is shorter than the `retentionPeriod` 7 days'],
    [{ rawMessageDelivery: 'yes' }, '`rawMessageDelivery`'],
    [{ maxReceiveCount: '5' }, '`maxReceiveCount`'],
  ])('refuses %j', (options, message) => {
    const { topic, worker } = setup();
    const escaped = message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    expect(() => topic.subscribe(worker, options as any)).toThrow(new RegExp(`\`EventSubscription\` at Test/Worker/Bus-user-signup:[\\s\\S]*${escaped}`));
    // Nothing is left behind: the same subscription can be made right afterwards.
    expect(() => topic.subscribe(worker)).not.toThrow();
  });

  test('refuses backlog scaling on a service that cannot scale', () => {
    const { topic, worker } = setup({ minTasks: 2, maxTasks: 2 });
    expect(() => topic.subscribe(worker, { acceptableLatency: Duration.minutes(1) }))
      .toThrow(/`acceptableLatency` scales Test\/Worker on its backlog, but the service cannot scale: give it a `maxTasks` above `minTasks` \(2\)/);
  });

  test('refuses latency shorter than one processing time', () => {
    const { topic, worker } = setup({ minTasks: 1, maxTasks: 3 });
    expect(() => topic.subscribe(worker, { acceptableLatency: Duration.seconds(1), messageProcessingTime: Duration.seconds(2) }))
      .toThrow(/`acceptableLatency` 1 second is shorter than `messageProcessingTime` 2 seconds/);
  });

  test('refuses a brought queue of the wrong kind or missing a DLQ or encryption, and queue options with it', () => {
    const { stack, bus, topic, worker } = setup();
    const plain = new sqs.Queue(stack, 'Plain', { encryption: sqs.QueueEncryption.SQS_MANAGED, deadLetterQueue: { queue: new sqs.Queue(stack, 'D'), maxReceiveCount: 3 } });
    const fifoTopic = bus.addTopic('orders', { fifo: true });
    expect(() => fifoTopic.subscribe(worker, { queue: plain })).toThrow(/`queue` is a standard queue but the topic is FIFO/);
    const fifoQueue = new sqs.Queue(stack, 'Fifo', { fifo: true, deadLetterQueue: { queue: new sqs.Queue(stack, 'FD', { fifo: true }), maxReceiveCount: 3 } });
    expect(() => topic.subscribe(worker, { queue: fifoQueue })).toThrow(/`queue` is a FIFO queue but the topic is a standard topic/);
    const noDlq = new sqs.Queue(stack, 'NoDlq');
    expect(() => topic.subscribe(worker, { queue: noDlq })).toThrow(/`queue` has no dead-letter queue/);
    const clear = new sqs.Queue(stack, 'Clear', { encryption: sqs.QueueEncryption.UNENCRYPTED, deadLetterQueue: { queue: new sqs.Queue(stack, 'CD'), maxReceiveCount: 3 } });
    expect(() => topic.subscribe(worker, { queue: clear })).toThrow(/`queue` is not encrypted/);
    const managed = new sqs.Queue(stack, 'Managed', { encryption: sqs.QueueEncryption.KMS_MANAGED, deadLetterQueue: { queue: new sqs.Queue(stack, 'MD'), maxReceiveCount: 3 } });
    expect(() => topic.subscribe(worker, { queue: managed })).toThrow(/`queue` is encrypted with the AWS managed key/);
    expect(() => topic.subscribe(worker, { queue: plain, maxReceiveCount: 4 })).toThrow(/`maxReceiveCount` configures the queue the subscription creates/);
  });

  test('refuses what is not a service, and options that are not an object', () => {
    const { topic, worker } = setup();
    expect(() => topic.subscribe('worker' as any)).toThrow(/`subscribe` needs an ITwelveFactorService/);
    expect(() => topic.subscribe(worker, 'abc' as any)).toThrow(/`options` 'abc' of `subscribe` is not a SubscribeOptions object/);
  });

  test('a subscription whose variable is taken is refused before it creates anything', () => {
    const { stack, bus, worker } = setup();
    bus.addTopic('user_signup').subscribe(worker);
    const clash = bus.addTopic('user-signup');
    expect(() => clash.subscribe(worker)).toThrow(/`envVarPrefix`: the variable USER_SIGNUP_QUEUE_URL is already set on Test\/Worker/);
    expect(clash.subscriptions).toEqual([]);
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Subscription', 1);
    expect(() => clash.subscribe(worker, { envVarPrefix: 'SIGNUPS' })).not.toThrow();
  });

  test('a queue brought to two topics gets one statement per topic', () => {
    const { stack, bus, worker } = setup();
    const queue = new sqs.Queue(stack, 'Inbox', { encryption: sqs.QueueEncryption.SQS_MANAGED, deadLetterQueue: { queue: new sqs.Queue(stack, 'InboxDlq'), maxReceiveCount: 3 } });
    bus.addTopic('a').subscribe(worker, { queue });
    bus.addTopic('b').subscribe(worker, { queue });
    const statements = only(Template.fromStack(stack), 'AWS::SQS::QueuePolicy', 'InboxPolicy').Properties.PolicyDocument.Statement;
    const sids = statements.map((st: any) => st.Sid).filter((sid: any) => sid !== undefined);
    expect(new Set(sids).size).toBe(sids.length);
    expect(statements.filter((st: any) => st.Principal?.Service === 'sns.amazonaws.com')).toHaveLength(2);
  });

  test('a short retention gets an age alarm that can go off: half the retention', () => {
    const { stack, topic, worker } = setup();
    topic.subscribe(worker, { retentionPeriod: Duration.minutes(10) });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 300 });
  });
});
