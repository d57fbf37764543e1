'use strict';
/**
 * The claim provider of cdk-microservices: a CloudFormation custom resource that claims, for one
 * service of one CDK app, a listener rule priority on an environment's shared load balancer
 * listener or a Cloud Map service name, so that apps synthesized apart never collide.
 *
 * A claim is an SSM String parameter under /cdk-microservices/<environment>/claims/, created
 * with PutParameter Overwrite false: of two writers of one name, the second gets
 * ParameterAlreadyExists (atomic).
 *
 * The function answers CloudFormation itself: it PUTs the response to the pre-signed
 * event.ResponseURL (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html).
 * Every error becomes a FAILED response: a function that crashed would leave the stack waiting.
 *
 * Plain CommonJS, no dependency but @aws-sdk/client-ssm, which the Lambda Node.js runtime holds.
 */
const { errorName, failedResponse, lambdaHandler } = require('./response');

/** Parameter Store standard tier: a value of at most 4 KB (4096 characters). */
const MAX_VALUE_BYTES = 4096;
/** PutParameter Description: at most 1024 characters. */
const MAX_DESCRIPTION = 1024;
/** ALB listener rule priorities: 1 to 50000. */
const MIN_PRIORITY = 1;
const MAX_PRIORITY = 50000;
/** How many free numbers a Create without Priority tries when others take them meanwhile. */
const MAX_ATTEMPTS = 10;
/** Names we put in a parameter name: Parameter Store allows a-zA-Z0-9_.- in a level. */
const NAME_LEVEL = /^[A-Za-z0-9_.-]{1,128}$/;

const KINDS = ['ListenerPriority', 'ServiceName'];

/** An input the claim refuses: the message goes to CloudFormation as the Reason. */
class ClaimError extends Error {}

function claimsPath(environmentName) {
  return `/cdk-microservices/${environmentName}/claims`;
}

function listenerPath(environmentName) {
  return `${claimsPath(environmentName)}/listener-priority`;
}

function serviceNamePath(environmentName) {
  return `${claimsPath(environmentName)}/service-name`;
}

/** Whether a physical id is a claim parameter name this function may manage. */
function isClaimName(id) {
  return typeof id === 'string' && /^\/cdk-microservices\/[A-Za-z0-9_.-]+\/claims\/(listener-priority|service-name)\/[A-Za-z0-9_.-]+$/.test(id);
}

// ---------------------------------------------------------------------------------------------
// Properties

