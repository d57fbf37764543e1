/**
 * The Lambda function behind one of our CloudFormation custom resources (the claims of a shared
 * environment, the live state of a canary): in the environment's VPC, HTTPS out only, its own
 * encrypted log group and dead-letter queue, active tracing, a role with nothing but its logs,
 * the VPC network interfaces and the queue's key (the caller adds what the function does).
 *
 * The function answers CloudFormation itself (PUT to the pre-signed ResponseURL, an S3 URL), so
 * it needs HTTPS to S3 and to the services it calls: NAT, or the environment's endpoints.
 */
import * as path from 'path';
import {
  Duration,
  RemovalPolicy,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';

/** The directory of the providers' code (from src/private and from lib/private alike). */
export const PROVIDERS_ASSET = path.join(__dirname, '..', '..', 'assets', 'providers');

/** What a provider function is and where it runs. */
export interface ProviderFunctionProps {
  /**
   * Its handler's module in `assets/providers/` (`<module>.js`, exporting `handler`). Every
   * provider's code is that directory: the handlers share its response.js.
   */
  readonly handlerModule: string;
  /** What it is, in a sentence: `claim provider`. */
  readonly name: string;
  /** The role's description, and what lets it into the endpoints' security group: `Claim provider of <path>`. */
  readonly title: string;
  /** The function's description. */
  readonly description: string;
  /** The security group's description. */
  readonly securityGroupDescription: string;
  /** The description of its one egress rule (HTTPS anywhere). */
  readonly egressDescription: string;
  /** What the function does, added to its role after the logs and network interface statements. */
  readonly statements: iam.PolicyStatement[];
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Encrypts the log group and the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  /** Its log group, if the caller makes it (with the environment's key policy for CloudWatch Logs). */
  readonly logGroup?: logs.LogGroup;
  /** The security group of the VPC's interface endpoints, if any: the function is let in on 443. */
  readonly endpointSecurityGroup?: ec2.ISecurityGroup;
  /** At most this many run at once. */
  readonly reservedConcurrentExecutions: number;
}

/** The parts of a provider function. */
export interface ProviderFunction {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;
  readonly deadLetterQueue: sqs.Queue;
}

/**
 * Creates a provider function's parts in `scope` (construct ids LogGroup, DeadLetterQueue,
 * SecurityGroup, Role, Function).
 */
export function createProviderFunction(scope: Construct, props: ProviderFunctionProps): ProviderFunction {
  const logGroup = props.logGroup ?? new logs.LogGroup(scope, 'LogGroup', {
    retention: props.logRetention,
    encryptionKey: props.encryptionKey,
    removalPolicy: RemovalPolicy.RETAIN,
  });

  const deadLetterQueue = new sqs.Queue(scope, 'DeadLetterQueue', {
    encryption: sqs.QueueEncryption.KMS,
    encryptionMasterKey: props.encryptionKey,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    // AWS Control Tower CT.SQS.PR.1: a queue without a redrive policy says which queues may use
    // it as a dead-letter queue. None does (it is the function's, for asynchronous invocations).
    redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
  });
  acknowledge(deadLetterQueue, [{
    id: 'AwsSolutions-SQS3',
    reason: `This queue is the dead-letter queue of the ${props.name} function (DeadLetterConfig of AWS::Lambda::Function), which cdk-nag does not recognize; a dead-letter queue of a dead-letter queue would hold nothing.`,
  }]);

  const securityGroup = new ec2.SecurityGroup(scope, 'SecurityGroup', {
    vpc: props.vpc,
    description: props.securityGroupDescription,
    allowAllOutbound: false,
  });
  securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), props.egressDescription);
  if (props.endpointSecurityGroup) {
    props.endpointSecurityGroup.addIngressRule(securityGroup, ec2.Port.tcp(443), props.title);
  }

  const role = new iam.Role(scope, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.title,
  });
  role.addToPolicy(new iam.PolicyStatement({
    sid: 'Logs',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [logGroup.logGroupArn],
  }));
  // What Lambda needs to attach a function to a VPC; these EC2 actions are allowed on '*'
  // (DescribeNetworkInterfaces only works so, the others are checked by Lambda on '*').
  // https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions
  role.addToPolicy(new iam.PolicyStatement({
    sid: 'VpcNetworkInterfaces',
    actions: [
      'ec2:CreateNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ],
    resources: ['*'],
  }));
  for (const statement of props.statements) role.addToPolicy(statement);
  const fn = providerFunction(scope, props, { logGroup, deadLetterQueue, securityGroup, role });
  return { logGroup, deadLetterQueue, securityGroup, role, function: fn };
}

function providerFunction(scope: Construct, props: ProviderFunctionProps,
  parts: { logGroup: logs.LogGroup; deadLetterQueue: sqs.Queue; securityGroup: ec2.SecurityGroup; role: iam.Role }): lambda.Function {
  // Lambda sends failed asynchronous invocations to the encrypted dead-letter queue with the
  // function's role (sqs:SendMessage is added by lambda.Function).
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
  parts.role.addToPolicy(new iam.PolicyStatement({
    sid: 'DeadLetterQueueKey',
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    resources: [props.encryptionKey.keyArn],
  }));
  const fn = new lambda.Function(scope, 'Function', {
    description: props.description,
    code: lambda.Code.fromAsset(PROVIDERS_ASSET),
    handler: `${props.handlerModule}.handler`,
    runtime: lambda.Runtime.NODEJS_24_X,
    role: parts.role,
    logGroup: parts.logGroup,
    vpc: props.vpc,
    vpcSubnets: props.vpcSubnets,
    securityGroups: [parts.securityGroup],
    reservedConcurrentExecutions: props.reservedConcurrentExecutions,
    deadLetterQueue: parts.deadLetterQueue,
    tracing: lambda.Tracing.ACTIVE,
    timeout: Duration.seconds(60),
    memorySize: 256,
  });
  // The function must not exist before its policy: Lambda checks the ENI permissions on creation.
  fn.node.addDependency(parts.role);
  return fn;
}
