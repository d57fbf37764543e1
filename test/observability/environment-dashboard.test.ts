import { App, Stack, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { bodyOf, titles, validationErrors, widget, widgetSignal, widgetSignals } from './fixtures';
import { CanaryDashboard, CanaryDeployment, EnvironmentDashboard, MicroserviceEnvironment, TwelveFactorService } from '../../src';
import { DASHBOARD_LIMITS, graphs, renderedCounts } from '../../src/observability/dashboard-support';
import { canaryWorld, slotService } from '../deployment/fixtures';
import { setup } from '../messaging/fixtures';
import { ENV, IMAGE, importedVpc } from '../service/fixtures';

test('the cluster overview finds every service of the cluster with SEARCH; a row for each service and canary added', () => {
  const world = canaryWorld({ certificate: true });
  const users = new CanaryDeployment(world.stack, 'Users', { serviceProps: slotService(world.env), hostedZone: world.zone, recordName: 'users' });
  const api = new TwelveFactorService(world.stack, 'Api', { environment: world.env, image: IMAGE, port: 8080, hostName: 'api.example.com', user: '1000' });
  const dashboard = new EnvironmentDashboard(world.stack, 'D', { environment: world.env, services: [api], dashboardName: 'test-env' });
  dashboard.addCanary(users);
  dashboard.addCanary(users);
  dashboard.addService(api);
  const body = bodyOf(dashboard);
  const running = widgetSignal(widget(body, 'Running tasks, every service of the cluster'));
  const cluster = `<Ref ${world.stack.getLogicalId(world.env.cluster.node.defaultChild as any)}>`;
  expect(running.expression).toBe(`SEARCH('{ECS/ContainerInsights,ClusterName,ServiceName} MetricName="RunningTaskCount" ClusterName="${cluster}"', 'Average', 60)`);
  expect(widgetSignal(widget(body, 'CPU utilization (%), every service of the cluster')).expression).toContain('{AWS/ECS,ClusterName,ServiceName} MetricName="CPUUtilization"');
  expect(titles(body).slice(2)).toEqual([
    'api: alarms', 'api: target 5XX rate (%)', 'api: Tasks: running vs desired', 'api: error log lines',
    'Test/users: alarms that roll back', 'Test/users: traffic weight (%)', 'Test/users: blue target 5XX rate (%)', 'Test/users: green target 5XX rate (%)',
  ]);
  expect(widgetSignal(widget(body, 'Test/users: green target 5XX rate (%)'))).toEqual(widgetSignal(widget(bodyOf(new CanaryDashboard(world.stack, 'C', { canary: users })), 'green: Target 5XX rate (%)')));
  expect(dashboard.services).toEqual([api]);
  expect(dashboard.canaries).toEqual([users]);
  Template.fromStack(world.stack).hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'test-env' });
});

test('a worker row shows its backlog per task; clusterOverview false leaves the SEARCH out', () => {
  const { stack, env, topic, worker } = setup();
  topic.subscribe(worker);
  const body = bodyOf(new EnvironmentDashboard(stack, 'D', { environment: env, services: [worker], clusterOverview: false }));
  expect(titles(body)).toEqual(['worker: alarms', 'worker: backlog per task', 'worker: Tasks: running vs desired', 'worker: error log lines']);
  expect(widgetSignal(widget(body, 'worker: backlog per task')).expression).toContain('messages / FILL(tasks, 0)');
});

describe('refused', () => {
  test('a service of another environment, a canary slot, not a service, a bad name, in one error', () => {
    const world = canaryWorld({ certificate: true });
    const users = new CanaryDeployment(world.stack, 'Users', { serviceProps: slotService(world.env), hostedZone: world.zone, recordName: 'users' });
    const other = new MicroserviceEnvironment(world.stack, 'Other', { vpc: importedVpc(world.stack, 'OtherVpc') });
    const elsewhere = new TwelveFactorService(world.stack, 'W', { environment: other, image: IMAGE, user: '1000' });
    expect(() => new EnvironmentDashboard(world.stack, 'D', {
      environment: world.env, services: [elsewhere, users.blue, 3 as any], canaries: ['x' as any], dashboardName: 'a/b', clusterOverview: 'yes' as any,
    })).toThrow(new RegExp([
      '^`EnvironmentDashboard` at Test/D:',
      '  - `clusterOverview` \'yes\' is not a boolean',
      '  - `dashboardName` \'a/b\' is not a CloudWatch dashboard name.*',
      '  - `services\\[0\\]` Test/W runs in the environment Test/Other, not in Test/Env.*',
      '  - `services\\[1\\]` Test/Users/Blue is a slot of a canary deployment.*',
      '  - `services\\[2\\]` 3 is not an ITwelveFactorService',
      '  - `canaries\\[0\\]` \'x\' is not a CanaryDeployment$',
    ].join('\n')));
    const dashboard = new EnvironmentDashboard(world.stack, 'D', { environment: world.env });
    expect(() => dashboard.addService(elsewhere)).toThrow(/`addService` Test\/W runs in the environment Test\/Other/);
    expect(() => new EnvironmentDashboard(world.stack, 'E', { environment: {} as any })).toThrow(/`environment` \{\} is not an IMicroserviceEnvironment/);
  });
});

