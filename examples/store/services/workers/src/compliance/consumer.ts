// The remediation consumer of the reference app: the logic, with the SDK clients injected and no
// side effects at import (main.ts wires the real clients from the environment).
//
// It reads the `ComplianceAlerts` queue, where each message body is an EventBridge
// "Config Rules Compliance Change" event (raw message delivery). For a NON_COMPLIANT result of a
// rule it is told to remediate, it starts the rule's remediation (an SSM Automation document
// attached to the rule as its remediation configuration) with StartRemediationExecution; every
// other change is recorded (one JSON line on stdout) and deleted.
//
// What is deleted and what is left on the queue:
// - Handled (remediation started, already under way or done, or change recorded): deleted.
// - Remediation could not start (the call threw: throttling, NoSuchRemediationConfiguration,
//   InsufficientPermissions..., or the key came back in FailedItems for another reason): left on
//   the queue. SQS delivers it again after the visibility timeout; after 5 receives it moves to the
//   dead-letter queue, whose alarm calls a person.
// - Not a Config compliance change (not JSON, another detail-type or source, fields missing): left
//   on the queue too, deliberately. Nothing legitimate puts such a message there (only the
//   construct's topic may publish to it), so it is a misconfiguration, for example an upstream
//   change of the event shape, and the message is evidence: the DLQ keeps it 14 days and its alarm
//   tells someone, where deleting it would lose the change quietly. Retrying costs 5 receives.
//
// Duplicates (SQS delivers at least once; EventBridge and SNS may also repeat) are harmless:
// StartRemediationExecution is documented to refuse a new call for a resource key while an earlier
// call for that key is under way, and its FailureMessage example is "the resource is already
// compliant". So when the key comes back in FailedItems, the consumer asks
// DescribeRemediationExecutionStatus: an execution QUEUED or IN_PROGRESS, or one that SUCCEEDED
// after the finding was recorded, means the work is done or being done, and the message is deleted.
// A remediation that does run twice must be harmless as well: the Automation document is expected to
// be idempotent (setting HTTPS-only on a listener that already is HTTPS-only changes nothing).
import {
  ConfigServiceClient,
  DescribeRemediationExecutionStatusCommand,
  ResourceKey,
  ResourceType,
  StartRemediationExecutionCommand,
} from '@aws-sdk/client-config-service';
import { DeleteMessageBatchCommand, Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { errorOf, jsonLine, LoopControl, LoopSummary, turnLoop } from '../loop';

export type { LoopControl, LoopSummary };

/** The `detail-type` of the events the consumer handles. */
export const DETAIL_TYPE = 'Config Rules Compliance Change';
/** The `source` of the events the consumer handles. */
export const SOURCE = 'aws.config';
/** The result that starts a remediation. */
export const NON_COMPLIANT = 'NON_COMPLIANT';

/** What the consumer needs from outside: the clients, and where log lines go. */
export interface ConsumerDeps {
  readonly sqs: SQSClient;
  readonly config: ConfigServiceClient;
  /** Receives one object per log line. @default a JSON line on stdout */
  readonly log?: (line: Record<string, unknown>) => void;
}

/** How the consumer behaves. */
export interface ConsumerOptions {
  /** The URL of the queue to read. */
  readonly queueUrl: string;
  /** The Config rules whose NON_COMPLIANT results start a remediation; other rules are recorded only. */
  readonly remediateRules: ReadonlySet<string> | readonly string[];
  /** Long polling wait. @default 20 */
  readonly waitTimeSeconds?: number;
  /** Messages per receive (1 to 10). @default 10 */
  readonly maxMessages?: number;
}

/** A compliance change, as read from the event. */
export interface ComplianceChange {
  readonly ruleName: string;
  readonly resourceType: string;
  readonly resourceId: string;
  readonly complianceType: string;
  readonly eventId?: string;
  readonly account?: string;
  readonly region?: string;
  /** When Config recorded the new result (ISO 8601), if the event says. */
  readonly resultRecordedTime?: string;
}

/** What happened to a message. */
export type Action =
  /** StartRemediationExecution accepted the resource key. */
  | 'remediation-started'
  /** The key was refused because a remediation for it is queued or running. */
  | 'remediation-in-progress'
  /** The key was refused because the resource is already compliant, or a remediation succeeded since the finding. */
  | 'remediation-done'
  /** The remediation could not start: the message stays for a retry and, in the end, the DLQ. */
  | 'remediation-failed'
  /** A change the consumer does not act on (another result or another rule), recorded only. */
  | 'recorded'
  /** Not a Config compliance change: the message stays and goes to the DLQ. */
  | 'rejected';

/** The outcome of one message. */
export interface MessageOutcome {
  readonly messageId?: string;
  readonly receiptHandle?: string;
  readonly action: Action;
  /** Whether the consumer is done with the message and asks SQS to delete it. */
  readonly delete: boolean;
  readonly change?: ComplianceChange;
  /** Why the message was rejected or the remediation failed, in words. */
  readonly reason?: string;
  readonly error?: { readonly name: string; readonly message: string };
}

/** The outcome of one message after the batch delete. */
export interface FinalOutcome extends MessageOutcome {
  /** Whether SQS confirmed the deletion (false for messages left on the queue). */
  readonly deleted: boolean;
  /** Why SQS refused the deletion, when it did (the message will come back and be handled again). */
  readonly deleteError?: { readonly code: string; readonly message: string };
}

/** What one receive did. */
export interface PollResult {
  readonly received: number;
  readonly outcomes: FinalOutcome[];
}

/** A message body, parsed: either the change, or why it is not one. */
export type ParseResult = { readonly ok: true; readonly change: ComplianceChange } | { readonly ok: false; readonly reason: string };

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' && x.length > 0 ? x : undefined;
}

