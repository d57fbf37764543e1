/**
 * The simulated AWS world the rollout runs against (DynamoDB, ECS, Application Auto Scaling,
 * Route 53, CloudWatch, EventBridge, SNS): its state, its scenario knobs, and a handler per Task
 * state that validates every call the way the real API would.
 */
import { applyUpdate, AttributeValue, checkAttributeValue, evaluateCondition, ExpressionScope, Item, unmarshall } from './dynamodb-expressions';
import { clone, Json } from './json';
import { ACCOUNT, HOSTED_ZONE_ID, REGION, statesOf, Synthesized } from './synthesis';
import {
  AlarmContext, ApprovalAnswer, AwsError, Call, DeploymentOutcome, Execution, ExecutionStatus, MetricPoint, recordFromTemplate, RESOURCE_API,
  sortKeys, THROTTLING, THROTTLING_CODE, WeightChange,
} from './world-model';
import { callOfTask, checkAnswer, checkCall } from '../../contract/aws-models';

interface Deployment {
  Id: string;
  Status: 'PRIMARY' | 'ACTIVE';
  TaskDefinition: string;
  DesiredCount: number;
  RunningCount: number;
  RolloutState: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  outcome: DeploymentOutcome;
  describesLeft: number;
}

export interface EcsService {
  readonly slot: 'blue' | 'green';
  readonly arn: string;
  readonly name: string;
  readonly clusterArn: string;
  taskDefinition: string;
  desired: number;
  deployments: Deployment[];
}

/** The simulated AWS accounts' state, shared by the executions run against it. */
export class World {
  /** DynamoDB items of the state table, by pk. */
  public readonly items = new Map<string, Item>();
  /** Route 53 records by SetIdentifier (AWS SDK integration shape: Ttl a number, ResourceRecords [{Value}], AliasTarget.DnsName). */
  public readonly records = new Map<string, Json>();
  /** Every weight change, in order. */
  public readonly weightChanges: WeightChange[] = [];
  /** ECS services by ARN. */
  public readonly services = new Map<string, EcsService>();
  /** Task definitions by ARN (the template's two, then every registered revision). */
  public readonly taskDefinitions = new Map<string, Json>();
  /** The parameters of every RegisterTaskDefinition call, in order. */
  public readonly registered: Json[] = [];
  /** Scalable targets by resource id. */
  public readonly scalableTargets = new Map<string, { min: number; max: number }>();
  /** Alarms by name, with their state. */
  public readonly alarms = new Map<string, { kind: 'metric' | 'composite'; state: 'OK' | 'ALARM' }>();
  /** The first alarm check that saw an alarm: its state name and the index of the call. */
  public alarmSeenBy?: { state: string; call: number };
  /** EventBridge entries put. */
  public readonly events: Json[] = [];
  /** Every CloudWatch data point published (PutMetricData), one PutMetricData call after another. */
  public readonly metricCalls: MetricPoint[][] = [];
  /** Approval requests published. */
  public readonly approvals: Json[] = [];
  /** Step Functions executions by ARN: every run of the rollout (runRollout registers it), and any a test adds. */
  public readonly executions = new Map<string, Execution>();
  /** Every call, in order. */
  public readonly calls: Call[] = [];
  /** Contract violations: a call the real API would refuse, or one that names something unknown. Tests expect none. */
  public readonly violations: string[] = [];
  /** Successful writes (DynamoDB, ECS, Application Auto Scaling, Route 53, EventBridge). */
  public writes = 0;

  // --- Scenario knobs ---
  /** How the next deployments go. */
  public deploymentOutcome: DeploymentOutcome = 'COMPLETED';
  /** Describes of the idle slot before the deployment settles. */
  public describesUntilSteady = 2;
  /** GetChange answers PENDING this many times per change, then INSYNC. */
  public dnsPendingPolls = 1;
  /** Which alarms are in ALARM at an alarm check (latched: they stay in ALARM). */
  public alarmTrigger?: (context: AlarmContext) => string[];
  /**
   * Leave MetricAlarms and CompositeAlarms out of a DescribeAlarms answer when they are empty, as
   * an SDK integration may (it does for S3's empty Contents): the definition must not depend on them.
   */
  public omitEmptyAlarmLists = false;
  /** The answer approval requests get. */
  public approval: ApprovalAnswer = 'approve';
  /**
   * Answer DescribeTaskDefinition without Environment for a container that has no variables
   * (ECS answers an empty list; this checks the release does not depend on it).
   */
  public omitEmptyEnvironment = false;
  /** Errors each API raises before it answers, consumed in order (for example throttling). */
  public readonly failures = new Map<string, string[]>();
  /** Runs before every call (to start a concurrent execution, for example). */
  public beforeCall?: (call: Call) => Promise<void>;

