import {
  Stack,
  Tokenization,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_rds as rds,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { ITwelveFactorService } from './service-interface';
import { requireEndpoint } from '../environment/environment-support';
import { acknowledge, nagString } from '../private/acknowledge';
import { upperSnake } from '../private/naming';
import { envVarPrefixProblem, Problems, show } from '../private/validation';

/**
 * How much a service may do with a backing service it attaches.
 */
export enum Access {
  /** Read only: get, query, scan, download, receive; the reader endpoint of a database. */
  READ = 'read',
  /** Read and write: everything READ allows, plus put, update, delete, send; the writer endpoint of a database. */
  READ_WRITE = 'read-write',
}

/**
 * Options for attaching a backing service.
 */
export interface BackingServiceOptions {
  /**
   * What the service may do with it. Least privilege: ask for READ_WRITE only where the
   * service writes.
   *
   * @default Access.READ
   */
  readonly access?: Access;

  /**
   * The prefix of the injected environment variable names (upper snake case).
   *
   * @default - the resource's construct id in upper snake case, for example `Users` or
   * `UsersTable` gives `USERS_TABLE_NAME` for a table
   */
  readonly envVarPrefix?: string;
}

/**
 * Options for attaching a database cluster.
 */
export interface DatabaseBackingOptions extends BackingServiceOptions {
  /**
   * The secret holding the database credentials (JSON with `username` and `password`),
   * injected as `<PREFIX>_DB_SECRET` through ECS secrets, never as plain text.
   *
   * @default - the cluster's generated secret when it has one; otherwise none is injected
   */
  readonly credentials?: secretsmanager.ISecret;
}

/**
 * Options for attaching a Secrets Manager secret.
 */
export interface SecretBackingOptions extends BackingServiceOptions {
  /**
   * A JSON field of the secret to inject instead of the whole value.
   *
   * @default - the whole secret value
   */
  readonly field?: string;
}

/**
 * What binding a backing service gives the service: the variables to inject. The grants
 * and network rules are applied during the bind.
 */
export interface BackingServiceBinding {
  /** Plain environment variables (names and identifiers, never secret values). */
  readonly environment: { [name: string]: string };
  /**
   * Secret environment variables, resolved by ECS at task start.
   *
   * @default - none
   */
  readonly secrets?: { [name: string]: ecs.Secret };
  /** A short description for summaries, for example `DynamoDB table (read-write)`. */
  readonly description: string;
}

/**
 * A backing service (twelve-factor IV): a resource a service uses, attached with
 * `service.attach(...)`, which grants IAM permissions, injects the environment variables
 * the code reads, and opens the security group where the resource is on the network.
 *
 * | backing service | READ | READ_WRITE | variables |
 * |---|---|---|---|
 * | DynamoDB table | read data | read and write data | `<P>_TABLE_NAME`, `<P>_TABLE_ARN` |
 * | S3 bucket | get and list | plus put and delete | `<P>_BUCKET_NAME` |
 * | SQS queue | receive and delete | plus send | `<P>_QUEUE_URL` |
 * | SNS topic | (not valid) | publish | `<P>_TOPIC_ARN` |
 * | Secrets Manager secret | read the value | plus write it | `<P>_SECRET` (the value, via ECS secrets) |
 * | RDS / Aurora cluster | reader endpoint | writer endpoint | `<P>_DB_HOST`, `<P>_DB_PORT`, `<P>_DB_SECRET` |
 */
export abstract class BackingService {
  /** A DynamoDB table. */
  public static dynamoDbTable(table: dynamodb.ITable, options: BackingServiceOptions = {}): BackingService {
    return new TableBacking(table, options ?? {});
  }

  /** An S3 bucket. */
  public static s3Bucket(bucket: s3.IBucket, options: BackingServiceOptions = {}): BackingService {
    return new BucketBacking(bucket, options ?? {});
  }

  /** An SQS queue. */
  public static sqsQueue(queue: sqs.IQueue, options: BackingServiceOptions = {}): BackingService {
    return new QueueBacking(queue, options ?? {});
  }

  /** An SNS topic the service publishes to. `access` must be READ_WRITE or unset. */
  public static snsTopic(topic: sns.ITopic, options: BackingServiceOptions = {}): BackingService {
    return new TopicBacking(topic, options ?? {});
  }

  /** A Secrets Manager secret, injected as a secret environment variable. */
  public static secret(secret: secretsmanager.ISecret, options: SecretBackingOptions = {}): BackingService {
    return new SecretBacking(secret, options ?? {});
  }

  /** An RDS or Aurora database cluster. */
  public static databaseCluster(cluster: rds.IDatabaseCluster, options: DatabaseBackingOptions = {}): BackingService {
    return new DatabaseBacking(cluster, options ?? {});
  }

  /** The resource attached; attaching the same resource twice is a no-op. */
  public abstract readonly resource: IConstruct;
  /** The access level asked for. */
  public abstract readonly access: Access;
  /**
   * The prefix of the injected variable names, when one was given.
   * @default - derived from the resource's construct id
   */
  public abstract readonly envVarPrefix?: string;

  /** Grants, opens the network and returns the variables to inject. */
  public abstract bind(service: ITwelveFactorService): BackingServiceBinding;
}

/** The variable name for a resource: prefix + suffix, without repeating the kind word. */
function varName(resource: IConstruct, options: BackingServiceOptions, kind: string, suffix: string): string {
  let prefix = options.envVarPrefix ?? upperSnake(resource.node.id);
  if (!prefix) prefix = kind;
  if (prefix.endsWith(`_${kind}`) || prefix === kind) prefix = prefix.slice(0, prefix.length - kind.length).replace(/_$/, '');
  return [prefix, kind, suffix].filter((x) => x).join('_');
}

abstract class BaseBacking extends BackingService {
  public readonly access: Access;
  public readonly envVarPrefix?: string;
  protected readonly options: BackingServiceOptions;
  constructor(public readonly resource: IConstruct, options: BackingServiceOptions) {
    super();
    // From JavaScript the options may be null (the factories pass {} then); the resource is checked in `attach`.
    this.options = options ?? {};
    this.access = this.options.access ?? Access.READ;
    this.envVarPrefix = this.options.envVarPrefix;
  }
  /** Checks the options against the service (called first in every bind). */
  protected check(service: ITwelveFactorService, extra: string[] = []): void {
    const p = new Problems('TwelveFactorService', service);
    p.addAll(extra);
    p.addAll([envVarPrefixProblem(this.options.envVarPrefix)]);
    if (!Object.values(Access).includes(this.access)) {
      p.add(`\`access\` ${show(this.access)} is not an Access; use Access.READ or Access.READ_WRITE`);
    }
    p.throwIfAny();
  }
  protected name(kind: string, suffix: string): string {
    return varName(this.resource, this.options, kind, suffix);
  }
  protected get rw(): boolean {
    return this.access === Access.READ_WRITE;
  }
}

class TableBacking extends BaseBacking {
  constructor(private readonly table: dynamodb.ITable, options: BackingServiceOptions) { super(table, options); }
  public bind(service: ITwelveFactorService): BackingServiceBinding {
    this.check(service);
    if (this.rw) this.table.grantReadWriteData(service.taskRole);
    else this.table.grantReadData(service.taskRole);
    acknowledge(service.taskRole, [{
      id: `AwsSolutions-IAM5[Resource::${nagString(Stack.of(service), `${this.table.tableArn}/index/*`)}]`,
      reason: `The grant covers the indexes of the attached table ${this.table.node.path} only.`,
    }]);
    return {
      environment: { [this.name('TABLE', 'NAME')]: this.table.tableName, [this.name('TABLE', 'ARN')]: this.table.tableArn },
      description: `DynamoDB table (${this.access})`,
    };
  }
}

class BucketBacking extends BaseBacking {
  constructor(private readonly bucket: s3.IBucket, options: BackingServiceOptions) { super(bucket, options); }
  public bind(service: ITwelveFactorService): BackingServiceBinding {
    this.check(service);
    if (this.rw) this.bucket.grantReadWrite(service.taskRole);
    else this.bucket.grantRead(service.taskRole);
    const reason = `CDK's S3 grants use action families on the attached bucket ${this.bucket.node.path} and its objects only.`;
    acknowledge(service.taskRole, [
      { id: `AwsSolutions-IAM5[Resource::${nagString(Stack.of(service), `${this.bucket.bucketArn}/*`)}]`, reason },
      ...['s3:GetObject*', 's3:GetBucket*', 's3:List*', 's3:DeleteObject*', 's3:Abort*', 's3:PutObject*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`, reason,
      })),
    ]);
    return { environment: { [this.name('BUCKET', 'NAME')]: this.bucket.bucketName }, description: `S3 bucket (${this.access})` };
  }
}

class QueueBacking extends BaseBacking {
  constructor(private readonly queue: sqs.IQueue, options: BackingServiceOptions) { super(queue, options); }
  public bind(service: ITwelveFactorService): BackingServiceBinding {
    this.check(service);
    this.queue.grantConsumeMessages(service.taskRole);
    if (this.rw) this.queue.grantSendMessages(service.taskRole);
    // Without a NAT gateway the task reaches SQS through the environment's endpoint.
    requireEndpoint(service.environment, ec2.InterfaceVpcEndpointAwsService.SQS);
    return { environment: { [this.name('QUEUE', 'URL')]: this.queue.queueUrl }, description: `SQS queue (${this.access})` };
  }
}

class TopicBacking extends BaseBacking {
  constructor(private readonly topic: sns.ITopic, options: BackingServiceOptions) {
    super(topic, { ...options, access: options.access ?? Access.READ_WRITE });
  }
  public bind(service: ITwelveFactorService): BackingServiceBinding {
    this.check(service, this.access === Access.READ
      ? [`\`access\` READ is not valid for the SNS topic ${this.topic.node.path}: a topic can only be published to (READ_WRITE); to receive its messages subscribe a queue`]
      : []);
    this.topic.grantPublish(service.taskRole);
    // Without a NAT gateway the task reaches SNS through the environment's endpoint.
    requireEndpoint(service.environment, ec2.InterfaceVpcEndpointAwsService.SNS);
    return { environment: { [this.name('TOPIC', 'ARN')]: this.topic.topicArn }, description: 'SNS topic (publish)' };
  }
}

class SecretBacking extends BaseBacking {
  constructor(private readonly secret: secretsmanager.ISecret, private readonly secretOptions: SecretBackingOptions) {
    super(secret, secretOptions);
  }
  public bind(service: ITwelveFactorService): BackingServiceBinding {
    this.check(service);
    if (this.rw) this.secret.grantWrite(service.taskRole);
    return {
      environment: {},
      secrets: { [this.name('SECRET', '')]: ecs.Secret.fromSecretsManager(this.secret, this.secretOptions.field) },
      description: `Secrets Manager secret (${this.access})`,
    };
  }
}

class DatabaseBacking extends BaseBacking {
  constructor(private readonly cluster: rds.IDatabaseCluster, private readonly dbOptions: DatabaseBackingOptions) {
    super(cluster, dbOptions);
  }
  public bind(service: ITwelveFactorService): BackingServiceBinding {
    this.check(service);
    this.cluster.connections.allowDefaultPortFrom(service, `from ${service.node.path}`);
    const endpoint = this.rw ? this.cluster.clusterEndpoint : this.cluster.clusterReadEndpoint;
    const credentials = this.dbOptions.credentials
      ?? (this.cluster instanceof rds.DatabaseCluster ? this.cluster.secret : undefined);
    return {
      environment: {
        [this.name('DB', 'HOST')]: endpoint.hostname,
        [this.name('DB', 'PORT')]: Tokenization.stringifyNumber(endpoint.port),
      },
      secrets: credentials ? { [this.name('DB', 'SECRET')]: ecs.Secret.fromSecretsManager(credentials) } : undefined,
      description: `database cluster (${this.rw ? 'writer' : 'reader'} endpoint)`,
    };
  }
}
