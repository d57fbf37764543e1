/**
 * Publishing to a topic of the message bus: `service.attach(topic.asBackingService())` and
 * `topic.grantPublish(grantee)`, and the VPC endpoints the bus asks of the environment.
 */
import { Stack, aws_iam as iam, aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { policyStatementsOf, setup } from './fixtures';
import { BackingService, EventTopic, MessageBus, TwelveFactorService } from '../../src';
import { containerOf, IMAGE, withEnvironment } from '../service/fixtures';

describe('EventTopic.asBackingService and grantPublish', () => {
  test('attached: grants sns:Publish on that topic only, use of its key, and injects the topic ARN', () => {
    const { stack, topic, users } = setup();
    users.attach(topic.asBackingService());
    expect(topic.publishers).toEqual([users]);
    const t = Template.fromStack(stack);
    const statements = policyStatementsOf(t, 'UsersTaskDefinitionTaskRole');
    const sns_ = statements.filter((s) => JSON.stringify(s.Action).includes('sns:'));
    expect(sns_).toHaveLength(1);
    expect(sns_[0].Action).toBe('sns:Publish');
    expect(sns_[0].Resource.Ref).toMatch(/^Bususersignup/);
    const kmsStatement = statements.find((s) => JSON.stringify(s.Action).includes('kms:GenerateDataKey'));
    expect(kmsStatement.Resource['Fn::GetAtt'][0]).toMatch(/^BusKey/);
    const container = containerOf(t, 'UsersTaskDefinition');
    expect(container.Environment).toContainEqual({ Name: 'USER_SIGNUP_TOPIC_ARN', Value: { Ref: expect.stringMatching(/^Bususersignup/) } });
  });

  test('grantPublish grants a principal sns:Publish and the key, injects nothing and lists no publisher', () => {
    const { stack, topic, users } = setup();
    const grant = topic.grantPublish(users);
    expect(grant.success).toBe(true);
    expect(topic.publishers).toEqual([]);
    // Any grantable: a role of the app.
    const role = new iam.Role(stack, 'Publisher', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    topic.grantPublish(role);
    const t = Template.fromStack(stack);
    const statements = policyStatementsOf(t, 'UsersTaskDefinitionTaskRole');
    expect(statements.filter((s) => JSON.stringify(s.Action).includes('sns:')).map((s) => s.Action)).toEqual(['sns:Publish']);
    expect(statements.some((s) => JSON.stringify(s.Action).includes('kms:GenerateDataKey'))).toBe(true);
    expect(containerOf(t, 'UsersTaskDefinition').Environment.map((e: any) => e.Name)).not.toContain('USER_SIGNUP_TOPIC_ARN');
    const roleStatements = policyStatementsOf(t, 'PublisherDefaultPolicy');
    expect(roleStatements.map((s) => s.Action)).toContainEqual('sns:Publish');
  });

  test('envVarPrefix names the variable; attaching again is a no-op, with another prefix an error', () => {
    const { stack, topic, users } = setup();
    users.attach(topic.asBackingService({ envVarPrefix: 'SIGNUPS' }));
    users.attach(topic.asBackingService({ envVarPrefix: 'SIGNUPS' }));
    const names = containerOf(Template.fromStack(stack), 'UsersTaskDefinition').Environment.map((e: any) => e.Name);
    expect(names.filter((n: string) => n.endsWith('_TOPIC_ARN'))).toEqual(['SIGNUPS_TOPIC_ARN']);
    expect(topic.publishers).toEqual([users]);
    expect(() => users.attach(topic.asBackingService())).toThrow(/`envVarPrefix` 'USER_SIGNUP' differs from the 'SIGNUPS'/);
  });

  test.each([
    [{ envVarPrefix: '1BAD' }, '`envVarPrefix`'],
    [{ envVarPrefix: 'with-hyphen' }, '`envVarPrefix`'],
  ])('refuses %j', (options, prop) => {
    const { topic } = setup();
    expect(() => topic.asBackingService(options)).toThrow(new RegExp(`\`EventTopic\` at Test/Bus/user-signup: .*${prop}`));
  });

  test('refuses what is not a grantable, and a variable already set', () => {
    const { stack, topic, users } = setup();
    expect(() => topic.grantPublish({} as any)).toThrow(/`EventTopic` at Test\/Bus\/user-signup: `grantPublish` needs an iam.IGrantable/);
    users.addEnvironment('USER_SIGNUP_TOPIC_ARN', 'x');
    expect(() => users.attach(topic.asBackingService())).toThrow(/USER_SIGNUP_TOPIC_ARN .*already set/);
    // Refused before anything is granted.
    expect(policyStatementsOf(Template.fromStack(stack), 'UsersTaskDefinitionTaskRole').some((s) => JSON.stringify(s.Action).includes('sns:'))).toBe(false);
    expect(topic.publishers).toEqual([]);
  });
});

describe('VPC endpoints the bus needs without a NAT gateway (issue 13, defect 6)', () => {
  function endpointServices(t: Template): string[] {
    return Object.values(t.findResources('AWS::EC2::VPCEndpoint'))
      .map((e: any) => JSON.stringify(e.Properties.ServiceName))
      .map((name) => (/\.(sqs|sns)"/.exec(name)?.[1] ?? 'other'))
      .filter((name) => name !== 'other')
      .sort();
  }

  type Wiring = (w: { stack: Stack; topic: EventTopic; users: TwelveFactorService; worker: TwelveFactorService }) => void;
  function build(vpcEndpoints: boolean, wire: Wiring): Template {
    const { stack, env } = withEnvironment({ createVpcEndpoints: vpcEndpoints }, false);
    const users = new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, port: 8080, user: '1000' });
    const worker = new TwelveFactorService(stack, 'Worker', { environment: env, image: IMAGE, user: '1000' });
    const topic = new MessageBus(stack, 'Bus', { environment: env }).addTopic('user-signup');
    wire({ stack, topic, users, worker });
    return Template.fromStack(stack);
  }

  test('a subscriber gets an SQS endpoint and a publisher an SNS endpoint, once each', () => {
    const t = build(true, ({ topic, users, worker }) => {
      topic.subscribe(worker);
      users.attach(topic.asBackingService());
    });
    expect(endpointServices(t)).toEqual(['sns', 'sqs']);
  });

  test('a queue and a topic attached as backing services get their endpoints', () => {
    const t = build(true, ({ stack, worker }) => {
      worker.attach(BackingService.sqsQueue(new sqs.Queue(stack, 'Jobs', { encryption: sqs.QueueEncryption.SQS_MANAGED })));
      worker.attach(BackingService.snsTopic(new sns.Topic(stack, 'Out')));
    });
    expect(endpointServices(t)).toEqual(['sns', 'sqs']);
  });

  test('no endpoint without vpcEndpoints (the NAT gateway reaches SQS and SNS)', () => {
    const t = build(false, ({ topic, users, worker }) => {
      topic.subscribe(worker);
      users.attach(topic.asBackingService());
    });
    expect(endpointServices(t)).toEqual([]);
  });
});
