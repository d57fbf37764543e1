/**
 * The canary names of an app, so that two canaries that would write one operator parameter
 * (`/cdk-microservices/canaries/<canaryName>` in one account and Region) are refused at synth.
 */
import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

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
