// The fixed monthly cost the example's summary estimates (examples/store/costs.ts): counts taken
// from small synthesized stacks, totals computed from a price table, a price missing from the
// table fails loudly, and the repository's table (docs/costs/prices-us-east-1.json) has a
// source URL and a date for every entry.
import {
  App, Duration, Stack, aws_cloudwatch as cloudwatch, aws_config as config, aws_dynamodb as dynamodb, aws_ec2 as ec2, aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2, aws_kms as kms, aws_route53 as route53, aws_secretsmanager as secretsmanager, aws_ssm as ssm,
  aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Template as Assertions } from 'aws-cdk-lib/assertions';
import {
  alarmMetrics, armSaving, availabilityZones, costSection, inventory, loadPriceTable, monthlyTotal, natVersusEndpoints, PriceEntry,
  PriceTable, spotSaving, spotShare, stackCost, Template, validatePriceTable,
} from '../../examples/store/costs';
import { buildStore } from '../../examples/store/store';

const HOURS = 730;

/** A table of round prices, so that the expected totals are plain arithmetic. */
function testPrices(overrides: { [key: string]: Partial<PriceEntry> | undefined } = {}): PriceTable {
  const entry = (usd: number, unit: string, kind: PriceEntry['kind'] = 'fixed', quantity?: number): PriceEntry => ({
    description: 'test', usd, unit, kind, quantity, date: '2026-12-06', source: 'https://aws.amazon.com/test/pricing/', found: 'test', verification: 'secondary',
  });
  const entries: { [key: string]: PriceEntry } = {
    natGatewayHour: entry(0.1, 'hour'),
    natGatewayGb: entry(0.05, 'GB', 'usage'),
    publicIpv4Hour: entry(0.01, 'hour'),
    albHour: entry(0.02, 'hour'),
    albLcuHour: entry(0.008, 'LCU-hour', 'usage'),
    nlbHour: entry(0.03, 'hour'),
    nlbNlcuHour: entry(0.006, 'NLCU-hour', 'usage'),
    interfaceEndpointAzHour: entry(0.01, 'hour'),
    interfaceEndpointGb: entry(0.01, 'GB', 'usage'),
    wafWebAclMonth: entry(5, 'month'),
    wafRuleMonth: entry(1, 'month'),
    wafMillionRequests: entry(0.6, 'million requests', 'usage'),
    kmsKeyMonth: entry(1, 'month'),
    configRuleEvaluation: entry(0.001, 'evaluation', 'usage'),
    cloudwatchAlarmMetricMonth: entry(0.1, 'month'),
    cloudwatchHighResolutionAlarmMetricMonth: entry(0.3, 'month'),
    cloudwatchCompositeAlarmMonth: entry(0.5, 'month'),
    cloudwatchDashboardMonth: entry(3, 'month'),
    cloudwatchFreeDashboards: entry(0, 'dashboard', 'allowance', 3),
    cloudwatchFreeAlarmMetrics: entry(0, 'alarm metric', 'allowance', 10),
    cloudwatchLogsIngestionGb: entry(0.5, 'GB', 'usage'),
    fargateX86VcpuHour: entry(0.04, 'hour'),
    fargateX86GbHour: entry(0.004, 'hour'),
    fargateArmVcpuHour: entry(0.03, 'hour'),
    fargateArmGbHour: entry(0.003, 'hour'),
    fargateSpotX86VcpuHour: entry(0.012, 'hour'),
    fargateSpotX86GbHour: entry(0.0012, 'hour'),
    fargateSpotArmVcpuHour: entry(0.01, 'hour'),
    fargateSpotArmGbHour: entry(0.001, 'hour'),
    fargateEphemeralStorageGbHour: entry(0.0001, 'hour'),
    route53HostedZoneMonth: entry(0.5, 'month'),
    route53HealthCheckMonth: entry(0.5, 'month'),
    secretsManagerSecretMonth: entry(0.4, 'month'),
    ssmAdvancedParameterMonth: entry(0.05, 'month'),
  };
  for (const [key, o] of Object.entries(overrides)) {
    if (o === undefined) delete entries[key];
    else entries[key] = { ...entries[key], ...o };
  }
  return { region: 'us-east-1', currency: 'USD', hoursPerMonth: HOURS, recorded: '2026-12-06', entries };
}

