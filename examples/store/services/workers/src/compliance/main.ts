// The remediation consumer's entry point: reads its configuration from the environment, wires the
// real SDK clients and turns the loop until SIGTERM (ECS stopping the task) or SIGINT; the batch
// under way is finished first, then the process exits 0. Each turn touches /tmp/heartbeat (a
// task-local scratch volume): the container health check fails when the loop stops turning, and
// ECS replaces the task.
//
// Environment:
// - COMPLIANCE_ALERTS_QUEUE_URL (required): the ComplianceAlerts queue, injected by attaching it:
//   `service.attach(alerts.asBackingService())` (which also grants receive and delete, and decrypt
//   on the queue's key).
// - REMEDIATE_RULES: comma-separated Config rule names whose NON_COMPLIANT results start the rule's
//   remediation; spaces around names and empty entries are ignored. Empty or unset: record only.
// - AWS_REGION: the Region of the SQS and Config clients (ECS sets it in the task).
import { ConfigServiceClient } from '@aws-sdk/client-config-service';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ConsumerDeps, ConsumerOptions, LoopSummary, runLoop } from './consumer';
import { heartbeatWriter, jsonLine, stopOnSignals, Stopper } from '../loop';

export { HEARTBEAT_FILE, stopOnSignals, Stopper } from '../loop';

/** The variable holding the queue URL. */
export const QUEUE_URL_VARIABLE = 'COMPLIANCE_ALERTS_QUEUE_URL';
/** The variable listing the rules to remediate. */
export const RULES_VARIABLE = 'REMEDIATE_RULES';

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
      + '(attach it with service.attach(alerts.asBackingService()))');
  }
  if (!/^https:\/\/\S+$/.test(queueUrl)) {
    throw new Error(`${QUEUE_URL_VARIABLE} ${JSON.stringify(queueUrl)} is not a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>)`);
  }
  const rules = (env[RULES_VARIABLE] ?? '').split(',').map((r) => r.trim()).filter((r) => r.length > 0);
  const region = (env.AWS_REGION ?? '').trim();
  return { queueUrl, remediateRules: [...new Set(rules)], region: region === '' ? undefined : region };
}

/** What `main` may be given instead of the real things (tests). */
export interface MainOverrides {
  readonly deps?: ConsumerDeps;
  readonly stopper?: Stopper;
  readonly heartbeat?: () => void;
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
  const heartbeat = overrides.heartbeat ?? heartbeatWriter();
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
