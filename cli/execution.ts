/**
 * What a rollout's execution is doing, read from Step Functions: DescribeExecution for its
 * status, GetExecutionHistory (newest events first, only those not read yet) for where it is.
 * The states' input is the rollout's own data: `$.input` (image, rolloutId), `$.slots` (live and
 * idle slot, the idle slot's alarms), `$.at.step` (the step), `$.bake.count`, `$.outcome`.
 */
import { DescribeExecutionCommand, DescribeExecutionCommandOutput, GetExecutionHistoryCommand, HistoryEvent } from '@aws-sdk/client-sfn';
import { Clients } from './aws';
import { CanaryInfo } from './canary';

/** Execution statuses of an execution that still runs (or is about to run again). */
export const RUNNING_STATUSES = ['RUNNING', 'PENDING_REDRIVE'];

/** DescribeExecution, or undefined when Step Functions does not know the execution (any more). */
export async function describeExecution(clients: Clients, executionArn: string): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await clients.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (e) {
    if ((e as Error).name === 'ExecutionDoesNotExist') return undefined;
    throw e;
  }
}

/**
 * Reads an execution's history incrementally: each `read()` returns the events not read before,
 * oldest first, fetching newest-first pages only until it meets an event it has.
 */
export class HistoryReader {
  private lastId = 0;
  constructor(private readonly clients: Clients, public readonly executionArn: string, private readonly pageSize = 200) {}

  public async read(): Promise<HistoryEvent[]> {
    const fresh: HistoryEvent[] = [];
    let nextToken: string | undefined;
    let done = false;
    do {
      const answer = await this.clients.sfn.send(new GetExecutionHistoryCommand({
        executionArn: this.executionArn,
        reverseOrder: true,
        maxResults: this.pageSize,
        includeExecutionData: true,
        ...(nextToken ? { nextToken } : {}),
      }));
      for (const event of answer.events ?? []) {
        if ((event.id ?? 0) <= this.lastId) {
          done = true;
          break;
        }
        fresh.push(event);
      }
      nextToken = answer.nextToken;
    } while (!done && nextToken);
    fresh.reverse();
    if (fresh.length > 0) this.lastId = fresh[fresh.length - 1].id ?? this.lastId;
    return fresh;
  }
}

/** A step as the state input carries it (`$.at.step`). */
export interface StepData {
  readonly index: number;
  readonly number: number;
  readonly percent: number;
  readonly livePercent: number;
  readonly lastPoll: number;
  readonly approvalBefore: boolean;
  readonly last: boolean;
}

/** The phases of a rollout, from its state names. */
export type Phase = 'starting' | 'lock' | 'deploying' | 'health' | 'approval' | 'shifting' | 'dns' | 'baking' | 'rolling back' | 'promoting' | 'recording' | 'ended';

const PHASE_TEXT: { [phase in Phase]: string } = {
  'starting': 'starting',
  'lock': 'taking the lock',
  'deploying': 'deploying the release to the idle slot',
  'health': 'waiting for the idle slot to be steady and healthy',
  'approval': 'waiting for approval of the last step',
  'shifting': 'setting the weights',
  'dns': 'waiting for Route 53 to apply the weights',
  'baking': 'baking (watching the alarms)',
  'rolling back': 'rolling back: all traffic back to the live slot',
  'promoting': 'promoting the new slot',
  'recording': 'recording the outcome',
  'ended': 'ended',
};

/** The phase of a state of the rollout definition. */
export function phaseOf(state: string | undefined, rollingBack: boolean): Phase {
  if (state === undefined) return 'starting';
  if (['CheckInput', 'InvalidInput', 'UseGivenRolloutId', 'UseExecutionName', 'CheckImageRepository', 'ImageNotInRepository'].includes(state)) return 'starting';
  if (['TakeLock', 'ReadLock', 'SameRollout', 'LockChanged', 'LockOfEarlierVersion', 'DescribeHolder', 'HolderGone', 'HolderUnknown', 'HolderRunning',
    'HolderRuns', 'TakeOverLock', 'TakeOverLost', 'RolloutInProgress', 'AlreadyRunning'].includes(state)) return 'lock';
  if (['RecordOutcome', 'ReleaseLock', 'EmitOutcome', 'FailWith', 'ReleaseFailed', 'IdleSlotUnhealthy', 'RolloutNotRecorded', 'ReleaseLockOfRepeat',
    'AlreadyDone'].includes(state) || /^Fail[A-Z]/.test(state)) return 'recording';
  if (rollingBack || ['AlarmFired', 'DnsNotInSync', 'StepFailed', 'ApprovalTimedOut', 'ApprovalRefused', 'AbortRequested', 'RestoreWeights', 'RecordRestoredWeights', 'PublishRollbackMetrics', 'RollbackFailed'].includes(state)) return 'rolling back';
  if (['RequestApproval', 'CheckAlarmsAfterApproval', 'AlarmFiringAfterApproval'].includes(state)) return 'approval';
  if (['RecordSucceeded', 'RecordPromotion', 'Promote', 'PublishPromotionMetrics', 'EmitSucceeded', 'Promoted', 'ScaleInOldSlot'].includes(state)
    || /^Retire/.test(state)) return 'promoting';
  if (['SetWeights', 'RecordStepWeights', 'PublishStepMetrics'].includes(state)) return 'shifting';
  if (['StartDnsWait', 'WaitForDns', 'AbortWhileDnsSyncs', 'CheckDns', 'CheckAlarmsWhileDnsSyncs', 'DnsInSync', 'CountDnsPoll'].includes(state)) return 'dns';
  if (['StartBake', 'Bake', 'AbortWhileBaking', 'CheckAlarms', 'AlarmFiring', 'CountBakePoll', 'StepPassed', 'LastStep', 'NextStep',
    'LoadStep', 'NeedsApproval', 'StartStep'].includes(state)) return 'baking';
  if (['StartHealthWait', 'WaitForIdleSlot', 'AbortWhileDeploying', 'DescribeIdleSlot', 'IdleSlotSteady', 'CountHealthPoll'].includes(state)) return 'health';
  return 'deploying';
}

