/**
 * The error names of the rollout's Retry and Catch fields, checked against what the services can
 * raise, as AWS's own models say, not as we believe: each modeled error is an exception class the
 * AWS SDK for JavaScript v3 client of the service exports (its `name`), turned into the name Step
 * Functions reports.
 *
 * - AWS SDK integrations (`arn:aws:states:::aws-sdk:<service>:<action>`): `<Service>.<Error>`
 *   with the `Exception` suffix always added (the AWS SDK for Java v2 class name: a `Fault`
 *   suffix becomes `Exception`), and `<Service>.<Service>Exception`, the Java v2 base exception,
 *   for every error the service does not model (its throttling among them where it models none).
 *   https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html
 * - Optimized integrations (DynamoDB, SNS, EventBridge): `<Service>.<Error>` with the suffix, the
 *   base exception `<Service>.Amazon<Service>Exception` for unmodeled errors, and what the
 *   integration's page adds (`EventBridge.FailedEntry`):
 *   https://docs.aws.amazon.com/step-functions/latest/dg/connect-eventbridge.html
 * - Step Functions' own `States.*` errors.
 */
import * as applicationAutoScaling from '@aws-sdk/client-application-auto-scaling';
import * as cloudwatch from '@aws-sdk/client-cloudwatch';
import * as dynamodb from '@aws-sdk/client-dynamodb';
import * as ecs from '@aws-sdk/client-ecs';
import * as eventbridge from '@aws-sdk/client-eventbridge';
import * as route53 from '@aws-sdk/client-route-53';
import * as sfn from '@aws-sdk/client-sfn';
import * as sns from '@aws-sdk/client-sns';
import { Duration } from 'aws-cdk-lib';
import { Json, RESOURCE_API, THROTTLING, synthesizeCanary } from './rollout-harness';
import { RETRIED_ERRORS } from '../../src/deployment/rollout-integrations';

/** The `name` of every exception class a v3 client exports (not the client's base class, which the others extend). */
function modeledErrors(client: object): string[] {
  const classes = Object.values(client).filter((v): v is new (options: object) => Error => typeof v === 'function' && v.prototype instanceof Error);
  const bases = new Set(classes.map((c) => Object.getPrototypeOf(c)));
  const names: string[] = [];
  for (const value of classes) {
    if (bases.has(value)) continue;
    try {
      const error = new value({ message: 'x', $metadata: {} });
      if (typeof error.name === 'string' && error.name !== 'Error') names.push(error.name);
    } catch {
      // Not a service exception.
    }
  }
  return names;
}

/** One integration: the Step Functions prefix of its errors, the client, and whether it is an AWS SDK integration. */
interface Integration {
  readonly prefix: string;
  readonly client: object;
  readonly sdk: boolean;
  /** The base exception, under which unmodeled errors arrive. */
  readonly generic: string;
  /** More names the integration's own documentation gives. */
  readonly documented?: string[];
}

const INTEGRATIONS: { [service: string]: Integration } = {
  dynamodb: { prefix: 'DynamoDB', client: dynamodb, sdk: false, generic: 'AmazonDynamoDBException' },
  sns: { prefix: 'SNS', client: sns, sdk: false, generic: 'AmazonSNSException' },
  events: { prefix: 'EventBridge', client: eventbridge, sdk: false, generic: 'AmazonEventBridgeException', documented: ['FailedEntry'] },
  ecs: { prefix: 'Ecs', client: ecs, sdk: true, generic: 'EcsException' },
  route53: { prefix: 'Route53', client: route53, sdk: true, generic: 'Route53Exception' },
  cloudwatch: { prefix: 'CloudWatch', client: cloudwatch, sdk: true, generic: 'CloudWatchException' },
  applicationautoscaling: { prefix: 'ApplicationAutoScaling', client: applicationAutoScaling, sdk: true, generic: 'ApplicationAutoScalingException' },
  sfn: { prefix: 'Sfn', client: sfn, sdk: true, generic: 'SfnException' },
};

/** The integration of a Task resource. */
function integrationOf(resource: string): Integration {
  const match = /^arn:aws:states:::(?:aws-sdk:)?([a-z0-9]+):/.exec(resource);
  const integration = match ? INTEGRATIONS[match[1]] : undefined;
  if (!integration) throw new Error(`no integration for ${resource}`);
  return integration;
}

/** The name Step Functions reports for a modeled error. */
function reported(integration: Integration, name: string): string[] {
  const base = /Exception$/.test(name) ? name : `${name}Exception`;
  // The Java v2 class of a `...Fault` shape ends in `Exception` instead (CloudWatch's
  // InternalServiceFault is software.amazon.awssdk.services.cloudwatch.model.InternalServiceException).
  const java = integration.sdk && /Fault$/.test(name) ? [name.replace(/Fault$/, 'Exception')] : [];
  return [base, ...java].map((n) => `${integration.prefix}.${n}`);
}

const STATES_ERRORS = ['States.ALL', 'States.Timeout', 'States.TaskFailed', 'States.Permissions', 'States.HeartbeatTimeout',
  'States.DataLimitExceeded', 'States.Runtime', 'States.ResultPathMatchFailure', 'States.ParameterPathFailure'];

