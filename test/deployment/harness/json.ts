/** JSON values as the rollout harness passes them around, and deep copies of them. */

/** A JSON value as the state machine passes it around. */
export type Json = any;

/**
 * A deep copy made in this realm. Not `structuredClone`: under jest it returns objects of the
 * outer realm, whose prototype is not this realm's `Object.prototype`, and aws-local-stepfunctions
 * then leaves nested payload templates unevaluated.
 */
export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}
