import {
  Annotations,
  Duration,
  AspectPriority,
  Aspects,
  IAspect,
  Lazy,
  Size,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_logs as logs,
  aws_route53 as route53,
  aws_route53_targets as route53targets,
  aws_servicediscovery as servicediscovery,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AdminTask, AdminTaskOptions, adminTaskProblems } from './admin-task';
import { BackingService, BackingServiceBinding } from './backing-service';
import {
  claimRoute, configProblems, ENV_VAR_NAME, fargateSizeProblem, healthCheckProblems, isRootUser, RouteClaim, routeClaim, routeTakenBy, userProblem,
} from './rules';
import { ITwelveFactorService } from './service-interface';
import {
  applyDiscoveryAttributes,
  cloudMapOptions,
  Discovery,
  discoveryAttributeProblems,
  SERVICE_CONNECT_SUFFIX,
  serviceConnectConfiguration,
} from '../discovery/discovery';
import { IMicroserviceEnvironment } from '../environment/environment-interface';
import { createLogGroup, isMicroserviceEnvironment } from '../environment/environment-support';
import { listenerPrioritiesOf, serviceNamesOf } from '../environment/registries';
import { acknowledge, nistAndHipaa, suppressGuard } from '../private/acknowledge';
import { words } from '../private/naming';
import {
  checkInt, checkKinds, checkSeconds, enumProblem, Kind, known, logRetentionProblem, MicroservicesValidationError, Problems, show,
} from '../private/validation';

const CLASS = 'TwelveFactorService';
const CONTAINER_NAME = 'app';
const SCRATCH_VOLUME = 'scratch';
const SCRATCH_INIT_CONTAINER = 'scratch-init';
const SCRATCH_INIT_MEMORY_MIB = 32;
const PORT_NAME = 'http';

/**
 * Properties of a `TwelveFactorService`.
 */
export interface TwelveFactorServiceProps {
  /** The environment the service runs in (VPC, cluster, namespace, load balancer). */
  readonly environment: IMicroserviceEnvironment;

  /** The image (twelve-factor I: one codebase, one image); it carries the dependencies (II). */
  readonly image: ecs.ContainerImage;

  /**
   * The service's name: its Cloud Map name (`<serviceName>.<namespace>`), log stream prefix
   * and metric dimension. Lower case letters, digits and hyphens.
   *
   * @default - the construct id in lower case with hyphens (`UsersApi` gives `users-api`)
   */
  readonly serviceName?: string;

  /**
   * The port the app listens on (VII port binding). Leave it out for a worker.
   *
   * @default - no port: a worker that takes no inbound connections
   */
  readonly port?: number;

  /**
   * Route requests with this host name from the environment's shared load balancer. With
   * the environment's `hostedZone`, an alias record is created for it.
   *
   * @default - not routed by host name
   */
  readonly hostName?: string;

  /**
   * Route requests whose path matches these patterns (at most 5, for example `/users/*`)
   * from the environment's shared load balancer.
   *
   * @default - not routed by path
   */
  readonly pathPatterns?: string[];

  /**
   * The priority of the service's listener rule (1 to 50000, unique per listener; lower
   * wins).
   *
   * @default - on the shared load balancer, the next free priority in the order services are
   * created; required with `listener` and `hostName` or `pathPatterns`
   */
  readonly routePriority?: number;

  /**
   * Route requests to the service from this listener instead of the environment's shared
   * load balancer: with `hostName` or `pathPatterns` through a listener rule (give
   * `routePriority`), otherwise as the listener's default action (only for a listener
   * created in this app, which must have no default action yet). The service's security
   * group admits the listener's load balancer on `port`. No DNS record is created for
   * `hostName`.
   *
   * @default - the environment's shared load balancer, when `hostName` or `pathPatterns` is set
   */
  readonly listener?: elbv2.IApplicationListener;

  /**
   * The path the load balancer checks. Only for a service routed by the load balancer.
   *
   * @default '/'
   */
  readonly healthCheckPath?: string;

  /**
   * How long ECS ignores failing load balancer health checks after a task starts (IX).
   *
   * @default Duration.seconds(60) for a routed service
   */
  readonly healthCheckGracePeriod?: Duration;

  /**
   * A container health check (IX). ECS replaces a task whose check fails.
   *
   * @default - none
   */
  readonly containerHealthCheck?: ecs.HealthCheck;

  /**
   * Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384, with a matching memory size.
   *
   * @default - from the environment's stage profile (512 in production, 256 in development)
   */
  readonly cpu?: number;

  /**
   * Task memory in MiB, valid for the CPU size.
   *
   * @default - from the environment's stage profile (1024 in production, 512 in development)
   */
  readonly memoryMiB?: number;

  /**
   * The CPU architecture of the image.
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;

  /**
   * Plain configuration (III), injected as environment variables. Names that look secret
   * (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY...) and values that look like credentials
   * are refused: put them in `secrets`, or list the name in `allowPlainConfig`.
   *
   * @default - none
   */
  readonly config?: { [name: string]: string };

  /**
   * Names in `config` that look secret but are not (for example `TOKEN_ENDPOINT`).
   *
   * @default - none
   */
  readonly allowPlainConfig?: string[];

  /**
   * Secret configuration (III) from Secrets Manager or SSM Parameter Store, resolved by ECS
   * at task start; the execution role is granted read on each.
   *
   * @default - none
   */
  readonly secrets?: { [name: string]: ecs.Secret };

  /**
   * Environment files in S3 (III).
   *
   * @default - none
   */
  readonly environmentFiles?: ecs.EnvironmentFile[];

  /**
   * A read-only root file system (II, VI). Keep it and ask for `scratchVolumePath` where the
   * app must write.
   *
   * @default true
   */
  readonly readonlyRootFilesystem?: boolean;

  /**
   * An absolute path in the container where an ephemeral, task-local writable volume is
   * mounted (for example `/tmp`). Its contents are lost when the task stops (VI).
   *
   * On Fargate the volume is a bind mount that ECS creates owned by root with mode 0755,
   * unless the image declares a `VOLUME` at that same path, whose owner and mode it then
   * keeps. A non-root `user` could not write it, so with a non-root `user` (and
   * `prepareScratchVolume`, on by default) a non-essential `scratch-init` container of the
   * same image runs first, as root, `chmod 1777 <path>` (world-writable with the sticky bit,
   * like `/tmp`), and the app container starts only once it has exited with 0 (dependency
   * condition SUCCESS). The image must then have a `chmod` program on its `PATH` (coreutils
   * or busybox; distroless images have none) and the task needs no other image, so it also
   * works without a NAT gateway. For an image without `chmod`, declare the volume in the
   * image instead (`RUN mkdir -p /scratch && chown 1000:1000 /scratch` then
   * `VOLUME ["/scratch"]`) and set `prepareScratchVolume: false`.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html
   * @default - no writable volume
   */
  readonly scratchVolumePath?: string;

  /**
   * Whether a non-essential init container of the same image, run as root, makes the
   * scratch volume writable (`chmod 1777`) for a non-root `user` before the app starts (see
   * `scratchVolumePath`). It runs as root: AWS Control Tower's CT.ECS.PR.3 (every container
   * of a task definition names a non-root user) is suppressed on the task definition with the
   * reason, but an account enforcing CT.ECS.PR.3 as a proactive control (CloudFormation hook)
   * refuses the task definition: there, set false and declare the `VOLUME` in the image.
   * Only with `scratchVolumePath` and a non-root `user`.
   *
   * @default true with `scratchVolumePath` and a non-root `user`
   */
  readonly prepareScratchVolume?: boolean;

  /**
   * Ephemeral storage of the task in GiB (21 to 200).
   *
   * @default - 20 GiB, Fargate's default
   */
  readonly ephemeralStorageGiB?: number;

  /**
   * A release identifier injected as `RELEASE_ID` (V). Not empty. A canary rollout
   * (CanaryDeployment) sets RELEASE_ID of the released task definition to the released image.
   *
   * @default - the image reference (for an asset image, its content hash)
   */
  readonly releaseId?: string;

