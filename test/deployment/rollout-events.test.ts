/**
 * `onRolloutSucceeded`, `onRolloutRolledBack` and `onRolloutFailed`: each rule's pattern, as
 * synthesized, matches the event the state machine really sends for its outcome (taken from a
 * local execution of the synthesized definition) and no other outcome's, nor another canary's.
 */
import { Stack, aws_events as events, aws_events_targets as targets, aws_sns as sns } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  Json, Synthesized, World, alarmWhen, eventOf, matchesEventPattern, resolveTokens, rolloutInput, runRollout, statesOf, synthesizeCanary,
} from './rollout-harness';

type Outcome = 'succeeded' | 'rolledBack' | 'failed';
const OUTCOMES: Outcome[] = ['succeeded', 'rolledBack', 'failed'];
const STATUS: { [outcome in Outcome]: string } = { succeeded: 'SUCCEEDED', rolledBack: 'ROLLED_BACK', failed: 'FAILED' };

let synth: Synthesized;
let template: Template;
/** The logical id of each outcome's rule. */
const ruleIds: { [outcome in Outcome]?: string } = {};
/** The entries the state machine sent, per outcome (one run each). */
const entries: { [outcome in Outcome]?: Json[] } = {};

function logicalId(rule: events.Rule): string {
  return Stack.of(rule).resolve((rule.node.defaultChild as events.CfnRule).logicalId);
}

/** The resolved event pattern of a rule in the template. */
function patternOf(id: string): Json {
  return resolveTokens(template.toJSON().Resources[id].Properties.EventPattern);
}

beforeAll(async () => {
  synth = synthesizeCanary({ nestedIn: ['Events'] }, (canary) => {
    ruleIds.succeeded = logicalId(canary.onRolloutSucceeded('Succeeded'));
    ruleIds.rolledBack = logicalId(canary.onRolloutRolledBack('RolledBack'));
    ruleIds.failed = logicalId(canary.onRolloutFailed('Failed'));
  });
  template = synth.template;

  const success = new World(synth);
  await runRollout(success, rolloutInput('r1'));
  entries.succeeded = success.events;

  const rollback = new World(synth);
  rollback.alarmTrigger = alarmWhen('green', 25, 0, synth.green.compositeAlarm);
  await runRollout(rollback, rolloutInput('r1'));
  entries.rolledBack = rollback.events;

  const failure = new World(synth);
  failure.deploymentOutcome = 'STUCK';
  await runRollout(failure, rolloutInput('r1'));
  entries.failed = failure.events;
});

test('each run sent one event, with the canary\'s source and its outcome\'s status', () => {
  for (const outcome of OUTCOMES) {
    expect(entries[outcome]).toEqual([expect.objectContaining({
      Source: synth.canary.eventSource,
      DetailType: `Canary Rollout ${STATUS[outcome]}`,
      Detail: expect.objectContaining({ service: synth.canary.node.path, status: STATUS[outcome] }),
    })]);
  }
});

test('each method adds a rule on the default bus for the canary\'s events of its outcome', () => {
  for (const outcome of OUTCOMES) {
    expect(patternOf(ruleIds[outcome]!)).toEqual({
      'source': ['cdk-microservices.canary'],
      'detail-type': [`Canary Rollout ${STATUS[outcome]}`],
      'detail': { service: ['Test/Events/Canary'], status: [STATUS[outcome]] },
    });
    expect(template.toJSON().Resources[ruleIds[outcome]!].Properties).toMatchObject({ State: 'ENABLED' });
    expect(template.toJSON().Resources[ruleIds[outcome]!].Properties.EventBusName).toBeUndefined();
  }
});

describe.each(OUTCOMES)('the event of a rollout that ended %s', (outcome) => {
  test('matches its rule and no other', () => {
    const event = eventOf(entries[outcome]![0]);
    const matched = OUTCOMES.filter((rule) => matchesEventPattern(patternOf(ruleIds[rule]!), event));
    expect(matched).toEqual([outcome]);
  });

  test('from another canary (another construct path, same source) matches none of the rules', () => {
    const event = eventOf(entries[outcome]![0]);
    const other = { ...event, detail: { ...event.detail, service: 'Test/Orders' } };
    expect(OUTCOMES.filter((rule) => matchesEventPattern(patternOf(ruleIds[rule]!), other))).toEqual([]);
  });
});

test('every status the state machine can end with has its method', () => {
  // The outcomes are Pass states writing $.outcome; each status is one of the three methods'.
  const statuses = new Set<string>();
  for (const state of Object.values(statesOf(synthesizeCanary({ approval: true, scaleIn: true }).definition))) {
    if (state.ResultPath === '$.outcome') statuses.add(state.Parameters.status);
  }
  expect([...statuses].sort()).toEqual(Object.values(STATUS).sort());
});

describe('options', () => {
  test('a target, a description and a rule name are wired to the rule', () => {
    let topic: sns.Topic | undefined;
    let rule: events.Rule | undefined;
    const s = synthesizeCanary({ nestedIn: ['WithTarget'] }, (canary, stack) => {
      topic = new sns.Topic(stack, 'Pager');
      rule = canary.onRolloutRolledBack('Paged', {
        target: new targets.SnsTopic(topic),
        description: 'Pages the team on a rollback',
        ruleName: 'users-rolled-back',
      });
    });
    expect(rule!.node.scope).toBe(s.canary);
    const t = s.template;
    const topicId = s.stack.resolve((topic!.node.defaultChild as sns.CfnTopic).logicalId);
    t.hasResourceProperties('AWS::Events::Rule', {
      Name: 'users-rolled-back',
      Description: 'Pages the team on a rollback',
      EventPattern: Match.objectLike({ 'detail-type': ['Canary Rollout ROLLED_BACK'] }),
      Targets: [Match.objectLike({ Arn: { Ref: topicId }, Id: 'Target0' })],
    });
    // The topic lets EventBridge publish (SnsTopic binds its policy).
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: Match.objectLike({
        Statement: Match.arrayWith([Match.objectLike({ Action: 'sns:Publish', Principal: { Service: 'events.amazonaws.com' } })]),
      }),
    });
  });

  test('without a target, the rule has none (add one with addTarget)', () => {
    let id = '';
    const s = synthesizeCanary({ nestedIn: ['NoTarget'] }, (canary) => {
      id = logicalId(canary.onRolloutSucceeded('Released'));
    });
    expect(s.template.toJSON().Resources[id].Properties.Targets).toBeUndefined();
  });

  test('an eventPattern in the options narrows the rule: only alarm rollbacks', () => {
    let id = '';
    const s = synthesizeCanary({ nestedIn: ['Narrowed'] }, (canary) => {
      id = logicalId(canary.onRolloutRolledBack('AlarmRollbacks', { eventPattern: { detail: { reason: ['ALARM'] } } }));
    });
    const pattern = resolveTokens(s.template.toJSON().Resources[id].Properties.EventPattern);
    expect(pattern.detail).toEqual({ reason: ['ALARM'], service: ['Test/Narrowed/Canary'], status: ['ROLLED_BACK'] });

    const event = eventOf(entries.rolledBack![0]);
    const fromNarrowed = { ...event, detail: { ...event.detail, service: 'Test/Narrowed/Canary' } };
    expect(matchesEventPattern(pattern, fromNarrowed)).toBe(true);
    expect(matchesEventPattern(pattern, { ...fromNarrowed, detail: { ...fromNarrowed.detail, reason: 'DNS_NOT_IN_SYNC' } })).toBe(false);
  });
});
