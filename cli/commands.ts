/**
 * The subcommands of `cdk-microservices rollout`: start, status, history, watch, approve, abort.
 * Each takes the resolved canary and injected clients, writes to the given terminals, and returns
 * its exit code (or throws a CommandEnd with one).
 */
import { ConditionalCheckFailedException, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { SendTaskFailureCommand, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { CanaryInfo } from './canary';
import { HistoryReader, RUNNING_STATUSES, RolloutView, describeExecution, phaseText } from './execution';
import { CommandEnd, EXIT, exitCodeOfRecord } from './exit-codes';
import { Terminal, duration, isoTime, table } from './output';
import { ROLLOUT_PREFIX, RolloutRecord, ServiceItem, readRollout, readRollouts, readService } from './table';
import { WatchContext, watchExecution } from './watch';

/** What a subcommand gets. */
export interface CommandContext extends WatchContext {
  readonly err: Terminal;
  readonly canary: CanaryInfo;
  /** A few random characters (the generated rollout id's suffix). */
  random(): string;
}

/** The command line that does `what` for this canary. */
function command(ctx: CommandContext, what: string): string {
  return `npx cdk-microservices rollout ${what} ${ctx.canary.selector}`;
}

/** Writes the human text, or the JSON object when --json. */
function report(ctx: CommandContext, text: string | string[], data: unknown): void {
  if (ctx.json) ctx.out.write(`${JSON.stringify(data)}\n`);
  else ctx.out.write(`${Array.isArray(text) ? text.join('\n') : text}\n`);
}

// ---------------------------------------------------------------------------------------------
// start
// ---------------------------------------------------------------------------------------------

/** A rollout id the command makes up: `rollout-<UTC time>-<random>`. */
export function generateRolloutId(now: number, random: string): string {
  const time = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
  return `rollout-${time}-${random}`;
}

/** Whether a rollout id can be the execution's name (1 to 80 of [A-Za-z0-9_-]). */
export function isExecutionName(rolloutId: string): boolean {
  return /^[A-Za-z0-9_-]{1,80}$/.test(rolloutId);
}

/** A repository URI of ECR: registry id, region and repository name. */
export function parseRepositoryUri(uri: string): { registryId: string; region: string; repositoryName: string } | undefined {
  const match = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._\/-]+)$/.exec(uri);
  return match ? { registryId: match[1], region: match[2], repositoryName: match[3] } : undefined;
}

/** The tag or digest of `image` in the repository `uri`, or undefined when it is not `<uri>:<tag>` or `<uri>@sha256:<64 hex>`. */
export function imageInRepository(image: string, uri: string): { imageTag: string } | { imageDigest: string } | undefined {
  if (image.startsWith(`${uri}:`)) {
    const tag = image.slice(uri.length + 1);
    return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag) ? { imageTag: tag } : undefined;
  }
  if (image.startsWith(`${uri}@`)) {
    const digest = image.slice(uri.length + 1);
    return /^sha256:[a-f0-9]{64}$/.test(digest) ? { imageDigest: digest } : undefined;
  }
  return undefined;
}

/** Refuses an image that is not in the canary's repository, or that ECR does not have. */
async function checkImage(ctx: CommandContext, image: string): Promise<void> {
  if (image.trim() === '' || /\s/.test(image)) throw new CommandEnd(EXIT.usage, `--image ${JSON.stringify(image)} is not an image reference.`);
  const uri = ctx.canary.imageRepositoryUri;
  if (uri === undefined) return;
  const id = imageInRepository(image, uri);
  if (!id) {
    throw new CommandEnd(EXIT.usage,
      `Refused: ${image} is not an image of the repository ${ctx.canary.canaryName} releases from. Give ${uri}:<tag> or ${uri}@sha256:<digest>.`,
      { code: 'ImageNotInRepository', expectedRepository: uri });
  }
  const repository = parseRepositoryUri(uri);
  if (!repository) return;
  try {
    await ctx.clients.ecr(repository.region).send(new DescribeImagesCommand({
      registryId: repository.registryId, repositoryName: repository.repositoryName, imageIds: [id],
    }));
  } catch (e) {
    const name = (e as Error).name;
    if (name === 'ImageNotFoundException' || name === 'RepositoryNotFoundException') {
      throw new CommandEnd(EXIT.usage,
        `Refused: ECR has no image ${image} (${name}: ${(e as Error).message}). Push it first, or check the tag or digest.`,
        { code: name, image, repository: uri });
    }
    throw e;
  }
}

