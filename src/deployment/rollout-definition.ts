/**
 * The Amazon States Language definition of a canary rollout (JSONPath, AWS SDK and
 * optimized integrations only: no Lambda). Built as plain data so that tests can execute
 * the very definition CloudFormation receives.
 */
import { copyContainersState, registerReleaseParameters } from './release-states';
import { ROLLOUT_STATUS, outcomeEventParameters } from './rollout-events';
import { FAILURE_CAUSES, ROLLOUT_ERRORS, State, retry, sdk } from './rollout-integrations';
import { abortCheckStates, recordIdleImageState, recordWeightsState } from './rollout-live-state';
import { ABANDONED_STATUS, HELD_BY_THIS_EXECUTION, LOCK_ATTRIBUTES, THIS_EXECUTION, TOOK_OVER, TOOK_OVER_FROM, lockStates } from './rollout-lock';
import { publishMetricsState } from './rollout-metrics';
import { RolloutPlan } from './rollout-plan';
import { RolloutSlot } from './rollout-slot';
import { approvalSubject } from './rollout-text';

/** Everything the definition needs. */
export interface RolloutConfig {
  readonly tableName: string;
  readonly hostedZoneId: string;
  readonly blue: RolloutSlot;
  readonly green: RolloutSlot;
  /** Whether records are CNAMEs with a TTL (otherwise alias records). */
  readonly cname: boolean;
  /** The steps, polls, waits and timeout of a rollout (planRollout). */
  readonly plan: RolloutPlan;
  /** The topic of the approval request, when the plan has one. */
  readonly approvalTopicArn?: string;
  readonly scaleInOldSlot: boolean;
  /** Index of the app container in the task definition. */
  readonly appContainerIndex: number;
  readonly ephemeralStorage: boolean;
  /** What the service is called in events and approval messages. */
  readonly label: string;
  readonly eventSource: string;
  /**
   * The repository releases come from (`imageRepository`): an image of another repository is
   * refused before the lock is taken.
   */
  readonly imageRepositoryUri?: string;
  /**
   * With traced slots: the app container's `OTEL_RESOURCE_ATTRIBUTES` up to the release, which
   * a release sets to this prefix followed by the image.
   */
  readonly resourceAttributesPrefix?: string;
}

const SERVICE_KEY = { pk: { S: 'service' } };
const ROLLOUT_KEY = { pk: { 'S.$': "States.Format('rollout#{}', $.input.rolloutId)" } };

