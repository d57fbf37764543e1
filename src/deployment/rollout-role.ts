/**
 * The rollout role: what the state machine of a canary may do (its IAM policy, least
 * privilege), and the reasons for the findings that remain.
 */
import {
  Arn, ArnFormat, Lazy, Stack, Token,
  aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_kms as kms,
  aws_sns as sns,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { METRICS_NAMESPACE } from './rollout-metrics';
import { acknowledge, nagString, nistAndHipaa } from '../private/acknowledge';
import { TwelveFactorService } from '../service';

/** What a canary's rollout touches. */
export interface RolloutResources {
  /** The state table. */
  readonly table: dynamodb.Table;
  /** The slots, blue then green. */
  readonly slots: TwelveFactorService[];
  readonly hostedZoneId: string;
  /** The fully qualified record name. */
  readonly domainName: string;
  /** Whether the records are CNAMEs (otherwise alias A records). */
  readonly cname: boolean;
  /** Every alarm the rollout reads, resolved at synth (the list may still grow). */
  readonly alarms: () => cloudwatch.IAlarm[];
  /** The `source` of the events the rollout emits. */
  readonly eventSource: string;
  readonly approvalTopic?: sns.ITopic;
  /** Whether the old slot scales in after a rollout. */
  readonly scaleIn: boolean;
}

/**
 * The use of the state table's key that reading and writing the table needs (DynamoDB uses the
 * key on behalf of the caller), through DynamoDB only.
 */
export function stateTableKeyStatement(scope: IConstruct, key: kms.IKey): iam.PolicyStatement {
  const stack = Stack.of(scope);
  return new iam.PolicyStatement({
    sid: 'UseStateTableKey',
    actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
    resources: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${stack.region}.${stack.urlSuffix}` } },
  });
}

/** Grants the rollout role of a canary what its state machine does, and nothing else. */
export function grantRollout(role: iam.IRole, r: RolloutResources): void {
  const stack = Stack.of(role);
  const slots = r.slots;
  const add = (statement: iam.PolicyStatement) => role.addToPrincipalPolicy(statement);
  r.table.grant(role, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
  // The table is encrypted with the environment's customer managed key, and `table.grant` grants
  // no key use: DynamoDB uses the key on behalf of the caller, which needs kms:Decrypt (the
  // table key, for reads and writes), kms:GenerateDataKey and kms:DescribeKey, through DynamoDB
  // only ("Authorizing use of your customer managed key" and its kms:ViaService example):
  // https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html
  const key = r.table.encryptionKey;
  if (key) add(stateTableKeyStatement(role, key));
  add(new iam.PolicyStatement({
    sid: 'DescribeTaskDefinitions',
    actions: ['ecs:DescribeTaskDefinition'],
    resources: ['*'],
  }));
  add(new iam.PolicyStatement({
    sid: 'RegisterReleases',
    actions: ['ecs:RegisterTaskDefinition'],
    resources: slots.map((s) => stack.formatArn({
      service: 'ecs', resource: 'task-definition', resourceName: `${s.taskDefinition.family}:*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    })),
  }));
  add(new iam.PolicyStatement({
    sid: 'PassSlotRoles',
    actions: ['iam:PassRole'],
    resources: slots.flatMap((s) => [s.taskRole.roleArn, s.executionRole.roleArn]),
    conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
  }));
  add(new iam.PolicyStatement({
    sid: 'DeploySlots',
    actions: ['ecs:UpdateService', 'ecs:DescribeServices'],
    resources: slots.map((s) => s.service.serviceArn),
  }));
  add(new iam.PolicyStatement({
    sid: 'ShiftWeights',
    actions: ['route53:ChangeResourceRecordSets'],
    resources: [Arn.format({ partition: stack.partition, service: 'route53', region: '', account: '', resource: 'hostedzone', resourceName: r.hostedZoneId })],
    conditions: {
      'ForAllValues:StringEquals': {
        'route53:ChangeResourceRecordSetsNormalizedRecordNames': [Token.isUnresolved(r.domainName) ? r.domainName : r.domainName.toLowerCase()],
        'route53:ChangeResourceRecordSetsRecordTypes': [r.cname ? 'CNAME' : 'A'],
        'route53:ChangeResourceRecordSetsActions': ['UPSERT'],
      },
    },
  }));
  add(new iam.PolicyStatement({
    sid: 'WatchDnsChanges',
    actions: ['route53:GetChange'],
    resources: [Arn.format({ partition: stack.partition, service: 'route53', region: '', account: '', resource: 'change', resourceName: '*' })],
  }));
  add(new iam.PolicyStatement({
    sid: 'ReadAlarms',
    actions: ['cloudwatch:DescribeAlarms'],
    resources: Lazy.list({
      produce: () => r.alarms().map((a) => a.alarmArn),
    }),
  }));
  add(new iam.PolicyStatement({
    sid: 'EmitEvents',
    actions: ['events:PutEvents'],
    resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
    conditions: { 'ForAllValues:StringEquals': { 'events:source': [r.eventSource] }, 'Null': { 'events:source': 'false' } },
  }));
  // cloudwatch:PutMetricData supports no resource-level permission: any resource, limited to the
  // rollout metrics' namespace by the cloudwatch:namespace condition key:
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html
  add(new iam.PolicyStatement({
    sid: 'PublishRolloutMetrics',
    actions: ['cloudwatch:PutMetricData'],
    resources: ['*'],
    conditions: { StringEquals: { 'cloudwatch:namespace': METRICS_NAMESPACE } },
  }));
  if (r.approvalTopic) r.approvalTopic.grantPublish(role);
  if (r.scaleIn) {
    add(new iam.PolicyStatement({
      sid: 'ScaleSlots',
      actions: ['application-autoscaling:RegisterScalableTarget'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'application-autoscaling:service-namespace': 'ecs', 'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount' },
      },
    }));
  }
}

