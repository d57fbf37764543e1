import { execFileSync } from 'child_process';
import * as path from 'path';

/**
 * What `npm publish` would put in the package: the compiled library, its jsii assembly and the
 * user documentation, nothing a contributor or the example leaves in the working tree
 * (`cdk.out`, tests, sources of the example, contributor docs).
 */
const ROOT = path.join(__dirname, '..');

function packedFiles(): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return (JSON.parse(out)[0].files as Array<{ path: string }>).map((f) => f.path).sort();
}

const ALLOWED = [
  /^lib\/.+\.(js|d\.ts)$/,
  /^\.jsii$/,
  /^\.jsii\.tabl\.json$/,
  /^(API|README)\.md$/,
  /^LICENSE$/,
  /^package\.json$/,
  // The claims custom resource's handler (src/environment/claims.ts), plain JavaScript.
  /^assets\/claims\/index\.js$/,
];

test('the package holds only the library, its assembly and the user docs', () => {
  const files = packedFiles();
  expect(files).toContain('lib/index.js');
  expect(files).toContain('.jsii');
  expect(files).toContain('assets/claims/index.js');
  expect(files.filter((f) => !ALLOWED.some((re) => re.test(f)))).toEqual([]);
}, 60_000);
