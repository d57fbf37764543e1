/**
 * Executes the synthesized rollout state machine of a `CanaryDeployment` locally, against a
 * simulated AWS "world" (DynamoDB, ECS, Application Auto Scaling, Route 53, CloudWatch,
 * EventBridge, SNS), with `aws-local-stepfunctions`.
 *
 * - `synthesizeCanary()` builds a stack with a `CanaryDeployment`, takes the state machine's
 *   `DefinitionString` from the template, resolves its `Fn::Join` (every `Ref` becomes
 *   `REF:<logicalId>`, every `Fn::GetAtt` becomes `ATT:<logicalId>.<attribute>`) and parses it.
 *   The same placeholders are used for the resources the world starts from (task definitions,
 *   services, records, alarms, scalable targets), so the definition and the template must agree.
 * - `World` holds the state of the simulated services. Its handlers validate every call the way
 *   the real API would (unknown parameters, attribute value types, expression syntax, reserved
 *   words, unused expression values, record fields other than the weight, ...): a mistake is
 *   recorded in `world.violations` (tests expect none) and thrown, never silently accepted.
 * - `runRollout()` runs one execution: every Task state gets the world's handler for its
 *   `Resource` (keyed by state name, `overrides.taskResourceLocalHandlers`), every Wait and
 *   every retry interval is shortened to 0 ms, and the event log is recorded.
 *
 * Waits are 0 ms, so time is virtual: `Run.timeline` gives each state entered with the seconds
 * the real execution would have waited before it (the sum of the `Seconds` of the Wait states
 * entered so far).
 */
import { createRequire } from 'module';
import { Duration, Stack, aws_certificatemanager as acm, aws_cloudwatch as cloudwatch, aws_ecs as ecs, aws_route53 as route53 } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { StateMachine as StateMachineClass } from 'aws-local-stepfunctions' with { 'resolution-mode': 'import' };
import { Construct } from 'constructs';
import { CanaryDeployment, CanaryStep, OldSlot } from '../../src';
import { callOfTask, checkAnswer, checkCall } from '../contract/aws-models';
import { CERT_ARN, ENV, IMAGE, withEnvironment } from '../service/fixtures';

