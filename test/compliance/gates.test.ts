import {
  App,
  Duration,
  RemovalPolicy,
  Stack,
  aws_certificatemanager as acm,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_ecr as ecr,
  aws_ecs as ecs,
  aws_events as events,
  aws_rds as rds,
  aws_route53 as route53,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { formatGateReports, GateReport, runGates } from '../../examples/store/gates';
import { Access, BackingService, CanaryDeployment, CanaryStep, Discovery, MessageBus, MicroserviceEnvironment, OldSlot, TwelveFactorService } from '../../src';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable');

/**
 * Every construct of the library, with every backing service attached, under every gate of
 * the reference app: the resources our constructs create must have zero unacknowledged
 * findings. The user's own resources (the table, bucket, ... created below) are the user's
 * business and are filtered out by construct path.
 */
describe('compliance gates over everything the constructs create', () => {
  let reports: GateReport[];
  const ours = ['Test/Env/', 'Test/Users/', 'Test/Worker/', 'Test/Internal/', 'Test/Bus/', 'Test/Canary/'];

  beforeAll(async () => {
    const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
    const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'example.com' });
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc');
    const env = new MicroserviceEnvironment(stack, 'Env', { loadBalancer: true, certificate, hostedZone: zone, vpcEndpoints: true, natGateways: 1 });
    const key = env.encryptionKey;

    const table = new dynamodb.Table(stack, 'Orders', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
    });
    table.addGlobalSecondaryIndex({ indexName: 'byUser', partitionKey: { name: 'user', type: dynamodb.AttributeType.STRING } });
    const readOnlyTable = new dynamodb.Table(stack, 'Catalog', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
    const bucket = new s3.Bucket(stack, 'Avatars', { encryptionKey: key, encryption: s3.BucketEncryption.KMS, enforceSSL: true });
    const readOnlyBucket = new s3.Bucket(stack, 'Assets', { enforceSSL: true });
    const queue = new sqs.Queue(stack, 'Jobs', { encryptionMasterKey: key, encryption: sqs.QueueEncryption.KMS, enforceSSL: true });
    const topic = new sns.Topic(stack, 'Events', { masterKey: key, enforceSSL: true });
    const secret = new secretsmanager.Secret(stack, 'ApiKey', { encryptionKey: key });
    const database = new rds.DatabaseCluster(stack, 'Db', {
      engine: rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_4 }),
      writer: rds.ClusterInstance.serverlessV2('Writer'),
      vpc: env.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      storageEncryptionKey: key,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const users = new TwelveFactorService(stack, 'Users', {
      environment: env,
      image: IMAGE,
      port: 8080,
      hostName: 'users.example.com',
      requestsPerTarget: 100,
      memoryTargetPercent: 80,
      deploymentStrategy: ecs.DeploymentStrategy.CANARY,
      scratchVolumePath: '/tmp',
      user: '1000',
      containerHealthCheck: { command: ['CMD-SHELL', 'true'], interval: Duration.seconds(30) },
    });
    users.attach(BackingService.dynamoDbTable(table, { access: Access.READ_WRITE }));
    users.attach(BackingService.dynamoDbTable(readOnlyTable));
    users.attach(BackingService.s3Bucket(bucket, { access: Access.READ_WRITE }));
    users.attach(BackingService.s3Bucket(readOnlyBucket));
    users.attach(BackingService.sqsQueue(queue, { access: Access.READ_WRITE }));
    users.attach(BackingService.snsTopic(topic));
    users.attach(BackingService.secret(secret, { access: Access.READ_WRITE }));
    users.attach(BackingService.databaseCluster(database, { access: Access.READ_WRITE }));
    users.addAdminTask('migrate', { command: ['migrate'] });
    users.addAdminTask('nightly', { command: ['cleanup'], schedule: events.Schedule.rate(Duration.days(1)) });

    const worker = new TwelveFactorService(stack, 'Worker', { environment: env, image: IMAGE, spotWeight: 2, minTasks: 0, maxTasks: 3, user: '1000' });
    worker.attach(BackingService.sqsQueue(queue));
    const internal = new TwelveFactorService(stack, 'Internal', { environment: env, image: IMAGE, port: 9000, discovery: Discovery.SERVICE_CONNECT, user: '1000' });

    // The message bus: a standard and a FIFO topic, fan-out, filters, backlog scaling.
    const bus = new MessageBus(stack, 'Bus', { environment: env });
    const signups = bus.addTopic('user-signup');
    const orders = bus.addTopic('order-placed', { fifo: true, contentBasedDeduplication: true });
    signups.grantPublish(users);
    orders.grantPublish(users);
    const workerSignups = signups.subscribe(worker, {
      acceptableLatency: Duration.minutes(1), messageProcessingTime: Duration.seconds(2), deploymentAlarms: true,
    });
    signups.subscribe(internal, {
      filterPolicy: { plan: sns.SubscriptionFilter.stringFilter({ allowlist: ['paid'] }) }, rawMessageDelivery: true,
    });
    orders.subscribe(worker, {
      filterPolicyWithMessageBody: { total: sns.FilterOrPolicy.filter(sns.SubscriptionFilter.numericFilter({ greaterThan: 0 })) },
    });

    // A canary deployment with approval, scale-in, a push rule and a bus alarm.
    const repository = new ecr.Repository(stack, 'Images', { imageScanOnPush: true });
    const canary = new CanaryDeployment(stack, 'Canary', {
      service: { environment: env, image: IMAGE, port: 8080, healthCheckPath: '/health', user: '1000', minTasks: 2, maxTasks: 4 },
      hostedZone: zone,
      recordName: 'canary',
      steps: CanaryStep.linear(25, Duration.minutes(3)),
      approvalBeforeLastStep: true,
      oldSlot: OldSlot.SCALE_IN,
      imageRepository: repository,
      startOnPush: true,
    });
    canary.addAlarm(workerSignups.alarms[0]);

    reports = await runGates(app, app.synth());
  }, 120_000);

  test.each(['cdk-nag AwsSolutions', 'cdk-nag NIST.800.53.R5', 'cdk-nag HIPAA.Security', 'cfn-guard Control Tower', 'cloudformation-validate'])(
    '%s: no finding on a resource we create',
    (gate) => {
      const report = reports.find((r) => r.gate === gate)!;
      expect(report).toBeDefined();
      const mine = report.findings.filter((f) => ours.some((prefix) => f.resource.startsWith(prefix)));
      if (mine.length > 0) {
        throw new Error(formatGateReports([{ ...report, findings: mine, warnings: [] }]));
      }
    },
  );

  test('the gates ran over the user\'s resources too (they can fail)', () => {
    const all = reports.flatMap((r) => r.findings);
    expect(all.some((f) => f.resource.startsWith('Test/Catalog') || f.resource.startsWith('Test/Db'))).toBe(true);
  });
});
