/**
 * What is live, read at deploy time: a custom resource (`Custom::CanaryLiveState`) whose function
 * (assets/providers/canary-live-state.js) reads the service item of the canary's state table, where
 * rollouts record the image each slot runs and each slot's weight (rollout-live-state.ts). The
 * slots' app containers take their image and RELEASE_ID from it, the records their weight: a
 * deployment that updates a task definition or a record writes what is live, never the
 * template's image or weights, so a `cdk deploy` never undoes a rollout.
 *
 * When CloudFormation reads it: a custom resource's attributes are those of its last Create or
 * Update, and CloudFormation updates it only when its properties change
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html).
 * Its properties therefore hold every other property of both task definitions and both records
 * (tokens included, so a replaced role or load balancer counts too): a deployment that changes
 * any of them updates it first (they depend on it), it reads the table, and the resources take
 * the values it read. A deployment that changes none of them updates none of them.
 *
 * Why not an SSM dynamic reference (`{{resolve:ssm:...}}`): CloudFormation resolves those when it
 * creates the change set ("To verify which version of an ssm dynamic reference will be used in a
 * stack operation, create a change set ... review the processed template",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-ssm.html), so
 * the parameter must exist before the stack's first deployment, and a rollout writing it between
 * the change set and its execution fails the deployment ("Parameters ... were updated before
 * values were used", github.com/aws/aws-cli/issues/6106).
 */
import {
  CfnResource, CustomResource, Lazy, Stack,
  aws_dynamodb as dynamodb,
  aws_ecs as ecs,
  aws_iam as iam,
  aws_route53 as route53,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { stateTableKeyStatement } from './rollout-role';
import type { IMicroserviceEnvironment } from '../environment/environment-interface';
import { createLogGroup } from '../environment/environment-support';
import { acknowledge, nistAndHipaa } from '../private/acknowledge';
import { createProviderFunction } from '../private/provider-function';
import { RESOURCE_ATTRIBUTES } from '../service/service-tracing';

/** A slot as the live state sees it. */
export interface LiveStateSlot {
  readonly taskDefinition: ecs.TaskDefinition;
  /** The app container (the one a rollout releases). */
  readonly container: ecs.ContainerDefinition;
  readonly record: route53.RecordSet;
}

/** What the live state of a canary reads and for what. */
export interface LiveStateProps {
  readonly environment: IMicroserviceEnvironment;
  readonly table: dynamodb.Table;
  /** The image of the template: each slot's until a rollout records one. */
  readonly initialImage: string;
  /** The canary's name, for the messages of a refused deployment. */
  readonly canaryName: string;
  /** The state machine's timeout: a lock younger than this may belong to a running rollout. */
  readonly maximumRolloutSeconds: number;
  readonly blue: LiveStateSlot;
  readonly green: LiveStateSlot;
}

const SLOTS = ['blue', 'green'] as const;
/** The app container's variables that take the live image (left out of the copy: they refer to it). */
const LIVE_VARIABLES = ['RELEASE_ID', RESOURCE_ATTRIBUTES];
const capitalized = (slot: string) => `${slot[0].toUpperCase()}${slot.slice(1)}`;

/** The live state of a canary: `Custom::CanaryLiveState` and its function. */
export class LiveState extends Construct {
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: LiveStateProps) {
    super(scope, id);
    const env = props.environment;
    const provider = createProviderFunction(this, {
      handlerModule: 'canary-live-state',
      name: 'canary live state',
      title: `Live state reader of ${scope.node.path}`,
      description: `Reads what the rollouts of ${scope.node.path} made live, for deployments (cdk-microservices)`.slice(0, 256),
      securityGroupDescription: `Live state reader of ${scope.node.path}: HTTPS to DynamoDB and to the CloudFormation response URL only`,
      egressDescription: 'HTTPS to DynamoDB and the CloudFormation response URL (S3)',
      statements: [
        new iam.PolicyStatement({ sid: 'ReadLiveState', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [props.table.tableArn] }),
        ...(props.table.encryptionKey ? [stateTableKeyStatement(this, props.table.encryptionKey)] : []),
      ],
      vpc: env.vpc,
      vpcSubnets: env.serviceSubnets,
      encryptionKey: env.encryptionKey,
      logRetention: env.logRetention,
      logGroup: createLogGroup(env, this, 'LogGroup'),
      reservedConcurrentExecutions: 1,
    });
    acknowledge(provider.role, [
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'Only actions without resource-level scoping get \'*\': the EC2 network interface actions Lambda needs to attach the function to the VPC (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions) and xray:PutTraceSegments/PutTelemetryRecords for active tracing.',
      },
      ...nistAndHipaa('IAMNoInlinePolicy', 'The live state reader role has one policy, scoped to its own log group, queue, key and the canary\'s state table; a managed policy would add no reuse.'),
    ]);

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.function.functionArn,
      resourceType: 'Custom::CanaryLiveState',
      properties: {
        TableName: props.table.tableName,
        InitialImage: props.initialImage,
        CanaryName: props.canaryName,
        MaximumRolloutSeconds: String(props.maximumRolloutSeconds),
        // Every other property of the slots' task definitions and records: any change of them
        // updates this resource first, which reads what is live again.
        Slots: Lazy.any({ produce: () => this.slotsConfiguration(props) }),
      },
    });

    for (const slot of SLOTS) {
      const s = props[slot];
      const taskDefinition = s.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
      const index = containerIndex(s);
      taskDefinition.addPropertyOverride(`ContainerDefinitions.${index}.Image`, this.image(slot));
      const record = s.record.node.defaultChild as route53.CfnRecordSet;
      record.addPropertyOverride('Weight', this.resource.getAtt(`${capitalized(slot)}Weight`));
    }
  }

  /** The image the slot runs, as last read (a token). */
  public image(slot: 'blue' | 'green'): string {
    return this.resource.getAttString(`${capitalized(slot)}Image`);
  }

  /** Both slots' task definitions and records as CloudFormation gets them, without what this resource gives them. */
  private slotsConfiguration(props: LiveStateProps): { [slot: string]: unknown } {
    const stack = Stack.of(this);
    const rendered = (resource: CfnResource): { [key: string]: any } => {
      // The resource as it goes in the template, overrides applied (CfnResource renders itself so).
      const cfn = (resource as unknown as { _toCloudFormation(): object })._toCloudFormation();
      const fragment = stack.resolve(cfn) as { Resources: { [id: string]: { Properties?: object } } };
      return JSON.parse(JSON.stringify(Object.values(fragment.Resources)[0].Properties ?? {}));
    };
    const out: { [slot: string]: unknown } = {};
    for (const slot of SLOTS) {
      const s = props[slot];
      const taskDefinition = rendered(s.taskDefinition.node.defaultChild as CfnResource);
      const app = taskDefinition.ContainerDefinitions?.[containerIndex(s)];
      if (app) {
        delete app.Image;
        app.Environment = (app.Environment ?? []).filter((v: { Name?: string }) => !LIVE_VARIABLES.includes(v.Name ?? ''));
      }
      const record = rendered(s.record.node.defaultChild as CfnResource);
      delete record.Weight;
      out[capitalized(slot)] = { TaskDefinition: taskDefinition, Record: record };
    }
    return out;
  }
}

/** The index of the app container among the task definition's containers. */
function containerIndex(s: LiveStateSlot): number {
  const containers = s.taskDefinition.node.children.filter((c): c is ecs.ContainerDefinition => c instanceof ecs.ContainerDefinition);
  return Math.max(0, containers.indexOf(s.container));
}