/** Builds the state machine definition of a canary rollout. */
export function rolloutDefinition(c: RolloutConfig): State {
  const states: { [name: string]: State } = {};
  const add = (name: string, state: State): string => {
    states[name] = state;
    return name;
  };
  const addAll = (more: { [name: string]: State }): void => {
    for (const [name, state] of Object.entries(more)) add(name, state);
  };
  const ddb = (action: string, params: State, next: string, extra: State = {}): State => ({
    Type: 'Task',
    Resource: `arn:aws:states:::dynamodb:${action}`,
    Parameters: { TableName: c.tableName, ...params },
    ResultPath: null,
    Retry: retry('dynamodb'),
    Next: next,
    ...extra,
  });
  const slotData = (slot: RolloutSlot) => ({
    name: slot.name,
    clusterArn: slot.clusterArn,
    serviceArn: slot.serviceArn,
    scalingResourceId: slot.scalingResourceId,
    taskDefinitionArn: slot.taskDefinitionArn,
    record: slot.record,
    alarmNames: slot.alarmNames,
  });
  const recordSet = (base: string, weight: number | string): State => {
    // Member names of the AWS SDK integration (Java v2 spelling: TTL -> Ttl, AliasTarget.DNSName -> DnsName).
    const fields = c.cname ? ['Name', 'Type', 'SetIdentifier', 'Ttl', 'ResourceRecords'] : ['Name', 'Type', 'SetIdentifier', 'AliasTarget'];
    const set: State = {};
    for (const field of fields) set[`${field}.$`] = `${base}.record.${field}`;
    if (typeof weight === 'number') set.Weight = weight;
    else set['Weight.$'] = weight;
    return set;
  };
  const changeWeights = (idleWeight: number | string, liveWeight: number | string): State => ({
    HostedZoneId: c.hostedZoneId,
    ChangeBatch: {
      Comment: `Canary rollout of ${c.label}`,
      Changes: [
        { Action: 'UPSERT', ResourceRecordSet: recordSet('$.slots.idle', idleWeight) },
        { Action: 'UPSERT', ResourceRecordSet: recordSet('$.slots.live', liveWeight) },
      ],
    },
  });
  // An outcome that ends the rollout: recorded, lock released, event emitted, named failure.
  // `percent` is the step's, or a fixed one for outcomes before the plan is loaded.
  const outcome = (name: string, status: string, reason: string, error: string, next: string, percent?: string): string => add(name, {
    Type: 'Pass',
    Parameters: {
      status,
      reason,
      error,
      'liveSlot.$': '$.slots.live.name',
      ...(percent === undefined ? { 'percent.$': '$.at.step.percentText' } : { percent }),
    },
    ResultPath: '$.outcome',
    Next: next,
  });

  // An alarm check: DescribeAlarms of the idle slot's alarms in ALARM. The whole answer is kept
  // (at most one alarm, MaxRecords 1) and read with IsPresent, so that it does not matter whether
  // the SDK integration leaves empty MetricAlarms or CompositeAlarms lists out: a ResultSelector
  // naming them would raise States.Runtime, which no Catch takes, with the lock held.
  const firing = { Or: [{ Variable: '$.alarms.MetricAlarms[0]', IsPresent: true }, { Variable: '$.alarms.CompositeAlarms[0]', IsPresent: true }] };
  const checkAlarms = (name: string, next: string): string => add(name, {
    Type: 'Task',
    Resource: sdk('cloudwatch', 'describeAlarms'),
    Parameters: {
      'AlarmNames.$': '$.slots.idle.alarmNames',
      'AlarmTypes': ['CompositeAlarm', 'MetricAlarm'],
      'StateValue': 'ALARM',
      'MaxRecords': 1,
    },
    ResultPath: '$.alarms',
    Retry: retry('cloudwatch'),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'StepFailed' }],
    Next: next,
  });

  // Scalable target bounds of the slot named at `slotPath`: a Choice `choice` by slot name,
  // then `<verb>BlueScaling` or `<verb>GreenScaling` for each slot that scales, then `next`.
  const setScaling = (
    verb: string, slotPath: string, choice: string, bounds: (slot: RolloutSlot) => number[], next: string, onError: State,
  ): void => {
    const stateOf = (slot: RolloutSlot) => (slot.scales ? `${verb}${slot.name === 'blue' ? 'Blue' : 'Green'}Scaling` : next);
    add(choice, {
      Type: 'Choice',
      Choices: [{ Variable: slotPath, StringEquals: 'blue', Next: stateOf(c.blue) }],
      Default: stateOf(c.green),
    });
    for (const slot of [c.blue, c.green].filter((s) => s.scales)) {
      const [min, max] = bounds(slot);
      add(stateOf(slot), {
        Type: 'Task',
        Resource: sdk('applicationautoscaling', 'registerScalableTarget'),
        Parameters: { ServiceNamespace: 'ecs', ResourceId: slot.scalingResourceId, ScalableDimension: 'ecs:service:DesiredCount', MinCapacity: min, MaxCapacity: max },
        ResultPath: null,
        Retry: retry('autoscaling'),
        Catch: [onError],
        Next: next,
      });
    }
  };

  // 1. Input.
  // Rules are tried in order: each one reads a field only once the rules before it have
  // established that it is there (and a string), so no comparison meets a missing field. An
  // empty image would take the lock and fail in RegisterTaskDefinition; a rolloutId that is not
  // a non-empty string would silently fall back to the execution name and lose idempotency.
  add('CheckInput', {
    Type: 'Choice',
    Choices: [
      { Not: { Variable: '$.image', IsPresent: true }, Next: 'InvalidInput' },
      { Not: { Variable: '$.image', IsString: true }, Next: 'InvalidInput' },
      { Variable: '$.image', StringEquals: '', Next: 'InvalidInput' },
      { Not: { Variable: '$.rolloutId', IsPresent: true }, Next: 'UseExecutionName' },
      { Not: { Variable: '$.rolloutId', IsString: true }, Next: 'InvalidInput' },
      { Variable: '$.rolloutId', StringEquals: '', Next: 'InvalidInput' },
    ],
    Default: 'UseGivenRolloutId',
  });
  add('InvalidInput', {
    Type: 'Fail',
    Error: ROLLOUT_ERRORS.invalidInput,
    Cause: 'Start a rollout with {"image": "<repository>:<tag> or <repository>@<digest>", "rolloutId": "<optional id>"}: image a non-empty string, rolloutId (if given) a non-empty string.',
  });
  const afterInput = c.imageRepositoryUri ? 'CheckImageRepository' : 'TakeLock';
  add('UseGivenRolloutId', { Type: 'Pass', Parameters: { 'image.$': '$.image', 'rolloutId.$': '$.rolloutId' }, ResultPath: '$.input', Next: afterInput });
  add('UseExecutionName', { Type: 'Pass', Parameters: { 'image.$': '$.image', 'rolloutId.$': '$$.Execution.Name' }, ResultPath: '$.input', Next: afterInput });
  if (c.imageRepositoryUri) {
    // Releases come from the slots' repository: `<uri>:<tag>` or `<uri>@sha256:<digest>`. Any
    // other image is refused before the lock is taken and before anything is deployed. (A
    // repository URI holds no `*` or backslash, the only characters StringMatches treats apart.)
    add('CheckImageRepository', {
      Type: 'Choice',
      Choices: [
        { Variable: '$.input.image', StringMatches: `${c.imageRepositoryUri}:*`, Next: 'TakeLock' },
        { Variable: '$.input.image', StringMatches: `${c.imageRepositoryUri}@sha256:*`, Next: 'TakeLock' },
      ],
      Default: 'ImageNotInRepository',
    });
    add('ImageNotInRepository', {
      Type: 'Fail',
      Error: ROLLOUT_ERRORS.invalidInput,
      Cause: `The image is not one of the repository the slots of ${c.label} release from: give ${c.imageRepositoryUri}:<tag> or ${c.imageRepositoryUri}@sha256:<digest>.`,
    });
  }

  // 2. One rollout at a time: the lock, taken, or taken over from a holder that no longer runs.
  for (const [name, state] of Object.entries(lockStates({ tableName: c.tableName, label: c.label, next: 'ChooseSlots' }))) add(name, state);

  // 3. Which slot is live decides which one gets the release.
  add('ChooseSlots', {
    Type: 'Choice',
    Choices: [{ Variable: '$.lock.liveSlot', StringEquals: 'green', Next: 'GreenIsLive' }],
    Default: 'BlueIsLive',
  });
  add('BlueIsLive', { Type: 'Pass', Result: { live: slotData(c.blue), idle: slotData(c.green) }, ResultPath: '$.slots', Next: 'TookOver' });
  add('GreenIsLive', { Type: 'Pass', Result: { live: slotData(c.green), idle: slotData(c.blue) }, ResultPath: '$.slots', Next: 'TookOver' });
  add('TookOver', { Type: 'Choice', Choices: [{ ...TOOK_OVER, Next: 'Takeover' }], Default: 'NoTakeover' });
  // Whose lock this rollout took over, for its outcome event (`tookOverFrom`, empty without a takeover).
  const holder = TOOK_OVER_FROM.M;
  add('Takeover', {
    Type: 'Pass',
    Parameters: { 'rolloutId.$': holder.rolloutId['S.$'], 'execution.$': holder.execution['S.$'], 'status.$': holder.status['S.$'] },
    ResultPath: '$.takeover',
    Next: 'RecordTakeover',
  });
  add('NoTakeover', { Type: 'Pass', Result: {}, ResultPath: '$.takeover', Next: 'RecordRollout' });
  // The rollout item; a takeover also records whose lock it took (a JSONPath Parameters object
  // cannot leave a key out at run time, hence two states).
  const recordRollout = (extra: State, next: string): State => ddb('putItem', {
    Item: {
      pk: ROLLOUT_KEY.pk,
      status: { S: 'IN_PROGRESS' },
      image: { 'S.$': '$.input.image' },
      fromSlot: { 'S.$': '$.slots.live.name' },
      toSlot: { 'S.$': '$.slots.idle.name' },
      startedAt: { 'S.$': '$$.State.EnteredTime' },
      execution: { 'S.$': '$$.Execution.Id' },
      steps: { L: [] },
      ...extra,
    },
    ConditionExpression: 'attribute_not_exists(pk)',
  }, next, {
    Catch: [
      { ErrorEquals: ['DynamoDB.ConditionalCheckFailedException'], ResultPath: '$.error', Next: 'ReleaseLockOfRepeat' },
      // The lock is taken: any other failure must release it, or every later rollout is refused.
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RolloutNotRecorded' },
    ],
  });
  add('RecordRollout', recordRollout({}, 'PlanSteps'));
  add('RecordTakeover', recordRollout({ tookOverFrom: TOOK_OVER_FROM }, 'CloseHolderRollout'));
  // The holder's rollout item, left IN_PROGRESS by an execution that ended without recording
  // its outcome, is closed as ABANDONED (only if it is still IN_PROGRESS: a holder that recorded
  // its outcome but not the lock's release keeps it). Best effort: nothing of this rollout
  // depends on it, so a failure goes on with the plan.
  add('CloseHolderRollout', ddb('updateItem', {
    Key: { pk: { 'S.$': `States.Format('rollout#{}', ${TOOK_OVER_FROM.M.rolloutId['S.$']})` } },
    UpdateExpression: 'SET #status = :abandoned, endedAt = :now, takenOverBy = :id',
    ConditionExpression: '#status = :inProgress',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':abandoned': { S: ABANDONED_STATUS },
      ':inProgress': { S: 'IN_PROGRESS' },
      ':now': { 'S.$': '$$.State.EnteredTime' },
      ':id': { 'S.$': '$.input.rolloutId' },
    },
  }, 'PlanSteps', { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.closeError', Next: 'PlanSteps' }] }));
  outcome('RolloutNotRecorded', ROLLOUT_STATUS.failed, 'RELEASE_FAILED', ROLLOUT_ERRORS.releaseFailed, 'RecordOutcome', '0');
  add('ReleaseLockOfRepeat', ddb('updateItem', {
    Key: SERVICE_KEY,
    UpdateExpression: `REMOVE ${LOCK_ATTRIBUTES}`,
    ConditionExpression: HELD_BY_THIS_EXECUTION,
    ExpressionAttributeValues: { ':id': { 'S.$': '$.input.rolloutId' }, ...THIS_EXECUTION },
  }, 'AlreadyDone'));
  add('AlreadyDone', { Type: 'Succeed', Comment: 'This rollout id already ran: nothing to do.' });

  // 4. The plan, as data.
  const plan = c.plan.steps.map((step) => ({
    index: step.index,
    // The 1-based step number, the value of the Step metric.
    number: step.index + 1,
    percent: step.percent,
    livePercent: 100 - step.percent,
    percentText: String(step.percent),
    livePercentText: String(100 - step.percent),
    lastPoll: step.polls - 1,
    approvalBefore: step.approvalBefore,
    last: step.last,
  }));
  add('PlanSteps', {
    Type: 'Pass',
    Result: { steps: plan, before: { percent: 0, percentText: '0' } },
    ResultPath: '$.plan',
    Next: 'NoStepYet',
  });
  add('NoStepYet', { Type: 'Pass', Parameters: { 'step.$': '$.plan.before' }, ResultPath: '$.at', Next: 'DescribeLiveSlot' });

  // 5. Release: the idle slot gets a copy of its task definition with the new image.
  add('DescribeLiveSlot', {
    Type: 'Task',
    Resource: sdk('ecs', 'describeServices'),
    Parameters: { 'Cluster.$': '$.slots.live.clusterArn', 'Services.$': 'States.Array($.slots.live.serviceArn)' },
    ResultSelector: { 'desired.$': '$.Services[0].DesiredCount' },
    ResultPath: '$.liveService',
    Retry: retry('ecs'),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ReleaseFailed' }],
    Next: 'DescribeTaskDefinition',
  });
  add('DescribeTaskDefinition', {
    Type: 'Task',
    Resource: sdk('ecs', 'describeTaskDefinition'),
    Parameters: { 'TaskDefinition.$': '$.slots.idle.taskDefinitionArn' },
    ResultSelector: { 'definition.$': '$.TaskDefinition' },
    ResultPath: '$.current',
    Retry: retry('ecs'),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ReleaseFailed' }],
    Next: 'NewImage',
  });
  // What a release changes in the app container: its image, and RELEASE_ID (which the template
  // sets to the image the slot was built with) to the released image.
  add('NewImage', {
    Type: 'Pass',
    Parameters: {
      override: { 'Image.$': '$.input.image' },
      variable: { 'Name': 'RELEASE_ID', 'Value.$': '$.input.image' },
      environment: { Environment: [{ 'Name': 'RELEASE_ID', 'Value.$': '$.input.image' }] },
    },
    ResultPath: '$.release',
    Next: 'CopyContainers',
  });
  add('CopyContainers', copyContainersState(c.appContainerIndex, c.resourceAttributesPrefix));
  const register = registerReleaseParameters(c.ephemeralStorage);
  add('RegisterRelease', {
    Type: 'Task',
    Resource: sdk('ecs', 'registerTaskDefinition'),
    Parameters: register,
    ResultSelector: { 'arn.$': '$.TaskDefinition.TaskDefinitionArn' },
    ResultPath: '$.release',
    Retry: retry('ecs'),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ReleaseFailed' }],
    Next: c.scaleInOldSlot ? 'RestoreIdleScaling' : 'DeployIdleSlot',
  });
  if (c.scaleInOldSlot) {
    setScaling('Restore', '$.slots.idle.name', 'RestoreIdleScaling', (slot) => [slot.minCapacity, slot.maxCapacity], 'DeployIdleSlot',
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ReleaseFailed' });
  }
  add('DeployIdleSlot', {
    Type: 'Task',
    Resource: sdk('ecs', 'updateService'),
    Parameters: {
      'Cluster.$': '$.slots.idle.clusterArn',
      'Service.$': '$.slots.idle.serviceArn',
      'TaskDefinition.$': '$.release.arn',
      'DesiredCount.$': '$.liveService.desired',
      'ForceNewDeployment': true,
    },
    ResultSelector: { 'id.$': '$.Service.Deployments[0].Id' },
    ResultPath: '$.deployment',
    Retry: retry('ecs'),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ReleaseFailed' }],
    Next: 'RecordIdleImage',
  });
  // What the idle slot runs now, for deployments (rollout-live-state.ts). If it cannot be
  // recorded, the release fails before any traffic: a deployment would put the slot's recorded
  // image back on it, which is harmless while it has no traffic, not once it has.
  add('RecordIdleImage', recordIdleImageState(c.tableName, 'StartHealthWait', { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ReleaseFailed' }));
  // A record refused because the lock is no longer this execution's: another start took it over
  // (this execution was thought ended: redriven, say). It stops at once, touching nothing more:
  // the weights and the lock are the new holder's.
  add('LockTakenOver', {
    Type: 'Fail',
    Error: ROLLOUT_ERRORS.lockTakenOver,
    Cause: `The lock of ${c.label} was taken over by another rollout while this execution ran: it stopped without changing anything more.`,
  });
  outcome('ReleaseFailed', ROLLOUT_STATUS.failed, 'RELEASE_FAILED', ROLLOUT_ERRORS.releaseFailed, 'RecordOutcome');

  // 6. Wait until the idle slot is steady and healthy, with a timeout.
  add('StartHealthWait', { Type: 'Pass', Result: { count: 0 }, ResultPath: '$.health', Next: 'WaitForIdleSlot' });
  add('WaitForIdleSlot', { Type: 'Wait', Seconds: c.plan.healthPollSeconds, Next: 'AbortWhileDeploying' });
  addAll(abortCheckStates(c.tableName, 'AbortWhileDeploying', 'DescribeIdleSlot', 'AbortedBeforeTraffic'));
  // An operator's abort before the new slot had any traffic: nothing to roll back.
  outcome('AbortedBeforeTraffic', ROLLOUT_STATUS.failed, 'ABORTED', ROLLOUT_ERRORS.aborted, 'RecordOutcome');
  add('DescribeIdleSlot', {
    Type: 'Task',
    Resource: sdk('ecs', 'describeServices'),
    Parameters: { 'Cluster.$': '$.slots.idle.clusterArn', 'Services.$': 'States.Array($.slots.idle.serviceArn)' },
    ResultSelector: {
      'deployments.$': '$.Services[0].Deployments',
      'deploymentCount.$': 'States.ArrayLength($.Services[0].Deployments)',
      'running.$': '$.Services[0].RunningCount',
      'desired.$': '$.Services[0].DesiredCount',
    },
    ResultPath: '$.idleService',
    Retry: retry('ecs'),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'IdleSlotUnhealthy' }],
    Next: 'IdleSlotSteady',
  });
  add('IdleSlotSteady', {
    Type: 'Choice',
    Choices: [
      {
        // ECS replaced our deployment (circuit breaker rollback) or marked it failed.
        Or: [
          { Variable: '$.idleService.deployments[0].RolloutState', StringEquals: 'FAILED' },
          { Not: { Variable: '$.idleService.deployments[0].Id', StringEqualsPath: '$.deployment.id' } },
        ],
        Next: 'IdleSlotUnhealthy',
      },
      {
        // ECS marks a deployment COMPLETED once its tasks pass the load balancer health
        // checks and the old tasks are gone.
        And: [
          { Variable: '$.idleService.deploymentCount', NumericEquals: 1 },
          { Variable: '$.idleService.deployments[0].RolloutState', StringEquals: 'COMPLETED' },
          { Variable: '$.idleService.running', NumericEqualsPath: '$.idleService.desired' },
          { Variable: '$.idleService.desired', NumericGreaterThan: 0 },
        ],
        Next: 'StartStep',
      },
      { Variable: '$.health.count', NumericGreaterThanEquals: c.plan.healthPolls - 1, Next: 'IdleSlotUnhealthy' },
    ],
    Default: 'CountHealthPoll',
  });
  add('CountHealthPoll', { Type: 'Pass', Parameters: { 'count.$': 'States.MathAdd($.health.count, 1)' }, ResultPath: '$.health', Next: 'WaitForIdleSlot' });
  outcome('IdleSlotUnhealthy', ROLLOUT_STATUS.failed, 'IDLE_SLOT_UNHEALTHY', ROLLOUT_ERRORS.unhealthy, 'RecordOutcome');

  // 7. Steps: weights, DNS in sync, bake while polling the alarms.
  add('StartStep', { Type: 'Pass', Result: { index: 0 }, ResultPath: '$.cursor', Next: 'LoadStep' });
  add('LoadStep', { Type: 'Pass', Parameters: { 'step.$': 'States.ArrayGetItem($.plan.steps, $.cursor.index)' }, ResultPath: '$.at', Next: 'NeedsApproval' });
  add('NeedsApproval', {
    Type: 'Choice',
    Choices: [{ Variable: '$.at.step.approvalBefore', BooleanEquals: true, Next: c.approvalTopicArn ? 'RequestApproval' : 'AbortBeforeStep' }],
    Default: 'AbortBeforeStep',
  });
  if (c.approvalTopicArn) {
    add('RequestApproval', {
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish.waitForTaskToken',
      Parameters: {
        'TopicArn': c.approvalTopicArn,
        'Subject': approvalSubject(c.label),
        'Message.$': `States.Format('Rollout {} of ${c.label} (image {}) passed every step before the last. Approve the last step (100% to the new slot) with: aws stepfunctions send-task-success --task-token {} --task-output {}. Abort and roll back with: aws stepfunctions send-task-failure --task-token {} --error ${ROLLOUT_ERRORS.aborted}', $.input.rolloutId, $.input.image, $$.Task.Token, '\\{\\}', $$.Task.Token)`,
        'MessageAttributes': {
          rolloutId: { 'DataType': 'String', 'StringValue.$': '$.input.rolloutId' },
          taskToken: { 'DataType': 'String', 'StringValue.$': '$$.Task.Token' },
        },
      },
      TimeoutSeconds: c.plan.approvalTimeoutSeconds,
      ResultPath: null,
      Retry: retry('sns'),
      Catch: [
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'ApprovalTimedOut' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ApprovalRefused' },
      ],
      Next: 'CheckAlarmsAfterApproval',
    });
    // Nothing polls the alarms while the approval waits (up to approvalTimeout): an alarm that
    // went off meanwhile must stop the last step before it gets any traffic.
    checkAlarms('CheckAlarmsAfterApproval', 'AlarmFiringAfterApproval');
    add('AlarmFiringAfterApproval', { Type: 'Choice', Choices: [{ ...firing, Next: 'AlarmFired' }], Default: 'AbortBeforeStep' });
    outcome('ApprovalTimedOut', ROLLOUT_STATUS.rolledBack, 'APPROVAL_TIMED_OUT', ROLLOUT_ERRORS.approvalTimedOut, 'RestoreWeights');
    outcome('ApprovalRefused', ROLLOUT_STATUS.rolledBack, 'ABORTED', ROLLOUT_ERRORS.aborted, 'RestoreWeights');
  }
  // An operator's abort that came while nothing polled (an approval answered meanwhile) stops
  // the step before its weights.
  addAll(abortCheckStates(c.tableName, 'AbortBeforeStep', 'RecordStepWeights', 'AbortRequested'));
  // The step's weights are recorded for deployments before they are set: the record is
  // conditioned on this execution's lock, so an execution whose lock was taken over stops
  // (LockTakenOver) before it touches the records. A record that fails otherwise rolls back.
  add('RecordStepWeights', recordWeightsState(c.tableName, { path: '$.at.step.percentText' }, { path: '$.at.step.livePercentText' },
    'SetWeights', { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'StepFailed' }));
  add('SetWeights', {
    Type: 'Task',
    Resource: sdk('route53', 'changeResourceRecordSets'),
    Parameters: changeWeights('$.at.step.percent', '$.at.step.livePercent'),
    ResultSelector: { 'id.$': '$.ChangeInfo.Id' },
    ResultPath: '$.change',
    Retry: retry('route53'),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'StepFailed' }],
    Next: 'PublishStepMetrics',
  });
  // Metrics of the weights just set (the step's), then on whether or not CloudWatch took them.
  add('PublishStepMetrics', publishMetricsState(c.label,
    { idleWeight: { path: '$.at.step.percent' }, liveWeight: { path: '$.at.step.livePercent' }, step: { path: '$.at.step.number' } }, 'StartDnsWait'));
  add('StartDnsWait', { Type: 'Pass', Result: { count: 0 }, ResultPath: '$.dns', Next: 'WaitForDns' });
  add('WaitForDns', { Type: 'Wait', Seconds: c.plan.dnsPollSeconds, Next: 'AbortWhileDnsSyncs' });
  addAll(abortCheckStates(c.tableName, 'AbortWhileDnsSyncs', 'CheckDns', 'AbortRequested'));
  add('CheckDns', {
    Type: 'Task',
    Resource: sdk('route53', 'getChange'),
    Parameters: { 'Id.$': '$.change.id' },
    ResultSelector: { 'status.$': '$.ChangeInfo.Status' },
    ResultPath: '$.dnsChange',
    Retry: retry('route53'),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'StepFailed' }],
    Next: 'CheckAlarmsWhileDnsSyncs',
  });
  // The new slot has traffic (this step's or the previous step's weight) while Route 53 syncs,
  // which often takes a minute: the alarms are polled with every GetChange, so that no two
  // alarm checks are further apart than the alarm poll interval (the DNS poll is not longer).
  checkAlarms('CheckAlarmsWhileDnsSyncs', 'DnsInSync');
  add('DnsInSync', {
    Type: 'Choice',
    Choices: [
      { ...firing, Next: 'AlarmFired' },
      { Variable: '$.dnsChange.status', StringEquals: 'INSYNC', Next: 'StartBake' },
      { Variable: '$.dns.count', NumericGreaterThanEquals: c.plan.dnsPolls - 1, Next: 'DnsNotInSync' },
    ],
    Default: 'CountDnsPoll',
  });
  add('CountDnsPoll', { Type: 'Pass', Parameters: { 'count.$': 'States.MathAdd($.dns.count, 1)' }, ResultPath: '$.dns', Next: 'WaitForDns' });
  outcome('DnsNotInSync', ROLLOUT_STATUS.rolledBack, 'DNS_NOT_IN_SYNC', ROLLOUT_ERRORS.dnsNotInSync, 'RestoreWeights');
  outcome('StepFailed', ROLLOUT_STATUS.rolledBack, 'STEP_FAILED', ROLLOUT_ERRORS.stepFailed, 'RestoreWeights');

  add('StartBake', { Type: 'Pass', Result: { count: 0 }, ResultPath: '$.bake', Next: 'Bake' });
  add('Bake', { Type: 'Wait', Seconds: c.plan.alarmPollSeconds, Next: 'AbortWhileBaking' });
  addAll(abortCheckStates(c.tableName, 'AbortWhileBaking', 'CheckAlarms', 'AbortRequested'));
  // An operator's abort (npx cdk-microservices rollout abort): back to the live slot, as a refused approval.
  outcome('AbortRequested', ROLLOUT_STATUS.rolledBack, 'ABORTED', ROLLOUT_ERRORS.aborted, 'RestoreWeights');
  checkAlarms('CheckAlarms', 'AlarmFiring');
  add('AlarmFiring', {
    Type: 'Choice',
    Choices: [
      { ...firing, Next: 'AlarmFired' },
      { Variable: '$.bake.count', NumericGreaterThanEqualsPath: '$.at.step.lastPoll', Next: 'StepPassed' },
    ],
    Default: 'CountBakePoll',
  });
  add('CountBakePoll', { Type: 'Pass', Parameters: { 'count.$': 'States.MathAdd($.bake.count, 1)' }, ResultPath: '$.bake', Next: 'Bake' });
  outcome('AlarmFired', ROLLOUT_STATUS.rolledBack, 'ALARM', ROLLOUT_ERRORS.rolledBack, 'RestoreWeights');
  add('StepPassed', ddb('updateItem', {
    Key: ROLLOUT_KEY,
    UpdateExpression: 'SET steps = list_append(steps, :step), currentPercent = :percent',
    ExpressionAttributeValues: {
      ':step': { L: [{ M: { percent: { 'N.$': '$.at.step.percentText' }, outcome: { S: 'PASSED' }, at: { 'S.$': '$$.State.EnteredTime' } } }] },
      ':percent': { 'N.$': '$.at.step.percentText' },
    },
  }, 'LastStep', { Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'StepFailed' }] }));
  add('LastStep', {
    Type: 'Choice',
    Choices: [{ Variable: '$.at.step.last', BooleanEquals: true, Next: 'RecordSucceeded' }],
    Default: 'NextStep',
  });
  add('NextStep', { Type: 'Pass', Parameters: { 'index.$': 'States.MathAdd($.cursor.index, 1)' }, ResultPath: '$.cursor', Next: 'LoadStep' });

  // 8. Rollback: all traffic to the live slot at once.
  add('RestoreWeights', {
    Type: 'Task',
    Resource: sdk('route53', 'changeResourceRecordSets'),
    Parameters: changeWeights(0, 100),
    ResultPath: null,
    Retry: retry('route53', 10),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RollbackFailed' }],
    Next: 'RecordRestoredWeights',
  });
  // The weights are back first (a rollback waits for nothing), then recorded, best effort: if the
  // record fails, $.liveStateError says so in the history, and deployments read the weights of a
  // canary at rest from its live slot, not from this record.
  add('RecordRestoredWeights', recordWeightsState(c.tableName, '0', '100', 'PublishRollbackMetrics',
    { ErrorEquals: ['States.ALL'], ResultPath: '$.liveStateError', Next: 'PublishRollbackMetrics' }));
  // Metrics of the rollback: the new slot 0, the live slot 100, step 0.
  add('PublishRollbackMetrics', publishMetricsState(c.label, { idleWeight: 0, liveWeight: 100, step: 0 }, 'RecordOutcome'));
  add('RollbackFailed', {
    Type: 'Fail',
    Error: ROLLOUT_ERRORS.rollbackFailed,
    Cause: `The weights of ${c.label} could not be set back to the live slot: check the records. The lock stays with this execution; the next rollout takes it over (and sets both weights at its first step).`,
  });

  // 9. Every ending but success: record, release the lock, emit the event, fail by name.
  add('RecordOutcome', ddb('updateItem', {
    Key: ROLLOUT_KEY,
    UpdateExpression: 'SET #status = :status, reason = :reason, endedAt = :now, failedAtPercent = :percent',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: {
      ':status': { 'S.$': '$.outcome.status' },
      ':reason': { 'S.$': '$.outcome.reason' },
      ':now': { 'S.$': '$$.State.EnteredTime' },
      ':percent': { 'N.$': '$.outcome.percent' },
    },
  }, 'ReleaseLock', {
    // The record is history; the lock and the event matter more: go on without it.
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: 'ReleaseLock' }],
  }));
  add('ReleaseLock', ddb('updateItem', {
    Key: SERVICE_KEY,
    UpdateExpression: `REMOVE ${LOCK_ATTRIBUTES} SET lastRollout = :id, lastStatus = :status`,
    ConditionExpression: HELD_BY_THIS_EXECUTION,
    ExpressionAttributeValues: { ':id': { 'S.$': '$.input.rolloutId' }, ...THIS_EXECUTION, ':status': { 'S.$': '$.outcome.status' } },
  }, 'EmitOutcome'));
  add('EmitOutcome', {
    Type: 'Task',
    Resource: 'arn:aws:states:::events:putEvents',
    Parameters: outcomeEventParameters(c.eventSource, c.label),
    ResultPath: null,
    Retry: retry('events'),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.eventError', Next: 'FailWith' }],
    Next: 'FailWith',
  });
  const failures = [ROLLOUT_ERRORS.releaseFailed, ROLLOUT_ERRORS.unhealthy, ROLLOUT_ERRORS.rolledBack, ROLLOUT_ERRORS.aborted,
    ROLLOUT_ERRORS.approvalTimedOut, ROLLOUT_ERRORS.dnsNotInSync, ROLLOUT_ERRORS.stepFailed];
  const failState = (error: string) => error.replace('CanaryDeployment.', 'Fail');
  add('FailWith', {
    Type: 'Choice',
    Choices: failures.slice(1).map((error) => ({ Variable: '$.outcome.error', StringEquals: error, Next: failState(error) })),
    Default: failState(failures[0]),
  });
  for (const error of failures) add(failState(error), { Type: 'Fail', Error: error, Cause: FAILURE_CAUSES[error] });

  // 10. Promotion: record the new live slot, retire the old one, emit, succeed.
  add('RecordSucceeded', {
    Type: 'Pass',
    Parameters: { 'status': ROLLOUT_STATUS.succeeded, 'reason': 'PROMOTED', 'liveSlot.$': '$.slots.idle.name', 'percent': '100' },
    ResultPath: '$.outcome',
    Next: 'RecordPromotion',
  });
  add('RecordPromotion', ddb('updateItem', {
    Key: ROLLOUT_KEY,
    UpdateExpression: 'SET #status = :status, reason = :reason, endedAt = :now',
    ExpressionAttributeNames: { '#status': 'status' },
    ExpressionAttributeValues: { ':status': { S: ROLLOUT_STATUS.succeeded }, ':reason': { S: 'PROMOTED' }, ':now': { 'S.$': '$$.State.EnteredTime' } },
  }, c.scaleInOldSlot ? 'RetireOldSlot' : 'Promote', {
    // The traffic is on the new slot already: promote it even if its history cannot be written.
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.recordError', Next: c.scaleInOldSlot ? 'RetireOldSlot' : 'Promote' }],
  }));
  if (c.scaleInOldSlot) {
    setScaling('Retire', '$.slots.live.name', 'RetireOldSlot', () => [0, 0], 'ScaleInOldSlot',
      { ErrorEquals: ['States.ALL'], ResultPath: '$.retireError', Next: 'Promote' });
    add('ScaleInOldSlot', {
      Type: 'Task',
      Resource: sdk('ecs', 'updateService'),
      Parameters: { 'Cluster.$': '$.slots.live.clusterArn', 'Service.$': '$.slots.live.serviceArn', 'DesiredCount': 0 },
      ResultPath: null,
      Retry: retry('ecs'),
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.retireError', Next: 'Promote' }],
      Next: 'Promote',
    });
  }
  add('Promote', ddb('updateItem', {
    Key: SERVICE_KEY,
    UpdateExpression: `SET liveSlot = :slot, liveImage = :image, lastRollout = :id, lastStatus = :status REMOVE ${LOCK_ATTRIBUTES}`,
    ConditionExpression: HELD_BY_THIS_EXECUTION,
    ExpressionAttributeValues: {
      ':slot': { 'S.$': '$.slots.idle.name' },
      ':image': { 'S.$': '$.input.image' },
      ':id': { 'S.$': '$.input.rolloutId' },
      ...THIS_EXECUTION,
      ':status': { S: ROLLOUT_STATUS.succeeded },
    },
  }, 'PublishPromotionMetrics'));
  // Metrics of the promotion: the new slot is live with the last step's weights (the new slot
  // 100, the old one 0), step N (the number of steps). Promote sets no weights: the last step did.
  add('PublishPromotionMetrics', publishMetricsState(c.label, { idleWeight: 100, liveWeight: 0, step: c.plan.steps.length }, 'EmitSucceeded'));
  add('EmitSucceeded', {
    Type: 'Task',
    Resource: 'arn:aws:states:::events:putEvents',
    Parameters: outcomeEventParameters(c.eventSource, c.label),
    ResultPath: null,
    Retry: retry('events'),
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.eventError', Next: 'Promoted' }],
    Next: 'Promoted',
  });
  add('Promoted', { Type: 'Succeed' });

  return {
    Comment: `Canary rollout of ${c.label}: release to the idle slot, shift Route 53 weights step by step under alarms, promote or roll back.`,
    StartAt: 'CheckInput',
    TimeoutSeconds: c.plan.timeoutSeconds,
    States: states,
  };
}
