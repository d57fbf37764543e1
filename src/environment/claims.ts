import {
  CustomResource,
  Stack,
  Token,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { environmentNameProblem } from './environment-document';
import { acknowledge, nagString, nistAndHipaa } from '../private/acknowledge';
import { createProviderFunction } from '../private/provider-function';
import { Problems, checkInt, known, show } from '../private/validation';

/**
 * Deploy-time claims on a shared environment: listener rule priorities on its shared listener
 * and Cloud Map service names, held as SSM parameters under `CLAIMS_PATH(environmentName)` by a
 * custom resource (assets/providers/claims.js), so that apps synthesized apart never collide.
 *
 * Not exported from the package: the environment and the services use it.
 */

const CLASS = 'ClaimProvider';

/** Letters, digits, `_`, `.`, `-`: what a level of an SSM parameter name may hold. */
const NAME_LEVEL = /^[A-Za-z0-9_.-]{1,128}$/;

/**
 * The first priority a service of another app than the environment's gets when it asks for
 * none: the environment's own app takes priorities below it at synthesis, so the two ranges
 * never meet unless a priority is given.
 * @internal
 */
export const TEAM_APP_FIRST_PRIORITY = 10000;

/**
 * Names the service `scope` in claims and in the messages of refused claims: its construct path
 * and its stack's name.
 * @internal
 */
export function claimOwner(scope: IConstruct): string {
  const stack = Stack.of(scope);
  const stackName = Token.isUnresolved(stack.stackName) ? stack.node.path : stack.stackName;
  return `${scope.node.path} (stack ${stackName})`;
}

/**
 * The group of the claims made through `environment` in this app: the construct path of the
 * environment (or of its import) and its stack's name. Overlapping rules of one group are not
 * reported at deploy time (the app's synthesis compares them, and their priorities order them
 * on purpose); those of two groups are.
 * @internal
 */
export function claimGroup(environment: IConstruct): string {
  return `app of ${claimOwner(environment)}`;
}

/**
 * The SSM path under which the claims of an environment live.
 * @internal
 */
export function CLAIMS_PATH(environmentName: string): string {
  return `/cdk-microservices/${environmentName}/claims`;
}

/**
 * Properties of a `ClaimProvider`.
 * @internal
 */
export interface ClaimProviderProps {
  /** The environment's name: the claims live under `CLAIMS_PATH(environmentName)`. */
  readonly environmentName: string;
  /** The VPC the function runs in. */
  readonly vpc: ec2.IVpc;
  /** The subnets the function runs in (with a route to SSM and S3: NAT or VPC endpoints). */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Encrypts the function's log group and dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** How long the function's log group keeps events. */
  readonly logRetention: logs.RetentionDays;
  /**
   * The security group of the VPC's interface endpoints (SSM): the function is let in on 443.
   *
   * @default - none; the function reaches SSM through a NAT gateway or an endpoint open to it
   */
  readonly endpointSecurityGroup?: ec2.ISecurityGroup;
}

/**
 * The Lambda function that answers claims custom resources, in the environment's stack. Team
 * stacks create `AWS::CloudFormation::CustomResource`s whose ServiceToken is `serviceToken`.
 * @internal
 */
export class ClaimProvider extends Construct {
  /** The function's ARN: the ServiceToken of claims. */
  public readonly serviceToken: string;
  /** The function. */
  public readonly function: lambda.Function;
  /** The function's security group (egress 443 only). */
  public readonly securityGroup: ec2.SecurityGroup;
  /** The function's execution role. */
  public readonly role: iam.Role;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The queue of invocations that failed every attempt. */
  public readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: ClaimProviderProps) {
    super(scope, id);
    const problems = Problems.ofConstruction(CLASS, this);
    problems.addAll([environmentNameProblem('environmentName', props.environmentName)]);
    problems.throwIfAny();

    const stack = Stack.of(this);
    const env = props.environmentName;

    const parameterArn = (name: string) => `arn:${stack.partition}:ssm:${stack.region}:${stack.account}:parameter${name}`;
    const claimsArn = parameterArn(`${CLAIMS_PATH(env)}/*`);
    // GetParametersByPath is authorized on the path's own ARN.
    const listArn = parameterArn(`${CLAIMS_PATH(env)}/listener-priority`);
    const provider = createProviderFunction(this, {
      handlerModule: 'claims',
      name: 'claim provider',
      title: `Claim provider of ${this.node.path}`,
      description: `Claims listener rule priorities and Cloud Map service names of environment ${env} (cdk-microservices)`,
      securityGroupDescription: `Claim provider of ${this.node.path}: HTTPS to SSM and to the CloudFormation response URL only`,
      egressDescription: 'HTTPS to SSM and the CloudFormation response URL (S3)',
      statements: [
        new iam.PolicyStatement({ sid: 'Claims', actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:DeleteParameter'], resources: [claimsArn] }),
        new iam.PolicyStatement({ sid: 'ListListenerClaims', actions: ['ssm:GetParametersByPath'], resources: [listArn] }),
      ],
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      encryptionKey: props.encryptionKey,
      logRetention: props.logRetention,
      endpointSecurityGroup: props.endpointSecurityGroup,
      reservedConcurrentExecutions: 2,
    });
    this.logGroup = provider.logGroup;
    this.deadLetterQueue = provider.deadLetterQueue;
    this.securityGroup = provider.securityGroup;
    this.role = provider.role;
    this.function = provider.function;
    this.serviceToken = this.function.functionArn;

    acknowledge(this.role, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Only actions without resource-level scoping get \'*\': the EC2 network interface actions Lambda needs to attach the function to the VPC (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions) and xray:PutTraceSegments/PutTelemetryRecords for active tracing.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${nagString(stack, claimsArn)}]`,
        reason: `The claims are parameters created at deploy time under ${CLAIMS_PATH(env)}/ (one per priority or service name); the wildcard is limited to that path of this environment.`,
      },
      ...nistAndHipaa('IAMNoInlinePolicy', 'The claim provider role has one policy, scoped to its own log group, queue, key and claims path; a managed policy would add no reuse.'),
    ]);
  }
}

