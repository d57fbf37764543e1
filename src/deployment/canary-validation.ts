/**
 * The checks of a canary's props, run in its constructor: every problem is reported at once,
 * naming the prop, the value given and what would be valid.
 */
import { Duration, aws_ecs as ecs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { CanaryDeploymentProps } from './canary-deployment';
import { CanaryStep } from './canary-step';
import { OldSlot } from './old-slot';
import { canaryNameProblem } from './operator-contract';
import { HISTORY_LIMIT, RolloutPlan, planRollout } from './rollout-plan';
import { isMicroserviceEnvironment } from '../environment/environment-support';
import { words } from '../private/naming';
import { Problems, checkInt, checkKinds, checkSeconds, enumProblem, known, show } from '../private/validation';

const CLASS = 'CanaryDeployment';

/** Valid props, and the plan of their rollout. */
export interface ValidatedCanary {
  readonly props: CanaryDeploymentProps;
  readonly plan: RolloutPlan;
}

/**
 * Checks the props of a canary, reporting every problem at once; returns them with the values
 * that cannot be used (tokens where a value is needed at synth) left out, and the rollout plan
 * they make (computed here, once).
 */
export function validateCanaryProps(canary: Construct, given: CanaryDeploymentProps): ValidatedCanary {
  const p = Problems.ofConstruction(CLASS, canary);
  if (!given || typeof given !== 'object') {
    p.add('props are missing; pass at least `serviceProps`, `hostedZone` and `recordName`');
    p.throwIfAny();
  }
  if (!given.serviceProps || typeof given.serviceProps !== 'object' || !isMicroserviceEnvironment(given.serviceProps.environment)) {
    p.add(`\`serviceProps\` ${show(given.serviceProps)} is not TwelveFactorService props with an \`environment\``);
  }
  if (!given.hostedZone || typeof (given.hostedZone as { hostedZoneId?: unknown }).hostedZoneId !== 'string') {
    p.add(`\`hostedZone\` ${show(given.hostedZone)} is not a route53.IHostedZone`);
  } else {
    try {
      void given.hostedZone.zoneName;
    } catch {
      p.add('`hostedZone` has no zone name (HostedZone.fromHostedZoneId); import it with fromHostedZoneAttributes or fromLookup');
    }
  }
  p.throwIfAny();
  const props = checkKinds(p, given, [
    ['recordName', 'string'], ['recordTtl', 'Duration'], ['allowPlainHttp', 'boolean'], ['internetFacing', 'boolean'],
    ['loadBalancerDeletionProtection', 'boolean'], ['listenerRulePriority', 'number'], ['allowSlotsInDifferentVpcs', 'boolean'],
    ['defaultAlarms', 'boolean'], ['errorRatePercent', 'number'], ['latencyThreshold', 'Duration'], ['alarmPeriod', 'Duration'],
    ['alarmEvaluationPeriods', 'number'], ['alarmPollInterval', 'Duration'], ['healthTimeout', 'Duration'],
    ['healthPollInterval', 'Duration'], ['enableApprovalBeforeLastStep', 'boolean'], ['approvalTimeout', 'Duration'],
    ['startOnPush', 'boolean'], ['startOnPushTagPrefix', 'string'], ['canaryName', 'string'],
  ]);
  if (known(props.canaryName)) {
    const nameProblem = canaryNameProblem(props.canaryName);
    if (nameProblem) p.add(nameProblem);
  }
  const problem = enumProblem('oldSlot', props.oldSlot, OldSlot, 'OldSlot');
  if (problem) p.add(problem);
  const objects: Array<[keyof CanaryDeploymentProps & string, string, string]> = [
    ['approvalTopic', 'topicArn', 'sns.ITopic'], ['imageRepository', 'repositoryName', 'ecr.IRepository'],
    ['certificate', 'certificateArn', 'acm.ICertificate'], ['blueLoadBalancer', 'loadBalancerArn', 'elbv2.IApplicationLoadBalancer'],
    ['greenLoadBalancer', 'loadBalancerArn', 'elbv2.IApplicationLoadBalancer'], ['blueListener', 'listenerArn', 'elbv2.IApplicationListener'],
    ['greenListener', 'listenerArn', 'elbv2.IApplicationListener'],
  ];
  for (const [name, attribute, type] of objects) {
    const value = props[name] as unknown;
    if (value !== undefined && (value === null || typeof (value as Record<string, unknown>)[attribute] !== 'string')) {
      p.add(`\`${name}\` ${show(value)} is not an ${type}`);
      delete (props as unknown as Record<string, unknown>)[name];
    }
  }
  if (Array.isArray(props.alarms)) {
    props.alarms.forEach((alarm, i) => p.when(!alarm || typeof (alarm as { alarmName?: unknown }).alarmName !== 'string',
      `\`alarms[${i}]\` ${show(alarm)} is not a cloudwatch.IAlarm`));
  }
  const s = props.serviceProps;
  const env = s.environment;

  // The service: the canary owns routing and shifting.
  p.when(s.port === undefined, '`serviceProps.port` is missing; the slots\' load balancers route to it');
  for (const name of ['hostName', 'pathPatterns', 'routePriority', 'listener'] as const) {
    p.when(s[name] !== undefined, `\`serviceProps.${name}\` is not used by a canary, which routes each slot from its own load balancer; remove it`);
  }
  p.when(s.releaseId !== undefined, '`serviceProps.releaseId` is not used by a canary: each slot\'s RELEASE_ID is the image it runs, set by rollouts and read at deploy time; remove it');
  p.when(s.deploymentStrategy !== undefined && s.deploymentStrategy !== ecs.DeploymentStrategy.ROLLING,
    `\`serviceProps.deploymentStrategy\` ${show(s.deploymentStrategy)} shifts traffic itself; a canary shifts Route 53 weights, so use ROLLING or leave it out`);
  if (known(s.minTasks)) p.when(s.minTasks < 1, `\`serviceProps.minTasks\` ${s.minTasks} is not valid for a canary: the live slot must serve; use 1 or more`);
  if (known(s.serviceName)) {
    p.when(s.serviceName.length > 57, `\`serviceProps.serviceName\` ${show(s.serviceName)} is too long: the slots add -blue/-green; use at most 57 characters`);
  } else if (s.serviceName === undefined) {
    const fromId = words(canary.node.id).join('-').toLowerCase();
    p.when(fromId.length > 57 || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(fromId),
      `the construct id gives the service name ${show(fromId)}, which does not fit '<name>-green' (at most 57 characters of a-z, 0-9 and '-'); set \`serviceProps.serviceName\``);
  }

  // The record.
  const zoneName = known(props.hostedZone.zoneName) ? props.hostedZone.zoneName.replace(/\.$/, '').toLowerCase() : undefined;
  if (props.recordName === undefined) {
    p.add('`recordName` is missing; give the name clients use, for example \'users\'');
  } else if (known(props.recordName)) {
    const name = props.recordName.replace(/\.$/, '').toLowerCase();
    p.when(!/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name) || name.length > 253,
      `\`recordName\` ${show(props.recordName)} is not a DNS name`);
    if (zoneName !== undefined && name.includes('.') && name !== zoneName && !name.endsWith(`.${zoneName}`)) {
      p.add(`\`recordName\` ${show(props.recordName)} is not in the hosted zone '${zoneName}'; use a name relative to it ('users') or ending in .${zoneName}`);
    }
    if (props.recordTtl !== undefined && zoneName !== undefined && name === zoneName) {
      p.add(`\`recordTtl\` makes CNAME records, which cannot be at the zone apex '${zoneName}'; use a subdomain or leave \`recordTtl\` out for alias records`);
    }
  }
  if (props.recordTtl !== undefined && props.recordTtl.isUnresolved()) {
    p.add('`recordTtl` is a token; give a Duration known at synth time');
  } else {
    const ttl = checkSeconds('recordTtl', props.recordTtl, 1, 86_400);
    if (ttl) p.add(ttl);
  }

  // Load balancers.
  const broughtBlue = props.blueLoadBalancer !== undefined || props.blueListener !== undefined;
  const broughtGreen = props.greenLoadBalancer !== undefined || props.greenListener !== undefined;
  p.when(props.blueLoadBalancer !== undefined && props.blueListener === undefined, '`blueLoadBalancer` needs `blueListener`, the listener that routes to the slot');
  p.when(props.blueListener !== undefined && props.blueLoadBalancer === undefined, '`blueListener` needs `blueLoadBalancer`, the load balancer the record points at');
  p.when(props.greenLoadBalancer !== undefined && props.greenListener === undefined, '`greenLoadBalancer` needs `greenListener`, the listener that routes to the slot');
  p.when(props.greenListener !== undefined && props.greenLoadBalancer === undefined, '`greenListener` needs `greenLoadBalancer`, the load balancer the record points at');
  p.when(broughtBlue !== broughtGreen, 'bring load balancers for both slots (`blueLoadBalancer`/`blueListener` and `greenLoadBalancer`/`greenListener`) or for neither');
  if (broughtBlue && broughtGreen) {
    for (const name of ['certificate', 'allowPlainHttp', 'internetFacing', 'loadBalancerDeletionProtection'] as const) {
      p.when(props[name] !== undefined, `\`${name}\` configures the load balancers the canary creates; with brought load balancers, remove it`);
    }
    if (props.listenerRulePriority !== undefined) {
      const priority = checkInt('listenerRulePriority', props.listenerRulePriority, 1, 50000);
      if (priority) p.add(priority);
    }
    p.when(props.blueListener === props.greenListener || props.blueLoadBalancer === props.greenLoadBalancer,
      '`greenListener` and `greenLoadBalancer` must differ from the blue slot\'s: each slot needs its own load balancer for the weighted records');
    if (props.allowSlotsInDifferentVpcs !== true) {
      const vpcs = [props.blueLoadBalancer?.vpc, props.greenLoadBalancer?.vpc];
      const same = (a?: { vpcId: string }, b?: { vpcId: string }) =>
        !a || !b || a === b || !known(a.vpcId) || !known(b.vpcId) || a.vpcId === b.vpcId;
      p.when(!same(vpcs[0], vpcs[1]),
        '`blueLoadBalancer` and `greenLoadBalancer` are in different VPCs; put both slots in one VPC or set `allowSlotsInDifferentVpcs: true`');
      for (const [i, vpc] of vpcs.entries()) {
        p.when(!same(vpc, env.vpc),
          `\`${i === 0 ? 'blue' : 'green'}LoadBalancer\` is not in the environment's VPC, where the slots' tasks run; use a load balancer in that VPC or set \`allowSlotsInDifferentVpcs: true\` (its VPC must reach the tasks)`);
      }
    }
  } else {
    p.when(props.listenerRulePriority !== undefined, '`listenerRulePriority` applies to brought listeners; remove it');
    p.when(props.allowSlotsInDifferentVpcs !== undefined, '`allowSlotsInDifferentVpcs` applies to brought load balancers; remove it');
    p.when(props.certificate === undefined && env.certificate === undefined && props.allowPlainHttp !== true,
      '`certificate` is missing and the environment has none: the slots\' load balancers need one for HTTPS; to serve plain HTTP (development only) set `allowPlainHttp: true`');
    p.when(props.certificate !== undefined && props.allowPlainHttp === true, '`allowPlainHttp` conflicts with `certificate`; remove one of them');
  }

  // Alarms and timing.
  const alarmsOn = props.defaultAlarms ?? true;
  p.when(props.alarms !== undefined && !Array.isArray(props.alarms), `\`alarms\` ${show(props.alarms)} is not a list`);
  const extra = Array.isArray(props.alarms) ? props.alarms : [];
  p.when(!alarmsOn && extra.length === 0, '`defaultAlarms` is off and no `alarms` are given: a canary needs at least one alarm to roll back on');
  if (!alarmsOn) {
    for (const name of ['errorRatePercent', 'latencyThreshold', 'alarmPeriod', 'alarmEvaluationPeriods'] as const) {
      p.when(props[name] !== undefined, `\`${name}\` configures the default alarms, which are off; remove it or turn \`defaultAlarms\` on`);
    }
  }
  if (known(props.errorRatePercent)) {
    p.when(!(props.errorRatePercent > 0 && props.errorRatePercent <= 100), `\`errorRatePercent\` ${props.errorRatePercent} is not valid; use a percentage above 0 up to 100`);
  }
  for (const name of ['latencyThreshold', 'alarmPeriod', 'alarmPollInterval', 'healthTimeout', 'healthPollInterval', 'approvalTimeout'] as const) {
    const value = props[name];
    if (value !== undefined && value.isUnresolved()) {
      p.add(`\`${name}\` is a token; the plan and alarms are computed at synth time, so give a Duration known then`);
      delete (props as unknown as Record<string, unknown>)[name];
    }
  }
  if (known(props.latencyThreshold)) {
    const ms = props.latencyThreshold.toMilliseconds({ integral: false });
    p.when(!(ms > 0 && ms <= 60_000), `\`latencyThreshold\` ${props.latencyThreshold.toHumanString()} is not valid; use more than 0 and at most 60 seconds`);
  }
  if (known(props.alarmPeriod)) {
    const seconds = props.alarmPeriod.toMilliseconds({ integral: false }) / 1000;
    // Load balancer metrics come once a minute: a shorter period would leave the alarms without data.
    p.when(!(seconds >= 60 && seconds % 60 === 0 && seconds <= 86_400),
      `\`alarmPeriod\` ${props.alarmPeriod.toHumanString()} is not valid; load balancer metrics come once a minute, so use a multiple of 60 s up to 1 day`);
  }
  const evaluation = checkInt('alarmEvaluationPeriods', props.alarmEvaluationPeriods, 1, 10);
  if (evaluation) p.add(evaluation);
  for (const timing of [
    checkSeconds('alarmPollInterval', props.alarmPollInterval, 5, 300, '5 seconds to 5 minutes'),
    checkSeconds('healthTimeout', props.healthTimeout, 60, 7200, '1 minute to 2 hours'),
    checkSeconds('healthPollInterval', props.healthPollInterval, 5, 300, '5 seconds to 5 minutes'),
    checkSeconds('approvalTimeout', props.approvalTimeout, 60, 7 * 86_400, '1 minute to 7 days'),
  ]) if (timing) p.add(timing);
  if (!props.enableApprovalBeforeLastStep) {
    p.when(props.approvalTopic !== undefined, '`approvalTopic` needs `enableApprovalBeforeLastStep: true`');
    p.when(props.approvalTimeout !== undefined, '`approvalTimeout` needs `enableApprovalBeforeLastStep: true`');
  }
  if (props.startOnPush) {
    p.when(props.imageRepository === undefined, '`startOnPush` needs `imageRepository`, the repository whose pushes start rollouts');
  } else {
    p.when(props.startOnPushTagPrefix !== undefined, '`startOnPushTagPrefix` needs `startOnPush: true`');
  }
  if (known(props.startOnPushTagPrefix)) {
    p.when(!/^[a-zA-Z0-9._-]{1,127}$/.test(props.startOnPushTagPrefix), `\`startOnPushTagPrefix\` ${show(props.startOnPushTagPrefix)} is not the start of an image tag; use letters, digits, '.', '_' and '-'`);
  }

  // Steps, and the plan they make.
  const plan = validateSteps(p, props, alarmsOn);
  p.throwIfAny();
  return { props, plan: plan! };
}

