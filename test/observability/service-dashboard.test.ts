import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { alarmSignal, bodyOf, titles, validationErrors, widget, widgetSignal, widgetSignals } from './fixtures';
import { MicroserviceEnvironment, ServiceDashboard, TwelveFactorService } from '../../src';
import { setup } from '../messaging/fixtures';
import { ENV, IMAGE, importedVpc, withEnvironment } from '../service/fixtures';

function httpService() {
  const { stack, env } = withEnvironment();
  const users = new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, port: 8080, hostName: 'users.example.com', user: '1000' });
  return { stack, env, users };
}

describe('an HTTP service', () => {
  test('one dashboard, no physical name by default, with the golden signals of the target group and the tasks', () => {
    const { stack, users } = httpService();
    const dashboard = new ServiceDashboard(stack, 'UsersDashboard', { service: users });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardName).toBeUndefined();
    const body = bodyOf(dashboard);
    expect(titles(body)).toEqual([
      'Alarms', 'Requests', 'Target 5XX rate (%)', 'Target response time (s)', 'Unhealthy targets',
      'CPU and memory utilization (%)', 'Tasks: running vs desired', 'Error log lines',
    ]);
    const tg = users.targetGroup!;
    const tgDim = Stack.of(tg).resolve(tg.targetGroupFullName);
    expect(tgDim).toBeDefined();
    const requests = widgetSignal(widget(body, 'Requests'));
    expect(requests).toMatchObject({ namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', stat: 'Sum', period: 60 });
    expect(Object.keys(requests.dimensions!)).toEqual(['LoadBalancer', 'TargetGroup']);
    const latency = widgetSignals(widget(body, 'Target response time (s)'));
    expect(latency.map((s) => [s.metricName, s.stat])).toEqual([
      ['TargetResponseTime', 'p50'], ['TargetResponseTime', 'p90'], ['TargetResponseTime', 'p99'],
    ]);
    const rate = widgetSignal(widget(body, 'Target 5XX rate (%)'));
    expect(rate.expression).toBe('IF(requests > 0, 100 * FILL(errors, 0) / requests, 0)');
    expect(rate.inputs!.errors).toMatchObject({ metricName: 'HTTPCode_Target_5XX_Count', stat: 'Sum', period: 60 });
    expect(widgetSignals(widget(body, 'CPU and memory utilization (%)')).map((s) => `${s.namespace} ${s.metricName}`))
      .toEqual(['AWS/ECS CPUUtilization', 'AWS/ECS MemoryUtilization']);
    const tasks = widgetSignals(widget(body, 'Tasks: running vs desired'));
    expect(tasks.map((s) => `${s.namespace} ${s.metricName} ${s.stat}`)).toEqual([
      'ECS/ContainerInsights RunningTaskCount Average', 'ECS/ContainerInsights DesiredTaskCount Average',
    ]);
    expect(tasks[0].dimensions).toEqual(tasks[1].dimensions);
    expect(Object.keys(tasks[0].dimensions!)).toEqual(['ClusterName', 'ServiceName']);
  });

  test('the heading names the service and its environment: the name team apps look it up by, else its path', () => {
    const { stack, users } = httpService();
    const heading = (d: ServiceDashboard) => bodyOf(d).widgets[0].properties.markdown;
    expect(heading(new ServiceDashboard(stack, 'UsersDashboard', { service: users }))).toBe(`# users\nHTTP service \`${users.node.path}\` in the environment \`${users.environment.node.path}\``);
    const named = new Stack(new App(), 'Platform', { env: ENV });
    const env = new MicroserviceEnvironment(named, 'Env', { vpc: importedVpc(named), enableTeamApps: true, environmentName: 'store' });
    const api = new TwelveFactorService(named, 'Api', { environment: env, image: IMAGE, user: '1000' });
    expect(heading(new ServiceDashboard(named, 'ApiDashboard', { service: api }))).toMatch(/in the environment `store`$/);
  });

  test('the error log widget graphs what the error alarm evaluates', () => {
    const { stack, users } = httpService();
    const body = bodyOf(new ServiceDashboard(stack, 'D', { service: users }));
    const template = Template.fromStack(stack);
    expect(widgetSignal(widget(body, 'Error log lines'))).toEqual(alarmSignal(template, users.errorAlarm!));
    const alarmId = Stack.of(users).getLogicalId(users.errorAlarm!.node.defaultChild as any);
    expect(widget(body, 'Alarms').properties.alarms).toEqual([`<GetAtt ${alarmId}.Arn>`]);
  });
});

describe('a worker', () => {
  function worker() {
    const world = setup({ minTasks: 0, maxTasks: 4 });
    const subscription = world.topic.subscribe(world.worker, { acceptableLatency: Duration.minutes(1), messageProcessingTime: Duration.seconds(2) });
    return { ...world, subscription };
  }

  test('backlog per task with the scaling target, oldest message age and dead-letter depths; no load balancer widget', () => {
    const { stack, worker: service, subscription } = worker();
    const body = bodyOf(new ServiceDashboard(stack, 'D', { service }));
    expect(titles(body)).toEqual([
      'Alarms', 'CPU and memory utilization (%)', 'Tasks: running vs desired', 'Error log lines',
      'user-signup: backlog per task', 'user-signup: oldest message age (s)', 'user-signup: dead-letter queues',
    ]);
    const backlog = widget(body, 'user-signup: backlog per task');
    expect(backlog.properties.annotations.horizontal).toEqual([{ value: 30, label: 'Scaling target', yAxis: 'left' }]);
    const signal = widgetSignal(backlog);
    expect(signal.expression).toBe('IF(FILL(tasks, 0) > 0, messages / FILL(tasks, 0), messages)');
    expect(signal.inputs!.messages).toMatchObject({ namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', stat: 'Maximum', period: 60 });
    expect(signal.inputs!.tasks).toMatchObject({ namespace: 'ECS/ContainerInsights', metricName: 'RunningTaskCount' });
    expect(subscription.backlogPerTaskTarget).toBe(30);
  });

  test('each subscription widget graphs what its alarm evaluates (oldest message, both dead-letter queues)', () => {
    const { stack, worker: service, subscription } = worker();
    const body = bodyOf(new ServiceDashboard(stack, 'D', { service }));
    const template = Template.fromStack(stack);
    expect(widgetSignal(widget(body, 'user-signup: oldest message age (s)'))).toEqual(alarmSignal(template, subscription.oldestMessageAlarm!));
    const deadLetters = widget(body, 'user-signup: dead-letter queues');
    expect(widgetSignal(deadLetters, 'Dead-letter queue')).toEqual(alarmSignal(template, subscription.deadLetterAlarm!));
    expect(widgetSignal(deadLetters, 'Undeliverable (subscription dead-letter queue)')).toEqual(alarmSignal(template, subscription.subscriptionDeadLetterAlarm!));
    expect(widget(body, 'Alarms').properties.alarms).toHaveLength(4);
  });

  test('a subscription made after the dashboard is refused at synth until it is added; adding twice is a no-op', () => {
    const { stack, bus, worker: service } = setup();
    const dashboard = new ServiceDashboard(stack, 'D', { service });
    const late = bus.addTopic('order-placed').subscribe(service);
    const errors = validationErrors(stack);
    expect(errors).toEqual([expect.stringMatching(/^`ServiceDashboard` at Test\/D: the subscription Test\/Worker\/\S+ was made after the dashboard.*addSubscription/)]);
    dashboard.addSubscription(late);
    dashboard.addSubscription(late);
    expect(validationErrors(stack)).toEqual([]);
    expect(titles(bodyOf(dashboard)).filter((t) => t.startsWith('order-placed:'))).toHaveLength(3);
    expect(dashboard.subscriptions).toEqual([late]);
  });

  test('with `subscriptions` only those are shown, and a later one is not asked for', () => {
    const { stack, bus, topic, worker: service } = setup();
    const shown = topic.subscribe(service);
    bus.addTopic('order-placed').subscribe(service);
    const dashboard = new ServiceDashboard(stack, 'D', { service, subscriptions: [shown] });
    expect(titles(bodyOf(dashboard)).filter((t) => t.includes('-signup:') || t.includes('-placed:'))).toEqual([
      'user-signup: backlog per task', 'user-signup: oldest message age (s)', 'user-signup: dead-letter queues',
    ]);
    expect(validationErrors(stack)).toEqual([]);
  });
});

describe('bad props are refused naming them', () => {
  test.each([
    ['', 'dashboardName'], ['with space', 'dashboardName'], ['a'.repeat(256), 'dashboardName'], ['caf\u00e9', 'dashboardName'], [42, 'dashboardName'],
  ])('dashboardName %p', (name, prop) => {
    const { stack, users } = httpService();
    expect(() => new ServiceDashboard(stack, 'D', { service: users, dashboardName: name as any }))
      .toThrow(new RegExp(`^\`ServiceDashboard\` at Test/D: \`${prop}\``));
    // The refused dashboard left the tree: the id is free again.
    expect(() => new ServiceDashboard(stack, 'D', { service: users, dashboardName: 'a'.repeat(255) })).not.toThrow();
  });

  test('not a service, a subscription of another service, and a bad name, in one error', () => {
    const { stack, topic, users, worker } = setup();
    const other = topic.subscribe(worker);
    expect(() => new ServiceDashboard(stack, 'D', { service: {} as any, dashboardName: 'a b' })).toThrow(/`service` \{\} is not an ITwelveFactorService[\s\S]*`dashboardName`/);
    expect(() => new ServiceDashboard(stack, 'D', { service: users, subscriptions: [other, 'x' as any] }))
      .toThrow(/`subscriptions\[0\]` Test\/Worker\/\S+ is a subscription of Test\/Worker, not of the service shown \(Test\/Users\)[\s\S]*`subscriptions\[1\]` 'x' is not an EventSubscription/);
    const dashboard = new ServiceDashboard(stack, 'D', { service: users });
    expect(() => dashboard.addSubscription(other)).toThrow(/`addSubscription` Test\/Worker\/\S+ is a subscription of Test\/Worker/);
  });

  test('a name taken by another dashboard of the app in the same account is refused; another account may use it', () => {
    const app = new App();
    const a = new Stack(app, 'A', { env: ENV });
    const b = new Stack(app, 'B', { env: ENV });
    const c = new Stack(app, 'C', { env: { ...ENV, account: '222222222222' } });
    const services = [a, b, c].map((stack) => {
      const env = new MicroserviceEnvironment(stack, 'Env', { vpc: importedVpc(stack) });
      return new TwelveFactorService(stack, 'W', { environment: env, image: IMAGE, user: '1000' });
    });
    new ServiceDashboard(a, 'D', { service: services[0], dashboardName: 'store-w' });
    expect(() => new ServiceDashboard(b, 'D', { service: services[1], dashboardName: 'store-w' }))
      .toThrow(/^`ServiceDashboard` at B\/D: `dashboardName` 'store-w' is already the name of the dashboard A\/D in the same account/);
    expect(() => new ServiceDashboard(c, 'D', { service: services[2], dashboardName: 'store-w' })).not.toThrow();
    expect(Template.fromStack(a).findResources('AWS::CloudWatch::Dashboard')).toEqual({
      [Object.keys(Template.fromStack(a).findResources('AWS::CloudWatch::Dashboard'))[0]]: expect.objectContaining({ Properties: expect.objectContaining({ DashboardName: 'store-w' }) }),
    });
  });
});