/**
 * Reads a message body as a Config compliance change. Accepts the raw EventBridge event (what the
 * queue gets with raw message delivery, the default) and also the SNS envelope around it (raw
 * delivery turned off), whose `Message` is the event as a string.
 */
export function parseComplianceChange(body: string | undefined): ParseResult {
  if (body === undefined || body.length === 0) return { ok: false, reason: 'empty body' };
  let event: unknown;
  try {
    event = JSON.parse(body);
    if (isObject(event) && event.Type === 'Notification' && typeof event.Message === 'string') event = JSON.parse(event.Message);
  } catch (e) {
    return { ok: false, reason: `body is not JSON: ${(e as Error).message}` };
  }
  if (!isObject(event)) return { ok: false, reason: 'body is not a JSON object' };
  if (event['detail-type'] !== DETAIL_TYPE || event.source !== SOURCE) {
    return { ok: false, reason: `not a Config compliance change: detail-type ${JSON.stringify(event['detail-type'])}, source ${JSON.stringify(event.source)}` };
  }
  const detail = event.detail;
  if (!isObject(detail)) return { ok: false, reason: 'the event has no detail' };
  const result = isObject(detail.newEvaluationResult) ? detail.newEvaluationResult : {};
  const identifier = isObject(result.evaluationResultIdentifier) ? result.evaluationResultIdentifier : {};
  const qualifier = isObject(identifier.evaluationResultQualifier) ? identifier.evaluationResultQualifier : {};
  const ruleName = str(detail.configRuleName) ?? str(qualifier.configRuleName);
  const resourceType = str(detail.resourceType) ?? str(qualifier.resourceType);
  const resourceId = str(detail.resourceId) ?? str(qualifier.resourceId);
  const complianceType = str(result.complianceType);
  const fields: [string, string | undefined][] = [
    ['configRuleName', ruleName], ['resourceType', resourceType], ['resourceId', resourceId], ['newEvaluationResult.complianceType', complianceType],
  ];
  const missing = fields.filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length > 0) return { ok: false, reason: `the event's detail lacks ${missing.join(', ')}` };
  return {
    ok: true,
    change: {
      ruleName: ruleName!,
      resourceType: resourceType!,
      resourceId: resourceId!,
      complianceType: complianceType!,
      eventId: str(event.id),
      account: str(detail.awsAccountId) ?? str(event.account),
      region: str(detail.awsRegion) ?? str(event.region),
      resultRecordedTime: str(result.resultRecordedTime),
    },
  };
}

function ruleSet(options: ConsumerOptions): ReadonlySet<string> {
  return options.remediateRules instanceof Set ? options.remediateRules : new Set(options.remediateRules as readonly string[]);
}

const sameKey = (a: ResourceKey, b: ResourceKey) => a.resourceType === b.resourceType && a.resourceId === b.resourceId;

/**
 * Handles one message: decides, and starts the remediation when there is one to start. Never
 * throws: every failure is an outcome that leaves the message on the queue. Does not delete
 * (`pollOnce` deletes the batch's handled messages in one call).
 */
