/**
 * The rollout plan is computed once (planRollout) and read everywhere: the construct's durations,
 * the definition's plan data, its poll counts, waits and timeout all come from the same plan.
 */
import { Duration } from 'aws-cdk-lib';
import { canaryWorld, definitionOf, planOf, slotService } from './fixtures';
import { CanaryDeployment, CanaryStep } from '../../src';
import { planRollout } from '../../src/deployment/rollout-plan';

const { seconds, minutes } = Duration;

test.each([
  ['the defaults', {}],
  ['odd bakes and polls, approval', {
    steps: [CanaryStep.weight(5, seconds(125)), CanaryStep.weight(40, minutes(3)), CanaryStep.weight(100, seconds(7 * 60 + 1))],
    alarmPollInterval: seconds(30),
    healthTimeout: minutes(7),
    healthPollInterval: seconds(40),
    enableApprovalBeforeLastStep: true,
    approvalTimeout: minutes(90),
  }],
])('%s: the construct and its definition hold the plan', (_name, extra: any) => {
  const w = canaryWorld({ certificate: true });
  const canary = new CanaryDeployment(w.stack, 'Users', { serviceProps: slotService(w.env), hostedZone: w.zone, recordName: 'users', ...extra });
  const plan = planRollout({
    ...extra, steps: extra.steps ?? CanaryStep.standard(), approvalBeforeLastStep: extra.enableApprovalBeforeLastStep === true,
  });
  const definition = definitionOf(canary);

  expect(canary.plannedDuration.toSeconds()).toBe(plan.plannedSeconds);
  expect(canary.maximumDuration.toSeconds()).toBe(plan.maximumSeconds);
  expect(canary.rollbackReaction.toSeconds()).toBe(plan.rollbackReactionSeconds);
  expect(definition.TimeoutSeconds).toBe(plan.timeoutSeconds);
  expect(definition.TimeoutSeconds).toBe(2 * plan.maximumSeconds);
  expect(planOf(definition).map((s) => [s.percent, s.lastPoll + 1, s.approvalBefore, s.last]))
    .toEqual(plan.steps.map((s) => [s.percent, s.polls, s.approvalBefore, s.last]));
  const states = definition.States;
  expect(states.Bake.Seconds).toBe(plan.alarmPollSeconds);
  expect(states.WaitForIdleSlot.Seconds).toBe(plan.healthPollSeconds);
  expect(states.WaitForDns.Seconds).toBe(plan.dnsPollSeconds);
  expect(states.IdleSlotSteady.Choices[2].NumericGreaterThanEquals).toBe(plan.healthPolls - 1);
  expect(states.DnsInSync.Choices[2].NumericGreaterThanEquals).toBe(plan.dnsPolls - 1);
  if (plan.approvalBeforeLastStep) expect(states.RequestApproval.TimeoutSeconds).toBe(plan.approvalTimeoutSeconds);
  else expect(states.RequestApproval).toBeUndefined();
});

test('the plan: bakes rounded up to whole polls, the documented planned and maximum durations', () => {
  const plan = planRollout({
    steps: [CanaryStep.weight(50, seconds(25)), CanaryStep.weight(100, seconds(3))],
    alarmPollInterval: seconds(10),
    healthTimeout: minutes(10),
    healthPollInterval: seconds(15),
    approvalBeforeLastStep: true,
    approvalTimeout: minutes(60),
  });
  expect(plan.steps.map((s) => [s.polls, s.bakedSeconds, s.approvalBefore, s.last])).toEqual([[3, 30, false, false], [1, 10, true, true]]);
  expect(plan.plannedSeconds).toBe(30 + 10 + 2 * 5);
  // health timeout + one health poll + bakes + per step (DNS timeout + an alarm poll) + approval + 300 s margin
  expect(plan.maximumSeconds).toBe(600 + 15 + 40 + 2 * (300 + 10) + 3600 + 300);
  expect(plan.healthPolls).toBe(40);
  expect(plan.dnsPolls).toBe(60);
  expect(plan.historyEvents).toBe(11 * (4 + 40) + 16 * 60 * 2 + 40 * 2 + 400);
});

test('a plan whose history would not fit in one execution is refused with the plan\'s count', () => {
  const w = canaryWorld({ certificate: true });
  const steps = [...Array.from({ length: 19 }, (_, i) => CanaryStep.weight(i + 1, Duration.hours(4))), CanaryStep.weight(100, Duration.hours(4))];
  const plan = planRollout({ steps, alarmPollInterval: seconds(5), approvalBeforeLastStep: false });
  expect(plan.historyEvents).toBeGreaterThan(25_000);
  expect(() => new CanaryDeployment(w.stack, 'Users', {
    serviceProps: slotService(w.env), hostedZone: w.zone, recordName: 'users', steps, alarmPollInterval: seconds(5),
  })).toThrow(`\`steps\` need up to ${plan.historyEvents} execution history events`);
});
