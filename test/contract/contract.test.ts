/**
 * API contract tests: every AWS call the library makes at run time, checked against AWS's own
 * published API models (aws-models.ts), not against the stand-ins of the other tests.
 *
 * (a) every Task of every state machine: the canary rollout (each variant) and the state machines
 *     of the reference app (examples/store);
 * (b) every API step of the SSM Automation documents, and the parameters each remediation passes
 *     to its document (ours, and the AWS-owned one);
 * (c) every AwsCustomResource call (PrivateLinkExposure's private DNS name);
 * (d) the compliance worker's AWS SDK v3 commands as it sends them, and the example workers;
 * (e) the tracing collector's X-Ray permissions against the X-Ray model: tracing-permissions.test.ts.
 *
 * Each failure names the state (or step, or call), the member and why.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ConfigServiceClient, DescribeRemediationExecutionStatusCommand, StartRemediationExecutionCommand } from '@aws-sdk/client-config-service';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { App, Duration, Stack, aws_ec2 as ec2, aws_iam as iam, aws_kms as kms, aws_route53 as route53, aws_s3 as s3 } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { Json, callOfTask, checkCall, checkErrorNames, checkOutputPath, parsePath, taskResource } from './aws-models';
import { handleMessage, pollOnce } from '../../examples/store/services/workers/src/compliance/consumer';
import { pollOnce as pollSignups, replayDeadLetters } from '../../examples/store/services/workers/src/signup/worker';
import { buildStore } from '../../examples/store/store';
import { ComplianceRules, MicroserviceEnvironment, PrivateLinkExposure, Remediation, TwelveFactorService } from '../../src';
import { enableVpcFlowLogsContent, restoreHttpsOnlyContent } from '../../src/compliance/remediation-documents';
import { resolveTokens, synthesizeCanary } from '../deployment/rollout-harness';
import { ENV, IMAGE, importedVpc } from '../service/fixtures';

// ---------------------------------------------------------------------------------------------
// (a) State machines
// ---------------------------------------------------------------------------------------------

/** What checking one definition found. */
interface DefinitionReport {
  readonly problems: string[];
  /** Task states checked. */
  readonly tasks: number;
  /** Result paths checked (ResultSelector and Choice paths on task results). */
  readonly paths: number;
  /** Error names checked (Retry and Catch). */
  readonly errors: number;
}

/** Every state of a definition, nested ones (Map, Parallel) included, with its path of names. */
function allStates(definition: Json, prefix = ''): { name: string; state: Json }[] {
  const out: { name: string; state: Json }[] = [];
  for (const [name, state] of Object.entries<Json>(definition.States ?? {})) {
    out.push({ name: `${prefix}${name}`, state });
    const inner = state.ItemProcessor ?? state.Iterator;
    if (inner) out.push(...allStates(inner, `${prefix}${name}/`));
    for (const [i, branch] of (state.Branches ?? []).entries()) out.push(...allStates(branch, `${prefix}${name}[${i}]/`));
  }
  return out;
}

/** The JSONPaths (not context paths) in a path or intrinsic function expression. */
function pathsIn(expression: string): string[] {
  return [...expression.matchAll(/(?<![$\w])\$(?:\.[A-Za-z0-9_:-]+|\[\d+\])*/g)].map((m) => m[0]).filter((p) => p !== '$');
}

/** Walks a static value along a path: the candidate values it gives (none when unknown). */
function walk(value: Json, segments: (string | number)[]): Json[] {
  let at = value;
  for (const seg of segments) {
    if (at === null || typeof at !== 'object' || !(seg in at)) return [];
    at = at[seg];
  }
  return [at];
}

/**
 * The static values a JSONPath may hold, from the Pass states that write a constant `Result` to
 * it (the canary's slot data: `$.slots.idle.record` is the record of whichever slot is idle).
 */
function staticResolver(definition: Json): (expression: string) => Json[] {
  const passes = allStates(definition).filter(({ state }) => state.Type === 'Pass' && state.Result !== undefined && typeof state.ResultPath === 'string');
  return (expression) => {
    const target = parsePath(expression);
    if (!target) return [];
    const found: Json[] = [];
    for (const { state } of passes) {
      const at = parsePath(state.ResultPath);
      if (!at || at.length > target.length || at.some((seg, i) => seg !== target[i])) continue;
      found.push(...walk(state.Result, target.slice(at.length)));
    }
    return found;
  };
}