  /**
   * The deployment circuit breaker with rollback (V).
   *
   * @default true
   */
  readonly circuitBreaker?: boolean;

  /**
   * Alarms that roll a deployment back (V).
   *
   * @default - the service's error-log alarm (`errorAlarm`)
   */
  readonly deploymentAlarms?: cloudwatch.IAlarm[];

  /**
   * ECS's built-in deployment strategy. BLUE_GREEN, LINEAR and CANARY need a service routed
   * by the shared load balancer: a second target group is created for the new revision.
   *
   * @default ecs.DeploymentStrategy.ROLLING
   */
  readonly deploymentStrategy?: ecs.DeploymentStrategy;

  /**
   * How long the new revision bakes after all traffic has shifted, before the old one is
   * stopped (BLUE_GREEN, LINEAR, CANARY).
   *
   * @default - ECS's default
   */
  readonly deploymentBakeTime?: Duration;

  /**
   * The percentage of traffic each step shifts (LINEAR: 3 to 100) or the canary takes
   * first (CANARY: 0.1 to 100), in multiples of 0.1.
   *
   * @default - 10 for LINEAR, 5 for CANARY
   */
  readonly trafficShiftPercent?: number;

  /**
   * How long each traffic step bakes (LINEAR, CANARY), 0 to 1440 minutes.
   *
   * @default - 6 minutes for LINEAR, 10 minutes for CANARY
   */
  readonly trafficShiftBakeTime?: Duration;

  /**
   * The fewest tasks (VIII). 0 lets a worker scale to zero.
   *
   * @default - from the stage profile (2 in production, 1 in development)
   */
  readonly minTasks?: number;

  /**
   * The most tasks (VIII). Scaling policies are created only when it exceeds `minTasks`.
   *
   * @default - from the stage profile (10 in production, 2 in development), at least `minTasks`
   */
  readonly maxTasks?: number;

  /**
   * The task count at the first deployment, between `minTasks` and `maxTasks`.
   *
   * @default - `minTasks`
   */
  readonly desiredTasks?: number;

  /**
   * Target tracking on average CPU utilization, in percent (1 to 100). 0 turns it off.
   *
   * @default 70
   */
  readonly cpuTargetPercent?: number;

  /**
   * Target tracking on average memory utilization, in percent (1 to 100).
   *
   * @default - no memory scaling
   */
  readonly memoryTargetPercent?: number;

  /**
   * Target tracking on load balancer requests per task per minute. Only for a service
   * routed by the shared load balancer.
   *
   * @default - no request scaling
   */
  readonly requestsPerTarget?: number;

  /**
   * Relative weight of Fargate Spot capacity (VIII). With 0 every task is on demand.
   *
   * @default 0
   */
  readonly spotWeight?: number;

  /**
   * Relative weight of on-demand Fargate capacity, with `spotWeight`.
   *
   * @default 1
   */
  readonly onDemandWeight?: number;

  /**
   * How many tasks always run on demand, before weights apply.
   *
   * @default - 1 when `spotWeight` is set, else none
   */
  readonly onDemandBase?: number;

  /**
   * Run an init process as PID 1 so SIGTERM reaches the app and zombies are reaped (IX).
   *
   * @default true
   */
  readonly initProcessEnabled?: boolean;

  /**
   * How long ECS waits after SIGTERM before SIGKILL (IX), 2 to 120 seconds.
   *
   * @default Duration.seconds(30)
   */
  readonly stopTimeout?: Duration;

  /**
   * The user (and group) the container runs as: `user`, `user:group`, `uid` or `uid:gid`,
   * for example `1000:1000`. Not empty. Root (`root` or `0`, with any group) is accepted with
   * a warning.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
   * @default - the image's user
   */
  readonly user?: string;

  /**
   * Log retention of the service's log group (XI).
   *
   * @default - the environment's log retention
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * The text that marks an error line in the logs, counted by a metric filter (XI).
   *
   * @default 'ERROR'
   */
  readonly errorLogPattern?: string;

  /**
   * How many error lines in one minute raise the error alarm. 0 creates no alarm.
   *
   * @default 10
   */
  readonly errorAlarmThreshold?: number;

  /**
   * How other services find this one.
   *
   * @default Discovery.CLOUD_MAP
   */
  readonly discovery?: Discovery;

  /**
   * Custom attributes on the service's Cloud Map entry (the DNS registration's Cloud Map
   * service `<serviceName>`), for API discovery (at most 30).
   *
   * @default - none
   */
  readonly discoveryAttributes?: { [key: string]: string };

  /**
   * Whether the tasks may open any outbound connection. With false, open what they need
   * through `connections`.
   *
   * @default true
   */
  readonly allowAllOutbound?: boolean;
}

/**
 * One Fargate service built along the twelve factors: one image, config and secrets as
 * environment, attached backing services, immutable releases with circuit breaker and alarm
 * rollback, port binding through the environment's load balancer, scaling, disposability,
 * stage profiles, logs with retention and an error metric, and admin tasks.
 *
 * @example
 * declare const env: MicroserviceEnvironment;
 * declare const table: dynamodb.ITable;
 * const users = new TwelveFactorService(this, 'Users', {
 *   environment: env,
 *   image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable'),
 *   port: 8080,
 *   hostName: 'users.example.com',
 *   config: { LOG_LEVEL: 'info' },
 * });
 * users.attach(BackingService.dynamoDbTable(table, { access: Access.READ_WRITE }));
 * users.addAdminTask('migrate', { command: ['node', 'migrate.js'] });
 */
export class TwelveFactorService extends Construct implements ITwelveFactorService {
  /** The environment the service runs in. */
  public readonly environment: IMicroserviceEnvironment;
  /** The task role, as the principal grants go to. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The ECS service. */
  public readonly service: ecs.FargateService;
  /** The task definition. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The app container. */
  public readonly container: ecs.ContainerDefinition;
  /** The task role: what the app may do. */
  public readonly taskRole: iam.IRole;
  /** The execution role: what ECS may do to start the task (pull, logs, secrets). */
  public readonly executionRole: iam.IRole;
  /** The log group (XI). */
  public readonly logGroup: logs.ILogGroup;
  /** The security group of the tasks. */
  public readonly securityGroup: ec2.ISecurityGroup;
  /** Network access of the tasks. */
  public readonly connections: ec2.Connections;
  /** The service's name. */
  public readonly serviceName: string;
  /**
   * The DNS name other services use: `<serviceName>.<namespace>`. It resolves in every task
   * of the VPC; with `Discovery.SERVICE_CONNECT` the environment's other Service Connect
   * services reach it through their proxy (see `Discovery.SERVICE_CONNECT`).
   */
  public readonly discoveryName: string;
  /** The Cloud Map service of the DNS registration (`<serviceName>`). */
  public readonly cloudMapService?: servicediscovery.IService;
  /** The port, when the service listens on one. */
  public readonly port?: number;
  /** The target group, when the service is routed by a load balancer. */
  public readonly targetGroup?: elbv2.ApplicationTargetGroup;
  /** The second target group of BLUE_GREEN, LINEAR and CANARY deployments. */
  public readonly alternateTargetGroup?: elbv2.ApplicationTargetGroup;
  /** The listener rule, when the service is routed by a listener rule. */
  public readonly listenerRule?: elbv2.ApplicationListenerRule;
  /** The URL clients use, when the service has a host name. */
  public readonly url?: string;
  /** The alarm on error log lines, unless turned off. */
  public readonly errorAlarm?: cloudwatch.Alarm;
  /** The scalable task count, when `maxTasks` exceeds `minTasks`. */
  public readonly scaling?: ecs.ScalableTaskCount;
  /** The fewest tasks. */
  public readonly minTasks: number;
  /** The most tasks. */
  public readonly maxTasks: number;
  /** The CPU architecture of the image. */
  public readonly cpuArchitecture: ecs.CpuArchitecture;

  /**
   * How long ECS waits after SIGTERM before it kills the app container: a message a worker
   * holds must stay invisible at least this long.
   */
  public readonly stopTimeout: Duration;

