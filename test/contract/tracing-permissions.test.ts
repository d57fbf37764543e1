/**
 * API contract of the tracing collector's permissions ((e) of the contract checks, beside
 * contract.test.ts): for every traced task definition of the reference app (examples/store),
 * every X-Ray action its task role is granted names an operation of the X-Ray API model, and
 * every X-Ray operation the collector's configuration (AOT_CONFIG_CONTENT) makes it call is
 * granted, on `*` (X-Ray's actions have no resource type:
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html).
 *
 * What the configuration calls is read by test/delivery/request-contexts.ts (`collectorCalls`),
 * the same reading the delivery matrix's X-Ray rows come from.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { Json, model } from './aws-models';
import { buildStore } from '../../examples/store/store';
import { collectorConfig } from '../../src/service/service-tracing';
import { CollectorCall, collectorCalls, collectorsOf } from '../delivery/request-contexts';
import { resolveTokens } from '../deployment/rollout-harness';

/** The X-Ray API model (the AWS SDK for JavaScript v2 model, as every contract check reads models). */
function xrayModel(): { file: string; signingName: string; operations: string[] } {
  const m = model('xray');
  return { file: `${m.min.metadata.endpointPrefix}-${m.min.metadata.apiVersion}.min.json`, signingName: m.min.metadata.signingName ?? m.min.metadata.endpointPrefix, operations: Object.keys(m.min.operations) };
}

/** What checking one traced task definition found. */
interface TracingGrants {
  readonly problems: string[];
  /** The X-Ray actions granted on `*`. */
  readonly granted: string[];
  /** Granted X-Ray actions nothing in the collector's configuration calls. */
  readonly unused: string[];
}

/** IAM wildcard matching, case-insensitive as action names are. */
function matches(pattern: string, action: string): boolean {
  const re = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('')}$`, 'i');
  return re.test(action);
}

/**
 * The problems of a task role's X-Ray grants (the Allow statements of its policies) against the
 * model and against the calls of its collector:
 * - each `xray:` action names an operation of the model (exactly as the model spells it), and is
 *   not a wildcard (a grant names what the collector calls);
 * - a statement with an `xray:` action is on `*`, the only resource X-Ray's actions have;
 * - each call of the collector is granted by such a statement.
 */
function checkTracingGrants(where: string, statements: Json[], calls: CollectorCall[], operations: string[]): TracingGrants {
  const problems: string[] = [];
  const granted: string[] = [];
  const onStar = (st: Json) => [st.Resource].flat().includes('*');
  for (const st of statements.filter((s) => s.Effect === 'Allow')) {
    for (const action of [st.Action].flat().filter((a: string) => /^xray:/i.test(a))) {
      const name = action.slice('xray:'.length);
      if (/[*?]/.test(name)) {
        problems.push(`${where}: ${action} is a wildcard (${operations.filter((o) => matches(name, o)).length} operations); name the X-Ray operations the collector calls`);
      } else if (!operations.includes(name)) {
        const near = operations.find((o) => o.toLowerCase() === name.toLowerCase());
        problems.push(`${where}: ${action} is not an operation of the X-Ray API${near ? ` (the model spells it ${near})` : ''}`);
      }
      if (!onStar(st)) problems.push(`${where}: ${action} is granted on ${JSON.stringify(st.Resource)}; X-Ray actions have no resource type, only * grants them`);
      else granted.push(action);
    }
  }
  for (const call of calls) {
    const name = call.action.slice('xray:'.length);
    if (!operations.includes(name)) problems.push(`${where}: the collector's ${call.by} calls ${call.action}, not an operation of the X-Ray API`);
    if (!granted.some((g) => matches(g, call.action))) problems.push(`${where}: the collector's ${call.by} calls ${call.action}, which the task role is not granted`);
  }
  const unused = granted.filter((g) => !/[*?]/.test(g) && !calls.some((c) => matches(g, c.action)));
  return { problems, granted, unused };
}