/**
 * Lets the state machine read the status of its own executions (`states:DescribeExecution`), to
 * know whether the holder of a lock still runs, and nothing else: executions of this state
 * machine only, `arn:<partition>:states:<region>:<account>:execution:<state machine name>:*`.
 *
 * The name is generated by CloudFormation and the state machine depends on its role's default
 * policy (CDK adds the dependency so that the role can act from the first execution): naming the
 * state machine there would be a dependency cycle. So the statement is a policy of its own,
 * `DescribeOwnExecutions` under the state machine, attached to the role after the state machine
 * exists. An execution started before it is attached (during the stack's first deployment) is
 * denied DescribeExecution and refuses a held lock, as for any status it cannot read.
 */
export function grantDescribeOwnExecutions(stateMachine: sfn.StateMachine): iam.Policy {
  const stack = Stack.of(stateMachine);
  const executions = stack.formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${stateMachine.stateMachineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const policy = new iam.Policy(stateMachine, 'DescribeOwnExecutions', {
    roles: [stateMachine.role],
    statements: [new iam.PolicyStatement({ sid: 'DescribeLockHolders', actions: ['states:DescribeExecution'], resources: [executions] })],
  });
  acknowledge(policy, [{
    id: `AwsSolutions-IAM5[Resource::${nagString(stack, executions)}]`,
    reason: 'A start that finds the rollout lock held reads the status of the execution that holds it, which Step Functions names at run time: any execution of this state machine, no other.',
  }]);
  return policy;
}

/** Acknowledges the findings that remain on the rollout role and the state machine, with reasons. */
export function acknowledgeRolloutFindings(stateMachine: sfn.StateMachine, r: RolloutResources): void {
  const role = stateMachine.role;
  const stack = Stack.of(stateMachine);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  const metrics = `cloudwatch:PutMetricData supports no resource-level permission, so it is limited to the namespace ${METRICS_NAMESPACE} by the cloudwatch:namespace condition key`;
  acknowledge(role, [
    {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: r.scaleIn
        ? `ecs:DescribeTaskDefinition supports no resource-level permission; ${metrics}; application-autoscaling:RegisterScalableTarget names scalable targets by generated ids unknown at synth, so it is limited to ECS service counts by condition keys.`
        : `ecs:DescribeTaskDefinition supports no resource-level permission; ${metrics}; every other action names its table, services, task definition families, roles, zone, alarms or event bus.`,
    },
    {
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:route53:::change/*]',
      reason: 'route53:GetChange reads the status of a change by an id Route 53 gives at run time; change ids are not secret and reveal nothing else.',
    },
    ...r.slots.map((slot) => ({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ecs:${region}:${account}:task-definition/${slot.taskDefinition.family}:*]`,
      reason: 'A release registers a new revision of the slot\'s task definition family; revisions are numbered at run time, so the family is named with any revision.',
    })),
    // The state table's key gets precise actions (grantRollout); only the approval topic's
    // grantPublish (CDK) grants the GenerateDataKey* family, on the topic's key.
    ...(r.approvalTopic ? [{
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason: 'CDK\'s grantPublish gives this KMS action family on the one key that encrypts the approval topic, so the state machine can publish to it; the resource is the key, not *.',
    }] : []),
  ]);
  // On the state machine: its role and the push rule's role.
  acknowledge(stateMachine, nistAndHipaa('IAMNoInlinePolicy',
    'The state machine role and the push rule role are this canary\'s own, each with one policy scoped to its table, slots, records, alarms, event bus or state machine; a managed policy would add no reuse.'));
}
