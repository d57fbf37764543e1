import { Duration, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { alarmSignal, bodyOf, widget, widgetSignal, widgetSignals } from './fixtures';
import { CanaryDashboard, CanaryDeployment, CanaryDeploymentProps } from '../../src';
import { canaryWorld, slotService } from '../deployment/fixtures';

function canary(extra: Partial<CanaryDeploymentProps> = {}) {
  const world = canaryWorld({ certificate: true });
  const users = new CanaryDeployment(world.stack, 'Users', { serviceProps: slotService(world.env), hostedZone: world.zone, recordName: 'users', ...extra });
  return { ...world, users };
}

test.each([
  ['the default period', {}, 60],
  ['alarmPeriod 2 minutes', { alarmPeriod: Duration.minutes(2) }, 120],
])('each slot graphs what its rollback alarms evaluate (%s): 5XX rate, p99 latency, unhealthy targets', (_, extra, period) => {
  const { stack, users } = canary(extra);
  const body = bodyOf(new CanaryDashboard(stack, 'D', { canary: users }));
  const template = Template.fromStack(stack);
  for (const slot of ['blue', 'green']) {
    const alarms = users.node.findChild(slot === 'blue' ? 'BlueAlarms' : 'GreenAlarms');
    const rate = widgetSignal(widget(body, `${slot}: Target 5XX rate (%)`));
    expect(rate).toEqual(alarmSignal(template, alarms.node.findChild('ErrorRate')));
    expect(rate.period).toBe(period);
    expect(widgetSignal(widget(body, `${slot}: Target response time (s)`), 'p99')).toEqual(alarmSignal(template, alarms.node.findChild('Latency')));
    expect(widgetSignal(widget(body, `${slot}: Unhealthy targets`))).toEqual(alarmSignal(template, alarms.node.findChild('UnhealthyHosts')));
  }
});

test('the slots side by side, the weights and the step over time, and the alarms that roll back', () => {
  const { stack, users } = canary();
  const body = bodyOf(new CanaryDashboard(stack, 'D', { canary: users }));
  const blue = body.widgets.filter((w: any) => w.properties?.title?.startsWith('blue: '));
  const green = body.widgets.filter((w: any) => w.properties?.title?.startsWith('green: '));
  expect(blue.length).toBe(8);
  expect(green.map((w: any) => w.properties.title)).toEqual(blue.map((w: any) => w.properties.title.replace('blue', 'green')));
  blue.forEach((w: any, i: number) => {
    expect([w.x, w.width, green[i].x, green[i].width]).toEqual([0, 12, 12, 12]);
    expect(green[i].y).toBe(w.y);
  });
  const weights = widgetSignals(widget(body, 'Traffic weight (%)'));
  expect(weights.map((s) => [s.namespace, s.metricName, s.dimensions, s.stat])).toEqual([
    ['CdkMicroservices/Canary', 'Weight', { Canary: 'Test/Users', Slot: 'blue' }, 'Maximum'],
    ['CdkMicroservices/Canary', 'Weight', { Canary: 'Test/Users', Slot: 'green' }, 'Maximum'],
    ['CdkMicroservices/Canary', 'Step', { Canary: 'Test/Users' }, 'Maximum'],
  ]);
  expect(widget(body, 'Traffic weight (%)').properties.metrics[2].at(-1)).toMatchObject({ yAxis: 'right' });
  expect(widget(body, 'Alarms that roll a rollout back').properties.alarms).toHaveLength(2);
  expect(widgetSignals(widget(body, 'Rollouts')).map((s) => `${s.namespace} ${s.metricName}`)).toEqual([
    'AWS/States ExecutionsSucceeded', 'AWS/States ExecutionsFailed',
  ]);
});

test('without default alarms the signals are graphed at one minute, and the alarms given are the ones that roll back', () => {
  const world = canaryWorld({ certificate: true });
  const own = new cloudwatch.Alarm(world.stack, 'Own', { metric: new cloudwatch.Metric({ namespace: 'Store', metricName: 'Orders' }), threshold: 1, evaluationPeriods: 1 });
  const users = new CanaryDeployment(world.stack, 'Users', {
    serviceProps: slotService(world.env), hostedZone: world.zone, recordName: 'users', defaultAlarms: false, alarms: [own],
  });
  const stack = world.stack;
  const body = bodyOf(new CanaryDashboard(stack, 'D', { canary: users }));
  expect(widgetSignal(widget(body, 'green: Target 5XX rate (%)')).period).toBe(60);
  expect(widget(body, 'Alarms that roll a rollout back').properties.alarms).toEqual([`<GetAtt ${stack.getLogicalId(own.node.defaultChild as any)}.Arn>`]);
  expect(body.widgets.filter((w: any) => w.type === 'alarm').every((w: any) => w.properties.alarms.length > 0)).toBe(true);
});

test.each([
  [{ canary: undefined }, /`canary` undefined is not a CanaryDeployment/],
  [{ canary: 'users' }, /`canary` 'users' is not a CanaryDeployment/],
  [{ dashboardName: 'users canary' }, /`dashboardName` 'users canary' is not a CloudWatch dashboard name/],
])('refused: %p', (bad, message) => {
  const { stack, users } = canary();
  expect(() => new CanaryDashboard(stack, 'D', { canary: users, ...bad } as any)).toThrow(message);
});