/**
 * Options of a listener priority claim.
 * @internal
 */
export interface ListenerPriorityClaimOptions {
  readonly serviceToken: string;
  readonly environmentName: string;
  readonly listenerArn: string;
  /** Names the service: its construct path and stack name. */
  readonly owner: string;
  readonly hosts: string[];
  readonly paths: string[];
  /** A priority asked for (1 to 50000); without it the lowest free one is claimed. */
  readonly priority?: number;
  /**
   * Where the search for a free priority starts (without `priority`).
   * @default 1
   */
  readonly firstPriority?: number;
  /**
   * The group of the claim (`claimGroup`): overlapping rules of one group are not reported.
   * @default - none: every other owner's overlapping rule is reported
   */
  readonly group?: string;
}

/**
 * A custom resource claiming a listener rule priority on the environment's shared listener;
 * `priority` is the claimed number (a token).
 * @internal
 */
export function listenerPriorityClaim(scope: Construct, id: string, o: ListenerPriorityClaimOptions): { resource: CustomResource; priority: number } {
  Problems.throwAll(CLASS, scope, [
    environmentNameProblem('environmentName', o.environmentName),
    checkInt('routePriority', o.priority, 1, 50000),
    checkInt('firstPriority', o.firstPriority, 1, 50000),
  ]);
  const resource = new CustomResource(scope, id, {
    serviceToken: o.serviceToken,
    properties: {
      Kind: 'ListenerPriority',
      EnvironmentName: o.environmentName,
      ListenerArn: o.listenerArn,
      Owner: o.owner,
      Hosts: o.hosts,
      Paths: o.paths,
      ...(o.priority !== undefined ? { Priority: Token.isUnresolved(o.priority) ? o.priority : String(o.priority) } : {}),
      ...(o.firstPriority !== undefined ? { FirstPriority: String(o.firstPriority) } : {}),
      ...(o.group !== undefined ? { Group: o.group } : {}),
    },
  });
  return { resource, priority: Token.asNumber(resource.getAtt('Priority')) };
}

/**
 * Options of a Cloud Map service name claim.
 * @internal
 */
export interface ServiceNameClaimOptions {
  readonly serviceToken: string;
  readonly environmentName: string;
  readonly namespaceId: string;
  readonly name: string;
  /** Names the service: its construct path and stack name. */
  readonly owner: string;
}

/**
 * A custom resource claiming a Cloud Map service name in the environment.
 * @internal
 */
export function serviceNameClaim(scope: Construct, id: string, o: ServiceNameClaimOptions): CustomResource {
  Problems.throwAll(CLASS, scope, [
    environmentNameProblem('environmentName', o.environmentName),
    known(o.name) && !NAME_LEVEL.test(o.name) ? `\`serviceName\` ${show(o.name)} cannot be claimed; use 1 to 128 letters, digits, '_', '.' or '-'` : undefined,
  ]);
  return new CustomResource(scope, id, {
    serviceToken: o.serviceToken,
    properties: {
      Kind: 'ServiceName',
      EnvironmentName: o.environmentName,
      NamespaceId: o.namespaceId,
      Name: o.name,
      Owner: o.owner,
    },
  });
}
