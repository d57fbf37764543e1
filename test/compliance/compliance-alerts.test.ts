import {
  App,
  Duration,
  Lazy,
  Stack,
  aws_config as config,
  aws_ecs as ecs,
  aws_iam as iam,
  aws_kms as kms,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { formatGateReports, GateReport, runGates } from '../../examples/store/gates';
import { ComplianceAlerts, ComplianceAlertsProps, ComplianceType } from '../../src/compliance';
import { MicroserviceEnvironment } from '../../src/environment';
import { TwelveFactorService } from '../../src/service';

const ACCOUNT = '111111111111';

function newStack(): Stack {
  const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
  return new Stack(app, 'Test', { env: { account: ACCOUNT, region: 'us-east-1' } });
}

function synth(props: ComplianceAlertsProps = {}): { stack: Stack; alerts: ComplianceAlerts; template: Template } {
  const stack = newStack();
  const alerts = new ComplianceAlerts(stack, 'Alerts', props);
  return { stack, alerts, template: Template.fromStack(stack) };
}

function id(stack: Stack, construct: { node: { defaultChild?: unknown } } | undefined): string {
  return stack.getLogicalId(construct!.node.defaultChild as never);
}

/** The statements of the one resource of a type. */
function statements(template: Template, type: string, property: string, logicalId?: string): Array<{ [key: string]: unknown }> {
  const resources = template.findResources(type);
  const entries = Object.entries(resources).filter(([k]) => logicalId === undefined || k === logicalId);
  expect(entries).toHaveLength(1);
  return entries[0][1].Properties[property].Statement;
}

function queuePolicyOf(template: Template, queueId: string): Array<{ [key: string]: unknown }> {
  const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'))
    .filter((p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]));
  expect(policies).toHaveLength(1);
  return policies[0].Properties.PolicyDocument.Statement;
}

const partitionArn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

describe('ComplianceAlerts: the rule', () => {
  test('matches NON_COMPLIANT compliance changes of every rule by default, exactly', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::Events::Rule', 1);
    template.hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: Match.objectEquals({
        'source': ['aws.config'],
        'detail-type': ['Config Rules Compliance Change'],
        'detail': {
          messageType: ['ComplianceChangeNotification'],
          newEvaluationResult: { complianceType: ['NON_COMPLIANT'] },
        },
      }),
    });
  });

  test('matches the chosen compliance types and rule names, duplicates merged', () => {
    const { template } = synth({
      complianceTypes: [ComplianceType.NON_COMPLIANT, ComplianceType.COMPLIANT, ComplianceType.NON_COMPLIANT],
      ruleNames: ['https-only', 'sqs_encrypted', 'https-only'],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectEquals({
        'source': ['aws.config'],
        'detail-type': ['Config Rules Compliance Change'],
        'detail': {
          messageType: ['ComplianceChangeNotification'],
          configRuleName: ['https-only', 'sqs_encrypted'],
          newEvaluationResult: { complianceType: ['NON_COMPLIANT', 'COMPLIANT'] },
        },
      }),
    });
  });

  test('every compliance type is accepted', () => {
    const { template } = synth({ complianceTypes: Object.values(ComplianceType) });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { newEvaluationResult: { complianceType: ['NON_COMPLIANT', 'COMPLIANT', 'NOT_APPLICABLE', 'INSUFFICIENT_DATA'] } } },
    });
  });

  test('accepts rule names that are tokens (a Config rule of the same stack)', () => {
    const stack = newStack();
    const rule = new config.ManagedRule(stack, 'Https', { identifier: config.ManagedRuleIdentifiers.ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK });
    new ComplianceAlerts(stack, 'Alerts', { ruleNames: [rule.configRuleName] });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { configRuleName: [{ Ref: stack.getLogicalId(rule.node.defaultChild as config.CfnConfigRule) }] } },
    });
  });

  test('has one target, the topic, with a retry policy and the delivery dead-letter queue', () => {
    const { stack, alerts, template } = synth();
    const rule = template.findResources('AWS::Events::Rule');
    const targets = Object.values(rule)[0].Properties.Targets;
    expect(targets).toEqual([{
      Id: 'Target0',
      Arn: { Ref: id(stack, alerts.topic as sns.Topic) },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [id(stack, alerts.deliveryDeadLetterQueue), 'Arn'] } },
      RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 },
    }]);
    expect(alerts.rule.node.id).toBe('Resource');
  });

  test('EventBridge may send to the delivery dead-letter queue from this rule only', () => {
    const { stack, alerts, template } = synth();
    const dlq = id(stack, alerts.deliveryDeadLetterQueue);
    const policy = queuePolicyOf(template, dlq);
    const events = policy.filter((s) => JSON.stringify(s.Principal).includes('events.amazonaws.com'));
    expect(events).toEqual([{
      Sid: 'AllowRuleToKeepUndeliveredEvents',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': [dlq, 'Arn'] },
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id(stack, alerts.rule), 'Arn'] } } },
    }]);
  });
});