function str(props, key, required = true) {
  const value = props[key];
  if (value === undefined || value === null || value === '') {
    if (required) throw new ClaimError(`property ${key} is missing`);
    return undefined;
  }
  if (typeof value !== 'string') throw new ClaimError(`property ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function list(props, key) {
  const value = props[key];
  if (value === undefined || value === null || value === '') return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.length === 0)) {
    throw new ClaimError(`property ${key} must be a list of non-empty strings, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** CloudFormation passes every scalar property as a string: "12" is the priority 12. */
function priorityOf(props, key = 'Priority') {
  const value = props[key];
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : /^\d+$/.test(String(value)) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < MIN_PRIORITY || n > MAX_PRIORITY) {
    throw new ClaimError(`property ${key} ${JSON.stringify(value)} is not a listener rule priority; use a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY}`);
  }
  return n;
}

function level(value, what) {
  if (!NAME_LEVEL.test(value)) throw new ClaimError(`${what} ${JSON.stringify(value)} cannot be part of a parameter name; use 1 to 128 letters, digits, '_', '.' or '-'`);
  return value;
}

/** The claim the properties ask for: its kind, parameter name (or none yet), and value fields. */
function readClaim(props) {
  const kind = str(props, 'Kind');
  if (!KINDS.includes(kind)) throw new ClaimError(`property Kind ${JSON.stringify(kind)} is not one of ${KINDS.join(', ')}`);
  const environmentName = level(str(props, 'EnvironmentName'), 'EnvironmentName');
  const owner = str(props, 'Owner');
  if (kind === 'ListenerPriority') {
    const priority = priorityOf(props);
    return {
      kind,
      environmentName,
      owner,
      listenerArn: str(props, 'ListenerArn'),
      hosts: list(props, 'Hosts'),
      paths: list(props, 'Paths'),
      priority,
      firstPriority: priorityOf(props, 'FirstPriority') || MIN_PRIORITY,
      group: str(props, 'Group', false),
      name: priority === undefined ? undefined : `${listenerPath(environmentName)}/${priority}`,
    };
  }
  const serviceName = level(str(props, 'Name'), 'Name');
  return {
    kind,
    environmentName,
    owner,
    namespaceId: str(props, 'NamespaceId'),
    serviceName,
    name: `${serviceNamePath(environmentName)}/${serviceName}`,
  };
}

/** Whether the properties that choose the parameter are the same (then an Update is in place). */
function sameParameter(a, b) {
  return a.kind === b.kind && a.environmentName === b.environmentName
    && (a.kind === 'ListenerPriority'
      ? a.listenerArn === b.listenerArn && a.priority === b.priority
      : a.serviceName === b.serviceName);
}

function valueOf(claim, event) {
  const common = { owner: claim.owner, stackId: event.StackId, logicalResourceId: event.LogicalResourceId };
  const value = claim.kind === 'ListenerPriority'
    ? { ...common, group: claim.group, listenerArn: claim.listenerArn, hosts: claim.hosts, paths: claim.paths, requestId: event.RequestId }
    : { ...common, namespaceId: claim.namespaceId, name: claim.serviceName, requestId: event.RequestId };
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_VALUE_BYTES) {
    throw new ClaimError(`the claim of ${claim.owner} would take ${bytes} bytes, more than the ${MAX_VALUE_BYTES} a standard SSM parameter holds; `
      + 'use fewer or shorter host and path conditions (a listener rule takes at most 5 condition values anyway)');
  }
  return text;
}

