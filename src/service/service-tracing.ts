/**
 * Tracing of a service (`tracing: true`): the AWS Distro for OpenTelemetry (ADOT) collector as a
 * sidecar that receives OTLP from the app on localhost and exports the traces to AWS X-Ray, and
 * the OpenTelemetry variables of the app container that point its SDK there.
 *
 * Why the ADOT collector and not the CloudWatch agent with Application Signals (decision record:
 * docs/design/observability.md): the collector's image runs as a non-root user (uid 4317) from
 * scratch with a `/healthcheck` program, works for any language with an OpenTelemetry SDK, and
 * takes its configuration inline (`AOT_CONFIG_CONTENT`); Application Signals runs its agent as
 * root, needs an init container per language to inject auto-instrumentation, and broader IAM.
 * (The X-Ray daemon is in maintenance mode: https://docs.aws.amazon.com/xray/latest/devguide/xray-daemon-eos.html.)
 *
 * @see https://aws-otel.github.io/docs/setup/ecs/task-definition-for-ecs-fargate
 * @see https://github.com/aws-observability/aws-otel-collector (cmd/awscollector/Dockerfile, pkg/config/config_factory.go, cmd/healthcheck)
 */
import {
  Duration,
  Stack,
  Token,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_iam as iam,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { IMicroserviceEnvironment } from '../environment/environment-interface';
import { requireEndpoint } from '../environment/environment-support';
import { acknowledge } from '../private/acknowledge';
import { environmentName as nameOfEnvironment } from '../private/naming';

/** The collector's container name. */
export const COLLECTOR_CONTAINER = 'otel-collector';

/** The collector's image: ADOT collector, pinned (release of 2026-07-13). */
export const COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.49.0';

/** The collector's user in its image (`USER aoc`, uid 4317). */
const COLLECTOR_USER = '4317';

/**
 * What the collector takes of the task: a hard memory limit and a CPU reservation (CPU units;
 * 1024 = one vCPU). The collector of traces only (OTLP in, batch, X-Ray out) stays well under
 * this; its memory_limiter keeps it at 80% of the limit.
 */
export const COLLECTOR_MEMORY_MIB = 128;
export const COLLECTOR_CPU_UNITS = 64;

/** The least memory the app container must keep. */
export const APP_MIN_MEMORY_MIB = 256;

/** The OTLP endpoint (HTTP) the app's SDK exports to: the collector in the same task. */
export const OTLP_ENDPOINT = 'http://localhost:4318';

/** What tracing needs from the service. */
export interface TracingOptions {
  readonly environment: IMicroserviceEnvironment;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly app: ecs.ContainerDefinition;
  readonly serviceName: string;
  /** The release (RELEASE_ID), for `service.version`. */
  readonly release: string;
  /** The share of root traces sampled (0 to 1); a parent's decision is followed. */
  readonly sampleRatio: number;
  readonly image: ecs.ContainerImage;
  readonly logGroup: logs.ILogGroup;
  readonly streamPrefix: string;
}

/** The variable of the OpenTelemetry resource attributes. */
export const RESOURCE_ATTRIBUTES = 'OTEL_RESOURCE_ATTRIBUTES';

/**
 * The resource attributes of a traced service's spans: its environment (the environment's
 * construct path) and the release it runs (`service.version`, what RELEASE_ID says). A canary
 * rollout rewrites them with RELEASE_ID in the task definition it registers.
 */
export function resourceAttributes(environmentName: string, release: string): string {
  return `${resourceAttributesPrefix(environmentName)}${release}`;
}

/** The resource attributes up to the release. */
export function resourceAttributesPrefix(environmentName: string): string {
  return `deployment.environment=${environmentName},service.version=`;
}

/** The collector's configuration (YAML as JSON, which YAML reads): OTLP on localhost, X-Ray out. */
export function collectorConfig(region: string): string {
  return JSON.stringify({
    extensions: { health_check: { endpoint: '127.0.0.1:13133' } },
    receivers: { otlp: { protocols: { grpc: { endpoint: '127.0.0.1:4317' }, http: { endpoint: '127.0.0.1:4318' } } } },
    processors: {
      memory_limiter: { check_interval: '1s', limit_mib: Math.floor(COLLECTOR_MEMORY_MIB * 0.8), spike_limit_mib: Math.floor(COLLECTOR_MEMORY_MIB * 0.2) },
      resourcedetection: { detectors: ['env', 'ecs'], timeout: '2s', override: false },
      batch: { timeout: '1s' },
    },
    exporters: { awsxray: { region } },
    service: {
      extensions: ['health_check'],
      pipelines: { traces: { receivers: ['otlp'], processors: ['memory_limiter', 'resourcedetection', 'batch'], exporters: ['awsxray'] } },
    },
  });
}

/**
 * The OpenTelemetry variables of the app container: its service name, the environment and the
 * release as resource attributes, the collector as OTLP endpoint, W3C and X-Ray propagation,
 * parent-based ratio sampling; metrics and logs are not exported through OTLP (the service's
 * logs go to CloudWatch Logs, its metrics come from ECS and the load balancer).
 */
export function otelVariables(o: { serviceName: string; environmentName: string; release: string; sampleRatio: number }): { [name: string]: string } {
  return {
    OTEL_SERVICE_NAME: o.serviceName,
    [RESOURCE_ATTRIBUTES]: resourceAttributes(o.environmentName, o.release),
    OTEL_EXPORTER_OTLP_ENDPOINT: OTLP_ENDPOINT,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_PROPAGATORS: 'tracecontext,baggage,xray',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: String(o.sampleRatio),
    OTEL_METRICS_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  };
}

/**
 * Adds the collector to the service's task definition, its variables to the app container and
 * what the collector calls to the task role (X-Ray only), and asks the environment for the X-Ray
 * interface endpoint when it creates endpoints.
 */
export function addTracing(scope: Construct, o: TracingOptions): ecs.ContainerDefinition {
  const region = Stack.of(scope).region;
  const collector = o.taskDefinition.addContainer(COLLECTOR_CONTAINER, {
    image: o.image,
    // Traces fail open: a collector that stops does not stop the task.
    essential: false,
    memoryLimitMiB: COLLECTOR_MEMORY_MIB,
    cpu: COLLECTOR_CPU_UNITS,
    user: COLLECTOR_USER,
    readonlyRootFilesystem: true,
    privileged: false,
    environment: { AOT_CONFIG_CONTENT: collectorConfig(region) },
    healthCheck: {
      command: ['CMD', '/healthcheck'],
      interval: Duration.seconds(10),
      timeout: Duration.seconds(5),
      retries: 3,
      startPeriod: Duration.seconds(10),
    },
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: `${o.streamPrefix}-${COLLECTOR_CONTAINER}`, logGroup: o.logGroup }),
  });
  // The app starts once the collector has started (not once healthy: traces never hold the app back).
  o.app.addContainerDependencies({ container: collector, condition: ecs.ContainerDependencyCondition.START });
  const environmentName = nameOfEnvironment(o.environment);
  const variables = otelVariables({ serviceName: o.serviceName, environmentName, release: o.release, sampleRatio: o.sampleRatio });
  for (const [name, value] of Object.entries(variables)) o.app.addEnvironment(name, value);
  // What the collector calls with the configuration above: its awsxray exporter sends segments
  // (PutTraceSegments). Nothing else: the exporter's telemetry (PutTelemetryRecords) is off by
  // default, and no awsproxy extension or awsxray receiver serves X-Ray remote sampling
  // (GetSamplingRules/Targets); the app samples by ratio. The action has no resource type or
  // condition key of its own: '*' is the only resource
  // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html).
  // test/contract/tracing-permissions.test.ts derives the calls from the configuration.
  o.taskDefinition.taskRole.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'ExportTraces',
    actions: ['xray:PutTraceSegments'],
    resources: ['*'],
  }));
  acknowledge(o.taskDefinition.taskRole, [{
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'The tracing collector exports to X-Ray with PutTraceSegments, which has no resource type (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html), so * is the only resource.',
  }]);
  requireEndpoint(o.environment, ec2.InterfaceVpcEndpointAwsService.XRAY);
  return collector;
}

/** Why tracing cannot be added to a task of `memoryMiB` (with `reservedMiB` taken by other containers), if it cannot. */
export function tracingSizeProblem(memoryMiB: number, reservedMiB: number): string | undefined {
  if (!Token.isUnresolved(memoryMiB) && memoryMiB - reservedMiB - COLLECTOR_MEMORY_MIB < APP_MIN_MEMORY_MIB) {
    return `\`tracing\` needs ${COLLECTOR_MEMORY_MIB} MiB of the task for its collector and leaves the app ${memoryMiB - reservedMiB - COLLECTOR_MEMORY_MIB} MiB, less than ${APP_MIN_MEMORY_MIB}; `
      + `give the task at least ${APP_MIN_MEMORY_MIB + COLLECTOR_MEMORY_MIB + reservedMiB} MiB (\`memoryMiB\`), or turn tracing off`;
  }
  return undefined;
}