/**
 * Every path a top-level state reads from the state input: Choice rules' Variable and *Path
 * operands, InputPath and ItemsPath, and the paths in `.$` values of Parameters and ItemSelector
 * (inside intrinsic functions too). Not ResultSelector (it reads the task's own result) and not
 * the states inside a Map (their input is the item).
 */
function readPaths(definition: Json): { where: string; path: string }[] {
  const out: { where: string; path: string }[] = [];
  const rule = (where: string, r: Json) => {
    if (typeof r.Variable === 'string') out.push({ where, path: r.Variable });
    for (const [k, v] of Object.entries(r)) if (k.endsWith('Path') && typeof v === 'string') out.push({ where, path: v });
    for (const inner of [...(r.And ?? []), ...(r.Or ?? []), ...(r.Not ? [r.Not] : [])]) rule(where, inner);
  };
  const dynamic = (where: string, value: Json) => {
    for (const [k, v] of Object.entries(value ?? {})) {
      if (k.endsWith('.$') && typeof v === 'string') for (const p of pathsIn(v)) out.push({ where, path: p });
      else if (v && typeof v === 'object') dynamic(where, v);
    }
  };
  for (const [name, state] of Object.entries<Json>(definition.States ?? {})) {
    if (state.Type === 'Choice') for (const r of state.Choices ?? []) rule(name, r);
    for (const field of ['InputPath', 'ItemsPath']) if (typeof state[field] === 'string') out.push({ where: name, path: state[field] });
    dynamic(name, state.Parameters);
    dynamic(name, state.ItemSelector);
  }
  return out;
}