function descriptionOf(claim) {
  const text = claim.kind === 'ListenerPriority'
    ? `cdk-microservices claim: listener rule priority of ${claim.owner}`
    : `cdk-microservices claim: Cloud Map service name ${claim.serviceName} of ${claim.owner}`;
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 3)}...` : text;
}

function parseValue(text) {
  try {
    const v = JSON.parse(text);
    return v !== null && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

/** Whether a claim's value was written by this very resource (same stack, same logical id). */
function heldBy(value, event) {
  return value.stackId === event.StackId && value.logicalResourceId === event.LogicalResourceId;
}

function describeOwner(value) {
  const stack = typeof value.stackId === 'string' ? value.stackId : 'an unknown stack';
  return `${value.owner ?? 'an unknown owner'} (stack ${stack}, resource ${value.logicalResourceId ?? '?'})`;
}

// ---------------------------------------------------------------------------------------------
// Host and path patterns of ALB listener rules

/**
 * Whether some string matches both patterns. Patterns use `*` (any run of characters, also
 * none) and `?` (exactly one character), as ALB host-header and path-pattern conditions do:
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html
 * A walk over the pair of positions (the product of the two patterns' automata), memoized;
 * every step advances in one pattern at least, so it ends.
 */
function patternsIntersect(a, b) {
  const seen = new Map();
  const walk = (i, j) => {
    const key = i * (b.length + 1) + j;
    if (seen.has(key)) return seen.get(key);
    let result;
    if (i === a.length && j === b.length) result = true;
    else if (i < a.length && a[i] === '*') result = walk(i + 1, j) || (j < b.length && walk(i, j + 1));
    else if (j < b.length && b[j] === '*') result = walk(i, j + 1) || (i < a.length && walk(i + 1, j));
    else if (i === a.length || j === b.length) result = false;
    else result = (a[i] === '?' || b[j] === '?' || a[i] === b[j]) && walk(i + 1, j + 1);
    seen.set(key, result);
    return result;
  };
  return walk(0, 0);
}

/** Whether two sets of patterns admit a common value; an empty set is no condition (any value). */
function conditionsOverlap(as, bs, caseInsensitive) {
  if (as.length === 0 || bs.length === 0) return true;
  const norm = (p) => (caseInsensitive ? p.toLowerCase() : p);
  return as.some((a) => bs.some((b) => patternsIntersect(norm(a), norm(b))));
}

/** Whether some request could match two rules: their hosts and their paths both overlap. */
function rulesOverlap(a, b) {
  return conditionsOverlap(a.hosts, b.hosts, true) && conditionsOverlap(a.paths, b.paths, false);
}

function describeConditions(c) {
  const hosts = c.hosts.length > 0 ? `hosts ${c.hosts.join(', ')}` : 'any host';
  const paths = c.paths.length > 0 ? `paths ${c.paths.join(', ')}` : 'any path';
  return `${hosts} and ${paths}`;
}

// ---------------------------------------------------------------------------------------------
// SSM

async function getClaim(ssm, cmd, name) {
  try {
    const out = await ssm.send(new cmd.GetParameterCommand({ Name: name }));
    return out && out.Parameter ? parseValue(out.Parameter.Value) : {};
  } catch (e) {
    if (errorName(e) === 'ParameterNotFound') return undefined;
    throw e;
  }
}

/** Puts a parameter; true when written, false when Overwrite is false and the name is taken. */
async function putClaim(ssm, cmd, name, value, description, overwrite) {
  try {
    await ssm.send(new cmd.PutParameterCommand({
      Name: name, Value: value, Type: 'String', Overwrite: overwrite, Tier: 'Standard', Description: description,
    }));
    return true;
  } catch (e) {
    if (!overwrite && errorName(e) === 'ParameterAlreadyExists') return false;
    throw e;
  }
}

/** Every listener priority claim of the environment: [{ name, priority, value }]. */
async function listListenerClaims(ssm, cmd, environmentName) {
  const claims = [];
  let token;
  let pages = 0;
  do {
    const input = { Path: listenerPath(environmentName), Recursive: false, MaxResults: 10 };
    if (token) input.NextToken = token;
    const out = (await ssm.send(new cmd.GetParametersByPathCommand(input))) || {};
    for (const p of out.Parameters || []) {
      const match = /\/(\d+)$/.exec(p.Name || '');
      if (match) claims.push({ name: p.Name, priority: Number(match[1]), value: parseValue(p.Value) });
    }
    token = out.NextToken;
    pages++;
    if (pages > 10000) throw new Error('GetParametersByPath did not stop paging');
  } while (token);
  return claims;
}

// ---------------------------------------------------------------------------------------------
// Claims

/**
 * Fails when another owner's rule on the same listener could match a request this one matches.
 * Rules of one group (one app: its synthesis already compares them, and their priorities order
 * them on purpose) are not compared.
 */
function checkOverlap(claim, claims, exceptName) {
  for (const other of claims) {
    if (other.name === exceptName) continue;
    const v = other.value;
    if (v.owner === claim.owner || v.listenerArn !== claim.listenerArn) continue;
    if (claim.group !== undefined && v.group === claim.group) continue;
    const theirs = { hosts: Array.isArray(v.hosts) ? v.hosts : [], paths: Array.isArray(v.paths) ? v.paths : [] };
    if (rulesOverlap(claim, theirs)) {
      throw new ClaimError(`the listener rule of ${claim.owner} (${describeConditions(claim)}) overlaps the rule of `
        + `${describeOwner(v)} (${describeConditions(theirs)}, priority ${other.priority}) on listener ${claim.listenerArn}: `
        + 'some requests would match both, and the rule with the lower priority would take them. '
        + 'Give the services host or path conditions no request matches both of (for example distinct host names or path prefixes); '
        + `\`aws ssm get-parameter --name ${other.name}\` shows the other claim.`);
    }
  }
}

/**
 * Claims a priority, then looks again: another app's deployment may have claimed an
 * overlapping rule between this one's check and its put. Of two such puts, the later one's
 * second look always sees the earlier, so at least one of them fails (both, if their looks
 * cross; deploying again then settles it).
 */
