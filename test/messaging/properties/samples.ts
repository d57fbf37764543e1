/**
 * Fixtures of the message bus properties (../properties.test.ts): a fresh app and stack per
 * sample, how a topic or subscription case is built in it, and how its template is checked.
 */
import { App, CfnElement, Duration, Stack, aws_ecs as ecs, aws_kms as kms, aws_sns as sns, aws_sqs as sqs, aws_ssm as ssm } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { BodyValue, BroughtTopic, defined, FilterSpec, KeyKind, PolicySpec, QueueKind, ServiceSpec, SubCase, TASKS, TOPIC_NAMES, TopicCase } from './arbitraries';
import { queueInStack, takenVariable } from './oracle';
import { EventSubscription, EventTopic, ITwelveFactorService, MessageBus, MicroserviceEnvironment, StageProfile, SubscribeOptions, TwelveFactorService } from '../../../src';
import { IMAGE, importedVpc } from '../../service/fixtures';

export const ENV = { account: '111111111111', region: 'us-east-1' };

export function freshStack(): Stack {
  return new Stack(new App(), 'Test', { env: ENV });
}

export interface World {
  readonly stack: Stack;
  readonly env: MicroserviceEnvironment;
  readonly bus: MessageBus;
}

/** A stack with a development environment (imported VPC) and a bus on it. */
export function world(): World {
  const stack = freshStack();
  const env = new MicroserviceEnvironment(stack, 'Env', { stageProfile: StageProfile.DEVELOPMENT, vpc: importedVpc(stack) });
  const bus = new MessageBus(stack, 'Bus', { environment: env });
  return { stack, env, bus };
}

/** A service of the spec; `config` names are allowed as plain config whatever they look like. */
export function newService(
  w: World, id: string, spec: ServiceSpec, config?: Record<string, string>, secrets?: Record<string, ecs.Secret>,
): TwelveFactorService {
  const { minTasks, maxTasks } = TASKS[spec.tasks];
  return new TwelveFactorService(w.stack, id, {
    environment: w.env,
    image: IMAGE,
    stopTimeout: Duration.seconds(spec.stop),
    minTasks,
    maxTasks,
    config,
    secrets,
    allowPlainConfig: config ? Object.keys(config) : undefined,
  });
}

/** A secret from an SSM parameter (imported: nothing is created). */
export function ssmSecret(stack: Stack, id = 'SecretParam'): ecs.Secret {
  return ecs.Secret.fromSsmParameter(ssm.StringParameter.fromSecureStringParameterAttributes(stack, id, { parameterName: `/app/${id}` }));
}

/** Synthesizes the stack; it must have no error annotations. */
export function synthesize(stack: Stack): Template {
  const template = Template.fromStack(stack);
  expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  return template;
}

/** The logical id a token (Ref or Fn::GetAtt) points to; undefined for a literal. */
export function logicalIdOf(stack: Stack, token: string): string | undefined {
  const resolved = stack.resolve(token);
  if (resolved?.Ref) return resolved.Ref;
  if (resolved?.['Fn::GetAtt']) return resolved['Fn::GetAtt'][0];
  return undefined;
}

export function idOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

export function resourcesOf(template: Template, type: string): Record<string, any> {
  return template.findResources(type);
}

/** Every policy document of the template has unique statement ids (SNS and SQS refuse duplicates). */
export function expectUniqueSids(template: Template): void {
  for (const type of ['AWS::SNS::TopicPolicy', 'AWS::SQS::QueuePolicy']) {
    for (const [id, policy] of Object.entries(resourcesOf(template, type))) {
      const sids = (policy.Properties.PolicyDocument.Statement as any[]).map((s) => s.Sid).filter((s) => s !== undefined);
      if (new Set(sids).size !== sids.length) throw new Error(`${type} ${id} has duplicate Sids: ${sids.join(', ')}`);
    }
  }
}

