import { Duration, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CountedDashboard, CountedWidget, alarmStatus, dashboardNameProblem, graphs, text } from './dashboard-support';
import { serviceWidgets, subscriptionsUnder } from './service-widgets';
import { CanaryDeployment } from '../deployment/canary-deployment';
import { slotAlarmPeriod } from '../deployment/slot-alarms';
import { Problems, show } from '../private/validation';

const CLASS = 'CanaryDashboard';
/** Each slot takes half the dashboard's 24 columns. */
const SLOT_WIDTH = 12;

/**
 * Properties of a `CanaryDashboard`.
 */
export interface CanaryDashboardProps {
  /** The canary deployment whose slots and rollouts the dashboard shows. */
  readonly canary: CanaryDeployment;

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
 * A CloudWatch dashboard of a canary deployment: the weight of each slot and the step of the
 * rollout over time (`metricWeight`, `metricStep`), rollouts succeeded and failed, the alarms
 * that roll a rollout back, then the blue and green slots side by side with each slot's golden
 * signals (requests, target 5XX rate, p50/p90/p99 target response time, unhealthy targets, CPU
 * and memory, running vs desired tasks, error log lines). The 5XX rate, p99 latency and
 * unhealthy targets are graphed from the definitions the slots' alarms use, at their period.
 *
 * @example
 * declare const canary: CanaryDeployment;
 *
 * new CanaryDashboard(this, 'UsersDashboard', { canary, dashboardName: 'store-users-canary' });
 */
export class CanaryDashboard extends Construct {
  /** The canary shown. */
  public readonly canary: CanaryDeployment;
  /** The CloudWatch dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: CanaryDashboardProps) {
    super(scope, id);
    const p = Problems.ofConstruction(CLASS, this);
    const canary = props?.canary;
    p.when(!(canary instanceof CanaryDeployment), `\`canary\` ${show(canary)} is not a CanaryDeployment`);
    p.addAll([dashboardNameProblem(props?.dashboardName)]);
    p.throwIfAny();
    this.canary = canary;

    const counted = new CountedDashboard(this, CLASS, props.dashboardName,
      'show fewer subscriptions of the slots, or show each slot on a ServiceDashboard');
    this.dashboard = counted.dashboard;
    counted.addRow(text([
      `# ${canary.canaryName}`,
      `Canary deployment \`${canary.node.path}\` of ${canary.url}: blue on the left, green on the right. `
      + `Operate it with \`npx cdk-microservices rollout status --canary ${canary.canaryName}\`.`,
    ].join('\n'), 24, 2));
    counted.addRow(...this.rolloutWidgets());
    counted.addColumns(...canary.slots.map((slot) => serviceWidgets(slot, subscriptionsUnder(slot), {
      width: SLOT_WIDTH,
      titlePrefix: `${slot === canary.blue ? 'blue' : 'green'}: `,
      period: slotAlarmPeriod(slot),
    })));
  }

  private rolloutWidgets(): CountedWidget[] {
    const canary = this.canary;
    const period = Duration.minutes(1);
    const rollbackAlarms = [canary.blueAlarm, canary.greenAlarm, ...canary.alarms].filter((a): a is cloudwatch.IAlarm => a !== undefined);
    return [
      ...graphs({
        title: 'Traffic weight (%)',
        left: [
          canary.metricWeight('blue', { period, label: 'blue' }),
          canary.metricWeight('green', { period, label: 'green' }),
        ],
        right: [canary.metricStep({ period, label: 'Step' })],
        leftYAxis: { min: 0, max: 100 },
        rightYAxis: { min: 0 },
        width: 12,
      }),
      ...graphs({
        title: 'Rollouts',
        left: [
          canary.metricRolloutsSucceeded({ period: Duration.hours(1), label: 'Succeeded' }),
          canary.metricRolloutsFailed({ period: Duration.hours(1), label: 'Failed' }),
        ],
        leftYAxis: { min: 0 },
        width: 6,
      }),
      ...alarmStatus('Alarms that roll a rollout back', rollbackAlarms, 6),
    ];
  }
}
