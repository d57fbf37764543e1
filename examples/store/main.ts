/**
 * The main job (`npx projen example`): synthesize the reference store app, run its
 * compliance gates and print what a platform engineer wants to know before deploying.
 * Exits non-zero when a gate fails.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Aspects } from 'aws-cdk-lib';
import { BillingStack, StoreStack } from './app';
import { formatGateReports, gatesPassed, runGates, twelveFactorGate } from './gates';
import { summarize } from './summary';
import { TwelveFactorChecks } from '../../src';

async function main(): Promise<number> {
  const outdir = path.join(__dirname, '..', '..', 'cdk.out', 'store');
  fs.rmSync(outdir, { recursive: true, force: true });
  const app = new App({
    outdir,
    context: {
      'aws:cdk:disable-creation-stack-traces': true,
      '@aws-cdk/core:failSynthOnValidationErrors': true,
    },
  });
  const env = {
    account: process.env.CDK_DEFAULT_ACCOUNT ?? '111111111111',
    region: process.env.CDK_DEFAULT_REGION ?? 'us-east-1',
  };
  const billing = new BillingStack(app, 'Billing', { env, consumerAccount: env.account });
  new StoreStack(app, 'Store', { env, billing: billing.link });
  // Synth-time twelve-factor checks of every task definition in the app (ours or not).
  const checks = new TwelveFactorChecks();
  Aspects.of(app).add(checks);

  const started = Date.now();
  const assembly = app.synth();
  const synthMs = Date.now() - started;
  const reports = [...await runGates(app, assembly), twelveFactorGate(checks)];
  const passed = gatesPassed(reports);

  process.stdout.write(`${summarize(app, assembly)}\n`);
  process.stdout.write(`Synthesized in ${synthMs} ms into ${path.relative(process.cwd(), outdir)}\n\n`);
  process.stdout.write(`Compliance gates\n${formatGateReports(reports)}\n`);
  process.stdout.write(passed ? '\nAll gates passed.\n' : '\nA gate failed: fix the findings above, or acknowledge each with a reason.\n');
  return passed ? 0 : 1;
}

main().then((code) => {
  process.exitCode = code;
}).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
