import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { aws_ecs as ecs, aws_route53 as route53 } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Json, checkAnswer, checkCall } from '../contract/aws-models';
import { Item, applyUpdate, evaluateCondition } from './harness/dynamodb-expressions';
import {
  NEW_IMAGE, Synthesized, World, resolveTokens, rolloutInput, runRollout, substitute, synthesizeCanary,
} from './rollout-harness';

/**
 * The proof that a deployment never undoes a rollout (issue 17): a rollout to green runs in the
 * local execution of the synthesized state machine, then a configuration change is synthesized,
 * and what CloudFormation would deploy is worked out from the two templates the way
 * CloudFormation does it:
 *
 * - a resource is updated when its properties (tokens resolved) differ from the deployed ones;
 * - the live state (`Custom::CanaryLiveState`) is a custom resource: on Update, CloudFormation
 *   invokes its function, and its attributes (`Fn::GetAtt`) are the `Data` that Update answered;
 *   otherwise they stay those of its last Create or Update
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-requesttypes-update.html);
 * - its function is the real handler (assets/providers/canary-live-state.js), reading the table the
 *   rollout wrote (every DynamoDB call it makes is checked against the DynamoDB API model).
 *
 * The deployed task definitions must keep green's (released) image live, blue's as it was, and
 * the records 0/100. The same pipeline over a template built the old way (the template's image
 * and weights written in) reports the revert: the assertion can fail.
 */
