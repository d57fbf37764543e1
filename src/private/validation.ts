import { isIPv4, isIPv6 } from 'net';
import { Duration, Token, aws_logs as logs } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * The error every construct of this library throws for bad input. Its message names the
 * construct class, its path, the props at fault, what was given and what would be valid.
 *
 * Not exported from the package (aws-cdk's own ValidationError is internal too); users
 * match on the message or on `name === 'MicroservicesValidationError'`.
 */
export class MicroservicesValidationError extends Error {
  /** The construct path the error is about. */
  public readonly constructPath: string;
  /** Every problem found, one sentence each. */
  public readonly problems: string[];

  constructor(className: string, scope: IConstruct, problems: string[]) {
    const where = `\`${className}\` at ${scope.node.path || '<root>'}`;
    const body = problems.length === 1 ? ` ${problems[0]}` : problems.map((p) => `\n  - ${p}`).join('');
    super(`${where}:${body}`);
    this.name = 'MicroservicesValidationError';
    this.constructPath = scope.node.path;
    this.problems = problems;
    Object.setPrototypeOf(this, MicroservicesValidationError.prototype);
  }
}

/** An environment variable name: letters, digits and underscores, not starting with a digit. */
const ENV_VAR_PREFIX = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The problem of an `envVarPrefix` (the one rule, wherever a prefix is taken), if any.
 */
export function envVarPrefixProblem(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && Token.isUnresolved(value)) return '`envVarPrefix` must be known at synth time';
  if (typeof value !== 'string' || !ENV_VAR_PREFIX.test(value)) {
    return `\`envVarPrefix\` ${show(value)} is not valid; use letters, digits and underscores, not starting with a digit, for example USER_SIGNUP`;
  }
  return undefined;
}

/**
 * The one way this library refuses input: a construct or method collects the problems of its
 * props or arguments here (every check returns a problem sentence or undefined) and throws
 * them together, so that a user sees every conflicting prop in one
 * MicroservicesValidationError naming the construct and its path.
 *
 * Checks that run in a constructor use `Problems.ofConstruction(CLASS, this)`: when they throw,
 * the half-built construct is first taken out of the tree, so a caller that catches the error
 * (a test, a loop trying props, an app falling back to other props) can reuse the id and the
 * app still synthesizes without the refused construct. That is the only place this library
 * removes a construct.
 */
export class Problems {
  /** Problems of a construct's props, checked in its own constructor. */
  public static ofConstruction(className: string, construct: IConstruct): Problems {
    return new Problems(className, construct, true);
  }

  /** Throws the problems a check returned, if there are any. */
  public static throwAll(className: string, scope: IConstruct, problems: ReadonlyArray<string | undefined>): void {
    const p = new Problems(className, scope);
    p.addAll(problems);
    p.throwIfAny();
  }

  /** Throws a single problem, for a method's check of one argument. */
  public static reject(className: string, scope: IConstruct, problem: string): never {
    throw new MicroservicesValidationError(className, scope, [problem]);
  }

  private readonly problems: string[] = [];

  /**
   * @param className the class named in the message
   * @param scope the construct the error is about (its path is named)
   * @param constructing whether `scope` is being constructed (see ofConstruction)
   */
  constructor(private readonly className: string, private readonly scope: IConstruct, private readonly constructing = false) {}

  /** Records a problem. */
  public add(problem: string): void {
    this.problems.push(problem);
  }

  /** Records the problem when the condition holds. */
  public when(condition: boolean, problem: string): void {
    if (condition) this.add(problem);
  }

  /** Records each problem of a list, skipping the undefined results of checks that passed. */
  public addAll(problems: ReadonlyArray<string | undefined>): void {
    for (const problem of problems) if (problem !== undefined) this.add(problem);
  }

  /** The problems recorded so far. */
  public get all(): string[] {
    return [...this.problems];
  }

  /** Whether any problem was recorded. */
  public get any(): boolean {
    return this.problems.length > 0;
  }

  /** Throws every recorded problem at once. */
  public throwIfAny(): void {
    if (!this.any) return;
    const error = new MicroservicesValidationError(this.className, this.scope, this.problems);
    if (this.constructing) this.scope.node.scope?.node.tryRemoveChild(this.scope.node.id);
    throw error;
  }

}

/** True when the value is known at synth time (not a token, not undefined). */
export function known<T>(value: T | undefined): value is T {
  if (value === undefined || value === null) return false;
  if (typeof value === 'number' || typeof value === 'string') return !Token.isUnresolved(value);
  if (value instanceof Duration) return !value.isUnresolved();
  return true;
}

/** Checks a known number is a whole number within a range; returns the problem or undefined. */
export function checkInt(prop: string, value: number | undefined, min: number, max: number): string | undefined {
  if (!known(value)) return undefined;
  if (!Number.isFinite(value) || !Number.isInteger(value) || value < min || value > max) {
    return `\`${prop}\` ${value} is not valid; use a whole number from ${min} to ${max}`;
  }
  return undefined;
}

/**
 * Checks a known Duration is a whole number of seconds within a range (NaN and fractions of
 * a millisecond included); `range` words the range for the message, by default "min to max".
 */
export function checkSeconds(prop: string, value: Duration | undefined, min: number, max: number, range?: string): string | undefined {
  if (!known(value)) return undefined;
  const ms = value.toMilliseconds({ integral: false });
  if (!Number.isFinite(ms) || ms < min * 1000 || ms > max * 1000 || ms % 1000 !== 0) {
    return `\`${prop}\` ${value.toHumanString()} is not valid; use whole seconds from ${range ?? `${min} to ${max}`}`;
  }
  return undefined;
}

