import { Annotations, CfnResource, Duration, IAspect, Stack, Token, Validations } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { acknowledge } from '../private/acknowledge';
import { holdsSecretReference, looksSecretName, secretValueKind } from '../private/secrets';
import { checkKinds, checkSeconds, Problems, show } from '../private/validation';

const CLASS = 'TwelveFactorChecks';
const TASK_DEFINITION_TYPE = 'AWS::ECS::TaskDefinition';

/** ECS's stop timeout when a container definition sets none (Fargate, and the EC2 agent's default). */
const ECS_DEFAULT_STOP_TIMEOUT_SECONDS = 30;

/**
 * An aspect has no construct path: its props are refused "at <root>", the path of this
 * detached root construct.
 */
const NO_SCOPE: IConstruct = new Construct(undefined as unknown as Construct, '');

/** How serious a finding of `TwelveFactorChecks` is. */
export enum FindingSeverity {
  /** Reported with `Annotations.addError`: the CDK CLI refuses to deploy. */
  ERROR = 'ERROR',
  /** Reported with `Annotations.addWarningV2`: deploys; `cdk synth --strict` fails. */
  WARNING = 'WARNING',
}

/** The rules, their factor and default severity, in the order the findings of one container are reported. */
const RULES: Array<[string, FindingSeverity]> = [
  ['TwelveFactors-II1', FindingSeverity.WARNING],
  ['TwelveFactors-III1', FindingSeverity.ERROR],
  ['TwelveFactors-VI1', FindingSeverity.ERROR],
  ['TwelveFactors-IX1', FindingSeverity.WARNING],
  ['TwelveFactors-IX2', FindingSeverity.WARNING],
  ['TwelveFactors-XI1', FindingSeverity.ERROR],
];
const RULE_IDS = RULES.map(([id]) => id);
const DEFAULT_SEVERITY = new Map(RULES);

/** Properties of `TwelveFactorChecks`. */
export interface TwelveFactorChecksProps {
  /**
   * The shortest stop timeout (the time ECS waits after SIGTERM before SIGKILL) that rule
   * `TwelveFactors-IX2` accepts, in whole seconds from 2 to 120. A container without a stop
   * timeout gets ECS's default of 30 seconds and is judged by that.
   *
   * @see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#container_definition_timeout
   * @default Duration.seconds(10)
   */
  readonly minimumStopTimeout?: Duration;

  /**
   * Report the findings of warning rules (`TwelveFactors-II1`, `TwelveFactors-IX1`,
   * `TwelveFactors-IX2`) as errors, so that they fail the deployment too.
   *
   * @default false
   */
  readonly warningsAsErrors?: boolean;

  /**
   * Rule ids to switch off everywhere, for example `['TwelveFactors-IX1']`. A disabled rule
   * reports nothing, not even acknowledged findings; to accept one finding, acknowledge it
   * with `TwelveFactorChecks.acknowledge()` instead.
   *
   * @default - every rule runs
   */
  readonly disabledRules?: string[];
}

/** One violation of the twelve factors that `TwelveFactorChecks` found. */
export interface TwelveFactorFinding {
  /** The rule id, for example `TwelveFactors-XI1`. */
  readonly ruleId: string;
  /** How it was reported (a warning rule is an error with `warningsAsErrors`). */
  readonly severity: FindingSeverity;
  /** The construct path of the task definition's CloudFormation resource. */
  readonly path: string;
  /** The name of the container at fault. */
  readonly container: string;
  /** What is wrong and how to fix it; the message reported, starting with `[<ruleId>]`. */
  readonly message: string;
  /** Whether the finding is acknowledged on the task definition or an ancestor (then it is not reported). */
  readonly acknowledged: boolean;
  /**
   * Why the finding is accepted, when acknowledged.
   *
   * @default - not acknowledged
   */
  readonly reason?: string;
}

