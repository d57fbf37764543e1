/**
 * Fixtures of the props properties (../properties.test.ts): what samples refer to, made lazily
 * once per stack; how a spec becomes props; how a constructed service is checked.
 */
import { App, Stack, aws_certificatemanager as acm, aws_cloudwatch as cloudwatch, aws_dynamodb as dynamodb, aws_ec2 as ec2, aws_ecs as ecs, aws_kms as kms, aws_rds as rds, aws_route53 as route53, aws_s3 as s3, aws_secretsmanager as secretsmanager, aws_servicediscovery as servicediscovery, aws_sns as sns, aws_sqs as sqs, aws_ssm as ssm } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { BackingService, MicroserviceEnvironment, MicroserviceEnvironmentProps, StageProfile, TwelveFactorService, TwelveFactorServiceProps } from '../../../src';
import { attempt } from '../../error-contract';
import { importedVpc } from '../fixtures';
import { AttachSpec, BackingKind, EnvKind, EnvSpec, IdStyle, SecretRef, ServiceSpec } from './arbitraries';
import { STAGE_DEFAULTS } from './oracle';

export const ENV = { account: '111111111111', region: 'us-east-1' };
export const IMAGE = ecs.ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable');

export const CERT_ARN = 'arn:aws:acm:us-east-1:111111111111:certificate/11111111-2222-3333-4444-555555555555';

export class Fixtures {
  private readonly made = new Map<string, unknown>();
  private count = 0;

  constructor(public readonly stack: Stack) {}

  /** A fresh construct id, unique in the stack. */
  public nextId(prefix: string): string {
    return `${prefix}${++this.count}`;
  }

  public environment(kind: EnvKind): MicroserviceEnvironment {
    return this.once(`env-${kind}`, () => {
      switch (kind) {
        case 'dev':
          // An imported VPC keeps the many per-chunk environments cheap; 'lb' and 'http' create theirs.
          return new MicroserviceEnvironment(this.stack, 'DevEnv', { stageProfile: StageProfile.DEVELOPMENT, vpc: this.importedVpc('DevVpc') });
        case 'lb':
          return new MicroserviceEnvironment(this.stack, 'LbEnv', {
            createLoadBalancer: true,
            certificate: acm.Certificate.fromCertificateArn(this.stack, 'Cert', CERT_ARN),
            hostedZone: route53.HostedZone.fromHostedZoneAttributes(this.stack, 'Zone', { hostedZoneId: 'Z0123456789', zoneName: 'example.com' }),
          });
        case 'http':
          return new MicroserviceEnvironment(this.stack, 'HttpEnv', { createLoadBalancer: true, allowPlainHttp: true });
      }
    });
  }

  public importedVpc(id: string): ec2.IVpc {
    return importedVpc(this.stack, id);
  }

  public get ssmSecret(): ecs.Secret {
    return this.once('ssm', () => ecs.Secret.fromSsmParameter(
      ssm.StringParameter.fromSecureStringParameterAttributes(this.stack, 'DbPasswordParam', { parameterName: '/app/db-password' })));
  }

  public get managedSecret(): secretsmanager.ISecret {
    return this.once('sm', () => new secretsmanager.Secret(this.stack, 'ApiKey'));
  }

  public get environmentFile(): ecs.EnvironmentFile {
    return this.once('envfile', () => ecs.EnvironmentFile.fromBucket(
      s3.Bucket.fromBucketName(this.stack, 'EnvFiles', 'app-env-files-111111111111'), 'app.env'));
  }

  public get alarm(): cloudwatch.IAlarm {
    return this.once('alarm', () => cloudwatch.Alarm.fromAlarmArn(this.stack, 'Alarm',
      'arn:aws:cloudwatch:us-east-1:111111111111:alarm:app-latency'));
  }

