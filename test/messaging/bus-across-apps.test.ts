/**
 * The message bus across apps (issue 16): a topic the platform app's bus created is subscribed
 * to and published to from a team app, which imports it by ARN
 * (`EventTopic.fromEventTopicAttributes`). The team app synthesizes offline from the
 * platform's context, with no CloudFormation export between the apps.
 */
import { App, CfnParameter, Duration, Stack, aws_ecs as ecs, aws_kms as kms, aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { environmentContext } from '../../examples/shared/environment-context';
import {
  EventTopic, EventTopicAttributes, IEventTopic, IMicroserviceEnvironment, MessageBus, MicroserviceEnvironment, TwelveFactorService,
} from '../../src';
import { attempt, expectValidationError } from '../error-contract';

const PLATFORM = { account: '111111111111', region: 'eu-west-1' };
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:111111111111:store-user-signup';
/** The bus key's ARN once the platform is deployed (an output or SSM parameter of the platform app). */
const KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/11111111-2222-3333-4444-555555555555';
const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx-unprivileged:stable');

/** The platform app: the shared environment and a bus with a named topic. */
function platform(): { stack: Stack; topic: EventTopic; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Platform', { env: PLATFORM });
  const env = new MicroserviceEnvironment(stack, 'Env', { enableTeamApps: true, environmentName: 'store' });
  const bus = new MessageBus(stack, 'Bus', { environment: env });
  const topic = bus.addTopic('user-signup', { topicName: 'store-user-signup' });
  return { stack, topic, template: Template.fromStack(stack) };
}

const platformApp = platform();
const context = environmentContext([platformApp.template.toJSON()], PLATFORM);

interface TeamApp {
  readonly app: App;
  readonly stack: Stack;
  readonly env: IMicroserviceEnvironment;
  readonly worker: TwelveFactorService;
  readonly users: TwelveFactorService;
}

function teamApp(stackEnv: { account: string; region: string } = PLATFORM): TeamApp {
  const app = new App({ context });
  const stack = new Stack(app, 'orders-team', { env: stackEnv });
  const env = MicroserviceEnvironment.fromLookup(stack, 'Env', { environmentName: 'store' });
  const worker = new TwelveFactorService(stack, 'Worker', { environment: env, image: IMAGE, user: '101', minTasks: 0, maxTasks: 4 });
  const users = new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, port: 8080, user: '101' });
  return { app, stack, env, worker, users };
}

function importSignups(team: TeamApp, attrs: Partial<EventTopicAttributes> = {}): IEventTopic {
  return EventTopic.fromEventTopicAttributes(team.stack, 'UserSignup', {
    topicArn: TOPIC_ARN,
    encryptionKeyArn: KEY_ARN,
    name: 'user-signup',
    environment: team.env,
    ...attrs,
  });
}

