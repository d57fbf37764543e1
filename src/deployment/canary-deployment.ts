import {
  CustomResource, Duration, RemovalPolicy, Stack,
  aws_certificatemanager as acm,
  aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  aws_ecr as ecr,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_events as events,
  aws_iam as iam,
  aws_route53 as route53,
  aws_sns as sns,
  aws_ssm as ssm,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { canaryNameOwner, recordCanaryName } from './canary-names';
import { CanaryStep } from './canary-step';
import { validateCanaryProps } from './canary-validation';
import { LiveState } from './live-state';
import { OldSlot } from './old-slot';
import { CANARY_PARAMETER_PREFIX, canaryNameProblem } from './operator-contract';
import { rolloutDefinition } from './rollout-definition';
import { EVENT_SOURCE, ROLLOUT_STATUS, createPushRule, outcomeEventPattern } from './rollout-events';
import { METRICS_NAMESPACE, ROLLOUT_METRICS, canaryDimensionValue } from './rollout-metrics';
import { acknowledgeRolloutFindings, grantDescribeOwnExecutions, grantRollout, RolloutResources } from './rollout-role';
import { RolloutSlot, createWeightedRecord, fullyQualified, rolloutSlot } from './rollout-slot';
import { shortAscii } from './rollout-text';
import { createSlotAlarms } from './slot-alarms';
import { addLoadBalancer, createLogGroup } from '../environment/environment-support';
import { acknowledge, nistAndHipaa } from '../private/acknowledge';
import { environmentName, words } from '../private/naming';
import { Problems, known, show } from '../private/validation';
import { TwelveFactorService, TwelveFactorServiceProps } from '../service';
import { RESOURCE_ATTRIBUTES, resourceAttributes, resourceAttributesPrefix } from '../service/service-tracing';

const CLASS = 'CanaryDeployment';

/**
 * Properties of a `CanaryDeployment`.
 */
export interface CanaryDeploymentProps {
  /**
   * The props of the service, as for a `TwelveFactorService`: both slots are built from them (named
   * `<serviceName>-blue` and `<serviceName>-green`). They must have a `port`; the canary owns
   * its routing, so `hostName`, `pathPatterns`, `routePriority` and `listener` are refused,
   * and only the ROLLING deployment strategy fits (the canary shifts the traffic).
   */
  readonly serviceProps: TwelveFactorServiceProps;

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
  readonly enableApprovalBeforeLastStep?: boolean;

  /**
   * The topic the approval request goes to. Only with `enableApprovalBeforeLastStep`.
   *
   * @default - a new topic encrypted with the environment's key, TLS only
   */
  readonly approvalTopic?: sns.ITopic;

  /**
   * How long an approval may wait (1 minute to 7 days). Only with `enableApprovalBeforeLastStep`.
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
   * pull from it, and a rollout of an image of another repository is refused before anything
   * changes. Needed by `startOnPush`.
   *
   * @default - none: grant pulls yourself for images from other repositories
   */
  readonly imageRepository?: ecr.IRepository;

  /**
   * The name operators give the rollout command (`npx cdk-microservices rollout status
   * --canary <name>`): the construct writes what the command needs (state machine, table,
   * steps) to the SSM String parameter `/cdk-microservices/canaries/<name>`. Levels of letters,
   * digits, `_`, `.` and `-`, separated by `/` (at most 5 levels, 200 characters); unique in
   * the account and Region.
   *
   * @default - `<stack name>/<service name>`, for example `Users/users`
   */
  readonly canaryName?: string;

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
 * container had none), so that a released task always names its release.
 *
 * A deployment never undoes a rollout: each slot's app container takes its image (and
 * `RELEASE_ID`) and each record its weight from what the rollouts recorded, read at deploy time
 * by a custom resource (`liveState`). `serviceProps.image` is what both slots run until the
 * first rollout; after it, images change only through rollouts, and a configuration change
 * (variables, secrets, size) reaches both slots, each keeping the image it runs.
 *
 * @example
 * declare const env: MicroserviceEnvironment;
 * declare const zone: route53.IHostedZone;
 * declare const repository: ecr.IRepository;
 *
 * const canary = new CanaryDeployment(this, 'Users', {
 *   serviceProps: {
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
  /** The topic approval requests go to, with `enableApprovalBeforeLastStep`. */
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
  /** The name operators give the rollout command (`--canary`). */
  public readonly canaryName: string;
  /**
   * The SSM String parameter `/cdk-microservices/canaries/<canaryName>`: what the rollout
   * command needs (JSON: state machine ARN, table name, steps, durations, image repository).
   */
  public readonly operatorParameter: ssm.StringParameter;
  /**
   * The custom resource that reads, at deploy time, the image each slot runs and each slot's
   * weight, as the rollouts recorded them (`Custom::CanaryLiveState`).
   */
  public readonly liveState: CustomResource;

  private readonly extraAlarms: cloudwatch.IAlarm[] = [];

  constructor(scope: Construct, id: string, given: CanaryDeploymentProps) {
    super(scope, id);
    const { props, plan } = validateCanaryProps(this, given);
    const serviceProps = props.serviceProps;
    const env = serviceProps.environment;
    const stack = Stack.of(this);
    const serviceName = serviceProps.serviceName ?? words(id).join('-').toLowerCase();
    this.steps = props.steps ?? CanaryStep.standard();
    const zoneName = props.hostedZone.zoneName.replace(/\.$/, '');
    this.domainName = fullyQualified(props.recordName, zoneName);
    const https = props.certificate !== undefined || (props.allowPlainHttp !== true && env.certificate !== undefined);
    this.url = `${https || props.blueListener ? 'https' : 'http'}://${this.domainName}`;

    // The name operators give the rollout command. The default is valid whenever the stack and
    // service names are (letters, digits, '-'), but may be too long.
    this.canaryName = props.canaryName ?? `${stack.stackName}/${serviceName}`;
    const names = Problems.ofConstruction(CLASS, this);
    if (props.canaryName === undefined && known(this.canaryName)) {
      const problem = canaryNameProblem(this.canaryName);
      if (problem) names.add(`${problem.replace('`canaryName`', 'the default canary name (<stack name>/<service name>)')}; give \`canaryName\``);
    }
    const owner = canaryNameOwner(this, this.canaryName);
    if (owner !== undefined) {
      names.add(`\`canaryName\` ${show(this.canaryName)} is already the name of ${owner} in the same account and Region (one SSM parameter ${CANARY_PARAMETER_PREFIX}${this.canaryName}); give each canary its own \`canaryName\``);
    }
    names.throwIfAny();

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
    const records = { zone: props.hostedZone, domainName: this.domainName, ttl: props.recordTtl };
    this.blueRecord = createWeightedRecord(this, 'blue', blue.lb, 100, records);
    this.greenRecord = createWeightedRecord(this, 'green', green.lb, 0, records);

    // Alarms.
    for (const alarm of props.alarms ?? []) this.addAlarm(alarm);
    if (props.defaultAlarms ?? true) {
      this.blueAlarm = createSlotAlarms(this, 'Blue', this.blue, props);
      this.greenAlarm = createSlotAlarms(this, 'Green', this.green, props);
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

    if (props.enableApprovalBeforeLastStep) {
      this.approvalTopic = props.approvalTopic ?? new sns.Topic(this, 'ApprovalTopic', {
        // SNS display names hold at most 100 characters: a long path keeps its end.
        displayName: `Rollout approvals of ${shortAscii(this.node.path, 100 - 'Rollout approvals of '.length)}`,
        masterKey: env.encryptionKey,
        enforceSSL: true,
      });
    }

    // The rollout.
    this.plannedDuration = Duration.seconds(plan.plannedSeconds);
    this.maximumDuration = Duration.seconds(plan.maximumSeconds);
    this.rollbackReaction = Duration.seconds(plan.rollbackReactionSeconds);

    const scaleIn = (props.oldSlot ?? OldSlot.KEEP_WARM) === OldSlot.SCALE_IN;
    const containers = this.blue.taskDefinition.node.children.filter((c): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition);
    const definition = rolloutDefinition({
      tableName: this.table.tableName,
      hostedZoneId: props.hostedZone.hostedZoneId,
      blue: this.rolloutSlot('blue', this.blue, blue.lb, this.blueAlarm, props.recordTtl),
      green: this.rolloutSlot('green', this.green, green.lb, this.greenAlarm, props.recordTtl),
      cname: props.recordTtl !== undefined,
      plan,
      approvalTopicArn: this.approvalTopic?.topicArn,
      scaleInOldSlot: scaleIn,
      appContainerIndex: Math.max(0, containers.indexOf(this.blue.container)),
      ephemeralStorage: serviceProps.ephemeralStorageGiB !== undefined,
      label: this.node.path,
      eventSource: this.eventSource,
      imageRepositoryUri: props.imageRepository?.repositoryUri,
      resourceAttributesPrefix: this.blue.tracing ? resourceAttributesPrefix(environmentName(env)) : undefined,
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
    const resources: RolloutResources = {
      table: this.table,
      slots: [this.blue, this.green],
      hostedZoneId: props.hostedZone.hostedZoneId,
      domainName: this.domainName,
      cname: props.recordTtl !== undefined,
      alarms: () => [this.blueAlarm, this.greenAlarm, ...this.extraAlarms].filter((a): a is cloudwatch.IAlarm => a !== undefined),
      eventSource: this.eventSource,
      approvalTopic: this.approvalTopic,
      scaleIn,
    };
    grantRollout(this.stateMachine.role, resources);
    grantDescribeOwnExecutions(this.stateMachine);

    // What is live, read at deploy time: the slots' images and the records' weights.
    const live = new LiveState(this, 'LiveState', {
      environment: env,
      table: this.table,
      initialImage: this.blue.container.imageName,
      canaryName: this.canaryName,
      maximumRolloutSeconds: plan.timeoutSeconds,
      blue: { taskDefinition: this.blue.taskDefinition, container: this.blue.container, record: this.blueRecord },
      green: { taskDefinition: this.green.taskDefinition, container: this.green.container, record: this.greenRecord },
    });
    this.liveState = live.resource;
    // RELEASE_ID names the image each slot runs, as a rollout sets it.
    this.blue.container.addEnvironment('RELEASE_ID', live.image('blue'));
    this.green.container.addEnvironment('RELEASE_ID', live.image('green'));
    // And so does a traced slot's service.version (a release rewrites both).
    for (const [traced, name] of [[this.blue, 'blue'], [this.green, 'green']] as const) {
      if (traced.tracing) traced.container.addEnvironment(RESOURCE_ATTRIBUTES, resourceAttributes(environmentName(env), live.image(name)));
    }

    // What the rollout command reads (cli/): where the state machine and the table are, and the plan.
    this.operatorParameter = new ssm.StringParameter(this, 'OperatorParameter', {
      parameterName: `${CANARY_PARAMETER_PREFIX}${this.canaryName}`,
      description: `How to operate the rollouts of ${this.node.path} (npx cdk-microservices rollout ... --canary ${this.canaryName})`.slice(0, 1024),
      stringValue: stack.toJsonString({
        version: 1,
        canaryName: this.canaryName,
        label: this.node.path,
        stateMachineArn: this.stateMachine.stateMachineArn,
        tableName: this.table.tableName,
        steps: plan.steps.map((step) => ({ percent: step.percent, bakeSeconds: step.bakedSeconds, approvalBefore: step.approvalBefore })),
        plannedSeconds: plan.plannedSeconds,
        maximumSeconds: plan.maximumSeconds,
        alarmPollSeconds: plan.alarmPollSeconds,
        ...(props.imageRepository ? { imageRepositoryUri: props.imageRepository.repositoryUri } : {}),
      }),
    });

    recordCanaryName(this, this.canaryName);
    if (props.startOnPush) this.pushRule = createPushRule(this, this.stateMachine, props.imageRepository!, props.startOnPushTagPrefix);
    acknowledgeRolloutFindings(this.stateMachine, resources);
  }

  /**
   * Adds an alarm that rolls a rollout back when it is in ALARM during a step (for example a
   * message bus DLQ alarm). Adding the same alarm again is a no-op.
   */
  public addAlarm(alarm: cloudwatch.IAlarm): void {
    if (!alarm || typeof (alarm as { alarmName?: unknown }).alarmName !== 'string') {
      Problems.reject(CLASS, this, `\`addAlarm\` needs a cloudwatch.IAlarm; got ${show(alarm)}`);
    }
    if (this.extraAlarms.includes(alarm)) return;
    if (this.extraAlarms.length >= 90) {
      Problems.reject(CLASS, this, '`addAlarm`: at most 90 alarms can be added (a rollout reads them in one DescribeAlarms call of 100 names)');
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

  /**
   * The percentage of the traffic a slot gets, as the rollout sets it: the metric `Weight` of the
   * namespace `CdkMicroservices/Canary` with the dimensions `Canary` (this canary's construct
   * path) and `Slot`. The state machine publishes a data point for each slot after every weight
   * change: each step's weights, 0 for the new slot and 100 for the live one after a rollback,
   * 100 for the new slot and 0 for the old one at the promotion. Nothing is published between
   * rollouts, so a graph shows points only where weights changed.
   *
   * @param slot the slot's name, `blue` or `green`
   * @param options the statistic, period, label and other options of the metric
   * @default - statistic Maximum, period 5 minutes
   *
   * @example
   * declare const canary: CanaryDeployment;
   *
   * const greenWeight = canary.metricWeight('green', { period: Duration.minutes(1) });
   */
  public metricWeight(slot: string, options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    const slots = ['blue', 'green'];
    if (!slots.includes(slot)) {
      Problems.reject(CLASS, this, `\`metricWeight\`: the slot ${show(slot)} is not a slot of the canary; use 'blue' or 'green'`);
    }
    return this.rolloutMetric(ROLLOUT_METRICS.weight, { [ROLLOUT_METRICS.slotDimension]: slot }, options);
  }

  /**
   * The step whose weights are set: the metric `Step` of the namespace `CdkMicroservices/Canary`
   * with the dimension `Canary` (this canary's construct path). The state machine publishes the
   * step's number (1 to N, N the number of `steps`) after each step's weight change, 0 after a
   * rollback and N again at the promotion.
   *
   * @param options the statistic, period, label and other options of the metric
   * @default - statistic Maximum, period 5 minutes
   */
  public metricStep(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.rolloutMetric(ROLLOUT_METRICS.step, {}, options);
  }

  private rolloutMetric(metricName: string, dimensions: { [name: string]: string }, options: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName,
      statistic: cloudwatch.Stats.MAXIMUM,
      ...options,
      // The dimensions the state machine publishes with, whatever the options say.
      dimensionsMap: { ...options.dimensionsMap, [ROLLOUT_METRICS.canaryDimension]: canaryDimensionValue(this.node.path), ...dimensions },
    });
  }

  /**
   * Defines an EventBridge rule that fires when a rollout of this canary succeeds: every step
   * passed and the new slot is live. The rule matches the event the state machine emits then:
   * source `eventSource`, detail type `Canary Rollout SUCCEEDED`, and in the detail this
   * canary (`service`, its construct path) and `status` `SUCCEEDED`. The detail also holds
   * `rolloutId`, `image`, `reason` (`PROMOTED`), `percent` (`100`), `liveSlot` (the new slot)
   * and `execution` (the execution ARN). `options.eventPattern` narrows the rule further.
   *
   * @param id the construct id of the rule, under this canary
   * @param options the rule's target, name, description and any further pattern
   *
   * @example
   * declare const canary: CanaryDeployment;
   * declare const releaseNotes: events.IRuleTarget;
   *
   * canary.onRolloutSucceeded('Released', { target: releaseNotes });
   */
  public onRolloutSucceeded(id: string, options: events.OnEventOptions = {}): events.Rule {
    return this.onRolloutEnded(id, ROLLOUT_STATUS.succeeded, options);
  }

  /**
   * Defines an EventBridge rule that fires when a rollout of this canary is rolled back: the
   * new slot had traffic and all of it went back to the live slot (an alarm fired, the last
   * step was refused or not approved in time, Route 53 did not sync, or a call of a step
   * failed). The rule matches the event the state machine emits then: source `eventSource`,
   * detail type `Canary Rollout ROLLED_BACK`, and in the detail this canary (`service`) and
   * `status` `ROLLED_BACK`; `reason` says why (`ALARM`, `ABORTED`, `APPROVAL_TIMED_OUT`,
   * `DNS_NOT_IN_SYNC`, `STEP_FAILED`) and `percent` at which step.
   *
   * @param id the construct id of the rule, under this canary
   * @param options the rule's target, name, description and any further pattern
   *
   * @example
   * declare const canary: CanaryDeployment;
   * declare const pager: events.IRuleTarget;
   *
   * canary.onRolloutRolledBack('RolledBack', {
   *   target: pager,
   *   description: 'Pages the team when a canary rolls back',
   * });
   */
  public onRolloutRolledBack(id: string, options: events.OnEventOptions = {}): events.Rule {
    return this.onRolloutEnded(id, ROLLOUT_STATUS.rolledBack, options);
  }

  /**
   * Defines an EventBridge rule that fires when a rollout of this canary fails before any
   * traffic moved: the release could not be registered or deployed to the idle slot
   * (`reason` `RELEASE_FAILED`), or the idle slot did not become healthy in time
   * (`IDLE_SLOT_UNHEALTHY`). The rule matches the event the state machine emits then: source
   * `eventSource`, detail type `Canary Rollout FAILED`, and in the detail this canary
   * (`service`) and `status` `FAILED`. Refused starts (invalid input, a rollout in progress)
   * and a failed rollback end the execution without an event: watch `metricRolloutsFailed()`.
   *
   * @param id the construct id of the rule, under this canary
   * @param options the rule's target, name, description and any further pattern
   *
   * @example
   * declare const canary: CanaryDeployment;
   * declare const pager: events.IRuleTarget;
   *
   * canary.onRolloutFailed('Failed', { target: pager });
   */
  public onRolloutFailed(id: string, options: events.OnEventOptions = {}): events.Rule {
    return this.onRolloutEnded(id, ROLLOUT_STATUS.failed, options);
  }

  private onRolloutEnded(id: string, status: string, options: events.OnEventOptions): events.Rule {
    const rule = new events.Rule(this, id, options);
    rule.addEventPattern(outcomeEventPattern(this.eventSource, this.node.path, status));
    rule.addTarget(options.target);
    return rule;
  }

  private rolloutSlot(name: 'blue' | 'green', service: TwelveFactorService, loadBalancer: elbv2.IApplicationLoadBalancer,
    composite: cloudwatch.IAlarm | undefined, recordTtl: Duration | undefined): RolloutSlot {
    return rolloutSlot({
      name,
      service,
      loadBalancer,
      recordTtl,
      cluster: service.environment.cluster,
      domainName: this.domainName,
      alarms: () => [...(composite ? [composite] : []), ...this.extraAlarms],
    });
  }

}
