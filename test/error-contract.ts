/**
 * The contract every refusal keeps, shared by the property tests: our error class, a message
 * "`Class` at <construct path>: ...", and every problem naming a prop in backticks.
 */

/** What a refusal must name. */
export interface Expected {
  /** The class names the error may name (the construct or the one reporting for it). */
  readonly classes: string[];
  /** The construct path the error must name; a prefix when `pathPrefix` is set. */
  readonly path: string;
  readonly pathPrefix?: boolean;
  /** Prop names a problem may name in backticks. */
  readonly props: string[];
}

/**
 * Asserts the error keeps the contract and returns its message. A problem names a prop when
 * it holds one of the props in backticks (`port`, `createLoadBalancer: true`, or an entry `allowFrom[0]`).
 */
export function expectValidationError(err: unknown, expected: Expected): string {
  if (!(err instanceof Error) || err.name !== 'MicroservicesValidationError') {
    const detail = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack}` : String(err);
    throw new Error(`expected a MicroservicesValidationError at ${expected.path}, got ${detail}`);
  }
  const match = /^`(\w+)` at ([^\s:][^:]*):[ \n]([\s\S]+)$/.exec(err.message);
  if (!match) throw new Error(`the message does not start with "\`Class\` at <path>: ": ${err.message}`);
  const [, className, path] = match;
  const pathOk = path === expected.path || (expected.pathPrefix === true && path.startsWith(`${expected.path}/`));
  if (!expected.classes.includes(className) || !pathOk) {
    throw new Error(`expected \`${expected.classes.join('|')}\` at ${expected.path}: ${err.message}`);
  }
  const problems = (err as unknown as { problems: string[] }).problems;
  if (!Array.isArray(problems) || problems.length === 0) throw new Error(`the error lists no problem: ${err.message}`);
  for (const problem of problems) {
    const named = [...problem.matchAll(/`([A-Za-z][A-Za-z0-9.]*)(?:\[\d+\])?(:[^`]*)?`/g)].map((m) => m[1]);
    if (!named.some((name) => expected.props.includes(name))) {
      throw new Error(`the problem names no prop in backticks: ${problem}\n(message: ${err.message})`);
    }
  }
  return err.message;
}

/** Each group lists props of which the message must name one in backticks. */
export function expectNamesOneOf(message: string, groups: string[][]): void {
  for (const group of groups) {
    if (!group.some((name) => message.includes(`\`${name}`))) {
      throw new Error(`the error names none of ${group.join(', ')}: ${message}`);
    }
  }
}

/** Runs `build`; returns the error it threw, or undefined. */
export function attempt(build: () => void): unknown {
  try {
    build();
    return undefined;
  } catch (err) {
    return err ?? new Error('a falsy value was thrown');
  }
}

/** Fails with the error's stack when `build` threw. */
export function expectConstructs(build: () => void): void {
  const err = attempt(build);
  if (err !== undefined) throw new Error(`expected to construct, got ${err instanceof Error ? err.stack : String(err)}`);
}
