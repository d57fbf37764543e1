import {
  AspectPriority,
  Aspects,
  Duration,
  IAspect,
  Size,
  Stack,
  Token,
  aws_ecs as ecs,
  aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CONTAINER_NAME } from './service-routing';
import { isRootUser } from './service-validation';
import { ServiceVariables } from './service-variables';
import { TwelveFactorServiceProps } from './twelve-factor-service-props';
import { IMicroserviceEnvironment } from '../environment/environment-interface';
import { suppressGuard } from '../private/acknowledge';

const SCRATCH_VOLUME = 'scratch';
const SCRATCH_INIT_CONTAINER = 'scratch-init';
/** The hard memory limit of the scratch volume's init container. */
export const SCRATCH_INIT_MEMORY_MIB = 32;

/** How `addAppContainer` builds a container. */
export interface AppContainerOptions {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly streamPrefix: string;
  readonly props: TwelveFactorServiceProps;
  readonly logGroup: logs.ILogGroup;
  readonly command?: string[];
  readonly variables: ServiceVariables;
  readonly stopTimeout: Duration;
  /** The support log group, created on first use (the scratch volume's init container logs there). */
  readonly supportLogGroup: () => logs.ILogGroup;
  /**
   * Memory of the task kept for other containers of fixed hard limits (the tracing collector).
   * @default 0
   */
  readonly reservedMemoryMiB?: number;
}

/**
 * Adds an app container to a task definition of the service `scope` (the service's or an admin
 * task's): the service's image, config and secrets (`variables`, which then keeps it up to
 * date), read-only root, init process, stop timeout and logs to `logGroup`, and the scratch
 * volume (with its init container) when asked.
 */
export function addAppContainer(scope: Construct, options: AppContainerOptions): ecs.ContainerDefinition {
  const { taskDefinition, streamPrefix, props, logGroup, command, variables } = options;
  const readonlyRoot = props.readonlyRootFilesystem ?? true;
  const container = taskDefinition.addContainer(CONTAINER_NAME, {
    image: props.image,
    command,
    essential: true,
    // The hard limits of the app, the scratch volume's init container and the tracing
    // collector add up to the task's memory, as the app's alone does without them.
    memoryLimitMiB: taskDefinition.memoryMiB - (preparesScratchVolume(props) ? SCRATCH_INIT_MEMORY_MIB : 0) - (options.reservedMemoryMiB ?? 0),
    readonlyRootFilesystem: readonlyRoot,
    privileged: false,
    user: props.user,
    environment: { ...variables.plain },
    secrets: { ...variables.secrets },
    environmentFiles: props.environmentFiles,
    healthCheck: command ? undefined : props.containerHealthCheck,
    stopTimeout: options.stopTimeout,
    linuxParameters: new ecs.LinuxParameters(scope, `LinuxParameters${variables.containers.length || ''}`, {
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
    if (preparesScratchVolume(props)) {
      addScratchInit(taskDefinition, container, streamPrefix, props.scratchVolumePath, props, options.supportLogGroup);
    }
  }
  variables.track(container);
  return container;
}

/**
 * Whether a `scratch-init` container makes the scratch volume writable: asked for, or by
 * default with a non-root `user`.
 */
function preparesScratchVolume(props: TwelveFactorServiceProps): boolean {
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
function addScratchInit(
  taskDefinition: ecs.FargateTaskDefinition,
  app: ecs.ContainerDefinition,
  streamPrefix: string,
  path: string,
  props: TwelveFactorServiceProps,
  supportLogGroup: () => logs.ILogGroup,
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
      logGroup: supportLogGroup(),
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
 * The namespace of the error metrics of an environment's services:
 * `CdkMicroservices/<stack name>/<environment path in its stack>`. A stack's name is unique
 * in its account and Region, and the path within the stack tells its environments apart.
 * Characters CloudWatch does not allow in a namespace become '-'; the result is at most
 * 255 characters.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_Metric.html
 */
export function errorMetricNamespace(env: IMicroserviceEnvironment): string {
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
export function dependOnCapacityProviders(service: ecs.FargateService): void {
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
