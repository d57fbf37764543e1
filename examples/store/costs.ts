/**
 * What the reference app costs to run before it serves a request: the FIXED monthly charges of
 * each stack, counted from its synthesized CloudFormation template and priced with the dated
 * table docs/costs/prices-us-east-1.json (730 hours a month).
 *
 * Fixed: what AWS charges while a resource exists (NAT gateways, load balancer hours, interface
 * endpoint AZ-hours, public IPv4 addresses, WAF web ACLs and rules, KMS keys, alarms,
 * dashboards, hosted zones, secrets, advanced parameters, Fargate tasks at the service's
 * minimum count). Usage: what traffic or activity decides (LCUs, data processed, requests,
 * Config rule evaluations, log ingestion and storage, DynamoDB on-demand, Lambda, Step
 * Functions, SQS, SNS, S3): listed with their unit price, never in a total.
 *
 * Pure functions over templates and the price table: no AWS call, no file read but
 * `loadPriceTable`. A counted resource whose price the table lacks throws.
 */
import * as fs from 'fs';
import * as path from 'path';

/** One entry of the price table. */
export interface PriceEntry {
  readonly description: string;
  /** USD per unit (0 for an allowance). */
  readonly usd: number;
  /** What `usd` is per: `hour` (times 730 a month), `month`, `GB`, `evaluation`, ... */
  readonly unit: string;
  /** `fixed` (charged while the resource exists), `usage`, or `allowance` (a free-tier quantity). */
  readonly kind: 'fixed' | 'usage' | 'allowance';
  /** The free quantity of an allowance. */
  readonly quantity?: number;
  /** When the figure was recorded (YYYY-MM-DD). */
  readonly date: string;
  /** The AWS pricing page that is authoritative for the figure. */
  readonly source: string;
  /** Where the figure was read. */
  readonly found: string;
  /** `aws-page`, `secondary` (a third-party page quoting it) or `unverified`. */
  readonly verification: 'aws-page' | 'secondary' | 'unverified';
}

/** The dated price table (docs/costs/prices-<region>.json). */
export interface PriceTable {
  readonly region: string;
  readonly currency: string;
  readonly hoursPerMonth: number;
  /** The date the table was recorded. */
  readonly recorded: string;
  readonly entries: { readonly [key: string]: PriceEntry };
}

/** The table the example uses. */
export const PRICE_TABLE_FILE = path.join(__dirname, '..', '..', 'docs', 'costs', 'prices-us-east-1.json');

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const VERIFICATIONS = ['aws-page', 'secondary', 'unverified'];
const KINDS = ['fixed', 'usage', 'allowance'];

/** The table `raw` as a PriceTable; throws with every problem found (an entry without a source URL or a date, ...). */
export function validatePriceTable(raw: unknown): PriceTable {
  const problems: string[] = [];
  const t = raw as Partial<PriceTable> | undefined;
  if (!t || typeof t !== 'object') throw new Error('The price table is not an object');
  if (typeof t.region !== 'string') problems.push('region: missing');
  if (t.currency !== 'USD') problems.push('currency: must be USD');
  if (typeof t.hoursPerMonth !== 'number' || t.hoursPerMonth <= 0) problems.push('hoursPerMonth: must be a positive number');
  if (typeof t.recorded !== 'string' || !DATE.test(t.recorded)) problems.push('recorded: must be a date YYYY-MM-DD');
  if (!t.entries || typeof t.entries !== 'object' || Object.keys(t.entries).length === 0) problems.push('entries: none');
  for (const [key, e] of Object.entries(t.entries ?? {})) {
    const entry = e as Partial<PriceEntry>;
    if (typeof entry.usd !== 'number' || entry.usd < 0 || !Number.isFinite(entry.usd)) problems.push(`${key}: usd must be a number >= 0`);
    if (typeof entry.unit !== 'string' || entry.unit === '') problems.push(`${key}: unit missing`);
    if (!KINDS.includes(entry.kind as string)) problems.push(`${key}: kind must be one of ${KINDS.join(', ')}`);
    if (entry.kind === 'allowance' && typeof entry.quantity !== 'number') problems.push(`${key}: an allowance needs a quantity`);
    if (typeof entry.date !== 'string' || !DATE.test(entry.date)) problems.push(`${key}: date must be YYYY-MM-DD`);
    if (typeof entry.source !== 'string' || !/^https:\/\/aws\.amazon\.com\/\S+$/.test(entry.source)) {
      problems.push(`${key}: source must be the URL of an AWS pricing page (https://aws.amazon.com/...)`);
    }
    if (typeof entry.found !== 'string' || entry.found === '') problems.push(`${key}: found (where the figure was read) missing`);
    if (!VERIFICATIONS.includes(entry.verification as string)) problems.push(`${key}: verification must be one of ${VERIFICATIONS.join(', ')}`);
  }
  if (problems.length > 0) throw new Error(`The price table is invalid:\n  ${problems.join('\n  ')}`);
  return t as PriceTable;
}

/** Reads and validates a price table (by default the example's). */
export function loadPriceTable(file: string = PRICE_TABLE_FILE): PriceTable {
  return validatePriceTable(JSON.parse(fs.readFileSync(file, 'utf8')));
}