describe('ComplianceAlerts: the topic and the key', () => {
  test('creates a topic encrypted with a new rotating key', () => {
    const { stack, alerts, template } = synth();
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(alerts.encryptionKey).toBeInstanceOf(kms.Key);
    const key = id(stack, alerts.encryptionKey as kms.Key);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [key, 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('the topic policy: TLS only, and only EventBridge publishing from this rule', () => {
    const { stack, alerts, template } = synth();
    const topic = id(stack, alerts.topic as sns.Topic);
    expect(statements(template, 'AWS::SNS::TopicPolicy', 'PolicyDocument')).toEqual([
      {
        Sid: 'AllowPublishThroughSSLOnly',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: { Ref: topic },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'AllowComplianceRuleToPublish',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topic },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id(stack, alerts.rule), 'Arn'] } } },
      },
    ]);
  });

  test('the key policy: EventBridge and SNS of this account and Region only, and no grants for non-AWS resources', () => {
    const { template } = synth();
    const policy = statements(template, 'AWS::KMS::Key', 'KeyPolicy');
    expect(policy.slice(1)).toEqual([
      {
        Sid: 'DenyGrantsNotForAwsResources',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      },
      {
        // No aws:SourceArn/aws:SourceAccount condition: not supported for EventBridge to
        // encrypted topics (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
        Sid: 'AllowEventBridgeToUseKey',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      },
      {
        Sid: 'AllowSnsTopicsOfThisAccount',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceAccount': ACCOUNT },
          ArnLike: { 'aws:SourceArn': partitionArn(`:sns:us-east-1:${ACCOUNT}:*`) },
        },
      },
    ]);
    // The first statement is CDK's default: the account administers the key.
    expect(policy[0]).toMatchObject({ Effect: 'Allow', Action: 'kms:*', Principal: { AWS: partitionArn(`:iam::${ACCOUNT}:root`) } });
  });

  test('uses the key the user brings for the topic and every queue, and adds the service statements to it', () => {
    const stack = newStack();
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    const alerts = new ComplianceAlerts(stack, 'Alerts', { encryptionKey: key });
    const template = Template.fromStack(stack);
    expect(alerts.encryptionKey).toBe(key);
    template.resourceCountIs('AWS::KMS::Key', 1);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] };
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: keyArn });
    expect(Object.values(template.findResources('AWS::SQS::Queue')).map((q) => q.Properties.KmsMasterKeyId)).toEqual([keyArn, keyArn, keyArn]);
    const sids = statements(template, 'AWS::KMS::Key', 'KeyPolicy').map((s) => s.Sid);
    expect(sids).toEqual([undefined, 'AllowEventBridgeToUseKey', 'AllowSnsTopicsOfThisAccount']);
  });

  test('an imported key: a warning for each statement CDK cannot add', () => {
    const stack = newStack();
    const key = kms.Key.fromKeyArn(stack, 'Imported', `arn:aws:kms:us-east-1:${ACCOUNT}:key/abc`);
    const alerts = new ComplianceAlerts(stack, 'Alerts', { encryptionKey: key });
    expect(alerts.encryptionKey).toBe(key);
    const annotations = Annotations.fromStack(stack);
    annotations.hasWarning('/Test/Alerts', Match.stringLikeRegexp('events.amazonaws.com use kms:Decrypt and kms:GenerateDataKey\\*'));
    annotations.hasWarning('/Test/Alerts', Match.stringLikeRegexp('sns.amazonaws.com use kms:Decrypt and kms:GenerateDataKey\\*'));
    Template.fromStack(stack).resourceCountIs('AWS::KMS::Key', 0);
  });

  test('uses the topic the user brings: no topic created; the rule targets it; its policy and key let this rule publish', () => {
    const stack = newStack();
    const topicKey = new kms.Key(stack, 'TopicKey', { enableKeyRotation: true });
    const topic = new sns.Topic(stack, 'MyTopic', { masterKey: topicKey, enforceSSL: true });
    const alerts = new ComplianceAlerts(stack, 'Alerts', { topic, emails: ['ops@example.com'] });
    const template = Template.fromStack(stack);
    expect(alerts.topic).toBe(topic);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const topicId = stack.getLogicalId(topic.node.defaultChild as sns.CfnTopic);
    template.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: { Ref: topicId } })] });
    expect(statements(template, 'AWS::SNS::TopicPolicy', 'PolicyDocument')[1]).toEqual({
      Sid: 'AllowComplianceRuleToPublish',
      Effect: 'Allow',
      Principal: { Service: 'events.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: topicId },
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [id(stack, alerts.rule), 'Arn'] } } },
    });
    // The topic's own key lets EventBridge publish; our new key (for the queues) too.
    template.resourceCountIs('AWS::KMS::Key', 2);
    const topicKeyPolicy = statements(template, 'AWS::KMS::Key', 'KeyPolicy', stack.getLogicalId(topicKey.node.defaultChild as kms.CfnKey));
    expect(topicKeyPolicy.map((s) => s.Sid)).toEqual([undefined, 'AllowEventBridgeToUseKey']);
    template.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: { Ref: topicId }, Protocol: 'email' });
    template.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: { Ref: topicId }, Protocol: 'sqs' });
  });

  test('an imported topic: a warning that its policy must let the rule publish', () => {
    const stack = newStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Imported', `arn:aws:sns:us-east-1:${ACCOUNT}:alerts`);
    new ComplianceAlerts(stack, 'Alerts', { topic });
    Annotations.fromStack(stack).hasWarning('/Test/Alerts', Match.stringLikeRegexp('CDK cannot change its policy. Let events.amazonaws.com use sns:Publish'));
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Topic', 0);
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ Arn: topic.topicArn })] });
  });

  test('an unencrypted topic brought: a warning', () => {
    const stack = newStack();
    new ComplianceAlerts(stack, 'Alerts', { topic: new sns.Topic(stack, 'Plain') });
    Annotations.fromStack(stack).hasWarning('/Test/Alerts', Match.stringLikeRegexp('The topic Test/Plain is not encrypted'));
  });

  test('no warning with the defaults', () => {
    const { stack } = synth({ emails: ['ops@example.com'] });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });
});