  private changeCounter = 0;
  private deploymentCounter = 0;
  private readonly changes = new Map<string, { polls: number; pending: number }>();
  private alarmChecks = 0;
  private checksSinceWeightChange = 0;

  constructor(public readonly synth: Synthesized) {
    for (const slot of [synth.blue, synth.green]) {
      this.taskDefinitions.set(slot.taskDefinitionArn, { ...slot.taskDefinition, TaskDefinitionArn: slot.taskDefinitionArn, Revision: 1 });
      const deploymentId = this.nextDeploymentId();
      this.services.set(slot.serviceArn, {
        slot: slot.name,
        arn: slot.serviceArn,
        name: slot.serviceName,
        clusterArn: slot.clusterArn,
        taskDefinition: slot.taskDefinitionArn,
        desired: slot.desiredCount,
        deployments: [{
          Id: deploymentId,
          Status: 'PRIMARY',
          TaskDefinition: slot.taskDefinitionArn,
          DesiredCount: slot.desiredCount,
          RunningCount: slot.desiredCount,
          RolloutState: 'COMPLETED',
          outcome: 'COMPLETED',
          describesLeft: 0,
        }],
      });
      this.records.set(slot.record.SetIdentifier, recordFromTemplate(slot.record));
      const target = slot.scalableTarget;
      if (target) this.scalableTargets.set(target.resourceId, { min: target.min, max: target.max });
    }
    for (const [name, kind] of Object.entries(synth.alarms)) this.alarms.set(name, { kind, state: 'OK' });
  }

  /** Current weights per slot. */
  public get weights(): { blue: number; green: number } {
    return { blue: this.records.get('blue').Weight, green: this.records.get('green').Weight };
  }

  /** A DynamoDB item as plain values (S and N as strings and numbers, L as arrays, M as objects). */
  public item(pk: string): Json {
    const item = this.items.get(pk);
    return item ? unmarshall({ M: item }) : undefined;
  }

  /** The service of a slot. */
  public service(slot: 'blue' | 'green'): EcsService {
    const arn = this.synth[slot].serviceArn;
    return this.services.get(arn)!;
  }

  /** Makes the next `count` calls of an API raise `error` (default: its throttling error). */
  public fail(api: string, count: number, error = THROTTLING[api]): void {
    if (!error) throw new Error(`no throttling error for ${api}`);
    this.failures.set(api, [...(this.failures.get(api) ?? []), ...Array<string>(count).fill(error)]);
  }

  /** The handlers of every Task state of a definition, by state name. */
  public handlers(definition: Json): { [state: string]: (input: Json) => Promise<Json> } {
    const handlers: { [state: string]: (input: Json) => Promise<Json> } = {};
    for (const [name, state] of Object.entries(statesOf(definition))) {
      if (state.Type !== 'Task') continue;
      const api = RESOURCE_API[state.Resource];
      handlers[name] = async (input: Json) => {
        const call: Call = { state: name, api: api ?? state.Resource, params: clone(input) };
        this.calls.push(call);
        try {
          if (!api) this.violate(`${name}: no simulation of ${state.Resource}`);
          if (this.beforeCall) await this.beforeCall(call);
          // Every member, at any depth, under the name the integration takes, checked against the
          // AWS API model (test/contract/aws-models.ts): AWS refuses any other.
          const modelCall = callOfTask(state.Resource, input, name)!;
          const problems = checkCall(modelCall);
          if (problems.length > 0) this.violate(`${name}: ${problems.join('; ')}`);
          const queued = this.failures.get(api);
          if (queued && queued.length > 0) {
            const error = queued.shift()!;
            const code = THROTTLING_CODE[error];
            throw new AwsError(error, code ? `Rate exceeded (Error Code: ${code}) (simulated)` : `${api} failed (simulated)`);
          }
          const output = await this.dispatch(name, api, input);
          // The stand-ins answer in the shapes (and member names) the integration gives.
          const answered = checkAnswer(modelCall, output);
          if (answered.length > 0) this.violate(`${name}: the stand-in's answer: ${answered.join('; ')}`);
          return output;
        } catch (e) {
          call.error = (e as Error).name;
          throw e;
        }
      };
    }
    return handlers;
  }

  private violate(message: string): never {
    this.violations.push(message);
    throw new AwsError('Harness.ContractViolation', message);
  }

