import * as path from 'path';
import {
  Duration,
  RemovalPolicy,
  Stack,
  StackProps,
  Validations,
  aws_applicationautoscaling as appscaling,
  aws_backup as backup,
  aws_certificatemanager as acm,
  aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_ecr as ecr,
  aws_ecs as ecs,
  aws_events as events,
  aws_iam as iam,
  aws_route53 as route53,
  aws_sns as sns,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  Access, BackingService, CanaryDeployment, CanaryStep, ComplianceAlerts, ComplianceAudit, ComplianceRule, ComplianceRules, IPrivateLinkExposure,
  MessageBus, MicroserviceEnvironment, PrivateLinkConsumer, PrivateLinkExposure, Remediation, StageProfile, TwelveFactorService,
} from '../../src';

/** A worker is healthy while its loop turns: it touches /tmp/heartbeat every second. */
const WORKER_HEALTH_CHECK: ecs.HealthCheck = {
  command: ['CMD-SHELL', 'test -n "$(find /tmp/heartbeat -mmin -1)" || exit 1'],
  startPeriod: Duration.seconds(10),
};

/** The address ranges of the two VPCs: PrivateLink lets only the store's range reach billing. */
/** One Docker build context for the workers (services/workers), one target per program. */
const WORKERS = path.join(__dirname, 'services', 'workers');
const STORE_CIDR = '10.10.0.0/16';
const BILLING_CIDR = '10.20.0.0/16';
const ZONE = { hostedZoneId: 'Z0123456789EXAMPLE', zoneName: 'store.example.com' };

/** Properties of the billing stack. */
export interface BillingStackProps extends StackProps {
  /** The account whose VPCs may connect to the billing API (the store's). */
  readonly consumerAccount: string;
}

/**
 * The billing API in its own VPC (the AWS guidance for a sensitive microservice): no load
 * balancer of its own that other VPCs could reach, only an AWS PrivateLink endpoint service
 * (an internal Network Load Balancer terminating TLS) that the store's account may connect
 * to, from the store VPC's range, each connection accepted by hand and notified.
 */
export class BillingStack extends Stack {
  public readonly platform: MicroserviceEnvironment;
  public readonly billing: TwelveFactorService;
  public readonly link: PrivateLinkExposure;

  constructor(scope: Construct, id: string, props: BillingStackProps) {
    super(scope, id, props);
    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', ZONE);
    this.platform = new MicroserviceEnvironment(this, 'Env', {
      namespaceName: 'billing.internal',
      vpcCidr: BILLING_CIDR,
      stageProfile: StageProfile.PRODUCTION,
      // No NAT gateway: the billing API calls nothing on the internet, and its tasks reach ECR,
      // CloudWatch Logs, Secrets Manager, SSM and KMS through VPC endpoints.
      createVpcEndpoints: true,
    });
    this.billing = new TwelveFactorService(this, 'Billing', {
      environment: this.platform,
      serviceName: 'billing',
      image: ecs.ContainerImage.fromAsset(path.join(__dirname, 'services', 'billing')),
      port: 8080,
      config: { LOG_LEVEL: 'info', PORT: '8080' },
      user: 'node',
      containerHealthCheck: {
        command: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost:8080/health || exit 1'],
        startPeriod: Duration.seconds(20),
      },
    });
    this.link = new PrivateLinkExposure(this, 'BillingLink', {
      service: this.billing,
      allowedPrincipals: [new iam.AccountPrincipal(props.consumerAccount)],
      allowedClients: [ec2.Peer.ipv4(STORE_CIDR)],
      certificate: new acm.Certificate(this, 'Certificate', {
        domainName: 'billing.store.example.com',
        validation: acm.CertificateValidation.fromDns(zone),
      }),
    });
  }
}

/** Properties of the store stack. */
export interface StoreStackProps extends StackProps {
  /** The billing API the users service calls through PrivateLink. */
  readonly billing: IPrivateLinkExposure;
}

/**
 * The reference store: a users web service released by canary (two slots, each behind its
 * own HTTPS load balancer with the AWS WAF web ACL the environment creates, and Route 53
 * weighted records; a rollout on each push of a release- tag), with its DynamoDB table and a
 * migration admin task, publishing sign-ups on a message bus to an email worker (scaled on
 * its backlog, from zero) and a billing worker (paid plans only). The users service calls the
 * billing API (BillingStack, its own VPC) through an AWS PrivateLink endpoint.
 */
