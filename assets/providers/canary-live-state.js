'use strict';
/**
 * The live state of a canary deployment at deploy time: a CloudFormation custom resource
 * (`Custom::CanaryLiveState`, one per canary) that reads from the canary's DynamoDB state table
 * which image each slot runs and which weight each slot's record has, as the last rollout left
 * them, so that a deployment that changes a slot's task definition or a record keeps them
 * instead of putting the template's image and weights back. The slots' app containers take
 * their image from `Fn::GetAtt [<resource>, BlueImage|GreenImage]`, the records their weight
 * from `Fn::GetAtt [<resource>, BlueWeight|GreenWeight]`.
 *
 * The state is the item `{ pk: 'service' }` of the table: `liveSlot` (blue or green), the
 * slots' images `blueImage` and `greenImage` and weights `blueWeight` and `greenWeight` (N,
 * 0 to 255, as Route 53 takes them), and while a rollout runs its lock (`lockedBy`,
 * `lockedByExecution`, `lockedAt`). Tables of earlier versions hold only `liveSlot` and the
 * live slot's `liveImage`; an empty table nothing: the values missing are worked out (the live
 * slot 100 and the other 0; the live slot's image `liveImage`, else the template's
 * `InitialImage`) and recorded with `if_not_exists`, so a rollout that writes meanwhile wins,
 * and the answer is what the table holds after that write.
 *
 * A deployment while a rollout runs is refused (FAILED): it would put the values of a moment of
 * the rollout into the template's resources. A lock taken longer ago than the state machine's
 * TimeoutSeconds (`MaximumRolloutSeconds`) plus a minute cannot belong to a running execution
 * and is ignored.
 *
 * The function answers CloudFormation itself: it PUTs the response to the pre-signed
 * event.ResponseURL (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).
 * Every error becomes a FAILED response: a function that crashed would leave the stack waiting.
 *
 * DynamoDB actions: GetItem and UpdateItem on the table, nothing else.
 * Plain CommonJS, no dependency but @aws-sdk/client-dynamodb, which the Lambda Node.js runtime holds.
 */
const { MAX_RESPONSE_BYTES, errorName, failedResponse, lambdaHandler } = require('./response');

/** Route 53 weighted records: a weight is a whole number from 0 to 255. */
const MIN_WEIGHT = 0;
const MAX_WEIGHT = 255;
/** A lock taken this long after the state machine's timeout cannot belong to a running execution. */
const LOCK_GRACE_SECONDS = 60;
/** DynamoDB table names: 3 to 255 letters, digits, '_', '-' and '.'. */
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
/** An ISO 8601 time as Step Functions writes it ($$.State.EnteredTime). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const SLOTS = ['blue', 'green'];
const KEY = { pk: { S: 'service' } };

/** An input or a state the function refuses: the message goes to CloudFormation as the Reason. */
class LiveStateError extends Error {}

// ---------------------------------------------------------------------------------------------
// Properties

function str(props, key) {
  const value = props[key];
  if (value === undefined || value === null || value === '') throw new LiveStateError(`property ${key} is missing`);
  if (typeof value !== 'string') throw new LiveStateError(`property ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

/** CloudFormation passes every scalar property as a string: "3600" is 3600 seconds. */
function seconds(props, key) {
  const value = props[key];
  if (value === undefined || value === null || value === '') throw new LiveStateError(`property ${key} is missing`);
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new LiveStateError(`property ${key} ${JSON.stringify(value)} is not a number of seconds; use a whole number greater than 0`);
  }
  return n;
}

/** The properties the function reads (`Slots` only makes CloudFormation send an Update when the slots change). */
function readProps(props) {
  const tableName = str(props, 'TableName');
  if (!TABLE_NAME.test(tableName)) {
    throw new LiveStateError(`property TableName ${JSON.stringify(tableName)} is not a DynamoDB table name (3 to 255 letters, digits, '_', '-' or '.')`);
  }
  return {
    tableName,
    initialImage: str(props, 'InitialImage'),
    maximumRolloutSeconds: seconds(props, 'MaximumRolloutSeconds'),
    canaryName: str(props, 'CanaryName'),
  };
}

function physicalId(tableName) {
  return `${tableName}/live-state`;
}

// ---------------------------------------------------------------------------------------------
// The item

/** The item's attribute `name`, of DynamoDB type `type`, or undefined when the item has none. */
function attribute(item, name, type, table) {
  const value = item[name];
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || typeof value[type] !== 'string' || Object.keys(value).length !== 1) {
    throw new LiveStateError(`attribute ${name} of the item service of table ${table} is ${JSON.stringify(value)}, not a DynamoDB ${type} value`);
  }
  return value[type];
}

function slotOf(item, name, table) {
  const slot = attribute(item, name, 'S', table);
  if (slot !== undefined && !SLOTS.includes(slot)) {
    throw new LiveStateError(`attribute ${name} of the item service of table ${table} is ${JSON.stringify(slot)}, not blue or green`);
  }
  return slot;
}

function weightOf(item, name, table) {
  const text = attribute(item, name, 'N', table);
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < MIN_WEIGHT || n > MAX_WEIGHT) {
    throw new LiveStateError(`attribute ${name} of the item service of table ${table} is ${text}, not a Route 53 weight (a whole number from ${MIN_WEIGHT} to ${MAX_WEIGHT})`);
  }
  return String(n);
}

function imageOf(item, name, table) {
  const image = attribute(item, name, 'S', table);
  if (image !== undefined && image.trim() === '') {
    throw new LiveStateError(`attribute ${name} of the item service of table ${table} is an empty string, not an image`);
  }
  return image;
}

/**
 * The lock of the item, when it has one: `{ rolloutId, execution, lockedAt, at }` (`execution`
 * undefined for a lock of an earlier version of the state machine, which did not record it).
 */
function lockOf(item, table, canaryName) {
  const rolloutId = attribute(item, 'lockedBy', 'S', table);
  if (rolloutId === undefined) return undefined;
  const execution = attribute(item, 'lockedByExecution', 'S', table);
  const lockedAt = attribute(item, 'lockedAt', 'S', table);
  const at = lockedAt !== undefined && ISO_TIME.test(lockedAt) ? Date.parse(lockedAt) : NaN;
  if (Number.isNaN(at)) {
    throw new LiveStateError(`attribute lockedAt of the item service of table ${table} is ${JSON.stringify(lockedAt ?? null)}, not an ISO 8601 time; `
      + `rollout ${rolloutId} holds the lock, so whether it still runs is unknown. If it has ended, release its lock (\`npx cdk-microservices rollout abort --canary ${shellWord(canaryName)}\`), then deploy again`);
  }
  return { rolloutId, execution, lockedAt, at };
}