  private check(condition: unknown, state: string, message: string): void {
    if (!condition) this.violate(`${state}: ${message}`);
  }

  private nextDeploymentId(): string {
    this.deploymentCounter += 1;
    return `ecs-svc/${String(1000000 + this.deploymentCounter)}`;
  }

  private async dispatch(state: string, api: string, p: Json): Promise<Json> {
    switch (api) {
      case 'dynamodb:updateItem': return this.updateItem(state, p);
      case 'dynamodb:putItem': return this.putItem(state, p);
      case 'dynamodb:getItem': return this.getItem(state, p);
      case 'ecs:describeServices': return this.describeServices(state, p);
      case 'ecs:describeTaskDefinition': return this.describeTaskDefinition(state, p);
      case 'ecs:registerTaskDefinition': return this.registerTaskDefinition(state, p);
      case 'ecs:updateService': return this.updateService(state, p);
      case 'applicationautoscaling:registerScalableTarget': return this.registerScalableTarget(state, p);
      case 'route53:changeResourceRecordSets': return this.changeResourceRecordSets(state, p);
      case 'route53:getChange': return this.getChange(state, p);
      case 'cloudwatch:describeAlarms': return this.describeAlarms(state, p);
      case 'cloudwatch:putMetricData': return this.putMetricData(state, p);
      case 'events:putEvents': return this.putEvents(state, p);
      case 'sns:publish': return this.publish(state, p);
      case 'sfn:describeExecution': return this.describeExecution(state, p);
      default: return this.violate(`${state}: ${api} not simulated`);
    }
  }

  // --- DynamoDB ---

  private table(state: string, p: Json): void {
    this.check(p.TableName === this.synth.tableName, state, `TableName ${p.TableName} is not the state table ${this.synth.tableName}`);
  }

  private key(state: string, key: Json): string {
    this.check(key && Object.keys(key).length === 1 && key.pk && Object.keys(key.pk).length === 1 && typeof key.pk.S === 'string',
      state, `Key ${JSON.stringify(key)} is not {pk: {S}}`);
    checkAttributeValue(key.pk, `${state}: Key.pk`, (m) => this.violate(m));
    return key.pk.S;
  }

  private expressions(state: string, p: Json, expressions: (string | undefined)[]): ExpressionScope {
    const names: { [k: string]: string } = p.ExpressionAttributeNames ?? {};
    const values: { [k: string]: AttributeValue } = p.ExpressionAttributeValues ?? {};
    for (const [k, v] of Object.entries(values)) checkAttributeValue(v, `${state}: ExpressionAttributeValues ${k}`, (m) => this.violate(m));
    const text = expressions.filter((e) => e !== undefined).join(' ');
    for (const k of Object.keys(names)) if (!new RegExp(`${k}(?![A-Za-z0-9_])`).test(text)) this.violate(`${state}: ExpressionAttributeNames ${k} unused in expressions`);
    for (const k of Object.keys(values)) if (!new RegExp(`${k}(?![A-Za-z0-9_])`).test(text)) this.violate(`${state}: ExpressionAttributeValues ${k} unused in expressions`);
    return { names, values, fail: (m: string) => this.violate(`${state}: ${m}`) };
  }

  private updateItem(state: string, p: Json): Json {
    this.table(state, p);
    const pk = this.key(state, p.Key);
    this.check(typeof p.UpdateExpression === 'string', state, 'UpdateExpression missing');
    const scope = this.expressions(state, p, [p.UpdateExpression, p.ConditionExpression]);
    const current = this.items.get(pk);
    if (p.ConditionExpression !== undefined && !evaluateCondition(p.ConditionExpression, current ?? {}, scope)) {
      throw new AwsError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
    }
    const updated = applyUpdate(p.UpdateExpression, clone(current ?? { pk: { S: pk } }), scope);
    if (!updated.pk || updated.pk.S !== pk) this.violate(`${state}: the update changes the key`);
    this.items.set(pk, updated);
    this.writes += 1;
    if (p.ReturnValues === 'ALL_NEW') return { Attributes: clone(updated) };
    this.check(p.ReturnValues === undefined || p.ReturnValues === 'NONE', state, `ReturnValues ${p.ReturnValues} not simulated`);
    return {};
  }