async function claimListenerPriority(ssm, cmd, claim, event, exceptName) {
  const result = await putListenerPriority(ssm, cmd, claim, event, exceptName);
  try {
    checkOverlap(claim, await listListenerClaims(ssm, cmd, claim.environmentName), result.id);
  } catch (e) {
    if (!(e instanceof ClaimError)) throw e;
    await remove(ssm, cmd, { ...event, PhysicalResourceId: result.id });
    throw new ClaimError(`${e.message} (The other rule was claimed while this deployment claimed its own: deploy again once the other deployment ended.)`);
  }
  return result;
}

async function putListenerPriority(ssm, cmd, claim, event, exceptName) {
  const claims = await listListenerClaims(ssm, cmd, claim.environmentName);
  checkOverlap(claim, claims, exceptName);
  const value = valueOf(claim, event);
  const description = descriptionOf(claim);
  if (claim.priority !== undefined) {
    const name = claim.name;
    if (await putClaim(ssm, cmd, name, value, description, false)) return { id: name, priority: claim.priority };
    const holder = await getClaim(ssm, cmd, name);
    if (holder && heldBy(holder, event)) {
      await putClaim(ssm, cmd, name, value, description, true);
      return { id: name, priority: claim.priority };
    }
    if (holder === undefined) {
      // deleted between our two calls: try once more
      if (await putClaim(ssm, cmd, name, value, description, false)) return { id: name, priority: claim.priority };
    }
    throw new ClaimError(`listener rule priority ${claim.priority} is held by ${describeOwner(holder || {})}, `
      + `so ${claim.owner} cannot have it. Remove \`routePriority\` to get a free priority, or choose another one; `
      + `\`aws ssm get-parameter --name ${name}\` shows the holder.`);
  }
  // A retried invocation of this very request may have claimed a number already.
  const mine = claims.find((c) => heldBy(c.value, event) && c.value.requestId === event.RequestId && c.value.listenerArn === claim.listenerArn);
  if (mine) return { id: mine.name, priority: mine.priority };
  const taken = new Set(claims.map((c) => c.priority));
  let n = claim.firstPriority;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    while (taken.has(n)) n++;
    if (n > MAX_PRIORITY) break;
    const name = `${listenerPath(claim.environmentName)}/${n}`;
    if (await putClaim(ssm, cmd, name, value, description, false)) return { id: name, priority: n };
    taken.add(n); // another deployment took it meanwhile
  }
  throw new ClaimError(n > MAX_PRIORITY
    ? `no listener rule priority from ${claim.firstPriority} to ${MAX_PRIORITY} is free in environment ${claim.environmentName}; delete services you no longer use`
    : `${MAX_ATTEMPTS} free listener rule priorities were taken by other deployments while ${claim.owner} tried to claim one; deploy again`);
}

async function claimServiceName(ssm, cmd, claim, event) {
  const value = valueOf(claim, event);
  const description = descriptionOf(claim);
  if (await putClaim(ssm, cmd, claim.name, value, description, false)) return { id: claim.name };
  const holder = await getClaim(ssm, cmd, claim.name);
  if (holder && heldBy(holder, event)) {
    await putClaim(ssm, cmd, claim.name, value, description, true);
    return { id: claim.name };
  }
  if (holder === undefined && await putClaim(ssm, cmd, claim.name, value, description, false)) return { id: claim.name };
  throw new ClaimError(`the Cloud Map service name ${claim.serviceName} in environment ${claim.environmentName} is held by `
    + `${describeOwner(holder || {})}, so ${claim.owner} cannot have it. Give the service another \`serviceName\`; `
    + `\`aws ssm get-parameter --name ${claim.name}\` shows the holder.`);
}

async function create(ssm, cmd, claim, event) {
  if (claim.kind === 'ListenerPriority') {
    const r = await claimListenerPriority(ssm, cmd, claim, event);
    return { PhysicalResourceId: r.id, Data: { Priority: r.priority } };
  }
  const r = await claimServiceName(ssm, cmd, claim, event);
  return { PhysicalResourceId: r.id, Data: { Name: claim.serviceName } };
}