function templateOf(stack: Stack): Template {
  return Assertions.fromStack(stack).toJSON() as Template;
}

/** A network stack: a VPC of 2 AZs with 1 NAT gateway, an interface and a gateway endpoint, an internet-facing ALB, an internal NLB. */
function networkStack(): { stack: Stack; vpc: ec2.Vpc } {
  const stack = new Stack(new App(), 'Network');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  vpc.addInterfaceEndpoint('Logs', { service: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS });
  vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
  new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true });
  new elbv2.NetworkLoadBalancer(stack, 'Nlb', { vpc, internetFacing: false });
  return { stack, vpc };
}

/** A stack of everything else the estimate counts. */
function everythingStack(): Stack {
  const stack = new Stack(new App(), 'Everything');
  new wafv2.CfnWebACL(stack, 'Acl', {
    scope: 'REGIONAL',
    defaultAction: { allow: {} },
    visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'acl', sampledRequestsEnabled: true },
    rules: ['AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet'].map((name, priority) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: name, sampledRequestsEnabled: true },
    })),
  });
  new kms.Key(stack, 'Key');
  new kms.Key(stack, 'OtherKey');
  const metric = (period: Duration) => new cloudwatch.Metric({ namespace: 'Test', metricName: 'Errors', period });
  const standard = new cloudwatch.Alarm(stack, 'Standard', { metric: metric(Duration.minutes(1)), threshold: 1, evaluationPeriods: 1 });
  new cloudwatch.Alarm(stack, 'HighResolution', { metric: metric(Duration.seconds(10)), threshold: 1, evaluationPeriods: 1 });
  const math = new cloudwatch.Alarm(stack, 'Math', {
    metric: new cloudwatch.MathExpression({ expression: 'a + b', usingMetrics: { a: metric(Duration.minutes(1)), b: metric(Duration.minutes(1)) } }),
    threshold: 1,
    evaluationPeriods: 1,
  });
  new cloudwatch.CompositeAlarm(stack, 'Composite', { alarmRule: cloudwatch.AlarmRule.anyOf(standard, math) });
  new cloudwatch.Dashboard(stack, 'Dashboard');
  new route53.PublicHostedZone(stack, 'Zone', { zoneName: 'example.com' });
  new secretsmanager.Secret(stack, 'Secret');
  new ssm.StringParameter(stack, 'Advanced', { stringValue: 'x', tier: ssm.ParameterTier.ADVANCED });
  new ssm.StringParameter(stack, 'StandardParameter', { stringValue: 'x' });
  new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, billingMode: dynamodb.BillingMode.PAY_PER_REQUEST });
  new config.ManagedRule(stack, 'Rule', { identifier: config.ManagedRuleIdentifiers.VPC_FLOW_LOGS_ENABLED });
  return stack;
}

/** A Fargate service on ARM, 1 vCPU / 2 GB, 5 tasks at least: the first on FARGATE (base 1), the rest 1:3 FARGATE:FARGATE_SPOT. */
function fargateStack(): Stack {
  const stack = new Stack(new App(), 'Fargate');
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Public', subnetType: ec2.SubnetType.PUBLIC }] });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc, enableFargateCapacityProviders: true });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task', {
    cpu: 1024,
    memoryLimitMiB: 2048,
    runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.ARM64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
  });
  taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:latest') });
  const service = new ecs.FargateService(stack, 'Service', {
    cluster,
    taskDefinition,
    assignPublicIp: true,
    vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
    capacityProviderStrategies: [{ capacityProvider: 'FARGATE', base: 1, weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 3 }],
  });
  service.autoScaleTaskCount({ minCapacity: 5, maxCapacity: 10 }).scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 70 });
  return stack;
}