describe('ComplianceAlerts: email subscriptions', () => {
  test('none by default', () => {
    const { template, alerts } = synth();
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 0);
    expect(alerts.emails).toEqual([]);
  });

  test('one per address, duplicates (ignoring case) merged, addEmail idempotent', () => {
    const stack = newStack();
    const alerts = new ComplianceAlerts(stack, 'Alerts', { emails: ['ops@example.com', 'Sec.Team+config@sub.example.org', 'OPS@example.com'] });
    alerts.addEmail('oncall@example.com');
    alerts.addEmail('oncall@example.com');
    alerts.addEmail('ops@EXAMPLE.com');
    const template = Template.fromStack(stack);
    expect(alerts.emails).toEqual(['ops@example.com', 'Sec.Team+config@sub.example.org', 'oncall@example.com']);
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 3);
    for (const endpoint of alerts.emails) {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email', Endpoint: endpoint, TopicArn: { Ref: id(stack, alerts.topic as sns.Topic) },
      });
    }
  });

  test('an empty list subscribes nobody', () => {
    const { template } = synth({ emails: [] });
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'email' }, 0);
  });

  test('the subscription is named after the address, so removing one address keeps the others', () => {
    const { alerts } = synth({ emails: ['a@example.com', 'b@example.com'] });
    expect(alerts.node.tryFindChild('Emailb@example.com')).toBeDefined();
  });

  test('addresses that are tokens are accepted, each its own subscription', () => {
    const stack = newStack();
    const alerts = new ComplianceAlerts(stack, 'Alerts', { emails: [Lazy.string({ produce: () => 'x@example.com' })] });
    alerts.addEmail(Lazy.string({ produce: () => 'y@example.com' }));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'x@example.com' });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'y@example.com' });
  });

  test.each(['not-an-email', 'a@b', '', 'a b@c.com', 'a@b.c', '.a@example.com', 'a..b@example.com', 'a@-example.com', `${'a'.repeat(65)}@example.com`])(
    'addEmail refuses %p with our error',
    (address) => {
      const { alerts } = synth();
      expect(() => alerts.addEmail(address)).toThrow(
        `\`ComplianceAlerts\` at Test/Alerts: \`addEmail()\`: \`address\` '${address}' is not an email address; use one such as platform@example.com`);
      expect(alerts.emails).toEqual([]);
    },
  );
});