/** The entry `key` of the table; throws when the table has none (a counted resource must have a price). */
export function priceOf(prices: PriceTable, key: string): PriceEntry {
  const entry = prices.entries[key];
  if (!entry) {
    throw new Error(`No price '${key}' in the price table (${prices.region}, ${prices.recorded}): add it to docs/costs/prices-${prices.region}.json with its source`);
  }
  return entry;
}

/** USD a month of one unit of the entry: hourly prices times the table's hours a month. */
export function monthlyUnitPrice(prices: PriceTable, key: string): number {
  const e = priceOf(prices, key);
  if (e.kind !== 'fixed') throw new Error(`Price '${key}' is ${e.kind}, not a fixed monthly charge`);
  if (e.unit === 'hour') return e.usd * prices.hoursPerMonth;
  if (e.unit === 'month') return e.usd;
  throw new Error(`Price '${key}' is per ${e.unit}: a fixed charge is per hour or per month`);
}

// ---------------------------------------------------------------------------------------------
// Templates

/** A resource of a synthesized template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: { readonly [key: string]: any };
}

/** What is read of a synthesized template. */
export interface Template {
  readonly Resources?: { readonly [logicalId: string]: TemplateResource };
}

function resourcesOf(template: Template, type: string): Array<[string, TemplateResource]> {
  return Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === type);
}

/** A logical id without its 8-character hash (`UsersCanaryBlueServiceC772C44C` -> `UsersCanaryBlueService`). */
export function readableId(logicalId: string): string {
  return logicalId.replace(/[0-9A-F]{8}$/, '');
}

/** How many items a template list holds (a literal array), or undefined (a token). */
function listLength(value: unknown): number | undefined {
  return Array.isArray(value) ? value.length : undefined;
}

/** Alarm metrics of one alarm, and whether it is high resolution (a period under 60 s). */
export function alarmMetrics(alarm: TemplateResource): { metrics: number; highResolution: boolean } {
  const p = alarm.Properties ?? {};
  if (Array.isArray(p.Metrics)) {
    const stats = p.Metrics.filter((m: any) => m.MetricStat);
    // An anomaly detection alarm is billed for its metric and the two bands of the model.
    const anomaly = p.Metrics.some((m: any) => typeof m.Expression === 'string' && m.Expression.includes('ANOMALY_DETECTION_BAND'));
    return {
      metrics: Math.max(1, stats.length) * (anomaly ? 3 : 1),
      highResolution: stats.some((m: any) => Number(m.MetricStat.Period) < 60),
    };
  }
  return { metrics: 1, highResolution: Number(p.Period ?? 60) < 60 };
}

/** A Fargate service at its minimum task count. */
export interface FargateTasks {
  /** The service's logical id without its hash. */
  readonly service: string;
  /** Tasks at the minimum: the scalable target's MinCapacity, else DesiredCount, else 1. */
  readonly tasks: number;
  readonly vcpu: number;
  readonly memoryGb: number;
  readonly arch: 'x86' | 'arm';
  /** Of `tasks`, how many run on FARGATE_SPOT (the capacity provider strategy's share; may be fractional). */
  readonly spotTasks: number;
  /** Ephemeral storage beyond the 20 GB included, per task. */
  readonly extraStorageGb: number;
}

/** Everything the estimate counts in one template. */
export interface Inventory {
  readonly natGateways: number;
  /** Public IPv4 addresses: Elastic IPs, one per AZ of each internet-facing load balancer, one per public task. */
  readonly publicIpv4: number;
  readonly applicationLoadBalancers: number;
  readonly networkLoadBalancers: number;
  /** Interface endpoints times the AZs (subnets) each is in. */
  readonly interfaceEndpointAzs: number;
  readonly interfaceEndpoints: number;
  readonly gatewayEndpoints: number;
  readonly webAcls: number;
  readonly webAclRules: number;
  readonly kmsKeys: number;
  readonly configRules: number;
  readonly alarmMetrics: number;
  readonly highResolutionAlarmMetrics: number;
  readonly compositeAlarms: number;
  /** Alarms Application Auto Scaling creates for target tracking policies (not in the template), in alarm metrics. */
  readonly targetTrackingAlarmMetrics: number;
  readonly dashboards: number;
  /** Route 53 hosted zones, including the one each Cloud Map DNS namespace creates. */
  readonly hostedZones: number;
  readonly healthChecks: number;
  readonly secrets: number;
  readonly advancedParameters: number;
  readonly onDemandTables: number;
  readonly provisionedTables: number;
  readonly logGroups: number;
  readonly fargate: FargateTasks[];
  /** Services the estimate cannot price (EC2 launch type, Windows): named, never silently dropped. */
  readonly unpriced: string[];
}

/** The minimum task count of a service: its scalable target's MinCapacity, else DesiredCount, else 1 (ECS's default). */
function minTasks(template: Template, serviceId: string, service: TemplateResource): number {
  const target = resourcesOf(template, 'AWS::ApplicationAutoScaling::ScalableTarget')
    .find(([, t]) => t.Properties?.ScalableDimension === 'ecs:service:DesiredCount'
      && JSON.stringify(t.Properties?.ResourceId ?? '').includes(`"${serviceId}"`));
  if (target && typeof target[1].Properties?.MinCapacity === 'number') return target[1].Properties.MinCapacity;
  const desired = service.Properties?.DesiredCount;
  return typeof desired === 'number' ? desired : 1;
}