describe('the counts of a template', () => {
  test('NAT gateways, public addresses, load balancers and endpoints of a network', () => {
    const template = templateOf(networkStack().stack);
    expect(inventory(template)).toMatchObject({
      natGateways: 1,
      // The NAT gateway's Elastic IP, and one per AZ of the internet-facing ALB; the internal NLB has none.
      publicIpv4: 1 + 2,
      applicationLoadBalancers: 1,
      networkLoadBalancers: 1,
      interfaceEndpoints: 1,
      interfaceEndpointAzs: 2,
      gatewayEndpoints: 1,
    });
    expect(availabilityZones(template)).toBe(2);
  });

  test('WAF, keys, alarms by resolution and kind, dashboards, zones, secrets, advanced parameters, tables and Config rules', () => {
    expect(inventory(templateOf(everythingStack()))).toMatchObject({
      webAcls: 1,
      webAclRules: 2,
      kmsKeys: 2,
      // The standard alarm (1 metric) and the metric math alarm (2 metrics); the 10-second alarm is high resolution.
      alarmMetrics: 3,
      highResolutionAlarmMetrics: 1,
      compositeAlarms: 1,
      dashboards: 1,
      hostedZones: 1,
      secrets: 1,
      advancedParameters: 1,
      onDemandTables: 1,
      provisionedTables: 0,
      configRules: 1,
    });
  });

  test('a Fargate service at its minimum: size, architecture, Spot share, public addresses and target tracking alarms', () => {
    const inv = inventory(templateOf(fargateStack()));
    expect(inv.fargate).toEqual([{ service: 'Service', tasks: 5, vcpu: 1, memoryGb: 2, arch: 'arm', spotTasks: 3, extraStorageGb: 0 }]);
    // Its tasks have public addresses; its CPU target tracking policy has a high and a low alarm.
    expect(inv.publicIpv4).toBe(5);
    expect(inv.targetTrackingAlarmMetrics).toBe(2);
  });

  test('the Spot share of a capacity provider strategy: the base first, the rest by weight', () => {
    expect(spotShare([{ CapacityProvider: 'FARGATE', Weight: 1 }, { CapacityProvider: 'FARGATE_SPOT', Weight: 1 }], 4)).toBe(2);
    expect(spotShare([{ CapacityProvider: 'FARGATE', Base: 2, Weight: 0 }, { CapacityProvider: 'FARGATE_SPOT', Weight: 1 }], 3)).toBe(1);
    expect(spotShare([{ CapacityProvider: 'FARGATE_SPOT', Base: 1, Weight: 1 }], 1)).toBe(1);
    expect(spotShare([{ CapacityProvider: 'FARGATE', Base: 1, Weight: 1 }], 0)).toBe(0);
  });

  test('an alarm\'s metrics: one, one per metric a math expression reads, three for an anomaly detection band', () => {
    expect(alarmMetrics({ Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'x', Period: 60 } })).toEqual({ metrics: 1, highResolution: false });
    expect(alarmMetrics({ Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'x', Period: 10 } })).toEqual({ metrics: 1, highResolution: true });
    expect(alarmMetrics({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { Metrics: [{ Id: 'm', MetricStat: { Period: 60 } }, { Id: 'band', Expression: 'ANOMALY_DETECTION_BAND(m, 2)' }] },
    })).toEqual({ metrics: 3, highResolution: false });
  });
});

