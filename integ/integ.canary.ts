/**
 * A canary deployment of nginx: two slots behind internal load balancers (plain HTTP: a test
 * account has no certificate), weighted alias records in a private hosted zone, and the
 * rollout state machine.
 *
 * The assertions check the records as deployed (blue 100, green 0), start a rollout of another
 * nginx image in two steps (50%, 100%) and wait for the execution to succeed; then Route 53
 * holds the moved weights (green 100, blue 0), and the state table says green is live and the
 * rollout SUCCEEDED; a second start with the same rollout id is a no-op that succeeds without
 * touching anything (the weights stay). The deployment's live state recorded the template's image
 * on both slots and blue 100 / green 0 in the table first; the rollout records green's image and
 * the moved weights there (what a later deploy reads); the operator parameter names the state
 * machine and the table for `npx cdk-microservices rollout`.
 *
 * They do not check the 50% step while it lasts (a poll could miss it), nor a rollback: that
 * needs a failing image or an alarm forced during the rollout.
 */
import { AwsApiCall, ExpectedResult, IApiCall, Match } from '@aws-cdk/integ-tests-alpha';
import {
  Duration,
  RemovalPolicies,
  Stack,
  aws_dynamodb as dynamodb,
  aws_ecs as ecs,
  aws_route53 as route53,
} from 'aws-cdk-lib';
import { CanaryDeployment, CanaryStep, MicroserviceEnvironment, StageProfile } from '../src';
import { accessLogsBucketOf, exactly, integApp, integTest } from './common';

const app = integApp();

// ELB access logging needs a concrete region (for the log delivery principal).
const env = { region: 'us-east-1' };
const stack = new Stack(app, 'IntegCanaryStack', { env });
const assertionStack = new Stack(app, 'IntegCanaryAssertions', { env });

const accessLogsBucket = accessLogsBucketOf(stack);

const environment = new MicroserviceEnvironment(stack, 'Env', {
  stageProfile: StageProfile.DEVELOPMENT,
  maxAzs: 2,
  natGateways: 1,
  accessLogsBucket,
});
const zone = new route53.PrivateHostedZone(stack, 'Zone', { zoneName: 'integ-canary.internal', vpc: environment.vpc });

/** The image both slots run until the first rollout. */
const IMAGE_NAME = 'public.ecr.aws/nginx/nginx:stable';
const canary = new CanaryDeployment(stack, 'Web', {
  serviceProps: {
    environment,
    image: ecs.ContainerImage.fromRegistry(IMAGE_NAME),
    port: 80,
    healthCheckPath: '/',
    // nginx writes to /var/cache and /var/run.
    readonlyRootFilesystem: false,
    minTasks: 1,
    maxTasks: 1,
  },
  hostedZone: zone,
  recordName: 'web',
  internetFacing: false,
  allowPlainHttp: true,
  loadBalancerDeletionProtection: false,
  steps: [CanaryStep.weight(50, Duration.minutes(2)), CanaryStep.weight(100, Duration.minutes(2))],
  healthTimeout: Duration.minutes(15),
});

// Everything the test creates goes away with the stack (the state table included).
RemovalPolicies.of(stack).destroy();
(canary.table.node.defaultChild as dynamodb.CfnTable).deletionProtectionEnabled = false;

const integ = integTest(app, 'CanaryTest', stack, assertionStack);

// The state table is encrypted with the environment's key: reading it needs kms:Decrypt.
const keyUsers = new Set<unknown>();
function readable(call: IApiCall): IApiCall {
  const waiter = call instanceof AwsApiCall ? call.waiterProvider : undefined;
  for (const provider of [call.provider, waiter]) {
    if (!provider || keyUsers.has(provider.handlerRoleArn)) continue;
    keyUsers.add(provider.handlerRoleArn);
    provider.addToRolePolicy({ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [environment.encryptionKey.keyArn] });
  }
  return call;
}

const ROLLOUT = 'integ-canary-1';
const NEW_IMAGE = 'public.ecr.aws/nginx/nginx:stable-alpine';

function startRollout(): IApiCall {
  return integ.assertions.awsApiCall('StepFunctions', 'startExecution', {
    stateMachineArn: canary.stateMachine.stateMachineArn,
    input: JSON.stringify({ image: NEW_IMAGE, rolloutId: ROLLOUT }),
  });
}

/** Waits until the execution `started` succeeded (at a path: the whole answer holds the state, over 4 KB). */
function succeeded(started: IApiCall): IApiCall {
  return integ.assertions
    .awsApiCall('StepFunctions', 'describeExecution', { executionArn: started.getAttString('executionArn') })
    .assertAtPath('status', exactly('SUCCEEDED'))
    .waitForAssertions({ totalTimeout: Duration.minutes(45), interval: Duration.seconds(30) });
}

function item(pk: string, path: string, value: string): IApiCall {
  return readable(integ.assertions
    .awsApiCall('DynamoDB', 'getItem', { TableName: canary.table.tableName, Key: { pk: { S: pk } }, ConsistentRead: true })
    .assertAtPath(path, exactly(value)));
}

/**
 * The slot's weighted record has `value`. The whole answer (two alias records, under 1 KB), not
 * a path: the assertion handler reads a 0 at a path as missing. The records of one name and
 * type are listed together, so the first two from the name and type A are the two slots
 * (https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html).
 */
function weight(slot: 'blue' | 'green', value: number): IApiCall {
  return integ.assertions
    .awsApiCall('Route53', 'listResourceRecordSets', {
      HostedZoneId: zone.hostedZoneId,
      StartRecordName: `${canary.domainName}.`,
      StartRecordType: 'A',
      MaxItems: 2,
    })
    .expect(ExpectedResult.objectLike({
      ResourceRecordSets: Match.arrayWith([Match.objectLike({ Name: `${canary.domainName}.`, Type: 'A', SetIdentifier: slot, Weight: value })]),
    }));
}

/** The operator parameter (`npx cdk-microservices rollout --canary <name>`) names the state machine. */
function operatorParameter(): IApiCall {
  return integ.assertions
    .awsApiCall('SSM', 'getParameter', { Name: canary.operatorParameter.parameterName })
    .expect(ExpectedResult.objectLike({ Parameter: { Name: canary.operatorParameter.parameterName, Type: 'String' } }));
}

// 0. As deployed, blue takes all the traffic, and the live state recorded it.
const before = weight('blue', 100);
// 1. A rollout to green succeeds: the weights moved to green, green is live, the rollout is
// recorded, the lock is free.
const first = startRollout();
const second = startRollout();
before
  .next(weight('green', 0))
  .next(item('service', 'Item.blueWeight.N', '100'))
  .next(item('service', 'Item.greenImage.S', IMAGE_NAME))
  .next(operatorParameter())
  .next(first)
  .next(succeeded(first))
  .next(weight('green', 100))
  .next(weight('blue', 0))
  .next(item('service', 'Item.liveSlot.S', 'green'))
  .next(item(`rollout#${ROLLOUT}`, 'Item.status.S', 'SUCCEEDED'))
  .next(item('service', 'Item.liveImage.S', NEW_IMAGE))
  .next(item('service', 'Item.greenImage.S', NEW_IMAGE))
  .next(item('service', 'Item.greenWeight.N', '100'))
  // 2. The same rollout id again: a no-op that succeeds; green stays live.
  .next(second)
  .next(succeeded(second))
  .next(item('service', 'Item.liveSlot.S', 'green'))
  .next(weight('green', 100));

app.synth();
