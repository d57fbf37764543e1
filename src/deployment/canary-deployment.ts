import {
  Arn, ArnFormat, Duration, Lazy, RemovalPolicy, Stack, Token,
  aws_certificatemanager as acm,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_dynamodb as dynamodb,
  aws_ecr as ecr,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_events as events,
  aws_events_targets as eventsTargets,
  aws_iam as iam,
  aws_route53 as route53,
  aws_route53_targets as route53targets,
  aws_sns as sns,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CanaryStep } from './canary-step';
import { RolloutSlot, rolloutDefinition, shortAscii } from './rollout-definition';
import { isMicroserviceEnvironment, addLoadBalancer, createLogGroup } from '../environment/environment-support';
import { acknowledge, nistAndHipaa } from '../private/acknowledge';
import { words } from '../private/naming';
import { MicroservicesValidationError, Problems, checkInt, checkKinds, checkSeconds, enumProblem, known, show } from '../private/validation';
import { TwelveFactorService, TwelveFactorServiceProps } from '../service';

const CLASS = 'CanaryDeployment';
/** The `source` of the events a rollout emits. */
const EVENT_SOURCE = 'cdk-microservices.canary';
const DNS_POLL_SECONDS = 5;
const DNS_TIMEOUT_SECONDS = 300;

/** What happens to the slot that served traffic before a successful rollout. */
export enum OldSlot {
  /** It keeps running its tasks, so that traffic can go back to it at once. */
  KEEP_WARM = 'KEEP_WARM',
  /** It scales in to zero tasks; the next rollout scales it out again before deploying. */
  SCALE_IN = 'SCALE_IN',
}

/**
 * Properties of a `CanaryDeployment`.
 */
export interface CanaryDeploymentProps {
  /**
   * The service, as for a `TwelveFactorService`: both slots are built from it (named
   * `<serviceName>-blue` and `<serviceName>-green`). It must have a `port`; the canary owns
   * its routing, so `hostName`, `pathPatterns`, `routePriority` and `listener` are refused,
   * and only the ROLLING deployment strategy fits (the canary shifts the traffic).
   */
  readonly service: TwelveFactorServiceProps;

  /** The public or private hosted zone of `recordName`. */
  readonly hostedZone: route53.IHostedZone;

  /**
   * The name clients use: relative to the zone (`users`) or fully qualified in it
   * (`users.example.com`). Each slot gets a weighted record of this name.
   */
  readonly recordName: string;

  /**
   * Use weighted CNAME records with this TTL instead of alias records. Alias records
   * (the default) are answered with the load balancer's own TTL of 60 seconds and work at
   * the zone apex; CNAME records do not.
   *
   * @default - weighted alias A records (TTL 60 s, set by Elastic Load Balancing)
   */
  readonly recordTtl?: Duration;

  /**
   * The steps of a rollout: percentages of the traffic to the new slot, rising and ending at
   * 100, each with a bake time not shorter than the alarm evaluation window.
   *
   * @default CanaryStep.standard() - 10%, 25%, 50%, 100%, 5 minutes each
   */
  readonly steps?: CanaryStep[];

  /**
   * The certificate of the slots' HTTPS listeners (created load balancers only).
   *
   * @default - the environment's certificate; without one, `allowPlainHttp` must be set
   */
  readonly certificate?: acm.ICertificate;

  /**
   * Let the created load balancers serve plain HTTP when there is no certificate.
   * Development only: traffic is not encrypted in transit.
   *
   * @default false
   */
  readonly allowPlainHttp?: boolean;

  /**
   * Whether the created load balancers face the internet.
   *
   * @default true
   */
  readonly internetFacing?: boolean;

  /**
   * Deletion protection of the created load balancers.
   *
   * @default true
   */
  readonly loadBalancerDeletionProtection?: boolean;

  /**
   * The load balancer of the blue slot, when you bring one (with `blueListener`).
   *
   * @default - a load balancer is created for each slot, with the environment's defaults
   * (HTTPS, access logs, WAF web ACL)
   */
  readonly blueLoadBalancer?: elbv2.IApplicationLoadBalancer;

  /**
   * The listener of `blueLoadBalancer` that routes to the blue slot, by a rule on the host
   * name `recordName` with priority `listenerRulePriority`.
   *
   * @default - the created load balancer's listener, whose default action is the slot
   */
  readonly blueListener?: elbv2.IApplicationListener;

  /**
   * The load balancer of the green slot, when you bring one (with `greenListener`).
   *
   * @default - a load balancer is created for each slot
   */
  readonly greenLoadBalancer?: elbv2.IApplicationLoadBalancer;

  /**
   * The listener of `greenLoadBalancer` that routes to the green slot.
   *
   * @default - the created load balancer's listener
   */
  readonly greenListener?: elbv2.IApplicationListener;

  /**
   * The priority of the host-name rule on brought listeners.
   *
   * @default 1
   */
  readonly listenerRulePriority?: number;

  /**
   * Accept brought load balancers in a VPC other than the environment's or each other's.
   * Targets are the tasks' IP addresses in the environment's VPC, so another VPC must
   * reach them (peering or a transit gateway).
   *
   * @default false
   */
  readonly allowSlotsInDifferentVpcs?: boolean;

  /**
   * Create the default alarms of each slot: target 5XX rate, p99 latency and unhealthy
   * hosts, combined with the slot's error log alarm (`errorAlarmThreshold`) in a composite
   * alarm that rolls a rollout back.
   *
   * @default true
   */
  readonly defaultAlarms?: boolean;

  /**
   * The target 5XX rate (percent of requests, above 0 up to 100) that sets off a slot's
   * error alarm.
   *
   * @default 5
   */
  readonly errorRatePercent?: number;

  /**
   * The p99 target response time that sets off a slot's latency alarm.
   *
   * @default Duration.seconds(2)
   */
  readonly latencyThreshold?: Duration;

  /**
   * The period of the default alarms (a multiple of 60 s: load balancer metrics come once a
   * minute).
   *
   * @default Duration.minutes(1)
   */
  readonly alarmPeriod?: Duration;

  /**
   * How many periods in a row must breach before a default alarm fires (1 to 10). The
   * alarm evaluation window is `alarmPeriod` x this; every step must bake at least as long.
   *
   * @default 2
   */
  readonly alarmEvaluationPeriods?: number;

