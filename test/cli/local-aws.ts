/**
 * The AWS clients of the operator command, backed by the rollout harness
 * (test/deployment/rollout-harness.ts): StartExecution runs the synthesized state machine locally
 * against a World; DescribeExecution and GetExecutionHistory answer from that run, its event log
 * turned into Step Functions history events, revealed as a virtual clock passes the seconds the
 * real execution would have waited; DynamoDB answers from the World's table, CloudWatch from its
 * alarms, SSM with the canary's parameter. Every command and every answer is checked against the
 * API models.
 */
import { HistoryEvent } from '@aws-sdk/client-sfn';
import { SentCommand, operation } from './support';
import { ClientOptions, Clients } from '../../cli/aws';
import { CanaryStepInfo } from '../../cli/canary';
import { applyUpdate, evaluateCondition } from '../deployment/harness/dynamodb-expressions';
import { ACCOUNT, Json, REGION, Run, World, clone, runRollout, statesOf } from '../deployment/rollout-harness';

/** A run as Step Functions would show it. */
interface LocalExecution {
  readonly arn: string;
  readonly run: Run;
  readonly startMs: number;
  /** Events with virtual timestamps. */
  readonly events: HistoryEvent[];
  readonly endMs: number;
}

export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Rollout`;

/** Resource type and resource of a Task's Resource (`arn:aws:states:::aws-sdk:ecs:describeServices` -> aws-sdk:ecs, describeServices). */
function resourceParts(resource: string): { resourceType: string; resource: string } {
  const rest = resource.replace(/^arn:aws:states:::/, '');
  const i = rest.lastIndexOf(':');
  return { resourceType: rest.slice(0, i), resource: rest.slice(i + 1) };
}

/** Step Functions' history of a local run, each event at the virtual time the real execution would reach it. */
export function historyOfRun(world: World, run: Run, calls: Json[], startMs: number, definition: Json): { events: HistoryEvent[]; endMs: number } {
  const states = statesOf(definition);
  const out: HistoryEvent[] = [];
  let at = startMs;
  const push = (type: string, details: object) => {
    out.push({ id: out.length + 1, previousEventId: out.length, timestamp: new Date(at), type: type as any, ...details });
  };
  const queue = [...calls];
  const nextCall = (state: string) => {
    const i = queue.findIndex((c) => c.state === state);
    return i < 0 ? undefined : queue.splice(i, 1)[0];
  };
  const schedule = (name: string) => {
    const parts = resourceParts(states[name].Resource);
    const call = nextCall(name);
    push('TaskScheduled', { taskScheduledEventDetails: { ...parts, region: REGION, parameters: JSON.stringify(call?.params ?? {}) } });
    push('TaskStarted', { taskStartedEventDetails: parts });
  };
  for (const event of run.events) {
    if (event.index !== undefined) continue;
    const name = event.state?.name;
    const type = name ? states[name].Type : undefined;
    switch (event.type) {
      case 'ExecutionStarted':
        push('ExecutionStarted', { executionStartedEventDetails: { input: JSON.stringify(event.input), roleArn: `arn:aws:iam::${ACCOUNT}:role/Rollout` } });
        break;
      case 'StateEntered':
        push(`${type}StateEntered`, { stateEnteredEventDetails: { name, input: JSON.stringify(event.state.input) } });
        if (type === 'Task') schedule(name);
        // The Wait's time passes before its exit.
        if (type === 'Wait') at += (states[name].Seconds ?? 0) * 1000;
        break;
      case 'StateRetried':
        schedule(name);
        break;
      case 'StateFailed':
        if (type === 'Task') push('TaskFailed', { taskFailedEventDetails: { ...resourceParts(states[name].Resource), error: event.Error, cause: String(event.Cause ?? '') } });
        break;
      case 'StateExited':
        if (type === 'Task') push('TaskSucceeded', { taskSucceededEventDetails: { ...resourceParts(states[name].Resource), output: '{}' } });
        push(`${type}StateExited`, { stateExitedEventDetails: { name, output: JSON.stringify(event.state.output ?? {}) } });
        break;
      case 'ExecutionSucceeded':
        push('ExecutionSucceeded', { executionSucceededEventDetails: { output: JSON.stringify(event.output ?? {}) } });
        break;
      case 'ExecutionFailed':
        push('ExecutionFailed', { executionFailedEventDetails: { error: event.Error, cause: String(event.Cause ?? '') } });
        break;
    }
    at += 1;
  }
  void world;
  return { events: out, endMs: at };
}

/** A local AWS for the command: the World, its runs, the virtual clock. */
export class LocalAws {
  public readonly clock = { ms: Date.parse('2026-01-01T00:00:00Z') };
  public readonly executions = new Map<string, LocalExecution>();
  /** Every command the command sent, and every answer given (for the model checks). */
  public readonly sent: SentCommand[] = [];
  public readonly answers: { service: string; action: string; answer: Json }[] = [];
  public readonly options: ClientOptions[] = [];
  /** Runs before the state machine starts (to simulate a concurrent start, for example). */
  public beforeRun?: () => void;

  constructor(public readonly world: World, public readonly steps: CanaryStepInfo[], public readonly alarmPollSeconds: number) {}

  /** The canary's parameter, as the construct writes it. */
  public parameter(): Json {
    const dns = 5;
    const baked = (s: CanaryStepInfo) => Math.max(1, Math.ceil(s.bakeSeconds / this.alarmPollSeconds)) * this.alarmPollSeconds;
    return {
      version: 1,
      canaryName: 'Users/users',
      label: 'Test/Canary',
      stateMachineArn: STATE_MACHINE_ARN,
      tableName: this.world.synth.tableName,
      steps: this.steps,
      plannedSeconds: this.steps.reduce((sum, s) => sum + baked(s) + dns, 0),
      maximumSeconds: 7200,
      alarmPollSeconds: this.alarmPollSeconds,
    };
  }

  public clients = (options: ClientOptions): Clients => {
    this.options.push(options);
    const client = (service: string, handle: (action: string, input: Json) => Promise<Json>) => ({
      send: async (command: { constructor: { name: string }; input: Json }) => {
        this.sent.push({ service, command });
        const action = operation(command);
        const answer = await handle(action, clone(command.input));
        this.answers.push({ service, action, answer });
        return answer;
      },
    }) as any;
    return {
      sfn: client('sfn', (a, i) => this.sfn(a, i)),
      dynamodb: client('dynamodb', async (a, i) => this.dynamodb(a, i)),
      ssm: client('ssm', async (a, i) => {
        if (a !== 'GetParameter' || i.Name !== '/cdk-microservices/canaries/Users/users') throw Object.assign(new Error('not found'), { name: 'ParameterNotFound' });
        return { Parameter: { Name: i.Name, Type: 'String', Value: JSON.stringify(this.parameter()) } };
      }),
      cloudwatch: client('cloudwatch', async (a, i) => {
        if (a !== 'DescribeAlarms') throw new Error(`cloudwatch ${a} not simulated`);
        const alarms = (i.AlarmNames as string[]).filter((n) => this.world.alarms.has(n)).map((n) => ({ name: n, ...this.alarmAt(n) }));
        return {
          MetricAlarms: alarms.filter((a2) => a2.kind === 'metric').map((a2) => ({ AlarmName: a2.name, StateValue: a2.state })),
          CompositeAlarms: alarms.filter((a2) => a2.kind === 'composite').map((a2) => ({ AlarmName: a2.name, StateValue: a2.state })),
        };
      }),
      ecr: () => client('ecr', async () => ({ imageDetails: [] })),
    };
  };

  /**
   * An alarm's state at the virtual time: the World latches an alarm in ALARM (the run is over in
   * real time); it shows ALARM from one alarm poll before the check that saw it (it went into ALARM
   * during the bake's last wait).
   */
  private alarmAt(name: string): { kind: string; state: string } {
    const alarm = this.world.alarms.get(name)!;
    const fired = [...this.executions.values()].flatMap((e) => e.events).find((ev) => ev.stateEnteredEventDetails?.name === 'AlarmFired');
    const firing = alarm.state === 'ALARM' && fired !== undefined && this.clock.ms >= fired.timestamp!.getTime() - this.alarmPollSeconds * 1000;
    return { kind: alarm.kind, state: firing ? 'ALARM' : 'OK' };
  }

  private async sfn(action: string, i: Json): Promise<Json> {
    switch (action) {
      case 'StartExecution': {
        if (i.stateMachineArn !== STATE_MACHINE_ARN) throw Object.assign(new Error('no such state machine'), { name: 'StateMachineDoesNotExist' });
        const callsBefore = this.world.calls.length;
        this.beforeRun?.();
        const run = await runRollout(this.world, JSON.parse(i.input), i.name ? { name: i.name } : {});
        const arn = `arn:aws:states:${REGION}:${ACCOUNT}:execution:Rollout:${run.name}`;
        const calls = this.world.calls.slice(callsBefore);
        const { events, endMs } = historyOfRun(this.world, run, calls, this.clock.ms, this.world.synth.definition);
        this.executions.set(arn, { arn, run, startMs: this.clock.ms, events, endMs });
        return { executionArn: arn, startDate: new Date(this.clock.ms) };
      }
      case 'DescribeExecution': {
        const e = this.executions.get(i.executionArn);
        if (!e) {
          const other = this.world.executions.get(i.executionArn);
          if (!other) throw Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' });
          const { executionArn, stateMachineArn, name, status } = other;
          return { executionArn, stateMachineArn, name, status, startDate: new Date(other.startDate) };
        }
        const ended = this.clock.ms >= e.endMs;
        return {
          executionArn: e.arn,
          stateMachineArn: STATE_MACHINE_ARN,
          name: e.run.name,
          startDate: new Date(e.startMs),
          status: ended ? e.run.status : 'RUNNING',
          ...(ended ? { stopDate: new Date(e.endMs) } : {}),
          ...(ended && e.run.error ? { error: e.run.error, cause: e.run.cause ?? '' } : {}),
        };
      }
      case 'GetExecutionHistory': {
        const e = this.executions.get(i.executionArn);
        if (!e) throw Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' });
        const visible = e.events.filter((ev) => ev.timestamp!.getTime() <= this.clock.ms);
        const ordered = i.reverseOrder ? [...visible].reverse() : visible;
        const from = i.nextToken ? Number(i.nextToken) : 0;
        const size = i.maxResults || 1000;
        const page = ordered.slice(from, from + size);
        return { events: page, ...(from + size < ordered.length ? { nextToken: String(from + size) } : {}) };
      }
      default:
        throw new Error(`sfn ${action} not simulated`);
    }
  }

  private dynamodb(action: string, i: Json): Json {
    if (i.TableName !== this.world.synth.tableName) throw Object.assign(new Error('Requested resource not found'), { name: 'ResourceNotFoundException' });
    switch (action) {
      case 'GetItem': {
        const item = this.world.items.get(i.Key.pk.S);
        return item ? { Item: clone(item) } : {};
      }
      case 'Scan': {
        const prefix = i.ExpressionAttributeValues[':prefix'].S;
        const items = [...this.world.items.entries()].filter(([pk]) => pk.startsWith(prefix)).map(([, item]) => clone(item));
        return { Items: items, Count: items.length, ScannedCount: this.world.items.size };
      }
      case 'UpdateItem': {
        const fail = (m: string): never => {
          throw new Error(m);
        };
        const scope = { names: i.ExpressionAttributeNames ?? {}, values: i.ExpressionAttributeValues ?? {}, fail };
        const current = this.world.items.get(i.Key.pk.S);
        if (i.ConditionExpression && !evaluateCondition(i.ConditionExpression, current ?? {}, scope)) {
          throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
        }
        this.world.items.set(i.Key.pk.S, applyUpdate(i.UpdateExpression, clone(current ?? { pk: i.Key.pk }), scope));
        return {};
      }
      default:
        throw new Error(`dynamodb ${action} not simulated`);
    }
  }
}