/** A word of a shell command, quoted when it needs to be. */
function shellWord(text) {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}

/** Refuses the deployment when the item holds a lock a running execution may hold. */
function refuseIfLocked(item, props, now) {
  const lock = lockOf(item, props.tableName, props.canaryName);
  if (!lock) return;
  const limitMs = (props.maximumRolloutSeconds + LOCK_GRACE_SECONDS) * 1000;
  if (now - lock.at >= limitMs) return; // the state machine has timed it out: a lock left behind
  const canary = shellWord(props.canaryName);
  const execution = lock.execution !== undefined ? `execution ${lock.execution}` : 'an execution the lock does not record';
  throw new LiveStateError(`Canary ${props.canaryName} cannot be deployed while rollout ${lock.rolloutId} runs (${execution}, lock taken at ${lock.lockedAt}): `
    + 'the deployment would set the slots\' images and weights while the rollout changes them. '
    + `Wait for the rollout to end (\`npx cdk-microservices rollout watch --canary ${canary}\`) `
    + `or abort it (\`npx cdk-microservices rollout abort --canary ${canary}\`; if that execution has already ended, this releases its lock), `
    + 'then deploy again.');
}

/**
 * The values the item lacks, worked out from what it has: `{ liveSlot, blueWeight, greenWeight,
 * blueImage, greenImage }` (weights as decimal strings).
 */
function fallbackValues(item, props) {
  const table = props.tableName;
  const liveSlot = slotOf(item, 'liveSlot', table) ?? 'blue';
  const liveImage = () => imageOf(item, 'liveImage', table);
  const values = { liveSlot };
  for (const slot of SLOTS) {
    values[`${slot}Weight`] = weightOf(item, `${slot}Weight`, table) ?? (slot === liveSlot ? '100' : '0');
    values[`${slot}Image`] = imageOf(item, `${slot}Image`, table) ?? (slot === liveSlot ? liveImage() : undefined) ?? props.initialImage;
  }
  return values;
}

/**
 * The Data of the answer, from the item as the table holds it after the write. The weights of a
 * canary at rest (no lock) are always its live slot's 100 and the other's 0: every rollout ends
 * so (a promotion's last step sets the new slot to 100, a rollback the live slot), so they are
 * taken from `liveSlot`, not from the recorded weights, which a rollback whose record failed may
 * have left behind. A lock still held here is one a rollout left when it ended (a younger one
 * was refused): the recorded weights are then the last ones it set.
 */
function dataOf(item, table) {
  const need = (value, name) => {
    if (value === undefined) throw new LiveStateError(`attribute ${name} of the item service of table ${table} is missing after it was written`);
    return value;
  };
  const liveSlot = need(slotOf(item, 'liveSlot', table), 'liveSlot');
  const held = attribute(item, 'lockedBy', 'S', table) !== undefined;
  return {
    BlueImage: need(imageOf(item, 'blueImage', table), 'blueImage'),
    GreenImage: need(imageOf(item, 'greenImage', table), 'greenImage'),
    BlueWeight: held ? need(weightOf(item, 'blueWeight', table), 'blueWeight') : (liveSlot === 'blue' ? '100' : '0'),
    GreenWeight: held ? need(weightOf(item, 'greenWeight', table), 'greenWeight') : (liveSlot === 'green' ? '100' : '0'),
    LiveSlot: liveSlot,
  };
}

