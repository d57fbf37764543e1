import { aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CountedDashboard, dashboardNameProblem, text } from './dashboard-support';
import { serviceWidgets, subscriptionWidgets, subscriptionsUnder, targetGroupOf } from './service-widgets';
import { EventSubscription } from '../messaging/event-subscription';
import { environmentName } from '../private/naming';
import { Problems, show } from '../private/validation';
import { ITwelveFactorService } from '../service/service-interface';
import { isTwelveFactorService } from '../service/twelve-factor-service';

const CLASS = 'ServiceDashboard';
const WIDTH = 8;

/**
 * Properties of a `ServiceDashboard`.
 */
export interface ServiceDashboardProps {
  /** The service whose golden signals the dashboard shows. */
  readonly service: ITwelveFactorService;

  /**
   * The subscriptions of a worker to show (backlog per task, oldest message age, dead-letter
   * queues), each a subscription of `service`. Add more with `addSubscription`.
   *
   * @default - the subscriptions under the service when the dashboard is made (those
   * `topic.subscribe(service)` created); one made later under the service is refused at synth
   * until it is added with `addSubscription`
   */
  readonly subscriptions?: EventSubscription[];

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
 * A CloudWatch dashboard of one service's golden signals: its alarms; for an HTTP service
 * requests, target 5XX rate, p50/p90/p99 target response time and unhealthy targets; CPU and
 * memory, running vs desired tasks and error log lines; and for each subscription of a worker
 * its backlog per task (with the scaling target), the age of its oldest message and the depth of
 * its dead-letter queues. Each metric an alarm of the library evaluates is graphed from the same
 * definition the alarm uses. A dashboard over CloudWatch's limits is refused at synth.
 *
 * @example
 * declare const worker: TwelveFactorService;
 * declare const topic: EventTopic;
 *
 * topic.subscribe(worker, { acceptableLatency: Duration.minutes(1) });
 * new ServiceDashboard(this, 'WorkerDashboard', { service: worker, dashboardName: 'store-email-worker' });
 */
export class ServiceDashboard extends Construct {
  /** The service shown. */
  public readonly service: ITwelveFactorService;
  /** The CloudWatch dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  private readonly shown = new Set<EventSubscription>();
  private readonly counted: CountedDashboard;

  constructor(scope: Construct, id: string, props: ServiceDashboardProps) {
    super(scope, id);
    const p = Problems.ofConstruction(CLASS, this);
    const service = props?.service;
    p.when(!isTwelveFactorService(service), `\`service\` ${show(service)} is not an ITwelveFactorService; pass a TwelveFactorService (a canary's slot included)`);
    p.addAll(subscriptionProblems(service, props?.subscriptions));
    p.addAll([dashboardNameProblem(props?.dashboardName)]);
    p.throwIfAny();
    this.service = service;

    this.counted = new CountedDashboard(this, CLASS, props.dashboardName,
      'show fewer subscriptions on this dashboard (`subscriptions`) and the others on a second ServiceDashboard');
    this.dashboard = this.counted.dashboard;
    const kind = targetGroupOf(service) ? 'HTTP service' : 'worker';
    this.counted.addRow(text(`# ${service.serviceName}\n${kind} \`${service.node.path}\` in the environment \`${environmentName(service.environment)}\``));
    const subscriptions = props.subscriptions ?? subscriptionsUnder(service);
    for (const s of subscriptions) this.shown.add(s);
    this.counted.addRow(...serviceWidgets(service, [...this.shown], { width: WIDTH }));
    if (props.subscriptions === undefined) {
      this.node.addValidation({ validate: () => this.subscriptionsMadeLater() });
    }
  }

  /** The subscriptions shown. */
  public get subscriptions(): EventSubscription[] {
    return [...this.shown];
  }

  /**
   * Shows a subscription of the service (its backlog per task, oldest message age and
   * dead-letter queues). Adding one already shown is a no-op.
   */
  public addSubscription(subscription: EventSubscription): void {
    Problems.throwAll(CLASS, this, subscriptionProblems(this.service, [subscription], '`addSubscription`'));
    if (this.shown.has(subscription)) return;
    this.shown.add(subscription);
    this.counted.addRow(...subscriptionWidgets(subscription, { width: WIDTH }));
  }

  /** Subscriptions made under the service after the dashboard, and not added: its widgets would miss them. */
  private subscriptionsMadeLater(): string[] {
    return subscriptionsUnder(this.service).filter((s) => !this.shown.has(s)).map((s) =>
      `\`${CLASS}\` at ${this.node.path}: the subscription ${s.node.path} was made after the dashboard and is not on it; `
      + 'call `addSubscription(subscription)`, make the dashboard after `topic.subscribe(service)`, or list the subscriptions to show in `subscriptions`');
  }
}

/** The problems of a list of subscriptions to show for `service`. */
function subscriptionProblems(service: unknown, subscriptions: unknown, prop = '`subscriptions`'): string[] {
  if (subscriptions === undefined) return [];
  if (!Array.isArray(subscriptions)) return [`${prop} ${show(subscriptions)} is not a list of EventSubscription`];
  const problems: string[] = [];
  subscriptions.forEach((s, i) => {
    const where = prop === '`subscriptions`' ? `\`subscriptions[${i}]\`` : prop;
    if (!(s instanceof EventSubscription)) {
      problems.push(`${where} ${show(s)} is not an EventSubscription; pass what \`topic.subscribe(service)\` returns`);
    } else if (isTwelveFactorService(service) && s.service !== service) {
      problems.push(`${where} ${s.node.path} is a subscription of ${s.service.node.path}, not of the service shown (${service.node.path})`);
    }
  });
  return problems;
}