async function update(ssm, cmd, claim, event) {
  let old;
  try {
    old = readClaim(event.OldResourceProperties || {});
  } catch {
    old = undefined;
  }
  const id = event.PhysicalResourceId;
  if (!old || !isClaimName(id) || !sameParameter(claim, old)) return create(ssm, cmd, claim, event);
  // In place: the parameter stays, its value follows the new properties.
  const value = valueOf(claim, event);
  const description = descriptionOf(claim);
  const priority = claim.kind === 'ListenerPriority' ? Number(/\/(\d+)$/.exec(id)[1]) : undefined;
  if (claim.kind === 'ListenerPriority') {
    const claims = await listListenerClaims(ssm, cmd, claim.environmentName);
    checkOverlap(claim, claims, id);
  }
  const holder = await getClaim(ssm, cmd, id);
  if (holder && heldBy(holder, event)) {
    await putClaim(ssm, cmd, id, value, description, true);
  } else if (holder !== undefined || !(await putClaim(ssm, cmd, id, value, description, false))) {
    const again = holder || (await getClaim(ssm, cmd, id)) || {};
    throw new ClaimError(`the claim ${id} of ${claim.owner} is now held by ${describeOwner(again)}; `
      + (claim.kind === 'ListenerPriority' ? 'remove `routePriority` to get a free priority, or choose another one' : 'give the service another `serviceName`')
      + `; \`aws ssm get-parameter --name ${id}\` shows the holder.`);
  }
  return {
    PhysicalResourceId: id,
    Data: claim.kind === 'ListenerPriority' ? { Priority: priority } : { Name: claim.serviceName },
  };
}

async function remove(ssm, cmd, event) {
  const id = event.PhysicalResourceId;
  // A Create that failed answered with a physical id that is no claim: nothing to delete.
  if (!isClaimName(id)) return { PhysicalResourceId: id };
  const holder = await getClaim(ssm, cmd, id);
  if (holder && heldBy(holder, event)) {
    try {
      await ssm.send(new cmd.DeleteParameterCommand({ Name: id }));
    } catch (e) {
      if (errorName(e) !== 'ParameterNotFound') throw e;
    }
  }
  return { PhysicalResourceId: id };
}

/** The physical id of a resource whose Create failed: not a claim name, so its Delete deletes nothing. */
function failedId(event) {
  return `claim-not-made-${event.LogicalResourceId || 'resource'}-${event.RequestId || ''}`.slice(0, 1024);
}

/**
 * The response to one CloudFormation request, with an SSM client (`ssm.send(command)`). Never
 * throws: every error is a FAILED response naming it.
 */
async function handle(event, ssm, commands) {
  const cmd = commands || require('@aws-sdk/client-ssm');
  const base = {
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  };
  try {
    let result;
    if (event.RequestType === 'Delete') {
      result = await remove(ssm, cmd, event);
    } else {
      const claim = readClaim(event.ResourceProperties || {});
      if (event.RequestType === 'Create') result = await create(ssm, cmd, claim, event);
      else if (event.RequestType === 'Update') result = await update(ssm, cmd, claim, event);
      else throw new ClaimError(`RequestType ${JSON.stringify(event.RequestType)} is not Create, Update or Delete`);
    }
    return { Status: 'SUCCESS', ...base, PhysicalResourceId: result.PhysicalResourceId, Data: result.Data || {} };
  } catch (e) {
    return failedResponse(event, e, e instanceof ClaimError, failedId);
  }
}

let client;

/** The Lambda entry point. */
const handler = lambdaHandler(async (event) => {
  if (!client) {
    const { SSMClient } = require('@aws-sdk/client-ssm');
    client = new SSMClient({});
  }
  return handle(event, client);
}, failedId, 'claim provider');

module.exports = {
  handler,
  handle,
  patternsIntersect,
  conditionsOverlap,
  rulesOverlap,
  MAX_VALUE_BYTES,
};
