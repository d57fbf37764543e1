import {
  App,
  Aspects,
  CfnParameter,
  CfnResource,
  Duration,
  Lazy,
  SecretValue,
  Stack,
  Validations,
  aws_dynamodb as dynamodb,
  aws_ecs as ecs,
  aws_efs as efs,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Construct, IConstruct } from 'constructs';
import { TwelveFactorService, TwelveFactorServiceProps } from '../../src';
import { FindingSeverity, TwelveFactorChecks, TwelveFactorChecksProps, TwelveFactorFinding } from '../../src/compliance';
import { attempt, expectValidationError } from '../error-contract';
import { importedVpc, IMAGE, withEnvironment } from '../service/fixtures';

const ENV = { account: '111111111111', region: 'us-east-1' };
const ALL_RULES = ['TwelveFactors-II1', 'TwelveFactors-III1', 'TwelveFactors-VI1', 'TwelveFactors-IX1', 'TwelveFactors-IX2', 'TwelveFactors-XI1'];
const WARNING_RULES = ['TwelveFactors-II1', 'TwelveFactors-IX1', 'TwelveFactors-IX2'];
const L2_PATH = 'Test/TaskDef/Resource';
const RAW_PATH = 'Test/Raw';

/** The options of a container that keeps every factor the aspect checks. */
function cleanOptions(overrides: Partial<ecs.ContainerDefinitionOptions> = {}): ecs.ContainerDefinitionOptions {
  return {
    image: IMAGE,
    essential: true,
    readonlyRootFilesystem: true,
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: 'web' }),
    healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'] },
    stopTimeout: Duration.seconds(30),
    environment: { LOG_LEVEL: 'info', PASSENGER_COUNT: '4', BYPASS_CACHE: 'true' },
    ...overrides,
  };
}

/** A literal container definition of a plain CfnTaskDefinition that keeps every factor. */
function cleanRaw(overrides: Partial<ecs.CfnTaskDefinition.ContainerDefinitionProperty> = {}): ecs.CfnTaskDefinition.ContainerDefinitionProperty {
  return {
    name: 'web',
    image: 'public.ecr.aws/nginx/nginx:stable',
    essential: true,
    readonlyRootFilesystem: true,
    logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'web', 'awslogs-region': 'us-east-1', 'awslogs-stream-prefix': 'web' } },
    healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'] },
    stopTimeout: 30,
    environment: [{ name: 'LOG_LEVEL', value: 'info' }],
    ...overrides,
  };
}

/** Builds a stack with `build`, applies the aspect to the stack, synthesizes it and returns the findings. */
function check(build: (stack: Stack) => void, props?: TwelveFactorChecksProps) {
  const app = new App({ context: { 'aws:cdk:disable-creation-stack-traces': true } });
  const stack = new Stack(app, 'Test', { env: ENV });
  build(stack);
  const aspect = new TwelveFactorChecks(props);
  Aspects.of(stack).add(aspect);
  const annotations = Annotations.fromStack(stack);
  return { stack, aspect, annotations, findings: aspect.findings };
}

/** A Fargate task definition (L2) with one container named `web`. */
function fargate(stack: Stack, options: ecs.ContainerDefinitionOptions): ecs.FargateTaskDefinition {
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDef', { cpu: 256, memoryLimitMiB: 512 });
  taskDefinition.addContainer('web', options);
  return taskDefinition;
}

/** A plain CfnTaskDefinition with literal container definitions. */
function raw(stack: Stack, containers: ecs.CfnTaskDefinition.ContainerDefinitionProperty[], volumes?: ecs.CfnTaskDefinition.VolumeProperty[]) {
  return new ecs.CfnTaskDefinition(stack, 'Raw', {
    requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512', containerDefinitions: containers, volumes,
  });
}

function summary(findings: TwelveFactorFinding[]) {
  return findings.map((f) => [f.ruleId, f.severity, f.path, f.container, f.acknowledged]);
}

/** Asserts the finding was reported as an annotation of its severity on its path. */
function expectReported(annotations: Annotations, finding: TwelveFactorFinding): void {
  const message = Match.stringLikeRegexp(`^\\[${finding.ruleId}\\] `);
  if (finding.severity === FindingSeverity.ERROR) {
    annotations.hasError(`/${finding.path}`, message);
  } else {
    annotations.hasWarning(`/${finding.path}`, message);
  }
}

