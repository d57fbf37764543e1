/**
 * Compliance gates of the reference app: cdk-nag packs, the AWS Control Tower proactive controls
 * (cfn-guard) and the offline CloudFormation template validator, run over one synthesized app.
 *
 * Research notes (measured with aws-cdk-lib 2.257.0, cdk-nag 3.0.2, cdk-validator-cfnguard 0.0.62
 * bundling cfn-guard 3.1.1, @aws/cloudformation-validate 1.9.0-beta):
 *
 * (a) cdk-nag 3.0.2 acknowledgements (node_modules/cdk-nag/lib/nag-pack.js `isAcknowledged`,
 *     cdk-nag/README.md, cdk-nag/MIGRATION.md, aws-cdk-lib/core/lib/validation/validations.{d.ts,js}).
 *     - cdk-nag 3 does NOT read the CloudFormation resource metadata
 *       `cdk_nag: { rules_to_suppress: [{ id, reason }] }` (the v2 convention): tested, the finding
 *       stays. It only *writes* that block, as an audit trail, with `writeSuppressionsToCloudFormation`.
 *     - It reads construct-tree metadata of type `Validations.ACKNOWLEDGED_RULES_METADATA_KEY`
 *       ('aws:cdk:acknowledged-rules'), data `{ [ruleId]: reason }`, on the resource or any ancestor
 *       construct (so an acknowledgement on an L2 or a stack covers everything below it); a leading
 *       'annotation::' on the key is ignored. A library needs only aws-cdk-lib:
 *         Validations.of(construct).acknowledge({ id: 'AwsSolutions-S1', reason: '...' });
 *       Granular findings are acknowledged one by one as `RuleId[FindingId]`, e.g.
 *         Validations.of(role).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: '...' });
 *       (v2's `appliesTo`); a bare 'AwsSolutions-IAM5' does not cover them (no prefix matching).
 *       `acknowledge()` throws InvalidValidationId when the id holds '::' more than once (e.g.
 *       'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::b/*]'); write the metadata directly:
 *         construct.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, { [id]: reason });
 *       The acknowledgement lands in the assembly's <stack>.metadata.json, not in the template.
 *     - cdk-nag drops acknowledged findings silently; this runner counts them by wrapping the pack's
 *       private `isAcknowledged`.
 *     - The packs are run with `pack.validateScope(app)`: on 2.257 `Validations.of(app).addPlugins(pack)`
 *       fails (no `appConstruct` on the validation context).
 *
 * (b) cfn-guard 3.1.1 with the bundled Control Tower rules does NOT honour a resource's
 *     `Metadata: { guard: { SuppressedRules: [...] } }`: tested on an SQS queue without a DLQ with
 *     'sqs_dlq_check', 'SQS_DLQ_CHECK', 'CT.SQS.PR.1' and 'ct-sqs-pr-1': the finding stays. That
 *     convention is implemented inside rules (the Guard rules registry filters on it); none of the
 *     474 files under cdk-validator-cfnguard/rules/control-tower/ mention SuppressedRules and the
 *     binary has no such string. Names: the guard rule name (e.g. 'sqs_dlq_check', the `ruleName`
 *     of CfnGuardValidator violations), the control id in its message ('[CT.SQS.PR.1]: ...') and
 *     the file name ('ct-sqs-pr-1', the only name `disabledRules` accepts: global, per file).
 *     This runner itself honours `Metadata.guard.SuppressedRules` holding the rule name (any case)
 *     or the control id, and counts such findings as acknowledged: a convention of this gate only,
 *     users running CfnGuardValidator still see those findings.
 *     Aside: aws-cdk-lib 2.257 filters plugin violations acknowledged as '<plugin>::<rule>' (e.g.
 *     'cdk-validator-cfnguard::sqs_dlq_check') APP-WIDE (core/lib/private/synthesis.js,
 *     collect-acknowledged-rule-ids.js): one acknowledgement on one queue hid the rule for every queue.
 *
 * (c) The template validator (node_modules/@aws/cloudformation-validate/{README.md,index.d.ts}) has no
 *     in-template suppression: cfn-lint's `Metadata: { 'cfn-lint': { config: { ignore_checks } } }`,
 *     on the resource or the template, is ignored (tested). Only the caller can filter, with
 *     `ValidateConfig.exclude` (ids, idPatterns, resourceIds [{ ruleId?, resourceId }], logicalIds,
 *     resourceTypes, services) and `severityLevel`; `report.metadata.suppressed` counts what was
 *     dropped. API in 1.9.0-beta: `new CelEngine()` / `new RegoEngine()` (no CompositeEngine),
 *     `engine.validateStandard(new TemplateFile(path), config)`, severities FATAL ERROR WARN INFO DEBUG.
 */
