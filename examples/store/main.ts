/**
 * The main job (`npx projen example`): synthesize the reference store (the platform app, then
 * the users and workers teams' apps from the context the platform's deployment would give
 * them), run the compliance gates on every app and print what a platform engineer wants to
 * know before deploying. Exits non-zero when a gate fails.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeDiagram } from './diagram';
import { formatGateReports, GateReport, gatesPassed, runGates, twelveFactorGate } from './gates';
import { buildStore } from './store';
import { summarize, SynthesizedApp } from './summary';
import { TwelveFactorChecks } from '../../src';

async function main(): Promise<number> {
  const outdir = path.join(__dirname, '..', '..', 'cdk.out', 'store');
  fs.rmSync(outdir, { recursive: true, force: true });
  // Synth-time twelve-factor checks of every task definition of every app (ours or not).
  const checks = new TwelveFactorChecks();
  const started = Date.now();
  const store = buildStore({
    outdir,
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT ?? '111111111111',
      region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1',
    },
    context: {
      'aws:cdk:disable-creation-stack-traces': true,
      '@aws-cdk/core:failSynthOnValidationErrors': true,
    },
    checks,
  });
  const synthesized: SynthesizedApp[] = store.apps.map((a) => ({
    ...a,
    assembly: a.name === 'platform' ? store.platformAssembly : a.app.synth(),
  }));
  const synthMs = Date.now() - started;

  const gateLines: string[] = [];
  let passed = true;
  for (const a of synthesized) {
    const reports: GateReport[] = await runGates(a.app, a.assembly);
    passed = passed && gatesPassed(reports);
    gateLines.push(`${a.name} app`, formatGateReports(reports), '');
  }
  const twelveFactor = twelveFactorGate(checks);
  passed = passed && gatesPassed([twelveFactor]);
  gateLines.push('every app', formatGateReports([twelveFactor]));

  // The picture of the store in the README, drawn from what was just synthesized (CI fails
  // when the build changes the committed file: commit what this writes).
  const diagramFile = path.join(__dirname, '..', '..', 'docs', 'diagram', 'store.svg');
  const diagram = await writeDiagram(store.apps, diagramFile);

  process.stdout.write(`${summarize(synthesized)}\n`);
  process.stdout.write(`Diagram: ${path.relative(process.cwd(), diagramFile)}, ${diagram.graph.nodes.length} boxes and ${diagram.graph.edges.length} arrows (${diagram.changed ? 'updated: commit it' : 'unchanged'})\n`);
  process.stdout.write(`Synthesized ${synthesized.length} apps in ${synthMs} ms into ${path.relative(process.cwd(), outdir)}/{${synthesized.map((a) => a.name).join(',')}}\n\n`);
  process.stdout.write(`Compliance gates\n${gateLines.join('\n')}\n`);
  process.stdout.write(passed ? '\nAll gates passed.\n' : '\nA gate failed: fix the findings above, or acknowledge each with a reason.\n');
  return passed ? 0 : 1;
}

main().then((code) => {
  process.exitCode = code;
}).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
