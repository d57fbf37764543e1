// The remediation consumer's entry point: reads its configuration from the environment, wires the
// real SDK clients and turns the loop until SIGTERM (ECS stopping the task) or SIGINT; the batch
// under way is finished first, then the process exits 0. Each turn touches /tmp/heartbeat (a
// task-local scratch volume): the container health check fails when the loop stops turning, and
// ECS replaces the task.
//
// Environment:
// - COMPLIANCE_ALERTS_QUEUE_URL (required): the ComplianceAlerts queue. ComplianceAlerts injects no
//   variable itself; attaching the queue as a backing service with the prefix injects it:
//   `service.attach(BackingService.sqsQueue(alerts.queue!, { envVarPrefix: 'COMPLIANCE_ALERTS' }))`
//   (which also grants receive and delete, and decrypt on the queue's key).
// - REMEDIATE_RULES: comma-separated Config rule names whose NON_COMPLIANT results start the rule's
//   remediation; spaces around names and empty entries are ignored. Empty or unset: record only.
// - AWS_REGION: the Region of the SQS and Config clients (ECS sets it in the task).
import { EventEmitter } from 'events';
import { writeFileSync } from 'fs';
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConsumerDeps, ConsumerOptions, LoopSummary, runLoop } from './consumer';

/** The variable holding the queue URL. */
export const QUEUE_URL_VARIABLE = 'COMPLIANCE_ALERTS_QUEUE_URL';
/** The variable listing the rules to remediate. */
export const RULES_VARIABLE = 'REMEDIATE_RULES';
/** The file touched each turn for the container health check. */
export const HEARTBEAT_FILE = '/tmp/heartbeat';

/** The worker's configuration, from the environment. */
export interface WorkerConfig extends ConsumerOptions {
  readonly remediateRules: readonly string[];
  /** The clients' Region, when AWS_REGION is set (else the SDK's own lookup). */
  readonly region?: string;
}

/** Reads the configuration; throws an Error saying what is wrong. */
export function parseEnv(env: NodeJS.ProcessEnv): WorkerConfig {
  const queueUrl = (env[QUEUE_URL_VARIABLE] ?? '').trim();
  if (queueUrl === '') {
    throw new Error(`${QUEUE_URL_VARIABLE} is not set: it must be the URL of the ComplianceAlerts queue `
      + '(attach it with service.attach(BackingService.sqsQueue(alerts.queue!, { envVarPrefix: \'COMPLIANCE_ALERTS\' })))');
  }
  if (!/^https:\/\/\S+$/.test(queueUrl)) {
    throw new Error(`${QUEUE_URL_VARIABLE} ${JSON.stringify(queueUrl)} is not a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)`);
  }
  const rules = (env[RULES_VARIABLE] ?? '').split(',').map((r) => r.trim()).filter((r) => r.length > 0);
  const region = (env.AWS_REGION ?? '').trim();
  return { queueUrl, remediateRules: [...new Set(rules)], region: region === '' ? undefined : region };
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

/** What `main` may be given instead of the real things (tests). */
export interface MainOverrides {
  readonly deps?: ConsumerDeps;
  readonly stopper?: Stopper;
  readonly heartbeat?: () => void;
}

function jsonLine(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Runs the worker; resolves to the exit code (0 after a stop, 1 on a configuration error). */
export async function main(env: NodeJS.ProcessEnv = process.env, overrides: MainOverrides = {}): Promise<number> {
  let config: WorkerConfig;
  try {
    config = parseEnv(env);
  } catch (e) {
    jsonLine({ level: 'error', msg: 'configuration refused', error: (e as Error).message });
    return 1;
  }
  const deps: ConsumerDeps = overrides.deps ?? {
    sqs: new SQSClient({ region: config.region }),
    config: new ConfigServiceClient({ region: config.region }),
  };
  const stopper = overrides.stopper ?? stopOnSignals(process);
  let heartbeatFailed = false;
  const heartbeat = overrides.heartbeat ?? (() => {
    try {
      writeFileSync(HEARTBEAT_FILE, String(Date.now()));
    } catch (e) {
      // Said once: the health check will fail and ECS replace the task.
      if (!heartbeatFailed) jsonLine({ level: 'error', msg: 'heartbeat not written', error: (e as Error).message });
      heartbeatFailed = true;
    }
  });
  const summary: LoopSummary = await runLoop(deps, config, { shouldStop: stopper.shouldStop, abortSignal: stopper.abortSignal, onTurn: heartbeat });
  jsonLine({ level: 'info', msg: 'stopped', ...summary });
  return 0;
}

if (require.main === module) {
  main().then((code) => process.exit(code), (e: unknown) => {
    jsonLine({ level: 'error', msg: 'worker crashed', error: String(e) });
    process.exit(1);
  });
}
