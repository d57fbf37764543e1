/**
 * The delivery matrix: every path where an AWS service (not one of our roles) acts on our
 * resources, and every role of ours that uses a resource encrypted with a customer managed key,
 * evaluated with the IAM policy simulator (@cloud-copilot/iam-simulate) through the resource
 * policy AND the key policy, with the request context the service's documentation says it
 * sends (test/delivery/request-contexts.ts names each page).
 *
 * The rows are derived from the synthesized reference app (examples/store: the platform app and the team apps, whose literal IDs and ARNs of the platform are mapped back to its resources) and a
 * stack with the AWS Config recorder (off in the reference app), so a construct that adds a
 * path adds rows. Every topic, queue, bucket and key must be covered by a row, or be listed
 * with the reason no AWS service writes to it: a new one without a row fails the build.
 */
import { App, Stack, aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  awslogsWrite, cloudWatchAlarm, collectorCalls, collectorsOf, configDelivery, ELB_ACCOUNT_PRINCIPAL, encryptionContext, eventBridgeKeyUse,
  eventBridgeTarget, EXAMPLE_TASK_ID, ExampleStack, evaluate, Located, logDelivery, logsKeyUse, Row, serverAccessLogging, snsDelivery,
  viaService, vpceNotification, xrayCall,
} from './request-contexts';
import { standInOf } from '../../examples/shared/environment-context';
import { buildStore } from '../../examples/store/store';
import { ComplianceAudit, MicroserviceEnvironment, TwelveFactorService } from '../../src';
import { COLLECTOR_CONTAINER } from '../../src/service/service-tracing';
import { ACCOUNT, Decision, REGION, Request } from '../iam-simulation';
import { IMAGE, importedVpc } from '../service/fixtures';

const COVERED_TYPES = ['AWS::SNS::Topic', 'AWS::SQS::Queue', 'AWS::S3::Bucket', 'AWS::KMS::Key'];
const idOf = ExampleStack.idOf;

// ---------------------------------------------------------------------------------------------
// The stacks.
// ---------------------------------------------------------------------------------------------

function synthesizeStacks(): ExampleStack[] {
  const env = { account: ACCOUNT, region: 'us-east-1' };
  const store = buildStore({ env, context: { 'aws:cdk:disable-creation-stack-traces': true } });
  const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
  // The reference app keeps the recorder off (Control Tower made one): Config -> S3 and KMS
  // is proven on a stack as a user without a recorder would write it.
  const configStack = new Stack(app, 'Config', { env });
  new ComplianceAudit(configStack, 'Audit', { createConfigurationRecorder: true });
  const platformTemplate = Template.fromStack(store.platform).toJSON();
  const platform = new ExampleStack(store.platform.stackName, platformTemplate.Resources);
  const { rename, locate } = foreignValues(platform, platformTemplate, env);
  // The team apps' templates hold the platform's resources as the literal IDs and ARNs of its
  // environment document: named here as the platform's example values, so that a request of a
  // team stack meets the platform's policies with the ARNs those policies are written against.
  const teams = [store.users, store.workers].map((team) => {
    const example = new ExampleStack(team.stackName, renamed(Template.fromStack(team).toJSON().Resources, rename));
    example.foreign = (value) => locate.get(value);
    return example;
  });
  return [platform, new ExampleStack(store.billing.stackName, Template.fromStack(store.billing).toJSON().Resources), ...teams,
    new ExampleStack(configStack.stackName, Template.fromStack(configStack).toJSON().Resources)];
}

/**
 * How the team apps see the platform's resources: for each topic, queue, bucket and key of the
 * platform, the value the environment document gives a team app (examples/shared) and the
 * platform's example value of the same expression.
 */
function foreignValues(platform: ExampleStack, template: any, env: { account: string; region: string }) {
  const rename = new Map<string, string>();
  const locate = new Map<string, Located>();
  for (const [id, r] of Object.entries<any>(template.Resources)) {
    if (!COVERED_TYPES.includes(r.Type)) continue;
    for (const expression of [{ Ref: id }, { 'Fn::GetAtt': [id, 'Arn'] }]) {
      let standIn: unknown;
      let example: unknown;
      try {
        standIn = standInOf(expression, template, env);
        example = platform.resolve(expression);
      } catch {
        continue;
      }
      if (typeof standIn !== 'string' || typeof example !== 'string') continue;
      rename.set(standIn, example);
      locate.set(example, { stack: platform, id });
    }
  }
  return { rename, locate };
}

