// The remediation consumer of the reference app (examples/store/services/workers/src/compliance),
// against mocked SQS and Config clients: the exact commands it sends, what it deletes and what it
// leaves for the dead-letter queue.
import { EventEmitter } from 'events';
import {
  ConfigServiceClient,
  DescribeRemediationExecutionStatusCommand,
  NoSuchRemediationConfigurationException,
  ResourceKey,
  ResourceType,
  StartRemediationExecutionCommand,
} from '@aws-sdk/client-config-service';
import { DeleteMessageBatchCommand, Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ConsumerDeps, ConsumerOptions, handleMessage, parseComplianceChange, pollOnce, runLoop,
} from '../../examples/store/services/workers/src/compliance/consumer';
import { main, parseEnv, QUEUE_URL_VARIABLE, stopOnSignals } from '../../examples/store/services/workers/src/compliance/main';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/111122223333/Store-ComplianceAlertsQueue-AbC123';
const HTTPS_RULE = 'store-alb-http-to-https-redirection-check';
const LISTENER_ARN = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:listener/app/store-alb/50dc6c495c0c9188/f2f7dc8efc522ab2';
const LISTENER_TYPE: ResourceType = 'AWS::ElasticLoadBalancingV2::Listener';
const LISTENER_KEY: ResourceKey = { resourceType: LISTENER_TYPE, resourceId: LISTENER_ARN };
const RECORDED = '2026-11-22T10:15:04.122Z';

interface EventOptions {
  readonly rule?: string;
  readonly complianceType?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly detailType?: string;
  readonly source?: string;
}

/** A "Config Rules Compliance Change" event as EventBridge delivers it (raw message delivery). */
function complianceEvent(o: EventOptions = {}) {
  const rule = o.rule ?? HTTPS_RULE;
  const resourceType = o.resourceType ?? LISTENER_TYPE;
  const resourceId = o.resourceId ?? LISTENER_ARN;
  const complianceType = o.complianceType ?? 'NON_COMPLIANT';
  return {
    'version': '0',
    'id': '2b6e1a2c-7c1e-6b1b-3c5d-8d2f9e0a1b2c',
    'detail-type': o.detailType ?? 'Config Rules Compliance Change',
    'source': o.source ?? 'aws.config',
    'account': '111122223333',
    'time': '2026-11-22T10:15:05Z',
    'region': 'eu-west-1',
    'resources': [],
    'detail': {
      awsAccountId: '111122223333',
      configRuleName: rule,
      configRuleARN: 'arn:aws:config:eu-west-1:111122223333:config-rule/config-rule-q4y9eh',
      resourceType,
      resourceId,
      awsRegion: 'eu-west-1',
      newEvaluationResult: {
        evaluationResultIdentifier: {
          evaluationResultQualifier: { configRuleName: rule, resourceType, resourceId },
          orderingTimestamp: '2026-11-22T10:14:58.901Z',
        },
        complianceType,
        resultRecordedTime: RECORDED,
        configRuleInvokedTime: '2026-11-22T10:15:03.876Z',
        annotation: complianceType === 'NON_COMPLIANT' ? 'The listener accepts HTTP without redirecting to HTTPS.' : undefined,
      },
      oldEvaluationResult: {
        evaluationResultIdentifier: {
          evaluationResultQualifier: { configRuleName: rule, resourceType, resourceId },
          orderingTimestamp: '2026-11-21T08:02:11.417Z',
        },
        complianceType: complianceType === 'NON_COMPLIANT' ? 'COMPLIANT' : 'NON_COMPLIANT',
        resultRecordedTime: '2026-11-21T08:02:14.003Z',
        configRuleInvokedTime: '2026-11-21T08:02:13.512Z',
      },
      notificationCreationTime: '2026-11-22T10:15:04.640Z',
      messageType: 'ComplianceChangeNotification',
      recordVersion: '1.0',
    },
  };
}

let counter = 0;
function message(body: string | object, id?: string): Message {
  counter++;
  const messageId = id ?? `msg-${counter}`;
  return {
    MessageId: messageId,
    ReceiptHandle: `rh-${messageId}`,
    Body: typeof body === 'string' ? body : JSON.stringify(body),
    Attributes: { ApproximateReceiveCount: '1' },
  };
}

