/**
 * The oracle of the props properties (../properties.test.ts), a partial model of the documented
 * rules: from a spec alone, the props an error must name (empty when nothing is known to be wrong).
 */
import { Token, aws_ecs as ecs } from 'aws-cdk-lib';
import { EnvKind, EnvSpec, FARGATE_PAIRS, ServiceSpec, WEB_ACL_ARN } from './arbitraries';
import { TwelveFactorService } from '../../../src';

export const isFargatePair = (cpu: unknown, memory: unknown) => FARGATE_PAIRS.some(([c, m]) => c === cpu && m === memory);

export const isWholeIn = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** What must be named in an error, from the props alone; empty when nothing is known to be wrong. */
export function envMustName(spec: EnvSpec): string[] {
  if (spec.wrongTyped) return [];
  const p = spec.props;
  const names: string[] = [];
  const imported = spec.network !== 'create';
  // null counts as left out, as jsii passes it.
  if (p.maxAzs != null && (imported || !isWholeIn(p.maxAzs, 1, 6))) names.push('maxAzs');
  if (p.natGateways != null && (imported || !isWholeIn(p.natGateways, 0, 6))) names.push('natGateways');
  if (spec.network === 'vpc+foreign-cluster') names.push('cluster');
  // The access log bucket and web ACL serve every load balancer of the environment (canary
  // slots too), so they are accepted without the shared one.
  if (p.webAclArn !== undefined && p.webAclArn !== WEB_ACL_ARN && !Token.isUnresolved(p.webAclArn)) names.push('webAclArn');
  if (!p.createLoadBalancer) {
    if (spec.certificate) names.push('certificate');
    for (const name of ['allowPlainHttp', 'internetFacing', 'sslPolicy', 'loadBalancerDeletionProtection'] as const) {
      if (p[name] !== undefined) names.push(name);
    }
  } else {
    if (!spec.certificate && p.allowPlainHttp !== true) names.push('certificate');
    if (spec.certificate && p.allowPlainHttp === true) names.push('allowPlainHttp');
  }
  return names;
}

export const STAGE_DEFAULTS: Record<EnvKind, { cpu: number; memoryMiB: number; minTasks: number; maxTasks: number }> = {
  dev: { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2 },
  lb: { cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 10 },
  http: { cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 10 },
};

export const SECRET_PASSWORD_NAME = /PASSWORD(_|$)/i;

/** Groups of props of which the error must name one, from the props alone (a partial model). */
export function serviceMustName(spec: ServiceSpec): string[][] {
  if (spec.wrongTyped) return [];
  const p = spec.props;
  const defaults = STAGE_DEFAULTS[spec.envKind];
  const groups: string[][] = [];
  const minKnown = p.minTasks === undefined || isWholeIn(p.minTasks, 0, 5000);
  const maxKnown = p.maxTasks === undefined || isWholeIn(p.maxTasks, 1, 5000);
  if (minKnown && maxKnown) {
    const min = p.minTasks ?? defaults.minTasks;
    const max = p.maxTasks ?? Math.max(defaults.maxTasks, min);
    if (min > max) groups.push(['minTasks']);
  }
  if (typeof p.cpu === 'number' && typeof p.memoryMiB === 'number' && !isFargatePair(p.cpu, p.memoryMiB)) groups.push(['cpu', 'memoryMiB']);
  if (p.port !== undefined && !isWholeIn(p.port, 1, 65535)) groups.push(['port']);
  const routed = p.hostName !== undefined || p.pathPatterns !== undefined;
  if (routed && spec.envKind === 'dev') groups.push(['hostName', 'pathPatterns']);
  if (routed && p.port == null) groups.push(['port']);
  if (!routed && p.healthCheckPath !== undefined) groups.push(['healthCheckPath']);
  if (!routed && p.deploymentStrategy !== undefined && p.deploymentStrategy !== ecs.DeploymentStrategy.ROLLING) groups.push(['deploymentStrategy']);
  const allowed: string[] = p.allowPlainConfig ?? [];
  for (const [name, value] of Object.entries(p.config ?? {})) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) && typeof value === 'string' && SECRET_PASSWORD_NAME.test(name) && !allowed.includes(name)) {
      groups.push(['config']);
    }
  }
  for (const name of Object.keys(spec.secrets ?? {})) {
    if (name in (p.config ?? {})) groups.push([name, 'config', 'secrets']);
  }
  if (p.discoveryAttributes && Object.keys(p.discoveryAttributes).length > 30) groups.push(['discoveryAttributes']);
  return groups;
}

export function adminMustName(task: { name: string; options: any }, service: TwelveFactorService): string[][] {
  const groups: string[][] = [];
  const o = task.options ?? {};
  if (!/^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(task.name)) groups.push(['name']);
  if (!Array.isArray(o.command) || o.command.length === 0 || o.command.some((c: unknown) => typeof c !== 'string')) groups.push(['command']);
  const cpu = o.cpu ?? service.taskDefinition.cpu;
  const memoryMiB = o.memoryMiB ?? (o.cpu === undefined ? service.taskDefinition.memoryMiB : undefined);
  if (typeof cpu === 'number' && typeof memoryMiB === 'number' && !isFargatePair(cpu, memoryMiB)) groups.push(['cpu', 'memoryMiB']);
  if (o.cpu !== undefined && o.memoryMiB === undefined && !isFargatePair(o.cpu, typeof o.cpu === 'number' ? o.cpu * 2 : NaN)) groups.push(['cpu']);
  return groups;
}
