/**
 * Synth scaling: N `TwelveFactorService`s behind one shared load balancer against N stock
 * `ApplicationLoadBalancedFargateService`s (each with its own ALB), for N = 1, 10, 30.
 *
 * For each N it prints the wall time per service (median of a few fresh `App` builds and
 * synths, validation on as normal), the marginal resources and template bytes per service,
 * and finally how many services fit in one stack under CloudFormation's limits.
 *
 * No AWS call is made: the stacks name a region but no account (no context lookups), and the
 * certificate is imported.
 *
 * Run:
 *   cd /work/main && TS_NODE_TRANSPILE_ONLY=true npx ts-node --project bench/tsconfig.json bench/synth-scaling.ts
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import {
  App,
  Stack,
  aws_certificatemanager as acm,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_ecs_patterns as ecs_patterns,
} from 'aws-cdk-lib';
import { version as cdkVersion } from 'aws-cdk-lib/package.json';
import { MicroserviceEnvironment, TwelveFactorService } from '../src';

/** Service counts measured. */
const COUNTS = [1, 10, 30];
/** Timed repetitions per measurement (the median is reported). */
const REPEATS: { [n: number]: number } = { 1: 15, 10: 9, 30: 5 };
/** CloudFormation: at most 500 resources per stack. */
const MAX_RESOURCES = 500;
/** CloudFormation: a template body uploaded through S3 may not exceed 1,000,000 bytes. */
const MAX_TEMPLATE_BYTES = 1_000_000;

const REGION = 'us-east-1';
const IMAGE = 'public.ecr.aws/nginx/nginx:stable';
const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:111111111111:certificate/00000000-0000-0000-0000-000000000000';

type Kind = 'ours' | 'stock';

interface Sample {
  /** Wall time from `new App()` to the end of `app.synth()`, in ms. */
  readonly ms: number;
  /** Resources in the template. */
  readonly resources: number;
  /** Bytes of the template file as written to the cloud assembly (what is uploaded). */
  readonly bytes: number;
  /** Resource count per CloudFormation type. */
  readonly types: { [type: string]: number };
  /** Whether CDK's 500-resource check had to be lifted for the stack to synthesize. */
  readonly overLimit: boolean;
}

/** CDK refuses a stack over 500 resources at synth unless this context says otherwise (0: no check). */
const STACK_RESOURCE_LIMIT_CONTEXT = '@aws-cdk/core:stackResourceLimit';

function isTooManyResources(e: unknown): boolean {
  return e instanceof Error && /TooManyResourcesInStack|greater than allowed maximum/.test(`${e.name} ${e.message}`);
}

/** Our library: one environment with the shared HTTPS load balancer, N services routed on it. */
function buildOurs(stack: Stack, n: number): void {
  const env = new MicroserviceEnvironment(stack, 'Env', {
    createLoadBalancer: true,
    certificate: acm.Certificate.fromCertificateArn(stack, 'Certificate', CERTIFICATE_ARN),
  });
  for (let i = 0; i < n; i++) {
    new TwelveFactorService(stack, `Svc${i}`, {
      environment: env,
      image: ecs.ContainerImage.fromRegistry(IMAGE),
      port: 8080,
      // Half routed by host name, half by path, all on the one listener.
      ...(i % 2 === 0 ? { hostName: `svc${i}.example.com` } : { pathPatterns: [`/svc${i}/*`] }),
    });
  }
}

/** The stock way: one VPC and cluster, each service with its own ALB (pattern defaults). */
function buildStock(stack: Stack, n: number): void {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  for (let i = 0; i < n; i++) {
    new ecs_patterns.ApplicationLoadBalancedFargateService(stack, `Svc${i}`, {
      cluster,
      taskImageOptions: { image: ecs.ContainerImage.fromRegistry(IMAGE), containerPort: 80 },
    });
  }
}

/**
 * Builds and synthesizes one fresh App with one stack, and measures it. With `liftLimit`
 * CDK's 500-resource check is switched off (only for a stack that is over it), every other
 * validation stays on.
 */
