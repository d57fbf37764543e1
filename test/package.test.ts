import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/**
 * What `npm publish` would put in the package: the compiled library, its jsii assembly and the
 * user documentation, nothing a contributor or the example leaves in the working tree
 * (`cdk.out`, tests, sources of the example, contributor docs).
 */
const ROOT = path.join(__dirname, '..');

let packed: string[] | undefined;
function packedFiles(): string[] {
  if (packed) return packed;
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  packed = (JSON.parse(out)[0].files as Array<{ path: string }>).map((f) => f.path).sort();
  return packed;
}

const ALLOWED = [
  /^lib\/.+\.(js|d\.ts)$/,
  /^\.jsii$/,
  /^\.jsii\.tabl\.json$/,
  /^(API|README)\.md$/,
  /^LICENSE$/,
  /^package\.json$/,
  // The handlers of our custom resources (src/environment/claims.ts, src/deployment/live-state.ts), plain JavaScript.
  /^assets\/providers\/(claims|canary-live-state|response)\.js$/,
  // The operator command `npx cdk-microservices rollout ...`: cli/ and the AWS SDK clients it
  // calls, bundled by esbuild into one file (no runtime dependency).
  /^lib-cli\/index\.js$/,
];

test('the package holds only the library, its assembly and the user docs', () => {
  const files = packedFiles();
  expect(files).toContain('lib/index.js');
  expect(files).toContain('.jsii');
  expect(files).toContain('lib-cli/index.js');
  for (const provider of ['claims', 'canary-live-state', 'response']) expect(files).toContain(`assets/providers/${provider}.js`);
  expect(files.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([]);
}, 60_000);

test('the package\'s bin is the operator command, a node script', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  expect(pkg.bin).toEqual({ 'cdk-microservices': 'lib-cli/index.js' });
  expect(fs.readFileSync(path.join(ROOT, 'lib-cli', 'index.js'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  expect(packedFiles()).not.toContain('cli/index.ts');
  // Nothing to install but the package: the command requires nothing outside Node.js.
  expect(pkg.dependencies ?? {}).toEqual({});
  expect(pkg.bundledDependencies ?? []).toEqual([]);
}, 60_000);
