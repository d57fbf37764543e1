// The sign-up worker's entry point. The store runs the image twice: as the email worker (welcome
// emails) and as the billing worker (invoices for paid plans), each on its own queue of the
// user-signup topic; SIGNUP_HANDLER says which. It reads its configuration from the environment,
// wires the real SQS client, and runs one of two modes:
// - no argument (the service): turns the loop until SIGTERM (ECS stopping the task) or SIGINT;
//   the batch under way is finished first, then the process exits 0. Each turn touches
//   /tmp/heartbeat (the task's scratch volume): the container health check fails when the loop
//   stops turning, and ECS replaces the task.
// - `--replay` (the scheduled admin task `replay-dead-letters`): moves the dead-letter queue's
//   messages back to the queue and exits: 0 when every message received was moved, 1 when some
//   stay in the DLQ (refused, or re-sent but not deleted) or the configuration is wrong, so that
//   the stopped task's exit code tells.
//
// Environment:
// - USER_SIGNUP_QUEUE_URL (required): the sign-up queue (`topic.subscribe` injects it).
// - USER_SIGNUP_DLQ_URL (required with --replay): its dead-letter queue (the app injects it).
// - SIGNUP_HANDLER: `welcome-email` (the default) or `invoice`.
// - AWS_REGION: the Region of the SQS client (ECS sets it in the task).
import { SQSClient } from '@aws-sdk/client-sqs';
import { Log, LoopSummary, ReplaySummary, replayDeadLetters, runLoop, Signup, WorkerDeps } from './worker';
import { heartbeatWriter, HEARTBEAT_FILE, jsonLine, stopOnSignals, Stopper } from '../loop';

export { HEARTBEAT_FILE, stopOnSignals, Stopper } from '../loop';

/** The variable holding the queue URL. */
export const QUEUE_URL_VARIABLE = 'USER_SIGNUP_QUEUE_URL';
/** The variable holding the dead-letter queue URL. */
export const DLQ_URL_VARIABLE = 'USER_SIGNUP_DLQ_URL';
/** The argument that runs the replay. */
export const REPLAY_ARGUMENT = '--replay';
/** The variable naming what the worker does with a sign-up. */
export const HANDLER_VARIABLE = 'SIGNUP_HANDLER';

/** What the worker does with each sign-up (one per log line: the reference app sends nothing). */
export const HANDLERS = {
  'welcome-email': (log: Log) => async (signup: Signup) => {
    log({ level: 'info', msg: 'welcome email', snsMessageId: signup.snsMessageId, signup: signup.message, traceId: signup.traceId });
  },
  // The billing subscription delivers raw messages of paid plans only (its filter policy on the
  // `plan` attribute, which raw delivery passes on as an SQS message attribute).
  'invoice': (log: Log) => async (signup: Signup, message: { MessageAttributes?: Record<string, { StringValue?: string }> }) => {
    log({ level: 'info', msg: 'invoice opened', plan: message.MessageAttributes?.plan?.StringValue, signup: signup.message, traceId: signup.traceId });
  },
} as const;

/** The names SIGNUP_HANDLER takes. */
export type HandlerName = keyof typeof HANDLERS;


/** The worker's configuration, from the arguments and the environment. */
export interface WorkerConfig {
  readonly mode: 'consume' | 'replay';
  readonly handler: HandlerName;
  readonly queueUrl: string;
  /** Set in replay mode. */
  readonly deadLetterQueueUrl?: string;
  readonly region?: string;
}

function queueUrlOf(env: NodeJS.ProcessEnv, name: string): string {
  const url = (env[name] ?? '').trim();
  if (url === '') throw new Error(`${name} is not set`);
  if (!/^https:\/\/\S+$/.test(url)) throw new Error(`${name} ${JSON.stringify(url)} is not a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)`);
  return url;
}

/** Reads the configuration; throws an Error saying what is wrong. */
export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv): WorkerConfig {
  const unknown = argv.filter((a) => a !== REPLAY_ARGUMENT);
  if (unknown.length > 0) throw new Error(`unknown arguments ${JSON.stringify(unknown)}: the only one is ${REPLAY_ARGUMENT}`);
  const replay = argv.includes(REPLAY_ARGUMENT);
  const region = (env.AWS_REGION ?? '').trim();
  const handler = (env[HANDLER_VARIABLE] ?? '').trim() || 'welcome-email';
  if (!Object.keys(HANDLERS).includes(handler)) {
    throw new Error(`${HANDLER_VARIABLE} ${JSON.stringify(handler)} is not known: use ${Object.keys(HANDLERS).join(' or ')}`);
  }
  return {
    mode: replay ? 'replay' : 'consume',
    handler: handler as HandlerName,
    queueUrl: queueUrlOf(env, QUEUE_URL_VARIABLE),
    deadLetterQueueUrl: replay ? queueUrlOf(env, DLQ_URL_VARIABLE) : undefined,
    region: region === '' ? undefined : region,
  };
}

/** What `main` may be given instead of the real things (tests). */
export interface MainOverrides {
  readonly deps?: WorkerDeps;
  readonly stopper?: Stopper;
  readonly heartbeat?: () => void;
  /** The heartbeat file. @default HEARTBEAT_FILE */
  readonly heartbeatFile?: string;
  /** Passed to the replay (tests use a short wait). */
  readonly replayWaitTimeSeconds?: number;
}

/** Runs the worker; resolves to the exit code. */
export async function main(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
  overrides: MainOverrides = {},
): Promise<number> {
  let config: WorkerConfig;
  try {
    config = parseConfig(argv, env);
  } catch (e) {
    jsonLine({ level: 'error', msg: 'configuration refused', error: (e as Error).message });
    return 1;
  }
  const given: WorkerDeps = overrides.deps ?? { sqs: new SQSClient({ region: config.region }) };
  const deps: WorkerDeps = { ...given, handle: given.handle ?? HANDLERS[config.handler](given.log ?? jsonLine) };
  const stopper = overrides.stopper ?? stopOnSignals(process);

  if (config.mode === 'replay') {
    let summary: ReplaySummary;
    try {
      summary = await replayDeadLetters(deps, {
        deadLetterQueueUrl: config.deadLetterQueueUrl!,
        queueUrl: config.queueUrl,
        waitTimeSeconds: overrides.replayWaitTimeSeconds,
        shouldStop: stopper.shouldStop,
      });
    } catch (e) {
      (deps.log ?? jsonLine)({ level: 'error', msg: 'replay: receive failed', error: (e as Error).message });
      return 1;
    }
    return summary.sendFailed + summary.deleteFailed > 0 ? 1 : 0;
  }

  const heartbeat = overrides.heartbeat ?? heartbeatWriter(overrides.heartbeatFile ?? HEARTBEAT_FILE);
  const summary: LoopSummary = await runLoop(deps, { queueUrl: config.queueUrl }, {
    shouldStop: stopper.shouldStop,
    abortSignal: stopper.abortSignal,
    onTurn: heartbeat,
  });
  (deps.log ?? jsonLine)({ level: 'info', msg: 'stopped', ...summary });
  return 0;
}

if (require.main === module) {
  main().then((code) => process.exit(code), (e: unknown) => {
    jsonLine({ level: 'error', msg: 'worker crashed', error: String(e) });
    process.exit(1);
  });
}