function validateSteps(p: Problems, props: CanaryDeploymentProps, alarmsOn: boolean): RolloutPlan | undefined {
  const steps = props.steps ?? CanaryStep.standard();
  if (!Array.isArray(steps) || steps.length === 0) {
    p.add(`\`steps\` ${show(props.steps)} is not a list of CanaryStep; use for example CanaryStep.standard()`);
    return undefined;
  }
  if (steps.length > 20) p.add(`\`steps\` has ${steps.length} steps; use at most 20`);
  const window = alarmsOn && known(props.alarmPeriod ?? Duration.minutes(1)) && known(props.alarmEvaluationPeriods ?? 2)
    ? (props.alarmPeriod ?? Duration.minutes(1)).toMilliseconds({ integral: false }) * (props.alarmEvaluationPeriods ?? 2) : 0;
  let previous = 0;
  Array.from(steps).forEach((step, i) => {
    if (!(step instanceof CanaryStep)) {
      p.add(`\`steps[${i}]\` ${show(step)} is not a CanaryStep; use CanaryStep.weight(percent, bake)`);
      return;
    }
    const { percent, bake } = step;
    if (typeof percent !== 'number' || !Number.isInteger(percent) || percent < 1 || percent > 100) {
      p.add(`\`steps[${i}]\` weight ${show(percent)} is not valid; use a whole percentage from 1 to 100`);
    } else {
      p.when(percent <= previous, `\`steps[${i}]\` weight ${percent}% does not rise above the step before (${previous}%); percentages must rise`);
      previous = Math.max(previous, percent);
    }
    if (!(bake instanceof Duration) || bake.isUnresolved()) {
      p.add(`\`steps[${i}]\` bake ${show(bake)} is not a Duration`);
      return;
    }
    const ms = bake.toMilliseconds({ integral: false });
    if (!Number.isFinite(ms) || ms % 1000 !== 0 || ms < 1000 || ms > 86_400_000) {
      p.add(`\`steps[${i}]\` bake ${bake.toHumanString()} is not valid; use whole seconds from 1 second to 1 day`);
    } else if (ms < window) {
      p.add(`\`steps[${i}]\` bake ${bake.toHumanString()} is shorter than the alarm evaluation window (${Duration.millis(window).toHumanString()}: alarmPeriod x alarmEvaluationPeriods); an alarm could not fire within the step`);
    }
  });
  let plan: RolloutPlan | undefined;
  if (!p.any) {
    plan = planRollout({
      steps,
      alarmPollInterval: props.alarmPollInterval,
      healthTimeout: props.healthTimeout,
      healthPollInterval: props.healthPollInterval,
      approvalTimeout: props.approvalTimeout,
      approvalBeforeLastStep: props.enableApprovalBeforeLastStep === true,
    });
    p.when(plan.historyEvents > HISTORY_LIMIT, `\`steps\` need up to ${plan.historyEvents} execution history events with \`alarmPollInterval\` ${plan.alarmPollSeconds} s; an execution holds 25,000: use fewer or shorter steps or a longer poll interval`);
  }
  const last = steps[steps.length - 1];
  if (last instanceof CanaryStep && last.percent !== 100) {
    p.add(`\`steps\` ends at ${show(last.percent)}%; the last step must send 100% of the traffic to the new slot`);
  }
  return plan;
}