describe("CloudWatch's limits: split or refused at synth, never a failed deploy", () => {
  const metric = (i: number) => new cloudwatch.Metric({ namespace: 'Test', metricName: `M${i}` });

  test('a graph of more metrics than a widget takes is split into graphs of at most 500', () => {
    const split = graphs({ title: 'Many', left: Array.from({ length: 1200 }, (_, i) => metric(i)) });
    expect(split.map((g) => g.metrics)).toEqual([500, 500, 200]);
    const stack = new Stack(new App(), 'S');
    const dashboard = new cloudwatch.Dashboard(stack, 'D');
    dashboard.addWidgets(...split.map((g) => g.widget));
    const body = JSON.parse(JSON.stringify(stack.resolve((dashboard.node.defaultChild as cloudwatch.CfnDashboard).dashboardBody)));
    const counts = renderedCounts(body);
    expect(counts).toEqual({ widgets: 3, metrics: 1200, overfull: [] });
    expect(split.map((g) => (stack.resolve((g.widget as cloudwatch.GraphWidget).toJson()) as any)[0].properties.title)).toEqual(['Many (1/3)', 'Many (2/3)', 'Many (3/3)']);
  });

  test('a math expression counts its inputs; a SEARCH counts 500', () => {
    const expr = new cloudwatch.MathExpression({ expression: 'a + b', usingMetrics: { a: metric(1), b: metric(2) } });
    const search = new cloudwatch.MathExpression({ expression: "SEARCH('{AWS/ECS} CPUUtilization', 'Average', 60)", usingMetrics: {} });
    expect(graphs({ title: 'x', left: [expr] })[0].metrics).toBe(3);
    expect(graphs({ title: 'x', left: [search, expr] }).map((g) => g.metrics)).toEqual([500, 3]);
  });

  function worldWithDashboard() {
    const stack = new Stack(new App(), 'Test', { env: ENV });
    const env = new MicroserviceEnvironment(stack, 'Env', { vpc: importedVpc(stack) });
    return { stack, dashboard: new EnvironmentDashboard(stack, 'D', { environment: env }) };
  }

  test('more than 500 widgets (ours and those a user adds to `dashboard`) fail the synth naming the construct', () => {
    const { stack, dashboard } = worldWithDashboard();
    expect(validationErrors(stack)).toEqual([]);
    const already = bodyOf(dashboard).widgets.length;
    dashboard.dashboard.addWidgets(...Array.from({ length: DASHBOARD_LIMITS.widgets - already }, () => new cloudwatch.TextWidget({ markdown: 'x' })));
    expect(validationErrors(stack)).toEqual([]);
    dashboard.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: 'one too many' }));
    expect(validationErrors(stack)).toEqual([expect.stringMatching(/^`EnvironmentDashboard` at Test\/D: the dashboard has 501 widgets, more than the 500 CloudWatch takes; show fewer services/)]);
    expect(() => Template.fromStack(stack)).toThrow(/501 widgets/);
  });

  test('more than 2,500 metrics in the dashboard, or 500 in a widget a user adds, fail the synth', () => {
    const { stack, dashboard } = worldWithDashboard();
    // The overview's two SEARCH graphs count 1,000.
    for (let i = 0; i < 3; i++) dashboard.dashboard.addWidgets(...graphs({ title: `g${i}`, left: Array.from({ length: 500 }, (_, j) => metric(j)) }).map((g) => g.widget));
    expect(validationErrors(stack)).toEqual([]);
    dashboard.dashboard.addWidgets(new cloudwatch.GraphWidget({ title: 'mine', left: Array.from({ length: 501 }, (_, j) => metric(j)) }));
    expect(validationErrors(stack)).toEqual([
      expect.stringMatching(/^`EnvironmentDashboard` at Test\/D: the widget 'mine' graphs 501 metrics, more than the 500 CloudWatch takes in one widget/),
      expect.stringMatching(/^`EnvironmentDashboard` at Test\/D: the dashboard graphs 3001 metrics .* more than the 2500/),
    ]);
  });
});
