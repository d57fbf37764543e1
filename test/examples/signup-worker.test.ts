// The sign-up worker of the reference app (examples/store/services/workers/src/signup: the email worker
// and the billing worker), against an in-memory SQS (aws-sdk-client-mock): the service's loop
// handles sign-ups with the handler SIGNUP_HANDLER names and touches its
// heartbeat; `--replay` (the scheduled admin task) moves the dead-letter queue back to the queue
// within SQS's batch limits, deletes only what was re-sent, and ends.
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import {
  DeleteMessageBatchCommand, Message, MessageAttributeValue, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { DLQ_URL_VARIABLE, HANDLER_VARIABLE, main, parseConfig, QUEUE_URL_VARIABLE, Stopper } from '../../examples/store/services/workers/src/signup/main';
import {
  MAX_BATCH_BYTES, MAX_BATCH_ENTRIES, messageBytes, replayDeadLetters, sendBatches, traceIdOf, WorkerDeps,
} from '../../examples/store/services/workers/src/signup/worker';

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111111111111/Store-EmailWorkerBususersignupQueue-AbC';
const DLQ_URL = 'https://sqs.us-east-1.amazonaws.com/111111111111/Store-EmailWorkerBususersignupDeadLetterQueue-DeF';
const ENV = { [QUEUE_URL_VARIABLE]: QUEUE_URL, [DLQ_URL_VARIABLE]: DLQ_URL, AWS_REGION: 'us-east-1' };

const sqsMock = mockClient(SQSClient);

/** A trace header as SNS passes it to SQS (https://docs.aws.amazon.com/xray/latest/devguide/xray-concepts.html#xray-concepts-tracingheader). */
const TRACE_ID = '1-5759e988-bd862e3fe1be46a994272793';
const TRACE_HEADER = `Root=${TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1`;

interface Stored {
  readonly id: string;
  readonly body: string;
  readonly attributes?: Record<string, MessageAttributeValue>;
  /** System attributes (AWSTraceHeader), returned only when a receive names them. */
  readonly system?: Record<string, string>;
  /** Hidden by a receive (the fake keeps it hidden for the rest of the test unless `revisit`). */
  hidden: boolean;
  receipt?: string;
}

/**
 * Two queues in memory with what the worker relies on: a receive returns at most the asked number
 * of visible messages and hides them; a delete needs the receipt handle of the last receive; the
 * batch calls refuse more than 10 entries or a payload above 256 KiB, as SQS does.
 */
class FakeSqs {
  public readonly queues = new Map<string, Stored[]>([[QUEUE_URL, []], [DLQ_URL, []]]);
  /** Bodies SendMessageBatch refuses one by one (entry in Failed). */
  public readonly refuse = new Set<string>();
  /** Receipt handles DeleteMessageBatch refuses. */
  public readonly refuseDelete = new Set<string>();
  /** When true, a message the run could not move is visible again at once (a short visibility timeout). */
  public revisit = false;
  public sendBatchSizes: number[] = [];
  public sendBatchBytes: number[] = [];
  private seq = 0;

  constructor(mock: typeof sqsMock) {
    mock.on(ReceiveMessageCommand).callsFake((input) => this.receive(input));
    mock.on(SendMessageBatchCommand).callsFake((input) => this.sendBatch(input));
    mock.on(DeleteMessageBatchCommand).callsFake((input) => this.deleteBatch(input));
  }

  public put(url: string, body: string, attributes?: Record<string, MessageAttributeValue>, system?: Record<string, string>): void {
    this.queues.get(url)!.push({ id: `id-${++this.seq}`, body, attributes, system, hidden: false });
  }

  /** The system attributes of the messages of a queue. */
  public system(url: string): Array<Record<string, string> | undefined> {
    return this.queues.get(url)!.map((m) => m.system);
  }

  public bodies(url: string): string[] {
    return this.queues.get(url)!.map((m) => m.body);
  }

  private receive(input: { QueueUrl: string; MaxNumberOfMessages?: number; MessageSystemAttributeNames?: string[] }) {
    const q = this.queues.get(input.QueueUrl)!;
    if (this.revisit) for (const m of q) m.hidden = false;
    const visible = q.filter((m) => !m.hidden).slice(0, input.MaxNumberOfMessages ?? 1);
    const asked = input.MessageSystemAttributeNames ?? [];
    const messages: Message[] = visible.map((m) => {
      m.hidden = true;
      m.receipt = `rh-${m.id}-${++this.seq}`;
      const system = Object.entries(m.system ?? {}).filter(([name]) => asked.includes(name) || asked.includes('All'));
      const attributes = system.length > 0 ? { Attributes: Object.fromEntries(system) } : {};
      return { MessageId: m.id, ReceiptHandle: m.receipt, Body: m.body, MessageAttributes: m.attributes, ...attributes };
    });
    return { Messages: messages.length > 0 ? messages : undefined };
  }

  private sendBatch(input: {
    QueueUrl: string;
    Entries: {
      Id: string;
      MessageBody: string;
      MessageAttributes?: Record<string, MessageAttributeValue>;
      MessageSystemAttributes?: Record<string, { DataType: string; StringValue?: string }>;
    }[];
  }) {
    if (input.Entries.length > MAX_BATCH_ENTRIES) throw Object.assign(new Error('too many entries'), { name: 'TooManyEntriesInBatchRequest' });
    const bytes = input.Entries.reduce((n, e) => n + messageBytes({ Body: e.MessageBody, MessageAttributes: e.MessageAttributes }), 0);
    if (input.Entries.length > 1 && bytes > MAX_BATCH_BYTES) throw Object.assign(new Error('batch too long'), { name: 'BatchRequestTooLong' });
    this.sendBatchSizes.push(input.Entries.length);
    this.sendBatchBytes.push(bytes);
    const Successful = [];
    const Failed = [];
    for (const e of input.Entries) {
      if (this.refuse.has(e.MessageBody)) {
        Failed.push({ Id: e.Id, Code: 'InvalidParameterValue', SenderFault: true, Message: 'refused' });
      } else {
        const trace = e.MessageSystemAttributes?.AWSTraceHeader?.StringValue;
        this.put(input.QueueUrl, e.MessageBody, e.MessageAttributes, trace !== undefined ? { AWSTraceHeader: trace } : undefined);
        Successful.push({ Id: e.Id, MessageId: `sent-${this.seq}`, MD5OfMessageBody: 'x' });
      }
    }
    return { Successful, Failed };
  }

  private deleteBatch(input: { QueueUrl: string; Entries: { Id: string; ReceiptHandle: string }[] }) {
    if (input.Entries.length > MAX_BATCH_ENTRIES) throw Object.assign(new Error('too many entries'), { name: 'TooManyEntriesInBatchRequest' });
    const q = this.queues.get(input.QueueUrl)!;
    const Successful = [];
    const Failed = [];
    for (const e of input.Entries) {
      const i = q.findIndex((m) => m.receipt === e.ReceiptHandle);
      if (i < 0 || this.refuseDelete.has(e.ReceiptHandle)) {
        Failed.push({ Id: e.Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true });
      } else {
        q.splice(i, 1);
        Successful.push({ Id: e.Id });
      }
    }
    return { Successful, Failed };
  }
}

let fake: FakeSqs;
let lines: Record<string, unknown>[];
let deps: WorkerDeps;

beforeEach(() => {
  sqsMock.reset();
  fake = new FakeSqs(sqsMock);
  lines = [];
  deps = { sqs: new SQSClient({ region: 'us-east-1' }), log: (l) => lines.push(l) };
});

/** A sign-up as the queue gets it: the SNS envelope (the subscription is not raw). */
function signup(n: number): string {
  return JSON.stringify({ Type: 'Notification', MessageId: `sns-${n}`, Message: JSON.stringify({ userId: `u${n}`, plan: 'free' }) });
}

/** Stops after `turns` turns. */
function stopAfter(turns: number): Stopper {
  let n = 0;
  const controller = new AbortController();
  return { shouldStop: () => n++ >= turns, abortSignal: controller.signal };
}

describe('--replay (the replay-dead-letters admin task)', () => {
  test('moves every message of the DLQ back to the queue, bodies and attributes kept, and exits 0', async () => {
    for (let i = 0; i < 23; i++) {
      fake.put(DLQ_URL, signup(i), i % 2 === 0 ? { plan: { DataType: 'String', StringValue: 'paid', StringListValues: [], BinaryListValues: [] } } : undefined);
    }
    const code = await main(['--replay'], ENV, { deps });
    expect(code).toBe(0);
    expect(fake.bodies(DLQ_URL)).toEqual([]);
    expect(fake.bodies(QUEUE_URL)).toEqual(Array.from({ length: 23 }, (_, i) => signup(i)));
    // Attributes travel with the message, without the list values SQS rejects on send.
    expect(fake.queues.get(QUEUE_URL)![0].attributes).toEqual({ plan: { DataType: 'String', StringValue: 'paid' } });
    expect(fake.queues.get(QUEUE_URL)![1].attributes).toBeUndefined();
    expect(lines.at(-1)).toMatchObject({ msg: 'replay done', received: 23, moved: 23, sendFailed: 0, deleteFailed: 0, end: 'empty' });
    // Batches of at most 10, from the DLQ to the queue, never the other way.
    expect(fake.sendBatchSizes).toEqual([10, 10, 3]);
    for (const call of sqsMock.commandCalls(SendMessageBatchCommand)) expect(call.args[0].input.QueueUrl).toBe(QUEUE_URL);
    for (const call of sqsMock.commandCalls(DeleteMessageBatchCommand)) expect(call.args[0].input.QueueUrl).toBe(DLQ_URL);
    for (const call of sqsMock.commandCalls(ReceiveMessageCommand)) {
      expect(call.args[0].input).toMatchObject({ QueueUrl: DLQ_URL, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] });
      expect(call.args[0].input.WaitTimeSeconds).toBeGreaterThan(0); // long polling: an empty answer is a real one
    }
  });

  test('an empty DLQ: one receive, nothing sent, exit 0', async () => {
    expect(await main(['--replay'], ENV, { deps })).toBe(0);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  test('messages SendMessageBatch refuses stay in the DLQ (not deleted), the others move, and the exit code is 1', async () => {
    for (let i = 0; i < 12; i++) fake.put(DLQ_URL, signup(i));
    fake.refuse.add(signup(3));
    fake.refuse.add(signup(11));
    const code = await main(['--replay'], ENV, { deps });
    expect(code).toBe(1);
    expect(fake.bodies(DLQ_URL)).toEqual([signup(3), signup(11)]);
    expect(fake.bodies(QUEUE_URL)).toEqual(Array.from({ length: 12 }, (_, i) => signup(i)).filter((_, i) => i !== 3 && i !== 11));
    // No delete ever names a refused message's receipt handle.
    const deletedHandles = sqsMock.commandCalls(DeleteMessageBatchCommand).flatMap((c) => c.args[0].input.Entries!.map((e) => e.ReceiptHandle));
    for (const m of fake.queues.get(DLQ_URL)!) expect(deletedHandles).not.toContain(m.receipt);
    expect(lines.filter((l) => l.msg === 'replay: re-send refused, left in the DLQ').map((l) => l.code)).toEqual(['InvalidParameterValue', 'InvalidParameterValue']);
    expect(lines.at(-1)).toMatchObject({ received: 12, moved: 10, sendFailed: 2, deleteFailed: 0 });
  });

  test('a SendMessageBatch call that fails deletes nothing of its batch', async () => {
    for (let i = 0; i < 4; i++) fake.put(DLQ_URL, signup(i));
    sqsMock.on(SendMessageBatchCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    expect(await main(['--replay'], ENV, { deps })).toBe(1);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(fake.bodies(DLQ_URL)).toHaveLength(4);
    expect(lines.at(-1)).toMatchObject({ received: 4, moved: 0, sendFailed: 4 });
  });

  test('a refused delete is reported (the message is in both queues) and the exit code is 1', async () => {
    for (let i = 0; i < 3; i++) fake.put(DLQ_URL, signup(i));
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }, { Id: 'm2' }], Failed: [{ Id: 'm1', Code: 'ReceiptHandleIsInvalid', SenderFault: true }] });
    expect(await main(['--replay'], ENV, { deps })).toBe(1);
    expect(lines.at(-1)).toMatchObject({ received: 3, moved: 2, sendFailed: 0, deleteFailed: 1 });
  });

  test('ends even when a message it could not move comes back at once (it stops at messages already seen)', async () => {
    fake.revisit = true;
    fake.put(DLQ_URL, signup(1));
    fake.put(DLQ_URL, signup(2));
    fake.refuse.add(signup(1));
    const summary = await replayDeadLetters(deps, { deadLetterQueueUrl: DLQ_URL, queueUrl: QUEUE_URL });
    expect(summary).toEqual({ received: 2, moved: 1, sendFailed: 1, deleteFailed: 0, end: 'seen' });
    expect(fake.bodies(DLQ_URL)).toEqual([signup(1)]);
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });

  test('stops at maxMessages and when told to stop', async () => {
    for (let i = 0; i < 25; i++) fake.put(DLQ_URL, signup(i));
    expect(await replayDeadLetters(deps, { deadLetterQueueUrl: DLQ_URL, queueUrl: QUEUE_URL, maxMessages: 15 }))
      .toMatchObject({ received: 15, moved: 15, end: 'max' });
    expect(fake.bodies(DLQ_URL)).toHaveLength(10);
    expect(await replayDeadLetters(deps, { deadLetterQueueUrl: DLQ_URL, queueUrl: QUEUE_URL, shouldStop: () => true }))
      .toMatchObject({ received: 0, end: 'stopped' });
  });

  test('batches respect the 256 KiB payload: large messages go in smaller batches', async () => {
    const big = (i: number) => `${i}`.padEnd(100_000, 'x');
    for (let i = 0; i < 7; i++) fake.put(DLQ_URL, big(i));
    expect(await main(['--replay'], ENV, { deps })).toBe(0);
    expect(fake.bodies(QUEUE_URL)).toEqual(Array.from({ length: 7 }, (_, i) => big(i)));
    expect(fake.sendBatchSizes).toEqual([2, 2, 2, 1]);
    for (const b of fake.sendBatchBytes) expect(b).toBeLessThanOrEqual(MAX_BATCH_BYTES);
  });

  test('sendBatches: 10 entries at most; a message above the limit goes alone', () => {
    const m = (bytes: number): Message => ({ Body: 'y'.repeat(bytes) });
    expect(sendBatches(Array.from({ length: 21 }, () => m(10))).map((b) => b.length)).toEqual([10, 10, 1]);
    expect(sendBatches([m(10), m(300_000), m(10)]).map((b) => b.length)).toEqual([1, 1, 1]);
    expect(messageBytes({ Body: 'ab', MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } })).toBe(2 + 1 + 6 + 1);
  });

  test('a FIFO DLQ\'s message keeps its group and gets a new deduplication id', async () => {
    sqsMock.on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'fifo-1', ReceiptHandle: 'rh', Body: 'b', Attributes: { MessageGroupId: 'g1' } }] })
      .resolves({});
    sqsMock.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: 'm0', MessageId: 'x', MD5OfMessageBody: 'y' }], Failed: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }], Failed: [] });
    await replayDeadLetters(deps, { deadLetterQueueUrl: DLQ_URL, queueUrl: QUEUE_URL });
    expect(sqsMock.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries).toEqual([
      expect.objectContaining({ Id: 'm0', MessageBody: 'b', MessageGroupId: 'g1', MessageDeduplicationId: 'fifo-1' }),
    ]);
  });

  test('a message stays in its publisher\'s trace: the replay asks for AWSTraceHeader and sends it again', async () => {
    fake.put(DLQ_URL, signup(1), undefined, { AWSTraceHeader: TRACE_HEADER });
    fake.put(DLQ_URL, signup(2));
    expect(await main(['--replay'], ENV, { deps })).toBe(0);
    expect(fake.bodies(QUEUE_URL)).toEqual([signup(1), signup(2)]);
    expect(fake.system(QUEUE_URL)).toEqual([{ AWSTraceHeader: TRACE_HEADER }, undefined]);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0].args[0].input.MessageSystemAttributeNames).toEqual(['MessageGroupId', 'AWSTraceHeader']);
    const [withTrace, without] = sqsMock.commandCalls(SendMessageBatchCommand)[0].args[0].input.Entries!;
    expect(withTrace.MessageSystemAttributes).toEqual({ AWSTraceHeader: { DataType: 'String', StringValue: TRACE_HEADER } });
    expect(without).not.toHaveProperty('MessageSystemAttributes');
  });

  test('without the DLQ URL the replay refuses to start (exit 1, no SQS call)', async () => {
    expect(await main(['--replay'], { [QUEUE_URL_VARIABLE]: QUEUE_URL }, { deps })).toBe(1);
    expect(sqsMock.calls()).toHaveLength(0);
    expect(() => parseConfig(['--replay'], { [QUEUE_URL_VARIABLE]: QUEUE_URL })).toThrow(`${DLQ_URL_VARIABLE} is not set`);
    expect(() => parseConfig(['--relpay'], ENV)).toThrow('unknown arguments ["--relpay"]');
  });

  test('a failed receive ends the replay with exit code 1', async () => {
    sqsMock.on(ReceiveMessageCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));
    expect(await main(['--replay'], ENV, { deps })).toBe(1);
    expect(lines.at(-1)).toMatchObject({ level: 'error', msg: 'replay: receive failed' });
  });
});