/** Checks every Task of a definition: its call, its error names, and the result paths read from it. */
function checkDefinition(definition: Json, label: string): DefinitionReport {
  const problems: string[] = [];
  let tasks = 0;
  let paths = 0;
  let errors = 0;
  const resolve = staticResolver(definition);
  const states = allStates(definition);
  const writers = new Map<string, string[]>();
  const write = (p: string, kind: string) => writers.set(p, [...(writers.get(p) ?? []), kind]);
  for (const { state } of states) {
    if (typeof state.ResultPath === 'string') write(state.ResultPath, state.Type === 'Task' ? `Task:${state.Resource}` : state.Type);
    for (const c of state.Catch ?? []) if (typeof c.ResultPath === 'string') write(c.ResultPath, 'Catch');
  }
  const tasksByResult = new Map<string, { name: string; state: Json }[]>();

  for (const { name, state } of states) {
    if (state.Type !== 'Task') continue;
    tasks += 1;
    const where = `${label} ${name}`;
    const r = taskResource(state.Resource);
    if (!r) {
      problems.push(`${where}: ${state.Resource} is not a Step Functions service integration the checker reads`);
      continue;
    }
    const call = callOfTask(state.Resource, state.Parameters ?? {}, where, resolve)!;
    problems.push(...checkCall(call));
    for (const block of [...(state.Retry ?? []), ...(state.Catch ?? [])]) {
      errors += block.ErrorEquals.length;
      problems.push(...checkErrorNames(state.Resource, block.ErrorEquals, `${where} ${state.Retry?.includes(block) ? 'Retry' : 'Catch'}`));
    }
    if (r.pattern === '.waitForTaskToken') continue; // the result is what the callback sends
    // ResultSelector reads the task's result.
    const selectorPaths = (value: Json): string[] => Object.entries(value ?? {}).flatMap(([k, v]) => (k.endsWith('.$') && typeof v === 'string'
      ? pathsIn(v) : v && typeof v === 'object' ? selectorPaths(v) : []));
    for (const p of selectorPaths(state.ResultSelector)) {
      paths += 1;
      const problem = checkOutputPath(call.kind, call.service, call.action, p, `${where} ResultSelector`);
      if (problem) problems.push(problem);
    }
    // A ResultPath only Tasks write: later states read the task's result there.
    if (typeof state.ResultPath === 'string' && state.ResultPath !== '$' && (writers.get(state.ResultPath) ?? []).every((w) => w.startsWith('Task:'))) {
      tasksByResult.set(state.ResultPath, [...(tasksByResult.get(state.ResultPath) ?? []), { name, state }]);
    }
  }

  // Paths that read a task's result: through the ResultSelector, they exist in the output.
  for (const { where, path: p } of readPaths(definition)) {
    const segments = parsePath(p);
    if (!segments) continue;
    for (const [resultPath, writersOf] of tasksByResult) {
      const at = parsePath(resultPath)!;
      if (at.length >= segments.length || at.some((seg, i) => seg !== segments[i])) continue;
      const rest = segments.slice(at.length);
      for (const { name, state } of writersOf) {
        let outputPath: string | undefined;
        if (state.ResultSelector) {
          const selected = state.ResultSelector[`${rest[0]}.$`];
          const inner = typeof selected === 'string' ? parsePath(selected) : undefined;
          if (!inner) continue; // a constant, or an intrinsic function: not a path into the output
          outputPath = `$${[...inner, ...rest.slice(1)].map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')}`;
        } else {
          outputPath = `$${rest.map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`)).join('')}`;
        }
        paths += 1;
        const call = callOfTask(state.Resource, {}, name)!;
        const problem = checkOutputPath(call.kind, call.service, call.action, outputPath, `${label} ${where} (reads ${p}, the result of ${name})`);
        if (problem) problems.push(problem);
      }
    }
  }
  return { problems: [...new Set(problems)], tasks, paths, errors };
}

/** The state machine definitions of a template, tokens resolved to placeholders. */
function definitionsOf(template: Template): { id: string; definition: Json }[] {
  return Object.entries(template.findResources('AWS::StepFunctions::StateMachine')).map(([id, r]) => {
    const raw = r.Properties.DefinitionString;
    return { id, definition: JSON.parse(typeof raw === 'string' ? raw : resolveTokens(raw)) };
  });
}

/** Counts, for the report. */
const counted: { [what: string]: number } = {};
function count(what: string, n: number): void {
  counted[what] = (counted[what] ?? 0) + n;
}
afterAll(() => {
  // One line for the note on how much is checked (jest prints console output of a passing run).
  process.stdout.write(`contract counts: ${JSON.stringify(counted)}\n`);
});

const CANARY_VARIANTS: [string, () => Json][] = [
  ['default', () => synthesizeCanary().definition],
  ['approval', () => synthesizeCanary({ approval: true }).definition],
  ['SCALE_IN', () => synthesizeCanary({ scaleIn: true }).definition],
  ['approval and SCALE_IN', () => synthesizeCanary({ approval: true, scaleIn: true }).definition],
  ['CNAME records', () => synthesizeCanary({ recordTtl: Duration.seconds(60) }).definition],
];

describe('(a) every Task of every state machine', () => {
  test.each(CANARY_VARIANTS)('canary rollout, %s: every call, error name and result path matches the AWS API models', (variant, definition) => {
    const report = checkDefinition(definition(), `canary(${variant})`);
    count('canary tasks', report.tasks);
    count('canary result paths', report.paths);
    count('canary error names', report.errors);
    expect(report.tasks).toBeGreaterThan(15);
    expect(report.problems).toEqual([]);
  });

  let store: Template[] | undefined;
  /** Every stack of every app of the reference store (platform, users, workers). */
  const storeTemplates = () => {
    if (!store) {
      const built = buildStore({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
      store = [built.billing, built.platform, built.users, built.workers].map((s) => Template.fromStack(s));
    }
    return store;
  };

  test('reference app (examples/store): every state machine, every Task', () => {
    const machines = storeTemplates().flatMap((t) => definitionsOf(t));
    expect(machines.length).toBeGreaterThanOrEqual(1);
    const problems: string[] = [];
    for (const { id, definition } of machines) {
      const report = checkDefinition(definition, `store ${id}`);
      count('store tasks', report.tasks);
      count('store result paths', report.paths);
      count('store error names', report.errors);
      problems.push(...report.problems);
    }
    expect(problems).toEqual([]);
  });

  // (b) on the reference app's own documents and remediations.
  test('reference app: the SSM Automation documents it creates and the parameters each remediation passes', () => {
    const templates = storeTemplates();
    const problems: string[] = [];
    for (const t of templates) {
      const documents = t.findResources('AWS::SSM::Document');
      for (const [id, doc] of Object.entries(documents)) problems.push(...checkAutomationDocument(resolveTokens(doc.Properties.Content), `store ${id}`));
      for (const [id, rc] of Object.entries(t.findResources('AWS::Config::RemediationConfiguration'))) {
        problems.push(...checkRemediationParameters(rc.Properties, documents, `store ${id}`));
      }
    }
    expect(problems).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// (b) SSM Automation
// ---------------------------------------------------------------------------------------------

/** Actions that call an AWS API with `Service`, `Api` and the API's parameters. */
const API_ACTIONS = ['aws:executeAwsApi', 'aws:assertAwsResourceProperty', 'aws:waitForAwsResourceProperty'];
/** The inputs of those actions that are not API parameters. */
const NOT_API_INPUTS = ['Service', 'Api', 'PropertySelector', 'DesiredValues'];

/**
 * Checks every API step of an Automation document (schema 0.3) against the models: Service and
 * Api name an operation, the other inputs are its parameters with the API's own names
 * (https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-action-executeAwsApi.html),
 * output Selectors and PropertySelectors exist in the output, and every `{{ }}` names a
 * parameter of the document or an output of one of its steps.
 */
function checkAutomationDocument(doc: Json, label: string): string[] {
  const problems: string[] = [];
  const parameters = new Set(Object.keys(doc.parameters ?? {}));
  const outputs = new Set<string>();
  for (const step of doc.mainSteps ?? []) for (const o of step.outputs ?? []) outputs.add(`${step.name}.${o.Name}`);
  for (const ref of JSON.stringify(doc).matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)) {
    if (!parameters.has(ref[1]) && !outputs.has(ref[1])) problems.push(`${label}: {{ ${ref[1]} }} is neither a parameter nor a step output`);
  }
  for (const step of doc.mainSteps ?? []) {
    if (!API_ACTIONS.includes(step.action)) continue;
    count('SSM API steps', 1);
    const where = `${label} step ${step.name} (${step.action})`;
    const { Service: svc, Api: api } = step.inputs;
    const params = Object.fromEntries(Object.entries<Json>(step.inputs).filter(([k]) => !NOT_API_INPUTS.includes(k)));
    problems.push(...checkCall({ kind: 'api', service: svc, action: api, params, where }));
    const selectors = [...(step.outputs ?? []).map((o: Json) => o.Selector), ...(step.inputs.PropertySelector ? [step.inputs.PropertySelector] : [])];
    for (const selector of selectors) {
      count('SSM selectors', 1);
      const problem = checkOutputPath('api', svc, api, selector, `${where} selector`);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

/**
 * The parameters of AWS-owned runbooks we start, from their pages: name -> required.
 * https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-encrypt-sns-topic.html
 */
const AWS_RUNBOOK_PARAMETERS: { [document: string]: { [name: string]: boolean } } = {
  'AWSConfigRemediation-EncryptSNSTopic': { AutomationAssumeRole: true, KmsKeyArn: true, TopicArn: true },
};

/**
 * A remediation passes each required parameter of its document and no other
 * (https://docs.aws.amazon.com/config/latest/APIReference/API_RemediationConfiguration.html),
 * each as one static value or the resource id.
 */
function checkRemediationParameters(props: Json, documents: { [id: string]: Json }, label: string): string[] {
  const problems: string[] = [];
  const target = props.TargetId;
  let declared: { [name: string]: boolean } | undefined;
  let name: string;
  if (typeof target === 'string') {
    name = target;
    declared = AWS_RUNBOOK_PARAMETERS[target];
  } else {
    name = target?.Ref;
    const doc = documents[name];
    if (doc) {
      const content = resolveTokens(doc.Properties.Content);
      declared = Object.fromEntries(Object.entries<Json>(content.parameters ?? {}).map(([k, v]) => [k, v.default === undefined]));
    }
  }
  if (!declared) return [`${label}: the parameters of document ${JSON.stringify(target)} are not known to the contract test; add them`];
  count('remediation parameters', Object.keys(props.Parameters ?? {}).length);
  for (const [k, v] of Object.entries<Json>(props.Parameters ?? {})) {
    if (!(k in declared)) problems.push(`${label}: parameter ${k} is not a parameter of ${name} (${Object.keys(declared).join(', ')})`);
    const values = v.StaticValue?.Values;
    if (!v.ResourceValue && !(Array.isArray(values) && values.length === 1)) problems.push(`${label}: parameter ${k} is neither the resource id nor one static value`);
  }
  for (const [k, required] of Object.entries(declared)) {
    if (required && !(k in (props.Parameters ?? {}))) problems.push(`${label}: required parameter ${k} of ${name} is not passed`);
  }
  return problems;
}

describe('(b) SSM Automation documents', () => {
  test.each([
    ['restore HTTPS only', restoreHttpsOnlyContent],
    ['enable VPC flow logs', enableVpcFlowLogsContent],
  ])('%s: every API step and selector matches the models', (_name, content) => {
    expect(checkAutomationDocument(content(), _name)).toEqual([]);
  });

  test('every remediation passes its document exactly the parameters it declares (the AWS-owned EncryptSNSTopic too)', () => {
    const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
    const stack = new Stack(app, 'Rules', { env: ENV });
    const rules = new ComplianceRules(stack, 'Rules');
    rules.remediate(Remediation.snsEncryptedKms({ kmsKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) }));
    rules.remediate(Remediation.elbv2ListenerHttps({}));
    rules.remediate(Remediation.vpcFlowLogs({ bucket: new s3.Bucket(stack, 'FlowLogs') }));
    const t = Template.fromStack(stack);
    const documents = t.findResources('AWS::SSM::Document');
    const configurations = Object.entries(t.findResources('AWS::Config::RemediationConfiguration'));
    expect(configurations).toHaveLength(3);
    const problems: string[] = [];
    for (const [id, rc] of configurations) problems.push(...checkRemediationParameters(rc.Properties, documents, id));
    for (const [id, doc] of Object.entries(documents)) problems.push(...checkAutomationDocument(resolveTokens(doc.Properties.Content), id));
    expect(problems).toEqual([]);
  });

  test('the check finds a step that names a member the API does not have, and a parameter no document declares', () => {
    const doc = restoreHttpsOnlyContent() as Json;
    const broken = JSON.parse(JSON.stringify(doc));
    broken.mainSteps[0].inputs.ListenerArn = '{{ ListenerArn }}';
    broken.mainSteps[3].inputs.DefaultActions[0].RedirectConfig.StatusCode = 'HTTP_308';
    expect(checkAutomationDocument(broken, 'doc')).toEqual([
      expect.stringContaining('doc step DescribeListener (aws:executeAwsApi): DescribeListeners: ListenerArn is not a member of DescribeListenersInput'),
      expect.stringContaining('RedirectConfig.StatusCode: "HTTP_308" is not a value of RedirectActionStatusCodeEnum'),
    ]);
    expect(checkRemediationParameters({ TargetId: 'AWSConfigRemediation-EncryptSNSTopic', Parameters: { TopicArn: { ResourceValue: { Value: 'RESOURCE_ID' } }, KeyArn: { StaticValue: { Values: ['k'] } } } }, {}, 'rc'))
      .toEqual([
        'rc: parameter KeyArn is not a parameter of AWSConfigRemediation-EncryptSNSTopic (AutomationAssumeRole, KmsKeyArn, TopicArn)',
        'rc: required parameter AutomationAssumeRole of AWSConfigRemediation-EncryptSNSTopic is not passed',
        'rc: required parameter KmsKeyArn of AWSConfigRemediation-EncryptSNSTopic is not passed',
      ]);
  });
});

// ---------------------------------------------------------------------------------------------
// (c) AwsCustomResource calls
// ---------------------------------------------------------------------------------------------

/**
 * CDK's AwsCustomResource encodes booleans in parameters as 'TRUE:BOOLEAN'/'FALSE:BOOLEAN'
 * strings, which its handler decodes before the call (aws-cdk-lib custom-resources,
 * aws-custom-resource.ts `encodeBooleans`; runtime `decodeSpecialValues`).
 */
function decodeBooleans(value: Json): Json {
  if (value === 'TRUE:BOOLEAN') return true;
  if (value === 'FALSE:BOOLEAN') return false;
  if (Array.isArray(value)) return value.map(decodeBooleans);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeBooleans(v)]));
  return value;
}

/** The SDK calls of the Custom::AWS resources of a template: service, action, parameters, output paths. */
function customResourceCalls(template: Template): { where: string; call: Json }[] {
  const out: { where: string; call: Json }[] = [];
  for (const [id, r] of Object.entries(template.findResources('Custom::AWS'))) {
    for (const phase of ['Create', 'Update', 'Delete']) {
      const raw = r.Properties[phase];
      if (raw === undefined) continue;
      const text = typeof raw === 'string' ? raw : resolveTokens(raw);
      out.push({ where: `${id} ${phase}`, call: JSON.parse(text) });
    }
  }
  return out;
}

/** The problems of AwsCustomResource calls: the API's own names (SDK v3), output paths in the output shape. */
function checkCustomResourceCalls(calls: { where: string; call: Json }[]): string[] {
  const problems: string[] = [];
  for (const { where, call } of calls) {
    problems.push(...checkCall({ kind: 'api', service: call.service, action: call.action, params: decodeBooleans(call.parameters ?? {}), where }));
    for (const p of [...(call.outputPaths ?? []), ...(call.outputPath ? [call.outputPath] : [])]) {
      count('custom resource output paths', 1);
      // AwsCustomResource flattens the response: `A.0.B` is `$.A[0].B`.
      const jsonPath = `$${String(p).split('.').map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('')}`;
      const problem = checkOutputPath('api', call.service, call.action, jsonPath, `${where} outputPaths`);
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

describe('(c) AwsCustomResource calls', () => {
  test('PrivateLinkExposure with a private DNS name: every Create, Update and Delete call matches the EC2 model', () => {
    const stack = new Stack(new App(), 'ContractDns', { env: ENV });
    const environment = new MicroserviceEnvironment(stack, 'Env', { vpc: importedVpc(stack) });
    const service = new TwelveFactorService(stack, 'Billing', { environment, image: IMAGE, port: 8080, user: '1000' });
    new PrivateLinkExposure(stack, 'Link', {
      service,
      allowedPrincipals: [new iam.AccountPrincipal('222222222222')],
      allowedClients: [ec2.Peer.ipv4('10.1.0.0/16')],
      privateDnsName: 'billing.example.com',
      publicHostedZone: route53.PublicHostedZone.fromPublicHostedZoneAttributes(stack, 'PublicZone', { hostedZoneId: 'Z0PUBLIC123', zoneName: 'example.com' }),
    });
    const calls = customResourceCalls(Template.fromStack(stack));
    count('custom resource calls', calls.length);
    // Create and Update of three resources, and the Delete of the one that sets the name.
    expect(calls).toHaveLength(7);
    expect(checkCustomResourceCalls(calls)).toEqual([]);
  });

  test('the check finds a parameter the API does not have, and an output path not in the response', () => {
    expect(checkCustomResourceCalls([{
      where: 'GetNames Create',
      call: { service: 'EC2', action: 'describeVpcEndpointServiceConfigurations', parameters: { ServiceId: 'vpce-svc-1' }, outputPaths: ['ServiceConfigurations.0.PrivateDnsName.Name'] },
    }])).toEqual([
      expect.stringMatching(/^GetNames Create: DescribeVpcEndpointServiceConfigurations: ServiceId is not a member/),
      expect.stringMatching(/^GetNames Create outputPaths: .*PrivateDnsName is a string, it has no member Name/),
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// (d) The compliance worker and the example workers
// ---------------------------------------------------------------------------------------------

const QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/111111111111/Store-ComplianceAlertsQueue-AbC123';
const RULE = 'store-alb-http-to-https-redirection-check';
const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:111111111111:listener/app/store/50dc6c495c0c9188/f2f7dc8efc522ab2';

/** A "Config Rules Compliance Change" event as EventBridge delivers it to the queue. */
function complianceMessage(id: string) {
  const qualifier = { configRuleName: RULE, resourceType: 'AWS::ElasticLoadBalancingV2::Listener', resourceId: LISTENER };
  return {
    MessageId: id,
    ReceiptHandle: `handle-${id}`,
    Attributes: { ApproximateReceiveCount: '1' },
    Body: JSON.stringify({
      'version': '0',
      'id': id,
      'detail-type': 'Config Rules Compliance Change',
      'source': 'aws.config',
      'account': '111111111111',
      'time': '2026-11-22T10:15:05Z',
      'region': 'us-east-1',
      'resources': [],
      'detail': {
        awsAccountId: '111111111111',
        configRuleName: RULE,
        resourceType: qualifier.resourceType,
        resourceId: LISTENER,
        awsRegion: 'us-east-1',
        newEvaluationResult: {
          evaluationResultIdentifier: { evaluationResultQualifier: qualifier, orderingTimestamp: '2026-11-22T10:14:58.901Z' },
          complianceType: 'NON_COMPLIANT',
          resultRecordedTime: '2026-11-22T10:15:04.122Z',
          configRuleInvokedTime: '2026-11-22T10:15:03.876Z',
        },
        messageType: 'ComplianceChangeNotification',
        recordVersion: '1.0',
      },
    }),
  };
}

describe('(d) AWS SDK v3 commands of the compliance worker', () => {
  test('every command it sends, with the input it builds, matches the models', async () => {
    const sqs = mockClient(SQSClient);
    const config = mockClient(ConfigServiceClient);
    sqs.onAnyCommand().resolves({});
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [complianceMessage('m1'), complianceMessage('m2')] });
    // The first start is accepted; the second comes back in FailedItems, so the worker asks for the status.
    config.on(StartRemediationExecutionCommand)
      .resolvesOnce({})
      .resolves({ FailedItems: [{ resourceType: 'AWS::ElasticLoadBalancingV2::Listener', resourceId: LISTENER }], FailureMessage: 'busy' });
    config.on(DescribeRemediationExecutionStatusCommand).resolves({ RemediationExecutionStatuses: [] });
    const deps = { sqs: new SQSClient({ region: 'us-east-1' }), config: new ConfigServiceClient({ region: 'us-east-1' }), log: () => undefined };
    const options = { queueUrl: QUEUE_URL, remediateRules: [RULE] };
    await pollOnce(deps, options);
    await handleMessage(complianceMessage('m3'), deps, options);

    const sent = [
      ...sqs.calls().map((c) => ({ client: 'sqs', command: c.args[0] as Json })),
      ...config.calls().map((c) => ({ client: 'config', command: c.args[0] as Json })),
    ];
    const names = sent.map((s) => s.command.constructor.name).sort();
    // Every command the worker uses was exercised.
    expect([...new Set(names)]).toEqual(['DeleteMessageBatchCommand', 'DescribeRemediationExecutionStatusCommand', 'ReceiveMessageCommand', 'StartRemediationExecutionCommand']);
    count('worker commands', sent.length);
    const problems = sent.flatMap(({ client, command }) => checkCall({
      kind: 'api', service: client, action: command.constructor.name.replace(/Command$/, ''), params: command.input, where: `compliance-worker ${command.constructor.name}`,
    }));
    expect(problems).toEqual([]);
    sqs.restore();
    config.restore();
  });

  test('the email worker: every command of its loop and of --replay, with the input it builds, matches the models', async () => {
    const sqs = mockClient(SQSClient);
    const signup = (id: string, attributes = false) => ({
      MessageId: id,
      ReceiptHandle: `handle-${id}`,
      Body: JSON.stringify({ Type: 'Notification', MessageId: `sns-${id}`, Message: JSON.stringify({ userId: id, plan: 'pro' }) }),
      ...(attributes ? { MessageAttributes: { plan: { DataType: 'String', StringValue: 'pro' } } } : {}),
    });
    sqs.onAnyCommand().resolves({});
    sqs.on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [signup('s1'), signup('s2')] })
      .resolvesOnce({ Messages: [signup('d1', true), signup('d2')] })
      .resolves({ Messages: [] });
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [{ Id: 'm0', MessageId: 'x1', MD5OfMessageBody: 'a' }, { Id: 'm1', MessageId: 'x2', MD5OfMessageBody: 'b' }], Failed: [] });
    sqs.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: 'm0' }, { Id: 'm1' }], Failed: [] });
    const deps = { sqs: new SQSClient({ region: 'us-east-1' }), log: () => undefined, handle: async () => undefined };
    const queueUrl = 'https://sqs.us-east-1.amazonaws.com/111111111111/Store-UserSignupQueue-AbC123';
    await pollSignups(deps, { queueUrl, waitTimeSeconds: 1 });
    await replayDeadLetters(deps, { queueUrl, deadLetterQueueUrl: `${queueUrl}-dlq`, waitTimeSeconds: 1 });

    const sent = sqs.calls().map((c) => c.args[0] as Json);
    expect([...new Set(sent.map((c) => c.constructor.name))].sort()).toEqual(['DeleteMessageBatchCommand', 'ReceiveMessageCommand', 'SendMessageBatchCommand']);
    count('worker commands', sent.length);
    const problems = sent.flatMap((command) => checkCall({
      kind: 'api', service: 'sqs', action: command.constructor.name.replace(/Command$/, ''), params: command.input, where: `signup-worker ${command.constructor.name}`,
    }));
    expect(problems).toEqual([]);
    sqs.restore();
  });

  test('the other example services call no AWS API (nothing to check; a new call needs a contract test)', () => {
    const services = path.join(__dirname, '..', '..', 'examples', 'store', 'services');
    const scripts = fs.readdirSync(services).flatMap((dir) => fs.readdirSync(path.join(services, dir)).filter((f) => f.endsWith('.js')).map((f) => path.join(services, dir, f)));
    expect(scripts.length).toBeGreaterThanOrEqual(3);
    for (const file of scripts) expect([file, /aws-sdk|@aws-sdk|amazonaws\.com/.test(fs.readFileSync(file, 'utf8'))]).toEqual([file, false]);
  });
});

// ---------------------------------------------------------------------------------------------
// The definition checker catches what it must.
// ---------------------------------------------------------------------------------------------

describe('the definition check finds defects', () => {
  const definition = {
    StartAt: 'Slots',
    States: {
      Slots: { Type: 'Pass', Result: { record: { Name: 'a', Type: 'A', SetIdentifier: 'blue', AliasTarget: { HostedZoneId: 'Z', DNSName: 'lb', EvaluateTargetHealth: true } } }, ResultPath: '$.slot', Next: 'Set' },
      Set: {
        Type: 'Task',
        Resource: 'arn:aws:states:::aws-sdk:route53:changeResourceRecordSets',
        Parameters: { HostedZoneId: 'Z', ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { 'Weight': 1, 'Name.$': '$.slot.record.Name', 'Type.$': '$.slot.record.Type', 'SetIdentifier.$': '$.slot.record.SetIdentifier', 'AliasTarget.$': '$.slot.record.AliasTarget' } }] } },
        ResultSelector: { 'id.$': '$.ChangeInfo.ChangeId' },
        ResultPath: '$.change',
        Retry: [{ ErrorEquals: ['Route53.ThrottlingException', 'Route53.ServiceUnavailableException'] }],
        Next: 'Alarms',
      },
      Alarms: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:cloudwatch:describeAlarms', Parameters: { AlarmNames: ['a'] }, ResultPath: '$.alarms', Next: 'Firing' },
      Firing: { Type: 'Choice', Choices: [{ Variable: '$.alarms.MetricAlarm[0]', IsPresent: true, Next: 'Done' }], Default: 'Done' },
      Done: { Type: 'Succeed' },
    },
  };

  test('a record field from a Pass state, an unmodeled error, and paths missing from the output', () => {
    expect(checkDefinition(definition, 'sample').problems).toEqual([
      expect.stringContaining('sample Set: ChangeResourceRecordSets.ChangeBatch.Changes[0].ResourceRecordSet.AliasTarget (from $.slot.record.AliasTarget): DNSName is not a member of AliasTarget'),
      expect.stringContaining('sample Set: ChangeResourceRecordSets.ChangeBatch.Changes[0].ResourceRecordSet.AliasTarget (from $.slot.record.AliasTarget): required member DnsName is missing'),
      expect.stringContaining('sample Set Retry: Route53.ServiceUnavailableException is not an error route53 models'),
      expect.stringContaining('sample Set ResultSelector: $.ChangeInfo.ChangeId: ChangeId is not a member of the ChangeResourceRecordSets output'),
      expect.stringContaining('sample Firing (reads $.alarms.MetricAlarm[0], the result of Alarms): $.MetricAlarm[0]: MetricAlarm is not a member of the DescribeAlarms output'),
    ]);
  });
});