/** Options of start. */
export interface StartOptions {
  readonly image: string;
  readonly rolloutId?: string;
  readonly wait: boolean;
}

/** `rollout start`: refuses what would fail, then StartExecution; with --wait, watches it to the end. */
export async function start(ctx: CommandContext, o: StartOptions): Promise<number> {
  const { canary } = ctx;
  if (o.rolloutId !== undefined && (o.rolloutId.trim() === '' || o.rolloutId.length > 1000)) {
    throw new CommandEnd(EXIT.usage, '--rollout-id must be a non-empty id (at most 1000 characters).');
  }
  await checkImage(ctx, o.image);
  const rolloutId = o.rolloutId ?? generateRolloutId(ctx.now(), ctx.random());
  const service = await readService(ctx.clients, canary.tableName);
  if (service.lockedBy !== undefined) {
    const holder = await holderStatus(ctx, service);
    if (holder.running) {
      if (holder.rolloutId === rolloutId && service.lockedByExecution) {
        report(ctx, `Rollout ${rolloutId} already runs (execution ${service.lockedByExecution}): not started again.`,
          { type: 'started', rolloutId, executionArn: service.lockedByExecution, alreadyRunning: true });
        return o.wait ? watchExecution(ctx, canary, service.lockedByExecution) : EXIT.succeeded;
      }
      throw lockHeld(ctx, service, holder.status);
    }
  }
  const input = JSON.stringify({ image: o.image, rolloutId });
  let executionArn: string;
  let startDate: Date | undefined;
  try {
    const answer = await ctx.clients.sfn.send(new StartExecutionCommand({
      stateMachineArn: canary.stateMachineArn,
      ...(isExecutionName(rolloutId) ? { name: rolloutId } : {}),
      input,
    }));
    executionArn = answer.executionArn!;
    startDate = answer.startDate;
  } catch (e) {
    if ((e as Error).name === 'ExecutionAlreadyExists') {
      const record = await readRollout(ctx.clients, canary.tableName, rolloutId);
      const text = `Rollout ${rolloutId} already ran${record ? ` (${record.status}${record.reason ? `, ${record.reason}` : ''})` : ''}: `
        + 'an execution of that name exists. Give another --rollout-id to roll out again.';
      report(ctx, text, { type: 'started', rolloutId, alreadyRan: true, record });
      return record ? exitCodeOfRecord(record.status, record.reason) : EXIT.usage;
    }
    throw e;
  }
  report(ctx, [
    `Started rollout ${rolloutId} of ${canary.canaryName}: ${o.image}`,
    `  execution ${executionArn}`,
    ...(o.wait ? [] : [`  follow it: ${command(ctx, 'watch')} --rollout-id ${rolloutId}`]),
  ], { type: 'started', rolloutId, executionArn, startDate: startDate ? isoTime(startDate) : undefined, image: o.image });
  if (!o.wait) return EXIT.succeeded;
  const code = await watchExecution(ctx, canary, executionArn);
  return code;
}