/** The policies of the template that attach to the resource, with a TLS-only deny of the action. */
export function tlsOnlyPolicies(template: Template, type: string, listKey: string, id: string, action: string): any[] {
  return Object.values(resourcesOf(template, type)).filter((p) =>
    (p.Properties[listKey] as any[]).some((r) => r?.Ref === id)
    && (p.Properties.PolicyDocument.Statement as any[]).some((s) => s.Effect === 'Deny'
      && s.Condition?.Bool?.['aws:SecureTransport'] === 'false'
      && [s.Action].flat().includes(action)));
}

export const TOPIC_ARN = 'arn:aws:sns:us-east-1:111111111111:shared-events';

/** A topic to bring: in-stack ones are encrypted with a key of their own, but one. */
export function broughtTopic(stack: Stack, kind: BroughtTopic): any {
  const masterKey = () => new kms.Key(stack, 'BroughtTopicKey');
  switch (kind) {
    case 'standard': return new sns.Topic(stack, 'Brought', { masterKey: masterKey() });
    // aws-cdk's own TLS-only statement next to the bus's: the Sids must differ.
    case 'standard-tls': return new sns.Topic(stack, 'Brought', { masterKey: masterKey(), enforceSSL: true });
    case 'standard-unencrypted': return new sns.Topic(stack, 'Brought');
    case 'fifo': return new sns.Topic(stack, 'Brought', { masterKey: masterKey(), fifo: true });
    case 'imported-standard': return sns.Topic.fromTopicArn(stack, 'Brought', TOPIC_ARN);
    case 'imported-fifo': return sns.Topic.fromTopicArn(stack, 'Brought', `${TOPIC_ARN}.fifo`);
    case 'bogus-object': return { topicName: 'x' };
    case 'bogus-arn': return TOPIC_ARN;
    case 'bogus-number': return 42;
  }
}

export function topicOptionsOf(c: TopicCase, stack: Stack): any {
  if (c.rawOptions) return c.rawOptions.value;
  return defined({ ...c.options, topic: c.brought ? broughtTopic(stack, c.brought) : undefined });
}