  /**
   * More alarms that roll a rollout back when any is in ALARM during a step, for example
   * the message bus alarms of the service's subscriptions. Also `addAlarm()`.
   *
   * @default - only the default alarms
   */
  readonly alarms?: cloudwatch.IAlarm[];

  /**
   * How often the alarms are polled during a bake (5 s to 5 minutes, whole seconds): the
   * worst-case delay from an alarm to the weights going back.
   *
   * @default Duration.seconds(10)
   */
  readonly alarmPollInterval?: Duration;

  /**
   * How long the idle slot may take to become steady and healthy after the release is
   * deployed to it (1 minute to 2 hours).
   *
   * @default Duration.minutes(20)
   */
  readonly healthTimeout?: Duration;

  /**
   * How often the idle slot's deployment is checked while waiting for it (5 s to 5 minutes).
   *
   * @default Duration.seconds(15)
   */
  readonly healthPollInterval?: Duration;

  /**
   * Wait for a manual approval (a Step Functions task token, sent to `approvalTopic`)
   * before the last step. Refusing it, or letting it time out, rolls back.
   *
   * @default false
   */
  readonly approvalBeforeLastStep?: boolean;

  /**
   * The topic the approval request goes to. Only with `approvalBeforeLastStep`.
   *
   * @default - a new topic encrypted with the environment's key, TLS only
   */
  readonly approvalTopic?: sns.ITopic;

  /**
   * How long an approval may wait (1 minute to 7 days). Only with `approvalBeforeLastStep`.
   *
   * @default Duration.days(1)
   */
  readonly approvalTimeout?: Duration;

  /**
   * What happens to the previously live slot after a successful rollout.
   *
   * @default OldSlot.KEEP_WARM
   */
  readonly oldSlot?: OldSlot;

  /**
   * The ECR repository rollouts take their images from: both slots' execution roles may
   * pull from it. Needed by `startOnPush`.
   *
   * @default - none: grant pulls yourself for images from other repositories
   */
  readonly imageRepository?: ecr.IRepository;

  /**
   * Start a rollout when an image is pushed to `imageRepository` (an EventBridge rule on
   * ECR's push events). The rollout id is the image digest, so a digest rolls out once.
   *
   * @default false
   */
  readonly startOnPush?: boolean;

  /**
   * Only pushes of tags with this prefix start a rollout. Only with `startOnPush`.
   *
   * @default - any tag
   */
  readonly startOnPushTagPrefix?: string;
}

/**
 * A canary deployment of one service: two slots (blue and green), each a
 * `TwelveFactorService` behind its own load balancer, Route 53 weighted records on one name,
 * a DynamoDB table of state and a Step Functions state machine that releases a new image to
 * the idle slot, shifts the weights step by step while it polls CloudWatch alarms, rolls
 * back at once on any alarm and promotes the new slot at the end.
 *
 * Start a rollout with `{"image": "<repository>:<tag>"}` (by hand, from CI with
 * `grantStartRollout`, or on each ECR push with `startOnPush`).
 *
 * A release is a new revision of the idle slot's task definition, copied from the current one:
 * every container is kept as it is, except the app container, whose image becomes the rollout's
 * `image` and whose `RELEASE_ID` environment variable becomes that same image (added if the
 * container had none), so that a released task always names its release. The service's
 * `releaseId` therefore names only the revision CloudFormation deploys.
 *
 * @example
 * declare const env: MicroserviceEnvironment;
 * declare const zone: route53.IHostedZone;
 * declare const repository: ecr.IRepository;
 *
 * const canary = new CanaryDeployment(this, 'Users', {
 *   service: {
 *     environment: env,
 *     image: ecs.ContainerImage.fromEcrRepository(repository, 'v1'),
 *     port: 8080,
 *     healthCheckPath: '/health',
 *   },
 *   hostedZone: zone,
 *   recordName: 'users',
 *   steps: CanaryStep.standard(Duration.minutes(5)),
 *   imageRepository: repository,
 * });
 */
export class CanaryDeployment extends Construct {
  /** The blue slot. */
  public readonly blue: TwelveFactorService;
  /** The green slot. */
  public readonly green: TwelveFactorService;
  /** The blue slot's load balancer. */
  public readonly blueLoadBalancer: elbv2.IApplicationLoadBalancer;
  /** The green slot's load balancer. */
  public readonly greenLoadBalancer: elbv2.IApplicationLoadBalancer;
  /** The blue slot's weighted record. */
  public readonly blueRecord: route53.RecordSet;
  /** The green slot's weighted record. */
  public readonly greenRecord: route53.RecordSet;
  /** The fully qualified name clients use. */
  public readonly domainName: string;
  /** The URL of the service. */
  public readonly url: string;
  /** The table of state: the live slot, the lock, and every rollout with its steps. */
  public readonly table: dynamodb.Table;
  /** The state machine that runs rollouts. */
  public readonly stateMachine: sfn.StateMachine;
  /** The composite alarm of the blue slot's default alarms, when they are on. */
  public readonly blueAlarm?: cloudwatch.CompositeAlarm;
  /** The composite alarm of the green slot's default alarms, when they are on. */
  public readonly greenAlarm?: cloudwatch.CompositeAlarm;
  /** The topic approval requests go to, with `approvalBeforeLastStep`. */
  public readonly approvalTopic?: sns.ITopic;
  /** The rule that starts a rollout on an ECR push, with `startOnPush`. */
  public readonly pushRule?: events.Rule;
  /** The steps of a rollout. */
  public readonly steps: CanaryStep[];
  /**
   * How long a rollout takes when every step passes: the bakes (rounded up to whole alarm
   * polls) and a DNS sync wait per step; not the idle slot's start-up or an approval wait.
   */
  public readonly plannedDuration: Duration;
  /**
   * The longest a rollout may run: health timeout, every bake, the DNS sync timeout of each
   * step and the approval timeout. The state machine's timeout is twice this, which leaves
   * room for retries of throttled calls.
   */
  public readonly maximumDuration: Duration;
  /**
   * The longest time from an alarm being in ALARM (as CloudWatch reports it) to the
   * weights going back to the live slot while the new slot has traffic: one alarm poll
   * interval, plus the Route 53 call. (While an approval waits, the alarms are checked once
   * the answer comes, before the last step.)
   */
  public readonly rollbackReaction: Duration;
  /** The source of the EventBridge events a rollout emits. */
  public readonly eventSource: string = EVENT_SOURCE;

