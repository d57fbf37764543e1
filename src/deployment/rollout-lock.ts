/**
 * One rollout at a time: the lock on the service item of the state table, and how a start
 * that finds it held decides. The lock records the rollout id (`lockedBy`), the execution that
 * holds it (`lockedByExecution`) and when it was taken (`lockedAt`). A start that finds it held
 * asks Step Functions for the holder's execution status (DescribeExecution): a holder that no
 * longer runs (it succeeded, failed, timed out, was stopped, or no longer exists) left the lock
 * behind, and the start takes it over with a conditional write; a running holder keeps it.
 */
import { ROLLOUT_ERRORS, State, retry, sdk } from './rollout-integrations';
import { intrinsicLiteral } from './rollout-text';

/**
 * The attributes of the lock, as a REMOVE list: every state that releases the lock removes them
 * all, with an operator's request to abort the rollout that held it (rollout-live-state.ts).
 */
export const LOCK_ATTRIBUTES = 'lockedBy, lockedByExecution, lockedAt, abortRequested';

/**
 * The condition of a release: the lock is still held by this rollout and this execution (a
 * lock taken over from this execution, by another start of the same rollout id too, is not
 * released by it). Its values: `:id` (the rollout id) and {@link THIS_EXECUTION}.
 */
export const HELD_BY_THIS_EXECUTION = 'lockedBy = :id AND lockedByExecution = :exec';

/** The value of `:exec`: this execution's ARN. */
export const THIS_EXECUTION = { ':exec': { 'S.$': '$$.Execution.Id' } };

/** The `status` of the rollout item of a holder whose lock was taken over while it was IN_PROGRESS. */
export const ABANDONED_STATUS = 'ABANDONED';

/** The `status` a takeover records when DescribeExecution says the holder's execution does not exist. */
export const HOLDER_GONE = 'DOES_NOT_EXIST';

/**
 * The execution statuses (DescribeExecution `status`) of a holder that no longer runs, whose lock
 * is taken over. RUNNING and PENDING_REDRIVE (a redrive is about to run it again) keep the lock;
 * so does a status this list does not know.
 */
export const ENDED_STATUSES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', HOLDER_GONE];

/** Where the holder of a held lock is read (the ReadLock result) and where its execution status goes. */
const HOLDER = {
  rolloutId: '$.holder.Item.lockedBy.S',
  execution: '$.holder.Item.lockedByExecution.S',
  status: '$.holderExecution.status',
};

/** What the lock states need. */
export interface LockConfig {
  readonly tableName: string;
  /** What the service is called in causes. */
  readonly label: string;
  /** The state after the lock is taken (it reads the live slot from `$.lock.liveSlot`). */
  readonly next: string;
}

const SERVICE_KEY = { pk: { S: 'service' } };

/** The ExpressionAttributeValues that take the lock for this rollout and execution. */
const TAKE_VALUES = {
  ':id': { 'S.$': '$.input.rolloutId' },
  ...THIS_EXECUTION,
  ':now': { 'S.$': '$$.State.EnteredTime' },
  ':blue': { S: 'blue' },
};
// (An abort requested of an earlier holder goes with its lock.)
const TAKE_UPDATE = 'SET lockedBy = :id, lockedByExecution = :exec, lockedAt = :now, liveSlot = if_not_exists(liveSlot, :blue) REMOVE abortRequested';

/**
 * The states of the lock, from `TakeLock` (the first) to `c.next` (the lock taken or taken over),
 * `AlreadyRunning` (a start repeated while its rollout runs) or `RolloutInProgress` (refused; the
 * Cause says why and names the holder).
 */