  private putItem(state: string, p: Json): Json {
    this.table(state, p);
    this.check(p.Item && typeof p.Item === 'object', state, 'Item missing');
    for (const [k, v] of Object.entries(p.Item)) checkAttributeValue(v as AttributeValue, `${state}: Item.${k}`, (m) => this.violate(m));
    const pk = this.key(state, { pk: p.Item.pk });
    const scope = this.expressions(state, p, [p.ConditionExpression]);
    const current = this.items.get(pk);
    if (p.ConditionExpression !== undefined && !evaluateCondition(p.ConditionExpression, current ?? {}, scope)) {
      throw new AwsError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
    }
    this.items.set(pk, clone(p.Item));
    this.writes += 1;
    return {};
  }

  private getItem(state: string, p: Json): Json {
    this.table(state, p);
    const pk = this.key(state, p.Key);
    const item = this.items.get(pk);
    return item ? { Item: clone(item) } : {};
  }

  // --- ECS ---

  private ecsService(state: string, cluster: string, arn: string): EcsService {
    const service = this.services.get(arn);
    if (!service) return this.violate(`${state}: no ECS service ${arn}`);
    // ECS takes the cluster's ARN or its name (the template's Ref).
    const name = service.clusterArn.replace(/^ATT:(.*)\.Arn$/, 'REF:$1');
    this.check(cluster === service.clusterArn || cluster === name, state, `cluster ${cluster} is not the cluster of ${arn} (${service.clusterArn})`);
    return service;
  }

  private describeServices(state: string, p: Json): Json {
    this.check(Array.isArray(p.Services) && p.Services.length >= 1 && p.Services.length <= 10, state, 'Services must list 1 to 10 services');
    const services = p.Services.map((arn: string) => {
      const service = this.ecsService(state, p.Cluster, arn);
      this.advance(service);
      const primary = service.deployments[0];
      return {
        ServiceArn: service.arn,
        ServiceName: service.name,
        ClusterArn: service.clusterArn,
        Status: 'ACTIVE',
        DesiredCount: service.desired,
        RunningCount: service.deployments.reduce((sum, d) => sum + d.RunningCount, 0),
        PendingCount: Math.max(0, service.desired - primary.RunningCount),
        TaskDefinition: service.taskDefinition,
        Deployments: service.deployments.map((d) => ({
          Id: d.Id,
          Status: d.Status,
          TaskDefinition: d.TaskDefinition,
          DesiredCount: d.DesiredCount,
          RunningCount: d.RunningCount,
          PendingCount: Math.max(0, d.DesiredCount - d.RunningCount),
          LaunchType: 'FARGATE',
          RolloutState: d.RolloutState,
          RolloutStateReason: d.RolloutState === 'FAILED' ? 'ECS deployment circuit breaker: tasks failed to start.' : 'simulated',
        })),
      };
    });
    return { Services: services, Failures: [] };
  }

  /** One describe later: the primary deployment progresses towards its outcome. */
  private advance(service: EcsService): void {
    const primary = service.deployments[0];
    if (primary.RolloutState !== 'IN_PROGRESS') return;
    if (primary.outcome === 'STUCK') {
      primary.RunningCount = Math.max(0, primary.DesiredCount - 1);
      return;
    }
    if (primary.describesLeft > 1) {
      primary.describesLeft -= 1;
      primary.RunningCount = Math.min(primary.DesiredCount, primary.RunningCount + 1);
      return;
    }
    switch (primary.outcome) {
      case 'COMPLETED':
        primary.RolloutState = 'COMPLETED';
        primary.RunningCount = primary.DesiredCount;
        service.deployments = [primary];
        break;
      case 'FAILED':
        primary.RolloutState = 'FAILED';
        primary.RunningCount = 0;
        break;
      case 'ROLLED_BACK': {
        const previous = service.deployments[1];
        primary.RolloutState = 'FAILED';
        primary.Status = 'ACTIVE';
        primary.RunningCount = 0;
        const rollback: Deployment = {
          Id: this.nextDeploymentId(),
          Status: 'PRIMARY',
          TaskDefinition: previous?.TaskDefinition ?? primary.TaskDefinition,
          DesiredCount: primary.DesiredCount,
          RunningCount: primary.DesiredCount,
          RolloutState: 'IN_PROGRESS',
          outcome: 'COMPLETED',
          describesLeft: 1,
        };
        service.taskDefinition = rollback.TaskDefinition;
        service.deployments = [rollback, primary, ...service.deployments.slice(1).map((d) => ({ ...d, Status: 'ACTIVE' as const }))];
        break;
      }
    }
  }

  private describeTaskDefinition(state: string, p: Json): Json {
    if (!this.taskDefinitions.has(p.TaskDefinition)) return this.violate(`${state}: no task definition ${p.TaskDefinition}`);
    return { TaskDefinition: this.described(p.TaskDefinition) };
  }

