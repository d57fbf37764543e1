import {
  CfnOutput,
  Duration,
  Lazy,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as cloudwatchActions,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_logs as logs,
  aws_servicediscovery as servicediscovery,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { AdminTask, AdminTaskOptions, adminTaskProblems } from './admin-task';
import { BackingService, BackingServiceBinding } from './backing-service';
import { addAppContainer, dependOnCapacityProviders, errorMetricNamespace } from './service-containers';
import { ITwelveFactorService } from './service-interface';
import { createServiceQueries } from './service-queries';
import { claimRoute, isRouted, listenerRoute, routeService } from './service-routing';
import { COLLECTOR_IMAGE, COLLECTOR_MEMORY_MIB, addTracing } from './service-tracing';
import { configProblems, isRootUser, SERVICE_CLASS, validateKinds, validateServiceProps } from './service-validation';
import { ServiceVariables } from './service-variables';
import { reportRootUser } from './service-warnings';
import { TwelveFactorServiceProps } from './twelve-factor-service-props';
import {
  applyDiscoveryAttributes,
  cloudMapOptions,
  Discovery,
  serviceConnectConfiguration,
  claimServiceNames,
  SERVICE_CONNECT_SUFFIX,
} from '../discovery/discovery';
import { IMicroserviceEnvironment } from '../environment/environment-interface';
import { createLogGroup, tracesByDefault } from '../environment/environment-support';
import { acknowledge, nistAndHipaa } from '../private/acknowledge';
import { words } from '../private/naming';
import { known, Problems, show } from '../private/validation';

const CLASS = SERVICE_CLASS;
const PORT_NAME = 'http';

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
  /** Whether the service traces (`tracing`, or the environment's `defaultTracing`). */
  public readonly tracing: boolean;
  /**
   * The tracing collector's container (`otel-collector`), when the service traces.
   */
  public readonly collector?: ecs.ContainerDefinition;
  /** The release the template deploys: `releaseId`, or the image reference (`RELEASE_ID`). */
  public readonly release: string;
  /**
   * The saved CloudWatch Logs Insights queries over the service's log group (`createLogQueries`):
   * errors by release, slowest requests, a trace's log lines. Empty without them.
   */
  public readonly logQueries: logs.CfnQueryDefinition[];

  private readonly variables = new ServiceVariables(this);
  private readonly attached = new Map<string, { backing: BackingService; binding: BackingServiceBinding }>();
  private readonly adminTasks = new Map<string, AdminTask>();
  private readonly errorMetricName: string;
  private readonly errorMetricNamespace: string;
  private readonly props: TwelveFactorServiceProps;
  private readonly deploymentAlarmNames = new Set<string>();
  private supportLogs?: logs.ILogGroup;

  constructor(scope: Construct, id: string, given: TwelveFactorServiceProps) {
    super(scope, id);
    const checked = validateKinds(this, given);
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
    validateServiceProps(checked.p, this, props, { serviceName: this.serviceName, minTasks: this.minTasks, maxTasks: this.maxTasks, cpu, memoryMiB });
    const route = listenerRoute(this, props);
    if (route) claimRoute(route.listener, route.claim);

    this.port = props.port;
    this.stopTimeout = props.stopTimeout ?? Duration.seconds(30);
    this.cpuArchitecture = props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64;
    this.discoveryName = `${this.serviceName}.${env.namespaceName}`;
    const routed = isRouted(props);

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

    this.variables.init(props.config ?? {}, props.secrets ?? {});

    this.tracing = props.tracing ?? tracesByDefault(env);
    this.container = this.appContainer(this.taskDefinition, this.serviceName, this.logGroup, undefined, this.tracing ? COLLECTOR_MEMORY_MIB : 0);
    if (props.port !== undefined) {
      this.container.addPortMappings({ containerPort: props.port, name: PORT_NAME, protocol: ecs.Protocol.TCP });
    }
    this.release = props.releaseId ?? this.container.imageName;
    this.container.addEnvironment('RELEASE_ID', this.release);
    if (this.tracing) {
      this.collector = addTracing(this, {
        environment: env,
        taskDefinition: this.taskDefinition,
        app: this.container,
        serviceName: this.serviceName,
        release: this.release,
        sampleRatio: props.tracingSampleRatio ?? 0.1,
        image: props.tracingCollectorImage ?? ecs.ContainerImage.fromRegistry(COLLECTOR_IMAGE),
        logGroup: this.obtainSupportLogGroup(),
        streamPrefix: this.serviceName,
      });
    }

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
    this.logQueries = (props.createLogQueries ?? true)
      ? Object.values(createServiceQueries(this, `${env.node.path}/${this.serviceName}`, [this.logGroup], props.errorLogPattern ?? 'ERROR'))
      : [];
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
    if (props.user === undefined || isRootUser(props.user)) reportRootUser(this, props.user);
    this.cloudMapService = this.service.cloudMapService;
    claimServiceNames(this, env, [this.service, this.cloudMapService], discovery === Discovery.SERVICE_CONNECT
      ? [this.serviceName, `${this.serviceName}${SERVICE_CONNECT_SUFFIX}`] : [this.serviceName]);
    applyDiscoveryAttributes(this.service.cloudMapService, props.discoveryAttributes ?? {});

    if (routed) {
      const routing = routeService(this, this.service, props, strategy);
      this.targetGroup = routing.targetGroup;
      this.alternateTargetGroup = routing.alternateTargetGroup;
      this.listenerRule = routing.listenerRule;
      this.url = routing.url;
    }

    if (this.maxTasks > this.minTasks || !known(this.maxTasks) || !known(this.minTasks)) {
      this.scaling = this.configureScaling(props);
    }

    this.acknowledgeFindings();
    if (props.createOutputs) this.addOutputs();
  }

  /**
   * Attaches a backing service (IV): grants access, injects its environment variables into
   * the service and its admin tasks, and opens the network where needed. Attaching the same
   * resource again with the same access is a no-op.
   */
  public attach(backing: BackingService): void {
    if (!(backing instanceof BackingService)) {
      Problems.reject(CLASS, this, `\`attach\` needs a BackingService (for example BackingService.dynamoDbTable(table)); got ${show(backing)}`);
    }
    if (!Construct.isConstruct(backing.resource)) {
      Problems.reject(CLASS, this, `\`attach\` got a BackingService of ${show(backing.resource)}; pass the resource to attach, for example BackingService.dynamoDbTable(table)`);
    }
    const key = backing.resource.node.path;
    const existing = this.attached.get(key);
    if (existing) {
      const p = new Problems(CLASS, this);
      if (existing.backing.access !== backing.access) {
        p.add(`\`access\` ${backing.access} differs from the ${existing.backing.access} access ${key} is already attached with; attach it once, with the access the service needs`);
      }
      if (existing.backing.envVarPrefix !== backing.envVarPrefix) {
        p.add(`\`envVarPrefix\` ${show(backing.envVarPrefix)} differs from the ${show(existing.backing.envVarPrefix)} ${key} is already attached with; attach it once`);
      }
      p.throwIfAny();
      return;
    }
    const binding = backing.bind(this);
    for (const [name, value] of Object.entries(binding.environment)) this.variables.add(name, value, key);
    for (const [name, value] of Object.entries(binding.secrets ?? {})) this.variables.addSecret(name, value, key);
    this.attached.set(key, { backing, binding });
  }

  /**
   * Adds a plain environment variable to the app and its admin tasks. Secret-looking names
   * and values are refused as in `config`.
   */
  public addEnvironment(name: string, value: string): void {
    Problems.throwAll(CLASS, this, configProblems({ [name]: value }, this.props.allowPlainConfig ?? []));
    this.variables.add(name, value, 'addEnvironment');
  }

  /** Adds a secret environment variable to the app and its admin tasks. */
  public addSecret(name: string, secret: ecs.Secret): void {
    this.variables.addSecret(name, secret, 'addSecret');
  }

  /**
   * Adds an alarm that rolls an ECS deployment of this service back when it goes off, next to
   * the `deploymentAlarms` given at construction (for example a subscription's alarms).
   * Adding the same alarm again is a no-op.
   */
  public addDeploymentAlarm(alarm: cloudwatch.IAlarm): void {
    if (!alarm || typeof alarm.alarmName !== 'string') {
      Problems.reject(CLASS, this, `\`addDeploymentAlarm\` needs a cloudwatch.IAlarm; got ${show(alarm)}`);
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
    this.variables.add(name, value, source);
  }

  /**
   * Lets another service (or any connectable) open connections to this service's port.
   */
  public allowFrom(other: ec2.IConnectable): void {
    if (this.port === undefined) {
      Problems.reject(CLASS, this,
        `\`allowFrom\` needs a \`port\`: ${this.node.path} is a worker that takes no connections`,
      );
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
    Problems.throwAll('AdminTask', this, adminTaskProblems({ ...options, name, service: this }));
    if (this.adminTasks.has(name)) {
      Problems.reject('AdminTask', this, `\`name\` '${name}' is already used by another admin task of this service; give each admin task its own name`);
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
    const container = this.appContainer(taskDefinition, streamPrefix, this.obtainSupportLogGroup(), command);
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

  /**
   * The log group of what is not the service's app container, created on first use: admin
   * tasks, the Service Connect proxy and the scratch volume's init container. Keeping them
   * out of `logGroup` keeps them out of the error metric: a metric filter applies to every
   * log stream of its group and cannot select streams by name.
   *
   * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-logs-metricfilter.html
   */
  private appContainer(
    taskDefinition: ecs.FargateTaskDefinition, streamPrefix: string, logGroup: logs.ILogGroup, command?: string[], reservedMemoryMiB = 0,
  ): ecs.ContainerDefinition {
    return addAppContainer(this, {
      reservedMemoryMiB,
      taskDefinition,
      streamPrefix,
      props: this.props,
      logGroup,
      command,
      variables: this.variables,
      stopTimeout: this.stopTimeout,
      supportLogGroup: () => this.obtainSupportLogGroup(),
    });
  }

  private obtainSupportLogGroup(): logs.ILogGroup {
    this.supportLogs ??= createLogGroup(this.environment, this, 'SupportLogs', this.props.logRetention);
    return this.supportLogs;
  }


  /**
   * Whether an environment variable of that name is already set on the service, so that an
   * integration can refuse it before it creates anything.
   * @internal
   */
  public _variableTaken(name: string): boolean {
    return this.variables.taken(name);
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

  /**
   * `createOutputs`: the URL clients use (or, without one, the DNS name other services use)
   * and the DNS name of the load balancer that routes to the service. The outputs are children
   * of the service, so their logical ids (from the construct path) are unique in the stack.
   */
  private addOutputs(): void {
    if (this.url !== undefined) {
      new CfnOutput(this, 'Url', {
        description: `The URL clients use to reach ${this.node.path}`,
        value: this.url,
      });
    } else {
      new CfnOutput(this, 'DiscoveryName', {
        description: `The DNS name other services of ${this.environment.node.path} use to reach ${this.node.path}`,
        value: this.discoveryName,
      });
    }
    const loadBalancer = this.routingLoadBalancer();
    if (loadBalancer) {
      new CfnOutput(this, 'LoadBalancerDnsName', {
        description: `The DNS name of the load balancer that routes requests to ${this.node.path}`,
        value: loadBalancer.loadBalancerDnsName,
      });
    }
  }

  /** The load balancer that routes to the service, when the service is routed and it is known. */
  private routingLoadBalancer(): elbv2.IApplicationLoadBalancer | undefined {
    if (!this.targetGroup) return undefined;
    if (this.props.listener === undefined) return this.environment.loadBalancer;
    const listener = this.props.listener as { loadBalancer?: elbv2.IApplicationLoadBalancer };
    return listener.loadBalancer;
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
