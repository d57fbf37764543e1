/**
 * The AWS clients the command uses, built once per invocation with the AWS CLI's conventions:
 * `--profile` (else AWS_PROFILE), `--region` (else AWS_REGION, AWS_DEFAULT_REGION or the
 * profile's region, which the SDK's default chain reads when `region` is left out).
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';

/** Where the clients go: both optional, the SDK's default chain fills in what is left out. */
export interface ClientOptions {
  readonly region?: string;
  readonly profile?: string;
}

/** The clients of one invocation. */
export interface Clients {
  readonly sfn: SFNClient;
  readonly dynamodb: DynamoDBClient;
  readonly ssm: SSMClient;
  readonly cloudwatch: CloudWatchClient;
  /** ECR in the region of the repository (an image may live in another region than the canary). */
  ecr(region: string): ECRClient;
}

/** The SDK clients, created when first used. */
export function createClients(options: ClientOptions): Clients {
  const config = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  };
  let sfn: SFNClient | undefined;
  let dynamodb: DynamoDBClient | undefined;
  let ssm: SSMClient | undefined;
  let cloudwatch: CloudWatchClient | undefined;
  const ecr = new Map<string, ECRClient>();
  return {
    get sfn() { return sfn ??= new SFNClient(config); },
    get dynamodb() { return dynamodb ??= new DynamoDBClient(config); },
    get ssm() { return ssm ??= new SSMClient(config); },
    get cloudwatch() { return cloudwatch ??= new CloudWatchClient(config); },
    ecr(region: string) {
      let client = ecr.get(region);
      if (!client) {
        client = new ECRClient({ ...config, region });
        ecr.set(region, client);
      }
      return client;
    },
  };
}