describe('the monthly totals', () => {
  test('each fixed line is count x unit price (hourly prices x 730), the total their sum, usage lines outside it', () => {
    const prices = testPrices();
    const lines = stackCost(templateOf(networkStack().stack), prices);
    const monthly = (item: RegExp) => lines.find((l) => item.test(l.item))!.monthly;
    expect(monthly(/^NAT gateway$/)).toBeCloseTo(0.1 * HOURS);
    expect(monthly(/^Public IPv4/)).toBeCloseTo(3 * 0.01 * HOURS);
    expect(monthly(/^Application Load Balancer/)).toBeCloseTo(0.02 * HOURS);
    expect(monthly(/^Network Load Balancer/)).toBeCloseTo(0.03 * HOURS);
    expect(monthly(/^Interface VPC endpoint/)).toBeCloseTo(2 * 0.01 * HOURS);
    expect(monthlyTotal(lines)).toBeCloseTo((0.1 + 0.03 + 0.02 + 0.03 + 0.02) * HOURS);
    // Data processed and capacity units are usage: priced, not totalled.
    expect(lines.filter((l) => l.monthly === undefined).map((l) => l.priceKey)).toEqual(['natGatewayGb', 'albLcuHour', 'nlbNlcuHour', 'interfaceEndpointGb']);
  });

  test('monthly prices are taken as they are; Config rules are usage', () => {
    const lines = stackCost(templateOf(everythingStack()), testPrices());
    // WAF 5 + 2 rules, 2 keys, 3 standard + 1 high-resolution alarm metrics, 1 composite, 1 dashboard, 1 zone, 1 secret, 1 advanced parameter.
    expect(monthlyTotal(lines)).toBeCloseTo(5 + 2 + 2 + 0.3 + 0.3 + 0.5 + 3 + 0.5 + 0.4 + 0.05);
    const rule = lines.find((l) => l.priceKey === 'configRuleEvaluation')!;
    expect(rule.count).toBe(1);
    expect(rule.monthly).toBeUndefined();
  });

  test('Fargate: on-demand and Spot tasks at the minimum, at the prices of their architecture; ARM and Spot savings', () => {
    const prices = testPrices();
    const template = templateOf(fargateStack());
    const lines = stackCost(template, prices).filter((l) => l.item.startsWith('Fargate'));
    const onDemand = (0.03 * 1 + 0.003 * 2) * HOURS;
    const spot = (0.01 * 1 + 0.001 * 2) * HOURS;
    expect(lines.map((l) => [l.count, l.monthly])).toEqual([[2, expect.closeTo(2 * onDemand)], [3, expect.closeTo(3 * spot)]]);
    const fargate = inventory(template).fargate;
    // All on Spot: the 2 on-demand tasks move.
    expect(spotSaving(fargate, 1, prices)).toBeCloseTo(2 * (onDemand - spot));
    // Already ARM: nothing to save.
    expect(armSaving(fargate, prices)).toBe(0);
    const x86 = [{ ...fargate[0], arch: 'x86' as const }];
    expect(armSaving(x86, prices)).toBeCloseTo(2 * ((0.04 + 0.008) - (0.03 + 0.006)) * HOURS + 3 * ((0.012 + 0.0024) - (0.01 + 0.002)) * HOURS);
  });

  test('a NAT gateway against the endpoints that replace it: the endpoints can cost more, and the break-even traffic is given', () => {
    const c = natVersusEndpoints(templateOf(networkStack().stack), 6, testPrices());
    expect(c.natMonthly).toBeCloseTo((0.1 + 0.01) * HOURS);
    expect(c.endpointsMonthly).toBeCloseTo(6 * 2 * 0.01 * HOURS);
    expect(c.saving).toBeCloseTo((0.11 - 0.12) * HOURS);
    expect(c.breakEvenGb).toBeCloseTo((0.01 * HOURS) / (0.05 - 0.01));
  });

  test('the section: a line per item, a total per stack and overall, the free tier, usage and the options that save money', () => {
    const text = costSection([
      { app: 'net', stack: 'Network', template: templateOf(networkStack().stack) },
      { app: 'all', stack: 'Everything', template: templateOf(everythingStack()) },
      { app: 'tasks', stack: 'Fargate', template: templateOf(fargateStack()) },
    ], testPrices());
    expect(text).toMatch(/^What it costs to run \(fixed, us-east-1, prices of 2026-12-06\)/);
    expect(text.match(/^ +total {2,}\d+\.\d\d$/gm)).toHaveLength(3);
    expect(text).toMatch(/^all apps +total +\d+\.\d\d$/m);
    // 5 standard alarm metrics (3 of alarms, 2 of target tracking), within the 10 free, and the dashboard.
    expect(text).toMatch(/free tier .* -3\.50$/m);
    expect(text).toContain('Usage (priced by traffic or activity; not in the totals)');
    expect(text).toContain('Options that save money');
    expect(text).toMatch(/No NAT gateway with VPC endpoints .* costs \d+\.\d\d a month MORE/);
  });
});