describe('a clean task definition', () => {
  test('an L2 Fargate task definition that keeps every factor has no finding, no error and no warning', () => {
    const { findings, annotations } = check((stack) => fargate(stack, cleanOptions()));
    expect(findings).toEqual([]);
    annotations.hasNoError('*', Match.anyValue());
    annotations.hasNoWarning('*', Match.anyValue());
  });

  test('a plain CfnTaskDefinition that keeps every factor has no finding', () => {
    const { findings, annotations } = check((stack) => raw(stack, [cleanRaw()]));
    expect(findings).toEqual([]);
    annotations.hasNoError('*', Match.anyValue());
    annotations.hasNoWarning('*', Match.anyValue());
  });

  test('a non-essential sidecar needs no log configuration and no health check', () => {
    const { findings } = check((stack) => {
      const td = fargate(stack, cleanOptions());
      td.addContainer('sidecar', { image: IMAGE, essential: false, readonlyRootFilesystem: true });
    });
    expect(findings).toEqual([]);
  });

  test('a bare container added with addContainer breaks II1, IX1 and XI1 (IX2 passes on ECS\'s default 30 s)', () => {
    const { findings, annotations } = check((stack) => fargate(stack, { image: IMAGE }));
    expect(summary(findings)).toEqual([
      ['TwelveFactors-II1', FindingSeverity.WARNING, L2_PATH, 'web', false],
      ['TwelveFactors-IX1', FindingSeverity.WARNING, L2_PATH, 'web', false],
      ['TwelveFactors-XI1', FindingSeverity.ERROR, L2_PATH, 'web', false],
    ]);
    for (const finding of findings) expectReported(annotations, finding);
  });
});