/** The words of a phase. */
export function phaseText(phase: Phase): string {
  return PHASE_TEXT[phase];
}

/** What task-ending events end the wait of a scheduled task. */
const TASK_ENDS = ['TaskSucceeded', 'TaskFailed', 'TaskTimedOut', 'TaskSubmitFailed', 'TaskStartFailed', 'TaskStateAborted', 'TaskStateExited'];

/** The ending of an execution. */
export interface Ending {
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  /** The Succeed or Fail state it ended in (AlreadyDone, AlreadyRunning, Promoted, FailRolledBack, ...). */
  readonly state?: string;
  readonly at?: Date;
}

function parse(text: string | undefined): any {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A rollout's execution as its history tells it, fed event by event. */
export class RolloutView {
  public rolloutId?: string;
  public image?: string;
  public startedAt?: Date;
  public state?: string;
  public stateEnteredAt?: Date;
  public step?: StepData;
  public stepCount?: number;
  public liveSlot?: string;
  public idleSlot?: string;
  public alarmNames: string[] = [];
  /** Weights on the idle (new) slot and the live slot. */
  public idleWeight = 0;
  public liveWeight = 100;
  /** When the weights of the current step were set. */
  public weightsSetAt?: Date;
  /** When the current step's bake started (Route 53 in sync), and the polls it lasts. */
  public bakeStartedAt?: Date;
  public bakePollsDone = 0;
  public rollingBack = false;
  public outcome?: { status?: string; reason?: string; error?: string };
  /** The approval waiting, with its task token. */
  public approval?: { since: Date; taskToken?: string };
  public ending?: Ending;
  /** The Succeed/Fail state entered last (for AlreadyDone / AlreadyRunning). */
  public finalState?: string;
  private lastTaskState?: string;

  constructor(public readonly executionArn: string, public readonly canary: CanaryInfo) {
    this.stepCount = canary.steps?.length;
  }

  public apply(events: HistoryEvent[]): void {
    for (const event of events) this.applyOne(event);
  }

  private applyOne(event: HistoryEvent): void {
    const type = event.type ?? '';
    const at = event.timestamp ? new Date(event.timestamp) : undefined;
    if (type === 'ExecutionStarted') {
      this.startedAt = at;
      const input = parse(event.executionStartedEventDetails?.input);
      if (typeof input?.image === 'string') this.image = input.image;
      if (typeof input?.rolloutId === 'string') this.rolloutId = input.rolloutId;
      return;
    }
    if (type.endsWith('StateEntered')) {
      const details = event.stateEnteredEventDetails;
      const name = details?.name;
      this.state = name;
      this.stateEnteredAt = at;
      if (type === 'TaskStateEntered') this.lastTaskState = name;
      if (type === 'SucceedStateEntered' || type === 'FailStateEntered') this.finalState = name;
      this.readInput(parse(details?.input));
      if (name === 'StartBake') {
        this.bakeStartedAt = at;
        this.bakePollsDone = 0;
      }
      if (name === 'RestoreWeights') this.rollingBack = true;
      return;
    }
    if (type === 'TaskScheduled' && this.lastTaskState === 'RequestApproval') {
      const parameters = parse(event.taskScheduledEventDetails?.parameters);
      this.approval = { since: at ?? new Date(0), taskToken: parameters?.MessageAttributes?.taskToken?.StringValue };
      return;
    }
    if (TASK_ENDS.includes(type)) {
      if (this.lastTaskState === 'RequestApproval') this.approval = undefined;
      if (type === 'TaskStateExited') {
        const name = event.stateExitedEventDetails?.name;
        if (name === 'SetWeights' && this.step) {
          this.idleWeight = this.step.percent;
          this.liveWeight = this.step.livePercent;
          this.weightsSetAt = at;
          this.bakeStartedAt = undefined;
        }
        if (name === 'RestoreWeights') {
          this.idleWeight = 0;
          this.liveWeight = 100;
          this.weightsSetAt = at;
        }
      }
      return;
    }
    switch (type) {
      case 'ExecutionSucceeded':
        this.ending = { status: 'SUCCEEDED', state: this.finalState, at };
        break;
      case 'ExecutionFailed':
        this.ending = {
          status: 'FAILED', error: event.executionFailedEventDetails?.error, cause: event.executionFailedEventDetails?.cause, state: this.finalState, at,
        };
        break;
      case 'ExecutionTimedOut':
        this.ending = { status: 'TIMED_OUT', error: event.executionTimedOutEventDetails?.error, cause: event.executionTimedOutEventDetails?.cause, at };
        break;
      case 'ExecutionAborted':
        this.ending = { status: 'ABORTED', error: event.executionAbortedEventDetails?.error, cause: event.executionAbortedEventDetails?.cause, at };
        break;
    }
  }

  private readInput(input: any): void {
    if (!input || typeof input !== 'object') return;
    if (typeof input.input?.image === 'string') this.image = input.input.image;
    if (typeof input.input?.rolloutId === 'string') this.rolloutId = input.input.rolloutId;
    if (typeof input.slots?.idle?.name === 'string') this.idleSlot = input.slots.idle.name;
    if (typeof input.slots?.live?.name === 'string') this.liveSlot = input.slots.live.name;
    if (Array.isArray(input.slots?.idle?.alarmNames)) this.alarmNames = input.slots.idle.alarmNames.filter((n: unknown) => typeof n === 'string');
    if (Array.isArray(input.plan?.steps)) this.stepCount = input.plan.steps.length;
    const step = input.at?.step;
    if (step && typeof step.index === 'number') {
      if (this.step?.index !== step.index) {
        this.weightsSetAt = undefined;
        this.bakeStartedAt = undefined;
        this.bakePollsDone = 0;
      }
      this.step = {
        index: step.index,
        number: typeof step.number === 'number' ? step.number : step.index + 1,
        percent: Number(step.percent),
        livePercent: typeof step.livePercent === 'number' ? step.livePercent : 100 - Number(step.percent),
        lastPoll: typeof step.lastPoll === 'number' ? step.lastPoll : 0,
        approvalBefore: step.approvalBefore === true,
        last: step.last === true,
      };
    }
    if (typeof input.bake?.count === 'number' && this.bakeStartedAt) this.bakePollsDone = input.bake.count;
    if (input.outcome && typeof input.outcome === 'object') {
      this.outcome = { status: input.outcome.status, reason: input.outcome.reason, error: input.outcome.error };
      this.rollingBack = input.outcome.status === 'ROLLED_BACK';
    }
  }

  /** The phase now. */
  public get phase(): Phase {
    if (this.ending) return 'ended';
    if (this.approval) return 'approval';
    return phaseOf(this.state, this.rollingBack);
  }

  /** The bake of the current step: its length and the seconds left (undefined before it started). */
  public bake(now: number): { seconds?: number; left?: number; polls: number; pollsDone: number } | undefined {
    if (!this.step) return undefined;
    const polls = this.step.lastPoll + 1;
    const poll = this.canary.alarmPollSeconds;
    const seconds = poll !== undefined ? polls * poll : this.canary.steps?.[this.step.index]?.bakeSeconds;
    if (!this.bakeStartedAt) return { seconds, left: undefined, polls, pollsDone: 0 };
    const elapsed = Math.max(0, (now - this.bakeStartedAt.getTime()) / 1000);
    return { seconds, left: seconds === undefined ? undefined : Math.max(0, Math.round(seconds - elapsed)), polls, pollsDone: this.bakePollsDone };
  }

  /**
   * When the rollout should end: the planned duration from its start, pushed back by what the
   * steps still need from now (the current step's bake left, each later step's bake and DNS poll).
   */
  public expectedEnd(now: number): Date | undefined {
    if (this.ending) return this.ending.at;
    if (!this.startedAt) return undefined;
    const planned = this.canary.plannedSeconds;
    const steps = this.canary.steps;
    const poll = this.canary.alarmPollSeconds;
    if (planned === undefined || !steps) return undefined;
    const baked = (bakeSeconds: number) => (poll ? Math.max(1, Math.ceil(bakeSeconds / poll)) * poll : bakeSeconds);
    const dnsPoll = Math.max(0, (planned - steps.reduce((s, x) => s + baked(x.bakeSeconds), 0)) / Math.max(1, steps.length));
    let remaining: number;
    if (this.rollingBack || !this.step) {
      remaining = this.rollingBack ? 0 : planned;
    } else {
      const later = steps.slice(this.step.index + 1).reduce((s, x) => s + baked(x.bakeSeconds) + dnsPoll, 0);
      const bake = this.bake(now);
      const current = bake?.left ?? (bake?.seconds ?? 0) + (this.weightsSetAt ? 0 : dnsPoll);
      remaining = later + current;
    }
    return new Date(Math.max(this.startedAt.getTime() + planned * 1000, now + remaining * 1000));
  }
}
