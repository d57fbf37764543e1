/**
 * Exit codes of `cdk-microservices rollout`, and how a rollout's ending maps to them.
 */

export const EXIT = {
  /** The rollout succeeded (or, for status, history and watch, there was nothing wrong to report). */
  succeeded: 0,
  /** An unexpected error (an AWS error: its name and message are printed). */
  unexpected: 1,
  /** A usage error, or an input refused before anything was started (bad image, unknown canary). */
  usage: 2,
  /** Nothing waits: no approval to give, no rollout to abort. */
  nothingWaits: 3,
  /** The rollout was rolled back (an alarm, DNS not in sync, a step failed, the approval timed out). */
  rolledBack: 10,
  /** The rollout failed (release failed, idle slot unhealthy, rollback failed, invalid input, timed out, stopped). */
  failed: 11,
  /** The rollout was aborted by an operator (or its approval refused). */
  aborted: 12,
  /** Another rollout holds the lock. */
  lockHeld: 13,
} as const;

/** The exit codes, as `--help` lists them. */
export const EXIT_CODES_HELP = `Exit codes:
  0   succeeded (status, history and watch of a succeeded rollout: 0 too)
  1   unexpected error (an AWS error: its name and message; --debug adds the stack)
  2   usage error, or input refused before starting (bad image, unknown canary)
  3   nothing waits (approve: no approval waits; abort: no rollout to abort)
  10  rolled back (CanaryDeployment.RolledBack, DnsNotInSync, StepFailed, ApprovalTimedOut)
  11  failed (ReleaseFailed, IdleSlotUnhealthy, RollbackFailed, InvalidInput, execution timed out or stopped)
  12  aborted (CanaryDeployment.Aborted)
  13  lock held: another rollout runs (CanaryDeployment.RolloutInProgress)`;

const ROLLED_BACK = ['RolledBack', 'DnsNotInSync', 'StepFailed', 'ApprovalTimedOut'].map((e) => `CanaryDeployment.${e}`);

/** The exit code of an execution that ended with `status` (DescribeExecution) and `error` (its failure, if any). */
export function exitCodeOfExecution(status: string | undefined, error?: string): number {
  if (status === 'SUCCEEDED') return EXIT.succeeded;
  if (status === 'FAILED') {
    if (error === 'CanaryDeployment.Aborted') return EXIT.aborted;
    if (error === 'CanaryDeployment.RolloutInProgress') return EXIT.lockHeld;
    if (error !== undefined && ROLLED_BACK.includes(error)) return EXIT.rolledBack;
  }
  return EXIT.failed;
}

/** The exit code of a rollout item's `status` and `reason` (a rollout that already ran). */
export function exitCodeOfRecord(status: string | undefined, reason?: string): number {
  switch (status) {
    case 'SUCCEEDED': return EXIT.succeeded;
    case 'ROLLED_BACK': return reason === 'ABORTED' ? EXIT.aborted : EXIT.rolledBack;
    default: return EXIT.failed;
  }
}

/** An ending of a command with a code and a message (a refusal, a usage error, nothing to do). */
export class CommandEnd extends Error {
  constructor(public readonly exitCode: number, message: string, public readonly details: { [key: string]: unknown } = {}) {
    super(message);
    this.name = 'CommandEnd';
  }
}