describe('ComplianceAlerts: the queue', () => {
  test('an encrypted queue with a dead-letter queue after 5 receives, subscribed with raw delivery', () => {
    const { stack, alerts, template } = synth();
    template.resourceCountIs('AWS::SQS::Queue', 3);
    const key = { 'Fn::GetAtt': [id(stack, alerts.encryptionKey as kms.Key), 'Arn'] };
    const queue = id(stack, alerts.queue);
    const dlq = id(stack, alerts.deadLetterQueue);
    expect(template.findResources('AWS::SQS::Queue')[queue].Properties).toEqual({
      KmsMasterKeyId: key,
      MessageRetentionPeriod: 4 * 24 * 3600,
      VisibilityTimeout: 30,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq, 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(template.findResources('AWS::SQS::Queue')[dlq].Properties).toEqual({
      KmsMasterKeyId: key,
      MessageRetentionPeriod: 14 * 24 * 3600,
      RedriveAllowPolicy: { redrivePermission: 'allowAll' },
    });
    expect(template.findResources('AWS::SQS::Queue')[id(stack, alerts.deliveryDeadLetterQueue)].Properties).toEqual({
      KmsMasterKeyId: key,
      MessageRetentionPeriod: 14 * 24 * 3600,
      RedriveAllowPolicy: { redrivePermission: 'byQueue', sourceQueueArns: [{ 'Fn::GetAtt': [queue, 'Arn'] }] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'sqs',
      Endpoint: { 'Fn::GetAtt': [queue, 'Arn'] },
      TopicArn: { Ref: id(stack, alerts.topic as sns.Topic) },
      RawMessageDelivery: true,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [id(stack, alerts.deliveryDeadLetterQueue), 'Arn'] } },
    });
  });

  test('the subscription waits for the queue policy and the key', () => {
    const { stack, alerts, template } = synth();
    const subscription = Object.values(template.findResources('AWS::SNS::Subscription', { Properties: { Protocol: 'sqs' } }))[0];
    expect(subscription.DependsOn).toEqual(expect.arrayContaining([
      id(stack, alerts.encryptionKey as kms.Key),
      stack.getLogicalId(alerts.queue!.node.findChild('Policy').node.defaultChild as never),
    ]));
  });

  test('the queue policy: TLS only, and only this topic may send', () => {
    const { stack, alerts, template } = synth();
    const queue = id(stack, alerts.queue);
    expect(queuePolicyOf(template, queue)).toEqual([
      {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'sqs:*',
        Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      {
        Sid: 'AllowComplianceTopicToSend',
        Effect: 'Allow',
        Principal: { Service: 'sns.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
        Condition: { ArnEquals: { 'aws:SourceArn': { Ref: id(stack, alerts.topic as sns.Topic) } } },
      },
    ]);
  });

  test('every queue refuses requests without TLS', () => {
    const { template } = synth();
    const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy'));
    expect(policies).toHaveLength(3);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement[0]).toMatchObject({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
    }
  });

  test('SNS may send to the delivery dead-letter queue from this topic only', () => {
    const { stack, alerts, template } = synth();
    const dlq = id(stack, alerts.deliveryDeadLetterQueue);
    const sns_ = queuePolicyOf(template, dlq).filter((s) => JSON.stringify(s.Principal).includes('sns.amazonaws.com'));
    expect(sns_).toEqual([expect.objectContaining({
      Action: 'sqs:SendMessage',
      Condition: { ArnEquals: { 'aws:SourceArn': { Ref: id(stack, alerts.topic as sns.Topic) } } },
    })]);
  });

  test('queue options: raw delivery off, receives, visibility', () => {
    const { stack, alerts, template } = synth({ rawMessageDelivery: false, maxReceiveCount: 3, visibilityTimeout: Duration.minutes(5) });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sqs', RawMessageDelivery: false });
    expect(template.findResources('AWS::SQS::Queue')[id(stack, alerts.queue)].Properties).toMatchObject({
      VisibilityTimeout: 300,
      RedrivePolicy: { maxReceiveCount: 3 },
    });
  });

  test('createQueue: false creates no queue, and the delivery dead-letter queue stays', () => {
    const { alerts, template } = synth({ createQueue: false, emails: ['ops@example.com'] });
    expect(alerts.queue).toBeUndefined();
    expect(alerts.deadLetterQueue).toBeUndefined();
    template.resourceCountIs('AWS::SQS::Queue', 1);
    template.hasResourceProperties('AWS::SQS::Queue', { RedriveAllowPolicy: { redrivePermission: 'allowAll' } });
    template.resourcePropertiesCountIs('AWS::SNS::Subscription', { Protocol: 'sqs' }, 0);
    // SNS delivers to no queue: the key does not let SNS use it.
    expect(statements(template, 'AWS::KMS::Key', 'KeyPolicy').map((s) => s.Sid)).not.toContain('AllowSnsTopicsOfThisAccount');
    expect(() => alerts.asBackingService()).toThrow(
      '`ComplianceAlerts` at Test/Alerts: `asBackingService()` needs the queue, which `createQueue: false` turned off');
  });
});

describe('ComplianceAlerts: asBackingService', () => {
  const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable');

  function attached(options?: { envVarPrefix?: string }) {
    const stack = newStack();
    const environment = new MicroserviceEnvironment(stack, 'Env', { createVpcEndpoints: true });
    const alerts = new ComplianceAlerts(stack, 'Alerts');
    const remediator = new TwelveFactorService(stack, 'Remediator', { environment, image: IMAGE, user: '1000' });
    remediator.attach(alerts.asBackingService(options));
    return { stack, alerts, remediator, template: Template.fromStack(stack) };
  }

  test('lets the service receive and delete messages of the queue and decrypt them', () => {
    const { stack, alerts, remediator, template } = attached();
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(remediator.taskRole.node.defaultChild as iam.CfnRole) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['sqs:ReceiveMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
            Resource: { 'Fn::GetAtt': [id(stack, alerts.queue), 'Arn'] },
          },
          {
            Effect: 'Allow',
            Action: 'kms:Decrypt',
            Resource: { 'Fn::GetAtt': [id(stack, alerts.encryptionKey as kms.Key), 'Arn'] },
          },
        ]),
      },
    });
    // Consuming only: no send to the alerts queue.
    const taskRole = [{ Ref: stack.getLogicalId(remediator.taskRole.node.defaultChild as iam.CfnRole) }];
    const taskPolicies = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((r) => JSON.stringify(r.Properties.Roles) === JSON.stringify(taskRole));
    expect(JSON.stringify(taskPolicies)).not.toContain('sqs:SendMessage');
  });

  test('injects the queue URL under the construct id, and asks the environment for the SQS endpoint', () => {
    const { stack, alerts, template } = attached();
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({
        Environment: Match.arrayWith([{ Name: 'ALERTS_QUEUE_URL', Value: { Ref: id(stack, alerts.queue) } }]),
      })]),
    });
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.us-east-1.sqs',
    });
  });

  test('envVarPrefix names the variable', () => {
    const { stack, alerts, template } = attached({ envVarPrefix: 'FINDINGS' });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([Match.objectLike({
        Environment: Match.arrayWith([{ Name: 'FINDINGS_QUEUE_URL', Value: { Ref: id(stack, alerts.queue) } }]),
      })]),
    });
  });

  test('an envVarPrefix that is not upper snake case is refused at attach', () => {
    expect(() => attached({ envVarPrefix: 'findings-queue' })).toThrow(/envVarPrefix/);
  });
});