/** `resources` with every string that is a stand-in replaced by its example value. */
function renamed(resources: any, rename: Map<string, string>): any {
  const walk = (v: any): any => {
    if (typeof v === 'string') return rename.get(v) ?? v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(resources);
}

// ---------------------------------------------------------------------------------------------
// Rows, derived from a template.
// ---------------------------------------------------------------------------------------------

type Req = Row['requests'][number];

/** What a principal does with the key that encrypts `resourceId` (nothing when it is not a CMK of ours, in any stack). */
function keyRequests(s: ExampleStack, principal: Request['principal'], resourceId: string, actions: string[], context: Record<string, string>): { requests: Req[]; covers: string[] } {
  const key = s.keyLocation(resourceId);
  if (!key) return { requests: [], covers: [] };
  return {
    covers: [`${key.stack.name}/${key.id}`],
    requests: actions.map((action) => ({
      what: `${action} on the key ${key.stack === s ? '' : `${key.stack.name}/`}${key.id}`,
      principal,
      action,
      resource: key.stack.arnOf(key.id),
      resourcePolicy: key.stack.keyPolicy(key.id),
      context,
    })),
  };
}

/** A service assuming one of our roles: the role's trust policy is the resource policy. */
function trust(s: ExampleStack, service: string, roleId: string, context: Record<string, string>): Req {
  return {
    what: `sts:AssumeRole of ${roleId} by ${service}`,
    principal: service,
    action: 'sts:AssumeRole',
    resource: s.arnOf(roleId),
    resourcePolicy: s.resolve(s.resources[roleId].Properties.AssumeRolePolicyDocument),
    context,
  };
}

function onResource(s: ExampleStack, principal: Request['principal'], action: string, id: string, context: Record<string, string>, resource?: string): Req {
  return { what: `${action} on ${id}`, principal, action, resource: resource ?? s.arnOf(id), resourcePolicy: s.policyOf(id), context };
}

function rowsOf(s: ExampleStack): Row[] {
  const rows: Row[] = [];
  const entries = Object.entries(s.resources);
  const ofType = (type: string) => entries.filter(([, r]) => r.Type === type);
  const at = (id: string) => `${s.name}/${id}`;

  // CloudWatch alarms -> SNS (every alarm action that is a topic of this stack or of the
  // platform's, for a team app), and the topic's key.
  const alarmsByTopic = new Map<string, { topic: Located; alarms: string[] }>();
  for (const [alarmId, alarm] of entries.filter(([, r]) => ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm'].includes(r.Type))) {
    const p = alarm.Properties ?? {};
    for (const action of [...(p.AlarmActions ?? []), ...(p.OKActions ?? []), ...(p.InsufficientDataActions ?? [])]) {
      const topic = s.locate(action);
      if (!topic || topic.stack.resources[topic.id]?.Type !== 'AWS::SNS::Topic') continue;
      const name = `${topic.stack.name}/${topic.id}`;
      const entry = alarmsByTopic.get(name) ?? { topic, alarms: [] };
      entry.alarms = [...new Set([...entry.alarms, alarmId])];
      alarmsByTopic.set(name, entry);
    }
  }
  for (const [name, { topic, alarms }] of alarmsByTopic) {
    const requests: Req[] = [];
    const covers = [name];
    for (const alarmId of alarms) {
      const context = cloudWatchAlarm(s.arnOf(alarmId));
      requests.push({ ...onResource(topic.stack, 'cloudwatch.amazonaws.com', 'sns:Publish', topic.id, context), what: `sns:Publish on ${name} from ${alarmId}` });
      const key = keyRequests(topic.stack, 'cloudwatch.amazonaws.com', topic.id, ['kms:GenerateDataKey', 'kms:Decrypt'],
        { ...context, ...encryptionContext.sns(topic.stack.arnOf(topic.id)) });
      requests.push(...key.requests);
      covers.push(...key.covers);
    }
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
    rows.push({ name: `CloudWatch alarms of ${s.name} (${alarms.length}) -> ${name}`, doc: 'AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html', covers, requests });
  }

  // EventBridge rule targets -> SNS, SQS (resource policies), Firehose and Step Functions (roles); dead-letter queues.
  for (const [ruleId, rule] of ofType('AWS::Events::Rule')) {
    const ruleArn = s.arnOf(ruleId);
    for (const target of rule.Properties.Targets ?? []) {
      const targetId = idOf(target.Arn);
      const type = targetId ? s.resources[targetId]?.Type : undefined;
      const requests: Req[] = [];
      const covers: string[] = [];
      if (type === 'AWS::SNS::Topic' || type === 'AWS::SQS::Queue') {
        const topic = type === 'AWS::SNS::Topic';
        requests.push(onResource(s, 'events.amazonaws.com', topic ? 'sns:Publish' : 'sqs:SendMessage', targetId!, eventBridgeTarget(ruleArn)));
        const key = keyRequests(s, 'events.amazonaws.com', targetId!, ['kms:GenerateDataKey', 'kms:Decrypt'],
          eventBridgeKeyUse(topic ? encryptionContext.sns(s.arnOf(targetId!)) : encryptionContext.sqs(s.arnOf(targetId!))));
        requests.push(...key.requests);
        covers.push(at(targetId!), ...key.covers);
      } else if (type === 'AWS::KinesisFirehose::DeliveryStream' || type === 'AWS::StepFunctions::StateMachine') {
        // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-identity-based.html (targets called with the target's role)
        const roleId = idOf(target.RoleArn)!;
        const role = s.principal(roleId);
        const action = type === 'AWS::StepFunctions::StateMachine' ? 'states:StartExecution' : 'firehose:PutRecordBatch';
        requests.push(trust(s, 'events.amazonaws.com', roleId, eventBridgeTarget(ruleArn)));
        requests.push({ what: `${action} on ${targetId} with the target role`, principal: role, action, resource: s.arnOf(targetId!) });
      } else {
        continue;
      }
      rows.push({ name: `EventBridge ${ruleId} -> ${at(targetId!)}`, doc: 'eventbridge/latest/userguide/eb-use-resource-based.html', covers, requests });

      const dlqId = idOf(target.DeadLetterConfig?.Arn);
      if (dlqId) {
        const key = keyRequests(s, 'events.amazonaws.com', dlqId, ['kms:GenerateDataKey', 'kms:Decrypt'], eventBridgeKeyUse(encryptionContext.sqs(s.arnOf(dlqId))));
        rows.push({
          name: `EventBridge ${ruleId} (undelivered) -> ${at(dlqId)}`,
          // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html#eb-dlq-perms
          doc: 'eventbridge/latest/userguide/eb-rule-dlq.html',
          covers: [at(dlqId), ...key.covers],
          requests: [onResource(s, 'events.amazonaws.com', 'sqs:SendMessage', dlqId, eventBridgeTarget(ruleArn)), ...key.requests],
        });
      }
    }
  }

  // SNS -> SQS subscriptions and their redrive dead-letter queues.
  for (const [subId, sub] of ofType('AWS::SNS::Subscription')) {
    if (sub.Properties.Protocol !== 'sqs') continue;
    const topic = s.locate(sub.Properties.TopicArn);
    if (!topic) throw new Error(`${at(subId)}: its topic ${JSON.stringify(sub.Properties.TopicArn)} is in no stack of the store`);
    const topicId = topic.stack === s ? topic.id : `${topic.stack.name}/${topic.id}`;
    const topicArn = topic.stack.arnOf(topic.id);
    const redrive = sub.Properties.RedrivePolicy?.deadLetterTargetArn;
    for (const queueId of [idOf(sub.Properties.Endpoint)!, ...(redrive ? [idOf(redrive)!] : [])]) {
      const key = keyRequests(s, 'sns.amazonaws.com', queueId, ['kms:GenerateDataKey', 'kms:Decrypt'],
        { ...snsDelivery(topicArn), ...encryptionContext.sqs(s.arnOf(queueId)) });
      rows.push({
        name: `SNS ${topicId} (${subId}) -> ${at(queueId)}`,
        // https://docs.aws.amazon.com/sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html
        doc: 'sns/latest/dg/subscribe-sqs-queue-to-sns-topic.html',
        covers: [at(queueId), ...key.covers],
        requests: [onResource(s, 'sns.amazonaws.com', 'sqs:SendMessage', queueId, snsDelivery(topicArn)), ...key.requests],
      });
    }
  }

  // Firehose -> S3 and KMS (with its delivery role) and its error log group.
  for (const [streamId, stream] of ofType('AWS::KinesisFirehose::DeliveryStream')) {
    const dest = stream.Properties.ExtendedS3DestinationConfiguration;
    if (!dest) continue;
    const role = s.principal(idOf(dest.RoleARN)!);
    const bucketId = idOf(dest.BucketARN)!;
    const bucketArn = s.arnOf(bucketId);
    const example = (prefix: string) => `${bucketArn}/${prefix.replace(/!\{[^}]+\}/g, 'x')}records.gz`;
    const keyId = idOf(dest.EncryptionConfiguration?.KMSEncryptionConfig?.AWSKMSKeyARN);
    // https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3 (trust: sts:ExternalId the account)
    const requests: Req[] = [trust(s, 'firehose.amazonaws.com', idOf(dest.RoleARN)!, { 'sts:ExternalId': ACCOUNT })];
    requests.push(...[dest.Prefix, dest.ErrorOutputPrefix].map((prefix: string) =>
      onResource(s, role, 's3:PutObject', bucketId, { 'aws:SecureTransport': 'true' }, example(prefix))));
    requests.push(onResource(s, role, 's3:AbortMultipartUpload', bucketId, { 'aws:SecureTransport': 'true' }, example(dest.Prefix)));
    if (keyId) {
      // S3 calls KMS for the role, with the bucket as encryption context (S3 Bucket Key).
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
        requests.push({
          what: `${action} on the key ${keyId} through S3`,
          principal: role,
          action,
          resource: s.arnOf(keyId),
          resourcePolicy: s.keyPolicy(keyId),
          context: viaService('s3', encryptionContext.s3(bucketArn)),
        });
      }
    }
    const logGroupName = dest.CloudWatchLoggingOptions?.LogGroupName;
    if (logGroupName) {
      const logGroupId = idOf(logGroupName)!;
      requests.push({ what: `logs:PutLogEvents on ${logGroupId}`, principal: role, action: 'logs:PutLogEvents', resource: s.arnOf(logGroupId).replace(/:\*$/, ':log-stream:DestinationDelivery') });
    }
    rows.push({
      name: `Firehose ${streamId} (delivery role) -> ${at(bucketId)}`,
      // https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
      doc: 'firehose/latest/dev/controlling-access.html#using-iam-s3',
      covers: [at(bucketId), ...(keyId ? [at(keyId)] : [])],
      requests,
    });
  }

  // AWS Config delivery channel -> S3 and KMS (the service principal, with the service-linked role).
  for (const [channelId, channel] of ofType('AWS::Config::DeliveryChannel')) {
    const bucketId = idOf(channel.Properties.S3BucketName)!;
    const bucketArn = s.arnOf(bucketId);
    const prefix = channel.Properties.S3KeyPrefix;
    const keyId = idOf(channel.Properties.S3KmsKeyArn);
    const requests: Req[] = [
      onResource(s, 'config.amazonaws.com', 's3:GetBucketAcl', bucketId, configDelivery(false)),
      onResource(s, 'config.amazonaws.com', 's3:ListBucket', bucketId, configDelivery(false)),
      onResource(s, 'config.amazonaws.com', 's3:PutObject', bucketId, configDelivery(true),
        `${bucketArn}/${prefix}/AWSLogs/${ACCOUNT}/Config/us-east-1/2026/1/1/ConfigSnapshot/x.json.gz`),
    ];
    if (keyId) {
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
        requests.push({
          what: `${action} on the key ${keyId}`,
          principal: 'config.amazonaws.com',
          action,
          resource: s.arnOf(keyId),
          resourcePolicy: s.keyPolicy(keyId),
          context: { ...configDelivery(false), ...encryptionContext.s3(bucketArn) },
        });
      }
    }
    rows.push({
      name: `AWS Config ${channelId} -> ${at(bucketId)}`,
      doc: 'config/latest/developerguide/s3-bucket-policy.html',
      covers: [at(bucketId), ...(keyId ? [at(keyId)] : [])],
      requests,
    });
  }

  // Load balancer access logs -> S3 (ALB: the ELB account of the Region; NLB: delivery.logs).
  for (const [lbId, lb] of ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
    const attrs = Object.fromEntries((lb.Properties.LoadBalancerAttributes ?? []).map((a: any) => [a.Key, a.Value]));
    if (attrs['access_logs.s3.enabled'] !== 'true') continue;
    // The bucket of this stack, or the environment's (a team app's load balancers log there).
    const bucket = s.locate(attrs['access_logs.s3.bucket']);
    if (!bucket) throw new Error(`${at(lbId)} logs to ${JSON.stringify(attrs['access_logs.s3.bucket'])}, a bucket of no stack of the store`);
    const { stack: b, id: bucketId } = bucket;
    const where = `${b.name}/${bucketId}`;
    const prefix = attrs['access_logs.s3.prefix'] ? `${s.resolve(attrs['access_logs.s3.prefix'])}/` : '';
    const object = `${b.arnOf(bucketId)}/${prefix}AWSLogs/${ACCOUNT}/elasticloadbalancing/us-east-1/2026/01/01/x.log.gz`;
    if (b.keyOf(bucketId)) throw new Error(`${where} is encrypted with a KMS key: load balancer access logs need SSE-S3`);
    const network = lb.Properties.Type === 'network';
    rows.push(network ? {
      name: `NLB ${lbId} access logs -> ${where}`,
      doc: 'elasticloadbalancing/latest/network/load-balancer-access-logs.html',
      covers: [where],
      requests: [
        onResource(b, 'delivery.logs.amazonaws.com', 's3:PutObject', bucketId, logDelivery(true), object),
        onResource(b, 'delivery.logs.amazonaws.com', 's3:GetBucketAcl', bucketId, logDelivery(false)),
      ],
    } : {
      name: `ALB ${lbId} access logs -> ${where}`,
      doc: 'elasticloadbalancing/latest/application/enable-access-logging.html',
      covers: [where],
      requests: [onResource(b, ELB_ACCOUNT_PRINCIPAL, 's3:PutObject', bucketId, { 'aws:SecureTransport': 'true' }, object)],
    });
  }

  // VPC endpoint service connection notifications -> SNS.
  for (const [notificationId, n] of ofType('AWS::EC2::VPCEndpointConnectionNotification')) {
    const topicId = idOf(n.Properties.ConnectionNotificationArn)!;
    const context = vpceNotification(s.arnOf(idOf(n.Properties.ServiceId)!));
    const key = keyRequests(s, 'vpce.amazonaws.com', topicId, ['kms:GenerateDataKey', 'kms:Decrypt'], { ...context, ...encryptionContext.sns(s.arnOf(topicId)) });
    rows.push({
      name: `VPC endpoint service notifications ${notificationId} -> ${at(topicId)}`,
      doc: 'vpc/latest/privatelink/create-endpoint-service.html',
      covers: [at(topicId), ...key.covers],
      requests: [onResource(s, 'vpce.amazonaws.com', 'sns:Publish', topicId, context), ...key.requests],
    });
  }

  // CloudWatch Logs encrypting log groups with our keys.
  for (const [logGroupId] of ofType('AWS::Logs::LogGroup')) {
    const principal = 'logs.us-east-1.amazonaws.com';
    const key = keyRequests(s, principal, logGroupId, ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'], logsKeyUse(s.arnOf(logGroupId)));
    if (key.requests.length === 0) continue;
    rows.push({ name: `CloudWatch Logs ${logGroupId} -> its key`, doc: 'AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html', covers: key.covers, requests: key.requests });
  }

  // The tracing collector of each traced task definition (the ADOT sidecar, found by its
  // configuration variable): the task role calling X-Ray for what the collector's configuration
  // makes it call, and the task execution role writing the collector's log stream (awslogs
  // driver) into the log group its logConfiguration names. CloudWatch Logs' use of that group's
  // key is the "CloudWatch Logs <group> -> its key" row above (the test on collector log groups
  // checks that it is there).
  for (const collector of collectorsOf(s.resources, (v) => s.resolve(v))) {
    const taskDefinition = s.resources[collector.taskDefinitionId].Properties;
    const of = `tracing collector of ${collector.taskDefinitionId}`;
    const taskRoleId = idOf(taskDefinition.TaskRoleArn);
    if (!taskRoleId || !s.resources[taskRoleId]) throw new Error(`${at(collector.taskDefinitionId)}: its collector calls X-Ray, but the task role is not a role of the stack`);
    for (const call of collectorCalls(collector.config)) {
      rows.push({
        name: `role ${taskRoleId} ${call.action} -> X-Ray (${of})`,
        // https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
        doc: 'xray/latest/devguide/security_iam_service-with-iam.html',
        covers: [],
        requests: [{ what: `${call.action} by the collector's ${call.by}`, principal: s.principal(taskRoleId), action: call.action, resource: '*', context: xrayCall(call.region ?? REGION) }],
      });
    }
    const logging = collector.container.LogConfiguration;
    if (!logging) continue;
    if (logging.LogDriver !== 'awslogs') throw new Error(`${at(collector.taskDefinitionId)}: its collector logs with ${logging.LogDriver}; the matrix models awslogs`);
    const options = logging.Options ?? {};
    const logGroupId = idOf(options['awslogs-group']);
    if (!logGroupId || s.resources[logGroupId]?.Type !== 'AWS::Logs::LogGroup') {
      throw new Error(`${at(collector.taskDefinitionId)}: its collector logs to ${JSON.stringify(options['awslogs-group'])}, not a log group of the stack`);
    }
    const executionRoleId = idOf(taskDefinition.ExecutionRoleArn)!;
    // The stream the driver writes, in the group of the Region the driver names.
    const group = `arn:aws:logs:${s.resolve(options['awslogs-region'])}:${ACCOUNT}:log-group:${s.resolve({ Ref: logGroupId })}`;
    const stream = `${group}:log-stream:${options['awslogs-stream-prefix']}/${collector.container.Name}/${EXAMPLE_TASK_ID}`;
    const execution = s.principal(executionRoleId);
    rows.push({
      name: `role ${executionRoleId} logs:PutLogEvents -> ${at(logGroupId)} (${of})`,
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
      doc: 'AmazonECS/latest/developerguide/using_awslogs.html',
      covers: [],
      requests: [
        ...(options['awslogs-create-group'] === 'true' ? [{ what: `logs:CreateLogGroup ${logGroupId}`, principal: execution, action: 'logs:CreateLogGroup', resource: group, context: awslogsWrite() }] : []),
        ...['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({ what: `${action} on the collector's stream of ${logGroupId}`, principal: execution, action, resource: stream, context: awslogsWrite() })),
      ],
    });
  }

  // S3 server access logging -> the log bucket.
  for (const [bucketId, bucket] of ofType('AWS::S3::Bucket')) {
    const logging = bucket.Properties?.LoggingConfiguration;
    if (!logging?.DestinationBucketName) continue;
    const targetId = idOf(logging.DestinationBucketName)!;
    if (s.keyOf(targetId)) throw new Error(`${at(targetId)} is encrypted with a KMS key: S3 delivers server access logs to SSE-S3 buckets only`);
    rows.push({
      name: `S3 server access logs of ${bucketId} -> ${at(targetId)}`,
      doc: 'AmazonS3/latest/userguide/enable-server-access-logging.html',
      covers: [at(targetId)],
      requests: [onResource(s, 'logging.s3.amazonaws.com', 's3:PutObject', targetId, serverAccessLogging(s.arnOf(bucketId)),
        `${s.arnOf(targetId)}/${logging.LogFilePrefix ?? ''}2026-01-01-00-00-00-EXAMPLE`)],
    });
  }

  // VPC flow logs to a KMS-encrypted bucket (the VPC_FLOW_LOGS remediation of ComplianceRules
  // creates them at run time): a bucket whose policy lets delivery.logs write and no NLB uses.
  const nlbBuckets = new Set(rows.filter((r) => r.name.startsWith('NLB')).flatMap((r) => r.covers));
  for (const [bucketId] of ofType('AWS::S3::Bucket')) {
    const policy = s.policyOf(bucketId);
    if (!policy || !JSON.stringify(policy).includes('delivery.logs.amazonaws.com') || nlbBuckets.has(at(bucketId))) continue;
    // The environment's access-log bucket (SSE-S3, what load balancers write to) also lets
    // delivery.logs write (NLB access logs); the remediation's flow logs go to a KMS bucket.
    if (!s.keyOf(bucketId)) continue;
    const bucketArn = s.arnOf(bucketId);
    const key = keyRequests(s, 'delivery.logs.amazonaws.com', bucketId, ['kms:GenerateDataKey', 'kms:Decrypt'],
      { ...logDelivery(false), ...encryptionContext.s3(bucketArn) });
    rows.push({
      name: `VPC flow logs (remediation) -> ${at(bucketId)}`,
      doc: 'vpc/latest/userguide/flow-logs-s3-permissions.html',
      covers: [at(bucketId), ...key.covers],
      requests: [
        onResource(s, 'delivery.logs.amazonaws.com', 's3:PutObject', bucketId, logDelivery(true), `${bucketArn}/AWSLogs/${ACCOUNT}/vpcflowlogs/us-east-1/2026/01/01/x.log.gz`),
        onResource(s, 'delivery.logs.amazonaws.com', 's3:GetBucketAcl', bucketId, logDelivery(false)),
        ...key.requests,
      ],
    });
  }

  // Our roles on resources encrypted with a customer managed key: the call, and the KMS call
  // the service makes for the role (kms:ViaService, the service's encryption context).
  for (const [, policy] of ofType('AWS::IAM::Policy')) {
    const roleIds: string[] = (policy.Properties.Roles ?? []).map((r: any) => idOf(r)).filter((id: string | undefined) => id && s.resources[id]);
    for (const statement of policy.Properties.PolicyDocument.Statement) {
      if (statement.Effect !== 'Allow') continue;
      const actions: string[] = [statement.Action].flat();
      for (const resource of [statement.Resource].flat()) {
        // A resource of this stack, or of the platform's (a team app's role on the bus topic).
        const target = s.locate(resource);
        if (!target || !target.stack.keyLocation(target.id)) continue;
        const use = roleUse(target.stack, target.id, actions);
        if (!use) continue;
        const where = `${target.stack.name}/${target.id}`;
        for (const roleId of roleIds) {
          const role = s.principal(roleId);
          const key = keyRequests(target.stack, role, target.id, use.kmsActions, viaService(use.service, use.context));
          const resourceRequest: Req = target.stack.typeOf(target.id) === 'AWS::DynamoDB::Table'
            ? { what: `${use.action} on ${target.id}`, principal: role, action: use.action, resource: target.stack.arnOf(target.id) }
            : onResource(target.stack, role, use.action, target.id, { 'aws:SecureTransport': 'true' });
          rows.push({
            name: `role ${roleId} ${use.action} -> ${where}`,
            doc: use.doc,
            covers: [...(target.stack.typeOf(target.id) === 'AWS::DynamoDB::Table' ? [] : [where]), ...key.covers],
            requests: [resourceRequest, ...key.requests],
          });
        }
      }
    }
  }
  return rows;
}

/** What a role's statement on an encrypted table, topic or queue makes the service ask KMS. */
function roleUse(s: ExampleStack, id: string, actions: string[]):
{ action: string; service: string; kmsActions: string[]; context: Record<string, string>; doc: string } | undefined {
  const has = (a: string) => actions.includes(a);
  switch (s.typeOf(id)) {
    case 'AWS::DynamoDB::Table': {
      const action = ['dynamodb:GetItem', 'dynamodb:PutItem'].find(has);
      if (!action) return undefined;
      return {
        action,
        service: 'dynamodb',
        kmsActions: ['kms:Decrypt'],
        context: encryptionContext.dynamodb(s.resolve({ Ref: id })),
        doc: 'amazondynamodb/latest/developerguide/encryption.usagenotes.html',
      };
    }
    case 'AWS::SNS::Topic':
      return has('sns:Publish') ? {
        action: 'sns:Publish',
        service: 'sns',
        kmsActions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        context: encryptionContext.sns(s.arnOf(id)),
        doc: 'sns/latest/dg/sns-key-management.html#send-to-encrypted-topic',
      } : undefined;
    case 'AWS::SQS::Queue':
      if (has('sqs:ReceiveMessage')) {
        return {
          action: 'sqs:ReceiveMessage',
          service: 'sqs',
          kmsActions: ['kms:Decrypt'],
          context: encryptionContext.sqs(s.arnOf(id)),
          doc: 'AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#receive-from-encrypted-queue',
        };
      }
      return has('sqs:SendMessage') ? {
        action: 'sqs:SendMessage',
        service: 'sqs',
        kmsActions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        context: encryptionContext.sqs(s.arnOf(id)),
        doc: 'AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#send-to-encrypted-queue',
      } : undefined;
    default:
      return undefined;
  }
}

/**
 * Topics, queues, buckets and keys no AWS service writes to, each with the reason. Anything
 * else without a row fails the coverage test.
 */
function exemptions(s: ExampleStack): Map<string, string> {
  const out = new Map<string, string>();
  for (const [, queue] of Object.entries(s.resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue')) {
    const dlq = idOf(queue.Properties?.RedrivePolicy?.deadLetterTargetArn);
    if (dlq) {
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
      out.set(`${s.name}/${dlq}`, 'a redrive dead-letter queue: SQS itself moves the messages a consumer failed to process; no service principal sends to it');
    }
  }
  return out;
}

/** The topics, queues, buckets and keys of the stacks that no row covers and no exemption lists. */
function uncovered(of: ExampleStack[], by: Row[]): string[] {
  const covered = new Set(by.flatMap((r) => r.covers));
  const out: string[] = [];
  for (const s of of) {
    const exempt = exemptions(s);
    for (const [id, r] of Object.entries(s.resources)) {
      if (!COVERED_TYPES.includes(r.Type)) continue;
      const name = `${s.name}/${id}`;
      if (!covered.has(name) && !exempt.has(name)) out.push(`${name} (${r.Type})`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------------------

let stacks: ExampleStack[];
let rows: Row[];
beforeAll(() => {
  stacks = synthesizeStacks();
  rows = stacks.flatMap(rowsOf);
});

async function failures(row: Row): Promise<string[]> {
  const out: string[] = [];
  for (const request of row.requests) {
    const decision = await evaluate(request);
    if (decision !== 'Allowed') out.push(`${request.what}: ${decision}`);
  }
  return out;
}

async function decisionsOf(row: Row): Promise<Decision[]> {
  return Promise.all(row.requests.map((r) => evaluate(r)));
}

const findRow = (pattern: RegExp): Row => {
  const found = rows.filter((r) => pattern.test(r.name));
  if (found.length === 0) throw new Error(`no row matches ${pattern}: ${rows.map((r) => r.name).join('\n')}`);
  return found[0];
};

afterAll(() => {
  // For the note on how much is checked.
  if (process.env.DELIVERY_MATRIX_ROWS) process.stdout.write(`${rows.map((r) => `${r.name} [${r.requests.length}]`).join('\n')}\n`);
  process.stdout.write(`delivery matrix: ${rows?.length} rows, ${rows?.reduce((n, r) => n + r.requests.length, 0)} requests\n`);
});

describe('every delivery path of the reference app is allowed with the context AWS sends', () => {
  test('every row: each request through the resource policy and the key policy is Allowed', async () => {
    const problems: string[] = [];
    for (const row of rows) {
      for (const f of await failures(row)) problems.push(`${row.name}: ${f}`);
    }
    expect(problems).toEqual([]);
  });

  test('the matrix has the paths the issue names (a construct that stops creating one is noticed)', () => {
    const names = rows.map((r) => r.name);
    for (const pattern of [
      /^CloudWatch alarms of Platform .* -> Platform\/EnvAlarmTopic/, /^CloudWatch alarms .* -> Billing\/EnvAlarmTopic/,
      // The team apps' alarms notify the platform's alarm topic (another app's stack).
      /^CloudWatch alarms of Users .* -> Platform\/EnvAlarmTopic/, /^CloudWatch alarms of Workers .* -> Platform\/EnvAlarmTopic/,
      /^EventBridge ComplianceAlerts.* -> Platform\/ComplianceAlertsTopic/, /^EventBridge ComplianceAlerts.*\(undelivered\) -> Platform\/ComplianceAlertsDeliveryDeadLetterQueue/,
      /^EventBridge ComplianceAuditRule.* -> Platform\/ComplianceAuditDeliveryStream/, /^EventBridge ComplianceAuditRule.*\(undelivered\) -> Platform\/ComplianceAuditDeadLetterQueue/,
      // The platform's topic delivering to the workers app's queues and dead-letter queues.
      /^SNS Platform\/Bususersignup.* -> Workers\/EmailWorkerSignupsQueue/, /^SNS Platform\/Bususersignup.* -> Workers\/BillingWorkerSignupsSubscriptionDeadLetterQueue/,
      /^SNS ComplianceAlertsTopic.* -> Platform\/ComplianceAlertsQueue/,
      /^Firehose ComplianceAuditDeliveryStream.* -> Platform\/ComplianceAudit/, /^AWS Config .* -> Config\/Audit/,
      // The users app's canary load balancers logging to the environment's bucket.
      /^ALB UsersCanaryBlueLoadBalancer.* -> Platform\/EnvAccessLogs/, /^NLB BillingLinkLoadBalancer.* -> Billing\/EnvAccessLogs/,
      /^VPC endpoint service notifications .* -> Billing\/BillingLinkNotificationTopic/, /^CloudWatch Logs .* -> its key/,
      /^S3 server access logs of ComplianceAudit.* -> Platform\/ComplianceAuditAccessLogs/, /^VPC flow logs \(remediation\) -> Platform\/ComplianceAudit/,
      /^role UsersCanaryStateMachineRole.* dynamodb:GetItem -> Users\/UsersCanaryState/, /^role ComplianceWorker.*TaskRole.* sqs:ReceiveMessage -> Platform\/ComplianceAlertsQueue/,
      // The users app's slots publishing to the platform's topic, with its key.
      /^role UsersCanaryBlue.*TaskRole.* sns:Publish -> Platform\/Bususersignup/,
      // The canary's live state reading its state table (with the table's key) at deploy time, and its dead-letter queue.
      /^role UsersCanaryLiveStateRole.* dynamodb:GetItem -> Users\/UsersCanaryState/, /^role UsersCanaryLiveStateRole.* sqs:SendMessage -> Users\/UsersCanaryLiveStateDeadLetterQueue/,
      // The tracing collectors (Billing, Platform, Users, Workers): the task role sending segments to
      // X-Ray, the execution role writing the collector's logs to the service's support log group.
      /^role BillingTaskDefinitionTaskRole.* xray:PutTraceSegments -> X-Ray \(tracing collector of BillingTaskDefinition/,
      /^role ComplianceWorkerTaskDefinitionTaskRole.* xray:PutTraceSegments -> X-Ray \(tracing collector of ComplianceWorkerTaskDefinition/,
      /^role UsersCanaryBlueTaskDefinitionTaskRole.* xray:PutTraceSegments -> X-Ray \(tracing collector of UsersCanaryBlueTaskDefinition/,
      /^role UsersCanaryGreenTaskDefinitionTaskRole.* xray:PutTraceSegments -> X-Ray \(tracing collector of UsersCanaryGreenTaskDefinition/,
      /^role EmailWorkerTaskDefinitionTaskRole.* xray:PutTraceSegments -> X-Ray \(tracing collector of EmailWorkerTaskDefinition/,
      /^role BillingWorkerTaskDefinitionTaskRole.* xray:PutTraceSegments -> X-Ray \(tracing collector of BillingWorkerTaskDefinition/,
      /^role BillingTaskDefinitionExecutionRole.* logs:PutLogEvents -> Billing\/BillingSupportLogs.* \(tracing collector of BillingTaskDefinition/,
      /^role ComplianceWorkerTaskDefinitionExecutionRole.* logs:PutLogEvents -> Platform\/ComplianceWorkerSupportLogs.* \(tracing collector of ComplianceWorkerTaskDefinition/,
      /^role UsersCanaryBlueTaskDefinitionExecutionRole.* logs:PutLogEvents -> Users\/UsersCanaryBlueSupportLogs.* \(tracing collector of UsersCanaryBlueTaskDefinition/,
      /^role UsersCanaryGreenTaskDefinitionExecutionRole.* logs:PutLogEvents -> Users\/UsersCanaryGreenSupportLogs.* \(tracing collector of UsersCanaryGreenTaskDefinition/,
      /^role EmailWorkerTaskDefinitionExecutionRole.* logs:PutLogEvents -> Workers\/EmailWorkerSupportLogs.* \(tracing collector of EmailWorkerTaskDefinition/,
      /^role BillingWorkerTaskDefinitionExecutionRole.* logs:PutLogEvents -> Workers\/BillingWorkerSupportLogs.* \(tracing collector of BillingWorkerTaskDefinition/,
    ]) {
      expect(names.filter((n) => pattern.test(n))).not.toEqual([]);
    }
  });

  test('every traced task definition, and no other, has its collector\'s rows: X-Ray with the task role, the collector\'s logs with the execution role', () => {
    // Found here by the container's name (what service-tracing.ts calls it), not by its configuration as the rows are.
    const traced = stacks.flatMap((s) => Object.entries(s.resources)
      .filter(([, r]) => r.Type === 'AWS::ECS::TaskDefinition' && r.Properties.ContainerDefinitions.some((c: any) => c.Name === COLLECTOR_CONTAINER))
      .map(([id]) => `${s.name}/${id}`));
    expect(traced.map((t) => t.split('/')[0]).sort()).toEqual(['Billing', 'Platform', 'Users', 'Users', 'Workers', 'Workers']);
    const withRows = (action: string) => rows.map((r) => r.name.match(new RegExp(`^role \\S+ ${action} -> .* \\(tracing collector of (\\S+)\\)$`))?.[1]).filter((id) => id !== undefined).sort();
    const ids = traced.map((t) => t.split('/')[1]).sort();
    expect(withRows('xray:PutTraceSegments')).toEqual(ids);
    expect(withRows('logs:PutLogEvents')).toEqual(ids);
  });

  test('each collector logs to a log group of its stack encrypted with the environment\'s key, and CloudWatch Logs\' use of that key is a row', () => {
    let checked = 0;
    for (const s of stacks) {
      for (const collector of collectorsOf(s.resources, (v) => s.resolve(v))) {
        const logGroupId = ExampleStack.idOf(collector.container.LogConfiguration.Options['awslogs-group'])!;
        const key = s.keyLocation(logGroupId);
        // Billing has its own environment; the others run in the platform's.
        expect([logGroupId, key?.stack.name, key?.id]).toEqual([logGroupId, s.name === 'Billing' ? 'Billing' : 'Platform', expect.stringMatching(/^EnvKey/)]);
        const keyRow = findRow(new RegExp(`^CloudWatch Logs ${logGroupId} -> its key$`));
        expect(keyRow.requests.map((r) => [r.action, r.resource])).toEqual(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'].map((a) => [a, key!.stack.arnOf(key!.id)]));
        checked += 1;
      }
    }
    expect(checked).toBe(6);
  });

  test('a service that starts tracing gains the collector\'s rows; one that does not trace has none', async () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } }), 'Traced', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const environment = new MicroserviceEnvironment(stack, 'Env', { vpc: importedVpc(stack) });
    new TwelveFactorService(stack, 'Orders', { environment, image: IMAGE, port: 8080, user: '1000', tracing: true });
    new TwelveFactorService(stack, 'Quiet', { environment, image: IMAGE, port: 8080, user: '1000', tracing: false });
    const traced = new ExampleStack('Traced', Template.fromStack(stack).toJSON().Resources);
    const collectorRows = rowsOf(traced).filter((r) => /\(tracing collector of /.test(r.name));
    expect(collectorRows.map((r) => r.name)).toEqual([
      expect.stringMatching(/^role OrdersTaskDefinitionTaskRole\w+ xray:PutTraceSegments -> X-Ray \(tracing collector of OrdersTaskDefinition\w+\)$/),
      expect.stringMatching(/^role OrdersTaskDefinitionExecutionRole\w+ logs:PutLogEvents -> Traced\/Orders\w*Logs\w+ \(tracing collector of OrdersTaskDefinition\w+\)$/),
    ]);
    for (const row of collectorRows) expect(await failures(row)).toEqual([]);
  });

  test('every topic, queue, bucket and key is covered by a row or listed with the reason no AWS service writes to it', () => {
    expect(uncovered(stacks, rows)).toEqual([]);
  });

  test('a topic, queue, bucket or key that no row covers is reported', () => {
    const stack = new Stack(new App(), 'Extra', { env: { account: ACCOUNT, region: 'us-east-1' } });
    new sns.Topic(stack, 'Orphan');
    new sqs.Queue(stack, 'Lonely');
    const extra = new ExampleStack('Extra', Template.fromStack(stack).toJSON().Resources);
    expect(uncovered([extra], rowsOf(extra))).toEqual([expect.stringMatching(/^Extra\/Orphan.*AWS::SNS::Topic/), expect.stringMatching(/^Extra\/Lonely.*AWS::SQS::Queue/)]);
  });

  test('encryption-context conditions are evaluated: another account\'s log group may not use the key', async () => {
    const row = findRow(/^CloudWatch Logs .*EmailWorkerLogs/);
    const request = row.requests[0];
    expect(await evaluate(request)).toBe('Allowed');
    const other = { ...request.context, 'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:222222222222:log-group:theirs' };
    expect(await evaluate({ ...request, context: other })).toBe('ImplicitlyDenied');
  });
});

// The matrix can fail: the same rows with one statement taken away are denied.
describe('the matrix fails when a permission is taken away', () => {
  const without = (policy: any, drop: (statement: any) => boolean) => ({ ...policy, Statement: policy.Statement.filter((st: any) => !drop(st)) });
  const principalIs = (service: string) => (st: any) => JSON.stringify(st.Principal ?? '').includes(service);

  test('without the cloudwatch.amazonaws.com statement of the alarm topic policy, alarms cannot notify', async () => {
    const row = findRow(/^CloudWatch alarms of Platform .* -> Platform\/EnvAlarmTopic/);
    expect(await failures(row)).toEqual([]);
    const publish = row.requests.find((r) => r.action === 'sns:Publish')!;
    expect(await evaluate({ ...publish, resourcePolicy: without(publish.resourcePolicy, principalIs('cloudwatch.amazonaws.com')) })).toBe('ImplicitlyDenied');
  });

  test('without the canary state machine role\'s grant on the environment key, the state table cannot be read (defect 1)', async () => {
    const row = findRow(/^role UsersCanaryStateMachineRole.* dynamodb:GetItem -> Users\/UsersCanaryState/);
    expect(await failures(row)).toEqual([]);
    const kmsRequest = row.requests.find((r) => r.action.startsWith('kms:'))!;
    const role = kmsRequest.principal as { arn: string; policies: Array<{ name: string; policy: any }> };
    const dropped = { ...role, policies: role.policies.map((p) => ({ ...p, policy: without(p.policy, (st) => [st.Action].flat().some((a: string) => a.startsWith('kms:'))) })) };
    expect(await evaluate({ ...kmsRequest, principal: dropped })).toBe('ImplicitlyDenied');
  });

  test('with the old aws:SourceArn/aws:SourceAccount conditions on the EventBridge key statement, compliance changes are dropped (defect 3)', async () => {
    const row = findRow(/^EventBridge ComplianceAlerts.* -> Platform\/ComplianceAlertsTopic/);
    expect(await failures(row)).toEqual([]);
    const keyRequest = row.requests.find((r) => r.action === 'kms:GenerateDataKey')!;
    const old = {
      ...keyRequest.resourcePolicy,
      Statement: keyRequest.resourcePolicy.Statement.map((st: any) => (principalIs('events.amazonaws.com')(st) ? {
        ...st,
        Condition: { StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:aws:events:us-east-1:${ACCOUNT}:rule/*` } },
      } : st)),
    };
    expect(await evaluate({ ...keyRequest, resourcePolicy: old })).toBe('ImplicitlyDenied');
  });

  test('without the environment\'s account-wide ALB statement, a team app\'s canary load balancers cannot log (the imported bucket\'s policy is the platform\'s)', async () => {
    const row = findRow(/^ALB UsersCanaryBlueLoadBalancer.* -> Platform\/EnvAccessLogs/);
    expect(await failures(row)).toEqual([]);
    const put = row.requests.find((r) => r.action === 's3:PutObject')!;
    const writes = (st: any) => st.Effect === 'Allow' && [st.Action].flat().includes('s3:PutObject') && JSON.stringify(st.Resource).includes('/alb/AWSLogs/');
    expect(await evaluate({ ...put, resourcePolicy: without(put.resourcePolicy, writes) })).toBe('ImplicitlyDenied');
  });

  test('without the task role\'s X-Ray statement, a tracing collector cannot send segments', async () => {
    const row = findRow(/^role UsersCanaryBlueTaskDefinitionTaskRole.* xray:PutTraceSegments -> X-Ray \(tracing collector of UsersCanaryBlueTaskDefinition/);
    expect(await failures(row)).toEqual([]);
    const request = row.requests[0];
    const role = request.principal as { arn: string; policies: Array<{ name: string; policy: any }> };
    const xray = (st: any) => [st.Action].flat().some((a: string) => a.startsWith('xray:'));
    const dropped = { ...role, policies: role.policies.map((p) => ({ ...p, policy: without(p.policy, xray) })) };
    expect(await evaluate({ ...request, principal: dropped })).toBe('ImplicitlyDenied');
  });

  test('without the execution role\'s statement on the collector\'s log group, its logs are refused (the app\'s log group grant does not reach them)', async () => {
    const row = findRow(/^role EmailWorkerTaskDefinitionExecutionRole.* logs:PutLogEvents -> Workers\/EmailWorkerSupportLogs.* \(tracing collector of EmailWorkerTaskDefinition/);
    expect(await failures(row)).toEqual([]);
    expect(row.requests.map((r) => r.action)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    const supportLogs = (st: any) => JSON.stringify(st.Resource).includes(':log-group:EmailWorkerSupportLogs');
    for (const request of row.requests) {
      const role = request.principal as { arn: string; policies: Array<{ name: string; policy: any }> };
      // The role keeps its statement on the app's log group (EmailWorkerLogs).
      expect(JSON.stringify(role.policies)).toMatch(/:log-group:EmailWorkerLogs\w+:\*/);
      const dropped = { ...role, policies: role.policies.map((p) => ({ ...p, policy: without(p.policy, supportLogs) })) };
      expect(await evaluate({ ...request, principal: dropped })).toBe('ImplicitlyDenied');
    }
  });

  test('without the NLB log delivery statement, NLB access logs are refused', async () => {
    const row = findRow(/^NLB .* -> Billing\/EnvAccessLogs/);
    expect(await decisionsOf(row)).toEqual(row.requests.map(() => 'Allowed'));
    const put = row.requests.find((r) => r.action === 's3:PutObject')!;
    expect(await evaluate({ ...put, resourcePolicy: without(put.resourcePolicy, principalIs('delivery.logs.amazonaws.com')) })).toBe('ImplicitlyDenied');
  });
});