interface LiveStateResponse {
  Status: string;
  Reason?: string;
  Data?: Json;
}
interface LiveStateModule {
  handle(event: Json, clients: { dynamodb: { send(command: unknown): Promise<Json> }; now?: () => number }): Promise<LiveStateResponse>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const liveState = require('../../assets/providers/canary-live-state.js') as LiveStateModule;

/** The handler's DynamoDB, backed by the world's table: GetItem and UpdateItem as DynamoDB does them. */
function tableOf(world: World, calls: string[]) {
  return {
    async send(command: unknown): Promise<Json> {
      const input = (command as { input: Json }).input;
      const action = command instanceof GetItemCommand ? 'GetItem' : command instanceof UpdateItemCommand ? 'UpdateItem' : undefined;
      if (!action) throw new Error(`unexpected command ${(command as object).constructor.name}`);
      const problems = checkCall({ kind: 'api', service: 'dynamodb', action, params: input, where: `live state ${action}` });
      if (problems.length > 0) throw new Error(problems.join('; '));
      calls.push(action);
      expect(input.TableName).toBe(TABLE);
      const pk = input.Key.pk.S as string;
      let answer: Json;
      if (action === 'GetItem') {
        const item = world.items.get(pk);
        answer = item ? { Item: JSON.parse(JSON.stringify(item)) } : {};
      } else {
        const scope = {
          names: input.ExpressionAttributeNames ?? {},
          values: input.ExpressionAttributeValues ?? {},
          fail: (m: string): never => {
            throw new Error(m);
          },
        };
        const current: Item = world.items.get(pk) ?? { pk: { S: pk } };
        if (input.ConditionExpression && !evaluateCondition(input.ConditionExpression, current, scope)) {
          throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
        }
        const updated = applyUpdate(input.UpdateExpression, JSON.parse(JSON.stringify(current)), scope);
        world.items.set(pk, updated);
        answer = input.ReturnValues === 'ALL_NEW' ? { Attributes: JSON.parse(JSON.stringify(updated)) } : {};
      }
      expect(checkAnswer({ kind: 'api', service: 'dynamodb', action, params: input, where: `live state ${action}` }, answer)).toEqual([]);
      return answer;
    },
  };
}

/** The deployed properties of a resource, tokens resolved to placeholders. */
function propertiesOf(template: Template, logicalId: string): Json {
  return resolveTokens((template.toJSON().Resources[logicalId] as Json).Properties);
}

/** What a slot runs and weighs once a deployment of `synth` is done, given the live state's attributes. */
interface Deployed {
  image: string;
  releaseId: string;
  weight: string;
}

/**
 * CloudFormation's part of a deployment of `next` over `deployed` (whose live state answered
 * `attributes`): the live state is updated (its function runs against the world's table) when its
 * properties changed; then the slots' task definitions and records are what `next` declares, with
 * the live state's attributes in place. Returns what each slot deploys and whether each resource
 * is updated at all.
 */
async function deploy(world: World, deployed: Synthesized, attributes: { [placeholder: string]: string }, next: Synthesized) {
  const calls: string[] = [];
  const liveChanged = JSON.stringify(propertiesOf(deployed.template, deployed.liveStateId))
    !== JSON.stringify(propertiesOf(next.template, next.liveStateId));
  let values = attributes;
  if (liveChanged) {
    const response = await liveState.handle({
      RequestType: 'Update',
      ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
      StackId: 'arn:aws:cloudformation:us-east-1:111111111111:stack/Test/1',
      RequestId: 'r',
      LogicalResourceId: next.liveStateId,
      PhysicalResourceId: `${TABLE}/live-state`,
      ResourceType: 'Custom::CanaryLiveState',
      // The table's name as CloudFormation resolves its Ref.
      ResourceProperties: substitute(propertiesOf(next.template, next.liveStateId), { [next.tableName]: TABLE }),
      OldResourceProperties: substitute(propertiesOf(deployed.template, deployed.liveStateId), { [deployed.tableName]: TABLE }),
    }, { dynamodb: tableOf(world, calls) });
    expect(response.Reason).toBeUndefined();
    expect(response.Status).toBe('SUCCESS');
    values = {};
    for (const [name, value] of Object.entries(response.Data as { [k: string]: string })) values[`ATT:${next.liveStateId}.${name}`] = value;
  }
  const slot = (name: 'blue' | 'green'): Deployed & { taskDefinitionUpdated: boolean; recordUpdated: boolean } => {
    const s = next[name];
    const before = substitute(deployed[name].taskDefinition, {});
    const after = substitute(propertiesOf(next.template, s.taskDefinitionArn.slice(4)), values);
    const record = substitute(propertiesOf(next.template, recordIdOf(next, name)), values);
    const app = after.ContainerDefinitions[next.appContainerIndex];
    // Updated when the properties differ from the deployed ones, the live state's attributes as they were.
    const declaredTaskDefinition = substitute(propertiesOf(next.template, s.taskDefinitionArn.slice(4)), attributes);
    const declaredRecord = substitute(propertiesOf(next.template, recordIdOf(next, name)), attributes);
    return {
      image: app.Image,
      releaseId: app.Environment.find((v: Json) => v.Name === 'RELEASE_ID').Value,
      weight: String(record.Weight),
      taskDefinitionUpdated: JSON.stringify(before) !== JSON.stringify(declaredTaskDefinition),
      recordUpdated: JSON.stringify(deployed[name].record) !== JSON.stringify(declaredRecord),
    };
  };
  return { liveChanged, calls, values, blue: slot('blue'), green: slot('green') };
}

function recordIdOf(synth: Synthesized, slot: 'blue' | 'green'): string {
  const record = slot === 'blue' ? synth.canary.blueRecord : synth.canary.greenRecord;
  return synth.stack.resolve((record.node.defaultChild as route53.CfnRecordSet).logicalId);
}

/** The state table's name, as CloudFormation would have named it. */
const TABLE = 'Test-CanaryState319B71DA-1A2B3C4D5E6F';

const plain = synthesizeCanary();
const changed = synthesizeCanary({ config: { FEATURE_FLAGS: 'signup-v2' } });
const TEMPLATE_IMAGE = plain.firstDeployment[`ATT:${plain.liveStateId}.BlueImage`];

async function rolloutToGreen(): Promise<World> {
  const world = new World(plain);
  const run = await runRollout(world, rolloutInput('r1'));
  expect(run.status).toBe('SUCCEEDED');
  expect(world.weights).toEqual({ blue: 0, green: 100 });
  return world;
}

describe('a deployment after a rollout keeps what is live', () => {
  test('the rollout records what it made live: green runs the release, the weights 0/100', async () => {
    const world = await rolloutToGreen();
    expect(world.item('service')).toMatchObject({ liveSlot: 'green', greenImage: NEW_IMAGE, blueWeight: 0, greenWeight: 100 });
    // Blue's image was never recorded: the live state's first read records the template's.
    expect(world.item('service').blueImage).toBeUndefined();
  });

  test('a configuration change deploys green\'s released image on green, blue\'s on blue, and the weights 0/100', async () => {
    expect(TEMPLATE_IMAGE).not.toBe(NEW_IMAGE);
    const world = await rolloutToGreen();
    const result = await deploy(world, plain, plain.firstDeployment, changed);

    // The configuration changed the task definitions, so the live state is updated first and reads the table.
    expect(result.liveChanged).toBe(true);
    expect(result.calls).toEqual(['GetItem', 'UpdateItem']);
    expect([result.green.image, result.green.releaseId, result.green.weight]).toEqual([NEW_IMAGE, NEW_IMAGE, '100']);
    expect([result.blue.image, result.blue.releaseId, result.blue.weight]).toEqual([TEMPLATE_IMAGE, TEMPLATE_IMAGE, '0']);
    // Both task definitions are updated (the change reaches both slots), each with its own image.
    expect([result.blue.taskDefinitionUpdated, result.green.taskDefinitionUpdated]).toEqual([true, true]);
    // The change itself is there.
    const green = substitute(propertiesOf(changed.template, changed.green.taskDefinitionArn.slice(4)), result.values);
    expect(green.ContainerDefinitions[changed.appContainerIndex].Environment).toContainEqual({ Name: 'FEATURE_FLAGS', Value: 'signup-v2' });
    // And the next rollout starts from the deployed state: blue is now recorded too.
    expect(world.item('service')).toMatchObject({ blueImage: TEMPLATE_IMAGE, greenImage: NEW_IMAGE, blueWeight: 0, greenWeight: 100 });
  });

  test('a deployment that changes nothing of the slots updates neither the live state nor them', async () => {
    const world = await rolloutToGreen();
    const again = synthesizeCanary({}, () => undefined);
    const result = await deploy(world, plain, plain.firstDeployment, again);
    expect(result.liveChanged).toBe(false);
    expect(result.calls).toEqual([]);
    for (const slot of [result.blue, result.green]) expect([slot.taskDefinitionUpdated, slot.recordUpdated]).toEqual([false, false]);
  });

  test('after a rolled-back rollout, a configuration change keeps blue live with its image and green at 0', async () => {
    const world = new World(plain);
    world.alarmTrigger = (context) => (context.weights.green >= 25 ? [plain.green.compositeAlarm] : []);
    const run = await runRollout(world, rolloutInput('r1'));
    expect(run.error).toBe('CanaryDeployment.RolledBack');
    const result = await deploy(world, plain, plain.firstDeployment, changed);
    expect([result.blue.image, result.blue.weight]).toEqual([TEMPLATE_IMAGE, '100']);
    // Green runs the release that was rolled back, with no traffic, as it did.
    expect([result.green.image, result.green.weight]).toEqual([NEW_IMAGE, '0']);
  });

  test('after a rollback whose record of the restored weights failed, a deployment still sends nothing to green', async () => {
    const world = new World(plain);
    world.alarmTrigger = (context) => (context.weights.green >= 25 ? [plain.green.compositeAlarm] : []);
    world.beforeCall = async (call) => {
      if (call.state !== 'RecordRestoredWeights') return;
      world.beforeCall = undefined;
      world.fail('dynamodb:updateItem', 7);
    };
    const run = await runRollout(world, rolloutInput('r1'));
    expect(run.error).toBe('CanaryDeployment.RolledBack');
    // The table still holds the 25% step's weights; Route 53 has 0/100.
    expect(world.item('service')).toMatchObject({ blueWeight: 75, greenWeight: 25 });
    expect(world.weights).toEqual({ blue: 100, green: 0 });
    const result = await deploy(world, plain, plain.firstDeployment, changed);
    expect([result.blue.weight, result.green.weight]).toEqual(['100', '0']);
  });

  test('the old design (the template\'s image and weights written in) fails the same check', async () => {
    const oldDesign = synthesizeCanary({ config: { FEATURE_FLAGS: 'signup-v2' } }, (canary) => {
      for (const [slot, weight] of [[canary.blue, 100], [canary.green, 0]] as const) {
        const taskDefinition = slot.taskDefinition.node.defaultChild as ecs.CfnTaskDefinition;
        taskDefinition.addPropertyOverride('ContainerDefinitions.0.Image', slot.container.imageName);
        slot.container.addEnvironment('RELEASE_ID', slot.container.imageName);
        const record = (slot === canary.blue ? canary.blueRecord : canary.greenRecord).node.defaultChild as route53.CfnRecordSet;
        record.addPropertyOverride('Weight', weight);
      }
    });
    const world = await rolloutToGreen();
    const result = await deploy(world, plain, plain.firstDeployment, oldDesign);
    expect([result.green.image, result.green.weight]).toEqual([TEMPLATE_IMAGE, '0']);
    expect(() => expect(result.green.image).toBe(NEW_IMAGE)).toThrow();
  });
});