/** The holder of the lock and whether its execution still runs. */
async function holderStatus(ctx: CommandContext, service: ServiceItem): Promise<{ rolloutId?: string; status: string; running: boolean }> {
  if (!service.lockedByExecution) {
    // A lock of an earlier version of the state machine, which does not record its execution: it
    // is never taken over, so it counts as held.
    return { rolloutId: service.lockedBy, status: 'UNKNOWN (no execution recorded)', running: true };
  }
  const execution = await describeExecution(ctx.clients, service.lockedByExecution);
  const executionStatus = execution?.status ?? 'DOES_NOT_EXIST';
  return { rolloutId: service.lockedBy, status: executionStatus, running: RUNNING_STATUSES.includes(executionStatus) };
}

function lockHeld(ctx: CommandContext, service: ServiceItem, executionStatus: string): CommandEnd {
  const watchCommand = command(ctx, 'watch');
  const message = [
    `Refused: rollout ${service.lockedBy} holds the lock of ${ctx.canary.canaryName} and runs.`,
    `  execution  ${service.lockedByExecution ?? '(not recorded: a lock of an earlier version)'} (${executionStatus})`,
    `  since      ${service.lockedAt ?? '-'}`,
    `Follow it with: ${watchCommand}`,
    'Start this rollout when it has ended.',
  ].join('\n');
  return new CommandEnd(EXIT.lockHeld, message, {
    code: 'LockHeld',
    holder: { rolloutId: service.lockedBy, executionArn: service.lockedByExecution, lockedAt: service.lockedAt, executionStatus },
    watchCommand,
  });
}

// ---------------------------------------------------------------------------------------------
// status, history
// ---------------------------------------------------------------------------------------------

/** `rollout status`: the live slot, each slot's image and weight, the lock, the last rollout. */
export async function status(ctx: CommandContext): Promise<number> {
  const { canary } = ctx;
  const service = await readService(ctx.clients, canary.tableName);
  const live = service.liveSlot ?? 'blue';
  const slot = (name: 'blue' | 'green') => ({
    image: name === 'blue' ? service.blueImage : service.greenImage,
    weight: name === 'blue' ? service.blueWeight : service.greenWeight,
    live: name === live,
  });
  const slots = { blue: slot('blue'), green: slot('green') };
  if (slots[live as 'blue' | 'green'] && slots[live as 'blue' | 'green'].image === undefined && service.liveImage) {
    slots[live as 'blue' | 'green'].image = service.liveImage;
  }
  let lock: { [key: string]: unknown } | undefined;
  if (service.lockedBy !== undefined) {
    const holder = await holderStatus(ctx, service);
    lock = {
      rolloutId: service.lockedBy,
      executionArn: service.lockedByExecution,
      lockedAt: service.lockedAt,
      executionStatus: holder.status,
      running: holder.running,
    };
  }
  const last = service.lastRollout ? await readRollout(ctx.clients, canary.tableName, service.lastRollout) : undefined;
  const lastRollout = service.lastRollout
    ? { rolloutId: service.lastRollout, status: last?.status ?? service.lastStatus, reason: last?.reason, image: last?.image, endedAt: last?.endedAt }
    : undefined;
  const data = {
    type: 'status',
    canary: canary.canaryName,
    label: canary.label,
    stateMachineArn: canary.stateMachineArn,
    tableName: canary.tableName,
    liveSlot: service.liveSlot,
    slots,
    lock: lock ?? null,
    abortRequested: service.abortRequested,
    lastRollout: lastRollout ?? null,
  };
  const slotText = (name: 'blue' | 'green') => {
    const s = slots[name];
    return `${s.live ? 'live' : 'idle'}, image ${s.image ?? 'unknown'}, weight ${s.weight ?? 'unknown'}`;
  };
  const rows: [string, string][] = [
    ['live slot', service.liveSlot ?? 'blue (no rollout yet)'],
    ['blue', slotText('blue')],
    ['green', slotText('green')],
    ['lock', lock
      ? `held by rollout ${lock.rolloutId} since ${lock.lockedAt ?? '-'}: execution ${lock.executionArn ?? '(not recorded)'} ${lock.executionStatus}`
        + (lock.running ? '' : ' (ended: the next start takes the lock over, or release it with abort)')
      : 'free'],
  ];
  if (service.abortRequested) rows.push(['abort', `requested for rollout ${service.abortRequested}`]);
  rows.push(['last rollout', lastRollout
    ? `${lastRollout.rolloutId} ${lastRollout.status ?? '?'}${lastRollout.reason ? ` (${lastRollout.reason})` : ''}${lastRollout.endedAt ? ` ended ${lastRollout.endedAt}` : ''}`
    : 'none']);
  report(ctx, [`Canary ${canary.canaryName}${canary.label ? ` (${canary.label})` : ''}`, ...table(rows)], data);
  return EXIT.succeeded;
}

