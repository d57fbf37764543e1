import { Duration, Token, aws_ecs as ecs } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { SCRATCH_INIT_MEMORY_MIB } from './service-containers';
import { isRouted, routingProblems } from './service-routing';
import { tracingSizeProblem } from './service-tracing';
import { TwelveFactorServiceProps } from './twelve-factor-service-props';
import { Discovery, discoveryAttributeProblems, SERVICE_CONNECT_SUFFIX } from '../discovery/discovery';
import { tracesByDefault, isMicroserviceEnvironment } from '../environment/environment-support';
import { serviceNamesOf } from '../environment/registries';
import { looksSecretName, secretValueKind } from '../private/secrets';
import {
  checkInt, checkKinds, checkSeconds, enumProblem, Kind, known, logRetentionProblem, Problems, show,
} from '../private/validation';

/** The class named in a service's errors. */
export const SERVICE_CLASS = 'TwelveFactorService';

/** The service's name, task counts and size, as the service resolved them from its props and stage profile. */
export interface ServiceSizes {
  readonly serviceName: string;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly cpu: number;
  readonly memoryMiB: number;
}

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

/**
 * Props of the wrong kind (from JavaScript or another jsii language) are recorded as
 * problems and left out of the props the other checks see, so every problem lands in one
 * error. Returns the problems so far and the props without the wrong kinds.
 */
export function validateKinds(scope: IConstruct, given: TwelveFactorServiceProps): { p: Problems; props: TwelveFactorServiceProps } {
  const p = Problems.ofConstruction(SERVICE_CLASS, scope);
  if (!given || typeof given !== 'object') {
    p.add('props are missing; pass at least `environment` and `image`');
    p.throwIfAny();
  }
  if (!isMicroserviceEnvironment(given.environment)) {
    p.add(`\`environment\` ${show(given.environment)} is not an IMicroserviceEnvironment; pass a MicroserviceEnvironment`);
    p.throwIfAny();
  }
  p.when(!given.image || typeof (given.image as { bind?: unknown }).bind !== 'function',
    `\`image\` ${show(given.image)} is not an ecs.ContainerImage; use for example ecs.ContainerImage.fromRegistry(...) or fromAsset(...)`);
  const kinds: Array<[keyof TwelveFactorServiceProps & string, Kind]> = [
    ['serviceName', 'string'], ['port', 'number'], ['hostName', 'string'], ['pathPatterns', 'list of strings'],
    ['routePriority', 'number'], ['healthCheckPath', 'string'], ['healthCheckGracePeriod', 'Duration'],
    ['containerHealthCheck', 'map'], ['cpu', 'number'], ['memoryMiB', 'number'], ['config', 'map of strings'],
    ['allowPlainConfig', 'list of strings'], ['secrets', 'map'], ['readonlyRootFilesystem', 'boolean'],
    ['scratchVolumePath', 'string'], ['prepareScratchVolume', 'boolean'], ['ephemeralStorageGiB', 'number'], ['releaseId', 'string'], ['circuitBreaker', 'boolean'],
    ['deploymentBakeTime', 'Duration'], ['trafficShiftPercent', 'number'], ['trafficShiftBakeTime', 'Duration'],
    ['minTasks', 'number'], ['maxTasks', 'number'], ['desiredTasks', 'number'], ['cpuTargetPercent', 'number'],
    ['memoryTargetPercent', 'number'], ['requestsPerTarget', 'number'], ['spotWeight', 'number'], ['onDemandWeight', 'number'],
    ['onDemandBase', 'number'], ['initProcessEnabled', 'boolean'], ['stopTimeout', 'Duration'], ['user', 'string'],
    ['logRetention', 'number'], ['errorLogPattern', 'string'], ['errorAlarmThreshold', 'number'],
    ['discoveryAttributes', 'map of strings'], ['allowAllOutbound', 'boolean'], ['createOutputs', 'boolean'],
    ['tracing', 'boolean'], ['tracingSampleRatio', 'number'], ['createLogQueries', 'boolean'],
  ];
  const props = checkKinds(p, given, kinds);
  if (props.listener !== undefined && (props.listener === null || typeof (props.listener as { listenerArn?: unknown }).listenerArn !== 'string')) {
    p.add(`\`listener\` ${show(props.listener)} is not an elbv2.IApplicationListener`);
    delete (props as { listener?: unknown }).listener;
  }
  for (const [prop, value] of [['deploymentAlarms', props.deploymentAlarms], ['environmentFiles', props.environmentFiles]] as const) {
    p.when(value !== undefined && !Array.isArray(value), `\`${prop}\` ${show(value)} is not a list`);
  }
  const enums = [
    enumProblem('deploymentStrategy', props.deploymentStrategy, ecs.DeploymentStrategy, 'ecs.DeploymentStrategy'),
    enumProblem('discovery', props.discovery, Discovery, 'Discovery'),
    logRetentionProblem('logRetention', props.logRetention),
  ];
  for (const problem of enums) if (problem) p.add(problem);
  for (const [prop, map] of [['config', props.config], ['secrets', props.secrets]] as const) {
    p.when(map !== undefined && map !== null && typeof map === 'object' && 'RELEASE_ID' in map,
      `\`${prop}\` RELEASE_ID is set by the construct from the image; pass \`releaseId\` instead`);
  }
  return { p, props };
}