/**
 * Of `tasks`, how many a capacity provider strategy puts on FARGATE_SPOT: the base goes to its
 * provider first, the rest is shared by weight (ECS rounds per task; the estimate keeps the share).
 */
export function spotShare(strategy: Array<{ CapacityProvider: string; Weight?: number; Base?: number }>, tasks: number): number {
  let remaining = tasks;
  let spot = 0;
  for (const s of strategy) {
    const base = Math.min(remaining, s.Base ?? 0);
    remaining -= base;
    if (s.CapacityProvider === 'FARGATE_SPOT') spot += base;
  }
  const total = strategy.reduce((sum, s) => sum + (s.Weight ?? 0), 0);
  if (total > 0) {
    spot += remaining * strategy.filter((s) => s.CapacityProvider === 'FARGATE_SPOT').reduce((sum, s) => sum + (s.Weight ?? 0), 0) / total;
  }
  return spot;
}

function fargateOf(template: Template, unpriced: string[]): FargateTasks[] {
  const out: FargateTasks[] = [];
  for (const [id, service] of resourcesOf(template, 'AWS::ECS::Service')) {
    const p = service.Properties ?? {};
    const strategy: any[] | undefined = p.CapacityProviderStrategy;
    const launchType = p.LaunchType ?? (strategy ? undefined : 'FARGATE');
    if (launchType !== undefined && launchType !== 'FARGATE') {
      unpriced.push(`${readableId(id)} (launch type ${launchType})`);
      continue;
    }
    if (strategy?.some((s) => !['FARGATE', 'FARGATE_SPOT'].includes(s.CapacityProvider))) {
      unpriced.push(`${readableId(id)} (capacity providers ${strategy.map((s) => s.CapacityProvider).join(', ')})`);
      continue;
    }
    const taskDefinitionId = p.TaskDefinition?.Ref;
    const taskDefinition = taskDefinitionId ? template.Resources?.[taskDefinitionId] : undefined;
    if (!taskDefinition) throw new Error(`The task definition of ${id} is not in its template: the estimate cannot size it`);
    const td = taskDefinition.Properties ?? {};
    const os = td.RuntimePlatform?.OperatingSystemFamily ?? 'LINUX';
    if (os !== 'LINUX') {
      unpriced.push(`${readableId(id)} (${os})`);
      continue;
    }
    const tasks = minTasks(template, id, service);
    const storage = Number(td.EphemeralStorage?.SizeInGiB ?? 20);
    out.push({
      service: readableId(id),
      tasks,
      vcpu: Number(td.Cpu) / 1024,
      memoryGb: Number(td.Memory) / 1024,
      arch: td.RuntimePlatform?.CpuArchitecture === 'ARM64' ? 'arm' : 'x86',
      spotTasks: strategy ? spotShare(strategy, tasks) : 0,
      extraStorageGb: Math.max(0, storage - 20),
    });
  }
  return out;
}

/** Whether a load balancer faces the internet, and the AZs (subnets) it spans. */
function publicAddressesOf(lb: TemplateResource): number {
  const p = lb.Properties ?? {};
  if (p.Scheme === 'internal') return 0;
  return listLength(p.SubnetMappings) ?? listLength(p.Subnets) ?? 2;
}

