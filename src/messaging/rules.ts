import { Token, aws_iam as iam, aws_sns as sns } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import type { EventTopicOptions } from './event-topic';
import { checkKinds, envVarPrefixProblem, Problems, show } from '../private/validation';

/** SNS limits on a subscription filter policy. */
export const FILTER_POLICY_MAX_KEYS = 5;
/** The most value combinations a filter policy may have. */
export const FILTER_POLICY_MAX_COMBINATIONS = 150;
/** The largest filter policy, in bytes of JSON. */
export const FILTER_POLICY_MAX_BYTES = 256 * 1024;

/** The largest name a topic of the bus may have, leaving room for the `.fifo` suffix. */
export const TOPIC_NAME_MAX = 251;

/**
 * The problem with a topic name of the bus, which names the topic's construct, its env var
 * and its subscription queues: SNS topic-name characters (letters, digits, hyphens,
 * underscores), 1 to 251 long, so that `.fifo` still fits SNS's 256, starting with a letter
 * so that the variable names it gives are valid.
 */
export function topicNameProblem(prop: string, name: unknown): string | undefined {
  if (typeof name !== 'string') return `\`${prop}\` ${show(name)} is not a string`;
  if (Token.isUnresolved(name)) return `\`${prop}\` must be known at synth time: it names constructs and environment variables`;
  if (!/^[A-Za-z][A-Za-z0-9_-]{0,250}$/.test(name)) {
    return `\`${prop}\` ${show(name)} is not valid; use 1 to ${TOPIC_NAME_MAX} letters, digits, hyphens and underscores, starting with a letter (it names the topic and the environment variables of its publishers and subscribers; the .fifo suffix of a FIFO topic is added for you)`;
  }
  if (Object.prototype.hasOwnProperty.call(Object.prototype, name)) {
    return `\`${prop}\` ${show(name)} is a reserved name; choose another`;
  }
  return undefined;
}

/** The problem with an explicit physical SNS topic name. */
export function physicalTopicNameProblem(name: string | undefined, fifo: boolean): string | undefined {
  if (name === undefined || Token.isUnresolved(name)) return undefined;
  const base = fifo ? name.replace(/\.fifo$/, '') : name;
  if (!/^[A-Za-z0-9_-]+$/.test(base) || name.length > 256) {
    return `\`topicName\` ${show(name)} is not a valid SNS topic name; use up to 256 letters, digits, hyphens and underscores${fifo ? ', ending in .fifo' : ''}`;
  }
  if (fifo && !name.endsWith('.fifo')) return `\`topicName\` ${show(name)} names a FIFO topic; end it with .fifo`;
  if (!fifo && name.endsWith('.fifo')) return `\`topicName\` ${show(name)} ends with .fifo, which SNS keeps for FIFO topics; set \`fifo: true\` or drop the suffix`;
  return undefined;
}

interface FilterShape {
  readonly keys: number;
  readonly combinations: number;
  readonly problems: string[];
}

function conditionsOf(value: unknown): unknown[] | undefined {
  if (value instanceof sns.SubscriptionFilter) return value.conditions;
  return undefined;
}

