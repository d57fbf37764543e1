import * as path from 'path';
import {
  Duration,
  RemovalPolicy,
  Stack,
  StackProps,
  Validations,
  aws_backup as backup,
  aws_certificatemanager as acm,
  aws_dynamodb as dynamodb,
  aws_ecs as ecs,
  aws_events as events,
  aws_route53 as route53,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { Access, BackingService, MicroserviceEnvironment, Stage, TwelveFactorService } from '../../src';

/**
 * The reference store: a users web service with its DynamoDB table and a migration admin
 * task, and an email worker reading a queue, in one environment behind a shared HTTPS load
 * balancer protected by the AWS WAF web ACL the environment creates.
 */
export class StoreStack extends Stack {
  public readonly platform: MicroserviceEnvironment;
  public readonly users: TwelveFactorService;
  public readonly emailWorker: TwelveFactorService;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);

    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: 'Z0123456789EXAMPLE',
      zoneName: 'store.example.com',
    });
    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: 'store.example.com',
      subjectAlternativeNames: ['*.store.example.com'],
      validation: acm.CertificateValidation.fromDns(zone),
    });

    this.platform = new MicroserviceEnvironment(this, 'Env', {
      namespaceName: 'store.internal',
      loadBalancer: true,
      certificate,
      hostedZone: zone,
      stage: Stage.PRODUCTION,
    });

    // Data: encrypted with the environment's customer-managed key, recoverable, backed up.
    const dataKey = this.platform.encryptionKey;
    const usersTable = new dynamodb.Table(this, 'Users', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: dataKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const backups = new backup.BackupPlan(this, 'Backups', {
      backupVault: new backup.BackupVault(this, 'BackupVault', { encryptionKey: dataKey, removalPolicy: RemovalPolicy.RETAIN }),
      backupPlanRules: [backup.BackupPlanRule.daily(), backup.BackupPlanRule.monthly1Year()],
    });
    const selection = backups.addSelection('Tables', { resources: [backup.BackupResource.fromDynamoDbTable(usersTable)] });
    selection.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]':
        'AWS Backup needs its service role policy, which AWS maintains as the service changes.',
    });

    this.users = new TwelveFactorService(this, 'UsersService', {
      environment: this.platform,
      serviceName: 'users',
      image: ecs.ContainerImage.fromAsset(path.join(__dirname, 'services', 'users')),
      port: 8080,
      hostName: 'users.store.example.com',
      healthCheckPath: '/health',
      config: { LOG_LEVEL: 'info', PORT: '8080' },
      user: 'node',
      containerHealthCheck: {
        command: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost:8080/health || exit 1'],
        startPeriod: Duration.seconds(20),
      },
      requestsPerTarget: 1000,
      discoveryAttributes: { api: 'rest', version: 'v1' },
    });
    this.users.attach(BackingService.dynamoDbTable(usersTable, { access: Access.READ_WRITE }));
    this.users.addAdminTask('migrate', { command: ['node', 'migrate.js'] });

    // A worker without a port, reading sign-ups from a queue with a dead-letter queue.
    const deadLetters = new sqs.Queue(this, 'SignupsDeadLetters', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: dataKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    const signups = new sqs.Queue(this, 'Signups', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: dataKey,
      enforceSSL: true,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
      visibilityTimeout: Duration.minutes(2),
    });
    this.emailWorker = new TwelveFactorService(this, 'EmailWorker', {
      environment: this.platform,
      image: ecs.ContainerImage.fromAsset(path.join(__dirname, 'services', 'email-worker')),
      user: 'node',
      minTasks: 1,
      maxTasks: 4,
      spotWeight: 1,
    });
    this.emailWorker.attach(BackingService.sqsQueue(signups));
    this.emailWorker.addAdminTask('replay-dead-letters', {
      command: ['node', 'worker.js', '--replay'],
      schedule: events.Schedule.cron({ minute: '0', hour: '4' }),
    });
  }
}