  private readonly extraAlarms: cloudwatch.IAlarm[] = [];

  constructor(scope: Construct, id: string, given: CanaryDeploymentProps) {
    super(scope, id);
    const props = this.validate(given);
    const serviceProps = props.service;
    const env = serviceProps.environment;
    const stack = Stack.of(this);
    const serviceName = serviceProps.serviceName ?? words(id).join('-').toLowerCase();
    this.steps = props.steps ?? CanaryStep.standard();
    const zoneName = props.hostedZone.zoneName.replace(/\.$/, '');
    this.domainName = fullyQualified(props.recordName, zoneName);
    const https = props.certificate !== undefined || (props.allowPlainHttp !== true && env.certificate !== undefined);
    this.url = `${https || props.blueListener ? 'https' : 'http'}://${this.domainName}`;

    // Slots: a load balancer each (created or brought) and a service routed from it.
    const slot = (name: 'blue' | 'green', loadBalancer?: elbv2.IApplicationLoadBalancer, listener?: elbv2.IApplicationListener) => {
      const scopeId = name === 'blue' ? 'Blue' : 'Green';
      let lb = loadBalancer;
      let slotListener = listener;
      if (!lb || !slotListener) {
        const created = addLoadBalancer(env, new Construct(this, `${scopeId}LoadBalancer`), this, {
          certificate: props.certificate ?? (props.allowPlainHttp ? undefined : env.certificate),
          internetFacing: props.internetFacing ?? true,
          deletionProtection: props.loadBalancerDeletionProtection ?? true,
          description: `${name} slot of ${this.node.path}`,
          notFoundByDefault: false,
        });
        lb = created.loadBalancer;
        slotListener = created.listener;
      }
      const service = new TwelveFactorService(this, scopeId, {
        ...serviceProps,
        serviceName: `${serviceName}-${name}`,
        listener: slotListener,
        hostName: listener ? this.domainName : undefined,
        routePriority: listener ? (props.listenerRulePriority ?? 1) : undefined,
      });
      props.imageRepository?.grantPull(service.executionRole);
      return { service, lb };
    };
    const blue = slot('blue', props.blueLoadBalancer, props.blueListener);
    const green = slot('green', props.greenLoadBalancer, props.greenListener);
    this.blue = blue.service;
    this.green = green.service;
    this.blueLoadBalancer = blue.lb;
    this.greenLoadBalancer = green.lb;

    // Weighted records: blue takes the traffic until the first rollout.
    const record = (name: 'blue' | 'green', lb: elbv2.IApplicationLoadBalancer, weight: number): route53.RecordSet => {
      const common = { zone: props.hostedZone, recordName: `${this.domainName}.`, weight, setIdentifier: name };
      return props.recordTtl
        ? new route53.CnameRecord(this, name === 'blue' ? 'BlueRecord' : 'GreenRecord', { ...common, domainName: lb.loadBalancerDnsName, ttl: props.recordTtl })
        : new route53.ARecord(this, name === 'blue' ? 'BlueRecord' : 'GreenRecord', {
          ...common,
          target: route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(lb, { evaluateTargetHealth: true })),
        });
    };
    this.blueRecord = record('blue', blue.lb, 100);
    this.greenRecord = record('green', green.lb, 0);

    // Alarms.
    for (const alarm of props.alarms ?? []) this.addAlarm(alarm);
    if (props.defaultAlarms ?? true) {
      this.blueAlarm = this.createAlarms('Blue', this.blue, props);
      this.greenAlarm = this.createAlarms('Green', this.green, props);
    }

    // State.
    this.table = new dynamodb.Table(this, 'State', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: env.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.table, nistAndHipaa('DynamoDBInBackupPlan',
      'The table holds the rollout state and history of one service; point-in-time recovery (on) restores it, and the live slot can be read back from the Route 53 weights.'));

    if (props.approvalBeforeLastStep) {
      this.approvalTopic = props.approvalTopic ?? new sns.Topic(this, 'ApprovalTopic', {
        // SNS display names hold at most 100 characters: a long path keeps its end.
        displayName: `Rollout approvals of ${shortAscii(this.node.path, 100 - 'Rollout approvals of '.length)}`,
        masterKey: env.encryptionKey,
        enforceSSL: true,
      });
    }

    // The rollout.
    const pollSeconds = (props.alarmPollInterval ?? Duration.seconds(10)).toSeconds();
    const healthPollSeconds = (props.healthPollInterval ?? Duration.seconds(15)).toSeconds();
    const healthTimeoutSeconds = (props.healthTimeout ?? Duration.minutes(20)).toSeconds();
    const approvalTimeoutSeconds = (props.approvalTimeout ?? Duration.days(1)).toSeconds();
    const bakeSeconds = this.steps.map((s) => Math.max(1, Math.ceil(s.bake.toSeconds() / pollSeconds)) * pollSeconds);
    const planned = bakeSeconds.reduce((a, b) => a + b, 0) + this.steps.length * DNS_POLL_SECONDS;
    const maximum = healthTimeoutSeconds + healthPollSeconds + bakeSeconds.reduce((a, b) => a + b, 0)
      + this.steps.length * (DNS_TIMEOUT_SECONDS + pollSeconds) + (props.approvalBeforeLastStep ? approvalTimeoutSeconds : 0) + 300;
    this.plannedDuration = Duration.seconds(planned);
    this.maximumDuration = Duration.seconds(maximum);
    this.rollbackReaction = Duration.seconds(pollSeconds);

