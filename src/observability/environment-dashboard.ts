import { Duration, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CountedDashboard, CountedWidget, alarmStatus, dashboardNameProblem, graphs, text } from './dashboard-support';
import { alarmsOf, subscriptionsUnder, targetGroupOf, taskWidgets } from './service-widgets';
import { SIGNAL_PERIOD, targetErrorRate } from './signals';
import { CanaryDeployment } from '../deployment/canary-deployment';
import { slotAlarmPeriod } from '../deployment/slot-alarms';
import { IMicroserviceEnvironment } from '../environment/environment-interface';
import { environmentName } from '../private/naming';
import { Problems, kindProblem, show } from '../private/validation';
import { ITwelveFactorService } from '../service/service-interface';
import { isTwelveFactorService } from '../service/twelve-factor-service';

const CLASS = 'EnvironmentDashboard';
const WIDTH = 6;

/**
 * Properties of an `EnvironmentDashboard`.
 */
export interface EnvironmentDashboardProps {
  /** The environment whose services the dashboard shows. */
  readonly environment: IMicroserviceEnvironment;

  /**
   * Services of the environment to show a row each: their alarms, their main signal (target 5XX
   * rate of an HTTP service, backlog per task of a worker), running vs desired tasks and error
   * log lines. Add more with `addService`. A canary's slots are shown with `canaries`.
   *
   * @default - none: only the cluster overview (every service of the cluster, whatever app made it)
   */
  readonly services?: ITwelveFactorService[];

  /**
   * Canary deployments of the environment to show a row each: the slots' weights and 5XX rates
   * and the alarms that roll a rollout back. Add more with `addCanary`.
   *
   * @default - none
   */
  readonly canaries?: CanaryDeployment[];

  /**
   * Show the cluster overview: running tasks and CPU utilization of every service of the
   * environment's cluster, found with CloudWatch `SEARCH` expressions, so that services of other
   * apps (team apps) appear too. Each search counts as 500 metrics towards the dashboard's
   * 2,500 (a search returns up to 500 time series).
   *
   * @default true
   */
  readonly clusterOverview?: boolean;

  /**
   * The dashboard's name: 1 to 255 letters, digits, '-' and '_', unique in the account (dashboards
   * are global: not per Region).
   *
   * @default - a name CloudFormation generates from the logical id
   * @see https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-dashboard.html
   */
  readonly dashboardName?: string;
}

/**
 * A CloudWatch dashboard of an environment, every service's health at a glance: the running
 * tasks and CPU of every service of its cluster, then a row for each service and canary added
 * (alarms, 5XX rate or backlog per task, running vs desired tasks, error log lines; the weights
 * of a canary's slots). Graphs that would hold more metrics than CloudWatch takes in a widget
 * are split; a dashboard over CloudWatch's limits is refused at synth.
 *
 * @example
 * declare const env: MicroserviceEnvironment;
 * declare const users: TwelveFactorService;
 *
 * const overview = new EnvironmentDashboard(this, 'Overview', { environment: env, dashboardName: 'store' });
 * overview.addService(users);
 */
export class EnvironmentDashboard extends Construct {
  /** The environment shown. */
  public readonly environment: IMicroserviceEnvironment;
  /** The CloudWatch dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  private readonly shownServices = new Set<ITwelveFactorService>();
  private readonly shownCanaries = new Set<CanaryDeployment>();
  private readonly counted: CountedDashboard;

  constructor(scope: Construct, id: string, props: EnvironmentDashboardProps) {
    super(scope, id);
    const p = Problems.ofConstruction(CLASS, this);
    const env = props?.environment;
    const isEnvironment = typeof env === 'object' && env !== null && typeof (env as IMicroserviceEnvironment).cluster === 'object';
    p.when(!isEnvironment, `\`environment\` ${show(env)} is not an IMicroserviceEnvironment`);
    p.addAll([kindProblem('clusterOverview', props?.clusterOverview, 'boolean'), dashboardNameProblem(props?.dashboardName)]);
    if (isEnvironment) {
      p.addAll(listProblems('services', props.services, (s, where) => serviceProblem(env, s, where)));
      p.addAll(listProblems('canaries', props.canaries, (c, where) => canaryProblem(env, c, where)));
    }
    p.throwIfAny();
    this.environment = env;

    this.counted = new CountedDashboard(this, CLASS, props.dashboardName,
      'show fewer services and canaries on this dashboard and the others on a second EnvironmentDashboard');
    this.dashboard = this.counted.dashboard;
    this.counted.addRow(text(`# Environment ${environmentName(env)}\nEvery service of the cluster, then a row for each service and canary added.`));
    if (props.clusterOverview ?? true) this.counted.addRow(...this.clusterWidgets());
    for (const service of props.services ?? []) this.addService(service);
    for (const canary of props.canaries ?? []) this.addCanary(canary);
  }

  /** The services shown a row each. */
  public get services(): ITwelveFactorService[] {
    return [...this.shownServices];
  }

  /** The canaries shown a row each. */
  public get canaries(): CanaryDeployment[] {
    return [...this.shownCanaries];
  }

