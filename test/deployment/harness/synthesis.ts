/**
 * Synthesis for the rollout harness: `synthesizeCanary()` builds a stack with a `CanaryDeployment`
 * and reads its state machine definition and slots from the template, tokens resolved to
 * placeholders (`resolveTokens`); helpers to validate and walk a definition.
 */
import { createRequire } from 'module';
import {
  Duration, Stack, aws_certificatemanager as acm, aws_cloudwatch as cloudwatch, aws_ecr as ecr, aws_ecs as ecs, aws_route53 as route53,
} from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Construct } from 'constructs';
import { clone, Json } from './json';
import { CanaryDeployment, CanaryStep, OldSlot } from '../../../src';
import { CERT_ARN, ENV, IMAGE, withEnvironment } from '../../service/fixtures';

// asl-validator ships no type declarations: load it untyped and give it its documented shape.
type AslValidator = (definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }) => {
  isValid: boolean;
  errors: unknown[];
  errorsText: (separator?: string) => string;
};
const aslValidator = createRequire(__filename)('asl-validator') as AslValidator;

/** The region, account and execution prefix of the simulated world. */
export const REGION = ENV.region;
export const ACCOUNT = ENV.account;
export const HOSTED_ZONE_ID = 'Z123';
export const NEW_IMAGE = '111111111111.dkr.ecr.us-east-1.amazonaws.com/users:v2';

/** What to build. */
export interface CanaryVariant {
  /** `enableApprovalBeforeLastStep: true`. */
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
  /** `tracing: true` on the slots (the OpenTelemetry collector and variables). */
  readonly tracing?: boolean;
  /** Construct ids the canary is nested in (its path is `Test/<ids...>/Canary`). */
  readonly nestedIn?: string[];
  /** `imageRepository`: the repository `users` of account 111111111111 in us-east-1 (imported), whose images alone a rollout takes. */
  readonly imageRepository?: boolean;
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
  /** The logical id of the canary's live state (`Custom::CanaryLiveState`). */
  readonly liveStateId: string;
  /**
   * What the live state answered at the first deployment (an empty table: the template's image
   * on both slots, blue 100 and green 0; live-state-handler.test.ts runs the handler so), by
   * placeholder (`ATT:<liveStateId>.BlueImage`...): the slots' task definitions and records
   * above have these values in place of the placeholders.
   */
  readonly firstDeployment: { [placeholder: string]: string };
}

/**
 * `value` with every string equal to a key of `values` replaced by its value, and every key found
 * inside a longer string (a joined value) replaced by its value as text.
 */
export function substitute(value: Json, values: { [placeholder: string]: Json }): Json {
  if (typeof value === 'string') {
    if (Object.prototype.hasOwnProperty.call(values, value)) return values[value];
    let text = value;
    for (const [placeholder, replacement] of Object.entries(values)) text = text.split(placeholder).join(String(replacement));
    return text;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, values));
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) out[k] = substitute(v, values);
  return out;
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

/**
 * Synthesizes a stack with a `CanaryDeployment` (cached per variant). `extend` adds to the stack
 * before it is synthesized (rules, targets); a stack built with it is not cached.
 */
export function synthesizeCanary(variant: CanaryVariant = {}, extend?: (canary: CanaryDeployment, stack: Stack) => void): Synthesized {
  const key = JSON.stringify({
    ...variant,
    recordTtl: variant.recordTtl?.toSeconds(),
    steps: variant.steps?.map((s) => [s.percent, s.bake.toSeconds()]),
  });
  const cached = extend ? undefined : cache.get(key);
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
    serviceProps: { environment: env, image: IMAGE, port: 8080, user: '1000', minTasks: 2, maxTasks: 4, config: variant.config, tracing: variant.tracing },
    hostedZone: zone,
    recordName: 'users',
    certificate: acm.Certificate.fromCertificateArn(stack, 'CanaryCertificate', CERT_ARN),
    alarms: [extra],
    steps: variant.steps,
    recordTtl: variant.recordTtl,
    enableApprovalBeforeLastStep: variant.approval,
    oldSlot: variant.scaleIn ? OldSlot.SCALE_IN : undefined,
    imageRepository: variant.imageRepository
      ? ecr.Repository.fromRepositoryAttributes(stack, 'Repo', { repositoryArn: 'arn:aws:ecr:us-east-1:111111111111:repository/users', repositoryName: 'users' })
      : undefined,
  });
  extend?.(canary, stack);
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
  const liveStateId = id(canary.liveState);
  const initialImage = resolveTokens(resources[liveStateId].Properties.InitialImage);
  const firstDeployment: { [placeholder: string]: string } = {
    [`ATT:${liveStateId}.BlueImage`]: initialImage,
    [`ATT:${liveStateId}.GreenImage`]: initialImage,
    [`ATT:${liveStateId}.BlueWeight`]: '100',
    [`ATT:${liveStateId}.GreenWeight`]: '0',
  };
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
      taskDefinition: substitute(resolveTokens(resources[taskDefinitionId].Properties), firstDeployment),
      record: substitute(resolveTokens(resources[recordId].Properties), firstDeployment),
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
    liveStateId,
    firstDeployment,
  };
  if (!extend) cache.set(key, synthesized);
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
