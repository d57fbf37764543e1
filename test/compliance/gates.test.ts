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
  aws_iam as iam,
  aws_rds as rds,
  aws_route53 as route53,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { formatGateReports, GateReport, runGates } from '../../examples/store/gates';
import {
  Access,
  BackingService,
  CanaryDeployment,
  CanaryStep,
  ConnectionEvent,
  Discovery,
  MessageBus,
  MicroserviceEnvironment,
  OldSlot,
  PrivateLinkConsumer,
  PrivateLinkExposure,
  TwelveFactorService,
} from '../../src';

const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable');

/**
 * Every construct of the library, with every backing service attached, under every gate of
 * the reference app: the resources our constructs create must have zero unacknowledged
 * findings. The user's own resources (the table, bucket, ... created below) are the user's
 * business and are filtered out by construct path.
 */
describe('compliance gates over everything the constructs create', () => {
  let reports: GateReport[];
  const ours = [
    'Test/Env/', 'Test/Users/', 'Test/Worker/', 'Test/Internal/', 'Test/Bus/', 'Test/Canary/',
    'Test/BillingEnv/', 'Test/Billing/', 'Test/BillingLink/', 'Test/BillingEndpoint/', 'Test/BillingByName/',
    // CDK's AwsCustomResource singleton that sets and verifies the private DNS name: the
    // exposure creates it (through route53.VpcEndpointServiceDomainName) and acknowledges it.
    'Test/AWS679f53fac002430cb0da5b7982bd2287/',
  ];

  beforeAll(async () => {
    const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
    const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
    const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'example.com' });
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc');
    const env = new MicroserviceEnvironment(stack, 'Env', { createLoadBalancer: true, certificate, hostedZone: zone, createVpcEndpoints: true, natGateways: 1 });
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
    users.attach(signups.asBackingService());
    users.attach(orders.asBackingService());
    const workerSignups = signups.subscribe(worker, {
      acceptableLatency: Duration.minutes(1), messageProcessingTime: Duration.seconds(2), enableDeploymentAlarms: true,
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
      serviceProps: { environment: env, image: IMAGE, port: 8080, healthCheckPath: '/health', user: '1000', minTasks: 2, maxTasks: 4 },
      hostedZone: zone,
      recordName: 'canary',
      steps: CanaryStep.linear(25, Duration.minutes(3)),
      enableApprovalBeforeLastStep: true,
      oldSlot: OldSlot.SCALE_IN,
      imageRepository: repository,
      startOnPush: true,
    });
    canary.addAlarm(workerSignups.alarms[0]);

    // PrivateLink: a provider in its own environment (VPC 10.2.0.0/16) exposed with TLS, a
    // verified private DNS name, connection notifications and another Region; consumed
    // from the first environment's VPC by Users, once through a friendly name in a new
    // private zone and once through private DNS.
    const billingEnv = new MicroserviceEnvironment(stack, 'BillingEnv', { vpcCidr: '10.2.0.0/16' });
    const billing = new TwelveFactorService(stack, 'Billing', { environment: billingEnv, image: IMAGE, port: 8443, user: '1000' });
    const publicZone = route53.PublicHostedZone.fromPublicHostedZoneAttributes(stack, 'PublicZone', { hostedZoneId: 'Z2', zoneName: 'example.com' });
    const link = new PrivateLinkExposure(stack, 'BillingLink', {
      service: billing,
      allowedPrincipals: [new iam.AccountPrincipal('222222222222'), new iam.ArnPrincipal('arn:aws:iam::333333333333:role/store')],
      // The first environment's range, written out: see the BUG case below for its token.
      allowedClients: [ec2.Peer.ipv4('10.0.0.0/16')],
      certificate,
      privateDnsName: 'billing.example.com',
      publicHostedZone: publicZone,
      connectionEvents: [ConnectionEvent.CONNECT, ConnectionEvent.ACCEPT, ConnectionEvent.REJECT, ConnectionEvent.DELETE],
      allowedRegions: ['us-west-2'],
      createOutputs: true,
    });
    const billingEndpoint = new PrivateLinkConsumer(stack, 'BillingEndpoint', {
      exposure: link,
      vpc: env.vpc,
      privateDnsEnabled: false,
      domainName: 'billing.store.internal',
    });
    users.attach(billingEndpoint.asBackingService());
    const billingByName = new PrivateLinkConsumer(stack, 'BillingByName', { exposure: link, vpc: env.vpc });
    users.attach(billingByName.asBackingService({ envVarPrefix: 'BILLING_PRIVATE' }));

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

/**
 * Gate findings the exposure had (fixed), kept as regressions: a client range that is a token
 * (cdk-nag cannot read it: acknowledged with the reason), and a TCP listener (pass-through:
 * acknowledged with the reason, and a warning says the load balancer does not encrypt).
 */
describe('compliance gates: PrivateLinkExposure with a token client range and a TCP listener', () => {
  let reports: GateReport[];

  beforeAll(async () => {
    const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
    const stack = new Stack(app, 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:111111111111:certificate/abc');
    const consumers = new MicroserviceEnvironment(stack, 'Env', {});
    const billingEnv = new MicroserviceEnvironment(stack, 'BillingEnv', { vpcCidr: '10.2.0.0/16' });
    const billing = new TwelveFactorService(stack, 'Billing', { environment: billingEnv, image: IMAGE, port: 8443, user: '1000' });
    new PrivateLinkExposure(stack, 'TokenLink', {
      service: billing,
      allowedPrincipals: [new iam.AccountPrincipal('222222222222')],
      allowedClients: [ec2.Peer.ipv4(consumers.vpc.vpcCidrBlock)],
      certificate,
    });
    const plain = new TwelveFactorService(stack, 'Plain', { environment: billingEnv, image: IMAGE, port: 8443, user: '1000' });
    new PrivateLinkExposure(stack, 'TcpLink', {
      service: plain,
      allowedPrincipals: [new iam.AccountPrincipal('222222222222')],
      allowedClients: [ec2.Peer.ipv4('10.0.0.0/16')],
    });
    reports = await runGates(app, app.synth());
  }, 120_000);

  function expectNoFinding(prefix: string): void {
    const mine = reports.map((r) => ({ ...r, findings: r.findings.filter((f) => f.resource.startsWith(prefix)), warnings: [] }))
      .filter((r) => r.findings.length > 0);
    if (mine.length > 0) throw new Error(formatGateReports(mine));
  }

  // Was (token client range): a client range that is a token, as ec2.Peer.ipv4(vpc.vpcCidrBlock)
  // of a VPC of the same app (the natural way to name a consumer VPC), leaves cdk-nag unable
  // to evaluate three rules on the exposure's security group, and it reports each as a
  // finding ("Rule threw an error during validation. This is generally caused by a parameter
  // referencing an intrinsic function."): AwsSolutions-EC23, NIST.800.53.R5- and
  // HIPAA.Security-EC2RestrictedCommonPorts and -EC2RestrictedSSH, all on
  // Test/TokenLink/SecurityGroup/Resource. Expected: no finding (the gate above writes the
  // range out instead). Actual: 5 findings.
  test('a token client range: no finding on the exposure', () => expectNoFinding('Test/TokenLink/'));

  // Was (TCP listener, the default without a certificate): NIST.800.53.R5- and
  // HIPAA.Security-ELBv2ACMCertificateRequired on Test/TcpLink/LoadBalancer/Listener/Resource.
  // The TCP listener passes bytes through (the service may speak TLS itself), which the
  // packs cannot see. Expected: no finding (an acknowledgement with that reason, or a TLS
  // default), or a documented decision that TCP is the user's risk (then delete this case).
  // Actual: 2 findings.
  test('a TCP exposure: no finding on the exposure', () => expectNoFinding('Test/TcpLink/'));
});
