import * as fs from 'fs';
import { App, CfnResource, Stack, aws_cloudwatch as cloudwatch, aws_config as config, aws_ec2 as ec2, aws_s3 as s3 } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { IConstruct } from 'constructs';
import { AlarmGroup, costSection, loadPriceTable, TemplateResource } from './costs';
import {
  CanaryDeployment, ComplianceAudit, ComplianceRule, ComplianceRules, EventTopic, IEventTopic, MicroserviceEnvironment, PrivateLinkConsumer,
  PrivateLinkExposure,
  TwelveFactorService,
} from '../../src';

/** CloudFormation's limits per template. */
const MAX_RESOURCES = 500;
const MAX_TEMPLATE_BYTES = 1_000_000;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** The parameter name of an SSM context key (`ssm:account=...:parameterName=<name>:region=...`). */
function parameterOfLookup(key: string): string {
  return /parameterName=(.*?):region=/.exec(key)?.[1].replace(/\$:/g, ':') ?? key;
}

function all<T extends IConstruct>(roots: IConstruct[], guard: (c: IConstruct) => c is T): T[] {
  return roots.flatMap((root) => root.node.findAll().filter(guard));
}

function isEnvironment(c: IConstruct): c is MicroserviceEnvironment {
  return c instanceof MicroserviceEnvironment;
}

function isService(c: IConstruct): c is TwelveFactorService {
  return c instanceof TwelveFactorService;
}

/** A topic of a bus (`EventTopic`) or one imported from another app (`EventTopic.fromEventTopicAttributes`). */
function isTopic(c: IConstruct): c is IEventTopic & IConstruct {
  return c instanceof EventTopic || ['subscribe', 'asBackingService', 'envVarPrefix', 'subscriptions'].every((m) => m in c);
}

function isCanary(c: IConstruct): c is CanaryDeployment {
  return c instanceof CanaryDeployment;
}

function isExposure(c: IConstruct): c is PrivateLinkExposure {
  return c instanceof PrivateLinkExposure;
}

function isRules(c: IConstruct): c is ComplianceRules {
  return c instanceof ComplianceRules;
}

/** What the template says of a bucket's Object Lock. */
function objectLockOf(bucket: s3.CfnBucket): string {
  const retention = (bucket.objectLockConfiguration as s3.CfnBucket.ObjectLockConfigurationProperty | undefined)?.rule as
    s3.CfnBucket.ObjectLockRuleProperty | undefined;
  const days = (retention?.defaultRetention as s3.CfnBucket.DefaultRetentionProperty | undefined);
  if (days) return `${days.mode} ${days.days ?? days.years} ${days.days ? 'days' : 'years'}`;
  return bucket.objectLockEnabled ? 'active, no default retention' : 'off';
}

function isAudit(c: IConstruct): c is ComplianceAudit {
  return c instanceof ComplianceAudit;
}

function isConsumer(c: IConstruct): c is PrivateLinkConsumer {
  return c instanceof PrivateLinkConsumer;
}

/** A value that may hold tokens, readable: the partition as `aws`, other references as `<LogicalId>`. */
function readable(scope: IConstruct, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v.map(render).join('');
    const o = v as { [key: string]: unknown };
    if (o.Ref === 'AWS::Partition') return 'aws';
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    const join = o['Fn::Join'] as [string, unknown[]] | undefined;
    if (join) return join[1].map(render).join(join[0]);
    return '<deploy time>';
  };
  return render(Stack.of(scope).resolve(value));
}

/** A plain-text summary of the synthesized app: stacks, services, then topics. */
/** One synthesized app of the store. */
export interface SynthesizedApp {
  readonly name: string;
  readonly app: App;
  readonly assembly: cxapi.CloudAssembly;
  /** The SSM parameters it read at synth time (context lookups). */
  readonly lookups: string[];
}