/** Every error name a Task of this integration can end with. */
function allowedFor(integration: Integration): Set<string> {
  return new Set([
    ...STATES_ERRORS,
    ...modeledErrors(integration.client).flatMap((n) => reported(integration, n)),
    `${integration.prefix}.${integration.generic}`,
    ...(integration.documented ?? []).map((n) => `${integration.prefix}.${n}`),
  ]);
}

/** Every Task of a definition (nested ones included) with its Retry and Catch error names. */
function errorNames(definition: Json): { state: string; resource: string; names: string[] }[] {
  const out: { state: string; resource: string; names: string[] }[] = [];
  const walk = (states: { [name: string]: Json }) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') {
        const names = [...(state.Retry ?? []), ...(state.Catch ?? [])].flatMap((r: Json) => r.ErrorEquals);
        out.push({ state: name, resource: state.Resource, names });
      }
      if (state.ItemProcessor) walk(state.ItemProcessor.States);
    }
  };
  walk(definition.States);
  return out;
}

const VARIANTS: [string, () => Json][] = [
  ['default', () => synthesizeCanary().definition],
  ['approval and SCALE_IN', () => synthesizeCanary({ approval: true, scaleIn: true }).definition],
  ['CNAME records', () => synthesizeCanary({ recordTtl: Duration.seconds(60) }).definition],
];

describe('error names of Retry and Catch', () => {
  test('the derivation knows the services\' models: real names in, the old made-up ones out', () => {
    const all = new Set(Object.values(INTEGRATIONS).flatMap((i) => [...allowedFor(i)]));
    for (const real of ['DynamoDB.RequestLimitExceededException', 'DynamoDB.ConditionalCheckFailedException', 'Route53.PriorRequestNotCompleteException',
      'SNS.ThrottledException', 'Ecs.EcsException', 'CloudWatch.InternalServiceException', 'EventBridge.FailedEntry',
      'Sfn.ExecutionDoesNotExistException', 'Sfn.SfnException']) {
      expect([real, all.has(real)]).toEqual([real, true]);
    }
    // What RETRIED_ERRORS named before: errors these services cannot raise.
    for (const madeUp of ['Ecs.ThrottlingException', 'CloudWatch.ThrottlingException', 'ApplicationAutoScaling.ThrottlingException',
      'DynamoDB.RequestLimitExceeded', 'Route53.ServiceUnavailableException',
      // Step Functions models no throttling error; its errors carry the suffix and the Java v2 prefix.
      'Sfn.ThrottlingException', 'Sfn.ExecutionDoesNotExist', 'SFN.ExecutionDoesNotExistException', 'States.ExecutionDoesNotExist']) {
      expect([madeUp, all.has(madeUp)]).toEqual([madeUp, false]);
    }
  });

  test.each(VARIANTS)('%s: every ErrorEquals of every Task is an error its integration or Step Functions can raise', (_name, definition) => {
    const tasks = errorNames(definition());
    expect(tasks.length).toBeGreaterThan(15);
    const problems: string[] = [];
    for (const { state, resource, names } of tasks) {
      const allowed = allowedFor(integrationOf(resource));
      for (const name of names) if (!allowed.has(name)) problems.push(`${state} (${resource}): ${name}`);
    }
    expect(problems).toEqual([]);
  });

  test('each integration retries its throttling: the modeled throttling errors, or the base exception where the service models none', () => {
    const groups: { [service: string]: string } = {
      dynamodb: 'dynamodb',
      ecs: 'ecs',
      route53: 'route53',
      cloudwatch: 'cloudwatch',
      applicationautoscaling: 'autoscaling',
      events: 'events',
      sns: 'sns',
      sfn: 'sfn',
    };
    for (const [service, integration] of Object.entries(INTEGRATIONS)) {
      const retried = RETRIED_ERRORS[groups[service]];
      const throttling = modeledErrors(integration.client).filter((n) => /Throttl|RequestLimitExceeded|ProvisionedThroughputExceeded|PriorRequestNotComplete/.test(n));
      const expected = throttling.length > 0 ? throttling.flatMap((n) => reported(integration, n)[0]) : [`${integration.prefix}.${integration.generic}`];
      for (const name of expected) expect([service, name, retried.includes(name)]).toEqual([service, name, true]);
      // And every retried name is one the integration can raise.
      const allowed = allowedFor(integration);
      for (const name of retried) expect([service, name, allowed.has(name)]).toEqual([service, name, true]);
    }
    // ECS, CloudWatch and Application Auto Scaling model no throttling error.
    for (const service of ['ecs', 'cloudwatch', 'applicationautoscaling']) {
      expect([service, modeledErrors(INTEGRATIONS[service].client).filter((n) => /Throttl/.test(n))]).toEqual([service, []]);
    }
  });

  test('the stand-ins raise throttling under names the integrations can raise', () => {
    for (const [api, error] of Object.entries(THROTTLING)) {
      const resource = Object.keys(RESOURCE_API).find((r) => RESOURCE_API[r] === api)!;
      expect([api, error, allowedFor(integrationOf(resource)).has(error)]).toEqual([api, error, true]);
    }
  });
});