export function lockStates(c: LockConfig): { [name: string]: State } {
  const label = intrinsicLiteral(c.label);
  // A refusal: the cause, built at run time, then RolloutInProgress (whose CausePath reads it).
  const refuse = (format: string, ...paths: string[]): State => ({
    Type: 'Pass',
    Parameters: { 'cause.$': `States.Format('${format}'${paths.map((p) => `, ${p}`).join('')})` },
    ResultPath: '$.refusal',
    Next: 'RolloutInProgress',
  });
  // A conditional write of the lock for this rollout and execution; on conflict, `onConflict`.
  const take = (condition: string, values: object, onConflict: string): State => ({
    Type: 'Task',
    Resource: 'arn:aws:states:::dynamodb:updateItem',
    Parameters: {
      TableName: c.tableName,
      Key: SERVICE_KEY,
      UpdateExpression: TAKE_UPDATE,
      ConditionExpression: condition,
      ExpressionAttributeValues: { ...TAKE_VALUES, ...values },
      ReturnValues: 'ALL_NEW',
    },
    ResultSelector: { 'liveSlot.$': '$.Attributes.liveSlot.S' },
    ResultPath: '$.lock',
    Retry: retry('dynamodb'),
    Catch: [{ ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.error', Next: onConflict }],
    Next: c.next,
  });
  const running = { Or: ['RUNNING', 'PENDING_REDRIVE'].map((status) => ({ Variable: HOLDER.status, StringEquals: status })) };
  return {
    // A conditional write on the service item.
    TakeLock: take('attribute_not_exists(lockedBy)', {}, 'ReadLock'),
    ReadLock: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:getItem',
      Parameters: { TableName: c.tableName, Key: SERVICE_KEY, ConsistentRead: true },
      ResultPath: '$.holder',
      Retry: retry('dynamodb'),
      Next: 'SameRollout',
    },
    // Rules in order: each reads a field only once the rules before it have established it is there.
    SameRollout: {
      Type: 'Choice',
      Choices: [
        { Not: { Variable: HOLDER.rolloutId, IsPresent: true }, Next: 'LockChanged' },
        { Variable: HOLDER.execution, IsPresent: true, Next: 'DescribeHolder' },
        // A lock of an earlier version of the state machine (no execution recorded).
        { Variable: HOLDER.rolloutId, StringEqualsPath: '$.input.rolloutId', Next: 'AlreadyRunning' },
      ],
      Default: 'LockOfEarlierVersion',
    },
    AlreadyRunning: { Type: 'Succeed', Comment: 'A start repeated with the id of the rollout that runs: nothing to do.' },
    LockChanged: {
      Type: 'Pass',
      Parameters: { cause: `The lock of ${c.label} was released while this start read it; start this rollout again.` },
      ResultPath: '$.refusal',
      Next: 'RolloutInProgress',
    },
    // (A table name is letters, digits, '_', '-' and '.': nothing to escape; it is a token here,
    // which escaping would break.)
    LockOfEarlierVersion: refuse(
      `Rollout {} of ${label} holds a lock taken by an earlier version of this state machine, which does not record its execution. `
      + `If no execution of rollout {} runs any more, delete lockedBy and lockedAt from the item service of table ${c.tableName}, `
      + 'then start this rollout again.',
      HOLDER.rolloutId, HOLDER.rolloutId),
    // Whether the holder still runs. Only its status is kept (the answer also holds its input).
    DescribeHolder: {
      Type: 'Task',
      Resource: sdk('sfn', 'describeExecution'),
      Parameters: { 'ExecutionArn.$': HOLDER.execution },
      ResultSelector: { 'status.$': '$.Status' },
      ResultPath: '$.holderExecution',
      Retry: retry('sfn'),
      Catch: [
        // Executions are kept 90 days after they end: one that does not exist does not run.
        { ErrorEquals: ['Sfn.ExecutionDoesNotExistException'], ResultPath: '$.error', Next: 'HolderGone' },
        // Not knowing is no reason to take a lock over.
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'HolderUnknown' },
      ],
      Next: 'HolderRunning',
    },
    HolderGone: { Type: 'Pass', Result: { status: HOLDER_GONE }, ResultPath: '$.holderExecution', Next: 'HolderRunning' },
    HolderUnknown: refuse(
      `Rollout {} of ${label} holds the lock and the status of its execution {} could not be read ({}); start this one when it has ended.`,
      HOLDER.rolloutId, HOLDER.execution, '$.error.Error'),
    HolderRunning: {
      Type: 'Choice',
      Choices: [
        { And: [running, { Variable: HOLDER.rolloutId, StringEqualsPath: '$.input.rolloutId' }], Next: 'AlreadyRunning' },
        { Or: ENDED_STATUSES.map((status) => ({ Variable: HOLDER.status, StringEquals: status })), Next: 'TakeOverLock' },
      ],
      Default: 'HolderRuns',
    },
    HolderRuns: refuse(`Rollout {} of ${label} holds the lock: its execution {} is {}. Start this one when it has ended.`,
      HOLDER.rolloutId, HOLDER.execution, HOLDER.status),
    // The holder no longer runs: take its lock over, unless another start did it first (or the
    // holder's execution was redriven and released it meanwhile).
    TakeOverLock: take('lockedBy = :holder AND lockedByExecution = :holderExecution', {
      ':holder': { 'S.$': HOLDER.rolloutId },
      ':holderExecution': { 'S.$': HOLDER.execution },
    }, 'TakeOverLost'),
    TakeOverLost: refuse(`Rollout {} of ${label} could not take over the lock left by rollout {} (execution {}, {}): another start took it first.`,
      '$.input.rolloutId', HOLDER.rolloutId, HOLDER.execution, HOLDER.status),
    RolloutInProgress: { Type: 'Fail', Error: ROLLOUT_ERRORS.inProgress, CausePath: '$.refusal.cause' },
  };
}

/** Whether this rollout took the lock over (a Choice rule): the holder's status was read. */
export const TOOK_OVER = { Variable: HOLDER.status, IsPresent: true };

/**
 * The `tookOverFrom` attribute of the rollout item of a takeover (a DynamoDB map, optimized
 * integration spelling): the holder's rollout id, execution and status (each read before the
 * takeover, so that no path of the record can be missing).
 */
export const TOOK_OVER_FROM = {
  M: {
    rolloutId: { 'S.$': HOLDER.rolloutId },
    execution: { 'S.$': HOLDER.execution },
    status: { 'S.$': HOLDER.status },
  },
};
