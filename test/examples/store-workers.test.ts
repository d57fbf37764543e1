// The reference app's workers as deployed (examples/store: platform.ts, workers.ts, users.ts): the compliance worker scales
// out within a minute of an alert and in after 15 quiet minutes; the scheduled replay of the email
// worker's dead letters may read its DLQ and send to its queue, knows both URLs and runs the
// worker's --replay; the backup vault does not block a retry after a failed first create.
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildStore } from '../../examples/store/store';
import { EventSubscription } from '../../src';

const store = buildStore({ context: { 'aws:cdk:disable-creation-stack-traces': true } });

/** The resources of one stack of the store, and the logical id of one of its constructs. */
function view(stack: Stack) {
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, any>;
  return {
    logicalId: (c: { node: { defaultChild?: unknown } } | unknown) => stack.getLogicalId((c as any).node.defaultChild ?? c),
    ofType: (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type),
  };
}
const refersTo = (value: unknown, id: string): boolean => JSON.stringify(value).includes(`"${id}"`);

describe('the compliance worker scales from zero on its alerts queue', () => {
  const { logicalId, ofType } = view(store.platform);
  const serviceId = logicalId(store.platform.complianceWorker.service);
  const [targetId] = ofType('AWS::ApplicationAutoScaling::ScalableTarget').find(([, r]) => refersTo(r.Properties.ResourceId, serviceId))!;
  const stepPolicies = ofType('AWS::ApplicationAutoScaling::ScalingPolicy')
    .filter(([, r]) => r.Properties.PolicyType === 'StepScaling' && refersTo(r.Properties.ScalingTargetId, targetId));
  const alarmsOf = (policyId: string) => ofType('AWS::CloudWatch::Alarm').filter(([, r]) => refersTo(r.Properties.AlarmActions, policyId)).map(([, r]) => r.Properties);
  const adjustments = (r: any): number[] => r.Properties.StepScalingPolicyConfiguration.StepAdjustments.map((a: any) => a.ScalingAdjustment);
  const scaleOut = stepPolicies.filter(([, r]) => adjustments(r).some((a) => a > 0));
  const scaleIn = stepPolicies.filter(([, r]) => adjustments(r).some((a) => a < 0));

  test('every alarm that adds a task goes off after one breaching minute (not 15)', () => {
    expect(scaleOut.length).toBeGreaterThan(0);
    for (const [id] of scaleOut) {
      const alarms = alarmsOf(id);
      expect(alarms).toHaveLength(1);
      for (const a of alarms) {
        expect(a).toMatchObject({ ComparisonOperator: 'GreaterThanOrEqualToThreshold', Threshold: 1, EvaluationPeriods: 1 });
        expect(a.DatapointsToAlarm ?? 1).toBe(1);
        // Its metric is read per minute.
        for (const m of a.Metrics.filter((x: any) => x.MetricStat)) expect(m.MetricStat.Period).toBe(60);
      }
    }
  });

  test('the alarm that removes the task waits for 15 minutes without an alert waiting or in flight', () => {
    expect(scaleIn).toHaveLength(1);
    const alarms = alarmsOf(scaleIn[0][0]);
    expect(alarms).toEqual([expect.objectContaining({ ComparisonOperator: 'LessThanOrEqualToThreshold', Threshold: 0, EvaluationPeriods: 15, DatapointsToAlarm: 15 })]);
    const expression = alarms[0].Metrics.find((m: any) => m.Expression);
    expect(expression.Expression).toBe('FILL(visible, 0) + FILL(inFlight, 0)');
  });

  test('both alarms count alerts waiting and in flight, a missing term as 0 (SQS reports in-flight only when there are some)', () => {
    for (const [id] of [...scaleOut, ...scaleIn]) {
      const metrics = alarmsOf(id)[0].Metrics;
      expect(metrics.find((m: any) => m.Expression).Expression).toBe('FILL(visible, 0) + FILL(inFlight, 0)');
      const names = Object.fromEntries(metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, m.MetricStat.Metric.MetricName]));
      expect(names).toEqual({ visible: 'ApproximateNumberOfMessagesVisible', inFlight: 'ApproximateNumberOfMessagesNotVisible' });
    }
  });
});