/**
 * The UpdateItem that records the values the item lacks: each attribute set only if it does not
 * exist (`if_not_exists`), so that a value a rollout wrote since the GetItem is kept. Every
 * placeholder is used once (DynamoDB refuses unused ExpressionAttributeValues).
 */
function recordInput(tableName, values) {
  const names = ['liveSlot', 'blueWeight', 'greenWeight', 'blueImage', 'greenImage'];
  const attributeValues = {};
  const sets = names.map((name) => {
    attributeValues[`:${name}`] = /Weight$/.test(name) ? { N: values[name] } : { S: values[name] };
    return `${name} = if_not_exists(${name}, :${name})`;
  });
  return {
    TableName: tableName,
    Key: KEY,
    UpdateExpression: `SET ${sets.join(', ')}`,
    ExpressionAttributeValues: attributeValues,
    ReturnValues: 'ALL_NEW',
  };
}

// ---------------------------------------------------------------------------------------------
// Requests

/** A DynamoDB call, its error told with the table and what was being done. */
async function call(dynamodb, command, what, table) {
  try {
    return (await dynamodb.send(command)) || {};
  } catch (e) {
    throw new LiveStateError(`${what} the item service of table ${table} failed: ${errorName(e) || 'Error'}: ${(e && e.message) || String(e)}`);
  }
}

async function read(clients, props) {
  const cmd = clients.commands || require('@aws-sdk/client-dynamodb');
  const now = clients.now ? clients.now() : Date.now();
  const got = await call(clients.dynamodb, new cmd.GetItemCommand({ TableName: props.tableName, Key: KEY, ConsistentRead: true }), 'reading', props.tableName);
  const item = got.Item || {};
  refuseIfLocked(item, props, now);
  const values = fallbackValues(item, props);
  const updated = await call(clients.dynamodb, new cmd.UpdateItemCommand(recordInput(props.tableName, values)), 'recording the live state in', props.tableName);
  const after = updated.Attributes || {};
  // A rollout that took the lock between the two calls: refused as well.
  refuseIfLocked(after, props, now);
  return dataOf(after, props.tableName);
}

/** The physical id of a resource whose Create failed (its Delete does nothing either way). */
function failedId(event) {
  return `live-state-not-read-${event.LogicalResourceId || 'resource'}-${event.RequestId || ''}`.slice(0, 1024);
}

/**
 * The response to one CloudFormation request, with `clients.dynamodb` (`send(command)`);
 * `clients.now` (milliseconds) and `clients.commands` (the command classes) for tests. Never
 * throws: every error is a FAILED response naming it.
 */
async function handle(event, clients) {
  const base = {
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
  try {
    let response;
    if (event.RequestType === 'Delete') {
      // The table is retained and its item is the history: nothing to delete.
      response = { Status: 'SUCCESS', ...base, PhysicalResourceId: event.PhysicalResourceId || failedId(event), Data: {} };
    } else if (event.RequestType === 'Create' || event.RequestType === 'Update') {
      const props = readProps(event.ResourceProperties || {});
      const data = await read(clients, props);
      const oldTable = event.OldResourceProperties && event.OldResourceProperties.TableName;
      const id = event.RequestType === 'Update' && oldTable === props.tableName && event.PhysicalResourceId
        ? event.PhysicalResourceId
        : physicalId(props.tableName);
      response = { Status: 'SUCCESS', ...base, PhysicalResourceId: id, Data: data };
      const bytes = Buffer.byteLength(JSON.stringify(response), 'utf8');
      if (bytes > MAX_RESPONSE_BYTES) {
        throw new LiveStateError(`the live state of canary ${props.canaryName} takes ${bytes} bytes in the response, more than the ${MAX_RESPONSE_BYTES} CloudFormation takes: `
          + `the images are ${data.BlueImage.length} and ${data.GreenImage.length} characters long`);
      }
    } else {
      throw new LiveStateError(`RequestType ${JSON.stringify(event.RequestType)} is not Create, Update or Delete`);
    }
    return response;
  } catch (e) {
    return failedResponse(event, e, e instanceof LiveStateError, failedId);
  }
}

let client;

/** The Lambda entry point. */
const handler = lambdaHandler(async (event) => {
  if (!client) {
    const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
    client = new DynamoDBClient({});
  }
  return handle(event, { dynamodb: client });
}, failedId, 'canary live state function');

module.exports = {
  handler,
  handle,
};