const sqsMock = mockClient(SQSClient);
const configMock = mockClient(ConfigServiceClient);
let lines: Record<string, unknown>[];
let deps: ConsumerDeps;
const options: ConsumerOptions = { queueUrl: QUEUE_URL, remediateRules: [HTTPS_RULE] };

beforeEach(() => {
  sqsMock.reset();
  configMock.reset();
  lines = [];
  deps = { sqs: new SQSClient({ region: 'eu-west-1' }), config: new ConfigServiceClient({ region: 'eu-west-1' }), log: (l) => lines.push(l) };
  sqsMock.on(DeleteMessageBatchCommand).callsFake((input) => ({ Successful: input.Entries.map((e: { Id: string }) => ({ Id: e.Id })), Failed: [] }));
  configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [] });
});

/** Puts these messages in the next receive (and nothing after). */
function receive(...messages: Message[]) {
  sqsMock.on(ReceiveMessageCommand).resolvesOnce({ Messages: messages }).resolves({ Messages: [] });
}

function deletedHandles(): string[] {
  return sqsMock.commandCalls(DeleteMessageBatchCommand).flatMap((c) => (c.args[0].input.Entries ?? []).map((e) => e.ReceiptHandle!));
}

describe('a single message', () => {
  test('NON_COMPLIANT for a rule to remediate: starts its remediation for the resource, then deletes', async () => {
    const m = message(complianceEvent());
    receive(m);
    const result = await pollOnce(deps, options);

    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0].args[0].input).toEqual({
      QueueUrl: QUEUE_URL, MaxNumberOfMessages: 10, WaitTimeSeconds: 20, MessageSystemAttributeNames: ['ApproximateReceiveCount'],
    });
    const starts = configMock.commandCalls(StartRemediationExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0].args[0].input).toEqual({ ConfigRuleName: HTTPS_RULE, ResourceKeys: [LISTENER_KEY] });
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)[0].args[0].input).toEqual({
      QueueUrl: QUEUE_URL, Entries: [{ Id: 'm0', ReceiptHandle: m.ReceiptHandle }],
    });
    expect(result).toMatchObject({ received: 1, outcomes: [{ action: 'remediation-started', deleted: true }] });
    expect(lines).toEqual([expect.objectContaining({
      level: 'info',
      msg: 'compliance change',
      action: 'remediation-started',
      messageId: m.MessageId,
      receiveCount: 1,
      rule: HTTPS_RULE,
      resourceType: LISTENER_TYPE,
      resourceId: LISTENER_ARN,
      complianceType: 'NON_COMPLIANT',
      account: '111122223333',
      region: 'eu-west-1',
      deleted: true,
    })]);
  });

  test('NON_COMPLIANT for a rule not in the set: recorded and deleted, no remediation', async () => {
    const m = message(complianceEvent({ rule: 'store-sns-encrypted-kms', resourceType: 'AWS::SNS::Topic', resourceId: 'arn:aws:sns:eu-west-1:111122223333:t' }));
    receive(m);
    await pollOnce(deps, options);
    expect(configMock.calls()).toHaveLength(0);
    expect(deletedHandles()).toEqual([m.ReceiptHandle]);
    expect(lines).toEqual([expect.objectContaining({ action: 'recorded', rule: 'store-sns-encrypted-kms', deleted: true, level: 'info' })]);
  });

  test.each(['COMPLIANT', 'NOT_APPLICABLE', 'INSUFFICIENT_DATA'])('%s for a rule to remediate: recorded and deleted, no remediation', async (type) => {
    const m = message(complianceEvent({ complianceType: type }));
    receive(m);
    await pollOnce(deps, options);
    expect(configMock.calls()).toHaveLength(0);
    expect(deletedHandles()).toEqual([m.ReceiptHandle]);
    expect(lines).toEqual([expect.objectContaining({ action: 'recorded', complianceType: type, deleted: true })]);
  });

  test('with no rule to remediate (record only), NON_COMPLIANT is recorded and deleted', async () => {
    const m = message(complianceEvent());
    receive(m);
    await pollOnce(deps, { queueUrl: QUEUE_URL, remediateRules: [] });
    expect(configMock.calls()).toHaveLength(0);
    expect(deletedHandles()).toEqual([m.ReceiptHandle]);
  });

  test.each([
    ['not JSON', 'Config Rules Compliance Change for listener', /not JSON/],
    ['a JSON array', '[1,2]', /not a JSON object/],
    ['empty', '', /empty body/],
    ['another detail-type', complianceEvent({ detailType: 'Config Configuration Item Change' }), /detail-type "Config Configuration Item Change"/],
    ['another source', complianceEvent({ source: 'store.billing' }), /source "store.billing"/],
    ['no resource id', { ...complianceEvent(), detail: { configRuleName: HTTPS_RULE, newEvaluationResult: { complianceType: 'NON_COMPLIANT' } } },
      /lacks resourceType, resourceId/],
  ])('%s: logged as rejected and left on the queue (for the DLQ), nothing called', async (_name, body, reason) => {
    const m = message(body as string | object);
    receive(m);
    const result = await pollOnce(deps, options);
    expect(configMock.calls()).toHaveLength(0);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(result.outcomes).toEqual([expect.objectContaining({ action: 'rejected', delete: false, deleted: false })]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn', action: 'rejected', messageId: m.MessageId, deleted: false });
    expect(lines[0].reason).toMatch(reason);
  });

  test('the SNS envelope (raw delivery turned off) is unwrapped', () => {
    const envelope = { Type: 'Notification', MessageId: 'x', TopicArn: 'arn:aws:sns:eu-west-1:111122223333:t', Message: JSON.stringify(complianceEvent()) };
    expect(parseComplianceChange(JSON.stringify(envelope))).toEqual({
      ok: true,
      change: expect.objectContaining({ ruleName: HTTPS_RULE, resourceType: LISTENER_TYPE, resourceId: LISTENER_ARN, complianceType: 'NON_COMPLIANT' }),
    });
  });

  test('FailedItems for the key (no remediation under way): left on the queue, logged as an error', async () => {
    configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [LISTENER_KEY], FailureMessage: 'Remediation could not be started.' });
    configMock.on(DescribeRemediationExecutionStatusCommand).resolves({
      RemediationExecutionStatuses: [
        { ResourceKey: LISTENER_KEY, State: 'FAILED', InvocationTime: new Date('2026-11-22T10:15:10Z') },
      ],
    });
    const m = message(complianceEvent());
    receive(m);
    await pollOnce(deps, options);
    expect(configMock.commandCalls(DescribeRemediationExecutionStatusCommand)[0].args[0].input).toEqual({
      ConfigRuleName: HTTPS_RULE, ResourceKeys: [LISTENER_KEY],
    });
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(lines).toEqual([expect.objectContaining({
      level: 'error', action: 'remediation-failed', deleted: false, reason: 'Remediation could not be started.',
    })]);
  });

  test.each([
    ['NoSuchRemediationConfigurationException', new NoSuchRemediationConfigurationException({ message: 'No remediation configuration', $metadata: {} })],
    ['ThrottlingException', Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })],
    ['AccessDeniedException', Object.assign(new Error('not authorized to perform: config:StartRemediationExecution'), { name: 'AccessDeniedException' })],
  ])('StartRemediationExecution throws %s: left on the queue, the error logged', async (name, error) => {
    configMock.on(StartRemediationExecutionCommand).rejects(error);
    const m = message(complianceEvent());
    receive(m);
    await pollOnce(deps, options);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(lines).toEqual([expect.objectContaining({ level: 'error', action: 'remediation-failed', deleted: false, error: expect.objectContaining({ name }) })]);
  });

  test('handleMessage never throws and never deletes by itself', async () => {
    configMock.on(StartRemediationExecutionCommand).rejects(new Error('socket hang up'));
    const outcome = await handleMessage(message(complianceEvent()), deps, options);
    expect(outcome).toMatchObject({ action: 'remediation-failed', delete: false, error: { message: 'socket hang up' } });
    expect(sqsMock.calls()).toHaveLength(0);
  });
});