  /**
   * Shows a service of the environment in a row. Adding one already shown is a no-op.
   */
  public addService(service: ITwelveFactorService): void {
    Problems.throwAll(CLASS, this, [serviceProblem(this.environment, service, '`addService`')]);
    if (this.shownServices.has(service)) return;
    this.shownServices.add(service);
    const subscriptions = subscriptionsUnder(service);
    const targetGroup = targetGroupOf(service);
    const options = { width: WIDTH, titlePrefix: `${service.serviceName}: ` };
    // One graph per subscription: the expressions of two would share their inputs' ids.
    const main: CountedWidget[] = targetGroup
      ? graphs({ title: `${options.titlePrefix}target 5XX rate (%)`, left: [targetErrorRate(targetGroup)], width: WIDTH, leftYAxis: { min: 0 } })
      : subscriptions.flatMap((s) => graphs({
        title: `${options.titlePrefix}backlog per task${subscriptions.length > 1 ? ` (${s.topic.name})` : ''}`,
        left: [s.metricBacklogPerTask({ label: s.topic.name })],
        width: WIDTH,
        leftYAxis: { min: 0 },
      }));
    this.counted.addRow(
      ...alarmStatus(`${options.titlePrefix}alarms`, alarmsOf(service, subscriptions), WIDTH),
      ...main,
      ...taskWidgets(service, options),
      ...graphs({ title: `${options.titlePrefix}error log lines`, left: [service.metricErrors({ label: 'Error log lines' })], width: WIDTH }),
    );
  }

  /**
   * Shows a canary deployment of the environment in a row. Adding one already shown is a no-op.
   */
  public addCanary(canary: CanaryDeployment): void {
    Problems.throwAll(CLASS, this, [canaryProblem(this.environment, canary, '`addCanary`')]);
    if (this.shownCanaries.has(canary)) return;
    this.shownCanaries.add(canary);
    const prefix = `${canary.canaryName}: `;
    const rollback = [canary.blueAlarm, canary.greenAlarm, ...canary.alarms].filter((a): a is cloudwatch.IAlarm => a !== undefined);
    this.counted.addRow(
      ...alarmStatus(`${prefix}alarms that roll back`, rollback, WIDTH),
      ...graphs({
        title: `${prefix}traffic weight (%)`,
        left: [canary.metricWeight('blue', { period: SIGNAL_PERIOD, label: 'blue' }), canary.metricWeight('green', { period: SIGNAL_PERIOD, label: 'green' })],
        width: WIDTH,
        leftYAxis: { min: 0, max: 100 },
      }),
      // One graph per slot: the two expressions would share their inputs' ids.
      ...canary.slots.flatMap((slot) => graphs({
        title: `${prefix}${slot === canary.blue ? 'blue' : 'green'} target 5XX rate (%)`,
        left: [targetErrorRate(slot.targetGroup!, slotAlarmPeriod(slot))],
        width: WIDTH,
        leftYAxis: { min: 0 },
      })),
    );
  }

  /** Running tasks and CPU of every service of the cluster (SEARCH: services of any app). */
  private clusterWidgets(): CountedWidget[] {
    const cluster = this.environment.cluster.clusterName;
    const search = (namespace: string, metricName: string, label: string) => new cloudwatch.MathExpression({
      expression: `SEARCH('{${namespace},ClusterName,ServiceName} MetricName="${metricName}" ClusterName="${cluster}"', 'Average', 60)`,
      usingMetrics: {},
      label,
      period: Duration.minutes(1),
    });
    return [
      ...graphs({ title: 'Running tasks, every service of the cluster', left: [search('ECS/ContainerInsights', 'RunningTaskCount', '')], width: 12, leftYAxis: { min: 0 } }),
      ...graphs({ title: 'CPU utilization (%), every service of the cluster', left: [search('AWS/ECS', 'CPUUtilization', '')], width: 12, leftYAxis: { min: 0, max: 100 } }),
    ];
  }
}

function listProblems(prop: string, values: unknown, check: (value: unknown, where: string) => string | undefined): string[] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) return [`\`${prop}\` ${show(values)} is not a list`];
  return values.map((v, i) => check(v, `\`${prop}[${i}]\``)).filter((q): q is string => q !== undefined);
}

function serviceProblem(env: IMicroserviceEnvironment, service: unknown, where = '`services`'): string | undefined {
  if (!isTwelveFactorService(service)) return `${where} ${show(service)} is not an ITwelveFactorService`;
  if (service.environment !== env) {
    return `${where} ${service.node.path} runs in the environment ${service.environment.node.path}, not in ${env.node.path}; show it on that environment's dashboard`;
  }
  if (slotOfCanary(service)) return `${where} ${service.node.path} is a slot of a canary deployment; show the canary with \`canaries\` or \`addCanary\``;
  return undefined;
}

function canaryProblem(env: IMicroserviceEnvironment, canary: unknown, where = '`canaries`'): string | undefined {
  if (!(canary instanceof CanaryDeployment)) return `${where} ${show(canary)} is not a CanaryDeployment`;
  if (canary.blue.environment !== env) {
    return `${where} ${canary.node.path} runs in the environment ${canary.blue.environment.node.path}, not in ${env.node.path}; show it on that environment's dashboard`;
  }
  return undefined;
}

function slotOfCanary(service: ITwelveFactorService): boolean {
  const parent = service.node.scope;
  return parent instanceof CanaryDeployment && parent.slots.includes(service as never);
}
