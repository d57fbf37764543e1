// The email worker of the reference app: the logic, with the SQS client injected and no side
// effects at import (main.ts wires the real client from the environment).
//
// Two modes:
// - The service (`node dist/main.js`): long-polls the sign-up queue, handles each sign-up (the
//   reference app only logs the welcome email it would send) and deletes what it handled in one
//   DeleteMessageBatch. A message that cannot be handled stays on the queue: SQS delivers it again
//   after the visibility timeout and, after `maxReceiveCount` receives, moves it to the
//   dead-letter queue, whose alarm calls a person.
// - The admin task `replay-dead-letters` (`node dist/main.js --replay`, daily): moves the messages
//   of the dead-letter queue back to the queue (receive from the DLQ, SendMessageBatch to the
//   queue, DeleteMessageBatch from the DLQ of only the entries SQS accepted), then ends. What could
//   not be re-sent stays in the DLQ for the next run, and the exit code says so.
import {
  DeleteMessageBatchCommand,
  Message,
  MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageBatchRequestEntry,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { errorOf, jsonLine, Log, LoopControl, LoopSummary, turnLoop } from '../loop';

/**
 * At most 10 entries per SendMessageBatch and DeleteMessageBatch, and 10 messages per receive:
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteMessageBatch.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
 */
export const MAX_BATCH_ENTRIES = 10;

/**
 * The payload of one SendMessageBatch (the sum of the bodies and message attributes) may not
 * exceed the queue's maximum message size; 256 KiB (262,144 bytes) was the limit of every queue
 * before SQS raised it to 1 MiB, so batches are cut at 256 KiB, which holds for either
 * (a message larger than that is sent alone):
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 */
export const MAX_BATCH_BYTES = 262_144;

/** One JSON object per log line. */
export type { Log, LoopControl, LoopSummary };

/** What the worker needs from outside. */
export interface WorkerDeps {
  readonly sqs: SQSClient;
  /** Receives one object per log line. @default a JSON line on stdout */
  readonly log?: Log;
  /** Handles one sign-up; throws to leave the message on the queue. @default logs the welcome email */
  readonly handle?: (signup: Signup, message: Message) => Promise<void>;
}

/**
 * The X-Ray trace id a message carries (`1-5759e988-bd862e3fe1be46a994272793`): SNS passes the
 * publisher's trace header to the subscribed queue, where the message holds it as the
 * `AWSTraceHeader` system attribute (`Root=<trace id>;Parent=<segment id>;Sampled=1`), returned
 * only when the receive asks for it
 * (https://docs.aws.amazon.com/xray/latest/devguide/xray-services-sqs.html,
 * https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader).
 * Logged as `traceId`, it is what the saved query "Log lines of a trace" finds.
 */
export function traceIdOf(m: Message): string | undefined {
  const header = m.Attributes?.AWSTraceHeader;
  if (header === undefined) return undefined;
  const root = header.split(';').map((part) => part.trim().split('=')).find(([key]) => key === 'Root')?.[1];
  return root !== undefined && /^1-[0-9a-f]{8}-[0-9a-f]{24}$/.test(root) ? root : undefined;
}

/** A sign-up, as read from the message. */
export interface Signup {
  /** The published message (the SNS envelope's `Message`, or the raw body). */
  readonly message: string;
  /** The SNS message id, when the body is an SNS envelope. */
  readonly snsMessageId?: string;
  /** The publisher's X-Ray trace id (`traceIdOf`), when the message carries one. */
  readonly traceId?: string;
}

/**
 * Reads a sign-up from a message body: the SNS envelope (the subscription does not use raw
 * message delivery), or the raw message. Throws on an empty body.
 */
export function parseSignup(body: string | undefined): Signup {
  if (body === undefined || body.length === 0) throw new Error('empty body');
  try {
    const envelope = JSON.parse(body) as unknown;
    if (typeof envelope === 'object' && envelope !== null) {
      const e = envelope as Record<string, unknown>;
      if (e.Type === 'Notification' && typeof e.Message === 'string') {
        return { message: e.Message, snsMessageId: typeof e.MessageId === 'string' ? e.MessageId : undefined };
      }
    }
  } catch {
    // Not JSON: a raw message.
  }
  return { message: body };
}

/** The options of the service's loop. */
export interface ConsumeOptions {
  /** The queue the subscription fills (USER_SIGNUP_QUEUE_URL). */
  readonly queueUrl: string;
  /** Long polling wait, under the health check's minute. @default 20 */
  readonly waitTimeSeconds?: number;
}

/** What one receive did. */
export interface PollResult {
  readonly received: number;
  readonly handled: number;
  readonly deleted: number;
}

/**
 * One turn of the service: receive a batch (long polling), handle each message on its own, delete
 * the handled ones with one DeleteMessageBatch. Throws only when the receive fails.
 */
export async function pollOnce(deps: WorkerDeps, options: ConsumeOptions, abortSignal?: AbortSignal): Promise<PollResult> {
  const log = deps.log ?? jsonLine;
  const handle = deps.handle ?? (async (signup: Signup) => {
    log({ level: 'info', msg: 'welcome email', snsMessageId: signup.snsMessageId, signup: signup.message, traceId: signup.traceId });
  });
  const out = await deps.sqs.send(new ReceiveMessageCommand({
    QueueUrl: options.queueUrl,
    MaxNumberOfMessages: MAX_BATCH_ENTRIES,
    WaitTimeSeconds: options.waitTimeSeconds ?? 20,
    MessageAttributeNames: ['All'],
    // The publisher's trace, to log each message's lines with it (traceIdOf).
    MessageSystemAttributeNames: ['AWSTraceHeader'],
  }), { abortSignal });
  const messages = out.Messages ?? [];
  const done: Message[] = [];
  for (const m of messages) {
    try {
      const traceId = traceIdOf(m);
      await handle({ ...parseSignup(m.Body), ...(traceId !== undefined ? { traceId } : {}) }, m);
      done.push(m);
    } catch (e) {
      log({ level: 'error', msg: 'sign-up not handled: left on the queue', messageId: m.MessageId, traceId: traceIdOf(m), error: errorOf(e) });
    }
  }
  const deleted = await deleteBatch(deps.sqs, options.queueUrl, done, log);
  return { received: messages.length, handled: done.length, deleted: deleted.length };
}

/**
 * Deletes messages with one DeleteMessageBatch (at most 10) and returns those SQS confirmed;
 * refusals are logged (the message comes back and is handled again).
 */
async function deleteBatch(sqs: SQSClient, queueUrl: string, messages: Message[], log: Log): Promise<Message[]> {
  const entries = messages.map((m, i) => ({ m, id: `m${i}` })).filter(({ m }) => m.ReceiptHandle !== undefined);
  if (entries.length === 0) return [];
  try {
    const out = await sqs.send(new DeleteMessageBatchCommand({
      QueueUrl: queueUrl,
      Entries: entries.map(({ m, id }) => ({ Id: id, ReceiptHandle: m.ReceiptHandle! })),
    }));
    const ok = new Set((out.Successful ?? []).map((s) => s.Id));
    for (const f of out.Failed ?? []) {
      const m = entries.find((en) => en.id === f.Id)?.m;
      log({ level: 'error', msg: 'delete refused', queueUrl, messageId: m?.MessageId, code: f.Code, reason: f.Message });
    }
    return entries.filter(({ id }) => ok.has(id)).map(({ m }) => m);
  } catch (e) {
    log({ level: 'error', msg: 'delete failed', queueUrl, messageIds: entries.map(({ m }) => m.MessageId), error: errorOf(e) });
    return [];
  }
}

/** Turns `pollOnce` until told to stop (see loop.ts). */
export function runLoop(deps: WorkerDeps, options: ConsumeOptions, control: LoopControl): Promise<LoopSummary> {
  return turnLoop((abortSignal) => pollOnce(deps, options, abortSignal), deps.log ?? jsonLine, control);
}

/** The options of the replay. */
export interface ReplayOptions {
  /** The dead-letter queue to empty (USER_SIGNUP_DLQ_URL). */
  readonly deadLetterQueueUrl: string;
  /** The queue to send the messages back to (USER_SIGNUP_QUEUE_URL). */
  readonly queueUrl: string;
  /**
   * Long polling wait of each receive. Any wait above 0 asks every SQS server, so an empty
   * answer means the queue has no visible message (short polling samples a subset and may
   * answer empty while messages wait):
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
   * @default 2
   */
  readonly waitTimeSeconds?: number;
  /**
   * How long a received message stays hidden in the DLQ: longer than a run, so that a message
   * the run could not re-send does not come back to it (it waits for the next run).
   * @default 600
   */
  readonly visibilityTimeoutSeconds?: number;
  /** The most messages one run moves; the rest wait for the next run. @default 10000 */
  readonly maxMessages?: number;
  /** Checked before each receive: true ends the run (SIGTERM). @default never */
  readonly shouldStop?: () => boolean;
}

/** What a replay did. */
export interface ReplaySummary {
  /** Messages received from the DLQ. */
  readonly received: number;
  /** Re-sent to the queue and deleted from the DLQ. */
  readonly moved: number;
  /** Refused by SendMessageBatch (or the call failed): left in the DLQ. */
  readonly sendFailed: number;
  /** Re-sent but not deleted from the DLQ: the queue got them and the DLQ still has them. */
  readonly deleteFailed: number;
  /** Why the run ended. */
  readonly end: 'empty' | 'seen' | 'max' | 'stopped';
}

/**
 * The bytes a message counts for in a batch: its body and its message attributes (a system
 * attribute such as AWSTraceHeader does not count: API_SendMessageBatchRequestEntry.html).
 */
export function messageBytes(m: Message): number {
  let bytes = Buffer.byteLength(m.Body ?? '', 'utf8');
  for (const [name, v] of Object.entries(m.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(v.DataType ?? '', 'utf8');
    if (v.StringValue !== undefined) bytes += Buffer.byteLength(v.StringValue, 'utf8');
    if (v.BinaryValue !== undefined) bytes += v.BinaryValue.byteLength;
  }
  return bytes;
}

/** Cuts messages into batches of at most 10 entries and `MAX_BATCH_BYTES` (a larger message alone). */
export function sendBatches(messages: Message[], maxBytes: number = MAX_BATCH_BYTES): Message[][] {
  const batches: Message[][] = [];
  let current: Message[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = messageBytes(m);
    if (current.length > 0 && (current.length === MAX_BATCH_ENTRIES || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The attributes to send again: data type and value (the list values SQS does not implement are left out). */
function attributesOf(m: Message): Record<string, MessageAttributeValue> | undefined {
  const entries = Object.entries(m.MessageAttributes ?? {});
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.map(([name, v]) => [name, {
    DataType: v.DataType,
    ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}),
    ...(v.BinaryValue !== undefined ? { BinaryValue: v.BinaryValue } : {}),
  }]));
}

function sendEntry(m: Message, id: string): SendMessageBatchRequestEntry {
  const groupId = m.Attributes?.MessageGroupId;
  const traceHeader = m.Attributes?.AWSTraceHeader;
  const attributes = attributesOf(m);
  return {
    Id: id,
    MessageBody: m.Body!,
    // Only members the message has: the API model has no "absent" value for a map.
    ...(attributes !== undefined ? { MessageAttributes: attributes } : {}),
    // The message stays in its publisher's trace: AWSTraceHeader is the one system attribute a
    // sender may set (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatchRequestEntry.html).
    ...(traceHeader !== undefined ? { MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: traceHeader } } } : {}),
    // A FIFO queue's message keeps its group; it gets a new deduplication id (its DLQ message id),
    // or SQS would drop it as a duplicate of the first send within the 5-minute window:
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/using-messagededuplicationid-property.html
    ...(groupId !== undefined ? { MessageGroupId: groupId, MessageDeduplicationId: m.MessageId } : {}),
  };
}

/**
 * Moves the messages of the dead-letter queue back to the queue, batch by batch, and returns when
 * the DLQ answers empty (or only with messages this run already received, or at `maxMessages`, or
 * when told to stop). A message is deleted from the DLQ only after SendMessageBatch accepted it;
 * one refused (or a batch whose call failed) stays in the DLQ. Throws when a receive fails.
 */
export async function replayDeadLetters(deps: WorkerDeps, options: ReplayOptions): Promise<ReplaySummary> {
  const log = deps.log ?? jsonLine;
  const max = options.maxMessages ?? 10_000;
  const seen = new Set<string>();
  let received = 0;
  let moved = 0;
  let sendFailed = 0;
  let deleteFailed = 0;
  let end: ReplaySummary['end'];
  for (;;) {
    if (options.shouldStop?.()) { end = 'stopped'; break; }
    if (received >= max) { end = 'max'; break; }
    const out = await deps.sqs.send(new ReceiveMessageCommand({
      QueueUrl: options.deadLetterQueueUrl,
      MaxNumberOfMessages: Math.min(MAX_BATCH_ENTRIES, max - received),
      WaitTimeSeconds: options.waitTimeSeconds ?? 2,
      VisibilityTimeout: options.visibilityTimeoutSeconds ?? 600,
      MessageAttributeNames: ['All'],
      MessageSystemAttributeNames: ['MessageGroupId', 'AWSTraceHeader'],
    }));
    const messages = out.Messages ?? [];
    if (messages.length === 0) { end = 'empty'; break; }
    const fresh = messages.filter((m) => m.MessageId === undefined || !seen.has(m.MessageId));
    for (const m of messages) if (m.MessageId !== undefined) seen.add(m.MessageId);
    if (fresh.length === 0) { end = 'seen'; break; }
    received += fresh.length;
    const sendable = fresh.filter((m) => m.Body !== undefined && m.Body.length > 0);
    for (const m of fresh.filter((x) => !sendable.includes(x))) {
      sendFailed++;
      log({ level: 'error', msg: 'replay: message without a body left in the DLQ', messageId: m.MessageId, traceId: traceIdOf(m) });
    }

    for (const batch of sendBatches(sendable)) {
      const ids = batch.map((_, i) => `m${i}`);
      let accepted: Message[] = [];
      try {
        const sent = await deps.sqs.send(new SendMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: batch.map((m, i) => sendEntry(m, ids[i])),
        }));
        const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
        accepted = batch.filter((_, i) => ok.has(ids[i]));
        // SendMessageBatch reports each entry: a 200 may carry failures
        // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).
        for (const f of sent.Failed ?? []) {
          const m = batch[ids.indexOf(f.Id ?? '')];
          log({ level: 'error', msg: 'replay: re-send refused, left in the DLQ', messageId: m?.MessageId, code: f.Code, senderFault: f.SenderFault, reason: f.Message });
        }
        sendFailed += batch.length - accepted.length;
      } catch (e) {
        sendFailed += batch.length;
        log({ level: 'error', msg: 'replay: re-send failed, left in the DLQ', messageIds: batch.map((m) => m.MessageId), error: errorOf(e) });
        continue;
      }
      const deleted = await deleteBatch(deps.sqs, options.deadLetterQueueUrl, accepted, log);
      moved += deleted.length;
      deleteFailed += accepted.length - deleted.length;
    }
  }
  const summary: ReplaySummary = { received, moved, sendFailed, deleteFailed, end };
  log({ level: sendFailed + deleteFailed > 0 ? 'error' : 'info', msg: 'replay done', ...summary });
  return summary;
}