describe('duplicates', () => {
  // StartRemediationExecution: "An existing StartRemediationExecution call for the specified resource
  // keys must complete before you can call the API again"; its FailureMessage example is "the resource
  // is already compliant". A second delivery of the same change must not end in the DLQ.
  test('a remediation already running for the key: the refused second start is recognised and the duplicate deleted', async () => {
    configMock.on(StartRemediationExecutionCommand)
      .resolvesOnce({ FailedItems: [] })
      .resolves({ FailedItems: [LISTENER_KEY], FailureMessage: 'An execution is already in progress for the resource.' });
    configMock.on(DescribeRemediationExecutionStatusCommand).resolves({
      RemediationExecutionStatuses: [
        { ResourceKey: LISTENER_KEY, State: 'IN_PROGRESS', InvocationTime: new Date('2026-11-22T10:15:10Z') },
      ],
    });
    const event = complianceEvent();
    const first = message(event, 'same-message');
    const again = { ...message(event, 'same-message'), ReceiptHandle: 'rh-second-receive' };
    receive(first, again);
    const result = await pollOnce(deps, options);
    expect(configMock.commandCalls(StartRemediationExecutionCommand)).toHaveLength(2);
    expect(result.outcomes.map((o) => o.action)).toEqual(['remediation-started', 'remediation-in-progress']);
    expect(deletedHandles()).toEqual([first.ReceiptHandle, 'rh-second-receive']);
  });

  test('a remediation that succeeded after the finding: deleted', async () => {
    configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [LISTENER_KEY], FailureMessage: 'Remediation could not be started.' });
    configMock.on(DescribeRemediationExecutionStatusCommand).resolves({
      RemediationExecutionStatuses: [
        { ResourceKey: LISTENER_KEY, State: 'SUCCEEDED', InvocationTime: new Date(Date.parse(RECORDED) + 5000) },
      ],
    });
    const m = message(complianceEvent());
    receive(m);
    const result = await pollOnce(deps, options);
    expect(result.outcomes[0]).toMatchObject({ action: 'remediation-done', deleted: true });
    expect(deletedHandles()).toEqual([m.ReceiptHandle]);
  });

  test('a remediation that succeeded before the finding does not count: left on the queue', async () => {
    configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [LISTENER_KEY], FailureMessage: 'Remediation could not be started.' });
    configMock.on(DescribeRemediationExecutionStatusCommand).resolves({
      RemediationExecutionStatuses: [
        { ResourceKey: LISTENER_KEY, State: 'SUCCEEDED', InvocationTime: new Date('2026-11-01T00:00:00Z') },
      ],
    });
    receive(message(complianceEvent()));
    const result = await pollOnce(deps, options);
    expect(result.outcomes[0]).toMatchObject({ action: 'remediation-failed', deleted: false });
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });

  test('"already compliant": deleted, no status lookup', async () => {
    configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [LISTENER_KEY], FailureMessage: 'The resource is already compliant.' });
    const m = message(complianceEvent());
    receive(m);
    const result = await pollOnce(deps, options);
    expect(result.outcomes[0]).toMatchObject({ action: 'remediation-done', deleted: true });
    expect(configMock.commandCalls(DescribeRemediationExecutionStatusCommand)).toHaveLength(0);
  });

  test('the status lookup failing after FailedItems: left on the queue', async () => {
    configMock.on(StartRemediationExecutionCommand).resolves({ FailedItems: [LISTENER_KEY] });
    configMock.on(DescribeRemediationExecutionStatusCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    receive(message(complianceEvent()));
    const result = await pollOnce(deps, options);
    expect(result.outcomes[0]).toMatchObject({ action: 'remediation-failed', deleted: false, error: { name: 'AccessDeniedException' } });
  });
});

