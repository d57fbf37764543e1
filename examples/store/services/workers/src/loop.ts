// What both workers of the reference app share: the loop that turns a poll until SIGTERM or
// SIGINT (the batch under way is finished first), the stop flag those signals raise, the
// heartbeat file the container health check reads, and the JSON log line.
import { EventEmitter } from 'events';
import { writeFileSync } from 'fs';

/** One JSON object per log line. */
export type Log = (line: Record<string, unknown>) => void;

/**
 * Writes a log line as JSON on stdout, with the release the task runs (RELEASE_ID, which the
 * construct sets): the saved Logs Insights queries of each service count errors by `release`.
 */
export function jsonLine(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ release: process.env.RELEASE_ID, ...line })}\n`);
}

/** An error as a log line shows it. */
export function errorOf(e: unknown): { name: string; message: string } {
  if (e instanceof Error) return { name: e.name, message: e.message };
  return { name: 'Error', message: String(e) };
}

/** The file touched each turn for the container health check (the task's scratch volume). */
export const HEARTBEAT_FILE = '/tmp/heartbeat';

/**
 * Touches the heartbeat file. A failed write is said once: the health check will fail and ECS
 * replace the task.
 */
export function heartbeatWriter(file: string = HEARTBEAT_FILE, log: Log = jsonLine): () => void {
  let failed = false;
  return () => {
    try {
      writeFileSync(file, String(Date.now()));
    } catch (e) {
      if (!failed) log({ level: 'error', msg: 'heartbeat not written', error: (e as Error).message });
      failed = true;
    }
  };
}

/** A stop flag raised by SIGTERM or SIGINT, which also aborts a receive in flight. */
export interface Stopper {
  readonly shouldStop: () => boolean;
  readonly abortSignal: AbortSignal;
}

/** Listens for the stop signals on `proc` (the process, or an emitter in tests). */
export function stopOnSignals(proc: EventEmitter, signals: readonly string[] = ['SIGTERM', 'SIGINT']): Stopper {
  const controller = new AbortController();
  for (const s of signals) proc.once(s, () => controller.abort());
  return { shouldStop: () => controller.signal.aborted, abortSignal: controller.signal };
}

/** How a loop is driven. */
export interface LoopControl {
  /** Checked before each turn: true ends the loop (the batch under way is finished first). */
  readonly shouldStop: () => boolean;
  /** Called at the start of each turn (main touches the heartbeat file). */
  readonly onTurn?: () => void;
  /** Aborts a receive in flight when the worker is told to stop. */
  readonly abortSignal?: AbortSignal;
  /** Waits after a failed receive. @default 5 seconds, cut short by `abortSignal` */
  readonly pause?: () => Promise<void>;
}

/** What the loop did. */
export interface LoopSummary {
  readonly turns: number;
  readonly messages: number;
  readonly receiveErrors: number;
}

function pauseFor(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
}

/**
 * Turns `poll` (one receive and its handling; throws only when the receive fails) until told to
 * stop. A failed receive is logged and retried after a pause.
 */
export async function turnLoop(
  poll: (abortSignal?: AbortSignal) => Promise<{ readonly received: number }>,
  log: Log,
  control: LoopControl,
): Promise<LoopSummary> {
  let turns = 0;
  let messages = 0;
  let receiveErrors = 0;
  while (!control.shouldStop()) {
    control.onTurn?.();
    turns++;
    try {
      messages += (await poll(control.abortSignal)).received;
    } catch (e) {
      if (control.shouldStop()) break; // the receive was aborted by the stop
      receiveErrors++;
      log({ level: 'error', msg: 'receive failed', error: errorOf(e) });
      await (control.pause ?? (() => pauseFor(5000, control.abortSignal)))();
    }
  }
  return { turns, messages, receiveErrors };
}