  private readonly environmentVariables: { [name: string]: string } = {};
  private readonly secretVariables: { [name: string]: ecs.Secret } = {};
  private readonly attached = new Map<string, { backing: BackingService; binding: BackingServiceBinding }>();
  private readonly adminTasks = new Map<string, AdminTask>();
  private readonly containers: ecs.ContainerDefinition[] = [];
  private readonly errorMetricName: string;
  private readonly errorMetricNamespace: string;
  private readonly props: TwelveFactorServiceProps;
  private readonly deploymentAlarmNames = new Set<string>();
  private supportLogs?: logs.ILogGroup;

  constructor(scope: Construct, id: string, given: TwelveFactorServiceProps) {
    super(scope, id);
    const checked = this.validateKinds(given);
    const props = checked.props;
    this.props = props;
    const env = props.environment;
    this.environment = env;
    const defaults = env.stageDefaults;
    this.serviceName = props.serviceName ?? defaultServiceName(id);
    this.minTasks = props.minTasks ?? defaults.minTasks;
    this.maxTasks = props.maxTasks ?? Math.max(defaults.maxTasks, known(this.minTasks) ? this.minTasks : 0);
    const cpu = props.cpu ?? defaults.cpu;
    const memoryMiB = props.memoryMiB ?? (props.cpu === undefined ? defaults.memoryMiB : cpu * 2);
    this.validate(checked.p, props, cpu, memoryMiB);
    const route = this.listenerRoute(props);
    if (route) claimRoute(route.listener, route.claim);

    this.port = props.port;
    this.stopTimeout = props.stopTimeout ?? Duration.seconds(30);
    this.cpuArchitecture = props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64;
    this.discoveryName = `${this.serviceName}.${env.namespaceName}`;
    const routed = props.hostName !== undefined || props.pathPatterns !== undefined || props.listener !== undefined;

    // Task definition: immutable revisions (V), read-only root (II), ephemeral storage (VI).
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu,
      memoryLimitMiB: memoryMiB,
      ephemeralStorageGiB: props.ephemeralStorageGiB,
      runtimePlatform: {
        cpuArchitecture: this.cpuArchitecture,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.taskRole = this.taskDefinition.taskRole;
    this.grantPrincipal = this.taskRole;
    this.executionRole = this.taskDefinition.obtainExecutionRole();
    this.logGroup = createLogGroup(env, this, 'Logs', props.logRetention);

    for (const [name, value] of Object.entries(props.config ?? {})) this.environmentVariables[name] = value;
    for (const [name, value] of Object.entries(props.secrets ?? {})) this.secretVariables[name] = value;

    this.container = this.addAppContainer(this.taskDefinition, this.serviceName, props, this.logGroup);
    if (props.port !== undefined) {
      this.container.addPortMappings({ containerPort: props.port, name: PORT_NAME, protocol: ecs.Protocol.TCP });
    }
    this.container.addEnvironment('RELEASE_ID', props.releaseId ?? this.container.imageName);

    // Security group and service.
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: env.vpc,
      description: `Tasks of ${this.node.path}`,
      allowAllOutbound: props.allowAllOutbound ?? true,
    });