/**
 * Checks every ECS task definition in a scope (ours or anyone's, L2 or plain
 * `CfnTaskDefinition`) against the twelve factors that can be seen at synth time, and
 * reports each violation on the task definition's resource, with its rule id:
 *
 * | rule | factor | finding | default |
 * |---|---|---|---|
 * | `TwelveFactors-II1` | II dependencies | a container with a writable root file system | warning |
 * | `TwelveFactors-III1` | III config | a plain environment variable whose name or literal value looks like a secret, or that holds a `{{resolve:secretsmanager:...}}` reference | error |
 * | `TwelveFactors-VI1` | VI processes | a container mounting a host path (a volume with `Host.SourcePath`), a shared local Docker volume, or the volumes of a container that does | error |
 * | `TwelveFactors-IX1` | IX disposability | an essential container without a health check | warning |
 * | `TwelveFactors-IX2` | IX disposability | a stop timeout below `minimumStopTimeout` (none set counts as ECS's 30 s) | warning |
 * | `TwelveFactors-XI1` | XI logs | an essential container without a log configuration (or with the `none` driver) | error |
 *
 * Not findings: values that are tokens (a table name, a parameter) for `III1`; EFS, FSx,
 * task-scoped Docker volumes, EBS volumes configured at launch and Fargate's task storage
 * for `VI1` (a backing service or storage that dies with the task); host volumes no
 * container mounts.
 *
 * Errors go through `Annotations.addError`, warnings through `Annotations.addWarningV2`
 * with the id `cdk-microservices:<ruleId>`. A finding acknowledged with
 * `TwelveFactorChecks.acknowledge()` (or `Validations.of(x).acknowledge()`) on the task
 * definition or any ancestor is not reported, but is listed in `findings` with its reason.
 *
 * Opt-in: no construct of this library adds it. The task definitions are read when the app
 * validates, after every aspect has run, so changes other aspects make are seen.
 *
 * @example
 * Aspects.of(this).add(new TwelveFactorChecks({ minimumStopTimeout: Duration.seconds(20) }));
 */
export class TwelveFactorChecks implements IAspect {
  /**
   * Acknowledges the findings of one rule on a construct and everything under it, with a
   * reason a reviewer would agree with. Recorded as the `aws:cdk:acknowledged-rules`
   * construct metadata, which cdk-nag 3 and aws-cdk-lib's `Validations` read too.
   *
   * @param scope the task definition, or any construct above it (a service, a stack)
   * @param ruleId the rule, for example `TwelveFactors-IX1`
   * @param reason why the finding is accepted
   */
  public static acknowledge(scope: IConstruct, ruleId: string, reason: string): void {
    const isConstruct = Construct.isConstruct(scope);
    const p = new Problems(CLASS, isConstruct ? scope : NO_SCOPE);
    p.when(!isConstruct, `\`scope\` ${show(scope)} is not a construct; acknowledge on the task definition or a construct above it`);
    p.when(typeof ruleId !== 'string' || !RULE_IDS.includes(ruleId),
      `\`ruleId\` ${show(ruleId)} is not a rule of ${CLASS}; use one of ${RULE_IDS.join(', ')}`);
    p.when(typeof reason !== 'string' || reason.trim().length === 0 || Token.isUnresolved(reason),
      `\`reason\` ${show(reason)} is not valid; say in a sentence why the finding is accepted`);
    p.throwIfAny();
    acknowledge(scope, [{ id: ruleId, reason: reason.trim() }]);
  }

  private readonly minimumStopTimeoutSeconds: number;
  private readonly warningsAsErrors: boolean;
  private readonly disabledRules: Set<string>;
  private readonly visited = new Set<IConstruct>();
  private readonly inspected = new Set<IConstruct>();
  private readonly found: TwelveFactorFinding[] = [];