describe('the service (no argument)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'signup-worker-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('handles the sign-ups, deletes them from the queue, touches the heartbeat each turn, leaves the DLQ alone', async () => {
    for (let i = 0; i < 13; i++) fake.put(QUEUE_URL, signup(i));
    fake.put(DLQ_URL, signup(99));
    const heartbeatFile = path.join(dir, 'heartbeat');
    const before = Date.now();
    const code = await main([], ENV, { deps, stopper: stopAfter(3), heartbeatFile });
    expect(code).toBe(0);
    expect(fake.bodies(QUEUE_URL)).toEqual([]);
    expect(fake.bodies(DLQ_URL)).toEqual([signup(99)]);
    expect(Number(readFileSync(heartbeatFile, 'utf8'))).toBeGreaterThanOrEqual(before);
    const emails = lines.filter((l) => l.msg === 'welcome email');
    expect(emails.map((l) => l.snsMessageId)).toEqual(Array.from({ length: 13 }, (_, i) => `sns-${i}`));
    expect(emails[0].signup).toBe(JSON.stringify({ userId: 'u0', plan: 'free' }));
    expect(lines.at(-1)).toMatchObject({ msg: 'stopped', turns: 3, messages: 13, receiveErrors: 0 });
    for (const call of sqsMock.commandCalls(ReceiveMessageCommand)) {
      expect(call.args[0].input).toMatchObject({ QueueUrl: QUEUE_URL, WaitTimeSeconds: 20 });
    }
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  test('each sign-up is logged with its publisher\'s trace id (AWSTraceHeader, asked for on receive); none without a valid header', async () => {
    fake.put(QUEUE_URL, signup(0), undefined, { AWSTraceHeader: TRACE_HEADER });
    fake.put(QUEUE_URL, signup(1));
    fake.put(QUEUE_URL, signup(2), undefined, { AWSTraceHeader: 'Root=not-a-trace;Sampled=1' });
    expect(await main([], ENV, { deps, stopper: stopAfter(1), heartbeat: () => undefined })).toBe(0);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0].args[0].input.MessageSystemAttributeNames).toEqual(['AWSTraceHeader']);
    const emails = lines.filter((l) => l.msg === 'welcome email');
    expect(emails.map((l) => [l.snsMessageId, l.traceId])).toEqual([['sns-0', TRACE_ID], ['sns-1', undefined], ['sns-2', undefined]]);
    expect(traceIdOf({ Attributes: { AWSTraceHeader: `Self=1-67891234-12456789abcdef012345678;Root=${TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1` } })).toBe(TRACE_ID);
  });

  test('a sign-up the handler fails on stays on the queue; the others are deleted', async () => {
    for (let i = 0; i < 3; i++) fake.put(QUEUE_URL, signup(i));
    const failing: WorkerDeps = {
      ...deps,
      handle: async (s) => {
        if (s.snsMessageId === 'sns-1') throw new Error('mail server down');
      },
    };
    expect(await main([], ENV, { deps: failing, stopper: stopAfter(1), heartbeat: () => undefined })).toBe(0);
    expect(fake.bodies(QUEUE_URL)).toEqual([signup(1)]);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', msg: 'sign-up not handled: left on the queue', error: { name: 'Error', message: 'mail server down' } }));
  });

  test('the service does not need the DLQ URL; a missing queue URL is refused', async () => {
    expect(parseConfig([], { [QUEUE_URL_VARIABLE]: QUEUE_URL })).toEqual({ mode: 'consume', handler: 'welcome-email', queueUrl: QUEUE_URL, deadLetterQueueUrl: undefined, region: undefined });
    expect(await main([], {}, { deps })).toBe(1);
    expect(sqsMock.calls()).toHaveLength(0);
  });

  test('as the billing worker (SIGNUP_HANDLER=invoice) it opens an invoice per raw paid sign-up, with its plan attribute', async () => {
    const plan = { plan: { DataType: 'String', StringValue: 'paid' } };
    fake.put(QUEUE_URL, JSON.stringify({ userId: 'u7', plan: 'paid' }), plan);
    const env = { ...ENV, [HANDLER_VARIABLE]: 'invoice' };
    expect(await main([], env, { deps, stopper: stopAfter(1), heartbeat: () => undefined })).toBe(0);
    expect(fake.bodies(QUEUE_URL)).toEqual([]);
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'invoice opened', plan: 'paid', signup: JSON.stringify({ userId: 'u7', plan: 'paid' }) }));
    expect(lines.filter((l) => l.msg === 'welcome email')).toEqual([]);
  });

  test('an unknown handler is refused before any call', async () => {
    expect(() => parseConfig([], { ...ENV, [HANDLER_VARIABLE]: 'sms' })).toThrow('SIGNUP_HANDLER "sms" is not known: use welcome-email or invoice');
    expect(await main([], { ...ENV, [HANDLER_VARIABLE]: 'sms' }, { deps })).toBe(1);
    expect(sqsMock.calls()).toHaveLength(0);
  });
});
