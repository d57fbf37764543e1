import {
  Stack,
  aws_ecs as ecs,
  aws_events as events,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { ITwelveFactorService } from './service-interface';
import { adminTaskNameProblem, fargateSizeProblem } from './service-validation';
import type { TwelveFactorService } from './twelve-factor-service';
import { acknowledge, nagString } from '../private/acknowledge';
import { kindProblem, Problems, show } from '../private/validation';

/**
 * Options of an admin task (twelve-factor XII).
 */
export interface AdminTaskOptions {
  /** The command to run, for example `['node', 'migrate.js']`. */
  readonly command: string[];

  /**
   * Run it on a schedule (EventBridge rule).
   *
   * @default - no schedule: run it by hand with `aws ecs run-task`
   */
  readonly schedule?: events.Schedule;

  /**
   * Task CPU units.
   *
   * @default - the service's CPU
   */
  readonly cpu?: number;

  /**
   * Task memory in MiB.
   *
   * @default - the service's memory
   */
  readonly memoryMiB?: number;
}

/**
 * Properties of an `AdminTask`.
 */
export interface AdminTaskProps extends AdminTaskOptions {
  /**
   * The service whose image, config, secrets, role and network the task uses: a
   * `TwelveFactorService` (the task copies its app container).
   */
  readonly service: ITwelveFactorService;
  /** The admin task's name: lower case letters, digits and hyphens. */
  readonly name: string;
}

/**
 * An admin process (twelve-factor XII): a one-off or scheduled task that runs the service's
 * image with its config, secrets, task role and security group, so it sees exactly what the
 * service sees. Usually created with `service.addAdminTask(...)`.
 *
 * @example
 * declare const users: TwelveFactorService;
 * users.addAdminTask('cleanup', {
 *   command: ['node', 'cleanup.js'],
 *   schedule: events.Schedule.cron({ minute: '0', hour: '3' }),
 * });
 */
export class AdminTask extends Construct {
  /** The task definition to run. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The container running the command. */
  public readonly container: ecs.ContainerDefinition;
  /** The schedule rule, when scheduled. */
  public readonly rule?: events.Rule;
  /** The admin task's name. */
  public readonly name: string;
  /** The command it runs. */
  public readonly command: string[];

  constructor(scope: Construct, id: string, props: AdminTaskProps) {
    super(scope, id);
    const p = Problems.ofConstruction('AdminTask', this);
    // From JavaScript the props or the service may be missing: say so instead of a TypeError.
    if (props === undefined || props === null || typeof props !== 'object') {
      p.add(`props ${show(props)} are missing; pass at least \`service\`, \`name\` and \`command\`, or use service.addAdminTask(name, { command })`);
      p.throwIfAny();
    }
    if (!isService(props.service)) {
      p.add(`\`service\` ${show(props.service)} is not a TwelveFactorService of this library (the admin task copies its app container); pass the service whose image, config and roles the task uses, or use service.addAdminTask(name, { command })`);
    }
    for (const problem of p.any ? adminTaskArgumentProblems(props) : adminTaskProblems(props)) p.add(problem);
    p.throwIfAny();
    const service = props.service as TwelveFactorService;
    const { cpu, memoryMiB } = adminTaskSize(props);

    this.name = props.name;
    this.command = props.command;
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu,
      memoryLimitMiB: memoryMiB,
      taskRole: service.taskRole,
      executionRole: service.executionRole,
      runtimePlatform: {
        cpuArchitecture: service.cpuArchitecture,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.container = service._addAppContainer(this.taskDefinition, `admin-${props.name}`, props.command);
    acknowledge(this.taskDefinition, [{
      id: 'TwelveFactors-IX1',
      reason: 'An admin process (factor XII) runs once to completion: its exit code reports the outcome, and no load balancer or scheduler waits on a health check.',
    }]);

    if (props.schedule) {
      this.rule = new events.Rule(this, 'Schedule', {
        schedule: props.schedule,
        description: `Admin task '${props.name}' of ${service.node.path}`,
      });
      const target = new targets.EcsTask({
        cluster: service.environment.cluster,
        taskDefinition: this.taskDefinition,
        taskCount: 1,
        subnetSelection: service.environment.serviceSubnets,
        securityGroups: [service.securityGroup],
        platformVersion: ecs.FargatePlatformVersion.LATEST,
        launchType: ecs.LaunchType.FARGATE,
      });
      this.rule.addTarget(target);
      // EventBridge tags the tasks it starts; their ids are unknown until they run.
      const cluster = service.environment.cluster;
      const stack = Stack.of(this);
      const taskArns = `arn:${stack.partition}:ecs:${cluster.env.region}:*:task/${cluster.clusterName}/*`;
      acknowledge(this, [{
        id: `AwsSolutions-IAM5[Resource::${nagString(stack, taskArns)}]`,
        reason: 'EventBridge may tag only the tasks it starts in this cluster; task ids are not known before they run.',
      }]);
    }
  }
}

function adminTaskSize(props: AdminTaskProps): { cpu: number; memoryMiB: number } {
  const cpu = props.cpu ?? props.service.taskDefinition.cpu;
  const memoryMiB = props.memoryMiB ?? (props.cpu === undefined ? props.service.taskDefinition.memoryMiB : cpu * 2);
  return { cpu, memoryMiB };
}

/** Whether a value is a TwelveFactorService (checked by shape: the service module imports this one). */
function isService(value: unknown): boolean {
  return value !== null && typeof value === 'object'
    && typeof (value as { _addAppContainer?: unknown })._addAppContainer === 'function'
    && (value as { taskDefinition?: unknown }).taskDefinition instanceof ecs.FargateTaskDefinition;
}

/**
 * Every problem of an admin task's props; `addAdminTask` checks them before it names the
 * construct after the task.
 * @internal
 */
export function adminTaskProblems(props: AdminTaskProps): string[] {
  const problems = adminTaskArgumentProblems(props);
  if (problems.some((x) => x.startsWith('`cpu`') || x.startsWith('`memoryMiB`'))) return problems;
  const { cpu, memoryMiB } = adminTaskSize(props);
  const size = fargateSizeProblem(cpu, memoryMiB);
  if (size) problems.push(size);
  return problems;
}

/** The problems of an admin task's props that need no service: name, command, kinds, schedule. */
function adminTaskArgumentProblems(props: AdminTaskProps): string[] {
  const problems: string[] = [];
  const nameProblem = adminTaskNameProblem(props.name);
  if (nameProblem) problems.push(nameProblem);
  if (!Array.isArray(props.command) || props.command.length === 0 || props.command.some((c) => typeof c !== 'string')) {
    problems.push('`command` must be a non-empty list of strings, for example [\'node\', \'migrate.js\']');
  }
  for (const prop of ['cpu', 'memoryMiB'] as const) {
    const kind = kindProblem(prop, props[prop], 'number');
    if (kind) problems.push(kind);
  }
  if (props.schedule !== undefined && typeof (props.schedule as { expressionString?: unknown }).expressionString !== 'string') {
    problems.push(`\`schedule\` ${show(props.schedule)} is not an events.Schedule; use for example events.Schedule.rate(Duration.days(1))`);
  }
  return problems;
}