  constructor(props: TwelveFactorChecksProps = {}) {
    const p = new Problems(CLASS, NO_SCOPE);
    const given = props ?? {};
    if (typeof given !== 'object' || Array.isArray(given)) {
      p.add(`\`props\` ${show(given)} is not a TwelveFactorChecksProps object`);
      p.throwIfAny();
    }
    const checked = checkKinds(p, given, [
      ['minimumStopTimeout', 'Duration'], ['warningsAsErrors', 'boolean'], ['disabledRules', 'list of strings'],
    ]);
    const minimum = checked.minimumStopTimeout;
    if (minimum !== undefined && minimum.isUnresolved()) {
      p.add('`minimumStopTimeout` must be known at synth time, for example Duration.seconds(10)');
    } else {
      const problem = checkSeconds('minimumStopTimeout', minimum, 2, 120);
      if (problem) p.add(problem);
    }
    for (const id of checked.disabledRules ?? []) {
      p.when(!RULE_IDS.includes(id), `\`disabledRules\` ${show(id)} is not a rule of ${CLASS}; use ${RULE_IDS.join(', ')}`);
    }
    p.throwIfAny();
    this.minimumStopTimeoutSeconds = minimum?.toSeconds() ?? 10;
    this.warningsAsErrors = checked.warningsAsErrors ?? false;
    this.disabledRules = new Set(checked.disabledRules ?? []);
  }

  /**
   * Every finding so far, acknowledged ones included, in the order reported. Filled when
   * the app synthesizes (the checks run when it validates).
   */
  public get findings(): TwelveFactorFinding[] {
    return [...this.found];
  }

  /**
   * Marks a construct for checking when it is an ECS task definition resource (once per
   * construct). The check itself runs when the app validates, after every aspect: reading
   * the containers earlier would fix them (CDK caches what an L2 renders lazily) before
   * other aspects could change them.
   */
  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node) || node.cfnResourceType !== TASK_DEFINITION_TYPE) return;
    if (this.visited.has(node)) return;
    this.visited.add(node);
    node.node.addValidation({
      validate: () => {
        this.inspect(node);
        return [];
      },
    });
  }

  private inspect(node: CfnResource): void {
    if (this.inspected.has(node)) return; // the app may synthesize (and validate) more than once
    this.inspected.add(node);
    const task = renderedProperties(node);
    const containers = list(task.ContainerDefinitions).map((c, i) => new Container(c, i));
    const volumes = list(task.Volumes);
    const hostVolumes = new Map<string, string>();
    for (const volume of volumes) {
      const description = statefulVolume(volume);
      if (description && typeof volume.Name === 'string') hostVolumes.set(volume.Name, description);
    }
    const hostMounts = new Map<string, string[]>(containers.map((c) => [c.name, c.hostMounts(hostVolumes)]));

    for (const c of containers) {
      this.check(node, c, 'TwelveFactors-II1', c.def.ReadonlyRootFilesystem === true || isToken(c.def.ReadonlyRootFilesystem) ? [] : [
        `${c.title} has a writable root file system: a process can change the code and dependencies the image was released with `
        + '(factor II, explicit and isolated dependencies; V, immutable releases). Set `readonlyRootFilesystem: true` '
        + '(ReadonlyRootFilesystem) and mount a task-local volume where the app must write, such as /tmp.',
      ]);
      this.check(node, c, 'TwelveFactors-III1', c.secretLookingVariables());
      this.check(node, c, 'TwelveFactors-VI1', [
        ...(hostMounts.get(c.name) ?? []).map((mount) => `${c.title} mounts ${mount}: state kept on the host outlives the task and `
          + 'ties it to one machine (factor VI, stateless processes). Keep state in a backing service (a database, S3, EFS) '
          + 'and use task storage that dies with the task for scratch files.'),
        ...c.volumesFrom().filter((source) => (hostMounts.get(source) ?? []).length > 0).map((source) =>
          `${c.title} mounts the volumes of container '${source}', which include ${hostMounts.get(source)![0]}: state kept on the `
          + 'host outlives the task (factor VI, stateless processes). Keep state in a backing service and drop the `volumesFrom`.'),
      ]);
      this.check(node, c, 'TwelveFactors-IX1', !c.essential || c.hasHealthCheck ? [] : [
        `Essential container '${c.name}' has no health check: ECS cannot replace a process that hangs, nor wait for a new one to be `
        + 'ready (factor IX, disposability). Add a container health check, for example `healthCheck: { command: [\'CMD-SHELL\', '
        + '\'curl -f http://localhost:8080/health || exit 1\'] }` (HealthCheck).',
      ]);
      this.check(node, c, 'TwelveFactors-IX2', this.stopTimeoutProblems(c));
      this.check(node, c, 'TwelveFactors-XI1', !c.essential || c.logDriver !== undefined ? [] : [
        `Essential container '${c.name}' has no log configuration${c.def.LogConfiguration ? ' (its log driver is none)' : ''}: `
        + 'what it writes to stdout and stderr is lost (factor XI, logs as event streams). Give it a log driver, for example '
        + `\`logging: ecs.LogDrivers.awsLogs({ streamPrefix: '${c.name}' })\` (LogConfiguration).`,
      ]);
    }
  }

  private stopTimeoutProblems(c: Container): string[] {
    const given = c.def.StopTimeout;
    if (isToken(given)) return [];
    const seconds = typeof given === 'number' ? given : ECS_DEFAULT_STOP_TIMEOUT_SECONDS;
    if (seconds >= this.minimumStopTimeoutSeconds) return [];
    const what = typeof given === 'number' ? `a stop timeout of ${seconds} s` : `no stop timeout, so ECS's default of ${seconds} s applies,`;
    return [`${c.title} has ${what} below the minimum of ${this.minimumStopTimeoutSeconds} s: after SIGTERM the process may be killed `
      + 'before it finishes its work in flight (factor IX, graceful shutdown). Set '
      + `\`stopTimeout: Duration.seconds(${this.minimumStopTimeoutSeconds})\` or more (StopTimeout; at most 120 s on Fargate).`];
  }

  private check(resource: CfnResource, c: Container, ruleId: string, problems: string[]): void {
    if (this.disabledRules.has(ruleId)) return;
    for (const problem of problems) {
      this.report(resource, c.name, ruleId, `[${ruleId}] ${problem} To accept it, TwelveFactorChecks.acknowledge(scope, '${ruleId}', reason).`);
    }
  }

  private report(resource: CfnResource, container: string, ruleId: string, message: string): void {
    const defaultSeverity = DEFAULT_SEVERITY.get(ruleId)!;
    const severity = this.warningsAsErrors ? FindingSeverity.ERROR : defaultSeverity;
    const reason = acknowledgedReason(resource, ruleId);
    this.found.push({
      ruleId, severity, path: resource.node.path, container, message, acknowledged: reason !== undefined, reason,
    });
    if (reason !== undefined) return;
    if (severity === FindingSeverity.ERROR) {
      Annotations.of(resource).addError(message);
    } else {
      Annotations.of(resource).addWarningV2(`cdk-microservices:${ruleId}`, message);
    }
  }
}