export async function handleMessage(msg: Message, deps: ConsumerDeps, options: ConsumerOptions): Promise<MessageOutcome> {
  const base = { messageId: msg.MessageId, receiptHandle: msg.ReceiptHandle };
  const parsed = parseComplianceChange(msg.Body);
  if (!parsed.ok) return { ...base, action: 'rejected', delete: false, reason: parsed.reason };
  const change = parsed.change;
  if (change.complianceType !== NON_COMPLIANT || !ruleSet(options).has(change.ruleName)) {
    return { ...base, change, action: 'recorded', delete: true };
  }

  const key: ResourceKey = { resourceType: change.resourceType as ResourceType, resourceId: change.resourceId };
  let failureMessage: string | undefined;
  try {
    const out = await deps.config.send(new StartRemediationExecutionCommand({ ConfigRuleName: change.ruleName, ResourceKeys: [key] }));
    // One key was sent: any failed item (or a failure message without items) is a failure for it.
    const failed = (out.FailedItems ?? []).length > 0 || out.FailureMessage !== undefined;
    if (!failed) return { ...base, change, action: 'remediation-started', delete: true };
    failureMessage = out.FailureMessage ?? 'the resource key came back in FailedItems';
  } catch (e) {
    return { ...base, change, action: 'remediation-failed', delete: false, reason: 'StartRemediationExecution failed', error: errorOf(e) };
  }

  // Refused: is it a duplicate (a remediation already queued, running or done), or a real failure?
  if (/already compliant/i.test(failureMessage)) {
    return { ...base, change, action: 'remediation-done', delete: true, reason: failureMessage };
  }
  try {
    const status = await deps.config.send(new DescribeRemediationExecutionStatusCommand({ ConfigRuleName: change.ruleName, ResourceKeys: [key] }));
    const mine = (status.RemediationExecutionStatuses ?? []).filter((s) => s.ResourceKey && sameKey(s.ResourceKey, key));
    if (mine.some((s) => s.State === 'QUEUED' || s.State === 'IN_PROGRESS')) {
      return { ...base, change, action: 'remediation-in-progress', delete: true, reason: failureMessage };
    }
    const recorded = change.resultRecordedTime ? Date.parse(change.resultRecordedTime) : NaN;
    if (!Number.isNaN(recorded) && mine.some((s) => s.State === 'SUCCEEDED' && s.InvocationTime !== undefined && s.InvocationTime.getTime() >= recorded)) {
      return { ...base, change, action: 'remediation-done', delete: true, reason: failureMessage };
    }
    return { ...base, change, action: 'remediation-failed', delete: false, reason: failureMessage };
  } catch (e) {
    return { ...base, change, action: 'remediation-failed', delete: false, reason: failureMessage, error: errorOf(e) };
  }
}

/** The one log line of a message. */
export function logLine(o: FinalOutcome, receiveCount?: string): Record<string, unknown> {
  const bad = o.action === 'remediation-failed' || o.deleteError !== undefined;
  return {
    level: bad ? 'error' : o.action === 'rejected' ? 'warn' : 'info',
    msg: 'compliance change',
    action: o.action,
    messageId: o.messageId,
    receiveCount: receiveCount === undefined ? undefined : Number(receiveCount),
    rule: o.change?.ruleName,
    resourceType: o.change?.resourceType,
    resourceId: o.change?.resourceId,
    complianceType: o.change?.complianceType,
    account: o.change?.account,
    region: o.change?.region,
    eventId: o.change?.eventId,
    deleted: o.deleted,
    reason: o.reason,
    error: o.error,
    deleteError: o.deleteError,
  };
}

/**
 * One turn: receive a batch (long polling), handle each message on its own (one failure does not
 * stop the others), delete the handled ones with one DeleteMessageBatch, and write one JSON line
 * per message. Throws only when the receive itself fails (or is aborted through `abortSignal`).
 */
export async function pollOnce(deps: ConsumerDeps, options: ConsumerOptions, abortSignal?: AbortSignal): Promise<PollResult> {
  const log = deps.log ?? jsonLine;
  const received = await deps.sqs.send(new ReceiveMessageCommand({
    QueueUrl: options.queueUrl,
    MaxNumberOfMessages: options.maxMessages ?? 10,
    WaitTimeSeconds: options.waitTimeSeconds ?? 20,
    MessageSystemAttributeNames: ['ApproximateReceiveCount'],
  }), { abortSignal });
  const messages = received.Messages ?? [];
  if (messages.length === 0) return { received: 0, outcomes: [] };

  // One at a time: StartRemediationExecution has a low rate limit, and the order of lines follows the batch.
  const outcomes: MessageOutcome[] = [];
  for (const m of messages) outcomes.push(await handleMessage(m, deps, options));

  const deleteErrors = new Map<number, { code: string; message: string }>();
  const entries = outcomes
    .map((o, i) => ({ o, i }))
    .filter(({ o }) => o.delete && o.receiptHandle !== undefined)
    .map(({ o, i }) => ({ Id: `m${i}`, ReceiptHandle: o.receiptHandle! }));
  if (entries.length > 0) {
    try {
      const out = await deps.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: entries }));
      for (const f of out.Failed ?? []) {
        deleteErrors.set(Number((f.Id ?? '').slice(1)), { code: f.Code ?? 'Unknown', message: f.Message ?? '' });
      }
    } catch (e) {
      const err = errorOf(e);
      for (const en of entries) deleteErrors.set(Number(en.Id.slice(1)), { code: err.name, message: err.message });
    }
  }

  const finals: FinalOutcome[] = outcomes.map((o, i) => {
    const deleteError = deleteErrors.get(i);
    return { ...o, deleted: o.delete && o.receiptHandle !== undefined && deleteError === undefined, deleteError };
  });
  finals.forEach((f, i) => log(logLine(f, messages[i].Attributes?.ApproximateReceiveCount)));
  return { received: messages.length, outcomes: finals };
}

/** Turns `pollOnce` until told to stop (see loop.ts). */
export function runLoop(deps: ConsumerDeps, options: ConsumerOptions, control: LoopControl): Promise<LoopSummary> {
  return turnLoop((abortSignal) => pollOnce(deps, options, abortSignal), deps.log ?? jsonLine, control);
}