export function busFor(c: TopicCase, stack: Stack): MessageBus {
  const encryptionKey = c.busKey === 'given' ? new kms.Key(stack, 'GivenKey')
    : c.busKey === 'imported' ? kms.Key.fromKeyArn(stack, 'ImportedKey', 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555')
      : undefined;
  const alarmTopic = c.alarmTopic ? new sns.Topic(stack, 'AlarmTopic') : undefined;
  return new MessageBus(stack, 'Bus', { encryptionKey, alarmTopic });
}

/** Checks the synthesized template of a topic that was added. */
export function checkTopicTemplate(c: TopicCase, stack: Stack, bus: MessageBus, topic: EventTopic): void {
  const template = synthesize(stack);
  expectUniqueSids(template);
  const o = c.options;
  const topics = resourcesOf(template, 'AWS::SNS::Topic');
  const id = logicalIdOf(stack, topic.topic.topicArn);
  // The bus creates a topic only when none is brought.
  const ownTopics = Object.keys(topics).filter((k) => k !== id && !k.startsWith('AlarmTopic'));
  expect(ownTopics).toEqual([]);
  expect(topic.node.path).toBe(`Test/Bus/${c.name}`);
  if (c.brought === 'imported-standard' || c.brought === 'imported-fifo') {
    expect(id).toBeUndefined();
    expect(resourcesOf(template, 'AWS::SNS::TopicPolicy')).toEqual({});
    const warnings = Annotations.fromStack(stack).findWarning(`/Test/Bus/${c.name}`, Match.stringLikeRegexp('importedTopic'));
    expect(warnings.length).toBe(1);
  } else {
    expect(id).toBeDefined();
    const props = topics[id!].Properties ?? {};
    expect(props.FifoTopic === true).toBe(topic.fifo);
    // Every topic the bus uses and CDK manages refuses publishing without TLS, and is encrypted.
    expect(tlsOnlyPolicies(template, 'AWS::SNS::TopicPolicy', 'Topics', id!, 'sns:Publish').length).toBeGreaterThanOrEqual(1);
    expect(props.KmsMasterKeyId).toBeDefined();
    if (!c.brought) {
      expect(props.KmsMasterKeyId).toEqual(stack.resolve(bus.encryptionKey.keyArn));
      expect(props.ContentBasedDeduplication === true).toBe(o.contentBasedDeduplication === true);
      if (o.topicName !== undefined) expect(props.TopicName).toBe(o.topicName);
      if (topic.fifo && o.topicName === undefined) expect(props.TopicName).toMatch(/\.fifo$/);
      expect(props.DisplayName).toBe(o.displayName);
    }
  }
  const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'));
  expect(alarms.length).toBe(c.alarmTopic ? 1 : 0);
  expect(topic.failedDeliveryAlarm !== undefined).toBe(c.alarmTopic);
}

export function filterOf(spec: FilterSpec): any {
  switch (spec.kind) {
    case 'string': return sns.SubscriptionFilter.stringFilter({ allowlist: spec.values });
    case 'numeric': return sns.SubscriptionFilter.numericFilter({ allowlist: spec.values });
    case 'exists': return sns.SubscriptionFilter.existsFilter();
    case 'bad': return spec.value;
  }
}
export function attributesOf(entries: Array<[string, FilterSpec]>): Record<string, any> {
  return Object.fromEntries(entries.map(([key, f]) => [key, filterOf(f)]));
}
export function bodyOf(entries: Array<[string, BodyValue]>): Record<string, any> {
  return Object.fromEntries(entries.map(([key, v]) => [key,
    v.kind === 'filter' ? sns.FilterOrPolicy.filter(filterOf(v.filter))
      : v.kind === 'policy' ? sns.FilterOrPolicy.policy(bodyOf(v.entries)) : v.value]));
}
export function policyOf<V>(spec: PolicySpec<V> | undefined, make: (entries: Array<[string, V]>) => any): any {
  if (spec === undefined) return undefined;
  return 'wrong' in spec ? spec.wrong : make(spec.entries);
}

/** The JSON SNS gets for a filter policy, from the objects passed. */
export function renderAttributes(policy: Record<string, sns.SubscriptionFilter>): unknown {
  return Object.fromEntries(Object.entries(policy).map(([k, f]) => [k, f.conditions]));
}
export function renderBody(policy: Record<string, sns.FilterOrPolicy>): unknown {
  return Object.fromEntries(Object.entries(policy).map(([k, v]) => [k,
    v.isPolicy() ? renderBody((v as sns.Policy).policyDoc) : ((v as sns.Filter).filterDoc as sns.SubscriptionFilter).conditions]));
}

export const QUEUE_ARN = 'arn:aws:sqs:us-east-1:111111111111:shared-jobs';
export const KEY_ARN = 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555';

/** A queue to bring; in-stack ones get a dead-letter queue unless `nodlq`. */
export function broughtQueue(stack: Stack, kind: QueueKind, suffix = ''): any {
  const fifo = kind.includes('fifo') || undefined;
  const inStack = (props: sqs.QueueProps) => {
    const dlq = kind.endsWith('nodlq') ? undefined : new sqs.Queue(stack, `BroughtDlq${suffix}`, { fifo, encryption: props.encryption, encryptionMasterKey: props.encryptionMasterKey });
    return new sqs.Queue(stack, `Brought${suffix}`, { ...props, fifo, deadLetterQueue: dlq ? { queue: dlq, maxReceiveCount: 5 } : undefined });
  };
  switch (kind) {
    case 'standard': case 'standard-nodlq': case 'fifo': case 'fifo-nodlq': return inStack({});
    case 'standard-own-key': return inStack({ encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: new kms.Key(stack, `BroughtKey${suffix}`) });
    case 'standard-unencrypted': return inStack({ encryption: sqs.QueueEncryption.UNENCRYPTED });
    // The AWS managed key alias/aws/sqs, whose key policy cannot let SNS deliver.
    case 'standard-kms-managed': return inStack({ encryption: sqs.QueueEncryption.KMS_MANAGED });
    case 'imported-standard': return sqs.Queue.fromQueueArn(stack, `Brought${suffix}`, QUEUE_ARN);
    case 'imported-fifo': return sqs.Queue.fromQueueArn(stack, `Brought${suffix}`, `${QUEUE_ARN}.fifo`);
    case 'bogus-object': return { queueName: 'jobs' };
    case 'bogus-arn': return QUEUE_ARN;
  }
}

export function subscriptionKey(stack: Stack, kind: KeyKind, suffix = ''): any {
  switch (kind) {
    case 'own': return new kms.Key(stack, `SubscriptionKey${suffix}`);
    case 'imported': return kms.Key.fromKeyArn(stack, `ImportedSubscriptionKey${suffix}`, KEY_ARN);
    case 'bogus-object': return { keyId: 'x' };
    case 'bogus-arn': return KEY_ARN;
  }
}

export interface Built {
  readonly service: TwelveFactorService;
  readonly topic: EventTopic;
  readonly options: SubscribeOptions;
}

/** The service of a case, with the variable the case says it already has. */
export function serviceOf(w: World, c: SubCase, serviceId: string): TwelveFactorService {
  const existing = w.stack.node.tryFindChild(serviceId) as TwelveFactorService | undefined;
  if (existing) return existing;
  const taken = takenVariable(c);
  if (taken === undefined) return newService(w, serviceId, c.service);
  if (c.taken!.via === 'config') return newService(w, serviceId, c.service, { [taken]: 'https://example.com/elsewhere' });
  return newService(w, serviceId, c.service, undefined, { [taken]: ssmSecret(w.stack, `${serviceId}Secret`) });
}

/** Builds the service, the topic and the options of a case in the world. */
export function buildCase(w: World, c: SubCase, serviceId = 'Svc', suffix = ''): Built {
  const service = serviceOf(w, c, serviceId);
  const topic = w.bus.addTopic(c.topicName, c.fifo ? { fifo: true } : {});
  if (c.rawOptions) return { service, topic, options: c.rawOptions.value };
  const options = defined({
    ...c.options,
    queue: c.queue ? broughtQueue(w.stack, c.queue, suffix) : undefined,
    encryptionKey: c.key ? subscriptionKey(w.stack, c.key, suffix) : undefined,
    filterPolicy: policyOf(c.filterPolicy, attributesOf),
    filterPolicyWithMessageBody: policyOf(c.body, bodyOf),
  }) as SubscribeOptions;
  return { service, topic, options };
}

/** The env vars of the service's app container. */
export function environmentOf(template: Template, stack: Stack, service: ITwelveFactorService): Array<{ Name: string; Value: unknown }> {
  const def = resourcesOf(template, 'AWS::ECS::TaskDefinition')[idOf(stack, service.taskDefinition)];
  return def.Properties.ContainerDefinitions[0].Environment ?? [];
}

/** Checks the template of one valid subscription against its case. */
export function checkSubscription(c: SubCase, stack: Stack, template: Template, sub: EventSubscription): void {
  const o = c.options;
  const fifo = c.fifo;
  const queues = resourcesOf(template, 'AWS::SQS::Queue');
  const queueId = logicalIdOf(stack, sub.queue.queueArn);
  const subscriptions = Object.values(resourcesOf(template, 'AWS::SNS::Subscription')).filter((s) => s.Properties.Protocol === 'sqs');
  const mine = subscriptions.filter((s) => JSON.stringify(s.Properties.Endpoint) === JSON.stringify(stack.resolve(sub.queue.queueArn)));
  expect(mine.length).toBe(1);
  const snsSub = mine[0].Properties;
  expect(snsSub.TopicArn).toEqual(stack.resolve(sub.topic.topic.topicArn));
  expect(snsSub.RawMessageDelivery).toBe(o.rawMessageDelivery ?? false);
  // The subscription's own dead-letter queue: what SNS could not deliver.
  const subDlq = queues[logicalIdOf(stack, sub.subscriptionDeadLetterQueue.queueArn)!].Properties;
  expect(snsSub.RedrivePolicy.deadLetterTargetArn).toEqual(stack.resolve(sub.subscriptionDeadLetterQueue.queueArn));
  expect(subDlq.FifoQueue === true).toBe(fifo);
  expect(subDlq.KmsMasterKeyId).toBeDefined();
  // Filter policy and scope.
  if (c.filterPolicy) {
    expect(snsSub.FilterPolicy).toEqual(renderAttributes(policyOf(c.filterPolicy, attributesOf)));
    expect(snsSub.FilterPolicyScope ?? 'MessageAttributes').toBe('MessageAttributes');
    expect(sub.filterPolicyScope).toBe('MessageAttributes');
  } else if (c.body) {
    expect(snsSub.FilterPolicy).toEqual(renderBody(policyOf(c.body, bodyOf)));
    expect(snsSub.FilterPolicyScope).toBe('MessageBody');
    expect(sub.filterPolicyScope).toBe('MessageBody');
  } else {
    expect(snsSub.FilterPolicy).toBeUndefined();
    expect(sub.filterPolicyScope).toBeUndefined();
  }
  // The queue: created with the options, or the one brought.
  if (c.queue === undefined) {
    expect(Object.keys(queues).length).toBe(3);
    const queue = queues[queueId!].Properties;
    expect(queue.FifoQueue === true).toBe(fifo);
    expect(queue.RedrivePolicy.maxReceiveCount).toBe(o.maxReceiveCount ?? 10);
    expect(queue.KmsMasterKeyId).toBeDefined();
    if (c.key === 'imported') expect(queue.KmsMasterKeyId).toBe(KEY_ARN);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(c.service.stop);
    expect(queue.VisibilityTimeout).toBe(o.visibilityTimeout ? o.visibilityTimeout.toSeconds() : Math.max(30, c.service.stop));
    expect(queue.MessageRetentionPeriod).toBe((o.retentionPeriod ?? Duration.days(4)).toSeconds());
    const dlq = queues[queue.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0]].Properties;
    expect(dlq.FifoQueue === true).toBe(fifo);
    expect(dlq.KmsMasterKeyId).toBeDefined();
    expect(dlq.MessageRetentionPeriod).toBe((o.deadLetterRetentionPeriod ?? Duration.days(14)).toSeconds());
    expect(subDlq.MessageRetentionPeriod).toBe(dlq.MessageRetentionPeriod);
    // Dead letters are kept at least as long as messages.
    expect(dlq.MessageRetentionPeriod).toBeGreaterThanOrEqual(queue.MessageRetentionPeriod);
  } else if (queueInStack(c.queue)) {
    expect(queueId).toBe(logicalIdOf(stack, (sub.queue as sqs.Queue).queueArn));
    expect(queueId!.startsWith('Brought')).toBe(true);
    expect(Object.keys(queues).length).toBe(3);
    expect(tlsOnlyPolicies(template, 'AWS::SQS::QueuePolicy', 'Queues', queueId!, 'sqs:*').length).toBe(1);
  } else {
    expect(queueId).toBeUndefined();
    expect(Object.keys(queues).length).toBe(1);
    expect(Annotations.fromStack(stack).findWarning(`/${sub.node.path}`, Match.stringLikeRegexp('importedQueue')).length).toBe(1);
  }
  // The queue policy lets this topic send, for a queue CDK manages.
  if (queueId) {
    const policies = Object.values(resourcesOf(template, 'AWS::SQS::QueuePolicy')).filter((p) => (p.Properties.Queues as any[]).some((q) => q.Ref === queueId));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as any[]);
    const sends = statements.filter((s) => s.Principal?.Service === 'sns.amazonaws.com');
    expect(sends.length).toBe(1);
    // A statement id per topic, so that a queue may serve several topics.
    expect(sends[0].Sid).toMatch(/^AllowTopic[A-Za-z0-9]{1,90}$/);
    expect(sends[0].Action).toBe('sqs:SendMessage');
    expect(JSON.stringify(sends[0].Condition.ArnEquals['aws:SourceArn'])).toBe(JSON.stringify(stack.resolve(sub.topic.topic.topicArn)));
  }
  // The variable.
  const prefix = o.envVarPrefix ?? TOPIC_NAMES[c.topicName];
  expect(sub.envVarName).toBe(`${prefix}_QUEUE_URL`);
  expect(environmentOf(template, stack, sub.service)).toContainEqual({ Name: `${prefix}_QUEUE_URL`, Value: stack.resolve(sub.queue.queueUrl) });
  // Backlog scaling.
  const policies = Object.values(resourcesOf(template, 'AWS::ApplicationAutoScaling::ScalingPolicy'));
  const backlog = policies.filter((p) => p.Properties.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification);
  const steps = policies.filter((p) => p.Properties.PolicyType === 'StepScaling');
  if (o.acceptableLatency !== undefined) {
    const target = Math.floor(o.acceptableLatency.toMilliseconds() / (o.messageProcessingTime ?? Duration.seconds(1)).toMilliseconds());
    expect(sub.backlogPerTaskTarget).toBe(target);
    expect(backlog.length).toBe(1);
    const config = backlog[0].Properties.TargetTrackingScalingPolicyConfiguration;
    expect(config.TargetValue).toBe(target);
    expect(config.TargetValue).toBeGreaterThanOrEqual(1);
    const metrics: any[] = config.CustomizedMetricSpecification.Metrics;
    expect(metrics.filter((m) => m.ReturnData === true).length).toBe(1);
    expect(metrics.some((m) => m.Id === 'messages' && JSON.stringify(m.MetricStat.Metric.Dimensions[0].Value)
      === JSON.stringify(stack.resolve(sub.queue.queueName)))).toBe(true);
    expect(steps.length).toBe(TASKS[c.service.tasks].min === 0 ? 1 : 0);
  } else {
    expect(backlog.length).toBe(0);
    expect(steps.length).toBe(0);
    expect(sub.backlogScalingPolicy).toBeUndefined();
  }
  // Alarms: the dead-letter queues' and the oldest message's, naming the topic.
  const alarms = Object.values(resourcesOf(template, 'AWS::CloudWatch::Alarm'))
    .filter((a) => String(a.Properties.AlarmDescription).includes(`of the ${c.topicName} topic`) && String(a.Properties.AlarmDescription).includes('Test/Svc'));
  const alarmsOn = o.defaultAlarms !== false;
  const knownDlq = c.queue === undefined || queueInStack(c.queue);
  expect(sub.alarms.length).toBe(alarmsOn ? (knownDlq ? 3 : 2) : 0);
  expect(alarms.length).toBe(sub.alarms.length);
  if (alarmsOn) {
    // By default 15 minutes, or half a retention of 30 minutes or less (whole seconds).
    const retention = c.queue === undefined ? (o.retentionPeriod ?? Duration.days(4)).toSeconds() : undefined;
    const byDefault = retention !== undefined && retention <= 1800 ? Math.floor(retention / 2) : 900;
    const threshold = o.oldestMessageAgeThreshold ? o.oldestMessageAgeThreshold.toSeconds() : byDefault;
    const oldest = alarms.find((a) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage');
    expect(oldest.Properties.Threshold).toBe(threshold);
    // The alarm can go off before the queue deletes the message.
    if (retention !== undefined) expect(threshold).toBeLessThan(retention);
  }
  const service = resourcesOf(template, 'AWS::ECS::Service')[idOf(stack, sub.service.service)].Properties;
  const deploymentAlarms: unknown[] = service.DeploymentConfiguration?.Alarms?.AlarmNames ?? [];
  for (const alarm of sub.alarms) {
    const named = deploymentAlarms.some((a) => JSON.stringify(a) === JSON.stringify(stack.resolve(alarm.alarmName)));
    expect(named).toBe(o.enableDeploymentAlarms === true);
  }
}

/** The statements of the template's IAM policies that allow the action on the resource. */
export function allows(template: Template, action: string, resource: unknown): boolean {
  return Object.values(resourcesOf(template, 'AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as any[])
    .some((st) => st.Effect === 'Allow' && [st.Action].flat().includes(action)
      && [st.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify(resource)));
}