describe('a price missing from the table fails loudly', () => {
  test('a counted resource without its price throws, naming the key and the table', () => {
    expect(() => stackCost(templateOf(networkStack().stack), testPrices({ natGatewayHour: undefined })))
      .toThrow(/No price 'natGatewayHour' in the price table \(us-east-1, 2026-12-06\)/);
  });

  test('a DynamoDB table with provisioned capacity (a fixed charge the table has no price for) throws', () => {
    const stack = new Stack(new App(), 'Provisioned');
    new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING }, billingMode: dynamodb.BillingMode.PROVISIONED });
    expect(() => stackCost(templateOf(stack), testPrices())).toThrow(/No price 'dynamodbProvisionedCapacity'/);
  });

  test('a fixed line priced per GB (not per hour or month) throws', () => {
    expect(() => stackCost(templateOf(networkStack().stack), testPrices({ natGatewayHour: { unit: 'GB' } }))).toThrow(/per GB: a fixed charge is per hour or per month/);
  });
});

describe('the price table of the repository (docs/costs/prices-us-east-1.json)', () => {
  const prices = loadPriceTable();

  test('every entry has a unit price, a unit, the date it was recorded, the AWS pricing page and where the figure was read', () => {
    expect(prices).toMatchObject({ region: 'us-east-1', currency: 'USD', hoursPerMonth: 730, recorded: '2026-12-06' });
    for (const [key, e] of Object.entries(prices.entries)) {
      expect([key, e.source]).toEqual([key, expect.stringMatching(/^https:\/\/aws\.amazon\.com\/[a-z0-9-]+\/pricing\/$/)]);
      expect([key, e.date]).toEqual([key, '2026-12-06']);
      expect([key, e.found.length > 0, typeof e.usd, e.unit.length > 0]).toEqual([key, true, 'number', true]);
      expect(['aws-page', 'secondary', 'unverified']).toContain(e.verification);
    }
  });

  test('it prices everything the estimate can count', () => {
    const stacks = [networkStack().stack, everythingStack(), fargateStack()];
    for (const stack of stacks) expect(() => stackCost(templateOf(stack), prices)).not.toThrow();
  });

  test('a table with an entry without a source URL or a date is refused, each problem named', () => {
    const broken = JSON.parse(JSON.stringify(prices));
    delete broken.entries.natGatewayHour.source;
    broken.entries.albHour.date = 'December';
    broken.entries.kmsKeyMonth.source = 'https://example.com/kms';
    expect(() => validatePriceTable(broken)).toThrow(/natGatewayHour: source must be the URL of an AWS pricing page[\s\S]*albHour: date must be YYYY-MM-DD[\s\S]*kmsKeyMonth: source/);
  });

  test('the reference app is priced, every stack with a total', () => {
    const store = buildStore({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
    const templates = [store.billing, store.platform, store.users, store.workers].map((s) => ({ name: s.stackName, template: templateOf(s) }));
    for (const { template } of templates) expect(monthlyTotal(stackCost(template, prices))).toBeGreaterThan(0);
    // The billing API in its VPC without NAT has 7 interface endpoints in 2 AZs (X-Ray's for its traces); in the store's VPC, those would cost more than its NAT gateway.
    const billing = templates.find((t) => t.name === 'Billing')!.template;
    expect(inventory(billing)).toMatchObject({ natGateways: 0, interfaceEndpoints: 7, interfaceEndpointAzs: 14 });
    const platform = templates.find((t) => t.name === 'Platform')!.template;
    expect(natVersusEndpoints(platform, 6, prices)).toMatchObject({ natGateways: 1, azs: 2, saving: expect.closeTo(36.5 - 87.6) });
  });
});