    const scaleIn = (props.oldSlot ?? OldSlot.KEEP_WARM) === OldSlot.SCALE_IN;
    const slotData = (name: 'blue' | 'green', service: TwelveFactorService, lb: elbv2.IApplicationLoadBalancer, composite?: cloudwatch.IAlarm): RolloutSlot => ({
      name,
      clusterArn: env.cluster.clusterArn,
      serviceArn: service.service.serviceArn,
      scalingResourceId: `service/${env.cluster.clusterName}/${service.service.serviceName}`,
      taskDefinitionArn: service.taskDefinition.taskDefinitionArn,
      record: props.recordTtl
        // The Route 53 record as the AWS SDK integration takes it: member names spelled as the AWS
        // SDK for Java v2 spells them (TTL -> Ttl, DNSName -> DnsName), not as the API reference does:
        // https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
        ? { Name: `${this.domainName}.`, Type: 'CNAME', SetIdentifier: name, Ttl: props.recordTtl.toSeconds(), ResourceRecords: [{ Value: lb.loadBalancerDnsName }] }
        : {
          Name: `${this.domainName}.`,
          Type: 'A',
          SetIdentifier: name,
          AliasTarget: { HostedZoneId: lb.loadBalancerCanonicalHostedZoneId, DnsName: `dualstack.${lb.loadBalancerDnsName}`, EvaluateTargetHealth: true },
        },
      alarmNames: Lazy.list({ produce: () => [...(composite ? [composite.alarmName] : []), ...this.extraAlarms.map((a) => a.alarmName)] }),
      minCapacity: service.minTasks,
      maxCapacity: service.maxTasks,
      scales: service.scaling !== undefined,
    });
    const containers = this.blue.taskDefinition.node.children.filter((c): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition);
    const definition = rolloutDefinition({
      tableName: this.table.tableName,
      hostedZoneId: props.hostedZone.hostedZoneId,
      blue: slotData('blue', this.blue, blue.lb, this.blueAlarm),
      green: slotData('green', this.green, green.lb, this.greenAlarm),
      cname: props.recordTtl !== undefined,
      steps: this.steps.map((s) => ({ percent: s.percent, bakeSeconds: s.bake.toSeconds() })),
      alarmPollSeconds: pollSeconds,
      healthPollSeconds,
      healthTimeoutSeconds,
      dnsPollSeconds: DNS_POLL_SECONDS,
      dnsTimeoutSeconds: DNS_TIMEOUT_SECONDS,
      approvalTopicArn: this.approvalTopic?.topicArn,
      approvalTimeoutSeconds,
      scaleInOldSlot: scaleIn,
      appContainerIndex: Math.max(0, containers.indexOf(this.blue.container)),
      ephemeralStorage: serviceProps.ephemeralStorageGiB !== undefined,
      label: this.node.path,
      eventSource: EVENT_SOURCE,
      // Twice the worst case: room for every call's retries with backoff.
      timeoutSeconds: 2 * maximum,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(definition)),
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: {
        destination: createLogGroup(env, this, 'Logs'),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
    });
    this.grantRollout(this.stateMachine.role, props, scaleIn);