  /** A task definition as DescribeTaskDefinition answers it (its `TaskDefinition`). */
  public described(arn: string): Json {
    const definition = this.taskDefinitions.get(arn);
    if (!definition) throw new Error(`no task definition ${arn}`);
    // DescribeTaskDefinition answers every field the definition has, with the defaults ECS fills
    // in (Volumes and PlacementConstraints [] even when none were given; in each container
    // Cpu 0, Environment, MountPoints and VolumesFrom [], port mappings with their Protocol and,
    // in awsvpc mode, HostPort), plus read-only fields RegisterTaskDefinition does not take
    // (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html#API_DescribeTaskDefinition_Examples).
    // Tags are answered beside the task definition, not in it.
    const { Tags: _tags, ...rest } = clone(definition);
    const containers = (rest.ContainerDefinitions ?? []).map((c: Json) => {
      const container: Json = { Cpu: 0, MountPoints: [], VolumesFrom: [], ...c };
      if (container.Environment === undefined && !this.omitEmptyEnvironment) container.Environment = [];
      if (container.PortMappings) {
        container.PortMappings = container.PortMappings.map((m: Json) => ({
          Protocol: 'tcp', ...(rest.NetworkMode === 'awsvpc' ? { HostPort: m.ContainerPort } : {}), ...m,
        }));
      } else {
        container.PortMappings = [];
      }
      return container;
    });
    return {
      Volumes: [],
      PlacementConstraints: [],
      ...rest,
      ContainerDefinitions: containers,
      Status: 'ACTIVE',
      Compatibilities: ['EC2', 'FARGATE'],
      RequiresAttributes: [{ Name: 'com.amazonaws.ecs.capability.logging-driver.awslogs' }],
      RegisteredAt: '2026-01-01T00:00:00Z',
      RegisteredBy: `arn:aws:iam::${ACCOUNT}:role/cloudformation`,
    };
  }

