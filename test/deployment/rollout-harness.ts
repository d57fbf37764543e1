/**
 * Executes the synthesized rollout state machine of a `CanaryDeployment` locally, against a
 * simulated AWS "world" (DynamoDB, ECS, Application Auto Scaling, Route 53, CloudWatch,
 * EventBridge, SNS), with `aws-local-stepfunctions`.
 *
 * - `synthesizeCanary()` builds a stack with a `CanaryDeployment`, takes the state machine's
 *   `DefinitionString` from the template, resolves its `Fn::Join` (every `Ref` becomes
 *   `REF:<logicalId>`, every `Fn::GetAtt` becomes `ATT:<logicalId>.<attribute>`) and parses it.
 *   The same placeholders are used for the resources the world starts from (task definitions,
 *   services, records, alarms, scalable targets), so the definition and the template must agree.
 * - `World` holds the state of the simulated services. Its handlers validate every call the way
 *   the real API would (unknown parameters, attribute value types, expression syntax, reserved
 *   words, unused expression values, record fields other than the weight, ...): a mistake is
 *   recorded in `world.violations` (tests expect none) and thrown, never silently accepted.
 * - `runRollout()` runs one execution: every Task state gets the world's handler for its
 *   `Resource` (keyed by state name, `overrides.taskResourceLocalHandlers`), every Wait and
 *   every retry interval is shortened to 0 ms, and the event log is recorded.
 *
 * Waits are 0 ms, so time is virtual: `Run.timeline` gives each state entered with the seconds
 * the real execution would have waited before it (the sum of the `Seconds` of the Wait states
 * entered so far).
 *
 * The harness lives in ./harness/, one module per part, all re-exported here:
 * - json.ts: `Json` and `clone`;
 * - synthesis.ts: `synthesizeCanary`, `resolveTokens`, definition helpers;
 * - world-model.ts: errors, throttling names, scenario types, `RESOURCE_API`, record shapes;
 * - rollout-world.ts: `World`, the simulated services and their handlers;
 * - dynamodb-expressions.ts: attribute values, UpdateExpression and ConditionExpression
 *   (unit tests: dynamodb-expressions.test.ts);
 * - execution.ts: `runRollout` and helpers to read a run;
 * - event-pattern.ts: the event a PutEvents entry becomes, and matching it with a rule's pattern.
 */
export * from './harness/json';
export * from './harness/synthesis';
export * from './harness/world-model';
export * from './harness/rollout-world';
export { unmarshall } from './harness/dynamodb-expressions';
export * from './harness/execution';
export * from './harness/event-pattern';
