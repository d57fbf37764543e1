/**
 * What the rollout command (cli/) and the construct agree on: where a canary is described, and
 * what a canary name is. Not exported from the package (jsii exports no constants); the command
 * imports this module (esbuild bundles it), so it imports nothing itself.
 */

/** Where the rollout command finds a canary: `<prefix><canaryName>` (an SSM String parameter). */
export const CANARY_PARAMETER_PREFIX = '/cdk-microservices/canaries/';

/** A level of an SSM parameter name: letters, digits, `_`, `.`, `-`. */
const LEVEL = /^[A-Za-z0-9_.-]+$/;

/** At most this many levels in a canary name (SSM allows 15 in all; the prefix takes 2). */
export const CANARY_NAME_MAX_LEVELS = 5;
/** At most this many characters in a canary name. */
export const CANARY_NAME_MAX_LENGTH = 200;

/**
 * Whether `name` can be a canary name: 1 to 5 levels of letters, digits, `_`, `.`, `-` separated
 * by `/`, at most 200 characters, not starting with `aws` or `ssm` (reserved by Parameter Store).
 */
export function isCanaryName(name: string): boolean {
  const levels = name.split('/');
  return name.length >= 1 && name.length <= CANARY_NAME_MAX_LENGTH && levels.length <= CANARY_NAME_MAX_LEVELS
    && levels.every((level) => LEVEL.test(level)) && !/^(aws|ssm)/i.test(name);
}

/** Why `name` cannot be a canary name, or undefined. */
export function canaryNameProblem(name: string): string | undefined {
  return isCanaryName(name) ? undefined
    : `\`canaryName\` ${JSON.stringify(name)} cannot name an SSM parameter under ${CANARY_PARAMETER_PREFIX}: use 1 to ${CANARY_NAME_MAX_LEVELS} levels of letters, digits, '_', '.' or '-' separated by '/', at most ${CANARY_NAME_MAX_LENGTH} characters in all, for example 'Users/users'`;
}