/**
 * The problems of a service's props (sizes, routing, tasks, capacity, scratch volume, user,
 * config, deployments, discovery), thrown together with those of `validateKinds`. Claims the
 * service name (and its Service Connect endpoint) in the environment.
 */
export function validateServiceProps(p: Problems, scope: IConstruct, props: TwelveFactorServiceProps, sizes: ServiceSizes): void {
  const { serviceName, minTasks, maxTasks, cpu, memoryMiB } = sizes;
  for (const problem of healthCheckProblems(props.containerHealthCheck)) p.add(problem);
  const taken = serviceNamesOf(props.environment).claim(serviceName, scope.node.path);
  p.when(taken !== undefined, `\`serviceName\` '${serviceName}' is already used by ${taken} in the same environment; give each service its own name`);
  const routed = isRouted(props);

  if (known(props.serviceName) && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(props.serviceName)) {
    p.add(`\`serviceName\` ${show(props.serviceName)} is not valid; use 1 to 63 lower case letters, digits and hyphens, not starting or ending with a hyphen`);
  }
  if (props.serviceName === undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(serviceName)) {
    p.add(`the construct id does not give a valid service name (${show(serviceName)}); set \`serviceName\``);
  }
  const size = fargateSizeProblem(cpu, memoryMiB);
  if (size) p.add(size);
  if (props.port !== undefined) {
    const portProblem = checkInt('port', props.port, 1, 65535);
    if (portProblem) p.add(portProblem);
  }
  routingProblems(p, scope, props);
  const checks: Array<string | undefined> = [
    props.routePriority !== undefined ? checkInt('routePriority', props.routePriority, 1, 50000) : undefined,
    checkInt('minTasks', props.minTasks, 0, 5000),
    checkInt('maxTasks', props.maxTasks, 1, 5000),
    checkInt('desiredTasks', props.desiredTasks, 0, 5000),
    checkInt('cpuTargetPercent', props.cpuTargetPercent, 0, 100),
    checkInt('memoryTargetPercent', props.memoryTargetPercent, 1, 100),
    checkInt('requestsPerTarget', props.requestsPerTarget, 1, 1_000_000),
    checkInt('spotWeight', props.spotWeight, 0, 1000),
    checkInt('onDemandWeight', props.onDemandWeight, 0, 1000),
    checkInt('onDemandBase', props.onDemandBase, 0, 100000),
    checkInt('ephemeralStorageGiB', props.ephemeralStorageGiB, 21, 200),
    checkInt('errorAlarmThreshold', props.errorAlarmThreshold, 0, 1_000_000),
    checkSeconds('stopTimeout', props.stopTimeout, 2, 120),
    checkSeconds('healthCheckGracePeriod', props.healthCheckGracePeriod, 0, 2_147_483_647),
  ];
  for (const c of checks) if (c) p.add(c);
  if (known(minTasks) && known(maxTasks) && minTasks > maxTasks) {
    p.add(`\`minTasks\` ${minTasks} is greater than \`maxTasks\` ${maxTasks}; use minTasks <= maxTasks`);
  }
  if (known(props.desiredTasks) && known(minTasks) && known(maxTasks)
    && (props.desiredTasks < minTasks || props.desiredTasks > maxTasks)) {
    p.add(`\`desiredTasks\` ${props.desiredTasks} is outside \`minTasks\`..\`maxTasks\` (${minTasks}..${maxTasks})`);
  }
  if (props.spotWeight === undefined || props.spotWeight === 0) {
    p.when(props.onDemandWeight !== undefined || props.onDemandBase !== undefined,
      '`onDemandWeight` and `onDemandBase` split tasks between on-demand and Spot capacity; set `spotWeight` above 0 or remove them');
  } else if (known(props.onDemandWeight) && props.onDemandWeight === 0 && known(props.onDemandBase) && props.onDemandBase > 0) {
    p.add('`onDemandBase` needs an `onDemandWeight` above 0');
  }
  if (known(props.scratchVolumePath) && !/^\/[^\s]*$/.test(props.scratchVolumePath)) {
    p.add(`\`scratchVolumePath\` ${show(props.scratchVolumePath)} is not an absolute path; use one like '/tmp'`);
  }
  p.when(props.prepareScratchVolume !== undefined && props.scratchVolumePath === undefined,
    '`prepareScratchVolume` makes the scratch volume writable; set `scratchVolumePath` or remove it');
  const user = userProblem(props.user);
  if (user) p.add(user);
  if (props.tracingCollectorImage !== undefined
    && (props.tracingCollectorImage === null || typeof (props.tracingCollectorImage as { bind?: unknown }).bind !== 'function')) {
    p.add(`\`tracingCollectorImage\` ${show(props.tracingCollectorImage)} is not an ecs.ContainerImage; use for example ecs.ContainerImage.fromEcrRepository(...)`);
  }
  if (known(props.tracingSampleRatio)) {
    p.when(!(props.tracingSampleRatio >= 0 && props.tracingSampleRatio <= 1),
      `\`tracingSampleRatio\` ${show(props.tracingSampleRatio)} is not a share; use a number from 0 to 1, for example 0.1`);
  }
  const traces = props.tracing ?? tracesByDefault(props.environment);
  if (traces && known(memoryMiB)) {
    const sizeProblem = tracingSizeProblem(memoryMiB, props.scratchVolumePath !== undefined ? SCRATCH_INIT_MEMORY_MIB : 0);
    if (sizeProblem) p.add(sizeProblem);
  }
  if (!traces) {
    for (const name of ['tracingSampleRatio', 'tracingCollectorImage'] as const) {
      p.when(props[name] !== undefined, `\`${name}\` applies to a traced service; set \`tracing: true\` (or the environment's \`defaultTracing\`) or remove it`);
    }
  }
  if (props.releaseId !== undefined && known(props.releaseId) && props.releaseId.trim() === '') {
    p.add(`\`releaseId\` ${show(props.releaseId)} is empty: RELEASE_ID would name no release; give a release identifier such as a version or commit, or leave it out for the image reference`);
  }
  if (props.errorLogPattern !== undefined && known(props.errorLogPattern)) {
    p.when(props.errorLogPattern.trim() === '' || props.errorLogPattern.length > 1024 || /["\s]/.test(props.errorLogPattern),
      `\`errorLogPattern\` ${show(props.errorLogPattern)} is not valid; use one word of up to 1024 characters without spaces or quotes, like 'ERROR'`);
  }
  for (const problem of configProblems(props.config ?? {}, props.allowPlainConfig ?? [])) p.add(problem);
  for (const name of Object.keys(props.secrets ?? {})) {
    p.when(!ENV_VAR_NAME.test(name), `\`secrets\` name ${show(name)} is not valid; use letters, digits and underscores, not starting with a digit`);
    p.when(name in (props.config ?? {}), `\`${name}\` is in both \`config\` and \`secrets\`; keep it in one`);
  }

  // Deployments.
  const strategy = props.deploymentStrategy ?? ecs.DeploymentStrategy.ROLLING;
  if (strategy !== ecs.DeploymentStrategy.ROLLING) {
    p.when(!routed, `\`deploymentStrategy\` ${strategy} shifts load balancer traffic; route the service with \`hostName\` or \`pathPatterns\` or use ROLLING`);
  } else {
    p.when(props.deploymentBakeTime !== undefined, '`deploymentBakeTime` applies to BLUE_GREEN, LINEAR and CANARY deployments, not ROLLING');
  }
  const shifting = strategy === ecs.DeploymentStrategy.LINEAR || strategy === ecs.DeploymentStrategy.CANARY;
  if (!shifting) {
    p.when(props.trafficShiftPercent !== undefined || props.trafficShiftBakeTime !== undefined,
      '`trafficShiftPercent` and `trafficShiftBakeTime` apply to LINEAR and CANARY deployments only');
  }
  if (known(props.trafficShiftPercent) && shifting) {
    const min = strategy === ecs.DeploymentStrategy.LINEAR ? 3 : 0.1;
    const v = props.trafficShiftPercent;
    p.when(!(v >= min && v <= 100) || Math.abs(Math.round(v * 10) - v * 10) > 1e-9,
      `\`trafficShiftPercent\` ${v} is not valid for ${strategy}; use ${min} to 100 in steps of 0.1`);
  }
  for (const [name, value] of [['deploymentBakeTime', props.deploymentBakeTime], ['trafficShiftBakeTime', props.trafficShiftBakeTime]] as const) {
    if (known(value) && (value.toMilliseconds() < 0 || value.toMilliseconds() > 1440 * 60_000 || value.toMilliseconds() % 60_000 !== 0)) {
      p.add(`\`${name}\` ${value.toHumanString()} is not valid; use whole minutes from 0 to 1440`);
    }
  }
  // Discovery.
  const discovery = props.discovery ?? Discovery.CLOUD_MAP;
  if (discovery === Discovery.SERVICE_CONNECT) {
    p.when(props.port === undefined, '`Discovery.SERVICE_CONNECT` needs a `port` for clients to reach');
    // The endpoint's Cloud Map service `<name>-sc` has at most 64 characters.
    // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ServiceConnectService.html
    p.when(serviceName.length + SERVICE_CONNECT_SUFFIX.length > 64,
      `\`serviceName\` '${serviceName}' is too long for \`Discovery.SERVICE_CONNECT\`: its endpoint '${serviceName}${SERVICE_CONNECT_SUFFIX}' must have at most 64 characters; use at most ${64 - SERVICE_CONNECT_SUFFIX.length}`);
    const endpoint = `${serviceName}${SERVICE_CONNECT_SUFFIX}`;
    const owner = serviceNamesOf(props.environment).claim(endpoint, scope.node.path);
    p.when(owner !== undefined,
      `\`serviceName\` '${serviceName}' with \`Discovery.SERVICE_CONNECT\` registers the Cloud Map service '${endpoint}', which ${owner} already uses in the same environment; rename one of them`);
  }
  for (const problem of discoveryAttributeProblems(props.discoveryAttributes)) p.add(problem);
  p.throwIfAny();
}
