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