// aws-local-stepfunctions 3 uses Promise.withResolvers (Node 22); Node 20 lacks it.
const promiseStatics = Promise as unknown as { withResolvers?: unknown };
if (typeof promiseStatics.withResolvers !== 'function') {
  promiseStatics.withResolvers = function withResolvers<T>() {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// asl-validator ships no type declarations: load it untyped and give it its documented shape.
type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => {
  isValid: boolean;
  errors: unknown[];
  errorsText: (separator?: string) => string;
};
const aslValidator = createRequire(__filename)('asl-validator') as AslValidator;

// aws-local-stepfunctions is an ECMAScript module package with a CommonJS build: TypeScript
// refuses a static import of it from this CommonJS file, so it is required (through jest's or
// ts-node's require, so that it lives in this realm) and typed with a type-only import.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { StateMachine } = require('aws-local-stepfunctions') as { StateMachine: typeof StateMachineClass };

/** A JSON value as the state machine passes it around. */
export type Json = any;

/**
 * A deep copy made in this realm. Not `structuredClone`: under jest it returns objects of the
 * outer realm, whose prototype is not this realm's `Object.prototype`, and aws-local-stepfunctions
 * then leaves nested payload templates unevaluated.
 */
export function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

/** The region, account and execution prefix of the simulated world. */
export const REGION = ENV.region;
export const ACCOUNT = ENV.account;
export const HOSTED_ZONE_ID = 'Z123';
export const NEW_IMAGE = '111111111111.dkr.ecr.us-east-1.amazonaws.com/users:v2';

// ---------------------------------------------------------------------------------------------
// Synthesis
// ---------------------------------------------------------------------------------------------

/** What to build. */
export interface CanaryVariant {
  /** `approvalBeforeLastStep: true`. */
  readonly approval?: boolean;
  /** `oldSlot: OldSlot.SCALE_IN`. */
  readonly scaleIn?: boolean;
  /** Weighted CNAME records with this TTL instead of alias records. */
  readonly recordTtl?: Duration;
  /** Steps (default `CanaryStep.standard()`: 10, 25, 50, 100 %, 5 minutes each). */
  readonly steps?: CanaryStep[];
  /** A sidecar container added to both slots' task definitions after the canary is built (`blue.taskDefinition.addContainer`), with an environment variable of its own. */
  readonly sidecarAfterConstruction?: boolean;
  /** The service's `config` (plain environment variables of the app container). */
  readonly config?: { [name: string]: string };
  /** Construct ids the canary is nested in (its path is `Test/<ids...>/Canary`). */
  readonly nestedIn?: string[];
}

/** A slot as the template describes it. */
export interface TemplateSlot {
  readonly name: 'blue' | 'green';
  readonly serviceArn: string;
  readonly serviceName: string;
  readonly clusterArn: string;
  readonly desiredCount: number;
  readonly taskDefinitionArn: string;
  /** The task definition's properties, tokens resolved to placeholders (CloudFormation names = ECS API names). */
  readonly taskDefinition: Json;
  /** The weighted record, as CloudFormation declares it (tokens resolved). */
  readonly record: Json;
  /** The name of the slot's composite alarm. */
  readonly compositeAlarm: string;
  /** The Application Auto Scaling resource id and bounds, when the slot scales. */
  readonly scalableTarget?: { resourceId: string; min: number; max: number };
}

/** A synthesized canary and everything the tests need from its template. */
export interface Synthesized {
  readonly variant: CanaryVariant;
  readonly stack: Stack;
  readonly canary: CanaryDeployment;
  readonly template: Template;
  /** The state machine definition CloudFormation receives, tokens replaced by placeholders. */
  readonly definition: Json;
  readonly blue: TemplateSlot;
  readonly green: TemplateSlot;
  /** The extra alarm given in `alarms` (a metric alarm, watched in both slots). */
  readonly extraAlarm: string;
  /** Every alarm name in the template, with its kind. */
  readonly alarms: { [name: string]: 'metric' | 'composite' };
  readonly tableName: string;
  readonly approvalTopicArn?: string;
  readonly eventSource: string;
  /** The index of the app container in the task definition. */
  readonly appContainerIndex: number;
}

const PSEUDO: { [name: string]: string } = {
  'AWS::Partition': 'aws',
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'Test',
  'AWS::NoValue': '',
};

/**
 * Resolves CloudFormation intrinsics to readable placeholders: `Ref` to `REF:<logicalId>` (pseudo
 * parameters to their values), `Fn::GetAtt` to `ATT:<logicalId>.<attribute>`, and evaluates
 * `Fn::Join`, `Fn::Select` and `Fn::Split`. Anything else is refused.
 */
export function resolveTokens(value: Json): Json {
  if (Array.isArray(value)) return value.map(resolveTokens);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [key] = keys;
    const arg = value[key];
    switch (key) {
      case 'Ref':
        return PSEUDO[arg] ?? `REF:${arg}`;
      case 'Fn::GetAtt':
        return `ATT:${Array.isArray(arg) ? arg.join('.') : arg}`;
      case 'Fn::Join': {
        const parts = resolveTokens(arg[1]);
        return parts.map((p: Json) => (typeof p === 'string' ? p : JSON.stringify(p))).join(arg[0]);
      }
      case 'Fn::Select':
        return resolveTokens(arg[1])[Number(resolveTokens(arg[0]))];
      case 'Fn::Split':
        return String(resolveTokens(arg[1])).split(arg[0]);
      default:
        if (key.startsWith('Fn::') || key === 'Condition') throw new Error(`resolveTokens: ${key} is not supported`);
    }
  }
  const out: Json = {};
  for (const key of keys) out[key] = resolveTokens(value[key]);
  return out;
}

const cache = new Map<string, Synthesized>();

/** Synthesizes a stack with a `CanaryDeployment` (cached per variant). */
export function synthesizeCanary(variant: CanaryVariant = {}): Synthesized {
  const key = JSON.stringify({
    ...variant,
    recordTtl: variant.recordTtl?.toSeconds(),
    steps: variant.steps?.map((s) => [s.percent, s.bake.toSeconds()]),
  });
  const cached = cache.get(key);
  if (cached) return cached;

  const { stack, env } = withEnvironment();
  const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'CanaryZone', { hostedZoneId: HOSTED_ZONE_ID, zoneName: 'example.com' });
  const extra = new cloudwatch.Alarm(stack, 'ExtraAlarm', {
    metric: new cloudwatch.Metric({ namespace: 'Users', metricName: 'SignupFailures', period: Duration.minutes(1) }),
    threshold: 1,
    evaluationPeriods: 1,
  });
  let scope: Construct = stack;
  for (const nested of variant.nestedIn ?? []) scope = new Construct(scope, nested);
  const canary = new CanaryDeployment(scope, 'Canary', {
    service: { environment: env, image: IMAGE, port: 8080, user: '1000', minTasks: 2, maxTasks: 4, config: variant.config },
    hostedZone: zone,
    recordName: 'users',
    certificate: acm.Certificate.fromCertificateArn(stack, 'CanaryCertificate', CERT_ARN),
    alarms: [extra],
    steps: variant.steps,
    recordTtl: variant.recordTtl,
    approvalBeforeLastStep: variant.approval,
    oldSlot: variant.scaleIn ? OldSlot.SCALE_IN : undefined,
  });
  if (variant.sidecarAfterConstruction) {
    for (const slot of [canary.blue, canary.green]) {
      slot.taskDefinition.addContainer('proxy', {
        image: ecs.ContainerImage.fromRegistry('public.ecr.aws/envoy/envoy:v1'),
        memoryLimitMiB: 128,
        essential: false,
        environment: { RELEASE_ID: 'envoy-v1', ENVOY_UID: '101' },
      });
    }
  }
  const template = Template.fromStack(stack);
  const id = (construct: { node: { defaultChild?: unknown } } | undefined): string => {
    const child = construct?.node.defaultChild as { logicalId?: string } | undefined;
    if (!child?.logicalId) throw new Error('no default child');
    return stack.resolve(child.logicalId);
  };

  const machines = template.findResources('AWS::StepFunctions::StateMachine');
  const [machine] = Object.values(machines);
  const definition = JSON.parse(resolveTokens(machine.Properties.DefinitionString));

  const resources = template.toJSON().Resources as { [id: string]: { Type: string; Properties: Json } };
  const slot = (name: 'blue' | 'green'): TemplateSlot => {
    const service = name === 'blue' ? canary.blue : canary.green;
    const serviceId = id(service.service);
    const taskDefinitionId = id(service.taskDefinition);
    const serviceProps = resolveTokens(resources[serviceId].Properties);
    const recordId = id(name === 'blue' ? canary.blueRecord : canary.greenRecord);
    const composite = name === 'blue' ? canary.blueAlarm : canary.greenAlarm;
    const targets = Object.values(resources).filter((r) => r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget')
      .map((r) => resolveTokens(r.Properties))
      .filter((p) => String(p.ResourceId).endsWith(`/ATT:${serviceId}.Name`));
    return {
      name,
      serviceArn: `REF:${serviceId}`,
      serviceName: `ATT:${serviceId}.Name`,
      clusterArn: serviceProps.Cluster.startsWith('REF:') ? `ATT:${serviceProps.Cluster.slice(4)}.Arn` : serviceProps.Cluster,
      desiredCount: serviceProps.DesiredCount,
      taskDefinitionArn: `REF:${taskDefinitionId}`,
      taskDefinition: resolveTokens(resources[taskDefinitionId].Properties),
      record: resolveTokens(resources[recordId].Properties),
      compositeAlarm: `REF:${id(composite)}`,
      scalableTarget: targets.length === 1
        ? { resourceId: targets[0].ResourceId, min: targets[0].MinCapacity, max: targets[0].MaxCapacity }
        : undefined,
    };
  };
  const alarms: { [name: string]: 'metric' | 'composite' } = {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type === 'AWS::CloudWatch::Alarm') alarms[`REF:${logicalId}`] = 'metric';
    if (resource.Type === 'AWS::CloudWatch::CompositeAlarm') alarms[`REF:${logicalId}`] = 'composite';
  }
  const containers = canary.blue.taskDefinition.node.children.filter((c) => c.constructor.name === 'ContainerDefinition');
  const synthesized: Synthesized = {
    variant,
    stack,
    canary,
    template,
    definition,
    blue: slot('blue'),
    green: slot('green'),
    extraAlarm: `REF:${id(extra)}`,
    alarms,
    tableName: `REF:${id(canary.table)}`,
    approvalTopicArn: canary.approvalTopic ? `REF:${id(canary.approvalTopic as unknown as { node: { defaultChild?: unknown } })}` : undefined,
    eventSource: canary.eventSource,
    appContainerIndex: Math.max(0, containers.indexOf(canary.blue.container)),
  };
  cache.set(key, synthesized);
  return synthesized;
}