describe('ComplianceAlerts: alarms', () => {
  test('none by default', () => {
    const { alerts, template } = synth();
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    expect(alerts.deadLetterAlarm).toBeUndefined();
    expect(alerts.deliveryDeadLetterAlarm).toBeUndefined();
  });

  test('with alarmTopic: one on each dead-letter queue, notifying it', () => {
    const stack = newStack();
    const alarmTopic = new sns.Topic(stack, 'Alarms');
    const alerts = new ComplianceAlerts(stack, 'Alerts', { alarmTopic });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    for (const queue of [alerts.deadLetterQueue!, alerts.deliveryDeadLetterQueue]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(stack, queue), 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: stack.getLogicalId(alarmTopic.node.defaultChild as sns.CfnTopic) }],
      });
    }
    expect(alerts.deadLetterAlarm).toBeDefined();
    expect(alerts.deliveryDeadLetterAlarm).toBeDefined();
  });

  test('with alarmTopic and createQueue: false: the delivery dead-letter queue only', () => {
    const stack = newStack();
    const alerts = new ComplianceAlerts(stack, 'Alerts', { alarmTopic: new sns.Topic(stack, 'Alarms'), createQueue: false });
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 1);
    expect(alerts.deadLetterAlarm).toBeUndefined();
  });
});