import { execFile } from 'child_process';
import * as os from 'os';
import * as path from 'path';
import { CelEngine, TemplateFile } from '@aws/cloudformation-validate';
import type { StandardDiagnostic } from '@aws/cloudformation-validate';
import * as cdk from 'aws-cdk-lib';
import * as cxschema from 'aws-cdk-lib/cloud-assembly-schema';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks } from 'cdk-nag';
import { TwelveFactorChecks } from '../../src';

/** One finding of one gate. */
export interface Finding {
  readonly gate: string;
  /** Rule id: cdk-nag rule (with `[finding]`), `CT.x.PR.n (guard_rule_name)`, or validator rule id. */
  readonly rule: string;
  /** Construct path of the resource (from the assembly's logical-id metadata), else `<stack>/<logicalId>`. */
  readonly resource: string;
  readonly message: string;
}

/** The result of one gate. Only `findings` fail the gate; `warnings` are reported only. */
export interface GateReport {
  readonly gate: string;
  readonly findings: Finding[];
  readonly warnings: Finding[];
  /** Findings suppressed by an acknowledgement (see the notes at the top of this file). */
  readonly acknowledged: number;
}

/** Run every gate over a synthesized app (call after `app.synth()`; pass its assembly or outdir). */
export async function runGates(app: cdk.App, assembly: cxapi.CloudAssembly | string): Promise<GateReport[]> {
  const asm = typeof assembly === 'string' ? new cxapi.CloudAssembly(assembly) : assembly;
  const stacks = asm.stacksRecursively.map(stackInfo);
  const guard = guardGate(stacks); // child processes: run the in-process gates meanwhile
  const nag = [new AwsSolutionsChecks(), new NIST80053R5Checks(), new HIPAASecurityChecks()].map((pack) => nagGate(pack, app));
  const validator = validatorGate(stacks);
  return [...nag, await guard, validator];
}

/**
 * The TwelveFactorChecks gate: what the aspect found when the app synthesized (apply it to the
 * app before synthesis). Errors and warnings both count as findings; acknowledged ones (with
 * `TwelveFactorChecks.acknowledge(scope, ruleId, reason)`) are counted apart.
 */
export function twelveFactorGate(checks: TwelveFactorChecks): GateReport {
  const gate = 'TwelveFactorChecks';
  const findings = checks.findings.filter((f) => !f.acknowledged).map((f) => ({
    gate, rule: f.ruleId, resource: f.path, message: `${f.severity.toLowerCase()}: ${f.message}`,
  }));
  return { gate, findings, warnings: [], acknowledged: checks.findings.filter((f) => f.acknowledged).length };
}

/** True when no gate has a finding (warnings do not count). */
export function gatesPassed(reports: GateReport[]): boolean {
  return reports.every((r) => r.findings.length === 0);
}

/** A table (gate, findings, warnings, acknowledged) and one line per finding and warning. */
export function formatGateReports(reports: GateReport[]): string {
  const width = Math.max(4, ...reports.map((r) => r.gate.length));
  const lines = [
    `${'gate'.padEnd(width)}  findings  warnings  acknowledged  result`,
    ...reports.map((r) => [
      r.gate.padEnd(width),
      String(r.findings.length).padStart(8),
      String(r.warnings.length).padStart(8),
      String(r.acknowledged).padStart(12),
      r.findings.length === 0 ? 'pass' : 'FAIL',
    ].join('  ')),
  ];
  for (const r of reports) {
    lines.push(...r.findings.map((f) => `ERROR ${f.gate} | ${f.rule} | ${f.resource} | ${f.message}`));
    lines.push(...r.warnings.map((f) => `WARN  ${f.gate} | ${f.rule} | ${f.resource} | ${f.message} (warning: does not fail)`));
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// cdk-nag

function nagGate(pack: NagPack, app: cdk.App): GateReport {
  const gate = `cdk-nag ${pack.readPackName}`;
  // cdk-nag 3.0.2 drops acknowledged findings without a trace: count them at the private check.
  let acknowledged = 0;
  const hook = pack as unknown as { isAcknowledged?: (node: cdk.CfnResource, ruleId: string) => boolean };
  const original = hook.isAcknowledged;
  if (original) {
    hook.isAcknowledged = (node, ruleId) => {
      const ack = original.call(pack, node, ruleId);
      if (ack) acknowledged++;
      return ack;
    };
  }
  const findings: Finding[] = [];
  const warnings: Finding[] = [];
  for (const v of pack.validateScope(app).violations) {
    for (const r of v.violatingResources) {
      const finding = { gate, rule: v.ruleName, resource: r.constructPath ?? r.resourceLogicalId ?? '', message: v.description };
      (v.severity === 'error' ? findings : warnings).push(finding);
    }
  }
  return { gate, findings: sorted(findings), warnings: sorted(warnings), acknowledged };
}

// ---------------------------------------------------------------------------------------------
// cfn-guard with the AWS Control Tower proactive controls

const GUARD_PACKAGE = path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));