/** The errors asl-validator finds in a definition (checking paths and ARNs), as text. */
export function validateDefinition(definition: Json): string[] {
  const result = aslValidator(clone(definition), { checkPaths: true, checkArn: true });
  return result.isValid ? [] : result.errorsText('\n').split('\n');
}

/** Every state of a definition (no nesting: the rollout has no Map or Parallel). */
export function statesOf(definition: Json): { [name: string]: Json } {
  return definition.States;
}

/** Every JSONPath (or intrinsic function) string of a definition, with where it is. */
export function pathsOf(definition: Json): { where: string; path: string }[] {
  const found: { where: string; path: string }[] = [];
  const walk = (value: Json, where: string, key?: string) => {
    if (typeof value === 'string') {
      const isPathField = key !== undefined && (key.endsWith('.$') || ['Variable', 'InputPath', 'OutputPath', 'ResultPath', 'ItemsPath', 'SecondsPath',
        'TimestampPath', 'TimeoutSecondsPath', 'HeartbeatSecondsPath'].includes(key) || key.endsWith('Path'));
      if (isPathField) found.push({ where, path: value });
      return;
    }
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${where}[${i}]`, key));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, `${where}.${k}`, k);
  };
  for (const [name, state] of Object.entries(statesOf(definition))) walk(state, name);
  return found;
}

// ---------------------------------------------------------------------------------------------
// The simulated world
// ---------------------------------------------------------------------------------------------

/** An error as a service integration raises it: Step Functions matches `name`. */
export class AwsError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * The throttling error each kind of call raises, named as Step Functions reports it (see
 * RETRIED_ERRORS in src/deployment/rollout-definition.ts for the sources):
 * - ECS, CloudWatch and Application Auto Scaling model no throttling error: their
 *   `ThrottlingException` ("Rate exceeded") reaches an AWS SDK integration as the service's base
 *   exception of the AWS SDK for Java v2, `<Service>.<Service>Exception`;
 * - Route 53 models `ThrottlingException` and `PriorRequestNotComplete` (suffix added);
 * - the optimized DynamoDB integration: `ProvisionedThroughputExceededException`,
 *   `ThrottlingException` and `RequestLimitExceeded` (suffix added);
 * - the optimized SNS and EventBridge integrations: `ThrottledException`, `ThrottlingException`.
 */
export const THROTTLING: { [api: string]: string } = {
  'dynamodb:updateItem': 'DynamoDB.ProvisionedThroughputExceededException',
  'dynamodb:putItem': 'DynamoDB.ThrottlingException',
  'dynamodb:getItem': 'DynamoDB.RequestLimitExceededException',
  'ecs:describeServices': 'Ecs.EcsException',
  'ecs:describeTaskDefinition': 'Ecs.EcsException',
  'ecs:registerTaskDefinition': 'Ecs.EcsException',
  'ecs:updateService': 'Ecs.EcsException',
  'applicationautoscaling:registerScalableTarget': 'ApplicationAutoScaling.ApplicationAutoScalingException',
  'route53:changeResourceRecordSets': 'Route53.PriorRequestNotCompleteException',
  'route53:getChange': 'Route53.ThrottlingException',
  'cloudwatch:describeAlarms': 'CloudWatch.CloudWatchException',
  'events:putEvents': 'EventBridge.ThrottlingException',
  'sns:publish': 'SNS.ThrottledException',
};

/** The error code the service sends with each throttling error (for the error's cause, as Step Functions gives it). */
const THROTTLING_CODE: { [error: string]: string } = {
  'Ecs.EcsException': 'ThrottlingException',
  'ApplicationAutoScaling.ApplicationAutoScalingException': 'ThrottlingException',
  'CloudWatch.CloudWatchException': 'Throttling',
};

/** How the idle slot's deployment goes. */
export type DeploymentOutcome =
  /** RolloutState IN_PROGRESS for `describesUntilSteady` describes, then COMPLETED with one deployment. */
  | 'COMPLETED'
  /** Never steady: IN_PROGRESS forever, fewer tasks running than desired. */
  | 'STUCK'
  /** The circuit breaker marks our deployment FAILED (it stays first). */
  | 'FAILED'
  /** The circuit breaker rolls back: a new PRIMARY deployment (another id) of the previous task definition. */
  | 'ROLLED_BACK';

/** What an approval request gets. */
export type ApprovalAnswer = 'approve' | 'abort' | 'timeout' | 'hang';

/** What an alarm check sees. */
export interface AlarmContext {
  /** The state that calls DescribeAlarms. */
  readonly state: string;
  /** Current weights per slot. */
  readonly weights: { blue: number; green: number };
  /** DescribeAlarms calls since the last weight change (0 for the first one after it). */
  readonly checksSinceWeightChange: number;
}

/** One weight change, in order. */
export interface WeightChange {
  readonly state: string;
  readonly blue: number;
  readonly green: number;
}

/** One call a handler received. */
export interface Call {
  readonly state: string;
  readonly api: string;
  readonly params: Json;
  /** The error it raised, if any. */
  error?: string;
}

type AttributeValue = { [type: string]: Json };
type Item = { [name: string]: AttributeValue };

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

interface EcsService {
  readonly slot: 'blue' | 'green';
  readonly arn: string;
  readonly name: string;
  readonly clusterArn: string;
  taskDefinition: string;
  desired: number;
  deployments: Deployment[];
}

/** The Task resources the rollout uses, and the API each one is. */
export const RESOURCE_API: { [resource: string]: string } = {
  'arn:aws:states:::dynamodb:updateItem': 'dynamodb:updateItem',
  'arn:aws:states:::dynamodb:putItem': 'dynamodb:putItem',
  'arn:aws:states:::dynamodb:getItem': 'dynamodb:getItem',
  'arn:aws:states:::aws-sdk:ecs:describeServices': 'ecs:describeServices',
  'arn:aws:states:::aws-sdk:ecs:describeTaskDefinition': 'ecs:describeTaskDefinition',
  'arn:aws:states:::aws-sdk:ecs:registerTaskDefinition': 'ecs:registerTaskDefinition',
  'arn:aws:states:::aws-sdk:ecs:updateService': 'ecs:updateService',
  'arn:aws:states:::aws-sdk:applicationautoscaling:registerScalableTarget': 'applicationautoscaling:registerScalableTarget',
  'arn:aws:states:::aws-sdk:route53:changeResourceRecordSets': 'route53:changeResourceRecordSets',
  'arn:aws:states:::aws-sdk:route53:getChange': 'route53:getChange',
  'arn:aws:states:::aws-sdk:cloudwatch:describeAlarms': 'cloudwatch:describeAlarms',
  'arn:aws:states:::events:putEvents': 'events:putEvents',
  'arn:aws:states:::sns:publish.waitForTaskToken': 'sns:publish',
};

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
  /** Approval requests published. */
  public readonly approvals: Json[] = [];
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
      case 'events:putEvents': return this.putEvents(state, p);
      case 'sns:publish': return this.publish(state, p);
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

/**
 * A record as Route 53 answers it through the AWS SDK integration (member names as the AWS SDK
 * for Java v2 spells them: `TTL` -> `Ttl`, `AliasTarget.DNSName` -> `DnsName`), from the
 * template's record set (CloudFormation's names: `TTL` a string, `ResourceRecords` a list of
 * strings, `AliasTarget.DNSName`).
 */
export function recordFromTemplate(r: Json): Json {
  const record: Json = { Name: r.Name, Type: r.Type, SetIdentifier: r.SetIdentifier, Weight: Number(r.Weight) };
  if (r.AliasTarget) {
    const alias = r.AliasTarget;
    record.AliasTarget = { HostedZoneId: alias.HostedZoneId, DnsName: alias.DNSName, EvaluateTargetHealth: alias.EvaluateTargetHealth ?? false };
  }
  if (r.TTL !== undefined) record.Ttl = Number(r.TTL);
  if (r.ResourceRecords) record.ResourceRecords = r.ResourceRecords.map((v: string) => ({ Value: v }));
  return record;
}

function sortKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
}

// ---------------------------------------------------------------------------------------------
// DynamoDB attribute values and expressions
// ---------------------------------------------------------------------------------------------

function checkAttributeValue(value: AttributeValue, where: string, fail: (m: string) => void): void {
  const types = value && typeof value === 'object' ? Object.keys(value) : [];
  if (types.length !== 1) return fail(`${where}: ${JSON.stringify(value)} is not one attribute value`);
  const [type] = types;
  const v = value[type];
  switch (type) {
    case 'S': if (typeof v !== 'string') fail(`${where}: S ${JSON.stringify(v)} is not a string`); break;
    case 'N': if (typeof v !== 'string' || !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(v)) fail(`${where}: N ${JSON.stringify(v)} is not a number string`); break;
    case 'BOOL': if (typeof v !== 'boolean') fail(`${where}: BOOL ${JSON.stringify(v)}`); break;
    case 'NULL': if (v !== true) fail(`${where}: NULL ${JSON.stringify(v)}`); break;
    case 'L': if (!Array.isArray(v)) fail(`${where}: L is not a list`); else v.forEach((e: AttributeValue, i: number) => checkAttributeValue(e, `${where}[${i}]`, fail)); break;
    case 'M': if (!v || typeof v !== 'object') fail(`${where}: M is not a map`); else for (const [k, e] of Object.entries(v)) checkAttributeValue(e as AttributeValue, `${where}.${k}`, fail); break;
    default: fail(`${where}: attribute type ${type} not simulated`);
  }
}

/** Plain values of an attribute value. */
export function unmarshall(value: AttributeValue): Json {
  const [type] = Object.keys(value);
  const v = value[type];
  switch (type) {
    case 'S': return v;
    case 'N': return Number(v);
    case 'BOOL': return v;
    case 'NULL': return null;
    case 'L': return v.map(unmarshall);
    case 'M': return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, unmarshall(e as AttributeValue)]));
    default: throw new Error(`unmarshall ${type}`);
  }
}

interface ExpressionScope {
  names: { [k: string]: string };
  values: { [k: string]: AttributeValue };
  fail: (message: string) => never;
}

/** DynamoDB's reserved words (the documented list): they may not name attributes in expressions. */
const RESERVED = new Set(`ABORT ABSOLUTE ACTION ADD AFTER AGENT AGGREGATE ALL ALLOCATE ALTER ANALYZE AND ANY ARCHIVE ARE ARRAY AS ASC ASCII ASENSITIVE
ASSERTION ASYMMETRIC AT ATOMIC ATTACH ATTRIBUTE AUTH AUTHORIZATION AUTHORIZE AUTO AVG BACK BACKUP BASE BATCH BEFORE BEGIN BETWEEN BIGINT BINARY BIT
BLOB BLOCK BOOLEAN BOTH BREADTH BUCKET BULK BY BYTE CALL CALLED CALLING CAPACITY CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER CHECK CLASS CLOB
CLOSE CLUSTER CLUSTERED CLUSTERING CLUSTERS COALESCE COLLATE COLLATION COLLECTION COLUMN COLUMNS COMBINE COMMENT COMMIT COMPACT COMPILE COMPRESS
CONDITION CONFLICT CONNECT CONNECTION CONSISTENCY CONSISTENT CONSTRAINT CONSTRAINTS CONSTRUCTOR CONSUMED CONTINUE CONVERT COPY CORRESPONDING COUNT
COUNTER CREATE CROSS CUBE CURRENT CURSOR CYCLE DATA DATABASE DATE DATETIME DAY DEALLOCATE DEC DECIMAL DECLARE DEFAULT DEFERRABLE DEFERRED DEFINE
DEFINED DEFINITION DELETE DELIMITED DEPTH DEREF DESC DESCRIBE DESCRIPTOR DETACH DETERMINISTIC DIAGNOSTICS DIRECTORIES DISABLE DISCONNECT DISTINCT
DISTRIBUTE DO DOMAIN DOUBLE DROP DUMP DURATION DYNAMIC EACH ELEMENT ELSE ELSEIF EMPTY ENABLE END EQUAL EQUALS ERROR ESCAPE ESCAPED EVAL EVALUATE
EXCEEDED EXCEPT EXCEPTION EXCEPTIONS EXCLUSIVE EXEC EXECUTE EXISTS EXIT EXPLAIN EXPLODE EXPORT EXPRESSION EXTENDED EXTERNAL EXTRACT FAIL FALSE
FAMILY FETCH FIELDS FILE FILTER FILTERING FINAL FINISH FIRST FIXED FLATTERN FLOAT FOR FORCE FOREIGN FORMAT FORWARD FOUND FREE FROM FULL FUNCTION
FUNCTIONS GENERAL GENERATE GET GLOB GLOBAL GO GOTO GRANT GREATER GROUP GROUPING HANDLER HASH HAVE HAVING HEAP HIDDEN HOLD HOUR IDENTIFIED IDENTITY
IF IGNORE IMMEDIATE IMPORT IN INCLUDING INCLUSIVE INCREMENT INCREMENTAL INDEX INDEXED INDEXES INDICATOR INFINITE INITIALLY INLINE INNER INNTER INOUT
INPUT INSENSITIVE INSERT INSTEAD INT INTEGER INTERSECT INTERVAL INTO INVALIDATE IS ISOLATION ITEM ITEMS ITERATE JOIN KEY KEYS LAG LANGUAGE LARGE
LAST LATERAL LEAD LEADING LEAVE LEFT LENGTH LESS LEVEL LIKE LIMIT LIMITED LINES LIST LOAD LOCAL LOCALTIME LOCALTIMESTAMP LOCATION LOCATOR LOCK LOCKS
LOG LOGED LONG LOOP LOWER MAP MATCH MATERIALIZED MAX MAXLEN MEMBER MERGE METHOD METRICS MIN MINUS MINUTE MISSING MOD MODE MODIFIES MODIFY MODULE
MONTH MULTI MULTISET NAME NAMES NATIONAL NATURAL NCHAR NCLOB NEW NEXT NO NONE NOT NULL NULLIF NUMBER NUMERIC OBJECT OF OFFLINE OFFSET OLD ON ONLINE
ONLY OPAQUE OPEN OPERATOR OPTION OR ORDER ORDINALITY OTHER OTHERS OUT OUTER OUTPUT OVER OVERLAPS OVERRIDE OWNER PAD PARALLEL PARAMETER PARAMETERS
PARTIAL PARTITION PARTITIONED PARTITIONS PATH PERCENT PERCENTILE PERMISSION PERMISSIONS PIPE PIPELINED PLAN POOL POSITION PRECISION PREPARE
PRESERVE PRIMARY PRIOR PRIVATE PRIVILEGES PROCEDURE PROCESSED PROJECT PROJECTION PROPERTY PROVISIONING PUBLIC PUT QUERY QUIT QUORUM RAISE RANDOM
RANGE RANK RAW READ READS REAL REBUILD RECORD RECURSIVE REDUCE REF REFERENCE REFERENCES REFERENCING REGEXP REGION REINDEX RELATIVE RELEASE REMAINDER
RENAME REPEAT REPLACE REQUEST RESET RESIGNAL RESOURCE RESPONSE RESTORE RESTRICT RESULT RETURN RETURNING RETURNS REVERSE REVOKE RIGHT ROLE ROLES
ROLLBACK ROLLUP ROUTINE ROW ROWS RULE RULES SAMPLE SATISFIES SAVE SAVEPOINT SCAN SCHEMA SCOPE SCROLL SEARCH SECOND SECTION SEGMENT SEGMENTS SELECT
SELF SEMI SENSITIVE SEPARATE SEQUENCE SERIALIZABLE SESSION SET SETS SHARD SHARE SHARED SHORT SHOW SIGNAL SIMILAR SIZE SKEWED SMALLINT SNAPSHOT SOME
SOURCE SPACE SPACES SPARSE SPECIFIC SPECIFICTYPE SPLIT SQL SQLCODE SQLERROR SQLEXCEPTION SQLSTATE SQLWARNING START STATE STATIC STATUS STORAGE STORE
STORED STREAM STRING STRUCT STYLE SUB SUBMULTISET SUBPARTITION SUBSTRING SUBTYPE SUM SUPER SYMMETRIC SYNONYM SYSTEM TABLE TABLESAMPLE TEMP TEMPORARY
TERMINATED TEXT THAN THEN THROUGHPUT TIME TIMESTAMP TIMEZONE TINYINT TO TOKEN TOTAL TOUCH TRAILING TRANSACTION TRANSFORM TRANSLATE TRANSLATION TREAT
TRIGGER TRIM TRUE TRUNCATE TTL TUPLES TYPE UNDER UNDO UNION UNIQUE UNIT UNKNOWN UNLOGGED UNNEST UNPROCESSED UNSIGNED UNTIL UPDATE UPPER URL USAGE USE
USER USERS USING UUID VACUUM VALUE VALUED VALUES VARCHAR VARIABLE VARIANCE VARINT VARYING VIEW VIEWS VIRTUAL VOID WAIT WHEN WHENEVER WHERE WHILE
WINDOW WITH WITHIN WITHOUT WORK WRAPPED WRITE YEAR ZONE`.split(/\s+/));

type Token = { kind: 'name' | 'alias' | 'value' | 'punct' | 'op'; text: string };

function tokenize(expression: string, scope: ExpressionScope): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(<>|<=|>=|=|<|>)|([(),.+-]))/y;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(expression);
    if (!m) scope.fail(`cannot parse expression at '${expression.slice(at)}'`);
    at = re.lastIndex;
    if (m![1]) tokens.push({ kind: 'alias', text: m![1] });
    else if (m![2]) tokens.push({ kind: 'value', text: m![2] });
    else if (m![3]) tokens.push({ kind: 'name', text: m![3] });
    else if (m![4]) tokens.push({ kind: 'op', text: m![4] });
    else tokens.push({ kind: 'punct', text: m![5] });
  }
  return tokens;
}

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[], private readonly scope: ExpressionScope) {}
  public peek(): Token | undefined {
    return this.tokens[this.at];
  }
  public next(): Token {
    const token = this.tokens[this.at++];
    if (!token) this.scope.fail('unexpected end of expression');
    return token;
  }
  public expect(text: string): void {
    const token = this.next();
    if (token.text !== text) this.scope.fail(`expected '${text}', got '${token.text}'`);
  }
  public keyword(word: string): boolean {
    const token = this.peek();
    if (token?.kind === 'name' && token.text.toUpperCase() === word) {
      this.at++;
      return true;
    }
    return false;
  }
  public done(): boolean {
    return this.at >= this.tokens.length;
  }
  /** A top-level attribute name (nested paths are not used by the rollout). */
  public path(): string {
    const token = this.next();
    let name: string;
    if (token.kind === 'alias') {
      name = this.scope.names[token.text];
      if (name === undefined) this.scope.fail(`${token.text} is not in ExpressionAttributeNames`);
    } else if (token.kind === 'name') {
      if (RESERVED.has(token.text.toUpperCase())) this.scope.fail(`attribute name ${token.text} is a reserved word; use ExpressionAttributeNames`);
      name = token.text;
    } else {
      return this.scope.fail(`expected an attribute name, got '${token.text}'`);
    }
    if (this.peek()?.text === '.' || this.peek()?.text === '[') this.scope.fail('nested paths are not simulated');
    return name;
  }
}

/** An operand of SET or of a comparison: a path, a value, or a function. */
function operand(parser: Parser, item: Item, scope: ExpressionScope): AttributeValue | undefined {
  const token = parser.peek();
  if (token?.kind === 'value') {
    parser.next();
    const value = scope.values[token.text];
    if (value === undefined) scope.fail(`${token.text} is not in ExpressionAttributeValues`);
    return value;
  }
  if (token?.kind === 'name' && ['if_not_exists', 'list_append'].includes(token.text)) {
    parser.next();
    parser.expect('(');
    if (token.text === 'if_not_exists') {
      const name = parser.path();
      parser.expect(',');
      const fallback = operand(parser, item, scope);
      parser.expect(')');
      return item[name] ?? fallback;
    }
    const first = operand(parser, item, scope);
    parser.expect(',');
    const second = operand(parser, item, scope);
    parser.expect(')');
    if (!first?.L || !second?.L) scope.fail('list_append needs two lists');
    return { L: [...first!.L, ...second!.L] };
  }
  return item[parser.path()];
}

/** Applies an UpdateExpression (SET with if_not_exists and list_append, REMOVE) to an item. */
function applyUpdate(expression: string, item: Item, scope: ExpressionScope): Item {
  const parser = new Parser(tokenize(expression, scope), scope);
  const original = clone(item);
  const touched = new Set<string>();
  const touch = (name: string) => {
    if (touched.has(name)) scope.fail(`two document paths overlap: ${name}`);
    touched.add(name);
  };
  const clauses = new Set<string>();
  while (!parser.done()) {
    const clause = parser.next();
    const word = clause.text.toUpperCase();
    if (clause.kind !== 'name' || !['SET', 'REMOVE'].includes(word)) scope.fail(`unexpected '${clause.text}' (only SET and REMOVE are simulated)`);
    if (clauses.has(word)) scope.fail(`the ${word} clause appears twice`);
    clauses.add(word);
    do {
      const name = parser.path();
      touch(name);
      if (word === 'SET') {
        parser.expect('=');
        const value = operand(parser, original, scope);
        if (value === undefined) scope.fail(`the value for ${name} refers to an attribute that does not exist`);
        item[name] = clone(value!);
      } else {
        delete item[name];
      }
    } while (parser.peek()?.text === ',' && parser.next());
  }
  return item;
}

/** Evaluates a ConditionExpression (attribute_exists, attribute_not_exists, =, <>, AND, OR, NOT, parentheses). */
function evaluateCondition(expression: string, item: Item, scope: ExpressionScope): boolean {
  const parser = new Parser(tokenize(expression, scope), scope);
  const or = (): boolean => {
    let result = and();
    while (parser.keyword('OR')) result = and() || result;
    return result;
  };
  const and = (): boolean => {
    let result = not();
    while (parser.keyword('AND')) result = not() && result;
    return result;
  };
  const not = (): boolean => {
    if (parser.keyword('NOT')) return !not();
    if (parser.peek()?.text === '(') {
      parser.next();
      const result = or();
      parser.expect(')');
      return result;
    }
    const token = parser.peek();
    if (token?.kind === 'name' && ['attribute_exists', 'attribute_not_exists'].includes(token.text)) {
      parser.next();
      parser.expect('(');
      const name = parser.path();
      parser.expect(')');
      return token.text === 'attribute_exists' ? item[name] !== undefined : item[name] === undefined;
    }
    const left = operand(parser, item, scope);
    const op = parser.next();
    if (op.kind !== 'op' || !['=', '<>'].includes(op.text)) scope.fail(`comparison ${op.text} not simulated`);
    const right = operand(parser, item, scope);
    // A comparison with a missing attribute is false (for = and <> alike).
    if (left === undefined || right === undefined) return false;
    const equal = JSON.stringify(left) === JSON.stringify(right);
    return op.text === '=' ? equal : !equal;
  };
  const result = or();
  if (!parser.done()) scope.fail(`unexpected '${parser.peek()!.text}'`);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Running an execution
// ---------------------------------------------------------------------------------------------

/** What one execution did. */
export interface Run {
  readonly name: string;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  /** The error of a failed execution (a Fail state's Error, or the uncaught error's name). */
  readonly error?: string;
  readonly cause?: string;
  readonly output?: Json;
  /** The event log. */
  readonly events: Json[];
  /** The names of the states entered, in order. */
  readonly states: string[];
  /** Each state entered, with the virtual seconds the real execution would have waited before it. */
  readonly timeline: { state: string; at: number }[];
  /** Retries: the state and the error retried. */
  readonly retries: { state: string; error: string }[];
  /** Errors caught by a Catch: the state, the error and where it went. */
  readonly caught: { state: string; error: string; next: string }[];
}

let executions = 0;

/** Options of one execution. */
export interface RunOptions {
  /** The execution name (default: a new one). */
  readonly name?: string;
  /** The definition to run (default: the synthesized one). */
  readonly definition?: Json;
}

/** Runs one execution of the rollout against a world. */
export async function runRollout(world: World, input: Json, options: RunOptions = {}): Promise<Run> {
  executions += 1;
  const name = options.name ?? `execution-${executions}`;
  const definition = clone(options.definition ?? world.synth.definition);
  const waits: { [state: string]: number } = {};
  const retries: { [state: string]: number } = {};
  for (const [stateName, state] of Object.entries(statesOf(definition))) {
    if (state.Type === 'Wait') waits[stateName] = 0;
    if (state.Retry) retries[stateName] = 0;
  }
  const machine = new StateMachine(definition, { validationOptions: { checkPaths: true, checkArn: true } });
  const execution = machine.run(input, {
    overrides: { taskResourceLocalHandlers: world.handlers(definition), waitTimeOverrides: waits, retryIntervalOverrides: retries },
    context: {
      Execution: { Id: `arn:aws:states:${REGION}:${ACCOUNT}:execution:Rollout:${name}`, Name: name },
      StateMachine: { Id: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:Rollout`, Name: 'Rollout' },
      State: { EnteredTime: '2026-01-01T00:00:00.000Z', Name: 'unknown' },
      Task: { Token: `token-of-${name}` },
    },
  });
  const events: Json[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) events.push(event);
  })();
  let status: Run['status'] = 'SUCCEEDED';
  let error: string | undefined;
  let cause: string | undefined;
  let output: Json;
  try {
    output = await execution.result;
  } catch (e) {
    const failure = e as Error & { cause?: Error };
    if (failure.name === 'ExecutionTimeoutError') {
      status = 'TIMED_OUT';
    } else {
      status = 'FAILED';
      error = failure.cause?.name ?? failure.name;
      cause = failure.cause?.message ?? failure.message;
    }
  }
  await collecting;
  const states: string[] = [];
  const timeline: { state: string; at: number }[] = [];
  const retried: { state: string; error: string }[] = [];
  const caught: { state: string; error: string; next: string }[] = [];
  const seconds = statesOf(definition);
  let at = 0;
  let lastFailure: Json;
  for (const event of events) {
    // States of a Map iteration (the container copy) come with their iteration's index: the
    // run's own states are the top-level ones.
    if (event.index !== undefined) continue;
    if (event.type === 'StateEntered') {
      states.push(event.state.name);
      timeline.push({ state: event.state.name, at });
      const state = seconds[event.state.name];
      if (state.Type === 'Wait') at += state.Seconds ?? 0;
    }
    if (event.type === 'StateFailed') lastFailure = event;
    if (event.type === 'StateRetried') retried.push({ state: event.state.name, error: lastFailure?.Error });
    if (event.type === 'StateCaught') caught.push({ state: event.state.name, error: lastFailure?.Error, next: event.catch.catcher.Next });
  }
  return { name, status, error, cause, output, events, states, timeline, retries: retried, caught };
}