describe('ComplianceAlerts: refusals', () => {
  const prefix = '`ComplianceAlerts` at Test/Alerts: ';

  test.each<[string, ComplianceAlertsProps, string]>([
    ['bad email', { emails: ['not-an-email'] }, "`emails` 'not-an-email' is not an email address; use one such as platform@example.com"],
    ['email without a dot in the domain', { emails: ['a@b'] }, "`emails` 'a@b' is not an email address"],
    ['empty email', { emails: [''] }, "`emails` '' is not an email address"],
    ['email with a space', { emails: ['a b@c.com'] }, "`emails` 'a b@c.com' is not an email address"],
    ['email with spaces around', { emails: [' ops@example.com'] }, "`emails` ' ops@example.com' is not an email address"],
    ['emails not a list', { emails: 'ops@example.com' as never }, "`emails` 'ops@example.com' is not a list of strings"],
    ['unknown compliance type', { complianceTypes: ['BROKEN' as ComplianceType] },
      "`complianceTypes` 'BROKEN' is not a ComplianceType; use one of ComplianceType.NON_COMPLIANT, ComplianceType.COMPLIANT"],
    ['empty compliance types', { complianceTypes: [] }, '`complianceTypes` is empty, which would match no change'],
    ['empty rule names', { ruleNames: [] }, '`ruleNames` is empty, which would match no rule'],
    ['rule name with a space', { ruleNames: ['https only'] },
      "`ruleNames` 'https only' is not an AWS Config rule name; use 1 to 128 letters, digits, hyphens (-) and underscores (_)"],
    ['empty rule name', { ruleNames: [''] }, "`ruleNames` '' is not an AWS Config rule name"],
    ['rule name too long', { ruleNames: ['a'.repeat(129)] }, '`ruleNames` \'aaaa'],
    ['rule name with a dot', { ruleNames: ['rule.one'] }, "`ruleNames` 'rule.one' is not an AWS Config rule name"],
    ['maxReceiveCount 0', { maxReceiveCount: 0 }, '`maxReceiveCount` 0 is not valid; use a whole number from 1 to 1000'],
    ['maxReceiveCount fraction', { maxReceiveCount: 1.5 }, '`maxReceiveCount` 1.5 is not valid'],
    ['visibilityTimeout too long', { visibilityTimeout: Duration.hours(13) }, '`visibilityTimeout` 13 hours is not valid; use whole seconds from 0 seconds to 12 hours'],
    ['visibilityTimeout fraction', { visibilityTimeout: Duration.millis(1500) }, '`visibilityTimeout` 1 second 500 millis is not valid'],
    ['createQueue not a boolean', { createQueue: 'yes' as never }, "`createQueue` 'yes' is not a boolean"],
    ['rawMessageDelivery without the queue', { createQueue: false, rawMessageDelivery: true },
      '`rawMessageDelivery` configures the queue, which `createQueue: false` turns off; remove one of them'],
    ['maxReceiveCount without the queue', { createQueue: false, maxReceiveCount: 3 }, '`maxReceiveCount` configures the queue'],
    ['visibilityTimeout without the queue', { createQueue: false, visibilityTimeout: Duration.seconds(10) }, '`visibilityTimeout` configures the queue'],
    ['topic not a topic', { topic: {} as never }, '`topic` {} is not an sns.ITopic'],
    ['encryptionKey not a key', { encryptionKey: 'alias/mine' as never }, "`encryptionKey` 'alias/mine' is not a kms.IKey"],
    ['alarmTopic not a topic', { alarmTopic: 42 as never }, '`alarmTopic` 42 is not an sns.ITopic'],
  ])('%s', (_name, props, message) => {
    const stack = newStack();
    expect(() => new ComplianceAlerts(stack, 'Alerts', props)).toThrow(prefix + message);
    // The failed construct leaves nothing behind: the id can be used again.
    expect(stack.node.tryFindChild('Alerts')).toBeUndefined();
  });

  test('a FIFO topic is refused', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Fifo', { fifo: true });
    expect(() => new ComplianceAlerts(stack, 'Alerts', { topic })).toThrow(`${prefix}\`topic\` is a FIFO topic`);
  });

  test('the alarm topic cannot be the topic', () => {
    const stack = newStack();
    const topic = new sns.Topic(stack, 'Shared');
    expect(() => new ComplianceAlerts(stack, 'Alerts', { topic, alarmTopic: topic })).toThrow(`${prefix}\`alarmTopic\` is the \`topic\``);
  });

  test('props that are not an object are refused', () => {
    expect(() => new ComplianceAlerts(newStack(), 'Alerts', null as never)).toThrow(`${prefix}props null are not an object`);
  });

  test('every problem in one error', () => {
    const stack = newStack();
    let error: Error | undefined;
    try {
      new ComplianceAlerts(stack, 'Alerts', { emails: ['x', 'ok@example.com', 'y@'], ruleNames: [], complianceTypes: ['NOPE' as ComplianceType], maxReceiveCount: -1 });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.name).toBe('MicroservicesValidationError');
    expect((error as unknown as { problems: string[] }).problems).toEqual([
      expect.stringContaining('`complianceTypes` \'NOPE\''),
      expect.stringContaining('`ruleNames` is empty'),
      expect.stringContaining('`emails` \'x\''),
      expect.stringContaining('`emails` \'y@\''),
      expect.stringContaining('`maxReceiveCount` -1'),
    ]);
    expect(error?.message.startsWith('`ComplianceAlerts` at Test/Alerts:\n  - ')).toBe(true);
  });

  test('tokens are not validated', () => {
    const stack = newStack();
    const token = Lazy.string({ produce: () => 'anything' });
    expect(() => new ComplianceAlerts(stack, 'Alerts', {
      emails: [token], ruleNames: [token], maxReceiveCount: Lazy.number({ produce: () => 7 }),
    })).not.toThrow();
  });
});