describe('each rule catches a violation', () => {
  type Case = [string, FindingSeverity, (stack: Stack) => void, string, RegExp];
  const cases: Case[] = [
    ['TwelveFactors-II1', FindingSeverity.WARNING, (s) => fargate(s, cleanOptions({ readonlyRootFilesystem: false })), L2_PATH,
      /Container 'web' has a writable root file system.*readonlyRootFilesystem: true/],
    ['TwelveFactors-II1', FindingSeverity.WARNING, (s) => raw(s, [cleanRaw({ readonlyRootFilesystem: undefined })]), RAW_PATH,
      /Container 'web' has a writable root file system/],
    ['TwelveFactors-III1', FindingSeverity.ERROR, (s) => fargate(s, cleanOptions({ environment: { DB_PASSWORD: 'hunter2' } })), L2_PATH,
      /Container 'web' has the plain environment variable DB_PASSWORD, whose name looks like a secret.*`secrets`/],
    ['TwelveFactors-III1', FindingSeverity.ERROR, (s) => raw(s, [cleanRaw({ environment: [{ name: 'AWS_ID', value: 'AKIAIOSFODNN7EXAMPLE' }] })]), RAW_PATH,
      /variable AWS_ID, whose value looks like an AWS access key id/],
    ['TwelveFactors-III1', FindingSeverity.ERROR, (s) => fargate(s, cleanOptions({ environment: { DATABASE_URL: 'postgres://app:pw@db:5432/app' } })),
      L2_PATH, /DATABASE_URL, whose value looks like a URL with a password/],
    ['TwelveFactors-III1', FindingSeverity.ERROR, (s) => fargate(s, cleanOptions({
      environment: { STRIPE: SecretValue.secretsManager('stripe').unsafeUnwrap() },
    })), L2_PATH, /STRIPE, which holds a dynamic reference to a secret/],
    ['TwelveFactors-III1', FindingSeverity.ERROR, (s) => fargate(s, cleanOptions({
      environment: { STRIPE: SecretValue.secretsManager(new secretsmanager.Secret(s, 'Stripe').secretArn).unsafeUnwrap() },
    })), L2_PATH, /STRIPE, which holds a dynamic reference to a secret/],
    ['TwelveFactors-VI1', FindingSeverity.ERROR, (s) => {
      const td = new ecs.Ec2TaskDefinition(s, 'TaskDef');
      td.addVolume({ name: 'data', host: { sourcePath: '/var/data' } });
      td.addContainer('web', cleanOptions({ memoryLimitMiB: 512 })).addMountPoints({ sourceVolume: 'data', containerPath: '/data', readOnly: false });
    }, L2_PATH, /Container 'web' mounts the host path \/var\/data \(volume 'data'\) at \/data.*backing service/],
    ['TwelveFactors-VI1', FindingSeverity.ERROR, (s) => raw(s, [cleanRaw({ mountPoints: [{ sourceVolume: 'cache', containerPath: '/cache' }] })], [
      { name: 'cache', dockerVolumeConfiguration: { scope: 'shared', autoprovision: true, driver: 'local' } },
    ]), RAW_PATH, /Container 'web' mounts the Docker volume 'cache', shared on the host beyond the task/],
    ['TwelveFactors-IX1', FindingSeverity.WARNING, (s) => fargate(s, cleanOptions({ healthCheck: undefined })), L2_PATH,
      /Essential container 'web' has no health check.*healthCheck: \{ command/],
    ['TwelveFactors-IX1', FindingSeverity.WARNING, (s) => raw(s, [cleanRaw({ healthCheck: { command: ['NONE'] } })]), RAW_PATH,
      /Essential container 'web' has no health check/],
    ['TwelveFactors-IX2', FindingSeverity.WARNING, (s) => fargate(s, cleanOptions({ stopTimeout: Duration.seconds(5) })), L2_PATH,
      /Container 'web' has a stop timeout of 5 s below the minimum of 10 s.*stopTimeout: Duration.seconds\(10\)/],
    ['TwelveFactors-IX2', FindingSeverity.WARNING, (s) => raw(s, [cleanRaw({ stopTimeout: 2 })]), RAW_PATH,
      /Container 'web' has a stop timeout of 2 s below the minimum of 10 s/],
    ['TwelveFactors-XI1', FindingSeverity.ERROR, (s) => fargate(s, cleanOptions({ logging: undefined })), L2_PATH,
      /Essential container 'web' has no log configuration: .*ecs.LogDrivers.awsLogs/],
    ['TwelveFactors-XI1', FindingSeverity.ERROR, (s) => raw(s, [cleanRaw({ logConfiguration: { logDriver: 'none' } })]), RAW_PATH,
      /Essential container 'web' has no log configuration \(its log driver is none\)/],
  ];

  test.each(cases)('%s (%s) at %#', (ruleId, severity, build, path, message) => {
    const { findings, annotations } = check(build);
    expect(summary(findings)).toEqual([[ruleId, severity, path, 'web', false]]);
    const [finding] = findings;
    expect(finding.message.startsWith(`[${ruleId}] `)).toBe(true);
    expect(finding.message).toMatch(message);
    expect(finding.reason).toBeUndefined();
    expectReported(annotations, finding);
    if (severity === FindingSeverity.ERROR) {
      annotations.hasNoWarning('*', Match.anyValue());
    } else {
      annotations.hasNoError('*', Match.anyValue());
      annotations.hasWarning(`/${path}`, Match.stringLikeRegexp(`\\[ack: cdk-microservices:${ruleId}\\]`));
    }
  });

  test('every rule is covered by a case of both an L2 and a plain CfnTaskDefinition', () => {
    expect([...new Set(cases.map(([id]) => id))].sort()).toEqual([...ALL_RULES].sort());
    for (const id of ALL_RULES) {
      expect(new Set(cases.filter(([ruleId]) => ruleId === id).map(([, , , path]) => path))).toEqual(new Set([L2_PATH, RAW_PATH]));
    }
  });
});

describe('rule semantics', () => {
  test('III1: values unknown at synth time are not secrets, even under a secret-looking name', () => {
    const { findings } = check((stack) => {
      const table = new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
      const param = new CfnParameter(stack, 'DbPassword');
      fargate(stack, cleanOptions({
        environment: { TABLE_NAME: table.tableName, DB_PASSWORD: param.valueAsString, TABLE_URL: `https://${table.tableName}.example.com` },
      }));
    });
    expect(findings).toEqual([]);
  });

  test('III1: ECS secrets (Secrets Manager) are not plain environment variables', () => {
    const { findings } = check((stack) => {
      const secret = new secretsmanager.Secret(stack, 'Db');
      fargate(stack, cleanOptions({ secrets: { DB_PASSWORD: ecs.Secret.fromSecretsManager(secret) } }));
    });
    expect(findings).toEqual([]);
  });

  test('III1: one finding per secret-looking variable', () => {
    const { findings } = check((stack) => fargate(stack, cleanOptions({ environment: { API_KEY: 'k', dbPassword: 'p', LOG_LEVEL: 'info' } })));
    expect(findings.map((f) => f.message.match(/variable (\w+)/)![1])).toEqual(['API_KEY', 'dbPassword']);
  });

  test('VI1: EFS, task-scoped Docker volumes and Fargate task storage are not host state; unmounted host volumes are not flagged', () => {
    const { findings } = check((stack) => {
      const fs = new efs.FileSystem(stack, 'Fs', { vpc: importedVpc(stack) });
      const td = new ecs.Ec2TaskDefinition(stack, 'TaskDef');
      td.addVolume({ name: 'shared', efsVolumeConfiguration: { fileSystemId: fs.fileSystemId, transitEncryption: 'ENABLED' } });
      td.addVolume({ name: 'scratch' });
      td.addVolume({ name: 'dockerTask', dockerVolumeConfiguration: { scope: ecs.Scope.TASK, driver: 'local' } });
      td.addVolume({ name: 'unused', host: { sourcePath: '/var/unused' } });
      const web = td.addContainer('web', cleanOptions({ memoryLimitMiB: 512 }));
      web.addMountPoints(
        { sourceVolume: 'shared', containerPath: '/shared', readOnly: false },
        { sourceVolume: 'scratch', containerPath: '/tmp', readOnly: false },
        { sourceVolume: 'dockerTask', containerPath: '/cache', readOnly: false },
      );
    });
    expect(findings).toEqual([]);
  });

  test('VI1: a container that mounts the volumes of a container with a host mount is caught too', () => {
    const { findings } = check((stack) => {
      const td = new ecs.Ec2TaskDefinition(stack, 'TaskDef');
      td.addVolume({ name: 'data', host: { sourcePath: '/var/data' } });
      const web = td.addContainer('web', cleanOptions({ memoryLimitMiB: 512 }));
      web.addMountPoints({ sourceVolume: 'data', containerPath: '/data', readOnly: false });
      const sidecar = td.addContainer('sidecar', cleanOptions({ memoryLimitMiB: 256, essential: false }));
      sidecar.addVolumesFrom({ sourceContainer: 'web', readOnly: true });
    });
    expect(summary(findings)).toEqual([
      ['TwelveFactors-VI1', FindingSeverity.ERROR, L2_PATH, 'web', false],
      ['TwelveFactors-VI1', FindingSeverity.ERROR, L2_PATH, 'sidecar', false],
    ]);
    expect(findings[1].message).toMatch(/mounts the volumes of container 'web', which include the host path \/var\/data/);
  });

  test('a fix made through a property override (the L1 escape hatch) counts', () => {
    const { findings } = check((stack) => {
      const td = fargate(stack, cleanOptions({ readonlyRootFilesystem: false }));
      (td.node.defaultChild as ecs.CfnTaskDefinition).addPropertyOverride('ContainerDefinitions.0.ReadonlyRootFilesystem', true);
    });
    expect(findings).toEqual([]);
  });

  test('a task definition written as a generic CfnResource is checked too', () => {
    const { findings } = check((stack) => new CfnResource(stack, 'Raw', {
      type: 'AWS::ECS::TaskDefinition',
      properties: {
        ContainerDefinitions: [{
          Name: 'web',
          Image: 'nginx',
          Essential: true,
          ReadonlyRootFilesystem: false,
          StopTimeout: 30,
          LogConfiguration: { LogDriver: 'awslogs' },
          HealthCheck: { Command: ['CMD-SHELL', 'true'] },
        }],
      },
    }));
    expect(summary(findings)).toEqual([['TwelveFactors-II1', FindingSeverity.WARNING, RAW_PATH, 'web', false]]);
  });

  test('findings of several containers name each container', () => {
    const { findings } = check((stack) => raw(stack, [
      cleanRaw({ name: 'a', readonlyRootFilesystem: false }),
      cleanRaw({ name: 'b', stopTimeout: 3, logConfiguration: undefined }),
    ]));
    expect(summary(findings)).toEqual([
      ['TwelveFactors-II1', FindingSeverity.WARNING, RAW_PATH, 'a', false],
      ['TwelveFactors-IX2', FindingSeverity.WARNING, RAW_PATH, 'b', false],
      ['TwelveFactors-XI1', FindingSeverity.ERROR, RAW_PATH, 'b', false],
    ]);
  });
});

describe('options', () => {
  test.each<[string, Duration | undefined, number | undefined, boolean]>([
    ['the default minimum (10 s), no stop timeout (ECS: 30 s)', undefined, undefined, false],
    ['the default minimum, 10 s', undefined, 10, false],
    ['the default minimum, 9 s', undefined, 9, true],
    ['a minimum of 20 s, 20 s', Duration.seconds(20), 20, false],
    ['a minimum of 20 s, 19 s', Duration.seconds(20), 19, true],
    ['a minimum of 60 s, no stop timeout (ECS: 30 s)', Duration.minutes(1), undefined, true],
    ['a minimum of 60 s, 120 s', Duration.minutes(1), 120, false],
  ])('minimumStopTimeout: %s', (_, minimumStopTimeout, stopTimeout, fires) => {
    const { findings } = check((stack) => raw(stack, [cleanRaw({ stopTimeout })]), { minimumStopTimeout });
    expect(findings.map((f) => f.ruleId)).toEqual(fires ? ['TwelveFactors-IX2'] : []);
    if (fires && stopTimeout === undefined) {
      expect(findings[0].message).toMatch(/has no stop timeout, so ECS's default of 30 s applies, below the minimum of 60 s/);
    }
  });

  test('warningsAsErrors reports the warning rules as errors', () => {
    const { findings, annotations } = check((stack) => fargate(stack, { image: IMAGE, stopTimeout: Duration.seconds(2) }), {
      warningsAsErrors: true,
    });
    expect(summary(findings)).toEqual([
      ['TwelveFactors-II1', FindingSeverity.ERROR, L2_PATH, 'web', false],
      ['TwelveFactors-IX1', FindingSeverity.ERROR, L2_PATH, 'web', false],
      ['TwelveFactors-IX2', FindingSeverity.ERROR, L2_PATH, 'web', false],
      ['TwelveFactors-XI1', FindingSeverity.ERROR, L2_PATH, 'web', false],
    ]);
    for (const id of WARNING_RULES) annotations.hasError(`/${L2_PATH}`, Match.stringLikeRegexp(`^\\[${id}\\]`));
    annotations.hasNoWarning('*', Match.anyValue());
  });

  test('warningsAsErrors: false keeps warnings', () => {
    const { findings } = check((stack) => fargate(stack, cleanOptions({ readonlyRootFilesystem: false })), { warningsAsErrors: false });
    expect(summary(findings)).toEqual([['TwelveFactors-II1', FindingSeverity.WARNING, L2_PATH, 'web', false]]);
  });

  test('disabledRules switches rules off: no finding, no annotation', () => {
    const { findings, annotations } = check((stack) => fargate(stack, { image: IMAGE }), {
      disabledRules: ['TwelveFactors-XI1', 'TwelveFactors-IX1'],
    });
    expect(summary(findings)).toEqual([['TwelveFactors-II1', FindingSeverity.WARNING, L2_PATH, 'web', false]]);
    annotations.hasNoError('*', Match.anyValue());
    annotations.hasNoWarning('*', Match.stringLikeRegexp('TwelveFactors-(XI1|IX1)'));
  });

  test('every rule can be disabled', () => {
    const { findings } = check((stack) => {
      const td = new ecs.Ec2TaskDefinition(stack, 'TaskDef');
      td.addVolume({ name: 'data', host: { sourcePath: '/var/data' } });
      td.addContainer('web', { image: IMAGE, memoryLimitMiB: 512, environment: { API_KEY: 'k' }, stopTimeout: Duration.seconds(2) })
        .addMountPoints({ sourceVolume: 'data', containerPath: '/data', readOnly: false });
    }, { disabledRules: ALL_RULES });
    expect(findings).toEqual([]);
  });
});

describe('acknowledgements', () => {
  const reason = 'The image writes its PID file to /var/run; read-only root is planned for v2.';

  test.each<[string, (stack: Stack, team: Construct, td: ecs.TaskDefinition) => IConstruct]>([
    ['the task definition (L2)', (_s, _t, td) => td],
    ['the task definition resource (L1)', (_s, _t, td) => td.node.defaultChild!],
    ['an ancestor construct', (_s, team) => team],
    ['the stack', (stack) => stack],
  ])('acknowledged on %s: not reported, listed as acknowledged with its reason', (_, where) => {
    const { findings, annotations } = check((stack) => {
      const team = new Construct(stack, 'Team');
      const td = new ecs.FargateTaskDefinition(team, 'TaskDef', { cpu: 256, memoryLimitMiB: 512 });
      td.addContainer('web', cleanOptions({ readonlyRootFilesystem: false, logging: undefined }));
      TwelveFactorChecks.acknowledge(where(stack, team, td), 'TwelveFactors-II1', reason);
    });
    expect(findings).toEqual([
      expect.objectContaining({ ruleId: 'TwelveFactors-II1', path: 'Test/Team/TaskDef/Resource', container: 'web', acknowledged: true, reason }),
      expect.objectContaining({ ruleId: 'TwelveFactors-XI1', acknowledged: false, reason: undefined }),
    ]);
    annotations.hasNoWarning('*', Match.anyValue());
    annotations.hasError('/Test/Team/TaskDef/Resource', Match.stringLikeRegexp('^\\[TwelveFactors-XI1\\]'));
  });

  test('an acknowledgement elsewhere in the tree does not apply', () => {
    const { findings } = check((stack) => {
      TwelveFactorChecks.acknowledge(new Construct(stack, 'Other'), 'TwelveFactors-II1', reason);
      fargate(stack, cleanOptions({ readonlyRootFilesystem: false }));
    });
    expect(summary(findings)).toEqual([['TwelveFactors-II1', FindingSeverity.WARNING, L2_PATH, 'web', false]]);
  });

  test('the nearest acknowledgement gives the reason', () => {
    const { findings } = check((stack) => {
      const td = fargate(stack, cleanOptions({ readonlyRootFilesystem: false }));
      TwelveFactorChecks.acknowledge(stack, 'TwelveFactors-II1', 'stack-wide');
      TwelveFactorChecks.acknowledge(td, 'TwelveFactors-II1', 'this one');
    });
    expect(findings[0]).toMatchObject({ acknowledged: true, reason: 'this one' });
  });

  test('an error rule is acknowledged the same way, and recorded where cdk-nag 3 reads it', () => {
    let td: ecs.FargateTaskDefinition | undefined;
    const { findings, annotations } = check((stack) => {
      td = fargate(stack, cleanOptions({ environment: { PASSWORD_POLICY_URL: 'https://example.com/policy' } }));
      TwelveFactorChecks.acknowledge(td, 'TwelveFactors-III1', 'A link to a policy page, not a password.');
    });
    expect(findings).toEqual([expect.objectContaining({ ruleId: 'TwelveFactors-III1', severity: FindingSeverity.ERROR, acknowledged: true })]);
    annotations.hasNoError('*', Match.anyValue());
    expect(td!.node.metadata).toEqual(expect.arrayContaining([
      expect.objectContaining({ type: Validations.ACKNOWLEDGED_RULES_METADATA_KEY, data: { 'TwelveFactors-III1': 'A link to a policy page, not a password.' } }),
    ]));
  });

  test('Validations.of(x).acknowledge() is honoured too', () => {
    const { findings } = check((stack) => {
      const td = fargate(stack, cleanOptions({ readonlyRootFilesystem: false }));
      Validations.of(td).acknowledge({ id: 'TwelveFactors-II1', reason });
    });
    expect(findings[0]).toMatchObject({ ruleId: 'TwelveFactors-II1', acknowledged: true, reason });
  });
});

describe('idempotence', () => {
  test('an aspect added at two levels reports each finding once', () => {
    const app = new App();
    const stack = new Stack(app, 'Test', { env: ENV });
    fargate(stack, cleanOptions({ readonlyRootFilesystem: false }));
    const aspect = new TwelveFactorChecks();
    Aspects.of(app).add(aspect);
    Aspects.of(stack).add(aspect);
    const annotations = Annotations.fromStack(stack);
    expect(summary(aspect.findings)).toEqual([['TwelveFactors-II1', FindingSeverity.WARNING, L2_PATH, 'web', false]]);
    expect(annotations.findWarning('*', Match.anyValue())).toHaveLength(1);
  });

  test('visiting the same node twice, and synthesizing twice, reports once', () => {
    const app = new App();
    const stack = new Stack(app, 'Test', { env: ENV });
    const td = fargate(stack, cleanOptions({ readonlyRootFilesystem: false }));
    const aspect = new TwelveFactorChecks();
    aspect.visit(td.node.defaultChild!);
    aspect.visit(td.node.defaultChild!);
    aspect.visit(td);
    expect(aspect.findings).toHaveLength(0); // checked when the app validates
    Aspects.of(stack).add(aspect);
    app.synth();
    app.synth({ force: true });
    expect(aspect.findings).toHaveLength(1);
    expect(td.node.defaultChild!.node.metadata.filter((m) => m.type === 'aws:cdk:warning')).toHaveLength(1);
  });

  test('an aspect that changes containers after it has visited them is seen (the check runs at validation)', () => {
    const app = new App();
    const stack = new Stack(app, 'Test', { env: ENV });
    const td = fargate(stack, cleanOptions());
    const aspect = new TwelveFactorChecks();
    Aspects.of(stack).add(aspect);
    Aspects.of(stack).add({
      visit: (node) => {
        if (node === td) td.defaultContainer!.addEnvironment('DB_PASSWORD', 'hunter2');
      },
    }, { priority: 1000 });
    app.synth();
    expect(aspect.findings.map((f) => f.ruleId)).toEqual(['TwelveFactors-III1']);
    const container = Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition');
    expect(JSON.stringify(container)).toContain('DB_PASSWORD');
  });

  test('findings is a copy', () => {
    const { aspect } = check((stack) => fargate(stack, { image: IMAGE }));
    const findings = aspect.findings;
    findings.pop();
    expect(aspect.findings).toHaveLength(findings.length + 1);
  });
});

describe('on TwelveFactorService of this library', () => {
  function service(extra: Partial<TwelveFactorServiceProps> = {}, build?: (s: TwelveFactorService) => void) {
    const { stack, env } = withEnvironment();
    const users = new TwelveFactorService(stack, 'Users', { environment: env, image: IMAGE, port: 8080, hostName: 'users.example.com', ...extra });
    build?.(users);
    const aspect = new TwelveFactorChecks();
    Aspects.of(stack).add(aspect);
    const annotations = Annotations.fromStack(stack);
    return { aspect, annotations };
  }
  const path = 'Test/Users/TaskDefinition/Resource';

  test('with default props only IX1 fires: no container health check is given', () => {
    const { aspect, annotations } = service();
    expect(summary(aspect.findings)).toEqual([['TwelveFactors-IX1', FindingSeverity.WARNING, path, 'app', false]]);
    annotations.hasNoError('*', Match.stringLikeRegexp('TwelveFactors-'));
    annotations.hasWarning(`/${path}`, Match.stringLikeRegexp('^\\[TwelveFactors-IX1\\] Essential container \'app\''));
  });

  test('with containerHealthCheck, user, scratch volume, config and a backing table: no finding', () => {
    const { aspect } = service({
      containerHealthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1'] },
      user: '1000:1000',
      scratchVolumePath: '/tmp',
      config: { LOG_LEVEL: 'info' },
    }, (users) => {
      const table = new dynamodb.Table(users, 'Orders', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } });
      users.addEnvironment('ORDERS_TABLE', table.tableName);
    });
    expect(aspect.findings).toEqual([]);
  });

  test('on the opt-outs of the service: a writable root (II1) fires; allowPlainConfig names and admin tasks are acknowledged with reasons', () => {
    const { aspect } = service({
      containerHealthCheck: { command: ['CMD-SHELL', 'true'] },
      user: '1000:1000',
      readonlyRootFilesystem: false,
      config: { SESSION_KEY_HEADER: 'x-session' },
      allowPlainConfig: ['SESSION_KEY_HEADER'],
    }, (users) => users.addAdminTask('migrate', { command: ['node', 'migrate.js'] }));
    const admin = 'Test/Users/Admin-migrate/TaskDefinition/Resource';
    expect(summary(aspect.findings)).toEqual([
      ['TwelveFactors-II1', FindingSeverity.WARNING, path, 'app', false],
      ['TwelveFactors-III1', FindingSeverity.ERROR, path, 'app', true],
      ['TwelveFactors-II1', FindingSeverity.WARNING, admin, 'app', false],
      ['TwelveFactors-III1', FindingSeverity.ERROR, admin, 'app', true],
      ['TwelveFactors-IX1', FindingSeverity.WARNING, admin, 'app', true],
    ]);
    const reasons = aspect.findings.filter((f) => f.acknowledged).map((f) => f.reason);
    expect(reasons[0]).toMatch(/SESSION_KEY_HEADER look secret but hold no secret/);
    expect(reasons[2]).toMatch(/admin process \(factor XII\) runs once to completion/);
  });

  test('an admin task of a service without allowPlainConfig: only IX1, acknowledged', () => {
    const { aspect } = service({ containerHealthCheck: { command: ['CMD-SHELL', 'true'] }, user: '1000:1000' },
      (users) => users.addAdminTask('migrate', { command: ['node', 'migrate.js'] }));
    expect(summary(aspect.findings)).toEqual([
      ['TwelveFactors-IX1', FindingSeverity.WARNING, 'Test/Users/Admin-migrate/TaskDefinition/Resource', 'app', true],
    ]);
  });
});

