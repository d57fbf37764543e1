/**
 * The platform team's app of the reference store: the shared environment (VPC, cluster,
 * namespace, key, alarm topic) other teams' apps look up, the message bus and its topics, the
 * billing API in its own VPC behind AWS PrivateLink, and compliance (AWS Config rules, audit,
 * alerts, and the compliance worker that repairs on demand).
 *
 * Nothing in here refers to a team's app: teams deploy on their own schedule, and this app
 * publishes what they need as SSM parameters (the environment document, the billing
 * endpoint service name), never as CloudFormation exports.
 */
import * as path from 'path';
import {
  Duration,
  Stack,
  StackProps,
  aws_applicationautoscaling as appscaling,
  aws_certificatemanager as acm,
  aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_ecr as ecr,
  aws_ecs as ecs,
  aws_iam as iam,
  aws_route53 as route53,
  aws_ssm as ssm,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { SIGNUP_EVENT, SIGNUP_TOPIC_NAME } from './topics';
import {
  ComplianceAlerts, ComplianceAudit, ComplianceRule, ComplianceRules, EnvironmentDashboard, EventTopic, MessageBus, MicroserviceEnvironment,
  PrivateLinkExposure, Remediation, ServiceDashboard, StageProfile, TwelveFactorService,
} from '../../src';
import { COLLECTOR_IMAGE } from '../../src/service/service-tracing';

/** The shared environment's name: team apps look it up with `MicroserviceEnvironment.fromLookup`. */
export const ENVIRONMENT_NAME = 'store';
/** The SSM parameter that holds the billing API's endpoint service name, for its consumers. */
export const BILLING_ENDPOINT_SERVICE_PARAMETER = '/store/billing/endpoint-service-name';
/** The address ranges of the two VPCs: PrivateLink lets only the store's range reach billing. */
export const STORE_CIDR = '10.10.0.0/16';
const BILLING_CIDR = '10.20.0.0/16';
/** The public zone every app's names live in. */
export const ZONE = { hostedZoneId: 'Z0123456789EXAMPLE', zoneName: 'store.example.com' };
/** One Docker build context for the workers (services/workers), one target per program. */
export const WORKERS = path.join(__dirname, 'services', 'workers');

/** A worker is healthy while its loop turns: it touches /tmp/heartbeat every second. */
export const WORKER_HEALTH_CHECK: ecs.HealthCheck = {
  command: ['CMD-SHELL', 'test -n "$(find /tmp/heartbeat -mmin -1)" || exit 1'],
  startPeriod: Duration.seconds(10),
};

/**
 * The prefix of the billing account's ECR pull-through cache of ECR Public: the tracing
 * collector's image, which tasks without a NAT gateway cannot pull from public.ecr.aws, is pulled
 * as `<account>.dkr.ecr.<region>.amazonaws.com/billing-ecr-public/aws-observability/aws-otel-collector`.
 */
export const ECR_PUBLIC_CACHE_PREFIX = 'billing-ecr-public';

/** Properties of the billing stack. */
export interface BillingStackProps extends StackProps {
  /** The account whose VPCs may connect to the billing API (the store's). */
  readonly consumerAccount: string;
}

/**
 * The billing API in its own VPC (the AWS guidance for a sensitive microservice): no load
 * balancer of its own that other VPCs could reach, only an AWS PrivateLink endpoint service
 * (an internal Network Load Balancer terminating TLS) that the store's account may connect
 * to, from the store VPC's range, each connection accepted by hand and notified. Its endpoint
 * service name is published in the SSM parameter `BILLING_ENDPOINT_SERVICE_PARAMETER`.
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
    // Traced without a NAT gateway: ECR Public is mirrored into this Region's private registry by
    // a pull-through cache rule, and the tasks pull the collector's mirror through the ECR
    // endpoints. ECR fetches an image from upstream on its first pull, which needs a route to the
    // internet when that pull comes through the endpoints
    // (https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html): before the
    // first deploy, pull it once from a machine with internet access (`docker pull` of the mirror's
    // URI, with ecr:BatchImportUpstreamImage and ecr:CreateRepository), as the README says.
    const ecrPublic = new ecr.CfnPullThroughCacheRule(this, 'EcrPublicCache', {
      ecrRepositoryPrefix: ECR_PUBLIC_CACHE_PREFIX,
      upstreamRegistryUrl: 'public.ecr.aws',
    });
    const [collectorPath, collectorTag] = COLLECTOR_IMAGE.replace(/^public\.ecr\.aws\//, '').split(':');
    const collectorMirror = ecr.Repository.fromRepositoryName(this, 'CollectorMirror', `${ECR_PUBLIC_CACHE_PREFIX}/${collectorPath}`);
    this.billing = new TwelveFactorService(this, 'Billing', {
      environment: this.platform,
      serviceName: 'billing',
      tracing: true,
      tracingCollectorImage: ecs.ContainerImage.fromEcrRepository(collectorMirror, collectorTag),
      image: ecs.ContainerImage.fromAsset(path.join(__dirname, 'services', 'billing')),
      port: 8080,
      config: { LOG_LEVEL: 'info', PORT: '8080' },
      user: 'node',
      containerHealthCheck: {
        command: ['CMD-SHELL', 'wget -q -O /dev/null http://localhost:8080/health || exit 1'],
        startPeriod: Duration.seconds(20),
      },
    });
    this.billing.service.node.addDependency(ecrPublic);
    this.link = new PrivateLinkExposure(this, 'BillingLink', {
      service: this.billing,
      allowedPrincipals: [new iam.AccountPrincipal(props.consumerAccount)],
      allowedClients: [ec2.Peer.ipv4(STORE_CIDR)],
      certificate: new acm.Certificate(this, 'Certificate', {
        domainName: 'billing.store.example.com',
        validation: acm.CertificateValidation.fromDns(zone),
      }),
    });
    // The billing API's golden signals: requests, 5XX rate, latency, tasks, errors.
    new ServiceDashboard(this, 'BillingDashboard', { service: this.billing, dashboardName: 'store-billing' });
    // What a consumer's app needs to connect, read at its deploy time (no export between apps).
    new ssm.StringParameter(this, 'EndpointServiceName', {
      parameterName: BILLING_ENDPOINT_SERVICE_PARAMETER,
      description: 'The endpoint service name of the billing API (AWS PrivateLink, TLS on 443)',
      stringValue: this.link.endpointServiceName,
    });
  }
}

/**
 * The shared environment of the store's teams (`enableTeamApps`: its document is published
 * under /cdk-microservices/store/environment), the message bus with the `user-signup` topic
 * the users team publishes to and the workers team subscribes to, and compliance: the curated
 * AWS Config rules, every compliance change kept in an audit bucket, NON_COMPLIANT changes to
 * the platform team by email and to a queue, and the compliance worker that reads it.
 */
export class PlatformStack extends Stack {
  public readonly platform: MicroserviceEnvironment;
  public readonly bus: MessageBus;
  public readonly signups: EventTopic;
  public readonly complianceRules: ComplianceRules;
  public readonly complianceAlerts: ComplianceAlerts;
  public readonly complianceAudit: ComplianceAudit;
  public readonly complianceWorker: TwelveFactorService;
  public readonly dashboard: EnvironmentDashboard;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);

    this.platform = new MicroserviceEnvironment(this, 'Env', {
      enableTeamApps: true,
      environmentName: ENVIRONMENT_NAME,
      namespaceName: 'store.internal',
      vpcCidr: STORE_CIDR,
      stageProfile: StageProfile.PRODUCTION,
      // Its services trace (the ADOT collector as a sidecar, to X-Ray); the NAT gateway reaches
      // the collector's image on ECR Public.
      defaultTracing: true,
    });

    // Events between services: the users team publishes sign-ups; the workers team consumes
    // them, each worker from its own queue (fan-out).
    // The bus uses the environment's key: team apps get its ARN from the environment document,
    // and their publishers are granted its use (the key policy delegates to the account).
    this.bus = new MessageBus(this, 'Bus', { environment: this.platform, encryptionKey: this.platform.encryptionKey });
    this.signups = this.bus.addTopic(SIGNUP_EVENT, { topicName: SIGNUP_TOPIC_NAME });

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

    // Every service of the store's cluster at a glance (the team apps' services too, found by
    // SEARCH), and a row for the compliance worker.
    this.dashboard = new EnvironmentDashboard(this, 'Dashboard', {
      environment: this.platform,
      services: [this.complianceWorker],
      dashboardName: 'store',
    });
  }
}