/** The parameters a template reads from SSM when it deploys (`valueForStringParameter`). */
function deployTimeParameters(template: { Parameters?: { [id: string]: { Type?: string; Default?: string } } }): string[] {
  return Object.values(template.Parameters ?? {})
    .filter((p) => p.Type?.startsWith('AWS::SSM::Parameter::Value<') && p.Default && !p.Default.startsWith('/cdk-bootstrap/'))
    .map((p) => p.Default!);
}

/** What a template takes from another stack through CloudFormation exports. */
function importValues(template: unknown): number {
  return (JSON.stringify(template).match(/"Fn::ImportValue"/g) ?? []).length;
}

/** The summary of every app of the store. */
export function summarize(apps: SynthesizedApp[]): string {
  const out: string[] = [];
  const stackRows = [['app', 'stack', 'resources', `of ${MAX_RESOURCES}`, 'template KB', `of ${MAX_TEMPLATE_BYTES / 1000}`, 'Fn::ImportValue']];
  for (const { name, assembly } of apps) {
    for (const stack of assembly.stacksRecursively) {
      const bytes = fs.statSync(stack.templateFullPath).size;
      const resources = Object.keys(stack.template.Resources ?? {}).length;
      stackRows.push([
        name,
        stack.hierarchicalId,
        String(resources),
        `${((resources / MAX_RESOURCES) * 100).toFixed(0)}%`,
        (bytes / 1000).toFixed(1),
        `${((bytes / MAX_TEMPLATE_BYTES) * 100).toFixed(1)}%`,
        String(importValues(stack.template)),
      ]);
    }
  }
  out.push('Apps and stacks', table(stackRows), '');

  // What each app takes from the others: SSM parameters only (read at synth or at deploy time).
  const importRows = [['app', 'read at synth (cdk.context.json)', 'read at deploy (SSM parameters)']];
  for (const { name, assembly, lookups } of apps) {
    const atDeploy = [...new Set(assembly.stacksRecursively.flatMap((s) => deployTimeParameters(s.template)))];
    if (lookups.length === 0 && atDeploy.length === 0) continue;
    importRows.push([name, lookups.map(parameterOfLookup).join(', ') || '-', atDeploy.join(', ') || '-']);
  }
  if (importRows.length > 1) out.push('What the team apps take from the platform', table(importRows), '');

  const roots = apps.map((a) => a.app);
  // How each environment's tasks reach AWS: a NAT gateway, or VPC endpoints (named by their ids).
  const environmentRows = [['environment', 'stage', 'egress', 'VPC endpoints']];
  for (const env of all(roots, isEnvironment)) {
    const nat = env.vpc.node.findAll().filter((c) => c instanceof ec2.CfnNatGateway).length;
    const endpoints = env.vpc.node.findAll()
      .filter((c) => c instanceof ec2.InterfaceVpcEndpoint || c instanceof ec2.GatewayVpcEndpoint)
      .map((c) => c.node.id.replace(/Endpoint$/, '') + (c instanceof ec2.GatewayVpcEndpoint ? ' (gateway)' : ''));
    environmentRows.push([
      env.node.path,
      env.stageProfile,
      nat > 0 ? `${nat} NAT gateway${nat > 1 ? 's' : ''}` : 'no NAT gateway',
      endpoints.join(', ') || '-',
    ]);
  }
  out.push('Environments', table(environmentRows), '');

  const services = all(roots, isService);
  const links = new Map(all(roots, isExposure).map((e) => [e.service, e]));
  const serviceRows = [['service', 'exposure', 'discovery', 'tasks', 'size', 'backing services', 'admin tasks']];
  for (const s of services) {
    const canary = s.node.scope instanceof CanaryDeployment ? s.node.scope : undefined;
    const link = links.get(s);
    const exposure = canary ? `${canary.url} (${s.node.id.toLowerCase()} slot)`
      : s.url ?? (link ? `PrivateLink ${link.protocol} :${link.port}` : s.port !== undefined ? `internal :${s.port}` : 'worker (no port)');
    serviceRows.push([
      s.node.path,
      exposure,
      s.discoveryName,
      `${s.minTasks}..${s.maxTasks}${s.scaling ? ' (scaling)' : ''}`,
      `${s.taskDefinition.cpu} CPU / ${s.taskDefinition.memoryMiB} MiB`,
      s.attachments.map((a) => a.description).join(', ') || '-',
      s.adminTaskNames.join(', ') || '-',
    ]);
  }
  out.push('Services', table(serviceRows));

  // Topics of a bus, and topics a team app imported from the platform's bus.
  const topicRows = [['topic', 'kind', 'publishers', 'subscriber', 'filter', 'backlog scaling', 'alarms']];
  for (const topic of all(roots, isTopic)) {
    const publishers = topic.publishers.map((p) => p.node.id).join(', ') || '-';
    const subscriptions = topic.subscriptions.length > 0 ? topic.subscriptions : [undefined];
    const kind = `${topic.fifo ? 'FIFO' : 'standard'}${topic instanceof EventTopic ? '' : ' (imported)'}`;
    for (const sub of subscriptions) {
      topicRows.push([
        topic.node.path,
        kind,
        publishers,
        sub ? `${sub.service.node.id} (${sub.envVarName})` : '-',
        sub?.filterPolicyScope ?? '-',
        sub?.backlogPerTaskTarget !== undefined
          ? `${sub.backlogPerTaskTarget} msgs/task${sub.scaleFromZeroPolicy ? ', from zero' : ''}`
          : '-',
        sub ? String(sub.alarms.length) : topic instanceof EventTopic ? String(topic.alarms.length) : '-',
      ]);
    }
  }
  if (topicRows.length > 1) out.push('', 'Topics', table(topicRows));

  const canaryRows = [['canary', 'name', 'steps', 'planned', 'worst case', 'alarm to rollback', 'alarms', 'started by']];
  for (const c of all(roots, isCanary)) {
    canaryRows.push([
      c.node.path,
      c.domainName,
      c.steps.map((step) => `${step.percent}%/${step.bake.toHumanString()}`).join(' '),
      c.plannedDuration.toHumanString(),
      c.maximumDuration.toHumanString(),
      `<= ${c.rollbackReaction.toHumanString()}`,
      String((c.blueAlarm ? 1 : 0) + c.alarms.length),
      c.pushRule ? 'ECR push, grantStartRollout' : 'grantStartRollout',
    ]);
  }
  if (canaryRows.length > 1) {
    out.push('', 'Canary deployments', table(canaryRows));
    // How an operator runs each canary's rollouts, once its stack is deployed (README, "Operating rollouts").
    for (const c of all(roots, isCanary)) {
      const canary = c.canaryName.includes(' ') ? `'${c.canaryName}'` : c.canaryName;
      out.push('', `Operate the rollouts of ${c.node.path} (a deploy keeps what they made live):`,
        `  npx cdk-microservices rollout start --canary ${canary} --image <repository>:<tag> --wait`,
        `  npx cdk-microservices rollout watch|status|history|approve|abort --canary ${canary}`,
        '  exit codes: 0 succeeded, 10 rolled back, 11 failed, 12 aborted, 13 another rollout holds the lock');
    }
  }

  const linkRows = [['PrivateLink', 'side', 'service or name', 'listener', 'allowed principals', 'acceptance', 'notifications']];
  for (const e of all(roots, isExposure)) {
    linkRows.push([
      e.node.path,
      'provider',
      e.service.node.path,
      `${e.protocol} :${e.port}`,
      e.allowedPrincipalArns.map((arn) => readable(e, arn)).join(', '),
      e.acceptanceRequired ? 'required' : 'automatic',
      e.notificationTopic ? 'SNS' : '-',
    ]);
  }
  for (const c of all(roots, isConsumer)) {
    linkRows.push([
      c.node.path,
      'consumer',
      c.privateDnsEnabled ? `${c.hostName} (private DNS)` : c.record ? `${c.hostName} (private zone)` : 'endpoint DNS name',
      `${c.exposure.protocol} :${c.port}`,
      '-',
      '-',
      '-',
    ]);
  }
  if (linkRows.length > 1) out.push('', 'PrivateLink', table(linkRows));

  const ruleRows = [['Config rules', 'in force']];
  const remediationRows = [['remediated rule', 'document', 'mode']];
  for (const r of all(roots, isRules)) {
    ruleRows.push([r.node.path, r.ruleNames.join(', ')]);
    for (const which of Object.values(ComplianceRule)) {
      const remediation = r.remediation(which);
      if (!remediation) continue;
      const document = r.remediationDocument(which) ? `${r.node.path}/${r.remediation(which)!.node.scope!.node.id}/Document` : remediation.targetId;
      const mode = remediation.automatic
        ? `automatic, ${remediation.maximumAutomaticAttempts} attempts ${remediation.retryAttemptSeconds} s apart`
        : 'on demand (StartRemediationExecution)';
      remediationRows.push([(r.rule(which)!.node.defaultChild as config.CfnConfigRule).configRuleName ?? which, document, mode]);
    }
  }
  if (ruleRows.length > 1) out.push('', 'AWS Config rules', table(ruleRows));
  if (remediationRows.length > 1) out.push('', 'Remediation', table(remediationRows));
  const auditRows = [['audit', 'bucket', 'records', 'object lock', 'recorder']];
  for (const a of all(roots, isAudit)) {
    auditRows.push([a.node.path, 'versioned, SSE-KMS, TLS only', 'every compliance change (EventBridge -> Firehose)',
      objectLockOf(a.bucket.node.defaultChild as s3.CfnBucket),
      a.recorder ? 'ours, with delivery channel' : 'the account\'s']);
  }
  if (auditRows.length > 1) out.push('', 'Compliance audit', table(auditRows));

  // The fixed monthly cost of each stack, from its template (examples/store/costs.ts).
  const stacks = apps.flatMap(({ name, assembly }) => assembly.stacksRecursively
    .map((s) => ({ app: name, stack: s.hierarchicalId, template: s.template })));
  out.push('', costSection(stacks, loadPriceTable(), alarmGroups(apps)));
  return out.join('\n');
}