/** The traced task definitions of a template: the collector's calls, and the Allow/Deny statements of the task role's policies. */
function tracedTaskDefinitions(stack: string, template: Json): Array<{ where: string; calls: CollectorCall[]; statements: Json[] }> {
  const resources = template.Resources;
  return collectorsOf(resources, (v) => resolveTokens(v)).map((collector) => {
    const roleRef = resources[collector.taskDefinitionId].Properties.TaskRoleArn;
    const roleId: string = roleRef?.['Fn::GetAtt']?.[0] ?? roleRef?.Ref;
    const statements = Object.values<Json>(resources)
      .filter((r) => ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy'].includes(r.Type))
      .filter((r) => (r.Properties.Roles ?? []).some((ref: Json) => ref?.Ref === roleId))
      .flatMap((r) => [r.Properties.PolicyDocument.Statement].flat());
    return { where: `${stack} ${collector.taskDefinitionId} (task role ${roleId})`, calls: collectorCalls(collector.config), statements };
  });
}

const MODEL = xrayModel();

let store: Array<[string, Json]> | undefined;
/** The reference app's stacks (all four trace). */
const storeTemplates = () => {
  if (!store) {
    const built = buildStore({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
    store = [built.billing, built.platform, built.users, built.workers].map((s) => [s.stackName, Template.fromStack(s).toJSON()]);
  }
  return store;
};

afterAll(() => {
  const traced = store ? store.flatMap(([name, t]) => tracedTaskDefinitions(name, t)) : [];
  process.stdout.write(`tracing contract counts: ${JSON.stringify({ 'traced task definitions': traced.length, 'X-Ray grants': traced.reduce((n, t) => n + checkTracingGrants(t.where, t.statements, t.calls, MODEL.operations).granted.length, 0) })}\n`);
});

describe('(e) the tracing collector\'s X-Ray permissions against the X-Ray API model', () => {
  test('the model is X-Ray\'s, and its signing name is the IAM prefix xray', () => {
    expect(MODEL.file).toMatch(/^xray-\d{4}-\d{2}-\d{2}\.min\.json$/);
    expect(MODEL.signingName).toBe('xray');
    expect(MODEL.operations).toEqual(expect.arrayContaining(['PutTraceSegments', 'PutTelemetryRecords', 'GetSamplingRules', 'GetSamplingTargets']));
  });

  test('reference app: every traced task definition\'s X-Ray grants name X-Ray operations, and every X-Ray call of its collector\'s configuration is granted', () => {
    const traced = storeTemplates().flatMap(([name, t]) => tracedTaskDefinitions(name, t));
    // Billing (the billing API, its collector mirrored by a pull-through cache), Platform (compliance
    // worker), Users (blue and green slots), Workers (email and billing workers).
    expect(traced.map((t) => t.where.split(' ')[0])).toEqual(['Billing', 'Platform', 'Users', 'Users', 'Workers', 'Workers']);
    const problems: string[] = [];
    for (const t of traced) {
      // Our configuration exports with awsxray and nothing else that calls AWS.
      expect([t.where, t.calls.map((c) => `${c.by} ${c.action}`)]).toEqual([t.where, ['exporters/awsxray xray:PutTraceSegments']]);
      problems.push(...checkTracingGrants(t.where, t.statements, t.calls, MODEL.operations).problems);
    }
    expect(problems).toEqual([]);
  });

  test('reference app: no X-Ray action is granted that the configuration does not call (least privilege)', () => {
    // With our configuration (otlp in, awsxray out with telemetry off, no awsproxy extension, no
    // awsxray receiver, the app's sampler parentbased_traceidratio, not X-Ray remote sampling)
    // the collector calls PutTraceSegments only: PutTelemetryRecords needs the exporter's
    // `telemetry.enabled` (default false); GetSamplingRules and GetSamplingTargets serve remote
    // sampling through the awsproxy extension or the awsxray receiver; no collector component
    // calls GetSamplingStatisticSummaries.
    const traced = storeTemplates().flatMap(([name, tpl]) => tracedTaskDefinitions(name, tpl));
    expect(traced.length).toBeGreaterThan(0);
    for (const t of traced) {
      const { unused } = checkTracingGrants(t.where, t.statements, t.calls, MODEL.operations);
      expect([t.where, unused]).toEqual([t.where, []]);
    }
  });
});

describe('(e) the tracing check finds defects', () => {
  const region = 'us-east-1';
  const calls = collectorCalls(JSON.parse(collectorConfig(region)));
  const statement = (actions: string[], resource: Json = '*') => [{ Effect: 'Allow', Action: actions, Resource: resource }];

  test('what a configuration makes the collector call: telemetry, the proxy for remote sampling, and components whose calls are unknown', () => {
    expect(calls).toEqual([{ action: 'xray:PutTraceSegments', by: 'exporters/awsxray', region }]);
    const config = JSON.parse(collectorConfig(region));
    config.exporters.awsxray.telemetry = { enabled: true };
    config.extensions.awsproxy = { endpoint: '127.0.0.1:2000' };
    config.service.extensions.push('awsproxy');
    expect(collectorCalls(config).map((c) => `${c.by} ${c.action}`)).toEqual([
      'exporters/awsxray xray:PutTraceSegments', 'exporters/awsxray xray:PutTelemetryRecords',
      'extensions/awsproxy xray:GetSamplingRules', 'extensions/awsproxy xray:GetSamplingTargets',
    ]);
    // A component defined but in no pipeline does not run.
    const inert = JSON.parse(collectorConfig(region));
    inert.exporters.awsemf = {};
    expect(collectorCalls(inert)).toEqual(calls);
    inert.service.pipelines.traces.exporters.push('awsemf');
    expect(() => collectorCalls(inert)).toThrow(/exporters\/awsemf: what it calls is not known to the tests/);
  });

  test('a misspelled action, a wildcard, a grant on a resource, and a call that is not granted', () => {
    const granted = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries'];
    expect(checkTracingGrants('ok', statement(granted), calls, MODEL.operations).problems).toEqual([]);
    // The five actions of AWSXrayWriteOnlyAccess are four more than the collector calls.
    expect(checkTracingGrants('ok', statement(granted), calls, MODEL.operations).unused).toEqual([
      'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:GetSamplingStatisticSummaries',
    ]);
    // Misspelled: PutTraceSegment is not an operation, and the call it was meant for is not granted.
    const misspelled = granted.map((a) => (a === 'xray:PutTraceSegments' ? 'xray:PutTraceSegment' : a));
    expect(checkTracingGrants('misspelled', statement(misspelled), calls, MODEL.operations).problems).toEqual([
      'misspelled: xray:PutTraceSegment is not an operation of the X-Ray API',
      'misspelled: the collector\'s exporters/awsxray calls xray:PutTraceSegments, which the task role is not granted',
    ]);
    expect(checkTracingGrants('case', statement(['xray:puttracesegments']), calls, MODEL.operations).problems).toEqual([
      'case: xray:puttracesegments is not an operation of the X-Ray API (the model spells it PutTraceSegments)',
    ]);
    // Missing: the exporter's call is granted by no statement.
    const missing = granted.filter((a) => a !== 'xray:PutTraceSegments');
    expect(checkTracingGrants('missing', statement(missing), calls, MODEL.operations).problems).toEqual([
      'missing: the collector\'s exporters/awsxray calls xray:PutTraceSegments, which the task role is not granted',
    ]);
    expect(checkTracingGrants('wildcard', statement(['xray:Put*']), calls, MODEL.operations).problems).toEqual([
      expect.stringMatching(/^wildcard: xray:Put\* is a wildcard \(\d+ operations\); name the X-Ray operations the collector calls$/),
    ]);
    expect(checkTracingGrants('resource', statement(['xray:PutTraceSegments'], 'arn:aws:xray:us-east-1:111111111111:group/x'), calls, MODEL.operations).problems).toEqual([
      'resource: xray:PutTraceSegments is granted on "arn:aws:xray:us-east-1:111111111111:group/x"; X-Ray actions have no resource type, only * grants them',
      'resource: the collector\'s exporters/awsxray calls xray:PutTraceSegments, which the task role is not granted',
    ]);
  });

  test('on copies of the reference app\'s task role policy: PutTraceSegments misspelled, and PutTraceSegments taken away', () => {
    const [t] = storeTemplates().flatMap(([name, tpl]) => tracedTaskDefinitions(name, tpl));
    const edit = (change: (actions: string[]) => string[]) => JSON.parse(JSON.stringify(t.statements))
      .map((st: Json) => ({ ...st, Action: change([st.Action].flat()) }));
    const misspelled = edit((actions) => actions.map((a) => (a === 'xray:PutTraceSegments' ? 'xray:PutTraceSegmentz' : a)));
    expect(checkTracingGrants(t.where, misspelled, t.calls, MODEL.operations).problems).toEqual([
      `${t.where}: xray:PutTraceSegmentz is not an operation of the X-Ray API`,
      `${t.where}: the collector's exporters/awsxray calls xray:PutTraceSegments, which the task role is not granted`,
    ]);
    const missing = edit((actions) => actions.filter((a) => a !== 'xray:PutTraceSegments'));
    expect(checkTracingGrants(t.where, missing, t.calls, MODEL.operations).problems).toEqual([
      `${t.where}: the collector's exporters/awsxray calls xray:PutTraceSegments, which the task role is not granted`,
    ]);
  });
});
