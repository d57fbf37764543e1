import { App } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Whether the warning `id` is acknowledged (`Annotations.of(x).acknowledgeWarning(id)`) on
 * `scope` or one of its ancestors. aws-cdk-lib keeps acknowledgements per app, by construct
 * path; its `addWarningV2` checks only the ancestors of the construct it warns on, so a
 * warning added at synthesis would ignore an acknowledgement on the construct itself.
 */
export function warningAcknowledged(scope: IConstruct, id: string): boolean {
  const app = App.of(scope) as unknown as { [key: symbol]: unknown } | undefined;
  const registry = app?.[Symbol.for('@aws-cdk/core.Acknowledgements')] as { acks?: Map<string, Set<string>> } | undefined;
  const acks = registry?.acks;
  if (!(acks instanceof Map)) return false;
  return scope.node.scopes.some((c) => acks.get(c.node.path.replace(/^\//, ''))?.has(id) === true);
}
