/**
 * API contract of the parameters as actually sent: the canary rollout is executed locally
 * (test/deployment/rollout-harness.ts) through its main scenarios, and every call the interpreter
 * made, with the parameters it resolved (`world.calls[i].params`), is checked against AWS's API
 * models (aws-models.ts). The static check (contract.test.ts) sees `AliasTarget.$`; this one sees
 * the record that was really sent.
 *
 * The stand-ins' errors are checked too: every error a stand-in raised must be one the
 * integration can raise (a modeled error with Step Functions' `Exception` suffix, the generic
 * name of unmodeled errors, a States.* error, or, for a task token, any SendTaskFailure error).
 */
import { Duration } from 'aws-cdk-lib';
import { Json, callOfTask, checkAnswer, checkCall, checkErrorNames, taskResource } from './aws-models';
import { CanaryVariant, World, alarmWhen, rolloutInput, runRollout, synthesizeCanary } from '../deployment/rollout-harness';

/** The error the harness raises for its own contract violations (not an AWS error). */
const HARNESS_ERROR = 'Harness.ContractViolation';

/** The harness's name of the API of a Task resource (`ecs:describeServices`, `sns:publish`). */
function apiOf(resource: string): string | undefined {
  const r = taskResource(resource);
  return r ? `${r.service}:${r.action}` : undefined;
}

/** The answers the stand-ins gave, by call. */
const answers = new WeakMap<object, Json>();

/** Records each stand-in's answer (the world's handlers, wrapped). */
function recordAnswers(world: World): World {
  const handlers = world.handlers.bind(world);
  world.handlers = (definition: Json) => {
    const wrapped = handlers(definition);
    for (const [name, handler] of Object.entries(wrapped)) {
      wrapped[name] = async (input: Json) => {
        const index = world.calls.length;
        const pending = handler(input); // records the call synchronously
        const call = world.calls[index];
        const answer = await pending;
        if (call) answers.set(call, answer);
        return answer;
      };
    }
    return wrapped;
  };
  return world;
}