/** Checks one level of a filter policy: its keys and each key's conditions. */
function shape(prop: string, policy: unknown, depth: number, path: string): FilterShape {
  const problems: string[] = [];
  if (policy === null || typeof policy !== 'object' || Array.isArray(policy)) {
    return { keys: 0, combinations: 1, problems: [`\`${prop}\`${path} ${show(policy)} is not a map of attribute names to filters`] };
  }
  let keys = 0;
  let combinations = 1;
  for (const [key, value] of Object.entries(policy as { [k: string]: unknown })) {
    // Keys are counted at the leaves: a nested policy's own name is a path, not a key.
    if (!(value instanceof sns.Policy)) keys += 1;
    const where = `${path}.${key}`;
    if (key.length === 0) problems.push(`\`${prop}\` has an empty attribute name; name each attribute`);
    if (prop === 'filterPolicy') {
      const conditions = conditionsOf(value);
      if (!conditions) {
        problems.push(`\`${prop}\`${where} ${show(value)} is not an sns.SubscriptionFilter; use for example sns.SubscriptionFilter.stringFilter({ allowlist: ['a'] })`);
        continue;
      }
      if (conditions.length === 0) problems.push(`\`${prop}\`${where} has no condition, so it would match nothing; give it at least one`);
      combinations *= Math.max(conditions.length, 1);
    } else {
      const fp = value as sns.FilterOrPolicy;
      if (!(value instanceof sns.FilterOrPolicy)) {
        problems.push(`\`${prop}\`${where} ${show(value)} is not an sns.FilterOrPolicy; use sns.FilterOrPolicy.filter(...) or sns.FilterOrPolicy.policy({...})`);
        continue;
      }
      if (fp.isFilter()) {
        const conditions = conditionsOf((fp as sns.Filter).filterDoc);
        if (!conditions) {
          problems.push(`\`${prop}\`${where} holds no sns.SubscriptionFilter`);
          continue;
        }
        if (conditions.length === 0) problems.push(`\`${prop}\`${where} has no condition, so it would match nothing; give it at least one`);
        // SNS counts a nested filter's values once per level of nesting.
        combinations *= Math.max(conditions.length, 1) * depth;
      } else {
        const inner = shape(prop, (fp as sns.Policy).policyDoc, depth + 1, where);
        if (inner.keys === 0) problems.push(`\`${prop}\`${where} is an empty nested policy; give it at least one attribute`);
        keys += inner.keys;
        combinations *= inner.combinations;
        problems.push(...inner.problems);
      }
    }
  }
  if (keys === 0 && depth === 1) problems.push(`\`${prop}\` is empty; give at least one attribute or leave it unset`);
  return { keys, combinations, problems };
}

/**
 * The problems with a subscription's filter policies: SNS's limits (five keys, 150
 * combinations of values, 256 KB), malformed filters, and both scopes at once.
 * @see https://docs.aws.amazon.com/sns/latest/dg/subscription-filter-policy-constraints.html
 */
export function filterPolicyProblems(
  filterPolicy: unknown,
  filterPolicyWithMessageBody: unknown,
): string[] {
  const problems: string[] = [];
  if (filterPolicy !== undefined && filterPolicyWithMessageBody !== undefined) {
    return ['`filterPolicy` (message attributes) and `filterPolicyWithMessageBody` (message body) cannot both be set: SNS applies one filter policy scope per subscription'];
  }
  for (const [prop, policy] of [['filterPolicy', filterPolicy], ['filterPolicyWithMessageBody', filterPolicyWithMessageBody]] as const) {
    if (policy === undefined) continue;
    const s = shape(prop, policy, 1, '');
    problems.push(...s.problems);
    if (s.problems.length > 0) continue;
    if (s.keys > FILTER_POLICY_MAX_KEYS) {
      problems.push(`\`${prop}\` has ${s.keys} keys; SNS allows at most ${FILTER_POLICY_MAX_KEYS}`);
    }
    if (s.combinations > FILTER_POLICY_MAX_COMBINATIONS) {
      problems.push(`\`${prop}\` has ${s.combinations} combinations of values; SNS allows at most ${FILTER_POLICY_MAX_COMBINATIONS} (the product of the number of values of each key)`);
    }
    let bytes = 0;
    try {
      bytes = Buffer.byteLength(JSON.stringify(renderFilter(prop, policy)), 'utf8');
    } catch {
      bytes = 0;
    }
    if (bytes > FILTER_POLICY_MAX_BYTES) {
      problems.push(`\`${prop}\` is ${bytes} bytes of JSON; SNS allows at most ${FILTER_POLICY_MAX_BYTES}`);
    }
  }
  return problems;
}

