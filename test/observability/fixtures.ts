/**
 * Reading dashboards back: the rendered DashboardBody (its Fn::Join parsed, each Ref or GetAtt a
 * placeholder), its widgets by title, and each metric of a widget or an alarm in one canonical
 * shape, so that a test can say "the widget graphs what the alarm evaluates".
 */
import { Stack, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import { parseCfnJson, placeholderOf } from '../deployment/fixtures';

/** The parsed DashboardBody of one of our dashboards (anything with a `dashboard`). */
export function bodyOf(owner: { dashboard: cloudwatch.Dashboard }): any {
  const cfn = owner.dashboard.node.defaultChild as cloudwatch.CfnDashboard;
  return parseCfnJson(Stack.of(owner.dashboard).resolve(cfn.dashboardBody));
}

/** The widget titled `title`; fails listing the titles there are. */
export function widget(body: any, title: string): any {
  const found = body.widgets.filter((w: any) => w.properties?.title === title);
  if (found.length !== 1) throw new Error(`expected one widget '${title}', found ${found.length} among ${body.widgets.map((w: any) => w.properties?.title).join(' | ')}`);
  return found[0];
}

/** The titles of the widgets. */
export function titles(body: any): string[] {
  return body.widgets.map((w: any) => w.properties?.title).filter((t: unknown) => t !== undefined);
}

/** A metric as CloudWatch reads it. */
export interface Signal {
  readonly namespace?: string;
  readonly metricName?: string;
  readonly dimensions?: { [name: string]: string };
  readonly stat?: string;
  readonly period?: number;
  readonly expression?: string;
  readonly inputs?: { [id: string]: Signal };
}

function dims(pairs: Array<[string, unknown]>): { [name: string]: string } {
  const out: { [name: string]: string } = {};
  for (const [name, value] of pairs.sort(([a], [b]) => a.localeCompare(b))) out[name] = flat(value);
  return out;
}

/** A CloudFormation value as the dashboard's JSON holds it: an Fn::Join spliced, each intrinsic a placeholder. */
function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as any)['Fn::Join'];
  if (join && join[0] === '') return (join[1] as unknown[]).map((part) => (typeof part === 'string' ? part : placeholderOf(part))).join('');
  return placeholderOf(value);
}

function widgetMetric(entry: any[]): Signal & { id?: string; label?: string } {
  const options = typeof entry[entry.length - 1] === 'object' ? entry[entry.length - 1] : {};
  if (typeof entry[0] === 'object') return { expression: entry[0].expression, period: entry[0].period ?? 300, label: entry[0].label };
  const values = entry.slice(2, typeof entry[entry.length - 1] === 'object' ? -1 : undefined);
  const pairs: Array<[string, unknown]> = [];
  for (let i = 0; i < values.length; i += 2) pairs.push([values[i], values[i + 1]]);
  return {
    id: options.id,
    label: options.label,
    namespace: entry[0],
    metricName: entry[1],
    dimensions: dims(pairs),
    stat: options.stat ?? 'Average',
    period: options.period ?? 300,
  };
}

/**
 * The signals a metric widget shows: each visible line, a math expression with its hidden inputs
 * (the lines that follow it with an id). `label` picks one line by its label.
 */
export function widgetSignals(w: any): Array<Signal & { label?: string }> {
  const entries = w.properties.metrics.map(widgetMetric);
  const out: Array<Signal & { label?: string }> = [];
  for (const e of entries) {
    if (e.id !== undefined && out.length > 0 && out[out.length - 1].expression !== undefined) {
      const last = out[out.length - 1];
      const { id, label: _label, ...signal } = e;
      (last as any).inputs = { ...(last.inputs ?? {}), [id!]: signal };
      continue;
    }
    const { id: _id, ...signal } = e;
    out.push(signal);
  }
  return out;
}

/** The one signal of a widget (or the one labelled `label`), without its label. */
export function widgetSignal(w: any, label?: string): Signal {
  const signals = widgetSignals(w).filter((s) => label === undefined || s.label === label);
  if (signals.length !== 1) throw new Error(`expected one signal${label ? ` '${label}'` : ''} in '${w.properties.title}', found ${signals.length}`);
  const { label: _l, ...signal } = signals[0] as any;
  return signal;
}

/** What the rendered alarm at `construct` evaluates, in the same shape. */
export function alarmSignal(template: Template, alarm: IConstruct): Signal {
  const stack = Stack.of(alarm);
  const logicalId = stack.getLogicalId((alarm.node.defaultChild ?? alarm) as any);
  const props = template.toJSON().Resources[logicalId].Properties;
  if (props.Metrics) {
    const expr = props.Metrics.find((m: any) => m.Expression !== undefined);
    const inputs: { [id: string]: Signal } = {};
    for (const m of props.Metrics.filter((x: any) => x.MetricStat)) {
      const stat = m.MetricStat;
      inputs[m.Id] = {
        namespace: stat.Metric.Namespace,
        metricName: stat.Metric.MetricName,
        dimensions: dims((stat.Metric.Dimensions ?? []).map((d: any) => [d.Name, d.Value])),
        stat: stat.Stat,
        period: stat.Period,
      };
    }
    return { expression: expr.Expression, period: expr.Period ?? Object.values(inputs)[0]?.period, inputs };
  }
  return {
    namespace: props.Namespace,
    metricName: props.MetricName,
    dimensions: dims((props.Dimensions ?? []).map((d: any) => [d.Name, d.Value])),
    stat: props.ExtendedStatistic ?? props.Statistic,
    period: props.Period,
  };
}

/** Every problem of a failed synth (node.validate of the whole tree). */
export function validationErrors(root: IConstruct): string[] {
  return root.node.findAll().flatMap((c) => c.node.validate());
}
