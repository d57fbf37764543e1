/**
 * A canary's rollouts and EventBridge: the rule that starts a rollout on an ECR push, the events
 * a rollout emits when it ends, and the patterns that match them (built here next to the
 * events, so that a rule made by `onRolloutSucceeded()` and friends matches what the state
 * machine sends).
 */
import {
  aws_ecr as ecr,
  aws_events as events,
  aws_events_targets as eventsTargets,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The `source` of the events a rollout emits. */
export const EVENT_SOURCE = 'cdk-microservices.canary';

/** How a rollout ends: the `status` of its outcome, in its event and its record. */
export const ROLLOUT_STATUS = {
  /** Every step passed and the new slot is live. */
  succeeded: 'SUCCEEDED',
  /** The new slot had traffic and it all went back to the live slot. */
  rolledBack: 'ROLLED_BACK',
  /** The release never got traffic (it could not be deployed, the idle slot was unhealthy, or an operator aborted it first). */
  failed: 'FAILED',
};

const DETAIL_TYPE_PREFIX = 'Canary Rollout ';

/** The detail type of the event of a rollout that ended with `status`. */
export function rolloutDetailType(status: string): string {
  return `${DETAIL_TYPE_PREFIX}${status}`;
}

/**
 * The `Parameters` of the PutEvents task that emits a rollout's outcome (`$.outcome`): the
 * detail type is built from the status at run time, as `rolloutDetailType` builds it.
 */
export function outcomeEventParameters(eventSource: string, label: string): { [key: string]: unknown } {
  return {
    Entries: [{
      'Source': eventSource,
      'DetailType.$': `States.Format('${DETAIL_TYPE_PREFIX}{}', $.outcome.status)`,
      'Detail': {
        'service': label,
        'rolloutId.$': '$.input.rolloutId',
        'image.$': '$.input.image',
        'status.$': '$.outcome.status',
        'reason.$': '$.outcome.reason',
        'percent.$': '$.outcome.percent',
        'liveSlot.$': '$.outcome.liveSlot',
        'execution.$': '$$.Execution.Id',
        // The lock this rollout took over from an execution that had ended ({} if none).
        'tookOverFrom.$': '$.takeover',
      },
    }],
  };
}

/**
 * The pattern of the events of one canary's rollouts that ended with `status`: its source, the
 * detail type, and in the detail the canary (`service`, its construct path: every canary emits
 * from the same source) and the status.
 */
export function outcomeEventPattern(eventSource: string, label: string, status: string): events.EventPattern {
  return {
    source: [eventSource],
    detailType: [rolloutDetailType(status)],
    detail: { service: [label], status: [status] },
  };
}

/**
 * The rule `PushRule` of `canary` that starts a rollout of `stateMachine` when an image is pushed
 * to `repository` (with a tag starting with `tagPrefix`, if given). The rollout id is the image
 * digest, so a digest rolls out once.
 */
export function createPushRule(canary: Construct, stateMachine: sfn.IStateMachine, repository: ecr.IRepository, tagPrefix?: string): events.Rule {
  const rule = new events.Rule(canary, 'PushRule', {
    description: `Starts a canary rollout of ${canary.node.path} when an image is pushed to its repository`,
    eventPattern: {
      source: ['aws.ecr'],
      detailType: ['ECR Image Action'],
      detail: {
        'action-type': ['PUSH'],
        'result': ['SUCCESS'],
        'repository-name': [repository.repositoryName],
        'image-tag': tagPrefix !== undefined ? [{ prefix: tagPrefix }] : [{ exists: true }],
      },
    },
  });
  rule.addTarget(new eventsTargets.SfnStateMachine(stateMachine, {
    input: events.RuleTargetInput.fromObject({
      image: `${repository.repositoryUri}@${events.EventField.fromPath('$.detail.image-digest')}`,
      rolloutId: events.EventField.fromPath('$.detail.image-digest'),
    }),
    retryAttempts: 3,
  }));
  return rule;
}