export class StoreStack extends Stack {
  public readonly platform: MicroserviceEnvironment;
  public readonly users: CanaryDeployment;
  public readonly emailWorker: TwelveFactorService;
  public readonly billingWorker: TwelveFactorService;
  public readonly bus: MessageBus;

  public readonly billing: PrivateLinkConsumer;
  public readonly complianceRules: ComplianceRules;
  public readonly complianceAlerts: ComplianceAlerts;
  public readonly complianceAudit: ComplianceAudit;
  public readonly complianceWorker: TwelveFactorService;

  constructor(scope: Construct, id: string, props: StoreStackProps) {
    super(scope, id, props);

    const zone = route53.HostedZone.fromHostedZoneAttributes(this, 'Zone', ZONE);
    const certificate = new acm.Certificate(this, 'Certificate', {
      domainName: 'store.example.com',
      subjectAlternativeNames: ['*.store.example.com'],
      validation: acm.CertificateValidation.fromDns(zone),
    });

    this.platform = new MicroserviceEnvironment(this, 'Env', {
      namespaceName: 'store.internal',
      vpcCidr: STORE_CIDR,
      stageProfile: StageProfile.PRODUCTION,
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

    // The users service is released by canary: two slots, each behind its own load balancer,
    // weighted records on users.store.example.com, and a rollout (10/25/50/100%, 5 minutes a
    // step, rolled back on any alarm) each time CI pushes a release- tag.
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

    // The billing API, in its own VPC, through an interface endpoint in the store's VPC: only
    // the users slots may reach it, as billing.store.example.com (a private zone in this VPC,
    // the name billing's TLS certificate holds); BILLING_HOST and BILLING_PORT are injected.
    this.billing = new PrivateLinkConsumer(this, 'Billing', {
      exposure: props.billing,
      vpc: this.platform.vpc,
      domainName: 'billing.store.example.com',
    });
    for (const slot of this.users.slots) slot.attach(this.billing.asBackingService());

    // Events between services: users publishes sign-ups on the message bus; the email worker
    // and the billing worker each consume them from their own queue (fan-out), billing only
    // those of paid plans (a filter policy on the `plan` message attribute).
    this.bus = new MessageBus(this, 'Bus', { environment: this.platform });
    const signups = this.bus.addTopic('user-signup');
    for (const slot of this.users.slots) slot.attach(signups.asBackingService());

    // Both workers run the sign-up worker image (services/workers, target signup-worker), each
    // with its handler.
    const signupWorkerImage = ecs.ContainerImage.fromAsset(WORKERS, { target: 'signup-worker' });
    this.emailWorker = new TwelveFactorService(this, 'EmailWorker', {
      environment: this.platform,
      image: signupWorkerImage,
      config: { SIGNUP_HANDLER: 'welcome-email' },
      user: 'node',
      scratchVolumePath: '/tmp',
      containerHealthCheck: WORKER_HEALTH_CHECK,
      minTasks: 0,
      maxTasks: 4,
      spotWeight: 1,
      onDemandBase: 0,
    });
    const emailSignups = signups.subscribe(this.emailWorker, {
      acceptableLatency: Duration.minutes(1),
      messageProcessingTime: Duration.seconds(2),
    });

    this.billingWorker = new TwelveFactorService(this, 'BillingWorker', {
      environment: this.platform,
      image: signupWorkerImage,
      config: { SIGNUP_HANDLER: 'invoice' },
      user: 'node',
      scratchVolumePath: '/tmp',
      containerHealthCheck: WORKER_HEALTH_CHECK,
      minTasks: 1,
      maxTasks: 2,
      stopTimeout: Duration.seconds(60),
    });
    signups.subscribe(this.billingWorker, {
      filterPolicy: { plan: sns.SubscriptionFilter.stringFilter({ allowlist: ['paid'] }) },
      rawMessageDelivery: true,
      enableDeploymentAlarms: true,
    });
    // The curated AWS Config rules (the account records with AWS Config: Control Tower set up
    // its recorder, so ours stays off), every compliance change kept in an audit bucket, and
    // changes to NON_COMPLIANT to the platform team by email and to a queue.
    this.complianceRules = new ComplianceRules(this, 'ComplianceRules', { ruleNamePrefix: 'store-' });
    this.complianceAudit = new ComplianceAudit(this, 'ComplianceAudit', { ruleNames: this.complianceRules.ruleNames });
    this.complianceAlerts = new ComplianceAlerts(this, 'ComplianceAlerts', {
      ruleNames: this.complianceRules.ruleNames,
      emails: ['platform@store.example.com'],
      alarmTopic: this.platform.alarmTopic,
    });

    // Repair: a VPC without flow logs gets them (to the audit bucket) automatically; a listener
    // that starts to accept plain HTTP is restored to HTTPS-only once the compliance worker,
    // reading the alerts queue, starts the remediation (the guidance's example).
    this.complianceRules.remediate(Remediation.vpcFlowLogs({ bucket: this.complianceAudit.bucket }));
    this.complianceRules.remediate(Remediation.elbv2ListenerHttps({ automatic: false }));
    this.complianceWorker = new TwelveFactorService(this, 'ComplianceWorker', {
      environment: this.platform,
      image: ecs.ContainerImage.fromAsset(WORKERS, { target: 'compliance-worker' }),
      user: 'node',
      scratchVolumePath: '/tmp',
      containerHealthCheck: WORKER_HEALTH_CHECK,
      config: { REMEDIATE_RULES: this.complianceRules.manualRemediationRuleNames.join(',') },
      minTasks: 0,
      maxTasks: 1,
      cpuTargetPercent: 0,
    });
    const alertsQueue = this.complianceAlerts.queue!;
    this.complianceWorker.attach(this.complianceAlerts.asBackingService());
    this.complianceRules.grantStartRemediation(this.complianceWorker.taskRole, ComplianceRule.ELBV2_LISTENER_HTTPS);
    // From zero tasks: one task within a minute or two of an alert (SQS sends its queue metrics to
    // CloudWatch every minute, and the scale-out alarm needs one breaching minute), none after 15
    // minutes without an alert waiting or being handled. Two policies, because a step scaling
    // policy's alarms share its evaluation periods: in one policy the 15 minutes of the scale-in
    // would delay the scale-out as long. A step with no change creates no alarm, so each policy
    // has one.
    // https://docs.aws.amazon.com/autoscaling/application/userguide/step-scaling-policy-overview.html
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
    // SQS documents ApproximateNumberOfMessagesNotVisible as reported when in-flight messages
    // exist, and a sum with a missing term has no value: each term counts as 0 when missing, so
    // that an alert waiting with none in flight still starts the task.
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
    const alertsWaiting = new cloudwatch.MathExpression({
      expression: 'FILL(visible, 0) + FILL(inFlight, 0)',
      usingMetrics: {
        visible: alertsQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) }),
        inFlight: alertsQueue.metricApproximateNumberOfMessagesNotVisible({ period: Duration.minutes(1) }),
      },
      period: Duration.minutes(1),
    });
    this.complianceWorker.scaling!.scaleOnMetric('Alerts', {
      metric: alertsWaiting,
      scalingSteps: [{ upper: 0, change: 0 }, { lower: 1, change: +1 }],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      evaluationPeriods: 1,
      cooldown: Duration.minutes(1),
    });
    this.complianceWorker.scaling!.scaleOnMetric('AlertsDrained', {
      metric: alertsWaiting,
      scalingSteps: [{ upper: 0, change: -1 }, { lower: 1, change: 0 }],
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      evaluationPeriods: 15,
      datapointsToAlarm: 15,
    });

    // Every day at 04:00 UTC, the sign-ups that went to the email worker's dead-letter queue are
    // sent back to its queue (the worker's `--replay` mode: receive from the DLQ, SendMessageBatch
    // to the queue, delete from the DLQ what SQS accepted, then exit). The task runs with the
    // service's task role (an admin process sees what the service sees), which is granted the
    // DLQ's receive and delete and the queue's send; the DLQ's URL is injected as
    // USER_SIGNUP_DLQ_URL next to the queue's USER_SIGNUP_QUEUE_URL.
    const emailDeadLetters = emailSignups.deadLetterQueue!;
    this.emailWorker.addEnvironment('USER_SIGNUP_DLQ_URL', emailDeadLetters.queueUrl);
    const replay = this.emailWorker.addAdminTask('replay-dead-letters', {
      command: ['node', 'dist/signup/main.js', '--replay'],
      schedule: events.Schedule.cron({ minute: '0', hour: '4' }),
    });
    emailDeadLetters.grantConsumeMessages(replay.taskDefinition.taskRole);
    emailSignups.queue.grantSendMessages(replay.taskDefinition.taskRole);
  }
}