function guardBinary(): string {
  const platform = ({ linux: 'ubuntu', darwin: 'macos' } as Record<string, string>)[os.platform()];
  const arch = ({ x64: 'x86_64', arm64: 'aarch64' } as Record<string, string>)[os.arch()];
  if (!platform || !arch) throw new Error(`cfn-guard is not bundled for ${os.platform()}/${os.arch()}`);
  return path.join(GUARD_PACKAGE, 'bin', platform, arch, 'cfn-guard');
}

async function guardGate(stacks: StackInfo[]): Promise<GateReport> {
  const gate = 'cfn-guard Control Tower';
  const rules = path.join(GUARD_PACKAGE, 'rules', 'control-tower', 'cfn-guard');
  // About 0.5 s a template in one process: split the templates over the cores.
  const chunks = chunk(stacks, Math.max(1, Math.min(os.cpus().length, 4)));
  const outputs = await Promise.all(chunks.map((group) => runGuard([
    'validate', '--rules', rules, ...group.flatMap((s) => ['--data', s.templatePath]),
    '--output-format', 'json', '--show-summary', 'none', '--structured',
  ])));
  const byPath = new Map(stacks.map((s) => [s.templatePath, s]));
  const seen = new Set<string>();
  const findings: Finding[] = [];
  let acknowledged = 0;
  for (const file of outputs.flatMap((o) => asArray(JSON.parse(o || '[]')))) {
    const stack = byPath.get(String(field(file, 'name')));
    if (!stack) throw new Error(`cfn-guard reported an unknown data file: ${String(field(file, 'name'))}`);
    for (const entry of asArray(field(file, 'not_compliant'))) {
      const rule = field(entry, 'Rule') ?? entry;
      const ruleName = String(field(rule, 'name'));
      const { control, message } = guardMessage(rule);
      for (const logicalId of guardResources(rule)) {
        const key = `${stack.templatePath}|${ruleName}|${logicalId}`;
        if (seen.has(key)) continue;
        seen.add(key);
        const suppressed = stack.suppressedGuardRules(logicalId);
        if (suppressed.has(ruleName.toLowerCase()) || (control && suppressed.has(control.toLowerCase()))) {
          acknowledged++;
          continue;
        }
        findings.push({
          gate,
          rule: control ? `${control} (${ruleName})` : ruleName,
          resource: stack.resourcePath(logicalId),
          message: message ?? 'not compliant',
        });
      }
    }
  }
  return { gate, findings: sorted(findings), warnings: [], acknowledged };
}

function runGuard(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(guardBinary(), args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      // cfn-guard exits 19 (or 5) when a rule fails; anything else non-zero is a tool failure.
      const code = error ? (error as { code?: unknown }).code : 0;
      if (code === 0 || code === 5 || code === 19) resolve(stdout);
      else reject(new Error(`cfn-guard failed (${String(code)}): ${stderr || error?.message}`));
    });
  });
}

/** The control id and description from the rule's custom message `[CT.SQS.PR.1]: ... [FIX]: ...`. */
function guardMessage(rule: unknown): { control?: string; message?: string } {
  for (const text of collect(rule, 'custom_message')) {
    const match = /\[(CT\.[A-Z0-9.]+)\]:\s*(.+)/.exec(text);
    if (match) return { control: match[1], message: match[2].trim() };
  }
  return {};
}

