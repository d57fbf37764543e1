import { Duration, Token, aws_ecs as ecs } from 'aws-cdk-lib';
import { looksSecretName, secretValueKind } from '../private/secrets';
import { show } from '../private/validation';

/** Valid Fargate task sizes: CPU units to the memory sizes (MiB) allowed with them. */
const FARGATE_SIZES: Array<[number, number[]]> = [
  [256, [512, 1024, 2048]],
  [512, range(1024, 4096, 1024)],
  [1024, range(2048, 8192, 1024)],
  [2048, range(4096, 16384, 1024)],
  [4096, range(8192, 30720, 1024)],
  [8192, range(16384, 61440, 4096)],
  [16384, range(32768, 122880, 8192)],
];

function range(from: number, to: number, step: number): number[] {
  const out: number[] = [];
  for (let v = from; v <= to; v += step) out.push(v);
  return out;
}

function describeMemory(sizes: number[]): string {
  if (sizes.length <= 3) return sizes.join(', ');
  return `${sizes[0]} to ${sizes[sizes.length - 1]} in steps of ${sizes[1] - sizes[0]}`;
}

/** The problem with a Fargate CPU/memory pair, or undefined when it is valid or a token. */
export function fargateSizeProblem(cpu: number, memoryMiB: number): string | undefined {
  if (Token.isUnresolved(cpu) || Token.isUnresolved(memoryMiB)) return undefined;
  const row = FARGATE_SIZES.find(([c]) => c === cpu);
  if (!row) {
    return `\`cpu\` ${show(cpu)} is not a Fargate size; use ${FARGATE_SIZES.map(([c]) => c).join(', ')}`;
  }
  if (!row[1].includes(memoryMiB)) {
    return `\`memoryMiB\` ${show(memoryMiB)} is not valid with \`cpu\` ${cpu}; use ${describeMemory(row[1])}`;
  }
  return undefined;
}

/** A valid environment variable name. */
export const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The problem with an admin task name, or undefined when it is valid. */
export function adminTaskNameProblem(name: unknown): string | undefined {
  if (typeof name === 'string' && (Token.isUnresolved(name) || /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/.test(name))) return undefined;
  return `\`name\` ${show(name)} is not valid; use 1 to 32 lower case letters, digits and hyphens, not starting or ending with a hyphen`;
}

/** Problems of a container health check against ECS's limits. */
export function healthCheckProblems(check: ecs.HealthCheck | undefined): string[] {
  if (!check) return [];
  const problems: string[] = [];
  if (!Array.isArray(check.command) || check.command.length === 0 || check.command.some((c) => typeof c !== 'string')) {
    problems.push('`containerHealthCheck` `command` must be a non-empty list of strings, for example [\'CMD-SHELL\', \'curl -f http://localhost/ || exit 1\']');
  }
  const seconds: Array<[string, Duration | undefined, number, number]> = [
    ['interval', check.interval, 5, 300], ['timeout', check.timeout, 2, 120], ['startPeriod', check.startPeriod, 0, 300],
  ];
  for (const [name, value, min, max] of seconds) {
    if (value === undefined) continue;
    if (!(value instanceof Duration)) {
      problems.push(`\`containerHealthCheck\` \`${name}\` ${show(value)} is not a Duration`);
    } else if (!value.isUnresolved() && (value.toSeconds() < min || value.toSeconds() > max)) {
      problems.push(`\`containerHealthCheck\` \`${name}\` ${value.toHumanString()} is not valid; use ${min} to ${max} seconds`);
    }
  }
  if (check.retries !== undefined && (typeof check.retries !== 'number'
    || (!Token.isUnresolved(check.retries) && (!Number.isInteger(check.retries) || check.retries < 1 || check.retries > 10)))) {
    problems.push(`\`containerHealthCheck\` \`retries\` ${show(check.retries)} is not valid; use a whole number from 1 to 10`);
  }
  return problems;
}

