/**
 * Running the rollout: `runRollout()` executes a definition with aws-local-stepfunctions against a
 * `World` (Task states get the world's handlers, every Wait and retry interval is 0 ms) and
 * records what happened; helpers to read a run.
 */
import type { StateMachine as StateMachineClass } from 'aws-local-stepfunctions' with { 'resolution-mode': 'import' };
import { clone, Json } from './json';
import { World } from './rollout-world';
import { ACCOUNT, NEW_IMAGE, REGION, statesOf } from './synthesis';
import { AlarmContext } from './world-model';

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22); Node 20 lacks it.
const promiseStatics = Promise as unknown as { withResolvers?: unknown };
if (typeof promiseStatics.withResolvers !== 'function') {
  promiseStatics.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// aws-local-stepfunctions is an ECMAScript module package with a CommonJS build: TypeScript
// refuses a static import of it from this CommonJS file, so it is required (through jest's or
// ts-node's require, so that it lives in this realm) and typed with a type-only import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as { StateMachine: typeof StateMachineClass };

/** What one execution did. */
export interface Run {
  readonly name: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  /** The error of a failed execution (a Fail state's Error, or the uncaught error's name). */
  readonly error?: string;
  readonly cause?: string;
  readonly output?: Json;
  /** The event log. */
  readonly events: Json[];
  /** The names of the states entered, in order. */
  readonly states: string[];
  /** Each state entered, with the virtual seconds the real execution would have waited before it. */
  readonly timeline: { state: string; at: number }[];
  /** Retries: the state and the error retried. */
  readonly retries: { state: string; error: string }[];
  /** Errors caught by a Catch: the state, the error and where it went. */
  readonly caught: { state: string; error: string; next: string }[];
}

let executions = 0;

/** Options of one execution. */
export interface RunOptions {
  /** The execution name (default: a new one). */
  readonly name?: string;
  /** The definition to run (default: the synthesized one). */
  readonly definition?: Json;
}

/** Runs one execution of the rollout against a world. */
export async function runRollout(world: World, input: Json, options: RunOptions = {}): Promise<Run> {
  executions += 1;
  const name = options.name ?? `execution-${executions}`;
  const definition = clone(options.definition ?? world.synth.definition);
  const waits: { [state: string]: number } = {};
  const retries: { [state: string]: number } = {};
  for (const [stateName, state] of Object.entries(statesOf(definition))) {
    if (state.Type === 'Wait') waits[stateName] = 0;
    if (state.Retry) retries[stateName] = 0;
  }
  const machine = new StateMachine(definition, { validationOptions: { checkPaths: true, checkArn: true } });
  // Step Functions knows the execution while it runs and after it ended (DescribeExecution).
  const registered = world.addExecution(name, 'RUNNING');
  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers: world.handlers(definition), waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: {
      Execution: { Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:Rollout:${name}`, Name: name },
      StateMachine: { Id: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Rollout`, Name: 'Rollout' },
      State: { EnteredTime: '2026-01-01T00:00:00.000Z', Name: 'unknown' },
      Task: { Token: `token-of-${name}` },
    },
  });
  const events: Json[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  let status: Run['status'] = 'SUCCEEDED';
  let error: string | undefined;
  let cause: string | undefined;
  let output: Json;
  try {
    output = await execution.result;
  } catch (e) {
    const failure = e as Error & { cause?: Error };
    if (failure.name === 'ExecutionTimeoutError') {
      status = 'TIMED_OUT';
    } else {
      status = 'FAILED';
      error = failure.cause?.name ?? failure.name;
      cause = failure.cause?.message ?? failure.message;
    }
  }
  await collecting;
  registered.status = status;
  registered.stopDate = '2026-01-01T01:00:00Z';
  const states: string[] = [];
  const timeline: { state: string; at: number }[] = [];
  const retried: { state: string; error: string }[] = [];
  const caught: { state: string; error: string; next: string }[] = [];
  const seconds = statesOf(definition);
  let at = 0;
  let lastFailure: Json;
  for (const event of events) {
    // States of a Map iteration (the container copy) come with their iteration's index: the
    // run's own states are the top-level ones.
    if (event.index !== undefined) continue;
    if (event.type === 'StateEntered') {
      states.push(event.state.name);
      timeline.push({ state: event.state.name, at });
      const state = seconds[event.state.name];
      if (state.Type === 'Wait') at += state.Seconds ?? 0;
    }
    if (event.type === 'StateFailed') lastFailure = event;
    if (event.type === 'StateRetried') retried.push({ state: event.state.name, error: lastFailure?.Error });
    if (event.type === 'StateCaught') caught.push({ state: event.state.name, error: lastFailure?.Error, next: event.catch.catcher.Next });
  }
  return { name, status, error, cause, output, events, states, timeline, retries: retried, caught };
}

/** The most events a Standard execution's history may hold; past it the execution fails. */
export const HISTORY_LIMIT = 25_000;

/**
 * The events Step Functions would write to the execution history for a run: a Task state 5
 * (entered, scheduled, started, succeeded or failed, exited; 6 with a task token), each retry 3
 * more (scheduled, started, failed), any other state 2 (entered, exited), a Map 4 plus 2 per
 * iteration and the states of its iterations, the execution 2.
 */
export function historyEvents(run: Run, definition: Json): number {
  const states = statesOf(definition);
  let events = 0;
  for (const event of run.events) {
    switch (event.type) {
      case 'ExecutionStarted': case 'ExecutionSucceeded': case 'ExecutionFailed': case 'ExecutionTimeout': case 'ExecutionAborted':
      case 'MapIterationStarted': case 'MapIterationSucceeded': case 'MapIterationFailed':
        events += 1;
        break;
      case 'StateRetried':
        events += 3;
        break;
      case 'StateEntered': {
        const state = event.index === undefined ? states[event.state.name] : undefined;
        if (state?.Type === 'Task') events += String(state.Resource).endsWith('.waitForTaskToken') ? 6 : 5;
        else if (state?.Type === 'Map') events += 4;
        else events += 2;
        break;
      }
    }
  }
  return events;
}

/** Weight changes as [weight of the given slot, weight of the other], in order. */
export function weightsFor(world: World, slot: 'blue' | 'green'): [number, number][] {
  return world.weightChanges.map((w) => (slot === 'blue' ? [w.blue, w.green] : [w.green, w.blue]));
}

/** An alarm trigger: `alarm` goes into ALARM at the `afterChecks`-th alarm check after `slot`'s weight became `percent`. */
export function alarmWhen(slot: 'blue' | 'green', percent: number, afterChecks: number, alarm: string): (context: AlarmContext) => string[] {
  return (context) => (context.weights[slot] === percent && context.checksSinceWeightChange >= afterChecks ? [alarm] : []);
}

/** The standard input of a rollout. */
export function rolloutInput(rolloutId?: string, image = NEW_IMAGE): Json {
  return rolloutId === undefined ? { image } : { image, rolloutId };
}