/**
 * Every gate of the reference app over ComplianceAlerts: the resources it creates must have
 * zero unacknowledged findings. The user's own topic and keys are filtered out by path.
 */
describe('ComplianceAlerts: compliance gates', () => {
  let reports: GateReport[];
  const ours = ['Test/Alerts/', 'Test/Brought/', 'Test/NoQueue/'];

  beforeAll(async () => {
    const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
    const stack = new Stack(app, 'Test', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const userKey = new kms.Key(stack, 'UserKey', { enableKeyRotation: true });
    const alarmTopic = new sns.Topic(stack, 'Alarms', { masterKey: userKey, enforceSSL: true });
    const alerts = new ComplianceAlerts(stack, 'Alerts', {
      emails: ['platform@example.com', 'security@example.com'],
      complianceTypes: [ComplianceType.NON_COMPLIANT, ComplianceType.COMPLIANT],
      alarmTopic,
    });
    const consumer = new iam.Role(stack, 'Consumer', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    // What attaching the queue (asBackingService) grants, without a service in the gated stack.
    alerts.queue!.grantConsumeMessages(consumer);
    const topic = new sns.Topic(stack, 'UserTopic', { masterKey: userKey, enforceSSL: true });
    new ComplianceAlerts(stack, 'Brought', { topic, encryptionKey: userKey, emails: ['ops@example.com'], ruleNames: ['https-only'] });
    new ComplianceAlerts(stack, 'NoQueue', { createQueue: false, emails: ['ops@example.com'], alarmTopic });
    reports = await runGates(app, app.synth());
  }, 120_000);

  test.each(['cdk-nag AwsSolutions', 'cdk-nag NIST.800.53.R5', 'cdk-nag HIPAA.Security', 'cfn-guard Control Tower', 'cloudformation-validate'])(
    '%s: no finding on a resource ComplianceAlerts creates',
    (gate) => {
      const report = reports.find((r) => r.gate === gate)!;
      expect(report).toBeDefined();
      const mine = report.findings.filter((f) => ours.some((p) => f.resource.startsWith(p)));
      if (mine.length > 0) throw new Error(formatGateReports([{ ...report, findings: mine, warnings: [] }]));
    },
  );

  test('the delivery dead-letter queues are acknowledged as dead-letter queues (AwsSolutions-SQS3)', () => {
    const nag = reports.find((r) => r.gate === 'cdk-nag AwsSolutions')!;
    expect(nag.acknowledged).toBeGreaterThanOrEqual(3);
  });

  test('the gates ran over the user\'s resources too (they can fail)', () => {
    const all = reports.flatMap((r) => r.findings);
    expect(all.some((f) => f.resource.startsWith('Test/Consumer/') || f.resource.startsWith('Test/UserKey/'))).toBe(true);
  });
});