/** Logical ids of the resources a failed guard rule traversed to (`/Resources/<id>/...`). */
function guardResources(rule: unknown): string[] {
  const ids = collect(rule, 'path').map((p) => /^\/Resources\/([^/[]+)/.exec(p)?.[1]).filter((id): id is string => !!id);
  return [...new Set(ids)];
}

// ---------------------------------------------------------------------------------------------
// CloudFormation template validator

/**
 * Known false positives of @aws/cloudformation-validate 1.9.0-beta, each checked against the
 * template before it is set aside (counted as acknowledged, never silently dropped).
 */
const FALSE_POSITIVES: Array<{ rule: string; reason: string; applies: (resource: { Properties?: { [k: string]: unknown } }) => boolean }> = [
  {
    // Measured here: a listener with `Certificates: [{ CertificateArn: { Ref: Cert } }]` gets
    // E3676, the same listener with a literal ARN does not; cfn-lint accepts both.
    rule: 'E3676',
    reason: 'HTTPS listener whose Certificates hold an intrinsic (Ref) rather than a literal ARN',
    applies: (r) => Array.isArray(r.Properties?.Certificates) && (r.Properties!.Certificates as unknown[]).length > 0,
  },
];

function validatorGate(stacks: StackInfo[]): GateReport {
  const gate = 'cloudformation-validate';
  const findings: Finding[] = [];
  const warnings: Finding[] = [];
  let acknowledged = 0;
  const engine = new CelEngine();
  try {
    for (const stack of stacks) {
      const report = engine.validateStandard(new TemplateFile(stack.templatePath), {
        severityLevel: 'WARN',
        pseudoParameterOverrides: stack.region === cxapi.UNKNOWN_REGION ? undefined : { region: stack.region },
      });
      if (report.status !== 'OK') {
        const finding = { gate, rule: report.status, resource: stack.name, message: `validator status ${report.status}` };
        (report.status === 'ERROR' ? findings : warnings).push(finding);
      }
      for (const d of report.diagnostics) {
        const resource = d.entity?.logicalId ? stack.resource(d.entity.logicalId) : undefined;
        if (resource && FALSE_POSITIVES.some((fp) => fp.rule === d.ruleId && fp.applies(resource))) {
          acknowledged++;
          continue;
        }
        const finding = { gate, rule: d.ruleId, resource: diagnosticResource(stack, d), message: diagnosticMessage(d) };
        (d.severity === 'FATAL' || d.severity === 'ERROR' ? findings : warnings).push(finding);
      }
    }
  } finally {
    engine.free();
  }
  return { gate, findings: sorted(findings), warnings: sorted(warnings), acknowledged };
}

function diagnosticResource(stack: StackInfo, d: StandardDiagnostic): string {
  if (!d.entity) return stack.name;
  return d.entity.entityType === 'Resource'
    ? stack.resourcePath(d.entity.logicalId)
    : `${stack.name}/${d.entity.entityType}/${d.entity.logicalId}`;
}

function diagnosticMessage(d: StandardDiagnostic): string {
  return d.propertyPath ? `${d.message} (at ${d.propertyPath})` : d.message;
}

// ---------------------------------------------------------------------------------------------
// Helpers

interface StackInfo {
  readonly name: string;
  readonly region: string;
  readonly templatePath: string;
  /** The template's resource of a logical id. */
  resource(logicalId: string): { Properties?: { [k: string]: unknown } } | undefined;
  resourcePath(logicalId: string): string;
  suppressedGuardRules(logicalId: string): Set<string>;
}

function stackInfo(artifact: cxapi.CloudFormationStackArtifact): StackInfo {
  const resources = field(artifact.template as unknown, 'Resources');
  const metadata = (id: string): unknown => field(field(resources, id), 'Metadata');
  // The assembly maps construct paths to logical ids even when the template has no aws:cdk:path.
  const paths = new Map(artifact.findMetadataByType(cxschema.ArtifactMetadataEntryType.LOGICAL_ID)
    .map((e) => [String(e.data), e.path.replace(/^\//, '')]));
  return {
    name: artifact.hierarchicalId,
    region: artifact.environment.region,
    templatePath: artifact.templateFullPath,
    resource: (id) => field(resources, id) as { Properties?: { [k: string]: unknown } } | undefined,
    resourcePath: (id) => paths.get(id) ?? `${artifact.hierarchicalId}/${id}`,
    suppressedGuardRules: (id) => new Set(
      asArray(field(field(metadata(id), 'guard'), 'SuppressedRules')).map((r) => String(r).toLowerCase()),
    ),
  };
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key] : undefined;
}

function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return value !== null && typeof value === 'object' ? Object.values(value) : [];
}

/** Every string value stored under `key` anywhere inside `value`. */
function collect(value: unknown, key: string, out: string[] = []): string[] {
  if (value === null || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value)) {
    if (k === key && typeof v === 'string') out.push(v);
    else collect(v, key, out);
  }
  return out;
}

function chunk<T>(items: T[], count: number): T[][] {
  const groups: T[][] = Array.from({ length: Math.min(count, items.length) }, () => []);
  items.forEach((item, i) => groups[i % groups.length].push(item));
  return groups;
}

function sorted(findings: Finding[]): Finding[] {
  const key = (f: Finding) => [f.gate, f.rule, f.resource, f.message];
  return [...findings].sort((a, b) => {
    const [ka, kb] = [key(a), key(b)];
    for (let i = 0; i < ka.length; i++) {
      if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
    }
    return 0;
  });
}
