import * as fs from 'fs';
import * as path from 'path';
import { checkCall, checkOutputPath } from './aws-models';

/**
 * The integ tests' assertions (`integ.assertions.awsApiCall`) call AWS with the SDK for
 * JavaScript v3 when a user deploys them: each call in the snapshots is checked against the
 * service's API model like the calls of the state machines, with the paths it reads.
 */

const INTEG = path.join(__dirname, '..', '..', 'integ');

interface AssertionCall {
  readonly where: string;
  readonly service: string;
  readonly api: string;
  readonly params: { [key: string]: unknown };
  readonly outputPaths: string[];
}

/**
 * A parameter as the assertion provider reads it: each value is JSON text, in which a deploy-time
 * value (Fn::Join, Fn::GetAtt, Fn::ImportValue...) becomes the placeholder `{{token}}`.
 */
function decode(value: unknown): unknown {
  const text = typeof value === 'string' ? value : render(value);
  return JSON.parse(text);
}

function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as any)?.['Fn::Join'];
  if (Array.isArray(join)) return (join[1] as unknown[]).map(render).join(join[0]);
  return '{{token}}';
}

function assertionCalls(): AssertionCall[] {
  const calls: AssertionCall[] = [];
  for (const dir of fs.readdirSync(INTEG).filter((d) => d.endsWith('.snapshot')).sort()) {
    for (const file of fs.readdirSync(path.join(INTEG, dir)).filter((f) => f.endsWith('.template.json'))) {
      const template = JSON.parse(fs.readFileSync(path.join(INTEG, dir, file), 'utf8'));
      for (const [id, resource] of Object.entries<any>(template.Resources ?? {})) {
        if (!String(resource.Type).startsWith('Custom::DeployAssert@SdkCall')) continue;
        const p = resource.Properties;
        const params: { [key: string]: unknown } = {};
        for (const [k, v] of Object.entries(p.parameters ?? {})) params[k] = decode(v);
        calls.push({ where: `${dir}/${id}`, service: p.service, api: p.api, params, outputPaths: p.outputPaths ?? [] });
      }
    }
  }
  return calls;
}

/** `services.0.runningCount` (the assertion provider's flattened path) as a JSONPath. */
function jsonPath(flat: string): string {
  return '$' + flat.split('.').map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`)).join('');
}

/**
 * Members whose text the assertion provider parses as JSON before it reads a path inside them
 * (an SQS message Body, a Lambda Payload): the path is checked up to the member.
 */
const PARSED = ['Body', 'Payload'];

/**
 * The type the SDK for JavaScript v3 declares for a top-level request member (`number`,
 * `string`...), read from the client's declarations; undefined when the client is not installed.
 */
function v3MemberType(pkg: string, operation: string, member: string): string | undefined {
  let dir: string;
  try {
    dir = path.join(path.dirname(require.resolve(`@aws-sdk/client-${pkg}/package.json`)), 'dist-types', 'models');
  } catch {
    return undefined;
  }
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.d.ts'))) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    const start = text.indexOf(`export interface ${operation}Request {`);
    if (start < 0) continue;
    const body = text.slice(start, text.indexOf('\n}', start));
    return new RegExp(`\\n\\s*${member}\\??: ([A-Za-z]+)`).exec(body)?.[1];
  }
  return undefined;
}

/**
 * The assertion provider calls the SDK for JavaScript v3 and coerces parameters to its types;
 * where the older JSON model of aws-sdk v2 says string and v3 says number (Route 53 `MaxItems`,
 * `PageMaxItems`), v3 is what the call meets.
 */
const V3_PACKAGES: { [service: string]: string } = { route53: 'route-53' };
function acceptedByV3(call: AssertionCall, problem: string): boolean {
  const m = /^[^:]+: (\w+)\.(\w+): a string member \(\w+\) gets -?\d/.exec(problem);
  const pkg = V3_PACKAGES[call.service.toLowerCase()];
  return m !== null && pkg !== undefined && v3MemberType(pkg, m[1], m[2]) === 'number';
}

const calls = assertionCalls();

test('the integ tests make assertion calls', () => {
  expect(calls.length).toBeGreaterThanOrEqual(30);
  expect(new Set(calls.map((c) => c.service)).size).toBeGreaterThanOrEqual(10);
});

test.each(calls.map((c) => [`${c.where} ${c.service}.${c.api}`, c] as const))('%s matches the API model', (_name, call) => {
  const problems = checkCall({ kind: 'api', service: call.service, action: call.api, params: call.params, where: call.where })
    .filter((problem) => !acceptedByV3(call, problem));
  for (const flat of call.outputPaths) {
    const segments = flat.split('.');
    const cut = segments.findIndex((s) => PARSED.includes(s));
    const checked = cut >= 0 ? segments.slice(0, cut + 1).join('.') : flat;
    const problem = checkOutputPath('api', call.service, call.api, jsonPath(checked), call.where);
    if (problem) problems.push(problem);
  }
  expect(problems).toEqual([]);
});

test('a call that does not match is reported', () => {
  expect(checkCall({ kind: 'api', service: 'ServiceDiscovery', action: 'discoverInstances', params: { ServiceName: 'x' }, where: 'probe' }))
    .toEqual([expect.stringMatching(/required member NamespaceName is missing/)]);
  expect(checkOutputPath('api', 'ECS', 'describeServices', jsonPath('services.0.runningTasks'), 'probe')).toMatch(/runningTasks is not a member/);
  const route53 = { where: 'probe', service: 'Route53', api: 'listResourceRecordSets', params: {}, outputPaths: [] };
  expect(acceptedByV3(route53, 'probe: ListResourceRecordSets.MaxItems: a string member (PageMaxItems) gets 2')).toBe(true);
  expect(acceptedByV3(route53, 'probe: ListResourceRecordSets.StartRecordName: a string member (DNSName) gets 2')).toBe(false);
  expect(decode({ 'Fn::Join': ['', ['["', { Ref: 'X' }, '"]']] })).toEqual(['{{token}}']);
});