describe('refusals', () => {
  const PROPS = ['minimumStopTimeout', 'warningsAsErrors', 'disabledRules', 'props'];

  test.each<[string, unknown, RegExp]>([
    ['minimumStopTimeout below 2 s', { minimumStopTimeout: Duration.seconds(1) }, /`minimumStopTimeout` 1 second is not valid; use whole seconds from 2 to 120/],
    ['minimumStopTimeout above 120 s', { minimumStopTimeout: Duration.minutes(3) }, /`minimumStopTimeout` 3 minutes is not valid/],
    ['minimumStopTimeout in fractions of a second', { minimumStopTimeout: Duration.millis(2500) }, /`minimumStopTimeout` .* is not valid/],
    ['minimumStopTimeout a token', { minimumStopTimeout: Duration.seconds(Lazy.number({ produce: () => 10 })) }, /`minimumStopTimeout` must be known at synth time/],
    ['minimumStopTimeout a number', { minimumStopTimeout: 10 }, /`minimumStopTimeout` 10 is not a Duration/],
    ['warningsAsErrors a string', { warningsAsErrors: 'yes' }, /`warningsAsErrors` 'yes' is not a boolean/],
    ['disabledRules an unknown id', { disabledRules: ['TwelveFactors-II1', 'TwelveFactors-X1'] },
      /`disabledRules` 'TwelveFactors-X1' is not a rule of TwelveFactorChecks; use TwelveFactors-II1, TwelveFactors-III1, TwelveFactors-VI1, TwelveFactors-IX1, TwelveFactors-IX2, TwelveFactors-XI1$/],
    ['disabledRules a cdk-nag id', { disabledRules: ['AwsSolutions-ECS2'] }, /`disabledRules` 'AwsSolutions-ECS2' is not a rule/],
    ['disabledRules a string', { disabledRules: 'TwelveFactors-II1' }, /`disabledRules` 'TwelveFactors-II1' is not a list of strings/],
    ['props a string', 'strict', /`props` 'strict' is not a TwelveFactorChecksProps object/],
  ])('%s', (_, props, message) => {
    const err = attempt(() => new TwelveFactorChecks(props as TwelveFactorChecksProps));
    expect(expectValidationError(err, { classes: ['TwelveFactorChecks'], path: '<root>', props: PROPS })).toMatch(message);
  });

  test('every bad prop in one error', () => {
    const err = attempt(() => new TwelveFactorChecks({ minimumStopTimeout: Duration.seconds(0), disabledRules: ['II1'], warningsAsErrors: 1 as unknown as boolean }));
    const message = expectValidationError(err, { classes: ['TwelveFactorChecks'], path: '<root>', props: PROPS });
    expect((err as { problems: string[] }).problems).toHaveLength(3);
    expect(message).toMatch(/^`TwelveFactorChecks` at <root>:\n {2}- /);
  });

  test.each<[string, (scope: Construct) => unknown, string | undefined, string | undefined, string, RegExp]>([
    ['an unknown rule id', (s) => s, 'TwelveFactors-XII1', reasonOk(), 'Test/Scope', /`ruleId` 'TwelveFactors-XII1' is not a rule of TwelveFactorChecks; use one of TwelveFactors-II1/],
    ['a cdk-nag rule id', (s) => s, 'AwsSolutions-ECS2', reasonOk(), 'Test/Scope', /`ruleId` 'AwsSolutions-ECS2' is not a rule/],
    ['an empty reason', (s) => s, 'TwelveFactors-II1', '', 'Test/Scope', /`reason` '' is not valid; say in a sentence why/],
    ['a blank reason', (s) => s, 'TwelveFactors-II1', '   ', 'Test/Scope', /`reason` '   ' is not valid/],
    ['no reason', (s) => s, 'TwelveFactors-II1', undefined, 'Test/Scope', /`reason` undefined is not valid/],
    ['no rule id', (s) => s, undefined, reasonOk(), 'Test/Scope', /`ruleId` undefined is not a rule/],
    ['a scope that is not a construct', () => ({ node: 'x' }), 'TwelveFactors-II1', reasonOk(), '<root>', /`scope` .* is not a construct/],
  ])('acknowledge() refuses %s', (_, scopeOf, ruleId, reason, path, message) => {
    const stack = new Stack(new App(), 'Test');
    const scope = new Construct(stack, 'Scope');
    const err = attempt(() => TwelveFactorChecks.acknowledge(scopeOf(scope) as IConstruct, ruleId as string, reason as string));
    expect(expectValidationError(err, { classes: ['TwelveFactorChecks'], path, props: ['scope', 'ruleId', 'reason'] })).toMatch(message);
    expect(scope.node.metadata).toEqual([]);
  });

  test('acknowledge() with an unknown rule id and no reason names both', () => {
    const stack = new Stack(new App(), 'Test');
    const err = attempt(() => TwelveFactorChecks.acknowledge(stack, 'X', ''));
    expectValidationError(err, { classes: ['TwelveFactorChecks'], path: 'Test', props: ['ruleId', 'reason'] });
    expect((err as { problems: string[] }).problems).toHaveLength(2);
  });
});

function reasonOk(): string {
  return 'Accepted for a reason a reviewer would agree with.';
}