describe('a batch', () => {
  test('mixed: each message handled on its own, one delete for the handled ones, one line each', async () => {
    const otherListener = `${LISTENER_ARN.slice(0, -4)}9999`;
    const otherKey = { resourceType: LISTENER_TYPE, resourceId: otherListener };
    configMock.on(StartRemediationExecutionCommand, { ConfigRuleName: HTTPS_RULE, ResourceKeys: [otherKey] })
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const started = message(complianceEvent());
    const throttled = message(complianceEvent({ resourceId: otherListener }));
    const malformed = message('{"detail-type":');
    const compliant = message(complianceEvent({ complianceType: 'COMPLIANT' }));
    const otherRule = message(complianceEvent({ rule: 'store-ecs-containers-nonprivileged' }));
    receive(started, throttled, malformed, compliant, otherRule);

    const result = await pollOnce(deps, options);

    expect(configMock.commandCalls(StartRemediationExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { ConfigRuleName: HTTPS_RULE, ResourceKeys: [LISTENER_KEY] },
      { ConfigRuleName: HTTPS_RULE, ResourceKeys: [{ resourceType: LISTENER_TYPE, resourceId: otherListener }] },
    ]);
    const deletes = sqsMock.commandCalls(DeleteMessageBatchCommand);
    expect(deletes).toHaveLength(1);
    expect(deletes[0].args[0].input.Entries).toEqual([
      { Id: 'm0', ReceiptHandle: started.ReceiptHandle },
      { Id: 'm3', ReceiptHandle: compliant.ReceiptHandle },
      { Id: 'm4', ReceiptHandle: otherRule.ReceiptHandle },
    ]);
    expect(result.outcomes.map((o) => [o.messageId, o.action, o.deleted])).toEqual([
      [started.MessageId, 'remediation-started', true],
      [throttled.MessageId, 'remediation-failed', false],
      [malformed.MessageId, 'rejected', false],
      [compliant.MessageId, 'recorded', true],
      [otherRule.MessageId, 'recorded', true],
    ]);
    expect(lines.map((l) => l.messageId)).toEqual([started, throttled, malformed, compliant, otherRule].map((m) => m.MessageId));
  });

  test('DeleteMessageBatch partial failure: the failed entry is reported, the others deleted', async () => {
    sqsMock.on(DeleteMessageBatchCommand).resolves({
      Successful: [{ Id: 'm0' }],
      Failed: [{ Id: 'm1', Code: 'ReceiptHandleIsInvalid', SenderFault: true, Message: 'The receipt handle has expired.' }],
    });
    const a = message(complianceEvent({ complianceType: 'COMPLIANT' }));
    const b = message(complianceEvent());
    receive(a, b);
    const result = await pollOnce(deps, options);
    expect(deletedHandles()).toEqual([a.ReceiptHandle, b.ReceiptHandle]);
    expect(result.outcomes[0]).toMatchObject({ deleted: true });
    expect(result.outcomes[1]).toMatchObject({
      action: 'remediation-started', deleted: false, deleteError: { code: 'ReceiptHandleIsInvalid', message: 'The receipt handle has expired.' },
    });
    expect(lines[1]).toMatchObject({ level: 'error', deleted: false, deleteError: { code: 'ReceiptHandleIsInvalid' } });
  });

  test('DeleteMessageBatch throwing: every entry reported not deleted, pollOnce does not throw', async () => {
    sqsMock.on(DeleteMessageBatchCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }));
    receive(message(complianceEvent()), message(complianceEvent({ complianceType: 'COMPLIANT' })));
    const result = await pollOnce(deps, options);
    expect(result.outcomes.map((o) => [o.deleted, o.deleteError?.code])).toEqual([[false, 'TimeoutError'], [false, 'TimeoutError']]);
  });

  test('empty receive: nothing called, nothing logged', async () => {
    sqsMock.on(ReceiveMessageCommand).resolves({});
    const result = await pollOnce(deps, options);
    expect(result).toEqual({ received: 0, outcomes: [] });
    expect(configMock.calls()).toHaveLength(0);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(lines).toEqual([]);
  });
});

