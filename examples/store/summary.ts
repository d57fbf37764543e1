import * as fs from 'fs';
import { App, Stack, aws_config as config, aws_ec2 as ec2, aws_s3 as s3 } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { IConstruct } from 'constructs';
import {
  CanaryDeployment, ComplianceAudit, ComplianceRule, ComplianceRules, MessageBus, MicroserviceEnvironment, PrivateLinkConsumer, PrivateLinkExposure,
  TwelveFactorService,
} from '../../src';

/** CloudFormation's limits per template. */
const MAX_RESOURCES = 500;
const MAX_TEMPLATE_BYTES = 1_000_000;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

function all<T extends IConstruct>(root: IConstruct, guard: (c: IConstruct) => c is T): T[] {
  return root.node.findAll().filter(guard);
}

function isEnvironment(c: IConstruct): c is MicroserviceEnvironment {
  return c instanceof MicroserviceEnvironment;
}

function isService(c: IConstruct): c is TwelveFactorService {
  return c instanceof TwelveFactorService;
}

function isBus(c: IConstruct): c is MessageBus {
  return c instanceof MessageBus;
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
export function summarize(app: App, assembly: cxapi.CloudAssembly): string {
  const out: string[] = [];
  const stackRows = [['stack', 'resources', `of ${MAX_RESOURCES}`, 'template KB', `of ${MAX_TEMPLATE_BYTES / 1000}`]];
  for (const stack of assembly.stacksRecursively) {
    const bytes = fs.statSync(stack.templateFullPath).size;
    const resources = Object.keys(stack.template.Resources ?? {}).length;
    stackRows.push([
      stack.hierarchicalId,
      String(resources),
      `${((resources / MAX_RESOURCES) * 100).toFixed(0)}%`,
      (bytes / 1000).toFixed(1),
      `${((bytes / MAX_TEMPLATE_BYTES) * 100).toFixed(1)}%`,
    ]);
  }
  out.push('Stacks', table(stackRows), '');

  // How each environment's tasks reach AWS: a NAT gateway, or VPC endpoints (named by their ids).
  const environmentRows = [['environment', 'stage', 'egress', 'VPC endpoints']];
  for (const env of all(app, isEnvironment)) {
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

  const services = all(app, isService);
  const links = new Map(all(app, isExposure).map((e) => [e.service, e]));
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

  const topicRows = [['topic', 'kind', 'publishers', 'subscriber', 'filter', 'backlog scaling', 'alarms']];
  for (const bus of all(app, isBus)) {
    for (const topic of bus.topics) {
      const publishers = topic.publishers.map((p) => p.node.id).join(', ') || '-';
      const subscriptions = topic.subscriptions.length > 0 ? topic.subscriptions : [undefined];
      for (const sub of subscriptions) {
        topicRows.push([
          topic.node.path,
          topic.fifo ? 'FIFO' : 'standard',
          publishers,
          sub ? `${sub.service.node.id} (${sub.envVarName})` : '-',
          sub?.filterPolicyScope ?? '-',
          sub?.backlogPerTaskTarget !== undefined
            ? `${sub.backlogPerTaskTarget} msgs/task${sub.scaleFromZeroPolicy ? ', from zero' : ''}`
            : '-',
          sub ? String(sub.alarms.length) : String(topic.alarms.length),
        ]);
      }
    }
  }
  if (topicRows.length > 1) out.push('', 'Topics', table(topicRows));

  const canaryRows = [['canary', 'name', 'steps', 'planned', 'worst case', 'alarm to rollback', 'alarms', 'started by']];
  for (const c of all(app, isCanary)) {
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
  if (canaryRows.length > 1) out.push('', 'Canary deployments', table(canaryRows));

  const linkRows = [['PrivateLink', 'side', 'service or name', 'listener', 'allowed principals', 'acceptance', 'notifications']];
  for (const e of all(app, isExposure)) {
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
  for (const c of all(app, isConsumer)) {
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
  for (const r of all(app, isRules)) {
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
  for (const a of all(app, isAudit)) {
    auditRows.push([a.node.path, 'versioned, SSE-KMS, TLS only', 'every compliance change (EventBridge -> Firehose)',
      objectLockOf(a.bucket.node.defaultChild as s3.CfnBucket),
      a.recorder ? 'ours, with delivery channel' : 'the account\'s']);
  }
  if (auditRows.length > 1) out.push('', 'Compliance audit', table(auditRows));
  return out.join('\n');
}