    // Service names are unique only within an environment, and a metric filter can set no
    // constant dimension (a dimension's value is a field of the log event), so the metric
    // lives in a namespace of the environment. The filter applies to every stream of the
    // group: the group holds only the app container's streams (admin tasks, the Service
    // Connect proxy and the scratch volume's init container log to `supportLogGroup`).
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-logs-metricfilter-dimension.html
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntaxForMetricFilters.html
    this.errorMetricName = `${this.serviceName}-errors`;
    this.errorMetricNamespace = errorMetricNamespace(env);
    new logs.MetricFilter(this, 'ErrorMetricFilter', {
      logGroup: this.logGroup,
      filterPattern: logs.FilterPattern.anyTerm(props.errorLogPattern ?? 'ERROR'),
      metricNamespace: this.errorMetricNamespace,
      metricName: this.errorMetricName,
      metricValue: '1',
      defaultValue: 0,
    });
    const threshold = props.errorAlarmThreshold ?? 10;
    if (threshold > 0 || !known(threshold)) {
      this.errorAlarm = new cloudwatch.Alarm(this, 'ErrorAlarm', {
        alarmDescription: `More than ${threshold} error log lines a minute in ${this.node.path}`,
        metric: this.metricErrors(),
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      this.errorAlarm.addAlarmAction(new cloudwatchActions.SnsAction(env.alarmTopic));
    }
    const deploymentAlarms = props.deploymentAlarms ?? (this.errorAlarm ? [this.errorAlarm] : []);
    for (const alarm of deploymentAlarms) this.deploymentAlarmNames.add(alarm.alarmName);
    const strategy = props.deploymentStrategy ?? ecs.DeploymentStrategy.ROLLING;
    const discovery = props.discovery ?? Discovery.CLOUD_MAP;
    const spotWeight = props.spotWeight ?? 0;

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: env.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredTasks ?? this.minTasks,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      vpcSubnets: env.serviceSubnets,
      securityGroups: [this.securityGroup],
      assignPublicIp: false,
      circuitBreaker: (props.circuitBreaker ?? true) ? { enable: true, rollback: true } : undefined,
      deploymentStrategy: props.deploymentStrategy,
      bakeTime: props.deploymentBakeTime,
      linearConfiguration: strategy === ecs.DeploymentStrategy.LINEAR
        ? { stepPercent: props.trafficShiftPercent, stepBakeTime: props.trafficShiftBakeTime } : undefined,
      canaryConfiguration: strategy === ecs.DeploymentStrategy.CANARY
        ? { stepPercent: props.trafficShiftPercent, stepBakeTime: props.trafficShiftBakeTime } : undefined,
      healthCheckGracePeriod: routed ? (props.healthCheckGracePeriod ?? Duration.seconds(60)) : undefined,
      capacityProviderStrategies: spotWeight > 0 || !known(spotWeight) ? [
        { capacityProvider: 'FARGATE', weight: props.onDemandWeight ?? 1, base: props.onDemandBase ?? 1 },
        { capacityProvider: 'FARGATE_SPOT', weight: spotWeight },
      ] : undefined,
      // Both kinds register the DNS name; Service Connect adds its proxy for the clients that
      // have one (see Discovery.SERVICE_CONNECT).
      cloudMapOptions: cloudMapOptions(env.namespace, this.serviceName),
      serviceConnectConfiguration: discovery === Discovery.SERVICE_CONNECT
        ? serviceConnectConfiguration(env.namespace, this.serviceName, props.port, PORT_NAME,
          ecs.LogDrivers.awsLogs({ streamPrefix: `${this.serviceName}-service-connect`, logGroup: this.obtainSupportLogGroup() }))
        : undefined,
      enableExecuteCommand: false,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
    this.connections = this.service.connections;
    if (spotWeight > 0 || !known(spotWeight)) dependOnCapacityProviders(this.service);
    // Deployment alarms render from a list `addDeploymentAlarm` grows (the L2's
    // enableDeploymentAlarms drops every call after the first: it concats without assigning).
    (this.service.node.defaultChild as ecs.CfnService).addPropertyOverride('DeploymentConfiguration.Alarms', Lazy.any({
      produce: () => this.deploymentAlarmNames.size > 0
        ? { AlarmNames: [...this.deploymentAlarmNames], Enable: true, Rollback: true }
        : undefined,
    }));
    if (env.endpointSecurityGroup) {
      env.endpointSecurityGroup.connections.allowFrom(this.securityGroup, ec2.Port.tcp(443), `HTTPS from ${this.node.path}`);
    }
    if (props.user === undefined) {
      Annotations.of(this).addWarningV2('cdk-microservices:rootUser',
        'The container runs as the image\'s user, which may be root: set `user` to a non-root user (AWS Control Tower CT.ECS.PR.3, AWS Config ecs-task-definition-nonroot-user).');
    } else if (isRootUser(props.user)) {
      Annotations.of(this).addWarningV2('cdk-microservices:rootUser',
        `The container runs as root (\`user\` '${props.user}'): set \`user\` to a non-root user such as '1000:1000' (AWS Control Tower CT.ECS.PR.3, AWS Config ecs-task-definition-nonroot-user).`);
    }
    this.cloudMapService = this.service.cloudMapService;
    applyDiscoveryAttributes(this.service.cloudMapService, props.discoveryAttributes ?? {});

    if (routed) {
      const routing = this.route(props, strategy);
      this.targetGroup = routing.targetGroup;
      this.alternateTargetGroup = routing.alternateTargetGroup;
      this.listenerRule = routing.listenerRule;
      this.url = routing.url;
    }

    if (this.maxTasks > this.minTasks || !known(this.maxTasks) || !known(this.minTasks)) {
      this.scaling = this.configureScaling(props);
    }

    this.acknowledgeFindings();
  }

  /**
   * Attaches a backing service (IV): grants access, injects its environment variables into
   * the service and its admin tasks, and opens the network where needed. Attaching the same
   * resource again with the same access is a no-op.
   */
  public attach(backing: BackingService): void {
    if (!(backing instanceof BackingService)) {
      throw new MicroservicesValidationError(CLASS, this, [`\`attach\` needs a BackingService (for example BackingService.dynamoDbTable(table)); got ${show(backing)}`]);
    }
    if (!Construct.isConstruct(backing.resource)) {
      throw new MicroservicesValidationError(CLASS, this, [`\`attach\` got a BackingService of ${show(backing.resource)}; pass the resource to attach, for example BackingService.dynamoDbTable(table)`]);
    }
    const key = backing.resource.node.path;
    const existing = this.attached.get(key);
    if (existing) {
      const problems: string[] = [];
      if (existing.backing.access !== backing.access) {
        problems.push(`\`access\` ${backing.access} differs from the ${existing.backing.access} access ${key} is already attached with; attach it once, with the access the service needs`);
      }
      if (existing.backing.envVarPrefix !== backing.envVarPrefix) {
        problems.push(`\`envVarPrefix\` ${show(backing.envVarPrefix)} differs from the ${show(existing.backing.envVarPrefix)} ${key} is already attached with; attach it once`);
      }
      if (problems.length > 0) throw new MicroservicesValidationError(CLASS, this, problems);
      return;
    }
    const binding = backing.bind(this);
    for (const [name, value] of Object.entries(binding.environment)) this.addVariable(name, value, key);
    for (const [name, value] of Object.entries(binding.secrets ?? {})) this.addSecretVariable(name, value, key);
    this.attached.set(key, { backing, binding });
  }

  /**
   * Adds a plain environment variable to the app and its admin tasks. Secret-looking names
   * and values are refused as in `config`.
   */
  public addEnvironment(name: string, value: string): void {
    const problems = configProblems({ [name]: value }, this.props.allowPlainConfig ?? []);
    if (problems.length > 0) throw new MicroservicesValidationError(CLASS, this, problems);
    this.addVariable(name, value, 'addEnvironment');
  }

  /** Adds a secret environment variable to the app and its admin tasks. */
  public addSecret(name: string, secret: ecs.Secret): void {
    this.addSecretVariable(name, secret, 'addSecret');
  }

  /**
   * Adds an alarm that rolls an ECS deployment of this service back when it goes off, next to
   * the `deploymentAlarms` given at construction (for example a subscription's alarms).
   * Adding the same alarm again is a no-op.
   */
  public addDeploymentAlarm(alarm: cloudwatch.IAlarm): void {
    if (!alarm || typeof alarm.alarmName !== 'string') {
      throw new MicroservicesValidationError(CLASS, this, [`\`addDeploymentAlarm\` needs a cloudwatch.IAlarm; got ${show(alarm)}`]);
    }
    if (this.deploymentAlarmNames.has(alarm.alarmName)) return;
    this.deploymentAlarmNames.add(alarm.alarmName);
  }

  /**
   * Sets an environment variable on the app and its admin tasks for an integration (a
   * topic's ARN, a queue's URL); `source` names it in errors.
   * @internal
   */
  public _addVariable(name: string, value: string, source: string): void {
    this.addVariable(name, value, source);
  }

  /**
   * Lets another service (or any connectable) open connections to this service's port.
   */
  public allowFrom(other: ec2.IConnectable): void {
    if (this.port === undefined) {
      throw new MicroservicesValidationError(CLASS, this, [
        `\`allowFrom\` needs a \`port\`: ${this.node.path} is a worker that takes no connections`,
      ]);
    }
    this.connections.allowFrom(other, ec2.Port.tcp(this.port), `from ${other instanceof Construct ? other.node.path : 'peer'}`);
  }

  /**
   * Adds an admin process (XII): a task with the same image, config, secrets, role and
   * network as the service, run once by hand (`aws ecs run-task`) or on a schedule. It
   * reaches the environment's services by their `discoveryName` through DNS (it is no
   * Service Connect client: ECS runs the proxy only in tasks its services create). Its logs
   * go to `supportLogGroup`.
   */
  public addAdminTask(name: string, options: AdminTaskOptions): AdminTask {
    const problems = adminTaskProblems({ ...options, name, service: this });
    if (problems.length > 0) throw new MicroservicesValidationError('AdminTask', this, problems);
    if (this.adminTasks.has(name)) {
      throw new MicroservicesValidationError('AdminTask', this, [`\`name\` '${name}' is already used by another admin task of this service; give each admin task its own name`]);
    }
    const task = new AdminTask(this, `Admin-${name}`, { ...options, name, service: this });
    this.adminTasks.set(name, task);
    return task;
  }

  /**
   * Creates an app container on a task definition with the service's image, config,
   * secrets and logging. Used for the service and its admin tasks.
   * @internal
   */
  public _addAppContainer(taskDefinition: ecs.FargateTaskDefinition, streamPrefix: string, command?: string[]): ecs.ContainerDefinition {
    // Admin task logs go to the support log group: the service's error metric counts only
    // the service's own app container (see `supportLogGroup`).
    const container = this.addAppContainer(taskDefinition, streamPrefix, this.props, this.obtainSupportLogGroup(), command);
    container.addEnvironment('RELEASE_ID', this.props.releaseId ?? container.imageName);
    return container;
  }

  /** The backing services attached, with what each injects. */
  public get attachments(): BackingServiceBinding[] {
    return [...this.attached.values()].map((a) => a.binding);
  }

  /**
   * The log group of what is not the service's app container: admin tasks, the Service
   * Connect proxy and the scratch volume's init container. Undefined until one of them is
   * added. The error metric (`metricErrors`) counts only `logGroup`, the app container's.
   */
  public get supportLogGroup(): logs.ILogGroup | undefined {
    return this.supportLogs;
  }

  /** The admin tasks added. */
  public get adminTaskNames(): string[] {
    return [...this.adminTasks.keys()];
  }

  /** Error log lines per minute (XI). */
  public metricErrors(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.errorMetricNamespace,
      metricName: this.errorMetricName,
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(1),
      ...options,
    });
  }

  /** Average CPU utilization of the service. */
  public metricCpuUtilization(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.service.metricCpuUtilization(options);
  }

  /** Average memory utilization of the service. */
  public metricMemoryUtilization(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return this.service.metricMemoryUtilization(options);
  }

  /**
   * Running tasks of the service: Container Insights' `RunningTaskCount` (the environment's
   * cluster has Container Insights on), average over one minute.
   * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
   */
  public metricRunningTaskCount(options: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: this.environment.cluster.clusterName, ServiceName: this.service.serviceName },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
      ...options,
    });
  }

  private addAppContainer(
    taskDefinition: ecs.FargateTaskDefinition,
    streamPrefix: string,
    props: TwelveFactorServiceProps,
    logGroup: logs.ILogGroup,
    command?: string[],
  ): ecs.ContainerDefinition {
    const readonlyRoot = props.readonlyRootFilesystem ?? true;
    const container = taskDefinition.addContainer(CONTAINER_NAME, {
      image: props.image,
      command,
      essential: true,
      // With the scratch volume's init container, the two hard limits add up to the task's
      // memory, as the app's alone does without it.
      memoryLimitMiB: this.preparesScratchVolume(props) ? taskDefinition.memoryMiB - SCRATCH_INIT_MEMORY_MIB : taskDefinition.memoryMiB,
      readonlyRootFilesystem: readonlyRoot,
      privileged: false,
      user: props.user,
      environment: { ...this.environmentVariables },
      secrets: { ...this.secretVariables },
      environmentFiles: props.environmentFiles,
      healthCheck: command ? undefined : props.containerHealthCheck,
      stopTimeout: this.stopTimeout,
      linuxParameters: new ecs.LinuxParameters(this, `LinuxParameters${this.containers.length || ''}`, {
        initProcessEnabled: props.initProcessEnabled ?? true,
      }),
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix,
        logGroup,
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
    if (props.scratchVolumePath !== undefined) {
      taskDefinition.addVolume({ name: SCRATCH_VOLUME });
      container.addMountPoints({ containerPath: props.scratchVolumePath, sourceVolume: SCRATCH_VOLUME, readOnly: false });
      if (this.preparesScratchVolume(props)) this.addScratchInit(taskDefinition, container, streamPrefix, props.scratchVolumePath, props);
    }
    this.containers.push(container);
    return container;
  }

  /**
   * Whether a `scratch-init` container makes the scratch volume writable: asked for, or by
   * default with a non-root `user`.
   */
  private preparesScratchVolume(props: TwelveFactorServiceProps): boolean {
    if (props.scratchVolumePath === undefined) return false;
    if (props.prepareScratchVolume !== undefined) return props.prepareScratchVolume;
    return props.user !== undefined && !isRootUser(props.user);
  }

  /**
   * A Fargate bind mount is created owned by root with mode 0755 (unless the image declares a
   * VOLUME at that path), so a non-root app cannot write it. A non-essential container of
   * the same image (no other image to pull: works without a NAT gateway) runs as root
   * `chmod 1777 <path>` on the shared volume; the app container starts only after it exited
   * with 0 (condition SUCCESS, which ECS allows only on a non-essential container). It keeps
   * a read-only root file system, is not privileged and logs to the support log group.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html
   * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html
   */
  private addScratchInit(
    taskDefinition: ecs.FargateTaskDefinition,
    app: ecs.ContainerDefinition,
    streamPrefix: string,
    path: string,
    props: TwelveFactorServiceProps,
  ): void {
    const init = taskDefinition.addContainer(SCRATCH_INIT_CONTAINER, {
      image: props.image,
      // Both replace the image's ENTRYPOINT and CMD, so none of the image's program runs and
      // no image CMD is appended as arguments.
      entryPoint: ['chmod'],
      command: ['1777', path],
      essential: false,
      // A hard limit on every container (AWS Control Tower CT.ECS.PR.7); ECS asks for at
      // least 6 MiB. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
      memoryLimitMiB: SCRATCH_INIT_MEMORY_MIB,
      user: '0',
      readonlyRootFilesystem: true,
      privileged: false,
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: `${streamPrefix}-${SCRATCH_INIT_CONTAINER}`,
        logGroup: this.obtainSupportLogGroup(),
      }),
    });
    init.addMountPoints({ containerPath: path, sourceVolume: SCRATCH_VOLUME, readOnly: false });
    app.addContainerDependencies({ container: init, condition: ecs.ContainerDependencyCondition.SUCCESS });
    // Only the init container is root: with the app's `user` left to the image (which may be
    // root) the finding stays.
    if (props.user === undefined || isRootUser(props.user)) return;
    suppressGuard(taskDefinition, ['CT.ECS.PR.3', 'ecs_task_definition_nonroot_user_check'],
      `The non-essential '${SCRATCH_INIT_CONTAINER}' container runs as root only to chmod 1777 the task's scratch volume (ECS creates it owned by root, mode 0755) and exits before the app container, which runs as the non-root user '${props.user ?? 'of the image'}'. Set prepareScratchVolume: false and declare the VOLUME in the image where CT.ECS.PR.3 is enforced.`);
  }

  /**
   * The log group of what is not the service's app container, created on first use: admin
   * tasks, the Service Connect proxy and the scratch volume's init container. Keeping them
   * out of `logGroup` keeps them out of the error metric: a metric filter applies to every
   * log stream of its group and cannot select streams by name.
   *
   * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-metricfilter.html
   */
  private obtainSupportLogGroup(): logs.ILogGroup {
    this.supportLogs ??= createLogGroup(this.environment, this, 'SupportLogs', this.props.logRetention);
    return this.supportLogs;
  }

  private addVariable(name: string, value: string, source: string): void {
    this.assertFreeName(name, source);
    this.environmentVariables[name] = value;
    for (const c of this.containers) c.addEnvironment(name, value);
  }

  private addSecretVariable(name: string, secret: ecs.Secret, source: string): void {
    this.assertFreeName(name, source);
    this.secretVariables[name] = secret;
    for (const c of this.containers) c.addSecret(name, secret);
  }

  private assertFreeName(name: string, source: string): void {
    const problems: string[] = [];
    if (!ENV_VAR_NAME.test(name)) {
      problems.push(`environment variable name ${show(name)} from ${source} is not valid; use letters, digits and underscores, not starting with a digit`);
    }
    if (this._variableTaken(name)) {
      problems.push(`environment variable ${name} from ${source} is already set on ${this.node.path}; pass another \`envVarPrefix\` or rename it`);
    }
    if (problems.length > 0) throw new MicroservicesValidationError(CLASS, this, problems);
  }

  /**
   * Whether an environment variable of that name is already set on the service, so that an
   * integration can refuse it before it creates anything.
   * @internal
   */
  public _variableTaken(name: string): boolean {
    const own = (o: object): boolean => Object.prototype.hasOwnProperty.call(o, name);
    return own(this.environmentVariables) || own(this.secretVariables) || name === 'RELEASE_ID';
  }

  private route(props: TwelveFactorServiceProps, strategy: ecs.DeploymentStrategy): {
    targetGroup: elbv2.ApplicationTargetGroup;
    alternateTargetGroup?: elbv2.ApplicationTargetGroup;
    listenerRule?: elbv2.ApplicationListenerRule;
    url?: string;
  } {
    const env = this.environment;
    const shared = props.listener === undefined;
    const listener = props.listener ?? env.listener!;
    const newTargetGroup = (id: string) => new elbv2.ApplicationTargetGroup(this, id, {
      vpc: env.vpc,
      port: props.port!,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        path: props.healthCheckPath ?? '/',
        healthyHttpCodes: '200-399',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    const targetGroup = newTargetGroup('TargetGroup');
    const progressive = strategy !== ecs.DeploymentStrategy.ROLLING;
    const alternateTargetGroup = progressive ? newTargetGroup('AlternateTargetGroup') : undefined;

    const conditions: elbv2.ListenerCondition[] = [];
    if (props.hostName !== undefined) conditions.push(elbv2.ListenerCondition.hostHeaders([props.hostName]));
    if (props.pathPatterns !== undefined) conditions.push(elbv2.ListenerCondition.pathPatterns(props.pathPatterns));
    if (conditions.length === 0) {
      // The listener's default action (validated: a listener of this app, rolling deployments).
      (listener as elbv2.ApplicationListener).addTargetGroups('Default', { targetGroups: [targetGroup] });
      this.service.loadBalancerTarget({ containerName: CONTAINER_NAME, containerPort: props.port }).attachToApplicationTargetGroup(targetGroup);
      this.connections.allowFrom(listener, ec2.Port.tcp(props.port!), 'from its load balancer');
      return { targetGroup };
    }
    const listenerRule = new elbv2.ApplicationListenerRule(this, 'ListenerRule', {
      listener,
      priority: shared ? listenerPrioritiesOf(env).reserve(props.routePriority, this) : props.routePriority!,
      conditions,
      action: alternateTargetGroup
        ? elbv2.ListenerAction.weightedForward([
          { targetGroup, weight: 100 },
          { targetGroup: alternateTargetGroup, weight: 0 },
        ])
        : elbv2.ListenerAction.forward([targetGroup]),
    });

    const target = this.service.loadBalancerTarget({
      containerName: CONTAINER_NAME,
      containerPort: props.port,
      alternateTarget: alternateTargetGroup ? new ecs.AlternateTarget('AlternateTarget', {
        alternateTargetGroup,
        productionListener: ecs.ListenerRuleConfiguration.applicationListenerRule(listenerRule),
      }) : undefined,
    });
    target.attachToApplicationTargetGroup(targetGroup);
    this.connections.allowFrom(listener, ec2.Port.tcp(props.port!), shared ? 'from the shared load balancer' : 'from its load balancer');

    let url: string | undefined;
    if (props.hostName !== undefined && shared) {
      url = `${env.https ? 'https' : 'http'}://${props.hostName}`;
      if (env.hostedZone) {
        new route53.ARecord(this, 'AliasRecord', {
          zone: env.hostedZone,
          recordName: props.hostName,
          target: route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(env.loadBalancer!)),
        });
      }
    }
    return { targetGroup, alternateTargetGroup, listenerRule, url };
  }

  private configureScaling(props: TwelveFactorServiceProps): ecs.ScalableTaskCount {
    const scaling = this.service.autoScaleTaskCount({ minCapacity: this.minTasks, maxCapacity: this.maxTasks });
    const cpuTarget = props.cpuTargetPercent ?? 70;
    if (cpuTarget > 0 || !known(cpuTarget)) {
      scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: cpuTarget });
    }
    if (props.memoryTargetPercent !== undefined) {
      scaling.scaleOnMemoryUtilization('Memory', { targetUtilizationPercent: props.memoryTargetPercent });
    }
    if (props.requestsPerTarget !== undefined && this.targetGroup) {
      scaling.scaleOnRequestCount('Requests', { requestsPerTarget: props.requestsPerTarget, targetGroup: this.targetGroup });
    }
    return scaling;
  }

  private acknowledgeFindings(): void {
    // On the service: covers the service's and its admin tasks' definitions and roles.
    acknowledge(this, [
      {
        id: 'AwsSolutions-ECS2',
        reason: 'Twelve-factor config (III) is passed as environment variables on purpose: only non-secret values, since secret-looking names and credential-like values are refused at synth time and secrets go through Secrets Manager or SSM.',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers]',
        reason: 'ECS blue/green, linear and canary deployments shift listener traffic with this AWS-maintained policy, which ECS documents for its infrastructure role.',
      },
      ...nistAndHipaa('IAMNoInlinePolicy', 'Each role of the service is its own and gets least-privilege policies from CDK grants scoped to the resources attached; a customer-managed policy per role would add no reuse.'),
    ]);
    // TwelveFactorChecks (compliance) cannot see `allowPlainConfig`: the names the user allowed
    // as plain config on purpose are acknowledged with that list.
    const allowed = this.props.allowPlainConfig ?? [];
    if (allowed.length > 0) {
      acknowledge(this, [{
        id: 'TwelveFactors-III1',
        reason: `The names ${allowed.join(', ')} look secret but hold no secret: they are allowed as plain config with \`allowPlainConfig\`; every other secret-looking name or value is refused at synth time.`,
      }]);
    }
    acknowledge(this.executionRole, [{
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ecr:GetAuthorizationToken, which ECS needs to pull a private image, supports no resource-level permission; every other action of the execution role names its repository, log group or secret.',
    }]);
    acknowledge(this.taskRole, ['kms:GenerateDataKey*', 'kms:ReEncrypt*', 'kms:Encrypt*', 'kms:Decrypt*'].map((action) => ({
      id: `AwsSolutions-IAM5[Action::${action}]`,
      reason: 'CDK grants these KMS action families on the one key that encrypts an attached backing service, so the service can use that resource; the resource is the key, not *.',
    })));
  }

  /**
   * Props of the wrong kind (from JavaScript or another jsii language) are recorded as
   * problems and left out of the props the other checks see, so every problem lands in one
   * error. Returns the problems so far and the props without the wrong kinds.
   */
  private validateKinds(given: TwelveFactorServiceProps): { p: Problems; props: TwelveFactorServiceProps } {
    const p = new Problems(CLASS, this);
    if (!given || typeof given !== 'object') {
      p.add('props are missing; pass at least `environment` and `image`');
      p.throwIfAny();
    }
    if (!isMicroserviceEnvironment(given.environment)) {
      p.add(`\`environment\` ${show(given.environment)} is not an IMicroserviceEnvironment; pass a MicroserviceEnvironment`);
      p.throwIfAny();
    }
    p.when(!given.image || typeof (given.image as { bind?: unknown }).bind !== 'function',
      `\`image\` ${show(given.image)} is not an ecs.ContainerImage; use for example ecs.ContainerImage.fromRegistry(...) or fromAsset(...)`);
    const kinds: Array<[keyof TwelveFactorServiceProps & string, Kind]> = [
      ['serviceName', 'string'], ['port', 'number'], ['hostName', 'string'], ['pathPatterns', 'list of strings'],
      ['routePriority', 'number'], ['healthCheckPath', 'string'], ['healthCheckGracePeriod', 'Duration'],
      ['containerHealthCheck', 'map'], ['cpu', 'number'], ['memoryMiB', 'number'], ['config', 'map of strings'],
      ['allowPlainConfig', 'list of strings'], ['secrets', 'map'], ['readonlyRootFilesystem', 'boolean'],
      ['scratchVolumePath', 'string'], ['prepareScratchVolume', 'boolean'], ['ephemeralStorageGiB', 'number'], ['releaseId', 'string'], ['circuitBreaker', 'boolean'],
      ['deploymentBakeTime', 'Duration'], ['trafficShiftPercent', 'number'], ['trafficShiftBakeTime', 'Duration'],
      ['minTasks', 'number'], ['maxTasks', 'number'], ['desiredTasks', 'number'], ['cpuTargetPercent', 'number'],
      ['memoryTargetPercent', 'number'], ['requestsPerTarget', 'number'], ['spotWeight', 'number'], ['onDemandWeight', 'number'],
      ['onDemandBase', 'number'], ['initProcessEnabled', 'boolean'], ['stopTimeout', 'Duration'], ['user', 'string'],
      ['logRetention', 'number'], ['errorLogPattern', 'string'], ['errorAlarmThreshold', 'number'],
      ['discoveryAttributes', 'map of strings'], ['allowAllOutbound', 'boolean'],
    ];
    const props = checkKinds(p, given, kinds);
    if (props.listener !== undefined && (props.listener === null || typeof (props.listener as { listenerArn?: unknown }).listenerArn !== 'string')) {
      p.add(`\`listener\` ${show(props.listener)} is not an elbv2.IApplicationListener`);
      delete (props as { listener?: unknown }).listener;
    }
    for (const [prop, value] of [['deploymentAlarms', props.deploymentAlarms], ['environmentFiles', props.environmentFiles]] as const) {
      p.when(value !== undefined && !Array.isArray(value), `\`${prop}\` ${show(value)} is not a list`);
    }
    const enums = [
      enumProblem('deploymentStrategy', props.deploymentStrategy, ecs.DeploymentStrategy, 'ecs.DeploymentStrategy'),
      enumProblem('discovery', props.discovery, Discovery, 'Discovery'),
      logRetentionProblem('logRetention', props.logRetention),
    ];
    for (const problem of enums) if (problem) p.add(problem);
    for (const [prop, map] of [['config', props.config], ['secrets', props.secrets]] as const) {
      p.when(map !== undefined && map !== null && typeof map === 'object' && 'RELEASE_ID' in map,
        `\`${prop}\` RELEASE_ID is set by the construct from the image; pass \`releaseId\` instead`);
    }
    return { p, props };
  }

  private validate(p: Problems, props: TwelveFactorServiceProps, cpu: number, memoryMiB: number): void {
    for (const problem of healthCheckProblems(props.containerHealthCheck)) p.add(problem);
    const taken = serviceNamesOf(props.environment).claim(this.serviceName, this.node.path);
    p.when(taken !== undefined, `\`serviceName\` '${this.serviceName}' is already used by ${taken} in the same environment; give each service its own name`);
    const env = props.environment;
    const routed = props.hostName !== undefined || props.pathPatterns !== undefined || props.listener !== undefined;

    if (known(props.serviceName) && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(props.serviceName)) {
      p.add(`\`serviceName\` ${show(props.serviceName)} is not valid; use 1 to 63 lower case letters, digits and hyphens, not starting or ending with a hyphen`);
    }
    if (props.serviceName === undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(this.serviceName)) {
      p.add(`the construct id does not give a valid service name (${show(this.serviceName)}); set \`serviceName\``);
    }
    const size = fargateSizeProblem(cpu, memoryMiB);
    if (size) p.add(size);
    if (props.port !== undefined) {
      const portProblem = checkInt('port', props.port, 1, 65535);
      if (portProblem) p.add(portProblem);
    }
    if (known(props.healthCheckPath)) {
      p.when(!/^\/[\x21-\x7e]{0,1023}$/.test(props.healthCheckPath),
        `\`healthCheckPath\` ${show(props.healthCheckPath)} is not valid; use a path that starts with '/', up to 1024 characters, without spaces`);
    }
    if (!routed) {
      for (const name of ['healthCheckPath', 'healthCheckGracePeriod', 'routePriority', 'requestsPerTarget'] as const) {
        p.when(props[name] !== undefined, `\`${name}\` applies to a service routed by the load balancer; set \`hostName\` or \`pathPatterns\``);
      }
    } else {
      p.when(props.port === undefined, '`hostName`, `pathPatterns` and `listener` route requests to the service\'s `port`; set `port`');
      p.when(!env.loadBalancer && props.listener === undefined,
        `\`hostName\` and \`pathPatterns\` need the environment's shared load balancer; create ${env.node.path} with \`createLoadBalancer: true\` or give a \`listener\``);
    }
    if (props.listener !== undefined) {
      const conditioned = props.hostName !== undefined || props.pathPatterns !== undefined;
      if (conditioned) {
        p.when(props.routePriority === undefined, '`listener` with `hostName` or `pathPatterns` needs a `routePriority` unique on that listener');
      } else {
        p.when(!(props.listener instanceof elbv2.ApplicationListener),
          '`listener` is not a listener of this app, so the service cannot be its default action; add `hostName` or `pathPatterns` and a `routePriority`');
        p.when((props.deploymentStrategy ?? ecs.DeploymentStrategy.ROLLING) !== ecs.DeploymentStrategy.ROLLING,
          `\`deploymentStrategy\` ${props.deploymentStrategy} needs a listener rule; add \`hostName\` or \`pathPatterns\` and a \`routePriority\`, or use ROLLING`);
      }
    }
    if (props.hostName !== undefined && known(props.hostName)) {
      p.when(!/^(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)*[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(props.hostName) || props.hostName.length > 253,
        `\`hostName\` ${show(props.hostName)} is not a host name`);
      const zoneName = env.hostedZone?.zoneName;
      if (zoneName && known(zoneName)) {
        const zone = zoneName.replace(/\.$/, '').toLowerCase();
        const host = props.hostName.toLowerCase();
        p.when(host !== zone && !host.endsWith(`.${zone}`),
          `\`hostName\` ${show(props.hostName)} is not in the environment's hosted zone '${zone}'; use a name ending in .${zone}`);
      }
    }
    this.validateRoute(p, props);
    if (props.pathPatterns !== undefined) {
      p.when(props.pathPatterns.length < 1 || props.pathPatterns.length > 5,
        `\`pathPatterns\` has ${props.pathPatterns.length} patterns; use 1 to 5`);
      for (const pattern of props.pathPatterns) {
        if (known(pattern) && !/^\/[\x21-\x7e]{0,127}$/.test(pattern)) {
          p.add(`\`pathPatterns\` entry ${show(pattern)} is not valid; use a path starting with '/', up to 128 characters, with * and ? wildcards`);
        }
      }
    }
    const checks: Array<string | undefined> = [
      props.routePriority !== undefined ? checkInt('routePriority', props.routePriority, 1, 50000) : undefined,
      checkInt('minTasks', props.minTasks, 0, 5000),
      checkInt('maxTasks', props.maxTasks, 1, 5000),
      checkInt('desiredTasks', props.desiredTasks, 0, 5000),
      checkInt('cpuTargetPercent', props.cpuTargetPercent, 0, 100),
      checkInt('memoryTargetPercent', props.memoryTargetPercent, 1, 100),
      checkInt('requestsPerTarget', props.requestsPerTarget, 1, 1_000_000),
      checkInt('spotWeight', props.spotWeight, 0, 1000),
      checkInt('onDemandWeight', props.onDemandWeight, 0, 1000),
      checkInt('onDemandBase', props.onDemandBase, 0, 100000),
      checkInt('ephemeralStorageGiB', props.ephemeralStorageGiB, 21, 200),
      checkInt('errorAlarmThreshold', props.errorAlarmThreshold, 0, 1_000_000),
      checkSeconds('stopTimeout', props.stopTimeout, 2, 120),
      checkSeconds('healthCheckGracePeriod', props.healthCheckGracePeriod, 0, 2_147_483_647),
    ];
    for (const c of checks) if (c) p.add(c);
    if (known(this.minTasks) && known(this.maxTasks) && this.minTasks > this.maxTasks) {
      p.add(`\`minTasks\` ${this.minTasks} is greater than \`maxTasks\` ${this.maxTasks}; use minTasks <= maxTasks`);
    }
    if (known(props.desiredTasks) && known(this.minTasks) && known(this.maxTasks)
      && (props.desiredTasks < this.minTasks || props.desiredTasks > this.maxTasks)) {
      p.add(`\`desiredTasks\` ${props.desiredTasks} is outside \`minTasks\`..\`maxTasks\` (${this.minTasks}..${this.maxTasks})`);
    }
    if (props.spotWeight === undefined || props.spotWeight === 0) {
      p.when(props.onDemandWeight !== undefined || props.onDemandBase !== undefined,
        '`onDemandWeight` and `onDemandBase` split tasks between on-demand and Spot capacity; set `spotWeight` above 0 or remove them');
    } else if (known(props.onDemandWeight) && props.onDemandWeight === 0 && known(props.onDemandBase) && props.onDemandBase > 0) {
      p.add('`onDemandBase` needs an `onDemandWeight` above 0');
    }
    if (known(props.scratchVolumePath) && !/^\/[^\s]*$/.test(props.scratchVolumePath)) {
      p.add(`\`scratchVolumePath\` ${show(props.scratchVolumePath)} is not an absolute path; use one like '/tmp'`);
    }
    p.when(props.prepareScratchVolume !== undefined && props.scratchVolumePath === undefined,
      '`prepareScratchVolume` makes the scratch volume writable; set `scratchVolumePath` or remove it');
    const user = userProblem(props.user);
    if (user) p.add(user);
    if (props.releaseId !== undefined && known(props.releaseId) && props.releaseId.trim() === '') {
      p.add(`\`releaseId\` ${show(props.releaseId)} is empty: RELEASE_ID would name no release; give a release identifier such as a version or commit, or leave it out for the image reference`);
    }
    if (props.errorLogPattern !== undefined && known(props.errorLogPattern)) {
      p.when(props.errorLogPattern.trim() === '' || props.errorLogPattern.length > 1024 || /["\s]/.test(props.errorLogPattern),
        `\`errorLogPattern\` ${show(props.errorLogPattern)} is not valid; use one word of up to 1024 characters without spaces or quotes, like 'ERROR'`);
    }
    for (const problem of configProblems(props.config ?? {}, props.allowPlainConfig ?? [])) p.add(problem);
    for (const name of Object.keys(props.secrets ?? {})) {
      p.when(!ENV_VAR_NAME.test(name), `\`secrets\` name ${show(name)} is not valid; use letters, digits and underscores, not starting with a digit`);
      p.when(name in (props.config ?? {}), `\`${name}\` is in both \`config\` and \`secrets\`; keep it in one`);
    }

    // Deployments.
    const strategy = props.deploymentStrategy ?? ecs.DeploymentStrategy.ROLLING;
    if (strategy !== ecs.DeploymentStrategy.ROLLING) {
      p.when(!routed, `\`deploymentStrategy\` ${strategy} shifts load balancer traffic; route the service with \`hostName\` or \`pathPatterns\` or use ROLLING`);
    } else {
      p.when(props.deploymentBakeTime !== undefined, '`deploymentBakeTime` applies to BLUE_GREEN, LINEAR and CANARY deployments, not ROLLING');
    }
    const shifting = strategy === ecs.DeploymentStrategy.LINEAR || strategy === ecs.DeploymentStrategy.CANARY;
    if (!shifting) {
      p.when(props.trafficShiftPercent !== undefined || props.trafficShiftBakeTime !== undefined,
        '`trafficShiftPercent` and `trafficShiftBakeTime` apply to LINEAR and CANARY deployments only');
    }
    if (known(props.trafficShiftPercent) && shifting) {
      const min = strategy === ecs.DeploymentStrategy.LINEAR ? 3 : 0.1;
      const v = props.trafficShiftPercent;
      p.when(!(v >= min && v <= 100) || Math.abs(Math.round(v * 10) - v * 10) > 1e-9,
        `\`trafficShiftPercent\` ${v} is not valid for ${strategy}; use ${min} to 100 in steps of 0.1`);
    }
    for (const [name, value] of [['deploymentBakeTime', props.deploymentBakeTime], ['trafficShiftBakeTime', props.trafficShiftBakeTime]] as const) {
      if (known(value) && (value.toMilliseconds() < 0 || value.toMilliseconds() > 1440 * 60_000 || value.toMilliseconds() % 60_000 !== 0)) {
        p.add(`\`${name}\` ${value.toHumanString()} is not valid; use whole minutes from 0 to 1440`);
      }
    }
    // Discovery.
    const discovery = props.discovery ?? Discovery.CLOUD_MAP;
    if (discovery === Discovery.SERVICE_CONNECT) {
      p.when(props.port === undefined, '`Discovery.SERVICE_CONNECT` needs a `port` for clients to reach');
      // The endpoint's Cloud Map service `<name>-sc` has at most 64 characters.
      // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceConnectService.html
      p.when(this.serviceName.length + SERVICE_CONNECT_SUFFIX.length > 64,
        `\`serviceName\` '${this.serviceName}' is too long for \`Discovery.SERVICE_CONNECT\`: its endpoint '${this.serviceName}${SERVICE_CONNECT_SUFFIX}' must have at most 64 characters; use at most ${64 - SERVICE_CONNECT_SUFFIX.length}`);
      const endpoint = `${this.serviceName}${SERVICE_CONNECT_SUFFIX}`;
      const owner = serviceNamesOf(props.environment).claim(endpoint, this.node.path);
      p.when(owner !== undefined,
        `\`serviceName\` '${this.serviceName}' with \`Discovery.SERVICE_CONNECT\` registers the Cloud Map service '${endpoint}', which ${owner} already uses in the same environment; rename one of them`);
    }
    for (const problem of discoveryAttributeProblems(props.discoveryAttributes)) p.add(problem);
    p.throwIfAny();
  }

  /**
   * The listener a routed service gets a rule on and the host and path patterns it claims
   * there, or undefined when it gets no rule (not routed, the listener's default action) or a
   * token hides its conditions.
   */
  private listenerRoute(props: TwelveFactorServiceProps): { listener: object; claim: RouteClaim } | undefined {
    if (props.hostName === undefined && props.pathPatterns === undefined) return undefined;
    const listener = props.listener ?? this.environment.listener;
    if (!listener) return undefined;
    const claim = routeClaim(props.hostName, props.pathPatterns, this.node.path);
    return claim ? { listener, claim } : undefined;
  }

  /**
   * Two services on one listener with the same host name and path patterns (or neither) would
   * compete for the same requests: the listener evaluates its rules in priority order and the
   * first that matches wins, so one of the services would never receive a request.
   *
   * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html
   */
  private validateRoute(p: Problems, props: TwelveFactorServiceProps): void {
    const route = this.listenerRoute(props);
    const taken = route ? routeTakenBy(route.listener, route.claim) : undefined;
    if (!route || !taken) return;
    const host = props.hostName !== undefined ? `\`hostName\` ${show(props.hostName)}` : 'no `hostName`';
    const paths = props.pathPatterns !== undefined ? `\`pathPatterns\` ${show(props.pathPatterns)}` : 'no `pathPatterns`';
    p.add(`${host} with ${paths} is already routed on this listener to ${taken.owner}: the listener sends those requests to the first matching rule, so one of ${taken.owner} and ${this.node.path} would never receive any; give each service its own \`hostName\` (host names match without case) or distinct \`pathPatterns\``);
  }
}

/**
 * The namespace of the error metrics of an environment's services:
 * `CdkMicroservices/<stack name>/<environment path in its stack>`. A stack's name is unique
 * in its account and Region, and the path within the stack tells its environments apart.
 * Characters CloudWatch does not allow in a namespace become '-'; the result is at most
 * 255 characters.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Metric.html
 */
function errorMetricNamespace(env: IMicroserviceEnvironment): string {
  const stack = Stack.of(env);
  const inStack = env.node.scopes.slice(stack.node.scopes.length).map((c) => c.node.id).join('/');
  const stackName = Token.isUnresolved(stack.stackName) ? stack.stackName : stack.stackName.replace(/[^0-9A-Za-z._\-/#: ]/g, '-');
  const namespace = `CdkMicroservices/${stackName}/${inStack.replace(/[^0-9A-Za-z._\-/#: ]/g, '-')}`;
  return Token.isUnresolved(namespace) ? namespace : namespace.slice(0, 255);
}

/**
 * Makes a service with a capacity provider strategy depend on its cluster's capacity
 * provider association: without it CloudFormation may create the service before FARGATE and
 * FARGATE_SPOT are associated with the cluster ("capacity provider ... is not associated
 * with the cluster") and delete the association while the service still uses it ("in use")
 * (aws-cdk #15366). The association (AWS::ECS::ClusterCapacityProviderAssociations) is
 * created by the cluster's own aspect at synthesis, as its child named after the cluster, so
 * it is looked up by an aspect that runs after that one (a read-only priority). An imported
 * cluster has no association here: nothing to depend on.
 *
 * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-clustercapacityproviderassociations.html
 * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
 */
function dependOnCapacityProviders(service: ecs.FargateService): void {
  const cluster = service.cluster;
  if (!(cluster instanceof ecs.Cluster)) return;
  const aspect: IAspect = {
    visit(node) {
      if (node !== service) return;
      const association = cluster.node.tryFindChild(cluster.node.id);
      if (association instanceof ecs.CfnClusterCapacityProviderAssociations) service.node.addDependency(association);
    },
  };
  Aspects.of(service).add(aspect, { priority: AspectPriority.READONLY });
}

function defaultServiceName(id: string): string {
  return words(id).join('-').toLowerCase().slice(0, 63);
}


/**
 * Sets an integration's environment variable on a service (`source` names it in errors): with
 * the source on a `TwelveFactorService`, with `addEnvironment` on another implementation.
 * @internal
 */
export function addIntegrationVariable(service: ITwelveFactorService, name: string, value: string, source: string): void {
  if (service instanceof TwelveFactorService) service._addVariable(name, value, source);
  else service.addEnvironment(name, value);
}

/**
 * Whether a service already has the variable `name` (known of a `TwelveFactorService` only).
 * @internal
 */
export function integrationVariableTaken(service: ITwelveFactorService, name: string): boolean {
  return service instanceof TwelveFactorService ? service._variableTaken(name) : false;
}

/**
 * Whether a value is an `ITwelveFactorService` (checked by shape: values from JavaScript or
 * another jsii language may be anything).
 * @internal
 */
export function isTwelveFactorService(value: unknown): value is ITwelveFactorService {
  if (value instanceof TwelveFactorService) return true;
  const v = value as Partial<ITwelveFactorService> | undefined;
  return typeof v === 'object' && v !== null && typeof v.node === 'object' && typeof v.serviceName === 'string'
    && typeof v.attach === 'function' && typeof v.taskRole === 'object' && typeof v.environment === 'object';
}