describe('the replay-dead-letters admin task of the email worker', () => {
  const { logicalId, ofType } = view(store.workers);
  const subscription = store.workers.emailWorker.node.findAll().find((c): c is EventSubscription => c instanceof EventSubscription)!;
  const queueId = logicalId(subscription.queue);
  const dlqId = logicalId(subscription.deadLetterQueue);
  const [taskDefId, taskDef] = ofType('AWS::ECS::TaskDefinition')
    .find(([, r]) => r.Properties.ContainerDefinitions.some((c: any) => (c.Command ?? []).includes('--replay')))!;
  const container = taskDef.Properties.ContainerDefinitions.find((c: any) => (c.Command ?? []).includes('--replay'));
  const roleId: string = taskDef.Properties.TaskRoleArn['Fn::GetAtt'][0];
  const statements = ofType('AWS::IAM::Policy')
    .filter(([, r]) => r.Properties.Roles.some((x: any) => x.Ref === roleId))
    .flatMap(([, r]) => r.Properties.PolicyDocument.Statement)
    .filter((st: any) => st.Effect === 'Allow');
  const allows = (action: string, resourceId: string) => statements.some((st: any) =>
    [st.Action].flat().includes(action) && [st.Resource].flat().some((res: any) => refersTo(res, resourceId)));

  test('it is scheduled daily', () => {
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => refersTo(r.Properties.Targets, taskDefId));
    expect(rules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual(['cron(0 4 * * ? *)']);
  });

  test('its role may receive and delete from the DLQ and send to the queue', () => {
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage']) expect(allows(action, dlqId)).toBe(true);
    expect(allows('sqs:SendMessage', queueId)).toBe(true);
  });

  test('its role may use the queues\' key both ways (SQS decrypts on receive and encrypts on send)', () => {
    const keyId = logicalId(subscription.queue.encryptionMasterKey!);
    for (const action of ['kms:Decrypt', 'kms:GenerateDataKey*']) expect(allows(action, keyId)).toBe(true);
  });

  test('it is told both URLs', () => {
    const vars = Object.fromEntries(container.Environment.map((e: any) => [e.Name, e.Value]));
    expect(vars.USER_SIGNUP_DLQ_URL).toEqual({ Ref: dlqId });
    expect(vars.USER_SIGNUP_QUEUE_URL).toEqual({ Ref: queueId });
  });

  test('its command runs the worker program the image builds', () => {
    const dir = path.join(__dirname, '..', '..', 'examples', 'store', 'services', 'workers');
    const [node, script, ...args] = container.Command as string[];
    expect([node, args]).toEqual(['node', ['--replay']]);
    // The image compiles src/*.ts (tsconfig rootDir src, outDir dist) and copies dist: the script is a compiled source.
    const tsconfig = JSON.parse(fs.readFileSync(path.join(dir, 'tsconfig.json'), 'utf8')).compilerOptions;
    expect(script.startsWith(`${tsconfig.outDir}/`)).toBe(true);
    const source = path.join(dir, tsconfig.rootDir, script.slice(tsconfig.outDir.length + 1).replace(/\.js$/, '.ts'));
    expect(fs.existsSync(source)).toBe(true);
    expect(fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8')).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    // ... and the image has the SDK the program uses.
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).dependencies).toHaveProperty('@aws-sdk/client-sqs');
  });
});

test('each worker image is a target of the one workers build whose CMD runs a compiled source of it', () => {
  const dir = path.join(__dirname, '..', '..', 'examples', 'store', 'services', 'workers');
  const dockerfile = fs.readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
  const manifests = store.apps.map(({ app }) => {
    const assembly = app.synth();
    return assembly.stacks.map((s) => JSON.parse(fs.readFileSync(path.join(assembly.directory, `${s.stackName}.assets.json`), 'utf8')));
  }).flat();
  const targets = [...new Set(manifests.flatMap((m) => Object.values<any>(m.dockerImages ?? {}))
    .map((i) => i.source.dockerBuildTarget).filter((t) => t !== undefined))].sort();
  expect(targets).toEqual(['compliance-worker', 'signup-worker']);
  for (const target of targets) {
    const stage = new RegExp(`FROM runtime AS ${target}\\nCMD \\["node", "dist/([a-z/]+)\\.js"\\]`).exec(dockerfile);
    expect(stage).not.toBeNull();
    expect(fs.existsSync(path.join(dir, 'src', `${stage![1]}.ts`))).toBe(true);
  }
});

test('the backup vault is deleted when its first create rolls back, kept otherwise', () => {
  const vaults = view(store.users).ofType('AWS::Backup::BackupVault');
  expect(vaults).toHaveLength(1);
  expect(vaults[0][1]).toMatchObject({ DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
});