/** Renders a value for an error message without flooding it. */
export function show(value: unknown): string {
  let text: string;
  try {
    text = typeof value === 'string' ? `'${value}'` : JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The kinds of value a prop may hold, for the type checks that run before anything else. */
export type Kind = 'string' | 'number' | 'boolean' | 'Duration' | 'list of strings' | 'map of strings' | 'map';

function isPlainObject(value: unknown): value is { [key: string]: unknown } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * The problem when a prop that is set (not undefined) holds a value of the wrong kind, as
 * can happen from JavaScript or through jsii; undefined when the kind is right.
 */
export function kindProblem(prop: string, value: unknown, kind: Kind): string | undefined {
  if (value === undefined) return undefined;
  let ok: boolean;
  switch (kind) {
    case 'string': ok = typeof value === 'string'; break;
    case 'number': ok = typeof value === 'number'; break;
    case 'boolean': ok = typeof value === 'boolean'; break;
    case 'Duration': ok = value instanceof Duration; break;
    case 'list of strings': ok = Array.isArray(value) && value.every((v) => typeof v === 'string'); break;
    case 'map of strings': ok = isPlainObject(value) && Object.values(value).every((v) => typeof v === 'string'); break;
    case 'map': ok = isPlainObject(value); break;
    default: ok = false;
  }
  if (ok) return undefined;
  const hint = kind === 'Duration' ? ', for example Duration.seconds(30)' : '';
  return `\`${prop}\` ${show(value)} is not a ${kind}${hint}`;
}

/**
 * Checks the kinds of props: records a problem for each prop of the wrong kind and returns a
 * copy of the props without those, so the other checks run on the rest and every problem
 * lands in one error.
 */
export function checkKinds<T extends object>(p: Problems, props: T, checks: Array<[keyof T & string, Kind]>): T {
  const clean = { ...props } as { [key: string]: unknown };
  for (const [prop, kind] of checks) {
    const problem = kindProblem(prop, clean[prop], kind);
    if (problem) {
      p.add(problem);
      delete clean[prop];
    }
  }
  return clean as T;
}

/** The problem when a value set is not one of an enum's values. */
export function enumProblem(prop: string, value: unknown, values: object, name: string): string | undefined {
  if (value === undefined || Object.values(values).includes(value)) return undefined;
  return `\`${prop}\` ${show(value)} is not a ${name}; use one of ${Object.keys(values).map((k) => `${name}.${k}`).join(', ')}`;
}

/** The problem when a log retention is not one of CloudWatch Logs' values. */
export function logRetentionProblem(prop: string, value: logs.RetentionDays | undefined): string | undefined {
  if (!known(value) || Object.values(logs.RetentionDays).includes(value)) return undefined;
  return `\`${prop}\` ${show(value)} is not a CloudWatch Logs retention; use a logs.RetentionDays value such as ONE_MONTH or ONE_YEAR`;
}

/**
 * The range of a peer when it admits any address (`0.0.0.0/0`, `::/0`, also written `/00`),
 * else undefined: security groups, prefix lists, narrower and unresolved ranges.
 */
export function anyAddressRange(peer: { toIngressRuleConfig(): unknown }): string | undefined {
  const config = peer.toIngressRuleConfig() as { cidrIp?: string; cidrIpv6?: string };
  const cidr = config.cidrIp ?? config.cidrIpv6;
  return typeof cidr === 'string' && known(cidr) && /\/0+$/.test(cidr.trim()) ? cidr : undefined;
}

/**
 * The problem with the address range of a peer (`cidrIp` or `cidrIpv6` of its ingress rule),
 * or undefined when it is a valid CIDR range, not a range (a security group, a prefix list)
 * or a token. EC2 takes a security group rule's range in CIDR notation: an IPv4 address of
 * four numbers 0 to 255 with a prefix length of 0 to 32, or an IPv6 address with a prefix
 * length of 0 to 128 ("To specify a single IPv4 address, use the /32 prefix length").
 * `ec2.Peer.ipv4` checks only the shape (`999.1.0.0/16` and `10.1.0.0/99` pass it).
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Ipv6Range.html
 */
export function cidrRangeProblem(peer: { toIngressRuleConfig(): unknown }): string | undefined {
  const config = peer.toIngressRuleConfig() as { cidrIp?: unknown; cidrIpv6?: unknown };
  if (config === null || typeof config !== 'object') return undefined;
  if (config.cidrIp !== undefined) return cidrProblem(config.cidrIp, 4);
  if (config.cidrIpv6 !== undefined) return cidrProblem(config.cidrIpv6, 6);
  return undefined;
}

function cidrProblem(cidr: unknown, version: 4 | 6): string | undefined {
  if (typeof cidr === 'string' && Token.isUnresolved(cidr)) return undefined;
  const [address, prefix, ...rest] = typeof cidr === 'string' ? cidr.split('/') : [];
  const max = version === 4 ? 32 : 128;
  const validAddress = typeof address === 'string' && (version === 4 ? isIPv4(address) : isIPv6(address) && !address.includes('%'));
  const validPrefix = typeof prefix === 'string' && /^\d{1,3}$/.test(prefix) && Number(prefix) <= max;
  if (validAddress && validPrefix && rest.length === 0) return undefined;
  return version === 4
    ? `${show(cidr)} is not an IPv4 CIDR range; use four numbers from 0 to 255 and a prefix length from /0 to /32, like '10.1.0.0/16'`
    : `${show(cidr)} is not an IPv6 CIDR range; use an IPv6 address and a prefix length from /0 to /128, like '2001:db8::/56'`;
}