describe('the loop', () => {
  test('a stop raised during a batch ends the loop after that batch (handled and deleted)', async () => {
    let stop = false;
    const beats: number[] = [];
    configMock.on(StartRemediationExecutionCommand).callsFake(() => {
      stop = true; // SIGTERM arrives while the batch is being handled
      return { FailedItems: [] };
    });
    const a = message(complianceEvent());
    const b = message(complianceEvent({ complianceType: 'COMPLIANT' }));
    receive(a, b);
    const summary = await runLoop(deps, options, { shouldStop: () => stop, onTurn: () => beats.push(1) });
    expect(summary).toEqual({ turns: 1, messages: 2, receiveErrors: 0 });
    expect(beats).toHaveLength(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(1);
    expect(deletedHandles()).toEqual([a.ReceiptHandle, b.ReceiptHandle]);
  });

  test('turns until stopped, touching the heartbeat each turn', async () => {
    let turns = 0;
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [] });
    const summary = await runLoop(deps, options, { shouldStop: () => turns >= 3, onTurn: () => turns++ });
    expect(summary).toEqual({ turns: 3, messages: 0, receiveErrors: 0 });
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(3);
  });

  test('a failed receive is logged, paused on and retried', async () => {
    sqsMock.on(ReceiveMessageCommand).rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' })).resolves({ Messages: [] });
    let pauses = 0;
    const shouldStop = () => sqsMock.commandCalls(ReceiveMessageCommand).length >= 2;
    const summary = await runLoop(deps, options, { shouldStop, pause: async () => { pauses++; } });
    expect(summary).toEqual({ turns: 2, messages: 0, receiveErrors: 1 });
    expect(pauses).toBe(1);
    expect(lines).toEqual([{ level: 'error', msg: 'receive failed', error: { name: 'ThrottlingException', message: 'Rate exceeded' } }]);
  });

  test('SIGTERM aborts a long poll in flight and ends the loop without an error line', async () => {
    const proc = new EventEmitter();
    const stopper = stopOnSignals(proc);
    sqsMock.on(ReceiveMessageCommand).callsFake(() => new Promise((_resolve, reject) => {
      stopper.abortSignal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' })));
      proc.emit('SIGTERM');
    }));
    const summary = await runLoop(deps, options, { shouldStop: stopper.shouldStop, abortSignal: stopper.abortSignal });
    expect(summary).toEqual({ turns: 1, messages: 0, receiveErrors: 0 });
    expect(lines).toEqual([]);
  });

  test('main: exits 0 after SIGTERM, with a heartbeat per turn and a "stopped" line', async () => {
    const proc = new EventEmitter();
    const stopper = stopOnSignals(proc);
    receive(message(complianceEvent()));
    let beats = 0;
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const code = await main({ [QUEUE_URL_VARIABLE]: QUEUE_URL, REMEDIATE_RULES: HTTPS_RULE }, {
        deps, stopper, heartbeat: () => { if (++beats === 2) proc.emit('SIGTERM'); },
      });
      expect(code).toBe(0);
      expect(beats).toBe(2);
      expect(write).toHaveBeenCalledTimes(1);
      expect(JSON.parse(String(write.mock.calls[0][0]))).toEqual({ level: 'info', msg: 'stopped', turns: 2, messages: 1, receiveErrors: 0 });
    } finally {
      write.mockRestore();
    }
    expect(deletedHandles()).toHaveLength(1);
  });
});