type Json = { [key: string]: unknown };

/**
 * The task definition's properties as they will be deployed: rendered by the resource (so
 * property overrides, the escape hatch of a fix, count) and resolved by its stack (the L2
 * renders its containers lazily). What stays an object in place of a string or number is
 * an intrinsic function: a value unknown at synth time.
 */
function renderedProperties(resource: CfnResource): Json {
  const rendered = Stack.of(resource).resolve(resource._toCloudFormation()) as { Resources?: { [id: string]: { Properties?: Json } } };
  const [body] = Object.values(rendered?.Resources ?? {});
  return body?.Properties ?? {};
}

function list(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter((v): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v)) : [];
}

/** A value left as an intrinsic function (a token) after resolution. */
function isToken(value: unknown): boolean {
  return value !== null && typeof value === 'object';
}

/**
 * How a task volume keeps state on the host, or undefined when it does not: a host path, or
 * a Docker volume of the local driver shared beyond the task. EFS, FSx, task-scoped Docker
 * volumes, EBS volumes configured at launch and volumes without a source path (task
 * storage) are not.
 */
function statefulVolume(volume: Json): string | undefined {
  const host = volume.Host as Json | undefined;
  if (host && host.SourcePath !== undefined) {
    return `the host path ${typeof host.SourcePath === 'string' ? host.SourcePath : '(a token)'} (volume ${show(volume.Name)})`;
  }
  const docker = volume.DockerVolumeConfiguration as Json | undefined;
  if (docker && docker.Scope === 'shared' && (docker.Driver === undefined || docker.Driver === 'local')) {
    return `the Docker volume ${show(volume.Name)}, shared on the host beyond the task`;
  }
  return undefined;
}

