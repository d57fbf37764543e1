/**
 * Team apps: the synth time of one team's app alone (what a team waits for when it changes
 * its service) against the whole reference store (every app: platform, users, workers), in one
 * run, with the resources and template bytes of each stack.
 *
 * A team app synthesizes from its cdk.context.json (the environment document); here that
 * context is computed once from the platform app's templates before the timing starts, as a
 * deployed platform would have given it. Each measurement builds fresh `App`s; the median of
 * REPEATS runs is printed, after one warm-up run of each.
 *
 * Run:
 *   cd /work/main && TS_NODE_TRANSPILE_ONLY=true npx ts-node --project bench/tsconfig.json bench/team-synth.ts
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildPlatformApp, buildStore, buildUsersApp, buildWorkersApp, teamContext } from '../examples/store/store';

const REPEATS = 5;
const ENV = { account: '111111111111', region: 'us-east-1' };
const CONTEXT = { 'aws:cdk:disable-creation-stack-traces': true };

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(what: () => unknown): number {
  what(); // warm-up: module loading and asset hashing caches
  const runs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const started = process.hrtime.bigint();
    what();
    runs.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return median(runs);
}

function main(): void {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'team-synth-'));
  const options = (name: string) => ({ env: ENV, context: CONTEXT, outdir: path.join(outdir, name) });
  const context = teamContext(buildPlatformApp(options('context')).app.synth(), ENV);

  const whole = time(() => {
    const store = buildStore(options('whole'));
    for (const a of store.apps.slice(1)) a.app.synth();
  });
  const platform = time(() => buildPlatformApp(options('platform')).app.synth());
  const users = time(() => buildUsersApp(context, options('users')).app.synth());
  const workers = time(() => buildWorkersApp(context, options('workers')).app.synth());

  const rows: string[][] = [['synthesized', 'median ms', 'of the whole store']];
  const measured = [['whole store (3 apps)', whole], ['platform app alone', platform], ['users app alone', users], ['workers app alone', workers]] as const;
  for (const [name, ms] of measured) {
    rows.push([name, ms.toFixed(0), `${((ms / whole) * 100).toFixed(0)}%`]);
  }
  const store = buildStore(options('sizes'));
  const stackRows: string[][] = [['app', 'stack', 'resources', 'template KB']];
  for (const a of store.apps) {
    for (const s of (a.name === 'platform' ? store.platformAssembly : a.app.synth()).stacks) {
      const resources = Object.keys(s.template.Resources ?? {}).length;
      stackRows.push([a.name, s.stackName, String(resources), (fs.statSync(s.templateFullPath).size / 1000).toFixed(1)]);
    }
  }
  const table = (r: string[][]) => {
    const widths = r[0].map((_, i) => Math.max(...r.map((row) => row[i].length)));
    return r.map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
  };
  process.stdout.write(`Team apps: synth time (median of ${REPEATS}, ${os.cpus().length} cores, Node ${process.version})\n${table(rows)}\n\n${table(stackRows)}\n`);
  fs.rmSync(outdir, { recursive: true, force: true });
}

main();
