/**
 * The users team's app of the reference store: the users web service, released by canary,
 * with its table, backups, image repository and migration task, calling the billing API
 * through AWS PrivateLink and publishing sign-ups on the platform's bus.
 *
 * It finds the platform's environment with `MicroserviceEnvironment.fromLookup` (an SSM
 * parameter read at synth time and cached in cdk.context.json) and the billing endpoint
 * service and the sign-up topic through SSM parameters read at deploy time: its templates hold
 * no `Fn::ImportValue`, so it deploys, updates and is deleted on its own schedule.
 */
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
  aws_ecr as ecr,
  aws_ecs as ecs,
  aws_route53 as route53,
  aws_ssm as ssm,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BILLING_ENDPOINT_SERVICE_PARAMETER, ENVIRONMENT_NAME, ZONE } from './platform';
import { signupTopic } from './topics';
import {
  Access, BackingService, CanaryDashboard, CanaryDeployment, CanaryStep, IMicroserviceEnvironment, MicroserviceEnvironment, PrivateLinkConsumer,
  PrivateLinkExposure, PrivateLinkProtocol,
} from '../../src';

/**
 * The reference store's users web service, released by canary: two slots, each behind its own
 * HTTPS load balancer with the AWS WAF web ACL of the environment, and Route 53 weighted
 * records; a rollout on each push of a release- tag.
 */
export class UsersStack extends Stack {
  public readonly platform: IMicroserviceEnvironment;
  public readonly users: CanaryDeployment;
  public readonly billing: PrivateLinkConsumer;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.platform = MicroserviceEnvironment.fromLookup(this, 'Env', { environmentName: ENVIRONMENT_NAME });

    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', ZONE);
    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: 'users.store.example.com',
      validation: acm.CertificateValidation.fromDns(zone),
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

    // The vault's name is derived from its construct path, so it is the same on every attempt:
    // kept by a failed first create (Retain), it would make the retry fail with "already exists".
    // RETAIN_ON_UPDATE_OR_DELETE (DeletionPolicy RetainExceptOnCreate) deletes it when the
    // operation that created it rolls back (it is empty then) and keeps it on every later
    // update or delete:
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
    const backups = new backup.BackupPlan(this, 'Backups', {
      backupVault: new backup.BackupVault(this, 'BackupVault', { encryptionKey: dataKey, removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE }),
      backupPlanRules: [backup.BackupPlanRule.daily(), backup.BackupPlanRule.monthly1Year()],
    });
    const selection = backups.addSelection('Tables', { resources: [backup.BackupResource.fromDynamoDbTable(usersTable)] });
    selection.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]':
        'AWS Backup needs its service role policy, which AWS maintains as the service changes.',
    });

    // Two slots, each behind its own load balancer, weighted records on users.store.example.com,
    // and a rollout (10/25/50/100%, 5 minutes a step, rolled back on any alarm) each time CI
    // pushes a release- tag.
    const usersImages = new ecr.Repository(this, 'UsersImages', {
      imageScanOnPush: true,
      imageTagMutability: ecr.TagMutability.IMMUTABLE,
      encryption: ecr.RepositoryEncryption.KMS,
      encryptionKey: dataKey,
      lifecycleRules: [{ maxImageCount: 50 }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.users = new CanaryDeployment(this, 'UsersCanary', {
      serviceProps: {
        environment: this.platform,
        serviceName: 'users',
        image: ecs.ContainerImage.fromAsset(path.join(__dirname, 'services', 'users')),
        port: 8080,
        healthCheckPath: '/health',
        config: { LOG_LEVEL: 'info', PORT: '8080' },
        // A team app sets tracing itself (the platform's defaultTracing is its own services').
        tracing: true,
        user: 'node',
        containerHealthCheck: {
          command: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost:8080/health || exit 1'],
          startPeriod: Duration.seconds(20),
        },
        discoveryAttributes: { api: 'rest', version: 'v1' },
      },
      hostedZone: zone,
      recordName: 'users',
      certificate,
      steps: CanaryStep.standard(Duration.minutes(5)),
      imageRepository: usersImages,
      startOnPush: true,
      startOnPushTagPrefix: 'release-',
    });
    for (const slot of this.users.slots) {
      slot.attach(BackingService.dynamoDbTable(usersTable, { access: Access.READ_WRITE }));
    }
    this.users.blue.addAdminTask('migrate', { command: ['node', 'migrate.js'] });
    // Both slots side by side, the weights of a rollout over time and the alarms that roll it back.
    new CanaryDashboard(this, 'UsersDashboard', { canary: this.users, dashboardName: 'store-users' });

    // The billing API (the platform app's billing VPC), through an interface endpoint in the
    // environment's VPC: only the users slots may reach it, as billing.store.example.com (a
    // private zone in this VPC, the name billing's TLS certificate holds); BILLING_HOST and
    // BILLING_PORT are injected. Its endpoint service name is read when this stack deploys.
    const billingApi = PrivateLinkExposure.fromPrivateLinkExposureAttributes(this, 'BillingApi', {
      endpointServiceName: ssm.StringParameter.valueForStringParameter(this, BILLING_ENDPOINT_SERVICE_PARAMETER),
      port: 443,
      protocol: PrivateLinkProtocol.TLS,
    });
    this.billing = new PrivateLinkConsumer(this, 'Billing', {
      exposure: billingApi,
      vpc: this.platform.vpc,
      domainName: 'billing.store.example.com',
    });
    for (const slot of this.users.slots) slot.attach(this.billing.asBackingService());

    // Sign-ups, published on the platform's bus.
    const signups = signupTopic(this, this.platform);
    for (const slot of this.users.slots) slot.attach(signups.asBackingService());
  }
}