/** Problems of plain config: invalid names, secret-looking names or values. */
export function configProblems(config: { [name: string]: string }, allowed: string[]): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(config)) {
    if (!ENV_VAR_NAME.test(name)) {
      problems.push(`\`config\` name ${show(name)} is not valid; use letters, digits and underscores, not starting with a digit`);
      continue;
    }
    if (typeof value !== 'string') {
      problems.push(`\`config\` value of ${name} is not a string; pass ${show(String(value))} as a string`);
      continue;
    }
    if (looksSecretName(name) && !allowed.includes(name)) {
      problems.push(`\`config\` ${name} looks like a secret; pass it in \`secrets\` (Secrets Manager or SSM), or list '${name}' in \`allowPlainConfig\` if it is not one`);
      continue;
    }
    if (!Token.isUnresolved(value)) {
      const kind = secretValueKind(value);
      if (kind) problems.push(`\`config\` ${name} holds what looks like ${kind}; pass it in \`secrets\` instead of plain config`);
    }
  }
  return problems;
}

/** The conditions of a service's listener rule, as the routes registry keeps them. */
export interface RouteClaim {
  /** The host name in lower case without the final dot, or undefined when not routed by host. */
  readonly host?: string;
  /** The path patterns, sorted, or undefined when not routed by path. */
  readonly paths?: string[];
  /** The construct path of the service that holds the route. */
  readonly owner: string;
}

/**
 * The routes taken on each listener: services on one listener with the same host name and
 * the same path patterns (none included) would compete for the same requests, and the
 * listener sends them all to the rule with the lowest priority, so the other service is
 * unreachable. Keyed by the listener object, so nothing is kept once the app is gone.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-rules.html
 */
const ROUTES = new WeakMap<object, RouteClaim[]>();

/**
 * A route's claim of host name and path patterns, with the host compared without case
 * (host names are not case-sensitive; host conditions match without case) and the path
 * patterns as a set (path patterns are case-sensitive). Undefined when a token makes the
 * route unknown at synth time.
 *
 * @see https://docs.aws.amazon.com/elasticloadbalancing/latest/application/add-rule.html
 */
export function routeClaim(hostName: string | undefined, pathPatterns: string[] | undefined, owner: string): RouteClaim | undefined {
  if (hostName !== undefined && (typeof hostName !== 'string' || Token.isUnresolved(hostName))) return undefined;
  if (pathPatterns !== undefined && (!Array.isArray(pathPatterns) || pathPatterns.some((p) => typeof p !== 'string' || Token.isUnresolved(p)))) {
    return undefined;
  }
  return {
    host: hostName?.toLowerCase().replace(/\.$/, ''),
    paths: pathPatterns ? [...new Set(pathPatterns)].sort() : undefined,
    owner,
  };
}

function sameRoute(a: RouteClaim, b: RouteClaim): boolean {
  return a.host === b.host && JSON.stringify(a.paths) === JSON.stringify(b.paths);
}

/** The claim on the listener with the same host and path patterns, or undefined. */
export function routeTakenBy(listener: object, claim: RouteClaim): RouteClaim | undefined {
  return (ROUTES.get(listener) ?? []).find((other) => sameRoute(other, claim));
}

/** Records a route on a listener, once the service that claims it is valid. */
export function claimRoute(listener: object, claim: RouteClaim): void {
  const claims = ROUTES.get(listener) ?? [];
  claims.push(claim);
  ROUTES.set(listener, claims);
}

/**
 * The problem with a container `user`, or undefined when it is valid or a token. ECS takes
 * `user`, `user:group`, `uid`, `uid:gid`, `user:gid` or `uid:group`; an empty string names
 * no user at all.
 *
 * @see https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDefinition.html
 */
export function userProblem(user: string | undefined): string | undefined {
  if (user === undefined || typeof user !== 'string' || Token.isUnresolved(user)) return undefined;
  if (/^[^:\s]+(:[^:\s]+)?$/.test(user)) return undefined;
  const what = user.trim() === '' ? 'is empty' : 'is not valid';
  return `\`user\` ${show(user)} ${what}; use user, user:group, uid or uid:gid, for example '1000' or '1000:1000', or leave it out for the image's user`;
}

/** Whether a valid container `user` runs as root: the user `root` or uid 0, with any group. */
export function isRootUser(user: string | undefined): boolean {
  if (user === undefined || typeof user !== 'string' || Token.isUnresolved(user)) return false;
  return /^(root|0+)(:|$)/.test(user);
}
