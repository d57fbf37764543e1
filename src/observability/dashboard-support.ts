/**
 * What the three dashboards share: CloudWatch's limits (checked at synth, never at deploy),
 * graphs split to fit them, the dashboard name's rules and its uniqueness in an account.
 * Module-private: not exported from the package.
 */
import { Stack, Token, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { kindProblem, Problems, show } from '../private/validation';

/**
 * CloudWatch's limits of a dashboard. A `DashboardBody` holds 0 to 500 widgets (Dashboard Body
 * Structure and Syntax); a widget graphs up to 500 metrics and a dashboard up to 2,500 across
 * its widgets, counting the metrics a metric math expression reads even when they are not
 * shown (CloudWatch service quotas, "Dashboards"; these quotas cannot be changed); an alarm
 * status widget lists 1 to 100 alarms.
 *
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
 */
export const DASHBOARD_LIMITS = {
  widgets: 500,
  metricsPerWidget: 500,
  metricsPerDashboard: 2500,
  alarmsPerAlarmWidget: 100,
  nameLength: 255,
};

/** A `SEARCH` expression returns up to 500 time series: it counts as 500 metrics. */
const SEARCH_COUNT = 500;

/** A dashboard name: 1 to 255 letters, digits, '-' and '_' (PutDashboard, AWS::CloudWatch::Dashboard). */
const DASHBOARD_NAME = /^[A-Za-z0-9_-]+$/;

/** The problem of a `dashboardName`, if any. */
export function dashboardNameProblem(name: unknown): string | undefined {
  const kind = kindProblem('dashboardName', name, 'string');
  if (kind || name === undefined) return kind;
  const value = name as string;
  if (Token.isUnresolved(value)) return undefined;
  if (value.length < 1 || value.length > DASHBOARD_LIMITS.nameLength || !DASHBOARD_NAME.test(value)) {
    return `\`dashboardName\` ${show(value)} is not a CloudWatch dashboard name; use 1 to ${DASHBOARD_LIMITS.nameLength} letters, digits, '-' and '_'`;
  }
  return undefined;
}

/** The dashboards of an app by name and account (dashboards are global in an account). */
const namesByApp = new WeakMap<IConstruct, Map<string, string>>();

/**
 * The problem when another dashboard of the app already has `name` in the same account
 * (an account that is a token counts as one account), else records `owner` as its holder.
 */
export function claimDashboardName(owner: IConstruct, name: string | undefined): string | undefined {
  if (name === undefined || Token.isUnresolved(name)) return undefined;
  const root = owner.node.root;
  let names = namesByApp.get(root);
  if (!names) {
    names = new Map();
    namesByApp.set(root, names);
  }
  const account = Stack.of(owner).account;
  const key = `${Token.isUnresolved(account) ? '<any account>' : account}/${name}`;
  const holder = names.get(key);
  if (holder !== undefined && holder !== owner.node.path) {
    return `\`dashboardName\` ${show(name)} is already the name of the dashboard ${holder} in the same account (dashboard names are unique in an account, across Regions); give each dashboard its own name`;
  }
  names.set(key, owner.node.path);
  return undefined;
}

/** How many metrics a widget's graph of `metric` counts towards the limits. */
export function metricCount(metric: cloudwatch.IMetric): number {
  if (metric instanceof cloudwatch.MathExpression) {
    if (/\bSEARCH\s*\(/i.test(metric.expression)) return SEARCH_COUNT;
    return 1 + Object.values(metric.usingMetrics).reduce((n, m) => n + metricCount(m), 0);
  }
  return 1;
}

/** Options of the graphs `graphs` makes. */
export interface GraphOptions {
  readonly title: string;
  readonly left: cloudwatch.IMetric[];
  readonly right?: cloudwatch.IMetric[];
  readonly width?: number;
  readonly height?: number;
  readonly leftYAxis?: cloudwatch.YAxisProps;
  readonly rightYAxis?: cloudwatch.YAxisProps;
  readonly leftAnnotations?: cloudwatch.HorizontalAnnotation[];
}

/** A widget with the number of metrics it counts towards the dashboard's limit. */
export interface CountedWidget {
  readonly widget: cloudwatch.IWidget;
  readonly metrics: number;
}

/**
 * One graph, or several (`title (1/3)`...) when its metrics are more than one widget takes:
 * each holds at most 500 counted metrics, in the order given.
 */
export function graphs(options: GraphOptions): CountedWidget[] {
  const all = [
    ...options.left.map((metric) => ({ metric, side: 'left' as const, count: metricCount(metric) })),
    ...(options.right ?? []).map((metric) => ({ metric, side: 'right' as const, count: metricCount(metric) })),
  ];
  const chunks: Array<typeof all> = [];
  let current: typeof all = [];
  let count = 0;
  for (const entry of all) {
    if (current.length > 0 && count + entry.count > DASHBOARD_LIMITS.metricsPerWidget) {
      chunks.push(current);
      current = [];
      count = 0;
    }
    current.push(entry);
    count += entry.count;
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(current);
  return chunks.map((chunk, i) => {
    const left = chunk.filter((e) => e.side === 'left').map((e) => e.metric);
    const right = chunk.filter((e) => e.side === 'right').map((e) => e.metric);
    return {
      metrics: chunk.reduce((n, e) => n + e.count, 0),
      widget: new cloudwatch.GraphWidget({
        title: chunks.length === 1 ? options.title : `${options.title} (${i + 1}/${chunks.length})`,
        left,
        right: right.length > 0 ? right : undefined,
        width: options.width ?? 8,
        height: options.height ?? 6,
        leftYAxis: options.leftYAxis,
        rightYAxis: right.length > 0 ? options.rightYAxis : undefined,
        leftAnnotations: options.leftAnnotations,
      }),
    };
  });
}

/** Alarm status widgets of at most 100 alarms each (none for no alarm). */
export function alarmStatus(title: string, alarms: cloudwatch.IAlarm[], width = 8, height = 6): CountedWidget[] {
  const out: CountedWidget[] = [];
  const max = DASHBOARD_LIMITS.alarmsPerAlarmWidget;
  const parts = Math.ceil(alarms.length / max);
  for (let i = 0; i < parts; i++) {
    out.push({
      metrics: 0,
      widget: new cloudwatch.AlarmStatusWidget({
        title: parts === 1 ? title : `${title} (${i + 1}/${parts})`,
        alarms: alarms.slice(i * max, (i + 1) * max),
        width,
        height,
      }),
    });
  }
  return out;
}

/** A text widget (counts no metric). */
export function text(markdown: string, width = 24, height = 2): CountedWidget {
  return { metrics: 0, widget: new cloudwatch.TextWidget({ markdown, width, height }) };
}

/**
 * The dashboard of one of our constructs: a `cloudwatch.Dashboard` (the construct's `Resource`)
 * checked against CloudWatch's limits when the tree is complete, on its rendered body (widgets
 * a user adds to `dashboard` count too, and `add...` methods may run after the constructor), so a
 * dashboard over them fails the synth, never the deployment.
 */
export class CountedDashboard {
  public readonly dashboard: cloudwatch.Dashboard;

  /**
   * Claims `dashboardName` in the app (refused when another dashboard of the account holds it):
   * create it once every prop is valid, so that a refused dashboard holds no name.
   */
  constructor(private readonly owner: Construct, className: string, dashboardName: string | undefined, private readonly advice: string) {
    const name = Problems.ofConstruction(className, owner);
    name.addAll([claimDashboardName(owner, dashboardName)]);
    name.throwIfAny();
    this.dashboard = new cloudwatch.Dashboard(owner, 'Resource', { dashboardName });
    owner.node.addValidation({ validate: () => this.problems(className) });
  }

  /** Adds one row of widgets (a `cloudwatch.Row`: they wrap at 24 columns). */
  public addRow(...widgets: CountedWidget[]): void {
    if (widgets.length === 0) return;
    this.dashboard.addWidgets(...widgets.map((w) => w.widget));
  }

  /** Adds columns side by side, each a list of widgets one below the other. */
  public addColumns(...columns: CountedWidget[][]): void {
    this.dashboard.addWidgets(new cloudwatch.Row(...columns.map((c) => new cloudwatch.Column(...c.map((w) => w.widget)))));
  }

  /** The limits the dashboard is over, as validation messages naming the construct. */
  private problems(className: string): string[] {
    const cfn = this.dashboard.node.defaultChild as cloudwatch.CfnDashboard;
    const counts = renderedCounts(Stack.of(this.owner).resolve(cfn.dashboardBody));
    const where = `\`${className}\` at ${this.owner.node.path}:`;
    const out: string[] = [];
    if (counts.widgets > DASHBOARD_LIMITS.widgets) {
      out.push(`${where} the dashboard has ${counts.widgets} widgets, more than the ${DASHBOARD_LIMITS.widgets} CloudWatch takes; ${this.advice}`);
    }
    for (const widget of counts.overfull) {
      out.push(`${where} the widget ${show(widget.title)} graphs ${widget.metrics} metrics, more than the ${DASHBOARD_LIMITS.metricsPerWidget} CloudWatch takes in one widget; split it`);
    }
    if (counts.metrics > DASHBOARD_LIMITS.metricsPerDashboard) {
      out.push(`${where} the dashboard graphs ${counts.metrics} metrics (metric math inputs included, a SEARCH counted as ${SEARCH_COUNT}), more than the ${DASHBOARD_LIMITS.metricsPerDashboard} CloudWatch takes in one dashboard; ${this.advice}`);
    }
    return out;
  }
}

/** What a rendered dashboard body holds, as CloudWatch counts it. */
export interface RenderedCounts {
  readonly widgets: number;
  readonly metrics: number;
  readonly overfull: Array<{ title?: string; metrics: number }>;
}

/**
 * Counts the widgets and metrics of a resolved `DashboardBody` (a string, or an `Fn::Join` of
 * strings and intrinsics, each taken as an opaque value): each entry of a widget's `metrics`
 * counts one, a `SEARCH` expression 500.
 */
export function renderedCounts(resolved: unknown): RenderedCounts {
  const body = parseResolvedJson(resolved) as { widgets?: Array<{ properties?: { title?: string; metrics?: unknown[] } }> };
  const widgets = body.widgets ?? [];
  let metrics = 0;
  const overfull: Array<{ title?: string; metrics: number }> = [];
  for (const widget of widgets) {
    const entries = widget.properties?.metrics ?? [];
    const count = entries.reduce((n: number, entry) => n + entryCount(entry), 0);
    metrics += count;
    if (count > DASHBOARD_LIMITS.metricsPerWidget) overfull.push({ title: widget.properties?.title, metrics: count });
  }
  return { widgets: widgets.length, metrics, overfull };
}

function entryCount(entry: unknown): number {
  const first = Array.isArray(entry) ? entry[0] : undefined;
  const expression = typeof first === 'object' && first !== null ? (first as { expression?: unknown }).expression : undefined;
  return typeof expression === 'string' && /\bSEARCH\s*\(/i.test(expression) ? SEARCH_COUNT : 1;
}

/** Parses a resolved JSON string value; an intrinsic becomes "<token>" inside a string, null outside. */
function parseResolvedJson(resolved: unknown): unknown {
  if (typeof resolved === 'string') return JSON.parse(resolved);
  const join = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return {};
  let out = '';
  let inString = false;
  let escaped = false;
  join[1].forEach((part, i) => {
    if (i > 0) out += join[0];
    if (typeof part !== 'string') {
      out += inString ? '<token>' : 'null';
      return;
    }
    for (const ch of part) {
      if (escaped) escaped = false;
      else if (inString && ch === '\\') escaped = true;
      else if (ch === '"') inString = !inString;
      out += ch;
    }
  });
  return JSON.parse(out);
}
