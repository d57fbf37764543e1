import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * What the rollout command (cli/) and the construct agree on: where a canary is described.
 * Not exported from the package (jsii exports no constants); the command keeps a copy, and a
 * test compares the two.
 */

/** Where the rollout command finds a canary: `<prefix><canaryName>` (an SSM String parameter). */
export const CANARY_PARAMETER_PREFIX = '/cdk-microservices/canaries/';

/** A level of an SSM parameter name: letters, digits, `_`, `.`, `-`. */
const LEVEL = /^[A-Za-z0-9_.-]+$/;

/** At most this many levels in a canary name (SSM allows 15 in all; the prefix takes 2). */
export const CANARY_NAME_MAX_LEVELS = 5;
/** At most this many characters in a canary name. */
export const CANARY_NAME_MAX_LENGTH = 200;

/** Why `name` cannot be a canary name, or undefined. */
export function canaryNameProblem(name: string): string | undefined {
  const levels = name.split('/');
  const valid = name.length >= 1 && name.length <= CANARY_NAME_MAX_LENGTH && levels.length <= CANARY_NAME_MAX_LEVELS
    && levels.every((level) => LEVEL.test(level)) && !/^(aws|ssm)/i.test(name);
  return valid ? undefined
    : `\`canaryName\` ${JSON.stringify(name)} cannot name an SSM parameter under ${CANARY_PARAMETER_PREFIX}: use 1 to ${CANARY_NAME_MAX_LEVELS} levels of letters, digits, '_', '.' or '-' separated by '/', at most ${CANARY_NAME_MAX_LENGTH} characters in all, for example 'Users/users'`;
}

/** The canaries of an app by `<account>/<region>/<canaryName>`: the path of each one. */
const CANARY_NAMES = new WeakMap<IConstruct, Map<string, string>>();

function nameKey(canary: IConstruct, name: string): string | undefined {
  const stack = Stack.of(canary);
  // Env-agnostic stacks may deploy to any account: nothing to compare.
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region) || Token.isUnresolved(name)) return undefined;
  return `${stack.account}/${stack.region}/${name}`;
}

/**
 * The path of another canary of this app that has the name `name` in the same account and
 * Region (its operator parameter would be the same SSM parameter), if there is one.
 */
export function canaryNameOwner(canary: IConstruct, name: string): string | undefined {
  const key = nameKey(canary, name);
  return key === undefined ? undefined : CANARY_NAMES.get(canary.node.root)?.get(key);
}

/** Records that `canary` has the name `name`. */
export function recordCanaryName(canary: IConstruct, name: string): void {
  const key = nameKey(canary, name);
  if (key === undefined) return;
  const names = CANARY_NAMES.get(canary.node.root) ?? new Map<string, string>();
  CANARY_NAMES.set(canary.node.root, names);
  names.set(key, canary.node.path);
}