/** The most events a Standard execution's history may hold; past it the execution fails. */
export const HISTORY_LIMIT = 25_000;

/**
 * The events Step Functions would write to the execution history for a run: a Task state 5
 * (entered, scheduled, started, succeeded or failed, exited; 6 with a task token), each retry 3
 * more (scheduled, started, failed), any other state 2 (entered, exited), a Map 4 plus 2 per
 * iteration and the states of its iterations, the execution 2.
 */
export function historyEvents(run: Run, definition: Json): number {
  const states = statesOf(definition);
  let events = 0;
  for (const event of run.events) {
    switch (event.type) {
      case 'ExecutionStarted': case 'ExecutionSucceeded': case 'ExecutionFailed': case 'ExecutionTimeout': case 'ExecutionAborted':
      case 'MapIterationStarted': case 'MapIterationSucceeded': case 'MapIterationFailed':
        events += 1;
        break;
      case 'StateRetried':
        events += 3;
        break;
      case 'StateEntered': {
        const state = event.index === undefined ? states[event.state.name] : undefined;
        if (state?.Type === 'Task') events += String(state.Resource).endsWith('.waitForTaskToken') ? 6 : 5;
        else if (state?.Type === 'Map') events += 4;
        else events += 2;
        break;
      }
    }
  }
  return events;
}

/** Weight changes as [weight of the given slot, weight of the other], in order. */
export function weightsFor(world: World, slot: 'blue' | 'green'): [number, number][] {
  return world.weightChanges.map((w) => (slot === 'blue' ? [w.blue, w.green] : [w.green, w.blue]));
}

/** An alarm trigger: `alarm` goes into ALARM at the `afterChecks`-th alarm check after `slot`'s weight became `percent`. */
export function alarmWhen(slot: 'blue' | 'green', percent: number, afterChecks: number, alarm: string): (context: AlarmContext) => string[] {
  return (context) => (context.weights[slot] === percent && context.checksSinceWeightChange >= afterChecks ? [alarm] : []);
}

/** The standard input of a rollout. */
export function rolloutInput(rolloutId?: string, image = NEW_IMAGE): Json {
  return rolloutId === undefined ? { image } : { image, rolloutId };
}