describe('a topic of the platform\'s bus, subscribed to and published to from a team app', () => {
  const team = teamApp();
  const signups = importSignups(team);
  const subscription = signups.subscribe(team.worker, {
    filterPolicy: { plan: sns.SubscriptionFilter.stringFilter({ allowlist: ['pro'] }) },
    rawMessageDelivery: true,
    acceptableLatency: Duration.minutes(1),
  });
  team.users.attach(signups.asBackingService());
  const template = Template.fromStack(team.stack);
  const json = JSON.stringify(template.toJSON());
  const queueKeyId = team.stack.getLogicalId(team.stack.node.findChild('UserSignup').node.findChild('QueueKey').node.defaultChild as kms.CfnKey);
  const queueId = team.stack.getLogicalId(subscription.queue.node.defaultChild as never);

  test('the SNS subscription, in the team\'s stack, names the topic by its ARN', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 1);
    template.hasResourceProperties('AWS::SNS::Subscription', {
      TopicArn: TOPIC_ARN,
      Protocol: 'sqs',
      Endpoint: { 'Fn::GetAtt': [queueId, 'Arn'] },
      RawMessageDelivery: true,
      FilterPolicy: { plan: ['pro'] },
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue() },
    });
    template.resourceCountIs('AWS::SNS::Topic', 0);
  });

  test('the queue\'s policy lets sns.amazonaws.com send from that topic only', () => {
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: queueId }],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: 'sqs:SendMessage',
          Resource: { 'Fn::GetAtt': [queueId, 'Arn'] },
          Condition: { ArnEquals: { 'aws:SourceArn': TOPIC_ARN } },
        })]),
      },
    });
  });

  test('the queues are encrypted with a key of the team\'s stack whose policy lets SNS use it', () => {
    for (const q of Object.values(template.findResources('AWS::SQS::Queue'))) {
      expect(q.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [queueKeyId, 'Arn'] });
    }
    template.resourceCountIs('AWS::SQS::Queue', 3);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowSnsToDeliverFromTopicsOfThisAccount',
          Effect: 'Allow',
          Principal: { Service: 'sns.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Condition: {
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:eu-west-1:111111111111:*']] } },
            StringEquals: { 'aws:SourceAccount': '111111111111' },
          },
        })]),
      },
    });
    // SNS may deliver once the key policy and queue policy exist.
    const sub = Object.values(template.findResources('AWS::SNS::Subscription'))[0];
    expect(sub.DependsOn).toEqual(expect.arrayContaining([queueKeyId]));
  });

  test('the publisher may publish to the topic ARN and use the topic\'s key, through its IAM policy', () => {
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('UsersTaskDefinitionTaskRole'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Effect: 'Allow', Action: 'sns:Publish', Resource: TOPIC_ARN }),
      expect.objectContaining({ Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: KEY_ARN }),
    ]));
    // No key policy of the platform is touched: the team's stack holds its own key only.
    expect(json).not.toContain('AWS::SNS::TopicPolicy');
  });

  test('the subscriber consumes its queue only, and gets its URL; the publisher gets the topic ARN', () => {
    const worker = template.findResources('AWS::ECS::TaskDefinition', { Properties: { Family: Match.stringLikeRegexp('Worker') } });
    const workerEnv = Object.values(worker)[0].Properties.ContainerDefinitions[0].Environment;
    expect(workerEnv).toContainEqual({ Name: 'USER_SIGNUP_QUEUE_URL', Value: { Ref: queueId } });
    const users = template.findResources('AWS::ECS::TaskDefinition', { Properties: { Family: Match.stringLikeRegexp('Users') } });
    expect(Object.values(users)[0].Properties.ContainerDefinitions[0].Environment).toContainEqual({ Name: 'USER_SIGNUP_TOPIC_ARN', Value: TOPIC_ARN });
    expect(signups.publishers).toEqual([team.users]);
    expect(signups.subscriptions).toEqual([subscription]);
  });

  test('alarms and backlog scaling are created as for a topic of this app', () => {
    expect(subscription.alarms).toHaveLength(3);
    expect(subscription.backlogPerTaskTarget).toBe(60);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'TargetTrackingScaling' });
  });

  test('holds no Fn::ImportValue: the apps deploy on their own', () => {
    expect(json).not.toContain('Fn::ImportValue');
  });

  test('cdk-nag AwsSolutions: no finding on the team\'s stack', () => {
    const violations = new AwsSolutionsChecks().validateScope(team.app).violations
      .filter((v) => v.severity === 'error')
      .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? r.resourceLogicalId}`));
    expect(violations).toEqual([]);
    // The check can fail: an unencrypted queue without a dead-letter queue is reported.
    const bare = new Stack(new App(), 'Bare', { env: PLATFORM });
    new sqs.Queue(bare, 'Queue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(new AwsSolutionsChecks().validateScope(bare.node.root).violations.filter((v) => v.severity === 'error')).not.toEqual([]);
  });

  test('the import and the topic of a bus are used alike through IEventTopic', () => {
    const uses: IEventTopic[] = [signups, platformApp.topic];
    for (const t of uses) {
      expect(t.name).toBe('user-signup');
      expect(t.envVarPrefix).toBe('USER_SIGNUP');
      expect(t.fifo).toBe(false);
    }
  });
});

describe('importing a topic: choices', () => {
  test('no queue key when only publishing', () => {
    const team = teamApp();
    team.users.attach(importSignups(team).asBackingService());
    Template.fromStack(team.stack).resourceCountIs('AWS::KMS::Key', 0);
  });

  test('one queue key for every subscription to an import', () => {
    const team = teamApp();
    const signups = importSignups(team);
    signups.subscribe(team.worker);
    signups.subscribe(team.users);
    const template = Template.fromStack(team.stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.resourceCountIs('AWS::SNS::Subscription', 2);
  });

  test('a queue key the team brings is used instead of a new one', () => {
    const team = teamApp();
    const key = new kms.Key(team.stack, 'TeamKey', { enableKeyRotation: true });
    const signups = importSignups(team, { queueEncryptionKey: key });
    const sub = signups.subscribe(team.worker);
    const template = Template.fromStack(team.stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [team.stack.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] } });
    expect(sub.queue.encryptionMasterKey).toBe(key);
  });

  test('the bus key brought as a subscription\'s key: a warning says its policy must let SNS use it', () => {
    const team = teamApp();
    const signups = importSignups(team);
    signups.subscribe(team.worker, { encryptionKey: kms.Key.fromKeyArn(team.stack, 'BusKey', KEY_ARN) });
    Template.fromStack(team.stack).resourceCountIs('AWS::KMS::Key', 0);
    Annotations.fromStack(team.stack).hasWarning('/orders-team/Worker/UserSignup', Match.stringLikeRegexp('cannot change its key policy'));
  });

  test('a FIFO topic gives FIFO queues', () => {
    const team = teamApp();
    const orders = importSignups(team, { topicArn: 'arn:aws:sns:eu-west-1:111111111111:store-orders.fifo', name: 'order-placed' });
    expect(orders.fifo).toBe(true);
    orders.subscribe(team.worker);
    Template.fromStack(team.stack).hasResourceProperties('AWS::SQS::Queue', { FifoQueue: true });
  });

  test('a topic ARN known only at deploy time (a token) is accepted; FIFO-ness is then given', () => {
    const team = teamApp();
    const arn = new CfnParameter(team.stack, 'TopicArn').valueAsString;
    const t = importSignups(team, { topicArn: arn, fifo: true });
    expect(t.fifo).toBe(true);
    t.subscribe(team.worker);
    Template.fromStack(team.stack).hasResourceProperties('AWS::SNS::Subscription', { TopicArn: { Ref: 'TopicArn' } });
  });

  test('without encryptionKeyArn, a warning says publishers get no key rights', () => {
    const team = teamApp();
    importSignups(team, { encryptionKeyArn: undefined });
    Annotations.fromStack(team.stack).hasWarning('/orders-team/UserSignup', Match.stringLikeRegexp('encryptionKeyArn'));
  });

  test('a service of another environment gets a warning', () => {
    const team = teamApp();
    const signups = importSignups(team);
    const other = new MicroserviceEnvironment(team.stack, 'Other', {});
    const stranger = new TwelveFactorService(team.stack, 'Stranger', { environment: other, image: IMAGE, user: '101' });
    signups.subscribe(stranger);
    Annotations.fromStack(team.stack).hasWarning('/orders-team/UserSignup', Match.stringLikeRegexp('not in the environment of the topic'));
  });
});

describe('importing a topic: refusals', () => {
  test.each([
    ['a malformed topic ARN', { topicArn: 'store-user-signup' }, ['topicArn'], 'is not an SNS topic ARN'],
    ['a queue ARN', { topicArn: 'arn:aws:sqs:eu-west-1:111111111111:store-user-signup' }, ['topicArn'], 'is not an SNS topic ARN'],
    ['a short account', { topicArn: 'arn:aws:sns:eu-west-1:1111:store-user-signup' }, ['topicArn'], 'is not an SNS topic ARN'],
    ['a topic of another account', { topicArn: 'arn:aws:sns:eu-west-1:222222222222:store-user-signup', encryptionKeyArn: undefined }, ['topicArn'], 'account 222222222222'],
    ['a topic of another Region', { topicArn: 'arn:aws:sns:us-east-1:111111111111:store-user-signup', encryptionKeyArn: undefined }, ['topicArn'], 'Region us-east-1'],
    ['a key alias ARN', { encryptionKeyArn: 'arn:aws:kms:eu-west-1:111111111111:alias/bus' }, ['encryptionKeyArn'], 'is not a KMS key ARN'],
    ['a bare key id', { encryptionKeyArn: '11111111-2222-3333-4444-555555555555' }, ['encryptionKeyArn'], 'is not a KMS key ARN'],
    ['a key of another Region than the topic', { encryptionKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555' }, ['encryptionKeyArn'], 'Region us-east-1'],
    ['a missing environment', { environment: undefined }, ['environment'], '`environment` is missing'],
    ['an environment that is not one', { environment: {} as never }, ['environment'], 'is not an IMicroserviceEnvironment'],
    ['a missing topic ARN', { topicArn: undefined }, ['topicArn'], '`topicArn` is missing'],
    ['a bad name', { name: 'user signup' }, ['name'], '`name` \'user signup\' is not valid'],
    ['fifo contradicting the ARN', { fifo: true }, ['fifo', 'topicArn'], 'contradicts'],
    ['a queue key that is not a key', { queueEncryptionKey: 'key' as never }, ['queueEncryptionKey'], 'is not a kms.IKey'],
  ])('refuses %s', (_what, attrs, props, message) => {
    const team = teamApp();
    const err = attempt(() => importSignups(team, attrs as Partial<EventTopicAttributes>));
    expect(expectValidationError(err, { classes: ['EventTopic'], path: 'orders-team/UserSignup', props })).toContain(message);
    // The refused import is taken out of the tree: the id is free again.
    expect(team.stack.node.tryFindChild('UserSignup')).toBeUndefined();
  });

  test('reports every problem at once', () => {
    const team = teamApp();
    const err = attempt(() => importSignups(team, { topicArn: 'nope', encryptionKeyArn: 'nope', environment: undefined }));
    expect((err as { problems: string[] }).problems).toHaveLength(3);
  });

  test('refuses a subscriber whose stack is in another Region than the topic', () => {
    const team = teamApp();
    const signups = importSignups(team);
    const far = new Stack(team.app, 'far', { env: { account: PLATFORM.account, region: 'us-east-1' } });
    const stranger = new TwelveFactorService(far, 'Worker', { environment: team.env, serviceName: 'far-worker', image: IMAGE, user: '101' });
    const err = attempt(() => signups.subscribe(stranger));
    expect(expectValidationError(err, { classes: ['EventTopic'], path: 'orders-team/UserSignup', props: ['subscribe', 'topicArn'] })).toContain('Region us-east-1');
  });
});