  private registerTaskDefinition(state: string, p: Json): Json {
    this.check(typeof p.Family === 'string' && Array.isArray(p.ContainerDefinitions) && p.ContainerDefinitions.length > 0, state,
      'Family and ContainerDefinitions are required');
    const revisions = [...this.taskDefinitions.values()].filter((d) => d.Family === p.Family).length;
    this.check(revisions > 0, state, `Family ${p.Family} is none of the slots' families`);
    for (const container of p.ContainerDefinitions) {
      // ECS refuses an empty or malformed image with a ClientException (an API error, not a mistake of the definition).
      if (typeof container.Image !== 'string' || !/^[A-Za-z0-9\-_:./#@]{1,255}$/.test(container.Image)) {
        throw new AwsError('Ecs.ClientException', `Container.image ${JSON.stringify(container.Image)} is not valid`);
      }
    }
    const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${p.Family}:${revisions + 1}`;
    this.registered.push(clone(p));
    this.taskDefinitions.set(arn, { ...clone(p), TaskDefinitionArn: arn, Revision: revisions + 1 });
    this.writes += 1;
    return { TaskDefinition: { ...clone(p), TaskDefinitionArn: arn, Revision: revisions + 1, Status: 'ACTIVE' } };
  }

  private updateService(state: string, p: Json): Json {
    const service = this.ecsService(state, p.Cluster, p.Service);
    if (p.DesiredCount !== undefined) {
      this.check(Number.isInteger(p.DesiredCount) && p.DesiredCount >= 0, state, `DesiredCount ${p.DesiredCount} is not a count`);
      service.desired = p.DesiredCount;
    }
    if (p.TaskDefinition !== undefined) {
      this.check(this.taskDefinitions.has(p.TaskDefinition), state, `no task definition ${p.TaskDefinition}`);
      service.taskDefinition = p.TaskDefinition;
    }
    if (p.TaskDefinition !== undefined || p.ForceNewDeployment === true) {
      const previous = service.deployments.map((d) => ({ ...d, Status: 'ACTIVE' as const, DesiredCount: 0 }));
      service.deployments = [{
        Id: this.nextDeploymentId(),
        Status: 'PRIMARY',
        TaskDefinition: service.taskDefinition,
        DesiredCount: service.desired,
        RunningCount: 0,
        RolloutState: 'IN_PROGRESS',
        outcome: this.deploymentOutcome,
        describesLeft: this.describesUntilSteady,
      }, ...previous.slice(0, 1)];
    } else {
      for (const d of service.deployments) {
        d.DesiredCount = service.desired;
        d.RunningCount = service.desired;
      }
    }
    this.writes += 1;
    return {
      Service: {
        ServiceArn: service.arn,
        ServiceName: service.name,
        ClusterArn: service.clusterArn,
        DesiredCount: service.desired,
        TaskDefinition: service.taskDefinition,
        Deployments: service.deployments.map((d) => ({ Id: d.Id, Status: d.Status, TaskDefinition: d.TaskDefinition, RolloutState: d.RolloutState })),
      },
    };
  }

  // --- Application Auto Scaling ---

  private registerScalableTarget(state: string, p: Json): Json {
    this.check(p.ServiceNamespace === 'ecs' && p.ScalableDimension === 'ecs:service:DesiredCount', state, 'not an ECS service count');
    const target = this.scalableTargets.get(p.ResourceId);
    if (!target) return this.violate(`${state}: no scalable target ${p.ResourceId} (known: ${[...this.scalableTargets.keys()].join(', ')})`);
    this.check(Number.isInteger(p.MinCapacity) && Number.isInteger(p.MaxCapacity) && p.MinCapacity <= p.MaxCapacity, state, 'bad capacity');
    target.min = p.MinCapacity;
    target.max = p.MaxCapacity;
    // Application Auto Scaling brings the desired count into the new bounds.
    const service = [...this.services.values()].find((s) => p.ResourceId.endsWith(`/${s.name}`));
    if (service) {
      const desired = Math.min(Math.max(service.desired, target.min), target.max);
      if (desired !== service.desired) {
        service.desired = desired;
        for (const d of service.deployments) d.DesiredCount = d.RunningCount = desired;
      }
    }
    this.writes += 1;
    return { ScalableTargetARN: `arn:aws:application-autoscaling:${REGION}:${ACCOUNT}:scalable-target/${p.ResourceId}` };
  }

  // --- Route 53 ---

  private changeResourceRecordSets(state: string, p: Json): Json {
    this.check(p.HostedZoneId === HOSTED_ZONE_ID, state, `HostedZoneId ${p.HostedZoneId} is not ${HOSTED_ZONE_ID}`);
    const changes = p.ChangeBatch?.Changes;
    this.check(Array.isArray(changes) && changes.length > 0, state, 'ChangeBatch.Changes missing');
    const next = new Map(this.records);
    const seen = new Set<string>();
    for (const change of changes) {
      this.check(change.Action === 'UPSERT', state, `Action ${change.Action} is not UPSERT`);
      const set = change.ResourceRecordSet;
      const existing = this.records.get(set?.SetIdentifier);
      if (!existing) return this.violate(`${state}: no record with SetIdentifier ${set?.SetIdentifier}`);
      this.check(!seen.has(set.SetIdentifier), state, `two changes of ${set.SetIdentifier} in one batch (InvalidChangeBatch)`);
      seen.add(set.SetIdentifier);
      this.check(Number.isInteger(set.Weight) && set.Weight >= 0 && set.Weight <= 255, state, `Weight ${JSON.stringify(set.Weight)} is not 0 to 255`);
      const { Weight: _weight, ...rest } = set;
      const { Weight: _existingWeight, ...existingRest } = existing;
      const normalize = (r: Json) => ({ ...r, Name: String(r.Name).toLowerCase().replace(/\.?$/, '.') });
      this.check(JSON.stringify(sortKeys(normalize(rest))) === JSON.stringify(sortKeys(normalize(existingRest))), state,
        `the UPSERT of ${set.SetIdentifier} changes more than the weight: ${JSON.stringify(rest)} vs ${JSON.stringify(existingRest)}`);
      next.set(set.SetIdentifier, { ...existing, Weight: set.Weight });
    }
    for (const [k, v] of next) this.records.set(k, v);
    this.weightChanges.push({ state, ...this.weights });
    this.checksSinceWeightChange = 0;
    this.changeCounter += 1;
    const id = `C${String(this.changeCounter).padStart(12, '0')}`;
    this.changes.set(id, { polls: 0, pending: this.dnsPendingPolls });
    this.writes += 1;
    return { ChangeInfo: { Id: `/change/${id}`, Status: 'PENDING', SubmittedAt: '2026-01-01T00:00:00Z', Comment: p.ChangeBatch.Comment } };
  }

  private getChange(state: string, p: Json): Json {
    // The SDK takes the id with or without the /change/ prefix.
    const id = String(p.Id).replace(/^\/change\//, '');
    const change = this.changes.get(id);
    if (!change) return this.violate(`${state}: no change ${p.Id}`);
    change.polls += 1;
    return { ChangeInfo: { Id: `/change/${id}`, Status: change.polls > change.pending ? 'INSYNC' : 'PENDING', SubmittedAt: '2026-01-01T00:00:00Z' } };
  }

  // --- CloudWatch ---

  private describeAlarms(state: string, p: Json): Json {
    const names: string[] = p.AlarmNames ?? [];
    this.check(Array.isArray(names) && names.length >= 1 && names.length <= 100, state, 'AlarmNames must name 1 to 100 alarms');
    for (const name of names) this.check(this.alarms.has(name), state, `no alarm ${name}`);
    const types: string[] = p.AlarmTypes ?? ['MetricAlarm'];
    const context: AlarmContext = { state, weights: this.weights, checksSinceWeightChange: this.checksSinceWeightChange };
    for (const name of this.alarmTrigger?.(context) ?? []) {
      const alarm = this.alarms.get(name);
      if (!alarm) this.violate(`scenario: no alarm ${name}`);
      alarm!.state = 'ALARM';
    }
    this.alarmChecks += 1;
    this.checksSinceWeightChange += 1;
    const matching = names.filter((n) => this.alarms.get(n)!.state === (p.StateValue ?? this.alarms.get(n)!.state));
    const shape = (name: string) => ({ AlarmName: name, AlarmArn: `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`, StateValue: this.alarms.get(name)!.state });
    // One page of at most MaxRecords alarms (default 50), metric alarms first, then composite ones.
    const page = matching.filter((n) => types.includes(this.alarms.get(n)!.kind === 'metric' ? 'MetricAlarm' : 'CompositeAlarm'))
      .sort((a, b) => this.alarms.get(a)!.kind.localeCompare(this.alarms.get(b)!.kind) * -1)
      .slice(0, p.MaxRecords ?? 50);
    const metric = page.filter((n) => this.alarms.get(n)!.kind === 'metric').map(shape);
    const composite = page.filter((n) => this.alarms.get(n)!.kind === 'composite').map(shape);
    if ((metric.length > 0 || composite.length > 0) && !this.alarmSeenBy) this.alarmSeenBy = { state, call: this.calls.length - 1 };
    if (this.omitEmptyAlarmLists) {
      return { ...(metric.length > 0 ? { MetricAlarms: metric } : {}), ...(composite.length > 0 ? { CompositeAlarms: composite } : {}) };
    }
    return { MetricAlarms: metric, CompositeAlarms: composite };
  }

  private putMetricData(state: string, p: Json): Json {
    // The model checks names and types (checkCall); these are the API reference's limits:
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html,
    // API_MetricDatum.html, API_Dimension.html. CloudWatch refuses a call outside them with
    // InvalidParameterValue (CloudWatch.InvalidParameterValueException through the integration).
    const refuse = (message: string): never => {
      throw new AwsError('CloudWatch.InvalidParameterValueException', `${state}: ${message}`);
    };
    const ascii = (text: unknown) => typeof text === 'string' && /^[\x20-\x7e]*$/.test(text) && text.trim().length > 0;
    if (!ascii(p.Namespace) || p.Namespace.length > 255 || /^AWS\//.test(p.Namespace) || p.Namespace.startsWith(':')) refuse(`Namespace ${p.Namespace}`);
    if (!Array.isArray(p.MetricData) || p.MetricData.length < 1 || p.MetricData.length > 1000) refuse('MetricData must hold 1 to 1000 data');
    const points: MetricPoint[] = p.MetricData.map((datum: Json) => {
      if (!ascii(datum.MetricName) || datum.MetricName.length > 255) refuse(`MetricName ${datum.MetricName}`);
      const dimensions: { [name: string]: string } = {};
      for (const d of datum.Dimensions ?? []) {
        if (!ascii(d.Name) || d.Name.length > 255 || d.Name.startsWith(':')) refuse(`dimension name ${d.Name}`);
        if (!ascii(d.Value) || d.Value.length > 1024) refuse(`dimension value ${d.Value}`);
        if (dimensions[d.Name] !== undefined) refuse(`dimension ${d.Name} twice`);
        dimensions[d.Name] = d.Value;
      }
      if ((datum.Dimensions ?? []).length > 30) refuse('more than 30 dimensions');
      if (typeof datum.Value !== 'number' || !Number.isFinite(datum.Value)) refuse(`Value ${JSON.stringify(datum.Value)} is not a number`);
      const unit = datum.Unit ? { unit: datum.Unit } : {};
      return { state, namespace: p.Namespace, metricName: datum.MetricName, dimensions, value: datum.Value, ...unit };
    });
    this.metricCalls.push(points);
    // PutMetricData answers nothing.
    return {};
  }

  // --- Step Functions ---

  /** Adds an execution of the rollout state machine (named `name`) with a status, as another start left it. */
  public addExecution(name: string, status: ExecutionStatus): Execution {
    const execution: Execution = {
      executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:Rollout:${name}`,
      stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Rollout`,
      name,
      status,
      startDate: '2025-12-31T23:00:00Z',
      ...(status === 'RUNNING' ? {} : { stopDate: '2025-12-31T23:30:00Z' }),
    };
    this.executions.set(execution.executionArn, execution);
    return execution;
  }

  private describeExecution(_state: string, p: Json): Json {
    // Step Functions refuses a malformed ARN (InvalidArn) and answers ExecutionDoesNotExist for an
    // execution it does not know, or no longer keeps (90 days after it ended).
    if (typeof p.ExecutionArn !== 'string' || !/^arn:aws:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(p.ExecutionArn)) {
      throw new AwsError('Sfn.InvalidArnException', `Invalid Arn: '${p.ExecutionArn}'`);
    }
    const execution = this.executions.get(p.ExecutionArn);
    if (!execution) throw new AwsError('Sfn.ExecutionDoesNotExistException', `Execution Does Not Exist: '${p.ExecutionArn}'`);
    // The AWS SDK integration's member names (Java v2: executionArn -> ExecutionArn); StartDate and
    // StopDate are timestamps, answered as ISO strings. Input and output are left out: the
    // definition keeps only the status.
    return {
      ExecutionArn: execution.executionArn,
      StateMachineArn: execution.stateMachineArn,
      Name: execution.name,
      Status: execution.status,
      StartDate: execution.startDate,
      ...(execution.stopDate ? { StopDate: execution.stopDate } : {}),
      RedriveCount: 0,
    };
  }

  // --- EventBridge, SNS ---

  private putEvents(state: string, p: Json): Json {
    this.check(Array.isArray(p.Entries) && p.Entries.length >= 1 && p.Entries.length <= 10, state, 'Entries must hold 1 to 10 entries');
    for (const entry of p.Entries) {
      for (const key of Object.keys(entry)) {
        this.check(['Source', 'DetailType', 'Detail', 'Resources', 'EventBusName', 'Time', 'TraceHeader'].includes(key), state, `entry has ${key}`);
      }
      this.check(typeof entry.Source === 'string' && typeof entry.DetailType === 'string' && entry.Detail && typeof entry.Detail === 'object', state,
        'an entry needs Source, DetailType and a Detail object');
      this.events.push(clone(entry));
    }
    this.writes += 1;
    return { Entries: p.Entries.map((_: Json, i: number) => ({ EventId: `event-${this.events.length}-${i}` })), FailedEntryCount: 0 };
  }

  private async publish(state: string, p: Json): Promise<Json> {
    this.check(p.TopicArn === this.synth.approvalTopicArn, state, `TopicArn ${p.TopicArn} is not the approval topic`);
    this.check(typeof p.Message === 'string' && p.Message.length > 0, state, 'Message missing');
    if (p.Subject !== undefined) {
      // SNS: "Constraints: Subjects must be ASCII text that begins with a letter, number, or
      // punctuation mark; must not include line breaks or control characters; and must be less
      // than 100 characters long" (it takes 100). https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
      const subject = String(p.Subject);
      if (subject.length > 100 || !/^[A-Za-z0-9!-/:-@[-`{-~][\x20-\x7e]*$/.test(subject)) {
        throw new AwsError('SNS.InvalidParameterException', `Invalid parameter: Subject (${subject.length} characters): ${subject}`);
      }
    }
    this.approvals.push(clone(p));
    switch (this.approval) {
      case 'approve': return {};
      // What `aws stepfunctions send-task-failure --error CanaryDeployment.Aborted` gives.
      case 'abort': throw new AwsError('CanaryDeployment.Aborted', 'refused by the approver');
      // Step Functions raises States.Timeout when TimeoutSeconds passes without an answer. The
      // local interpreter honours TimeoutSeconds too (it races the handler with a timer), but
      // a day cannot pass in a test: the handler raises the error Step Functions would.
      case 'timeout': throw new AwsError('States.Timeout', 'Task timed out (simulated)');
      case 'hang': return new Promise<Json>(() => undefined);
    }
  }
}