  public backing(kind: BackingKind): BackingResource {
    return this.once(`backing-${kind}`, () => {
      switch (kind) {
        case 'users':
          return new dynamodb.Table(this.stack, 'UsersTable', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
        case 'orders':
          return new dynamodb.Table(this.stack, 'Orders', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
        case 'bucket':
          return new s3.Bucket(this.stack, 'Uploads');
        case 'queue':
          return new sqs.Queue(this.stack, 'Jobs');
        case 'topic':
          return new sns.Topic(this.stack, 'Events');
        case 'secret':
          return this.managedSecret;
        case 'db':
          return rds.DatabaseCluster.fromDatabaseClusterAttributes(this.stack, 'Db', {
            clusterIdentifier: 'app-db',
            port: 5432,
            clusterEndpointAddress: 'app-db.cluster-abc.us-east-1.rds.amazonaws.com',
            readerEndpointAddress: 'app-db.cluster-ro-abc.us-east-1.rds.amazonaws.com',
            securityGroups: [ec2.SecurityGroup.fromSecurityGroupId(this.stack, 'DbSg', 'sg-0123456789abcdef0')],
          });
      }
    });
  }

  private once<T>(key: string, make: () => T): T {
    if (!this.made.has(key)) this.made.set(key, make());
    return this.made.get(key) as T;
  }
}

export type BackingResource = dynamodb.ITable | s3.IBucket | sqs.IQueue | sns.ITopic | secretsmanager.ISecret | rds.IDatabaseCluster;

/** Hands out the stack samples are built in: a fresh app and stack every `size` samples. */
export class Chunks {
  private used = 0;
  private current?: Fixtures;

  constructor(private readonly name: string, private readonly size: number) {}

  public next(): Fixtures {
    if (!this.current || this.used % this.size === 0) this.current = freshFixtures(`${this.name}${this.used}`);
    this.used++;
    return this.current;
  }
}

export function freshFixtures(stackId: string): Fixtures {
  return new Fixtures(new Stack(new App(), stackId, { env: ENV }));
}

/** Synthesizes the stack; its template must have no error annotations. */
export function synthesize(stack: Stack): Template {
  const template = Template.fromStack(stack);
  expect(Annotations.fromStack(stack).findError('*', Match.anyValue())).toEqual([]);
  return template;
}

export function materializeEnv(spec: EnvSpec, stack: Stack): MicroserviceEnvironmentProps {
  const vpc = spec.network === 'create' ? undefined : new Fixtures(stack).importedVpc('ImportedVpc');
  const clusterVpc = spec.network === 'vpc+foreign-cluster' ? new Fixtures(stack).importedVpc('OtherVpc') : vpc;
  const cluster = spec.network.includes('cluster')
    ? ecs.Cluster.fromClusterAttributes(stack, 'ImportedCluster', { clusterName: 'apps', vpc: clusterVpc! })
    : undefined;
  return {
    ...spec.props,
    ...(spec.wrongTyped ? { [spec.wrongTyped[0]]: spec.wrongTyped[1] } : {}),
    vpc: spec.network.startsWith('vpc') ? vpc : undefined,
    cluster,
    namespace: spec.importNamespace ? servicediscovery.PrivateDnsNamespace.fromPrivateDnsNamespaceAttributes(stack, 'ImportedNamespace', {
      namespaceName: 'shared.internal',
      namespaceId: 'ns-0123456789',
      namespaceArn: 'arn:aws:servicediscovery:us-east-1:111111111111:namespace/ns-0123456789',
    }) : undefined,
    encryptionKey: spec.importKey ? kms.Key.fromKeyArn(stack, 'ImportedKey', 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-3333-4444-555555555555') : undefined,
    certificate: spec.certificate ? acm.Certificate.fromCertificateArn(stack, 'Cert', CERT_ARN) : undefined,
    accessLogsBucket: spec.accessLogsBucket ? s3.Bucket.fromBucketName(stack, 'Logs', 'access-logs-111111111111') : undefined,
    hostedZone: spec.hostedZone ? route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789', zoneName: 'example.com' }) : undefined,
  };
}

export function serviceId(style: IdStyle, fixtures: Fixtures): string {
  const id = fixtures.nextId('');
  switch (style) {
    case 'plain': return `Svc${id}`;
    case 'snake': return `svc_${id}`;
    case 'digits': return id;
    case 'unicode': return `Ünï Svc${id}`;
    case 'trailing-hyphen': return `${'a'.repeat(62)}-${id}`;
  }
}

export function materializeService(spec: ServiceSpec, fixtures: Fixtures): TwelveFactorServiceProps {
  const secretOf = (ref: SecretRef): any => ref === 'ssm' ? fixtures.ssmSecret
    : ref === 'sm' ? ecs.Secret.fromSecretsManager(fixtures.managedSecret) : 'plain-string';
  const props: Record<string, any> = {
    ...spec.props,
    environment: fixtures.environment(spec.envKind),
    image: IMAGE,
    secrets: spec.secrets === undefined ? undefined
      : Object.fromEntries(Object.entries(spec.secrets).map(([name, ref]) => [name, secretOf(ref)])),
    environmentFiles: spec.environmentFiles ? [fixtures.environmentFile] : undefined,
    deploymentAlarms: spec.deploymentAlarms === undefined ? undefined : spec.deploymentAlarms === 'one' ? [fixtures.alarm] : [],
  };
  // The services of a chunk share one listener, where two services with the same host name and
  // path patterns are refused (issue 13): each valid spec gets its own host or path in the chunk.
  const n = fixtures.nextId('');
  if (props.hostName === 'api.example.com') props.hostName = `api-${n}.example.com`;
  else if (Array.isArray(props.pathPatterns) && props.pathPatterns.join() === '/api/*,/v2/*') props.pathPatterns = [`/api${n}/*`, '/v2/*'];
  if (spec.wrongTyped) props[spec.wrongTyped[0]] = spec.wrongTyped[1];
  return props as TwelveFactorServiceProps;
}

/** Checks a constructed service against its spec. */
export function checkService(service: TwelveFactorService, spec: ServiceSpec): void {
  const p = spec.props;
  const defaults = STAGE_DEFAULTS[spec.envKind];
  expect(service.taskDefinition.cpu).toBe(p.cpu ?? defaults.cpu);
  expect(service.minTasks).toBe(p.minTasks ?? defaults.minTasks);
  expect(service.maxTasks >= service.minTasks).toBe(true);
  expect(service.scaling !== undefined).toBe(service.maxTasks > service.minTasks);
  const routed = p.hostName !== undefined || p.pathPatterns !== undefined;
  expect(service.targetGroup !== undefined).toBe(routed);
  expect(service.port).toBe(p.port);
}

/** A service to add admin tasks or attachments to; without scaling or alarm, which cost time and play no part. */
export function newServiceFor(fixtures: Fixtures, size?: [number, number], envKind: EnvKind = 'dev', config?: Record<string, string>): TwelveFactorService {
  return new TwelveFactorService(fixtures.stack, fixtures.nextId('Svc'), {
    environment: fixtures.environment(envKind),
    image: IMAGE,
    cpu: size?.[0],
    memoryMiB: size?.[1],
    config,
    minTasks: 1,
    maxTasks: 1,
    errorAlarmThreshold: 0,
  });
}

export function backingFor(spec: AttachSpec, a: AttachSpec['attachments'][number], fixtures: Fixtures): BackingService {
  const options = { access: spec.access[a.kind], envVarPrefix: a.envVarPrefix };
  switch (a.kind) {
    case 'users':
    case 'orders':
      return BackingService.dynamoDbTable(fixtures.backing(a.kind) as dynamodb.ITable, options);
    case 'bucket':
      return BackingService.s3Bucket(fixtures.backing(a.kind) as s3.IBucket, options);
    case 'queue':
      return BackingService.sqsQueue(fixtures.backing(a.kind) as sqs.IQueue, options);
    case 'topic':
      return BackingService.snsTopic(fixtures.backing(a.kind) as sns.ITopic, options);
    case 'secret':
      return BackingService.secret(fixtures.backing(a.kind) as secretsmanager.ISecret, { ...options, field: a.field });
    case 'db':
      return BackingService.databaseCluster(fixtures.backing(a.kind) as rds.IDatabaseCluster, {
        ...options, credentials: a.credentials ? fixtures.managedSecret : undefined,
      });
  }
}

export function attachAll(
  spec: AttachSpec,
  fixtures: Fixtures,
  onEach: (service: TwelveFactorService, index: number, err: unknown) => void,
): TwelveFactorService {
  const service = newServiceFor(fixtures, undefined, spec.envKind, spec.config);
  spec.attachments.forEach((a, i) => onEach(service, i, attempt(() => service.attach(backingFor(spec, a, fixtures)))));
  return service;
}
