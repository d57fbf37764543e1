import {
  Duration,
  aws_cloudwatch as cloudwatch,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { Discovery } from '../discovery/discovery';
import { IMicroserviceEnvironment } from '../environment/environment-interface';

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
   * Distributed tracing: the AWS Distro for OpenTelemetry collector as a sidecar
   * (`otel-collector`, non-essential, non-root, read-only root file system, health checked,
   * logging to the support log group) that receives OTLP on localhost and exports to AWS X-Ray,
   * and the app container's OpenTelemetry variables (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`
   * with `deployment.environment` and `service.version` = the release, `OTEL_EXPORTER_OTLP_ENDPOINT`
   * http://localhost:4318, propagators `tracecontext,baggage,xray`, parent-based ratio sampling).
   * The collector takes 128 MiB of the task's memory (a hard limit: the app container's limit is
   * the rest) and reserves 64 CPU units; the task role may call the X-Ray actions the exporter
   * needs. The app instruments itself with an OpenTelemetry SDK. An environment that creates VPC
   * endpoints gets the X-Ray endpoint.
   *
   * @default - the environment's `defaultTracing` (false)
   */
  readonly tracing?: boolean;

  /**
   * With `tracing`: the share of root traces sampled, from 0 to 1 (a request that comes with a
   * sampled parent is always traced).
   *
   * @default 0.1
   */
  readonly tracingSampleRatio?: number;

  /**
   * With `tracing`: the collector's image. The default is on Amazon ECR Public, which tasks
   * without a NAT gateway cannot reach through VPC endpoints: give a copy in a private ECR
   * repository of the Region (for example an ECR pull-through cache rule for `ecr-public`).
   *
   * @default - public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0
   */
  readonly tracingCollectorImage?: ecs.ContainerImage;

  /**
   * Whether to save CloudWatch Logs Insights queries over the service's log group, in the
   * folder `<environment path>/<service name>` of the console's saved queries: "Errors by
   * release" (error lines counted by `release`), "Slowest requests" (by `durationMs`) and "Log
   * lines of a trace" (replace TRACE_ID). They read the fields of JSON log lines: log one JSON
   * object a line with `level`, `msg`, `release` (RELEASE_ID), and for requests `path`, `status`,
   * `durationMs` and `traceId`. Saved queries cost nothing; running one is billed by the data
   * it scans.
   *
   * @default true
   */
  readonly createLogQueries?: boolean;

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

  /**
   * Add CloudFormation outputs a user looks for after a deploy: the service's `url` when it
   * has one, else its `discoveryName`; and, when a load balancer routes to it (the
   * environment's shared one, or the load balancer of a `listener` created in this app), that
   * load balancer's DNS name. They are children of the service (ids `Url` or `DiscoveryName`,
   * and `LoadBalancerDnsName`), so their logical ids are unique in the stack.
   *
   * @default false
   */
  readonly createOutputs?: boolean;
}