/** The template resource of a CloudFormation construct of one of the apps. */
function templateResourceOf(apps: SynthesizedApp[], resource: CfnResource): TemplateResource {
  const stack = Stack.of(resource);
  const synthesized = apps.find((a) => a.app === resource.node.root);
  if (!synthesized) throw new Error(`${resource.node.path} is in none of the apps`);
  return synthesized.assembly.getStackArtifact(stack.artifactId).template.Resources[stack.getLogicalId(resource)];
}

/** The default alarms of subscriptions and canaries: what `defaultAlarms: false` would remove. */
function alarmGroups(apps: SynthesizedApp[]): AlarmGroup[] {
  const roots = apps.map((a) => a.app);
  const cfnAlarms = (constructs: IConstruct[]) => constructs.flatMap((c) => c.node.findAll())
    .filter((c): c is cloudwatch.CfnAlarm | cloudwatch.CfnCompositeAlarm =>
      c instanceof cloudwatch.CfnAlarm || c instanceof cloudwatch.CfnCompositeAlarm)
    .map((c) => templateResourceOf(apps, c));
  const groups: AlarmGroup[] = [];
  const subscriptions = new Set(all(roots, isTopic).flatMap((t) => t.subscriptions));
  for (const sub of subscriptions) {
    groups.push({
      owner: `the subscription of ${sub.service.node.path}`,
      option: 'defaultAlarms: false',
      tradeOff: 'dead letters and old messages then go unwatched, and its deployments lose them as rollback alarms',
      alarms: cfnAlarms(sub.alarms),
    });
  }
  for (const c of all(roots, isCanary)) {
    const defaults = c.node.children.filter((child) => /^(Blue|Green)Alarms$/.test(child.node.id));
    groups.push({
      owner: c.node.path,
      option: 'defaultAlarms: false',
      tradeOff: 'the rollouts then roll back on the alarms you give (`alarms`) only',
      alarms: cfnAlarms(defaults),
    });
  }
  return groups;
}