/** The problems of every call a world received (parameters as sent, errors as raised, answers as given). */
function checkCalls(world: World, scenario: string): { problems: string[]; calls: number } {
  const states = world.synth.definition.States as { [name: string]: Json };
  const problems: string[] = [];
  world.calls.forEach((c, i) => {
    const state = states[c.state];
    const where = `${scenario}: ${c.state} (call ${i + 1}, ${c.api})`;
    if (!state) {
      problems.push(`${where}: no such state`);
      return;
    }
    const call = callOfTask(state.Resource, c.params, where);
    if (!call) {
      problems.push(`${where}: ${state.Resource} is not a service integration the checker reads`);
      return;
    }
    problems.push(...checkCall(call));
    // What the stand-in answered (not for a task token: the answer is what the callback sends).
    if (answers.has(c) && !String(state.Resource).endsWith('.waitForTaskToken')) problems.push(...checkAnswer(call, answers.get(c)).map((p) => `${p} (stand-in)`));
    if (c.error && c.error !== HARNESS_ERROR) problems.push(...checkErrorNames(state.Resource, [c.error], `${where}: the stand-in raised`));
  });
  // The same problem in every poll of a loop is reported once, with the first call and how many more.
  const byText = new Map<string, { first: string; more: number }>();
  for (const p of problems) {
    const key = p.replace(/ \(call \d+, /, ' (');
    const seen = byText.get(key);
    if (seen) seen.more += 1;
    else byText.set(key, { first: p, more: 0 });
  }
  return { problems: [...byText.values()].map((v) => (v.more > 0 ? `${v.first} [and in ${v.more} later calls]` : v.first)), calls: world.calls.length };
}

/** The calls checked, per scenario (printed once for the note on coverage). */
const counted: { [scenario: string]: number } = {};
afterAll(() => {
  process.stdout.write(`contract executions: ${JSON.stringify(counted)}\n`);
});

interface Scenario {
  readonly variant: CanaryVariant;
  /** Sets the world up; may run rollouts before the one checked (the calls of all are checked). */
  readonly setup?: (world: World) => Promise<void> | void;
  /** States the scenario must have called (so that it covers what it says). */
  readonly reaches: string[];
}

const SCENARIOS: [string, Scenario][] = [
  ['happy path', { variant: {}, reaches: ['TakeLock', 'DescribeTaskDefinition', 'RegisterRelease', 'DeployIdleSlot', 'SetWeights', 'CheckDns', 'CheckAlarms', 'Promote'] }],
  ['alarm rollback', {
    variant: {},
    setup: (world) => {
      world.alarmTrigger = alarmWhen('green', 25, 0, world.synth.green.compositeAlarm);
    },
    reaches: ['SetWeights', 'CheckAlarms', 'RestoreWeights', 'RecordOutcome', 'ReleaseLock'],
  }],
  ['approval granted', { variant: { approval: true }, reaches: ['RequestApproval', 'CheckAlarmsAfterApproval', 'SetWeights'] }],
  ['approval refused', {
    variant: { approval: true },
    setup: (world) => {
      world.approval = 'abort';
    },
    reaches: ['RequestApproval', 'RestoreWeights'],
  }],
  ['approval timed out', {
    variant: { approval: true },
    setup: (world) => {
      world.approval = 'timeout';
    },
    reaches: ['RequestApproval', 'RestoreWeights'],
  }],
  ['SCALE_IN, two rollouts (both slots scaled in and back)', {
    variant: { scaleIn: true },
    setup: async (world) => {
      await runRollout(world, rolloutInput('first'));
    },
    reaches: ['ScaleInOldSlot', 'SetWeights'],
  }],
  ['CNAME records', { variant: { recordTtl: Duration.seconds(60) }, reaches: ['SetWeights', 'RestoreWeights'] }],
  ['every kind of call throttled 3 times (approval and SCALE_IN, second rollout)', {
    variant: { approval: true, scaleIn: true },
    setup: async (world) => {
      await runRollout(world, rolloutInput('warm-up'));
      const apis = new Set<string>();
      for (const state of Object.values<Json>(world.synth.definition.States)) {
        const api = state.Type === 'Task' ? apiOf(state.Resource) : undefined;
        if (api) apis.add(api.replace(/\.waitForTaskToken$/, ''));
      }
      for (const api of apis) {
        try {
          world.fail(api, 3);
        } catch {
          // the harness has no throttling error for this API
        }
      }
    },
    reaches: ['TakeLock', 'SetWeights', 'CheckAlarms', 'RequestApproval', 'ScaleInOldSlot'],
  }],
];

describe('every call of a local execution, with its parameters as sent, matches the AWS API models', () => {
  test.each(SCENARIOS)('%s', async (name, scenario) => {
    const world = recordAnswers(new World(synthesizeCanary(scenario.variant)));
    if (name === 'CNAME records') {
      // A rollback as well, so that RestoreWeights sends the CNAME records too.
      world.alarmTrigger = alarmWhen('green', 25, 0, world.synth.green.compositeAlarm);
    }
    await scenario.setup?.(world);
    await runRollout(world, rolloutInput('r1'));
    const { problems, calls } = checkCalls(world, name);
    counted[name] = calls;
    const called = new Set(world.calls.map((c) => c.state));
    // The scenario reached what it is about (else it would check less than it says).
    expect(scenario.reaches.filter((s) => !called.has(s))).toEqual([]);
    expect(problems).toEqual([]);
  });
});

test('the check of calls as sent finds a wrong member inside a value that was resolved at run time', () => {
  const world = new World(synthesizeCanary());
  world.calls.push({
    state: 'SetWeights',
    api: 'route53:changeResourceRecordSets',
    params: {
      HostedZoneId: 'Z123',
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'a', Type: 'A', SetIdentifier: 'blue', Weight: 10, AliasTarget: { HostedZoneId: 'Z', DNSName: 'lb', EvaluateTargetHealth: true } } }] },
    },
    error: 'Route53.Throttling',
  });
  answers.set(world.calls[0], { ChangeInfo: { Id: '/change/C1', Status: 'DONE', SubmittedAt: '2026-01-01T00:00:00Z' }, ChangeId: 'C1' });
  expect(checkCalls(world, 'sample').problems).toEqual([
    expect.stringContaining('sample: SetWeights (call 1, route53:changeResourceRecordSets): ChangeResourceRecordSets.ChangeBatch.Changes[0].ResourceRecordSet.AliasTarget: DNSName is not a member of AliasTarget'),
    expect.stringContaining('required member DnsName is missing'),
    expect.stringMatching(/^sample: SetWeights \(call 1, route53:changeResourceRecordSets\): ChangeResourceRecordSets answer\.ChangeInfo\.Status: "DONE" is not a value of ChangeStatus: PENDING, INSYNC \(stand-in\)$/),
    expect.stringMatching(/^sample: SetWeights \(call 1, route53:changeResourceRecordSets\): ChangeResourceRecordSets answer: ChangeId is not a member of ChangeResourceRecordSetsResponse.* \(stand-in\)$/),
    expect.stringContaining('sample: SetWeights (call 1, route53:changeResourceRecordSets): the stand-in raised: Route53.Throttling is not an error route53 models'),
  ]);
});