/** One rendered container definition. */
class Container {
  public readonly name: string;
  public readonly title: string;

  constructor(public readonly def: Json, index: number) {
    this.name = typeof def.Name === 'string' ? def.Name : `#${index + 1}`;
    this.title = `Container '${this.name}'`;
  }

  /** Containers are essential unless they say otherwise (ECS's default). */
  public get essential(): boolean {
    return literal(this.def.Essential) !== false;
  }

  /** A health check that is not `NONE` (Docker's way of turning the image's health check off). */
  public get hasHealthCheck(): boolean {
    const check = this.def.HealthCheck as Json | undefined;
    if (!check) return false;
    const command = check.Command;
    return !(Array.isArray(command) && command[0] === 'NONE');
  }

  /** The log driver, unless none is set or it is `none`. */
  public get logDriver(): unknown {
    const driver = (this.def.LogConfiguration as Json | undefined)?.LogDriver;
    return driver === 'none' ? undefined : driver;
  }

  /** The host state it mounts, one description each. */
  public hostMounts(hostVolumes: Map<string, string>): string[] {
    return list(this.def.MountPoints)
      .filter((m) => typeof m.SourceVolume === 'string' && hostVolumes.has(m.SourceVolume))
      .map((m) => `${hostVolumes.get(m.SourceVolume as string)}${typeof m.ContainerPath === 'string' ? ` at ${m.ContainerPath}` : ''}`);
  }

  /** The containers whose volumes it mounts. */
  public volumesFrom(): string[] {
    return list(this.def.VolumesFrom).map((v) => v.SourceContainer).filter((s): s is string => typeof s === 'string');
  }

  /** Plain environment variables that look like secrets, one problem each. */
  public secretLookingVariables(): string[] {
    const problems: string[] = [];
    const fix = 'Pass it as a secret from Secrets Manager or SSM Parameter Store (the container\'s `secrets`, ecs.Secret), '
      + 'which ECS injects at task start.';
    for (const variable of list(this.def.Environment)) {
      const name = variable.Name;
      const value = variable.Value;
      if (typeof name !== 'string') continue;
      const where = `${this.title} has the plain environment variable ${name}`;
      const clearText = 'its value is stored in clear text in the task definition (factor III, config in the environment, secrets kept secret).';
      if (typeof value === 'string') {
        const kind = secretValueKind(value);
        if (looksSecretName(name)) {
          problems.push(`${where}, whose name looks like a secret: ${clearText} ${fix}`);
        } else if (kind) {
          problems.push(`${where}, whose value looks like ${kind}: ${clearText} ${fix}`);
        } else if (holdsSecretReference(value)) {
          problems.push(`${where}, which holds a dynamic reference to a secret: ${clearText} ${fix}`);
        }
      } else if (literals(value).some(holdsSecretReference)) {
        problems.push(`${where}, which holds a dynamic reference to a secret: ${clearText} ${fix}`);
      }
    }
    return problems;
  }
}

/** The value, or undefined when it is a token. */
function literal(value: unknown): unknown {
  return isToken(value) ? undefined : value;
}

/** Every string inside a resolved value (the literal parts of an `Fn::Join`, for example). */
function literals(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(literals);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(literals);
  return [];
}

/**
 * The reason a rule is acknowledged with on the resource or its nearest ancestor that
 * acknowledges it, or undefined. Reads the `aws:cdk:acknowledged-rules` metadata, by rule
 * id or with the `annotation::` prefix `Validations.acknowledge()` adds.
 */
function acknowledgedReason(resource: IConstruct, ruleId: string): string | undefined {
  const keys = [ruleId, `annotation::${ruleId}`];
  for (const scope of [...resource.node.scopes].reverse()) {
    const entries = scope.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY);
    for (const entry of entries.reverse()) {
      const data = entry.data as { [id: string]: unknown } | undefined;
      for (const key of keys) {
        const reason = data?.[key];
        if (typeof reason === 'string') return reason;
      }
    }
  }
  return undefined;
}