describe('the environment', () => {
  test('rule list: names trimmed, empty entries dropped, duplicates merged', () => {
    expect(parseEnv({ [QUEUE_URL_VARIABLE]: ` ${QUEUE_URL} `, REMEDIATE_RULES: ` ${HTTPS_RULE}, ,store-api-gw-ssl-enabled,,${HTTPS_RULE} ,`, AWS_REGION: 'eu-west-1' }))
      .toEqual({ queueUrl: QUEUE_URL, remediateRules: [HTTPS_RULE, 'store-api-gw-ssl-enabled'], region: 'eu-west-1' });
  });

  test('no rules and no Region: record only, the SDK finds the Region', () => {
    expect(parseEnv({ [QUEUE_URL_VARIABLE]: QUEUE_URL })).toEqual({ queueUrl: QUEUE_URL, remediateRules: [], region: undefined });
    expect(parseEnv({ [QUEUE_URL_VARIABLE]: QUEUE_URL, REMEDIATE_RULES: ' , ' }).remediateRules).toEqual([]);
  });

  test.each([{}, { [QUEUE_URL_VARIABLE]: '  ' }])('a missing queue URL is refused with a clear message (%p)', (env) => {
    expect(() => parseEnv(env)).toThrow(/COMPLIANCE_ALERTS_QUEUE_URL is not set: it must be the URL of the ComplianceAlerts queue/);
  });

  test('a queue name instead of a URL is refused', () => {
    expect(() => parseEnv({ [QUEUE_URL_VARIABLE]: 'Store-ComplianceAlertsQueue' })).toThrow(/is not a queue URL/);
  });

  test('main refuses to start without the queue URL: exit code 1, one error line, no AWS call', async () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await main({ REMEDIATE_RULES: HTTPS_RULE }, { deps, stopper: stopOnSignals(new EventEmitter()), heartbeat: () => undefined })).toBe(1);
      expect(JSON.parse(String(write.mock.calls[0][0]))).toMatchObject({ level: 'error', msg: 'configuration refused' });
    } finally {
      write.mockRestore();
    }
    expect(sqsMock.calls()).toHaveLength(0);
  });
});