/** Counts what the estimate prices in one template. */
export function inventory(template: Template): Inventory {
  const unpriced: string[] = [];
  const lbs = resourcesOf(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
  const typeOf = (lb: TemplateResource) => lb.Properties?.Type ?? 'application';
  const endpoints = resourcesOf(template, 'AWS::EC2::VPCEndpoint');
  const interfaceEndpoints = endpoints.filter(([, e]) => e.Properties?.VpcEndpointType === 'Interface');
  const webAcls = resourcesOf(template, 'AWS::WAFv2::WebACL');
  const alarms = resourcesOf(template, 'AWS::CloudWatch::Alarm').map(([, a]) => alarmMetrics(a));
  const fargate = fargateOf(template, unpriced);
  const publicTasks = resourcesOf(template, 'AWS::ECS::Service')
    .filter(([, s]) => s.Properties?.NetworkConfiguration?.AwsvpcConfiguration?.AssignPublicIp === 'ENABLED')
    .reduce((sum, [id]) => sum + (fargate.find((f) => f.service === readableId(id))?.tasks ?? 0), 0);
  const targetTracking = resourcesOf(template, 'AWS::ApplicationAutoScaling::ScalingPolicy')
    .filter(([, p]) => p.Properties?.PolicyType === 'TargetTrackingScaling')
    .reduce((sum, [, p]) => {
      const config = p.Properties?.TargetTrackingScalingPolicyConfiguration ?? {};
      const metrics = Array.isArray(config.CustomizedMetricSpecification?.Metrics)
        ? Math.max(1, config.CustomizedMetricSpecification.Metrics.filter((m: any) => m.MetricStat).length) : 1;
      // A high alarm to scale out and, unless scale-in is off, a low alarm to scale in.
      return sum + metrics * (config.DisableScaleIn === true ? 1 : 2);
    }, 0);
  const tables = resourcesOf(template, 'AWS::DynamoDB::Table').concat(resourcesOf(template, 'AWS::DynamoDB::GlobalTable'));
  const onDemand = tables.filter(([, t]) => t.Properties?.BillingMode === 'PAY_PER_REQUEST').length;
  const advanced = resourcesOf(template, 'AWS::SSM::Parameter').filter(([, p]) => p.Properties?.Tier === 'Advanced'
    // Intelligent-Tiering makes a parameter advanced only when it needs to: a policy or a value over 4 KB.
    || (p.Properties?.Tier === 'Intelligent-Tiering' && (p.Properties?.Policies !== undefined
      || (typeof p.Properties?.Value === 'string' && Buffer.byteLength(p.Properties.Value) > 4096)))).length;
  return {
    natGateways: resourcesOf(template, 'AWS::EC2::NatGateway').length,
    publicIpv4: resourcesOf(template, 'AWS::EC2::EIP').length
      + lbs.reduce((sum, [, lb]) => sum + publicAddressesOf(lb), 0) + publicTasks,
    applicationLoadBalancers: lbs.filter(([, lb]) => typeOf(lb) === 'application').length,
    networkLoadBalancers: lbs.filter(([, lb]) => typeOf(lb) === 'network').length,
    interfaceEndpointAzs: interfaceEndpoints.reduce((sum, [, e]) => sum + (listLength(e.Properties?.SubnetIds) ?? 1), 0),
    interfaceEndpoints: interfaceEndpoints.length,
    gatewayEndpoints: endpoints.filter(([, e]) => (e.Properties?.VpcEndpointType ?? 'Gateway') === 'Gateway').length,
    webAcls: webAcls.length,
    webAclRules: webAcls.reduce((sum, [, w]) => sum + (listLength(w.Properties?.Rules) ?? 0), 0),
    kmsKeys: resourcesOf(template, 'AWS::KMS::Key').length + resourcesOf(template, 'AWS::KMS::ReplicaKey').length,
    configRules: resourcesOf(template, 'AWS::Config::ConfigRule').length,
    alarmMetrics: alarms.filter((a) => !a.highResolution).reduce((sum, a) => sum + a.metrics, 0),
    highResolutionAlarmMetrics: alarms.filter((a) => a.highResolution).reduce((sum, a) => sum + a.metrics, 0),
    compositeAlarms: resourcesOf(template, 'AWS::CloudWatch::CompositeAlarm').length,
    targetTrackingAlarmMetrics: targetTracking,
    dashboards: resourcesOf(template, 'AWS::CloudWatch::Dashboard').length,
    hostedZones: resourcesOf(template, 'AWS::Route53::HostedZone').length
      + resourcesOf(template, 'AWS::ServiceDiscovery::PrivateDnsNamespace').length
      + resourcesOf(template, 'AWS::ServiceDiscovery::PublicDnsNamespace').length,
    healthChecks: resourcesOf(template, 'AWS::Route53::HealthCheck').length,
    secrets: resourcesOf(template, 'AWS::SecretsManager::Secret').length,
    advancedParameters: advanced,
    onDemandTables: onDemand,
    provisionedTables: tables.length - onDemand,
    logGroups: resourcesOf(template, 'AWS::Logs::LogGroup').length,
    fargate,
    unpriced,
  };
}

// ---------------------------------------------------------------------------------------------
// Costs

/** One line of a stack's estimate. */
export interface CostLine {
  readonly item: string;
  readonly count: number;
  /** The price table's key. */
  readonly priceKey: string;
  /** The unit price as printed (`$0.045/hour`). */
  readonly unitPrice: string;
  /** USD a month; undefined for a usage line (not in a total). */
  readonly monthly?: number;
}

/** A price readable: at least cents, and the digits a small price needs ($0.0225, $0.00146489). */
export function formatUsd(usd: number): string {
  const digits = usd === 0 || usd >= 0.01 ? 4 : Math.min(8, -Math.floor(Math.log10(usd)) + 3);
  return `$${usd.toFixed(digits).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
}

/** The unit price of an entry, readable. */
export function unitPriceText(prices: PriceTable, key: string): string {
  const e = priceOf(prices, key);
  return `${formatUsd(e.usd)}/${e.unit}${e.verification === 'unverified' ? ' (unverified)' : ''}`;
}

function fixed(prices: PriceTable, item: string, count: number, key: string): CostLine {
  return { item, count, priceKey: key, unitPrice: unitPriceText(prices, key), monthly: count * monthlyUnitPrice(prices, key) };
}

function usage(prices: PriceTable, item: string, count: number, key: string): CostLine {
  return { item, count, priceKey: key, unitPrice: unitPriceText(prices, key) };
}

/** The price keys of Fargate compute for an architecture, on-demand or Spot. */
function fargateKeys(arch: 'x86' | 'arm', spot: boolean): { vcpu: string; gb: string } {
  const prefix = `fargate${spot ? 'Spot' : ''}${arch === 'arm' ? 'Arm' : 'X86'}`;
  return { vcpu: `${prefix}VcpuHour`, gb: `${prefix}GbHour` };
}

/** USD a month of one task of this size. */
export function taskMonthly(prices: PriceTable, vcpu: number, memoryGb: number, arch: 'x86' | 'arm', spot: boolean): number {
  const keys = fargateKeys(arch, spot);
  return vcpu * monthlyUnitPrice(prices, keys.vcpu) + memoryGb * monthlyUnitPrice(prices, keys.gb);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function fargateLines(prices: PriceTable, f: FargateTasks): CostLine[] {
  const size = `${f.vcpu} vCPU / ${f.memoryGb} GB, ${f.arch === 'arm' ? 'ARM' : 'x86'}`;
  const lines: CostLine[] = [];
  const onDemand = f.tasks - f.spotTasks;
  const line = (count: number, spot: boolean): CostLine => {
    const keys = fargateKeys(f.arch, spot);
    const perTask = taskMonthly(prices, f.vcpu, f.memoryGb, f.arch, spot);
    return {
      item: `Fargate ${f.service} (${size}${spot ? ', Spot' : ''}), tasks at minimum`,
      count: round(count),
      priceKey: keys.vcpu,
      unitPrice: `${formatUsd(perTask / prices.hoursPerMonth)}/task-hour${priceOf(prices, keys.vcpu).verification === 'unverified' ? ' (unverified)' : ''}`,
      monthly: count * perTask,
    };
  };
  if (f.tasks === 0) {
    return [{ item: `Fargate ${f.service} (${size}), scales from zero`, count: 0, priceKey: fargateKeys(f.arch, false).vcpu, unitPrice: '-', monthly: 0 }];
  }
  if (onDemand > 0) lines.push(line(onDemand, false));
  if (f.spotTasks > 0) lines.push(line(f.spotTasks, true));
  if (f.extraStorageGb > 0) lines.push(fixed(prices, `Fargate ${f.service} ephemeral storage over 20 GB (GB)`, f.extraStorageGb * f.tasks, 'fargateEphemeralStorageGbHour'));
  return lines;
}

/** The estimate of one template: fixed lines (with a monthly amount), then usage lines. Throws when a counted item has no price. */
export function stackCost(template: Template, prices: PriceTable): CostLine[] {
  const inv = inventory(template);
  const lines: CostLine[] = [];
  const add = (count: number, make: () => CostLine) => {
    if (count > 0) lines.push(make());
  };
  add(inv.natGateways, () => fixed(prices, 'NAT gateway', inv.natGateways, 'natGatewayHour'));
  add(inv.publicIpv4, () => fixed(prices, 'Public IPv4 address (EIP, load balancer AZ, public task)', inv.publicIpv4, 'publicIpv4Hour'));
  add(inv.applicationLoadBalancers, () => fixed(prices, 'Application Load Balancer (hours; LCUs are usage)', inv.applicationLoadBalancers, 'albHour'));
  add(inv.networkLoadBalancers, () => fixed(prices, 'Network Load Balancer (hours; NLCUs are usage)', inv.networkLoadBalancers, 'nlbHour'));
  add(inv.interfaceEndpointAzs, () => fixed(prices, `Interface VPC endpoint x AZ (${inv.interfaceEndpoints} endpoint${inv.interfaceEndpoints > 1 ? 's' : ''})`, inv.interfaceEndpointAzs, 'interfaceEndpointAzHour'));
  add(inv.webAcls, () => fixed(prices, 'WAF web ACL', inv.webAcls, 'wafWebAclMonth'));
  add(inv.webAclRules, () => fixed(prices, 'WAF rule or managed rule group', inv.webAclRules, 'wafRuleMonth'));
  add(inv.kmsKeys, () => fixed(prices, 'KMS customer managed key (first year; rotation adds)', inv.kmsKeys, 'kmsKeyMonth'));
  add(inv.alarmMetrics, () => fixed(prices, 'CloudWatch alarm metric (standard resolution)', inv.alarmMetrics, 'cloudwatchAlarmMetricMonth'));
  add(inv.highResolutionAlarmMetrics, () => fixed(prices, 'CloudWatch alarm metric (high resolution)', inv.highResolutionAlarmMetrics, 'cloudwatchHighResolutionAlarmMetricMonth'));
  add(inv.compositeAlarms, () => fixed(prices, 'CloudWatch composite alarm', inv.compositeAlarms, 'cloudwatchCompositeAlarmMonth'));
  add(inv.targetTrackingAlarmMetrics, () => fixed(prices, 'Target tracking alarm metric (made by Application Auto Scaling)', inv.targetTrackingAlarmMetrics, 'cloudwatchAlarmMetricMonth'));
  add(inv.dashboards, () => fixed(prices, 'CloudWatch dashboard (3 free per account)', inv.dashboards, 'cloudwatchDashboardMonth'));
  add(inv.hostedZones, () => fixed(prices, 'Route 53 hosted zone (incl. Cloud Map DNS namespaces)', inv.hostedZones, 'route53HostedZoneMonth'));
  add(inv.healthChecks, () => fixed(prices, 'Route 53 health check', inv.healthChecks, 'route53HealthCheckMonth'));
  add(inv.secrets, () => fixed(prices, 'Secrets Manager secret', inv.secrets, 'secretsManagerSecretMonth'));
  add(inv.advancedParameters, () => fixed(prices, 'SSM advanced parameter', inv.advancedParameters, 'ssmAdvancedParameterMonth'));
  add(inv.provisionedTables, () => fixed(prices, 'DynamoDB table with provisioned capacity', inv.provisionedTables, 'dynamodbProvisionedCapacity'));
  for (const f of inv.fargate) lines.push(...fargateLines(prices, f));
  if (inv.unpriced.length > 0) throw new Error(`The estimate cannot price ${inv.unpriced.join(', ')}: add their prices to costs.ts and the table`);
  // Usage: listed with the price that applies, never in a total.
  add(inv.natGateways, () => usage(prices, 'NAT gateway data processed (GB)', inv.natGateways, 'natGatewayGb'));
  add(inv.applicationLoadBalancers, () => usage(prices, 'ALB capacity units (LCU-hours)', inv.applicationLoadBalancers, 'albLcuHour'));
  add(inv.networkLoadBalancers, () => usage(prices, 'NLB capacity units (NLCU-hours)', inv.networkLoadBalancers, 'nlbNlcuHour'));
  add(inv.interfaceEndpoints, () => usage(prices, 'Interface endpoint data processed (GB)', inv.interfaceEndpoints, 'interfaceEndpointGb'));
  add(inv.webAcls, () => usage(prices, 'WAF requests inspected (millions)', inv.webAcls, 'wafMillionRequests'));
  add(inv.configRules, () => usage(prices, 'AWS Config rule (charged per evaluation)', inv.configRules, 'configRuleEvaluation'));
  add(inv.logGroups, () => usage(prices, 'Log group (ingestion per GB; storage per GB-month)', inv.logGroups, 'cloudwatchLogsIngestionGb'));
  return lines;
}

/** The fixed monthly total of lines (usage lines have none). */
export function monthlyTotal(lines: CostLine[]): number {
  return lines.reduce((sum, l) => sum + (l.monthly ?? 0), 0);
}

/** What the account's free tier takes off the fixed total of all stacks, if nothing else in the account uses it. */
export function freeTierCredit(inventories: Inventory[], prices: PriceTable): number {
  const alarms = inventories.reduce((sum, i) => sum + i.alarmMetrics + i.targetTrackingAlarmMetrics, 0);
  const dashboards = inventories.reduce((sum, i) => sum + i.dashboards, 0);
  const freeAlarms = Math.min(alarms, priceOf(prices, 'cloudwatchFreeAlarmMetrics').quantity ?? 0);
  const freeDashboards = Math.min(dashboards, priceOf(prices, 'cloudwatchFreeDashboards').quantity ?? 0);
  return (freeAlarms > 0 ? freeAlarms * monthlyUnitPrice(prices, 'cloudwatchAlarmMetricMonth') : 0)
    + (freeDashboards > 0 ? freeDashboards * monthlyUnitPrice(prices, 'cloudwatchDashboardMonth') : 0);
}

// ---------------------------------------------------------------------------------------------
// Options that save money

/** The interface endpoints `createVpcEndpoints` always creates (src/environment/vpc-endpoints.ts, BASE_ENDPOINTS). */
export const BASE_ENDPOINT_SERVICES = ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'ssm', 'kms'];

/** The AZs of a template's VPC: the distinct AvailabilityZone of its subnets (2 when they are tokens). */
export function availabilityZones(template: Template): number {
  const zones = new Set(resourcesOf(template, 'AWS::EC2::Subnet').map(([, s]) => JSON.stringify(s.Properties?.AvailabilityZone)));
  return zones.size > 0 ? zones.size : 2;
}

/** A NAT gateway (with its address) against the interface endpoints that would replace it, a month. */
export interface NatVersusEndpoints {
  readonly natGateways: number;
  readonly natMonthly: number;
  readonly endpoints: number;
  readonly azs: number;
  readonly endpointsMonthly: number;
  /** natMonthly - endpointsMonthly: negative when the endpoints cost more. */
  readonly saving: number;
  /** GB a month through the NAT gateway above which the endpoints' lower per-GB price pays for them. */
  readonly breakEvenGb: number;
}

/** What `createVpcEndpoints` (no NAT gateway, `endpoints` interface endpoints per AZ) would change for the VPC of `template`. */
export function natVersusEndpoints(template: Template, endpoints: number, prices: PriceTable): NatVersusEndpoints {
  const inv = inventory(template);
  const azs = availabilityZones(template);
  const natMonthly = inv.natGateways * (monthlyUnitPrice(prices, 'natGatewayHour') + monthlyUnitPrice(prices, 'publicIpv4Hour'));
  const endpointsMonthly = endpoints * azs * monthlyUnitPrice(prices, 'interfaceEndpointAzHour');
  const perGb = priceOf(prices, 'natGatewayGb').usd - priceOf(prices, 'interfaceEndpointGb').usd;
  const extra = endpointsMonthly - natMonthly;
  return {
    natGateways: inv.natGateways,
    natMonthly,
    endpoints,
    azs,
    endpointsMonthly,
    saving: natMonthly - endpointsMonthly,
    breakEvenGb: extra > 0 && perGb > 0 ? extra / perGb : 0,
  };
}

/** What putting `spotShareOfTasks` of the on-demand tasks on FARGATE_SPOT would save a month. */
export function spotSaving(fargate: FargateTasks[], spotShareOfTasks: number, prices: PriceTable): number {
  return fargate.reduce((sum, f) => {
    const onDemand = f.tasks - f.spotTasks;
    const move = Math.max(0, Math.min(onDemand, f.tasks * spotShareOfTasks - f.spotTasks));
    return sum + move * (taskMonthly(prices, f.vcpu, f.memoryGb, f.arch, false) - taskMonthly(prices, f.vcpu, f.memoryGb, f.arch, true));
  }, 0);
}

/** What running the x86 tasks on ARM (Graviton) would save a month, on-demand and Spot alike. */
export function armSaving(fargate: FargateTasks[], prices: PriceTable): number {
  return fargate.filter((f) => f.arch === 'x86').reduce((sum, f) => {
    const onDemand = f.tasks - f.spotTasks;
    return sum
      + onDemand * (taskMonthly(prices, f.vcpu, f.memoryGb, 'x86', false) - taskMonthly(prices, f.vcpu, f.memoryGb, 'arm', false))
      + f.spotTasks * (taskMonthly(prices, f.vcpu, f.memoryGb, 'x86', true) - taskMonthly(prices, f.vcpu, f.memoryGb, 'arm', true));
  }, 0);
}

/** USD a month of alarm resources (metric and composite alarms). */
export function alarmsMonthly(alarms: TemplateResource[], prices: PriceTable): number {
  return alarms.reduce((sum, a) => {
    if (a.Type === 'AWS::CloudWatch::CompositeAlarm') return sum + monthlyUnitPrice(prices, 'cloudwatchCompositeAlarmMonth');
    const m = alarmMetrics(a);
    return sum + m.metrics * monthlyUnitPrice(prices, m.highResolution ? 'cloudwatchHighResolutionAlarmMetricMonth' : 'cloudwatchAlarmMetricMonth');
  }, 0);
}

/** The fixed charges that grow with each AZ of a template: interface endpoint ENIs and internet-facing load balancer addresses. */
export function perAzMonthly(template: Template, prices: PriceTable): number {
  const azs = availabilityZones(template);
  const lbAddresses = resourcesOf(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').reduce((sum, [, lb]) => sum + publicAddressesOf(lb), 0);
  return (inventory(template).interfaceEndpointAzs / azs) * monthlyUnitPrice(prices, 'interfaceEndpointAzHour')
    + (lbAddresses / azs) * monthlyUnitPrice(prices, 'publicIpv4Hour');
}

/** USD a month of Fargate tasks at their minimum, on-demand and Spot. */
export function fargateMonthly(fargate: FargateTasks[], prices: PriceTable): number {
  return fargate.reduce((sum, f) => sum + (f.tasks - f.spotTasks) * taskMonthly(prices, f.vcpu, f.memoryGb, f.arch, false)
    + f.spotTasks * taskMonthly(prices, f.vcpu, f.memoryGb, f.arch, true), 0);
}

// ---------------------------------------------------------------------------------------------
// The summary's section

/** A stack to estimate. */
export interface StackTemplate {
  readonly app: string;
  readonly stack: string;
  readonly template: Template;
}

/** Alarms an option would remove (`defaultAlarms: false` on a subscription or a canary). */
export interface AlarmGroup {
  /** The construct (`Workers/EmailWorker/Signups`). */
  readonly owner: string;
  /** The change (`defaultAlarms: false`). */
  readonly option: string;
  /** What the alarms are for, so the reader weighs the saving. */
  readonly tradeOff: string;
  readonly alarms: TemplateResource[];
}

function table(rows: string[][], rightAligned: number[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((cell, i) => (rightAligned.includes(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd()).join('\n');
}

function amount(n: number): string {
  return n.toFixed(2);
}

/**
 * The section "What it costs to run" of the example's summary: a line per fixed cost item of
 * each stack, its total, the total of every app, the usage items, and the options that save
 * money with how much.
 */
export function costSection(stacks: StackTemplate[], prices: PriceTable, alarmGroups: AlarmGroup[] = []): string {
  const out: string[] = [`What it costs to run (fixed, ${prices.region}, prices of ${prices.recorded})`];
  const rows = [['app', 'stack', 'item', 'count', 'unit price', 'monthly USD']];
  const usageRows = [['app', 'stack', 'usage item', 'count', 'unit price']];
  let overall = 0;
  const inventories: Inventory[] = [];
  for (const s of stacks) {
    const lines = stackCost(s.template, prices);
    inventories.push(inventory(s.template));
    const fixedLines = lines.filter((l) => l.monthly !== undefined);
    let first = true;
    for (const l of fixedLines) {
      rows.push([first ? s.app : '', first ? s.stack : '', l.item, String(l.count), l.unitPrice, amount(l.monthly!)]);
      first = false;
    }
    const total = monthlyTotal(lines);
    overall += total;
    rows.push([first ? s.app : '', first ? s.stack : '', 'total', '', '', amount(total)]);
    for (const l of lines.filter((x) => x.monthly === undefined)) usageRows.push([s.app, s.stack, l.item, String(l.count), l.unitPrice]);
  }
  const credit = freeTierCredit(inventories, prices);
  rows.push(['all apps', '', 'total', '', '', amount(overall)]);
  if (credit > 0) {
    rows.push(['', '', 'free tier (10 alarm metrics, 3 dashboards), if the account uses it for nothing else', '', '', `-${amount(credit)}`]);
    rows.push(['', '', 'total with the free tier', '', '', amount(overall - credit)]);
  }
  out.push(table(rows, [3, 5]));
  out.push('', 'Usage (priced by traffic or activity; not in the totals)', table(usageRows, [3]));
  out.push('Also usage only: DynamoDB on-demand tables, S3, SQS, SNS, Lambda, Step Functions, Firehose, ECR storage, AWS Backup,',
    'Config configuration items (recorded by the account\'s recorder) and the running tasks above their minimum.');

  // Options that save money.
  const opts: string[] = [];
  const natStacks = stacks.filter((s) => inventory(s.template).natGateways > 0);
  const endpointServices = new Set<string>();
  for (const s of stacks) {
    if (inventory(s.template).natGateways > 0) continue;
    for (const [, e] of resourcesOf(s.template, 'AWS::EC2::VPCEndpoint')) {
      const name = e.Properties?.ServiceName;
      if (e.Properties?.VpcEndpointType === 'Interface' && typeof name === 'string' && /^com\.amazonaws\.[a-z0-9-]+\./.test(name)) {
        endpointServices.add(name.replace(/^com\.amazonaws\.[a-z0-9-]+\./, ''));
      }
    }
  }
  const services = endpointServices.size > 0 ? [...endpointServices] : BASE_ENDPOINT_SERVICES;
  for (const s of natStacks) {
    const c = natVersusEndpoints(s.template, services.length, prices);
    const verdict = c.saving >= 0
      ? `saves ${amount(c.saving)} a month`
      : `costs ${amount(-c.saving)} a month MORE (fixed), and pays for itself only above ${Math.round(c.breakEvenGb)} GB a month through the NAT gateway`
        + ` (${formatUsd(priceOf(prices, 'natGatewayGb').usd)}/GB there against ${formatUsd(priceOf(prices, 'interfaceEndpointGb').usd)}/GB through an endpoint)`;
    opts.push(`- No NAT gateway with VPC endpoints (\`createVpcEndpoints: true\`) in ${s.app}/${s.stack}: ${c.natGateways} NAT gateway and its address`
      + ` ${amount(c.natMonthly)} against at least ${c.endpoints} interface endpoints (${services.join(', ')}) x ${c.azs} AZs ${amount(c.endpointsMonthly)}: ${verdict};`
      + ' each AWS service the tasks call adds an endpoint, and tasks lose the internet.');
  }
  const fargate = stacks.flatMap((s) => inventory(s.template).fargate.map((f) => ({ ...f, where: `${s.app}/${s.stack}` })));
  const running = fargate.filter((f) => f.tasks > 0);
  const half = spotSaving(running, 0.5, prices);
  if (half > 0) {
    const onDemandNames = running.filter((f) => f.spotTasks < f.tasks).map((f) => `${f.where}/${f.service}`);
    opts.push(`- Fargate Spot weight equal to FARGATE's (half of the tasks at the minimum on Spot) for ${onDemandNames.join(', ')}:`
      + ` saves ${amount(half)} a month; all on Spot saves ${amount(spotSaving(running, 1, prices))} (Spot prices unverified; tasks may be stopped with 2 minutes' notice).`);
  }
  const arm = armSaving(running, prices);
  if (arm > 0) {
    const x86 = running.filter((f) => f.arch === 'x86');
    opts.push(`- ARM (Graviton, \`cpuArchitecture: ARM64\`) instead of x86 for the ${x86.length} services that run at their minimum:`
      + ` saves ${amount(arm)} a month (${Math.round((arm / fargateMonthly(x86, prices)) * 100)}% of their Fargate cost); the images must be built for linux/arm64.`);
  }
  for (const g of alarmGroups) {
    const monthly = alarmsMonthly(g.alarms, prices);
    if (monthly > 0) opts.push(`- \`${g.option}\` on ${g.owner}: ${g.alarms.length} alarms, saves ${amount(monthly)} a month; ${g.tradeOff}.`);
  }
  const perAz = stacks.map((s) => ({ s, monthly: perAzMonthly(s.template, prices) })).filter((x) => x.monthly > 0);
  if (perAz.length > 0) {
    const sum = perAz.reduce((total, x) => total + x.monthly, 0);
    const azs = Math.max(...stacks.filter((s) => resourcesOf(s.template, 'AWS::EC2::Subnet').length > 0).map((s) => availabilityZones(s.template)), 2);
    const detail = `${amount(sum)} a month per AZ (${perAz.map((x) => `${x.s.app}/${x.s.stack} ${amount(x.monthly)}`).join(', ')})`;
    opts.push(azs > 2
      ? `- Fewer AZs: the per-AZ fixed charges (interface endpoint ENIs, internet-facing load balancer addresses) are ${detail}: one AZ fewer saves as much, and a NAT gateway if there is one per AZ.`
      : `- Fewer AZs: the per-AZ fixed charges (interface endpoint ENIs, internet-facing load balancer addresses) are ${detail}; the apps use ${azs} AZs,`
        + ' the fewest an Application Load Balancer accepts, so one AZ fewer is not an option here; each AZ more (`maxAzs: 3`) would add as much, and a NAT gateway per AZ more.');
  }
  if (opts.length > 0) out.push('', 'Options that save money (fixed, a month)', ...opts);

  const entries = Object.values(prices.entries);
  const count = (v: string) => entries.filter((e) => e.verification === v).length;
  out.push('', `Prices: docs/costs/prices-${prices.region}.json, recorded ${prices.recorded}, ${prices.hoursPerMonth} hours a month, list prices without`
    + ` tax, Savings Plans or credits; ${count('aws-page')} figures read on the AWS pricing page, ${count('secondary')} from pages quoting it, ${count('unverified')} unverified.`,
  'Assumed: tasks at each service\'s minimum count; alarms that Application Auto Scaling makes for target tracking policies are billed like others;'
    + ' a metric math alarm is billed per metric it reads; KMS keys in their first year (each rotation adds $1 a month).');
  return out.join('\n');
}