    if (props.startOnPush) this.pushRule = this.createPushRule(props);
    this.acknowledgeFindings(scaleIn);
  }

  /**
   * Adds an alarm that rolls a rollout back when it is in ALARM during a step (for example a
   * message bus DLQ alarm). Adding the same alarm again is a no-op.
   */
  public addAlarm(alarm: cloudwatch.IAlarm): void {
    if (!alarm || typeof (alarm as { alarmName?: unknown }).alarmName !== 'string') {
      throw new MicroservicesValidationError(CLASS, this, [`\`addAlarm\` needs a cloudwatch.IAlarm; got ${show(alarm)}`]);
    }
    if (this.extraAlarms.includes(alarm)) return;
    if (this.extraAlarms.length >= 90) {
      throw new MicroservicesValidationError(CLASS, this, ['`addAlarm`: at most 90 alarms can be added (a rollout reads them in one DescribeAlarms call of 100 names)']);
    }
    this.extraAlarms.push(alarm);
  }

  /**
   * Both slots, blue then green: attach backing services and grant to each, since either
   * may be live (`for (const slot of canary.slots) slot.attach(...)`).
   */
  public get slots(): TwelveFactorService[] {
    return [this.blue, this.green];
  }

  /** The alarms added with `alarms` or `addAlarm()`. */
  public get alarms(): cloudwatch.IAlarm[] {
    return [...this.extraAlarms];
  }

  /**
   * Lets a principal (a CI role, for example) start rollouts: `states:StartExecution` on this
   * state machine only.
   */
  public grantStartRollout(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /** Lets a principal read the rollout state and history in the table. */
  public grantReadState(grantee: iam.IGrantable): iam.Grant {
    return this.table.grantReadData(grantee);
  }

  /** The number of rollouts that ended in each way, from the state machine's metrics. */
  public metricRolloutsFailed(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.stateMachine.metricFailed(options);
  }

  /** The number of rollouts that succeeded. */
  public metricRolloutsSucceeded(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.stateMachine.metricSucceeded(options);
  }

  private createAlarms(slotId: string, service: TwelveFactorService, props: CanaryDeploymentProps): cloudwatch.CompositeAlarm {
    const targetGroup = service.targetGroup!;
    const period = props.alarmPeriod ?? Duration.minutes(1);
    const evaluationPeriods = props.alarmEvaluationPeriods ?? 2;
    const errorRate = props.errorRatePercent ?? 5;
    const latency = props.latencyThreshold ?? Duration.seconds(2);
    const scope = new Construct(this, `${slotId}Alarms`);
    const action = new cloudwatchActions.SnsAction(service.environment.alarmTopic);
    const common = {
      evaluationPeriods,
      datapointsToAlarm: evaluationPeriods,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    const errors = new cloudwatch.Alarm(scope, 'ErrorRate', {
      ...common,
      alarmDescription: `Target 5XX responses above ${errorRate}% of requests in the ${slotId.toLowerCase()} slot of ${this.node.path}`,
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)',
        usingMetrics: {
          errors: targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period, statistic: 'Sum' }),
          requests: targetGroup.metrics.requestCount({ period, statistic: 'Sum' }),
        },
        period,
        label: '5XX rate (%)',
      }),
      threshold: errorRate,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const slow = new cloudwatch.Alarm(scope, 'Latency', {
      ...common,
      alarmDescription: `p99 target response time above ${latency.toHumanString()} in the ${slotId.toLowerCase()} slot of ${this.node.path}`,
      metric: targetGroup.metrics.targetResponseTime({ period, statistic: 'p99' }),
      threshold: latency.toMilliseconds() / 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const unhealthy = new cloudwatch.Alarm(scope, 'UnhealthyHosts', {
      ...common,
      alarmDescription: `Unhealthy targets in the ${slotId.toLowerCase()} slot of ${this.node.path}`,
      metric: targetGroup.metrics.unhealthyHostCount({ period, statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    for (const alarm of [errors, slow, unhealthy]) alarm.addAlarmAction(action);
    // The slot's error log alarm (TwelveFactorService errorAlarm) counts too.
    const children: cloudwatch.IAlarm[] = [errors, slow, unhealthy, ...(service.errorAlarm ? [service.errorAlarm] : [])];
    const composite = new cloudwatch.CompositeAlarm(scope, 'Composite', {
      alarmDescription: `Any default alarm of the ${slotId.toLowerCase()} slot of ${this.node.path}, or its error log alarm: a rollout to this slot rolls back`,
      alarmRule: cloudwatch.AlarmRule.anyOf(...children),
    });
    composite.addAlarmAction(action);
    return composite;
  }

  private grantRollout(role: iam.IRole, props: CanaryDeploymentProps, scaleIn: boolean): void {
    const stack = Stack.of(this);
    const slots = [this.blue, this.green];
    const add = (statement: iam.PolicyStatement) => role.addToPrincipalPolicy(statement);
    this.table.grant(role, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    // The table is encrypted with the environment's customer managed key, and `table.grant` grants
    // no key use: DynamoDB uses the key on behalf of the caller, which needs kms:Decrypt (the
    // table key, for reads and writes), kms:GenerateDataKey and kms:DescribeKey, through DynamoDB
    // only ("Authorizing use of your customer managed key" and its kms:ViaService example):
    // https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html
    const key = this.table.encryptionKey;
    if (key) {
      add(new iam.PolicyStatement({
        sid: 'UseStateTableKey',
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.${stack.urlSuffix}` } },
      }));
    }
    add(new iam.PolicyStatement({
      sid: 'DescribeTaskDefinitions',
      actions: ['ecs:DescribeTaskDefinition'],
      resources: ['*'],
    }));
    add(new iam.PolicyStatement({
      sid: 'RegisterReleases',
      actions: ['ecs:RegisterTaskDefinition'],
      resources: slots.map((s) => stack.formatArn({
        service: 'ecs', resource: 'task-definition', resourceName: `${s.taskDefinition.family}:*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      })),
    }));
    add(new iam.PolicyStatement({
      sid: 'PassSlotRoles',
      actions: ['iam:PassRole'],
      resources: slots.flatMap((s) => [s.taskRole.roleArn, s.executionRole.roleArn]),
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }));
    add(new iam.PolicyStatement({
      sid: 'DeploySlots',
      actions: ['ecs:UpdateService', 'ecs:DescribeServices'],
      resources: slots.map((s) => s.service.serviceArn),
    }));
    add(new iam.PolicyStatement({
      sid: 'ShiftWeights',
      actions: ['route53:ChangeResourceRecordSets'],
      resources: [Arn.format({ partition: stack.partition, service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: props.hostedZone.hostedZoneId })],
      conditions: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [Token.isUnresolved(this.domainName) ? this.domainName : this.domainName.toLowerCase()],
          'route53:ChangeResourceRecordSetsRecordTypes': [props.recordTtl ? 'CNAME' : 'A'],
          'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
        },
      },
    }));
    add(new iam.PolicyStatement({
      sid: 'WatchDnsChanges',
      actions: ['route53:GetChange'],
      resources: [Arn.format({ partition: stack.partition, service: 'route53', region: '', account: '', resource: 'change', resourceName: '*' })],
    }));
    add(new iam.PolicyStatement({
      sid: 'ReadAlarms',
      actions: ['cloudwatch:DescribeAlarms'],
      resources: Lazy.list({
        produce: () => [this.blueAlarm, this.greenAlarm, ...this.extraAlarms]
          .filter((a): a is cloudwatch.IAlarm => a !== undefined).map((a) => a.alarmArn),
      }),
    }));
    add(new iam.PolicyStatement({
      sid: 'EmitEvents',
      actions: ['events:PutEvents'],
      resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
      conditions: { 'ForAllValues:StringEquals': { 'events:source': [EVENT_SOURCE] }, 'Null': { 'events:source': 'false' } },
    }));
    if (this.approvalTopic) this.approvalTopic.grantPublish(role);
    if (scaleIn) {
      add(new iam.PolicyStatement({
        sid: 'ScaleSlots',
        actions: ['application-autoscaling:RegisterScalableTarget'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount' },
        },
      }));
    }
  }

  private createPushRule(props: CanaryDeploymentProps): events.Rule {
    const repository = props.imageRepository!;
    const rule = new events.Rule(this, 'PushRule', {
      description: `Starts a canary rollout of ${this.node.path} when an image is pushed to its repository`,
      eventPattern: {
        source: ['aws.ecr'],
        detailType: ['ECR Image Action'],
        detail: {
          'action-type': ['PUSH'],
          'result': ['SUCCESS'],
          'repository-name': [repository.repositoryName],
          'image-tag': props.startOnPushTagPrefix !== undefined ? [{ prefix: props.startOnPushTagPrefix }] : [{ exists: true }],
        },
      },
    });
    rule.addTarget(new eventsTargets.SfnStateMachine(this.stateMachine, {
      input: events.RuleTargetInput.fromObject({
        image: `${repository.repositoryUri}@${events.EventField.fromPath('$.detail.image-digest')}`,
        rolloutId: events.EventField.fromPath('$.detail.image-digest'),
      }),
      retryAttempts: 3,
    }));
    return rule;
  }

  private acknowledgeFindings(scaleIn: boolean): void {
    const role = this.stateMachine.role;
    const stack = Stack.of(this);
    const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
    const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
    acknowledge(role, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: scaleIn
          ? 'ecs:DescribeTaskDefinition supports no resource-level permission; application-autoscaling:RegisterScalableTarget names scalable targets by generated ids unknown at synth, so it is limited to ECS service counts by condition keys.'
          : 'ecs:DescribeTaskDefinition supports no resource-level permission; every other action names its table, services, task definition families, roles, zone, alarms or event bus.',
      },
      {
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::change/*]',
        reason: 'route53:GetChange reads the status of a change by an id Route 53 gives at run time; change ids are not secret and reveal nothing else.',
      },
      ...[this.blue, this.green].map((slot) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:${region}:${account}:task-definition/${slot.taskDefinition.family}:*]`,
        reason: 'A release registers a new revision of the slot\'s task definition family; revisions are numbered at run time, so the family is named with any revision.',
      })),
      // The state table's key gets precise actions (grantRollout); only the approval topic's
      // grantPublish (CDK) grants the GenerateDataKey* family, on the topic's key.
      ...(this.approvalTopic ? [{
        id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
        reason: 'CDK\'s grantPublish gives this KMS action family on the one key that encrypts the approval topic, so the state machine can publish to it; the resource is the key, not *.',
      }] : []),
    ]);
    // On the state machine: its role and the push rule's role.
    acknowledge(this.stateMachine, nistAndHipaa('IAMNoInlinePolicy',
      'The state machine role and the push rule role are this canary\'s own, each with one policy scoped to its table, slots, records, alarms, event bus or state machine; a managed policy would add no reuse.'));
  }

  private validate(given: CanaryDeploymentProps): CanaryDeploymentProps {
    const p = new Problems(CLASS, this);
    if (!given || typeof given !== 'object') {
      p.add('props are missing; pass at least `service`, `hostedZone` and `recordName`');
      p.throwIfAny();
    }
    if (!given.service || typeof given.service !== 'object' || !isMicroserviceEnvironment(given.service.environment)) {
      p.add(`\`service\` ${show(given.service)} is not TwelveFactorService props with an \`environment\``);
    }
    if (!given.hostedZone || typeof (given.hostedZone as { hostedZoneId?: unknown }).hostedZoneId !== 'string') {
      p.add(`\`hostedZone\` ${show(given.hostedZone)} is not a route53.IHostedZone`);
    } else {
      try {
        void given.hostedZone.zoneName;
      } catch {
        p.add('`hostedZone` has no zone name (HostedZone.fromHostedZoneId); import it with fromHostedZoneAttributes or fromLookup');
      }
    }
    p.throwIfAny();
    const props = checkKinds(p, given, [
      ['recordName', 'string'], ['recordTtl', 'Duration'], ['allowPlainHttp', 'boolean'], ['internetFacing', 'boolean'],
      ['loadBalancerDeletionProtection', 'boolean'], ['listenerRulePriority', 'number'], ['allowSlotsInDifferentVpcs', 'boolean'],
      ['defaultAlarms', 'boolean'], ['errorRatePercent', 'number'], ['latencyThreshold', 'Duration'], ['alarmPeriod', 'Duration'],
      ['alarmEvaluationPeriods', 'number'], ['alarmPollInterval', 'Duration'], ['healthTimeout', 'Duration'],
      ['healthPollInterval', 'Duration'], ['approvalBeforeLastStep', 'boolean'], ['approvalTimeout', 'Duration'],
      ['startOnPush', 'boolean'], ['startOnPushTagPrefix', 'string'],
    ]);
    const problem = enumProblem('oldSlot', props.oldSlot, OldSlot, 'OldSlot');
    if (problem) p.add(problem);
    const objects: Array<[keyof CanaryDeploymentProps & string, string, string]> = [
      ['approvalTopic', 'topicArn', 'sns.ITopic'], ['imageRepository', 'repositoryName', 'ecr.IRepository'],
      ['certificate', 'certificateArn', 'acm.ICertificate'], ['blueLoadBalancer', 'loadBalancerArn', 'elbv2.IApplicationLoadBalancer'],
      ['greenLoadBalancer', 'loadBalancerArn', 'elbv2.IApplicationLoadBalancer'], ['blueListener', 'listenerArn', 'elbv2.IApplicationListener'],
      ['greenListener', 'listenerArn', 'elbv2.IApplicationListener'],
    ];
    for (const [name, attribute, type] of objects) {
      const value = props[name] as unknown;
      if (value !== undefined && (value === null || typeof (value as Record<string, unknown>)[attribute] !== 'string')) {
        p.add(`\`${name}\` ${show(value)} is not an ${type}`);
        delete (props as unknown as Record<string, unknown>)[name];
      }
    }
    if (Array.isArray(props.alarms)) {
      props.alarms.forEach((alarm, i) => p.when(!alarm || typeof (alarm as { alarmName?: unknown }).alarmName !== 'string',
        `\`alarms[${i}]\` ${show(alarm)} is not a cloudwatch.IAlarm`));
    }
    const s = props.service;
    const env = s.environment;

    // The service: the canary owns routing and shifting.
    p.when(s.port === undefined, '`service.port` is missing; the slots\' load balancers route to it');
    for (const name of ['hostName', 'pathPatterns', 'routePriority', 'listener'] as const) {
      p.when(s[name] !== undefined, `\`service.${name}\` is not used by a canary, which routes each slot from its own load balancer; remove it`);
    }
    p.when(s.deploymentStrategy !== undefined && s.deploymentStrategy !== ecs.DeploymentStrategy.ROLLING,
      `\`service.deploymentStrategy\` ${show(s.deploymentStrategy)} shifts traffic itself; a canary shifts Route 53 weights, so use ROLLING or leave it out`);
    if (known(s.minTasks)) p.when(s.minTasks < 1, `\`service.minTasks\` ${s.minTasks} is not valid for a canary: the live slot must serve; use 1 or more`);
    if (known(s.serviceName)) {
      p.when(s.serviceName.length > 57, `\`service.serviceName\` ${show(s.serviceName)} is too long: the slots add -blue/-green; use at most 57 characters`);
    } else if (s.serviceName === undefined) {
      const fromId = words(this.node.id).join('-').toLowerCase();
      p.when(fromId.length > 57 || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(fromId),
        `the construct id gives the service name ${show(fromId)}, which does not fit '<name>-green' (at most 57 characters of a-z, 0-9 and '-'); set \`service.serviceName\``);
    }

    // The record.
    const zoneName = known(props.hostedZone.zoneName) ? props.hostedZone.zoneName.replace(/\.$/, '').toLowerCase() : undefined;
    if (props.recordName === undefined) {
      p.add('`recordName` is missing; give the name clients use, for example \'users\'');
    } else if (known(props.recordName)) {
      const name = props.recordName.replace(/\.$/, '').toLowerCase();
      p.when(!/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name) || name.length > 253,
        `\`recordName\` ${show(props.recordName)} is not a DNS name`);
      if (zoneName !== undefined && name.includes('.') && name !== zoneName && !name.endsWith(`.${zoneName}`)) {
        p.add(`\`recordName\` ${show(props.recordName)} is not in the hosted zone '${zoneName}'; use a name relative to it ('users') or ending in .${zoneName}`);
      }
      if (props.recordTtl !== undefined && zoneName !== undefined && name === zoneName) {
        p.add(`\`recordTtl\` makes CNAME records, which cannot be at the zone apex '${zoneName}'; use a subdomain or leave \`recordTtl\` out for alias records`);
      }
    }
    if (props.recordTtl !== undefined && props.recordTtl.isUnresolved()) {
      p.add('`recordTtl` is a token; give a Duration known at synth time');
    } else {
      const ttl = checkSeconds('recordTtl', props.recordTtl, 1, 86_400);
      if (ttl) p.add(ttl);
    }

    // Load balancers.
    const broughtBlue = props.blueLoadBalancer !== undefined || props.blueListener !== undefined;
    const broughtGreen = props.greenLoadBalancer !== undefined || props.greenListener !== undefined;
    p.when(props.blueLoadBalancer !== undefined && props.blueListener === undefined, '`blueLoadBalancer` needs `blueListener`, the listener that routes to the slot');
    p.when(props.blueListener !== undefined && props.blueLoadBalancer === undefined, '`blueListener` needs `blueLoadBalancer`, the load balancer the record points at');
    p.when(props.greenLoadBalancer !== undefined && props.greenListener === undefined, '`greenLoadBalancer` needs `greenListener`, the listener that routes to the slot');
    p.when(props.greenListener !== undefined && props.greenLoadBalancer === undefined, '`greenListener` needs `greenLoadBalancer`, the load balancer the record points at');
    p.when(broughtBlue !== broughtGreen, 'bring load balancers for both slots (`blueLoadBalancer`/`blueListener` and `greenLoadBalancer`/`greenListener`) or for neither');
    if (broughtBlue && broughtGreen) {
      for (const name of ['certificate', 'allowPlainHttp', 'internetFacing', 'loadBalancerDeletionProtection'] as const) {
        p.when(props[name] !== undefined, `\`${name}\` configures the load balancers the canary creates; with brought load balancers, remove it`);
      }
      if (props.listenerRulePriority !== undefined) {
        const priority = checkInt('listenerRulePriority', props.listenerRulePriority, 1, 50000);
        if (priority) p.add(priority);
      }
      p.when(props.blueListener === props.greenListener || props.blueLoadBalancer === props.greenLoadBalancer,
        '`greenListener` and `greenLoadBalancer` must differ from the blue slot\'s: each slot needs its own load balancer for the weighted records');
      if (props.allowSlotsInDifferentVpcs !== true) {
        const vpcs = [props.blueLoadBalancer?.vpc, props.greenLoadBalancer?.vpc];
        const same = (a?: { vpcId: string }, b?: { vpcId: string }) =>
          !a || !b || a === b || !known(a.vpcId) || !known(b.vpcId) || a.vpcId === b.vpcId;
        p.when(!same(vpcs[0], vpcs[1]),
          '`blueLoadBalancer` and `greenLoadBalancer` are in different VPCs; put both slots in one VPC or set `allowSlotsInDifferentVpcs: true`');
        for (const [i, vpc] of vpcs.entries()) {
          p.when(!same(vpc, env.vpc),
            `\`${i === 0 ? 'blue' : 'green'}LoadBalancer\` is not in the environment's VPC, where the slots' tasks run; use a load balancer in that VPC or set \`allowSlotsInDifferentVpcs: true\` (its VPC must reach the tasks)`);
        }
      }
    } else {
      p.when(props.listenerRulePriority !== undefined, '`listenerRulePriority` applies to brought listeners; remove it');
      p.when(props.allowSlotsInDifferentVpcs !== undefined, '`allowSlotsInDifferentVpcs` applies to brought load balancers; remove it');
      p.when(props.certificate === undefined && env.certificate === undefined && props.allowPlainHttp !== true,
        '`certificate` is missing and the environment has none: the slots\' load balancers need one for HTTPS; to serve plain HTTP (development only) set `allowPlainHttp: true`');
      p.when(props.certificate !== undefined && props.allowPlainHttp === true, '`allowPlainHttp` conflicts with `certificate`; remove one of them');
    }

    // Alarms and timing.
    const alarmsOn = props.defaultAlarms ?? true;
    p.when(props.alarms !== undefined && !Array.isArray(props.alarms), `\`alarms\` ${show(props.alarms)} is not a list`);
    const extra = Array.isArray(props.alarms) ? props.alarms : [];
    p.when(!alarmsOn && extra.length === 0, '`defaultAlarms` is off and no `alarms` are given: a canary needs at least one alarm to roll back on');
    if (!alarmsOn) {
      for (const name of ['errorRatePercent', 'latencyThreshold', 'alarmPeriod', 'alarmEvaluationPeriods'] as const) {
        p.when(props[name] !== undefined, `\`${name}\` configures the default alarms, which are off; remove it or turn \`defaultAlarms\` on`);
      }
    }
    if (known(props.errorRatePercent)) {
      p.when(!(props.errorRatePercent > 0 && props.errorRatePercent <= 100), `\`errorRatePercent\` ${props.errorRatePercent} is not valid; use a percentage above 0 up to 100`);
    }
    for (const name of ['latencyThreshold', 'alarmPeriod', 'alarmPollInterval', 'healthTimeout', 'healthPollInterval', 'approvalTimeout'] as const) {
      const value = props[name];
      if (value !== undefined && value.isUnresolved()) {
        p.add(`\`${name}\` is a token; the plan and alarms are computed at synth time, so give a Duration known then`);
        delete (props as unknown as Record<string, unknown>)[name];
      }
    }
    if (known(props.latencyThreshold)) {
      const ms = props.latencyThreshold.toMilliseconds({ integral: false });
      p.when(!(ms > 0 && ms <= 60_000), `\`latencyThreshold\` ${props.latencyThreshold.toHumanString()} is not valid; use more than 0 and at most 60 seconds`);
    }
    if (known(props.alarmPeriod)) {
      const seconds = props.alarmPeriod.toMilliseconds({ integral: false }) / 1000;
      // Load balancer metrics come once a minute: a shorter period would leave the alarms without data.
      p.when(!(seconds >= 60 && seconds % 60 === 0 && seconds <= 86_400),
        `\`alarmPeriod\` ${props.alarmPeriod.toHumanString()} is not valid; load balancer metrics come once a minute, so use a multiple of 60 s up to 1 day`);
    }
    const evaluation = checkInt('alarmEvaluationPeriods', props.alarmEvaluationPeriods, 1, 10);
    if (evaluation) p.add(evaluation);
    for (const timing of [
      checkSeconds('alarmPollInterval', props.alarmPollInterval, 5, 300, '5 seconds to 5 minutes'),
      checkSeconds('healthTimeout', props.healthTimeout, 60, 7200, '1 minute to 2 hours'),
      checkSeconds('healthPollInterval', props.healthPollInterval, 5, 300, '5 seconds to 5 minutes'),
      checkSeconds('approvalTimeout', props.approvalTimeout, 60, 7 * 86_400, '1 minute to 7 days'),
    ]) if (timing) p.add(timing);
    if (!props.approvalBeforeLastStep) {
      p.when(props.approvalTopic !== undefined, '`approvalTopic` needs `approvalBeforeLastStep: true`');
      p.when(props.approvalTimeout !== undefined, '`approvalTimeout` needs `approvalBeforeLastStep: true`');
    }
    if (props.startOnPush) {
      p.when(props.imageRepository === undefined, '`startOnPush` needs `imageRepository`, the repository whose pushes start rollouts');
    } else {
      p.when(props.startOnPushTagPrefix !== undefined, '`startOnPushTagPrefix` needs `startOnPush: true`');
    }
    if (known(props.startOnPushTagPrefix)) {
      p.when(!/^[a-zA-Z0-9._-]{1,127}$/.test(props.startOnPushTagPrefix), `\`startOnPushTagPrefix\` ${show(props.startOnPushTagPrefix)} is not the start of an image tag; use letters, digits, '.', '_' and '-'`);
    }

    // Steps.
    this.validateSteps(p, props, alarmsOn);
    p.throwIfAny();
    return props;
  }

  private validateSteps(p: Problems, props: CanaryDeploymentProps, alarmsOn: boolean): void {
    const steps = props.steps ?? CanaryStep.standard();
    if (!Array.isArray(steps) || steps.length === 0) {
      p.add(`\`steps\` ${show(props.steps)} is not a list of CanaryStep; use for example CanaryStep.standard()`);
      return;
    }
    if (steps.length > 20) p.add(`\`steps\` has ${steps.length} steps; use at most 20`);
    const window = alarmsOn && known(props.alarmPeriod ?? Duration.minutes(1)) && known(props.alarmEvaluationPeriods ?? 2)
      ? (props.alarmPeriod ?? Duration.minutes(1)).toMilliseconds({ integral: false }) * (props.alarmEvaluationPeriods ?? 2) : 0;
    let previous = 0;
    Array.from(steps).forEach((step, i) => {
      if (!(step instanceof CanaryStep)) {
        p.add(`\`steps[${i}]\` ${show(step)} is not a CanaryStep; use CanaryStep.weight(percent, bake)`);
        return;
      }
      const { percent, bake } = step;
      if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 1 || percent > 100) {
        p.add(`\`steps[${i}]\` weight ${show(percent)} is not valid; use a whole percentage from 1 to 100`);
      } else {
        p.when(percent <= previous, `\`steps[${i}]\` weight ${percent}% does not rise above the step before (${previous}%); percentages must rise`);
        previous = Math.max(previous, percent);
      }
      if (!(bake instanceof Duration) || bake.isUnresolved()) {
        p.add(`\`steps[${i}]\` bake ${show(bake)} is not a Duration`);
        return;
      }
      const ms = bake.toMilliseconds({ integral: false });
      if (!Number.isFinite(ms) || ms % 1000 !== 0 || ms < 1000 || ms > 86_400_000) {
        p.add(`\`steps[${i}]\` bake ${bake.toHumanString()} is not valid; use whole seconds from 1 second to 1 day`);
      } else if (ms < window) {
        p.add(`\`steps[${i}]\` bake ${bake.toHumanString()} is shorter than the alarm evaluation window (${Duration.millis(window).toHumanString()}: alarmPeriod x alarmEvaluationPeriods); an alarm could not fire within the step`);
      }
    });
    const poll = known(props.alarmPollInterval) ? props.alarmPollInterval.toMilliseconds({ integral: false }) / 1000 : 10;
    const healthTimeout = known(props.healthTimeout) ? props.healthTimeout.toMilliseconds({ integral: false }) / 1000 : 1200;
    const healthPoll = known(props.healthPollInterval) ? props.healthPollInterval.toMilliseconds({ integral: false }) / 1000 : 15;
    if (!p.any && poll > 0 && healthPoll > 0) {
      const polls = Array.from(steps).reduce((sum, s) => sum + Math.max(1, Math.ceil(s.bake.toSeconds() / poll)), 0);
      // Events per poll: Wait 2, Task 5, Choice 2, Pass 2; a DNS poll also checks the alarms (Task 5).
      const dnsPolls = Math.ceil(DNS_TIMEOUT_SECONDS / DNS_POLL_SECONDS);
      const history = 11 * (polls + Math.ceil(healthTimeout / healthPoll)) + 16 * dnsPolls * steps.length + 40 * steps.length + 400;
      p.when(history > 25_000, `\`steps\` need up to ${history} execution history events with \`alarmPollInterval\` ${poll} s; an execution holds 25,000: use fewer or shorter steps or a longer poll interval`);
    }
    const last = steps[steps.length - 1];
    if (last instanceof CanaryStep && last.percent !== 100) {
      p.add(`\`steps\` ends at ${show(last.percent)}%; the last step must send 100% of the traffic to the new slot`);
    }
  }
}

function fullyQualified(recordName: string, zoneName: string): string {
  if (Token.isUnresolved(recordName) || Token.isUnresolved(zoneName)) return `${recordName}.${zoneName}`;
  const name = recordName.replace(/\.$/, '');
  const zone = zoneName.toLowerCase();
  const lower = name.toLowerCase();
  return lower === zone || lower.endsWith(`.${zone}`) ? name : `${name}.${zoneName}`;
}