function seconds(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const d = (Date.parse(to) - Date.parse(from)) / 1000;
  return Number.isFinite(d) ? d : undefined;
}

/** `rollout history`: the rollouts, newest first. */
export async function history(ctx: CommandContext, limit: number): Promise<number> {
  const records = (await readRollouts(ctx.clients, ctx.canary.tableName)).slice(0, limit);
  const header = ['STARTED', 'ROLLOUT', 'STATUS', 'REASON', 'AT %', 'TOOK', 'IMAGE'];
  const rows = records.map((r) => [
    isoTime(r.startedAt), r.rolloutId, r.status ?? '-', r.reason ?? '-',
    String(r.failedAtPercent ?? r.currentPercent ?? '-'), duration(seconds(r.startedAt, r.endedAt)), r.image ?? '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  report(ctx, records.length === 0 ? `No rollout of ${ctx.canary.canaryName} yet.` : [line(header), ...rows.map(line)],
    { type: 'history', canary: ctx.canary.canaryName, rollouts: records });
  return EXIT.succeeded;
}

// ---------------------------------------------------------------------------------------------
// watch
// ---------------------------------------------------------------------------------------------

/** The execution a rollout id names (its rollout item), or the lock holder's, or the newest rollout's. */
async function targetExecution(ctx: CommandContext, rolloutId: string | undefined, service: ServiceItem): Promise<
{ rolloutId: string; executionArn: string } | undefined> {
  if (rolloutId !== undefined) {
    if (service.lockedBy === rolloutId && service.lockedByExecution) return { rolloutId, executionArn: service.lockedByExecution };
    const record = await readRollout(ctx.clients, ctx.canary.tableName, rolloutId);
    if (!record?.execution) {
      throw new CommandEnd(EXIT.usage, `No rollout ${rolloutId} of ${ctx.canary.canaryName}: the table ${ctx.canary.tableName} has no item ${ROLLOUT_PREFIX}${rolloutId}.`);
    }
    return { rolloutId, executionArn: record.execution };
  }
  if (service.lockedBy !== undefined && service.lockedByExecution) return { rolloutId: service.lockedBy, executionArn: service.lockedByExecution };
  const newest: RolloutRecord | undefined = (await readRollouts(ctx.clients, ctx.canary.tableName))[0];
  return newest?.execution ? { rolloutId: newest.rolloutId, executionArn: newest.execution } : undefined;
}

/** `rollout watch`: follows the rollout until it ends; its outcome's exit code. */
export async function watch(ctx: CommandContext, rolloutId: string | undefined): Promise<number> {
  const service = await readService(ctx.clients, ctx.canary.tableName);
  const target = await targetExecution(ctx, rolloutId, service);
  if (!target) {
    report(ctx, `No rollout of ${ctx.canary.canaryName} yet: nothing to watch.`, { type: 'outcome', rolloutId: null, exitCode: EXIT.succeeded });
    return EXIT.succeeded;
  }
  return watchExecution(ctx, ctx.canary, target.executionArn);
}

// ---------------------------------------------------------------------------------------------
// approve, abort
// ---------------------------------------------------------------------------------------------

/** The running rollout's view (its history read), or a CommandEnd saying why there is none. */
async function runningRollout(ctx: CommandContext, rolloutId: string | undefined, service: ServiceItem, what: string): Promise<RolloutView> {
  const target = rolloutId !== undefined || service.lockedByExecution ? await targetExecution(ctx, rolloutId, service) : undefined;
  if (!target) {
    const last = service.lastRollout ? ` (the last one, ${service.lastRollout}, ended ${service.lastStatus ?? ''})` : '';
    throw new CommandEnd(EXIT.nothingWaits, `No rollout of ${ctx.canary.canaryName} runs${last}: nothing to ${what}.`, { code: 'NothingRuns' });
  }
  const execution = await describeExecution(ctx.clients, target.executionArn);
  if (!execution || !RUNNING_STATUSES.includes(execution.status ?? '')) {
    throw new CommandEnd(EXIT.nothingWaits,
      `Rollout ${target.rolloutId} does not run (its execution is ${execution?.status ?? 'gone'}): nothing to ${what}.`,
      { code: 'NothingRuns', rolloutId: target.rolloutId, executionStatus: execution?.status });
  }
  const view = new RolloutView(target.executionArn, ctx.canary);
  view.apply(await new HistoryReader(ctx.clients, target.executionArn).read());
  view.rolloutId ??= target.rolloutId;
  return view;
}

function doing(view: RolloutView): string {
  const step = view.step ? `step ${view.step.number} of ${view.stepCount ?? '?'} (${view.step.percent}% on ${view.idleSlot ?? 'the new slot'})` : 'before its first step';
  return `${phaseText(view.phase)}, ${step}`;
}

const TASK_GONE = ['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'];

/** `rollout approve`: SendTaskSuccess to the approval that waits. */
export async function approve(ctx: CommandContext, rolloutId: string | undefined): Promise<number> {
  const service = await readService(ctx.clients, ctx.canary.tableName);
  const view = await runningRollout(ctx, rolloutId, service, 'approve');
  if (!view.approval?.taskToken) {
    throw new CommandEnd(EXIT.nothingWaits, `Rollout ${view.rolloutId} waits for no approval: it is ${doing(view)}.`,
      { code: 'NothingWaits', rolloutId: view.rolloutId, phase: view.phase, state: view.state });
  }
  try {
    await ctx.clients.sfn.send(new SendTaskSuccessCommand({ taskToken: view.approval.taskToken, output: '{}' }));
  } catch (e) {
    if (TASK_GONE.includes((e as Error).name)) {
      throw new CommandEnd(EXIT.nothingWaits, `The approval of rollout ${view.rolloutId} no longer waits (${(e as Error).name}): see ${command(ctx, 'watch')}.`,
        { code: 'NothingWaits', rolloutId: view.rolloutId });
    }
    throw e;
  }
  report(ctx, [
    `Approved the last step of rollout ${view.rolloutId}: it checks the alarms, then shifts all traffic to ${view.idleSlot ?? 'the new slot'}.`,
    `Follow it: ${command(ctx, 'watch')}`,
  ], { type: 'approved', rolloutId: view.rolloutId, executionArn: view.executionArn });
  return EXIT.succeeded;
}

/** `rollout abort`: refuses the waiting approval, or asks the running rollout to roll back, or releases a stale lock. */
export async function abort(ctx: CommandContext, rolloutId: string | undefined, reason: string | undefined): Promise<number> {
  const { canary } = ctx;
  const service = await readService(ctx.clients, canary.tableName);
  if (service.lockedBy === undefined) {
    const last = service.lastRollout ? ` (the last one, ${service.lastRollout}, ended ${service.lastStatus ?? ''})` : '';
    throw new CommandEnd(EXIT.nothingWaits, `No rollout of ${canary.canaryName} holds the lock${last}: nothing to abort.`, { code: 'NothingRuns' });
  }
  if (rolloutId !== undefined && rolloutId !== service.lockedBy) {
    throw new CommandEnd(EXIT.nothingWaits, `Rollout ${rolloutId} does not hold the lock (rollout ${service.lockedBy} does): nothing to abort.`,
      { code: 'NothingRuns', holder: service.lockedBy });
  }
  if (!service.lockedByExecution) {
    throw new CommandEnd(EXIT.nothingWaits,
      `Rollout ${service.lockedBy} holds a lock of an earlier version of the state machine (no execution recorded): stop its execution in Step Functions, `
      + `then delete lockedBy and lockedAt from the item service of table ${canary.tableName}.`, { code: 'LockOfEarlierVersion' });
  }
  const holder = await holderStatus(ctx, service);
  // An update of the service item, only while the holder read above still holds the lock; if it
  // no longer does, `changed` says what happened (exit 3, nothing done).
  const whileHeld = async (updateExpression: string, changed: string): Promise<void> => {
    try {
      await ctx.clients.dynamodb.send(new UpdateItemCommand({
        TableName: canary.tableName,
        Key: { pk: { S: 'service' } },
        UpdateExpression: updateExpression,
        ConditionExpression: 'lockedBy = :id AND lockedByExecution = :exec',
        ExpressionAttributeValues: { ':id': { S: service.lockedBy! }, ':exec': { S: service.lockedByExecution! } },
      }));
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') {
        throw new CommandEnd(EXIT.nothingWaits, changed, { code: 'LockChanged' });
      }
      throw e;
    }
  };
  if (!holder.running) {
    await whileHeld('REMOVE lockedBy, lockedByExecution, lockedAt, abortRequested',
      `The lock of ${canary.canaryName} changed meanwhile (another start took it over?): nothing released.`);
    report(ctx, `Rollout ${service.lockedBy} no longer runs (its execution ${service.lockedByExecution} is ${holder.status}): released the lock it left.`,
      { type: 'aborted', action: 'releasedStaleLock', rolloutId: service.lockedBy, executionArn: service.lockedByExecution, executionStatus: holder.status });
    return EXIT.succeeded;
  }
  const view = await runningRollout(ctx, service.lockedBy, service, 'abort');
  if (view.approval?.taskToken) {
    try {
      await ctx.clients.sfn.send(new SendTaskFailureCommand({
        taskToken: view.approval.taskToken,
        error: 'CanaryDeployment.Aborted',
        cause: reason ?? 'Aborted by an operator (npx cdk-microservices rollout abort).',
      }));
      report(ctx, [`Refused the approval of rollout ${view.rolloutId}: it rolls back (all traffic to ${view.liveSlot ?? 'the live slot'}).`,
        `Follow it: ${command(ctx, 'watch')}`], { type: 'aborted', action: 'refusedApproval', rolloutId: view.rolloutId, executionArn: view.executionArn });
      return EXIT.succeeded;
    } catch (e) {
      if (!TASK_GONE.includes((e as Error).name)) throw e;
      // The approval ended meanwhile: ask for the abort instead.
    }
  }
  if (['rolling back', 'recording', 'promoting', 'ended'].includes(view.phase)) {
    throw new CommandEnd(EXIT.nothingWaits, `Rollout ${view.rolloutId} is ${doing(view)}: too late to abort.`,
      { code: 'NothingWaits', rolloutId: view.rolloutId, phase: view.phase });
  }
  await whileHeld('SET abortRequested = :id', `Rollout ${service.lockedBy} released the lock meanwhile (it ended): nothing to abort.`);
  const within = canary.alarmPollSeconds !== undefined ? ` (within about ${duration(canary.alarmPollSeconds)})` : '';
  report(ctx, [
    `Asked rollout ${service.lockedBy} to abort: it rolls back at its next check${within}; it was ${doing(view)}.`,
    `Follow it: ${command(ctx, 'watch')}`,
  ], { type: 'aborted', action: 'requested', rolloutId: service.lockedBy, executionArn: service.lockedByExecution, reason });
  return EXIT.succeeded;
}