/** The JSON SNS receives for a filter policy, for size checks and the summary. */
export function renderFilter(prop: string, policy: unknown): unknown {
  const out: { [k: string]: unknown } = {};
  for (const [key, value] of Object.entries(policy as { [k: string]: unknown })) {
    if (prop === 'filterPolicy') {
      out[key] = conditionsOf(value);
    } else {
      const fp = value as sns.FilterOrPolicy;
      out[key] = fp.isFilter() ? conditionsOf((fp as sns.Filter).filterDoc) : renderFilter(prop, (fp as sns.Policy).policyDoc);
    }
  }
  return out;
}

/** The problems of a topic's name and options, before anything is created. */
export function eventTopicOptionProblems(scope: IConstruct, name: unknown, options: EventTopicOptions): string[] {
  const problems: string[] = [];
  const nameProblem = topicNameProblem('name', name);
  if (nameProblem) problems.push(nameProblem);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    return [...problems, `\`options\` ${show(options)} is not an EventTopicOptions object`];
  }
  const p = new Problems('EventTopic', scope);
  const o = checkKinds(p, options, [['fifo', 'boolean'], ['contentBasedDeduplication', 'boolean'], ['topicName', 'string'], ['displayName', 'string']]);
  problems.push(...p.all);
  if (o.topic !== undefined && typeof (o.topic as sns.ITopic)?.topicArn !== 'string') {
    problems.push(`\`topic\` ${show(o.topic)} is not an sns.ITopic`);
    return problems;
  }
  const fifo = o.fifo ?? o.topic?.fifo ?? false;
  if (o.topic) {
    if (o.fifo !== undefined && o.topic.fifo !== o.fifo) {
      problems.push(`\`fifo\` ${o.fifo} contradicts \`topic\`, which is ${o.topic.fifo ? 'a FIFO' : 'a standard'} topic; leave \`fifo\` unset to follow the topic`);
    }
    for (const prop of ['contentBasedDeduplication', 'topicName', 'displayName'] as const) {
      if (o[prop] !== undefined) problems.push(`\`${prop}\` configures a topic the bus creates; it cannot change the \`topic\` you bring`);
    }
    if (o.topic instanceof sns.Topic && !o.topic.masterKey) {
      problems.push('`topic` is not encrypted; give it a customer-managed `masterKey` or let the bus create the topic');
    }
  }
  if (o.contentBasedDeduplication && !fifo) {
    problems.push('`contentBasedDeduplication` applies to FIFO topics only; set `fifo: true` or remove it');
  }
  const physical = physicalTopicNameProblem(o.topicName, fifo);
  if (physical) problems.push(physical);
  if (o.displayName !== undefined && !Token.isUnresolved(o.displayName) && o.displayName.length > 100) {
    problems.push(`\`displayName\` is ${o.displayName.length} characters; SNS allows at most 100`);
  }
  return problems;
}

/**
 * The topic actions a topic policy can name: the TLS-only statement of a topic refuses all
 * of them, not only `sns:Publish` as aws-cdk's `enforceSSL` does.
 */
export const TOPIC_ACTIONS = [
  'sns:Publish', 'sns:Subscribe', 'sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:AddPermission',
  'sns:RemovePermission', 'sns:DeleteTopic', 'sns:ListSubscriptionsByTopic',
];

/** The statement that refuses any request to a topic or queue made without TLS. */
export function tlsOnly(resource: string, actions: string[], sid = 'DenyRequestsWithoutTls'): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions,
    resources: [resource],
    conditions: { Bool: { 'aws:SecureTransport': 'false' } },
  });
}

/** The env var prefix from options, recording a problem when it is not valid. */
export function envVarPrefix(options: { readonly envVarPrefix?: string } | undefined, fallback: string, problems: string[]): string {
  const given = options?.envVarPrefix;
  if (given === undefined) return fallback;
  const problem = envVarPrefixProblem(given);
  if (problem) {
    problems.push(problem);
    return fallback;
  }
  return given;
}
