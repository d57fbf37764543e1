/**
 * What is live, kept where a deployment reads it: the rollout records in the service item of the
 * state table the image each slot runs (`blueImage`, `greenImage`) and each slot's weight
 * (`blueWeight`, `greenWeight`) whenever it changes them. At deploy time the canary's live-state
 * custom resource (live-state.ts) reads them, and the slots' task definitions and records take
 * their image and weight from it: a deployment never puts the template's image or weights back.
 *
 * And an abort requested by an operator (`abortRequested`, the rollout id, set by
 * `npx cdk-microservices rollout abort` on the lock holder's item), read at every poll.
 */
import { State, retry } from './rollout-integrations';
import { HELD_BY_THIS_EXECUTION, THIS_EXECUTION } from './rollout-lock';

/** The attributes of the service item that hold what is live, per slot. */
export const LIVE_ATTRIBUTES = {
  /** `<slot>Image`: the image the slot's service runs (S). */
  imageSuffix: 'Image',
  /** `<slot>Weight`: the slot's record weight (N). */
  weightSuffix: 'Weight',
  /** The rollout id an operator asked to abort (S); removed with the lock. */
  abortRequested: 'abortRequested',
};

const SERVICE_KEY = { pk: { S: 'service' } };

/** Where an abort check finds the rollout id an operator asked to abort. */
const REQUESTED = `$.abort.Item.${LIVE_ATTRIBUTES.abortRequested}.S`;

/** The name of the attribute `<slot><suffix>` of the slot at `slotPath` (an intrinsic). */
function slotAttribute(slotPath: string, suffix: string): string {
  return `States.Format('{}${suffix}', ${slotPath})`;
}

/**
 * An UpdateItem of the service item, conditioned on the lock being this rollout's and this
 * execution's: a rollout whose lock was taken over writes nothing and ends in `LockTakenOver`.
 */
function updateService(tableName: string, set: string, names: State, values: State, next: string, onError: State): State {
  return {
    Type: 'Task',
    Resource: 'arn:aws:states:::dynamodb:updateItem',
    Parameters: {
      TableName: tableName,
      Key: SERVICE_KEY,
      UpdateExpression: `SET ${set}`,
      ConditionExpression: HELD_BY_THIS_EXECUTION,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...values, ':id': { 'S.$': '$.input.rolloutId' }, ...THIS_EXECUTION },
    },
    ResultPath: null,
    Retry: retry('dynamodb'),
    Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.error', Next: 'LockTakenOver' }, onError],
    Next: next,
  };
}

/** Records that the idle slot runs the released image (after its service was updated). */
export function recordIdleImageState(tableName: string, next: string, onError: State): State {
  return updateService(tableName, '#image = :image',
    { '#image.$': slotAttribute('$.slots.idle.name', LIVE_ATTRIBUTES.imageSuffix) },
    { ':image': { 'S.$': '$.input.image' } },
    next, onError);
}

/** A weight: a constant, or a JSONPath to its decimal text. */
export type WeightText = string | { path: string };

/** Records both slots' weights (after they were set in Route 53). */
export function recordWeightsState(tableName: string, idle: WeightText, live: WeightText, next: string, onError: State): State {
  const number = (w: WeightText): State => (typeof w === 'string' ? { N: w } : { 'N.$': w.path });
  return updateService(tableName, '#idleWeight = :idleWeight, #liveWeight = :liveWeight',
    {
      '#idleWeight.$': slotAttribute('$.slots.idle.name', LIVE_ATTRIBUTES.weightSuffix),
      '#liveWeight.$': slotAttribute('$.slots.live.name', LIVE_ATTRIBUTES.weightSuffix),
    },
    { ':idleWeight': number(idle), ':liveWeight': number(live) },
    next, onError);
}

/**
 * The states of an abort check: `<name>` reads `abortRequested` of the service item, then
 * `<name>Choice` goes to `aborted` if it names this rollout, else to `next`. A read that fails is
 * no reason to stop a rollout: it goes on to `next` (the next poll reads again).
 */
export function abortCheckStates(tableName: string, name: string, next: string, aborted: string): { [name: string]: State } {
  const choice = `${name}Choice`;
  return {
    [name]: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:getItem',
      Parameters: { TableName: tableName, Key: SERVICE_KEY, ConsistentRead: true, ProjectionExpression: LIVE_ATTRIBUTES.abortRequested },
      ResultPath: '$.abort',
      Retry: retry('dynamodb'),
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.abortError', Next: next }],
      Next: choice,
    },
    // Rules in order: the second reads the attribute only once the first established it is there
    // (a comparison with a missing path is a runtime error, which no Catch of a Choice takes).
    [choice]: {
      Type: 'Choice',
      Choices: [
        { Not: { Variable: REQUESTED, IsPresent: true }, Next: next },
        { Variable: REQUESTED, StringEqualsPath: '$.input.rolloutId', Next: aborted },
      ],
      Default: next,
    },
  };
}