function synthOnce(kind: Kind, n: number, liftLimit = false): Sample {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-scaling-'));
  try {
    const start = process.hrtime.bigint();
    const app = new App({ outdir, context: liftLimit ? { [STACK_RESOURCE_LIMIT_CONTEXT]: 0 } : {} });
    // A region is needed: ELBv2 access logging (our shared load balancer) refuses an
    // environment-agnostic stack. No account, so nothing is looked up.
    const stack = new Stack(app, 'Bench', { env: { region: REGION } });
    if (kind === 'ours') buildOurs(stack, n);
    else buildStock(stack, n);
    const assembly = app.synth();
    const ms = Number(process.hrtime.bigint() - start) / 1e6;

    const artifact = assembly.getStackByName(stack.stackName);
    const resources = Object.values(artifact.template.Resources ?? {}) as Array<{ Type: string }>;
    const types: { [type: string]: number } = {};
    for (const r of resources) types[r.Type] = (types[r.Type] ?? 0) + 1;
    return { ms, resources: resources.length, bytes: fs.statSync(artifact.templateFullPath).size, types, overLimit: liftLimit };
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * A full heap collection, so that no run pays for the garbage of the one before. `gc` is
 * exposed at run time; under `node --expose-gc` it is there already.
 */
const collectGarbage: () => void = (() => {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Whether CDK refuses the stack for having over 500 resources (every other error is thrown). */
function overResourceLimit(kind: Kind, n: number): boolean {
  try {
    synthOnce(kind, n);
    return false;
  } catch (e) {
    if (!isTooManyResources(e)) throw e;
    return true;
  }
}

interface Measurement {
  /** N services, median time. */
  readonly ours: Sample;
  readonly stock: Sample;
  /** The shared part alone, timed in the same window (for the marginal time per service). */
  readonly oursShared: Sample;
  readonly stockShared: Sample;
}

/**
 * Measures both kinds at one N, and the shared part alone in the same window: the four runs
 * of a round alternate, so that load from elsewhere on the machine hits all alike. A full
 * collection precedes each timed run, so that no run pays for the garbage of the one
 * before. Keeps the median time of each (sizes do not vary between runs). A stack that CDK
 * refuses for having over 500 resources is measured with that one check lifted, and flagged.
 */
function measure(n: number): Measurement {
  const lift = { ours: overResourceLimit('ours', n), stock: overResourceLimit('stock', n) };
  const plan: Array<{ key: keyof Measurement; kind: Kind; count: number }> = [
    { key: 'oursShared', kind: 'ours', count: 0 },
    { key: 'ours', kind: 'ours', count: n },
    { key: 'stockShared', kind: 'stock', count: 0 },
    { key: 'stock', kind: 'stock', count: n },
  ];
  const runs: { [key: string]: Sample[] } = { ours: [], stock: [], oursShared: [], stockShared: [] };
  for (let r = 0; r < (REPEATS[n] ?? 3); r++) {
    for (const step of plan) {
      collectGarbage();
      runs[step.key].push(synthOnce(step.kind, step.count, step.count > 0 && lift[step.kind]));
    }
  }
  const pick = (key: keyof Measurement): Sample => ({ ...runs[key][0], ms: median(runs[key].map((x) => x.ms)) });
  return { ours: pick('ours'), stock: pick('stock'), oursShared: pick('oursShared'), stockShared: pick('stockShared') };
}

/** Synthesizes with every check on; says whether CDK accepted the stack. */
function trySynth(kind: Kind, n: number): { n: number; synthesizes: boolean; resources: number; kb: number } {
  const refused = overResourceLimit(kind, n);
  const s = synthOnce(kind, n, true);
  return { n, synthesizes: !refused, resources: s.resources, kb: round(s.bytes / 1024, 1) };
}

interface Row {
  readonly n: number;
  readonly oursMs: number;
  readonly stockMs: number;
  readonly oursMsPerService: number;
  readonly stockMsPerService: number;
  readonly ratio: number;
  readonly oursMarginalMsPerService: number;
  readonly stockMarginalMsPerService: number;
  readonly oursResourcesPerService: number;
  readonly stockResourcesPerService: number;
  readonly oursKbPerService: number;
  readonly stockKbPerService: number;
  /** Stacks CDK refuses at this N for having over 500 resources (measured with that check lifted). */
  readonly overLimit: Kind[];
}

interface Fit {
  readonly maxServices: number;
  readonly byResources: number;
  readonly byTemplateSize: number;
  readonly binding: 'resources (500)' | 'template size (1 MB)';
}

/** The largest N under both limits, from the shared part and the per-service increments. */
function fit(shared: Sample, resourcesPerService: number, bytesPerService: number): Fit {
  const byResources = Math.floor((MAX_RESOURCES - shared.resources) / resourcesPerService);
  const byTemplateSize = Math.floor((MAX_TEMPLATE_BYTES - shared.bytes) / bytesPerService);
  return {
    maxServices: Math.min(byResources, byTemplateSize),
    byResources,
    byTemplateSize,
    binding: byResources <= byTemplateSize ? 'resources (500)' : 'template size (1 MB)',
  };
}

/** The resource types one service adds, as `Type x count` (from N = 1 minus the shared part). */
function perServiceTypes(shared: Sample, one: Sample): string[] {
  const out: string[] = [];
  for (const [type, count] of Object.entries(one.types)) {
    const added = count - (shared.types[type] ?? 0);
    if (added !== 0) out.push(`${type} x${added}`);
  }
  return out.sort();
}

const round = (x: number, digits: number): number => Number(x.toFixed(digits));
const pad = (s: string | number, w: number): string => String(s).padStart(w);

function main(): void {
  const began = process.hrtime.bigint();
  const loadBefore = os.loadavg()[0];

  // Warm up: load every module and JIT the hot paths once, untimed.
  synthOnce('ours', 10);
  synthOnce('stock', 10);

  const measurements: { [n: number]: Measurement } = {};
  for (const n of COUNTS) measurements[n] = measure(n);
  const samples = {
    ours: Object.fromEntries(COUNTS.map((n) => [n, measurements[n].ours])) as { [n: number]: Sample },
    stock: Object.fromEntries(COUNTS.map((n) => [n, measurements[n].stock])) as { [n: number]: Sample },
  };
  // The shared part: sizes are the same in every window; its time is the median over all.
  const pooled = (key: 'oursShared' | 'stockShared'): Sample =>
    ({ ...measurements[COUNTS[0]][key], ms: median(COUNTS.map((n) => measurements[n][key].ms)) });
  const sharedOurs = pooled('oursShared');
  const sharedStock = pooled('stockShared');

  const rows: Row[] = COUNTS.map((n) => {
    const o = samples.ours[n];
    const s = samples.stock[n];
    return {
      n,
      oursMs: round(o.ms, 1),
      stockMs: round(s.ms, 1),
      oursMsPerService: round(o.ms / n, 1),
      stockMsPerService: round(s.ms / n, 1),
      ratio: round(o.ms / s.ms, 2),
      oursMarginalMsPerService: round((o.ms - measurements[n].oursShared.ms) / n, 1),
      stockMarginalMsPerService: round((s.ms - measurements[n].stockShared.ms) / n, 1),
      oursResourcesPerService: round((o.resources - sharedOurs.resources) / n, 2),
      stockResourcesPerService: round((s.resources - sharedStock.resources) / n, 2),
      oursKbPerService: round((o.bytes - sharedOurs.bytes) / n / 1024, 2),
      stockKbPerService: round((s.bytes - sharedStock.bytes) / n / 1024, 2),
      overLimit: (['ours', 'stock'] as Kind[]).filter((k) => samples[k][n].overLimit),
    };
  });

  // Limits from the largest N measured (per-service increments are constant, but the
  // largest N averages out any one-off shared growth best).
  const big = COUNTS[COUNTS.length - 1];
  const perService = (kind: Kind, shared: Sample) => ({
    resources: (samples[kind][big].resources - shared.resources) / big,
    bytes: (samples[kind][big].bytes - shared.bytes) / big,
  });
  const oursPer = perService('ours', sharedOurs);
  const stockPer = perService('stock', sharedStock);
  const oursFit = fit(sharedOurs, oursPer.resources, oursPer.bytes);
  const stockFit = fit(sharedStock, stockPer.resources, stockPer.bytes);

  // Check the prediction: synthesize the largest N that fits and one more, all checks on.
  const check = (kind: Kind, max: number) => ({ at: trySynth(kind, max), over: trySynth(kind, max + 1) });
  const oursCheck = check('ours', oursFit.maxServices);
  const stockCheck = check('stock', stockFit.maxServices);

  const lines: string[] = [];
  lines.push('Synth scaling: TwelveFactorService (shared ALB, HTTPS) vs stock ApplicationLoadBalancedFargateService (own ALB each)');
  lines.push(`node ${process.version}, aws-cdk-lib ${cdkVersion}, ${os.cpus().length} cores; `
    + 'time = new App() .. app.synth() (construct + validate + write), median of '
    + `${COUNTS.map((n) => REPEATS[n] ?? 3).join('/')} runs (ours, stock and their shared parts alternating, full GC before each) after one warm-up`);
  lines.push('');
  lines.push(`Shared part   ours (environment alone): ${sharedOurs.resources} resources, ${round(sharedOurs.bytes / 1024, 1)} KB, ${round(sharedOurs.ms, 1)} ms`);
  lines.push(`              stock (VPC + cluster):    ${sharedStock.resources} resources, ${round(sharedStock.bytes / 1024, 1)} KB, ${round(sharedStock.ms, 1)} ms`);
  lines.push('');
  const header = ['N', 'ours ms', 'stock ms', 'ours ms/svc', 'stock ms/svc', 'ratio', 'ours marg ms/svc', 'stock marg ms/svc',
    'ours res/svc', 'stock res/svc', 'ours KB/svc', 'stock KB/svc'];
  const widths = header.map((h) => Math.max(h.length, 7));
  lines.push(header.map((h, i) => pad(h, widths[i])).join('  '));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) {
    const cells = [r.n, r.oursMs.toFixed(1), r.stockMs.toFixed(1), r.oursMsPerService.toFixed(1), r.stockMsPerService.toFixed(1),
      r.ratio.toFixed(2), r.oursMarginalMsPerService.toFixed(1), r.stockMarginalMsPerService.toFixed(1),
      r.oursResourcesPerService.toFixed(2), r.stockResourcesPerService.toFixed(2), r.oursKbPerService.toFixed(2), r.stockKbPerService.toFixed(2)];
    const flag = r.overLimit.length > 0 ? `  * ${r.overLimit.join(', ')} over 500 resources` : '';
    lines.push(cells.map((c, i) => pad(c, widths[i])).join('  ') + flag);
  }
  lines.push('(ratio = ours ms / stock ms at the same N; res/svc and KB/svc are marginal: (value(N) - shared) / N;');
  lines.push(' marg ms/svc likewise subtracts the time of the shared part alone, timed in the same rounds;');
  lines.push(' KB = 1024 bytes of the template file as written, what the CLI uploads;');
  lines.push(' * = CDK refuses that stack at synth (TooManyResourcesInStack): it was measured with only that check lifted)');
  lines.push('');
  lines.push(`Resources one service adds, ours:  ${perServiceTypes(sharedOurs, samples.ours[1]).join(', ')}`);
  lines.push(`Resources one service adds, stock: ${perServiceTypes(sharedStock, samples.stock[1]).join(', ')}`);
  lines.push('');
  lines.push(`Largest N in one stack (limits: ${MAX_RESOURCES} resources, ${MAX_TEMPLATE_BYTES} bytes of template via S3):`);
  for (const [name, f, c] of [['ours ', oursFit, oursCheck], ['stock', stockFit, stockCheck]] as const) {
    lines.push(`  ${name}: ${f.maxServices} services, bound by ${f.binding} (resources allow ${f.byResources}, size allows ${f.byTemplateSize}); `
      + `checked: ${[c.at, c.over].map((t) => `N=${t.n} has ${t.resources} resources / ${t.kb} KB and ${t.synthesizes ? 'synthesizes' : 'is refused by CDK'}`).join('; ')}`);
  }
  lines.push('');
  const loadAfter = os.loadavg()[0];
  lines.push(`Total run time ${round(Number(process.hrtime.bigint() - began) / 1e9, 1)} s; 1-minute load average ${loadBefore.toFixed(2)} before, `
    + `${loadAfter.toFixed(2)} after (times are only comparable at a load well under ${os.cpus().length})`);
  console.log(lines.join('\n'));

  const json = {
    benchmark: 'synth-scaling',
    node: process.version,
    awsCdkLib: cdkVersion,
    cores: os.cpus().length,
    loadAverage: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
    shared: {
      ours: { resources: sharedOurs.resources, kb: round(sharedOurs.bytes / 1024, 2), ms: round(sharedOurs.ms, 1) },
      stock: { resources: sharedStock.resources, kb: round(sharedStock.bytes / 1024, 2), ms: round(sharedStock.ms, 1) },
    },
    rows,
    maxServicesPerStack: {
      ours: { ...oursFit, check: oursCheck },
      stock: { ...stockFit, check: stockCheck },
    },
  };
  console.log(JSON.stringify(json));
}

main();
