/**
 * EventBridge on the test bench: the event a PutEvents entry becomes on the default bus, and
 * whether an event pattern (as a rule's `EventPattern` in the template) matches it. The
 * matcher knows the parts of the pattern language our rules use (lists of exact values,
 * `prefix`, `exists`, nested objects) and refuses anything else, so that a rule using more
 * cannot pass by accident.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
import { Json } from './json';
import { ACCOUNT, REGION } from './synthesis';

/** The event EventBridge delivers for a PutEvents entry sent by this account. */
export function eventOf(entry: Json, id = 'event-1'): Json {
  return {
    'version': '0',
    id,
    'detail-type': entry.DetailType,
    'source': entry.Source,
    'account': ACCOUNT,
    'time': '2026-01-01T00:00:00Z',
    'region': REGION,
    'resources': entry.Resources ?? [],
    'detail': typeof entry.Detail === 'string' ? JSON.parse(entry.Detail) : entry.Detail,
  };
}

/** Whether `event` matches `pattern`: every field of the pattern matches the event's. */
export function matchesEventPattern(pattern: Json, event: Json): boolean {
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) throw new Error(`not an event pattern: ${JSON.stringify(pattern)}`);
  for (const [key, expected] of Object.entries(pattern as { [key: string]: Json })) {
    const value = event !== null && typeof event === 'object' ? event[key] : undefined;
    if (Array.isArray(expected)) {
      if (!expected.some((matcher) => matchesValue(matcher, value))) return false;
    } else if (expected !== null && typeof expected === 'object') {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || !matchesEventPattern(expected, value)) return false;
    } else {
      throw new Error(`pattern field ${key}: ${JSON.stringify(expected)} is neither a list of matchers nor an object`);
    }
  }
  return true;
}

function matchesValue(matcher: Json, value: Json): boolean {
  const values: Json[] = Array.isArray(value) ? value : [value];
  if (matcher !== null && typeof matcher === 'object') {
    const keys = Object.keys(matcher);
    if (keys.length === 1 && typeof matcher.prefix === 'string') return values.some((v) => typeof v === 'string' && v.startsWith(matcher.prefix));
    if (keys.length === 1 && typeof matcher.exists === 'boolean') return (value !== undefined && value !== null && typeof value !== 'object') === matcher.exists;
    throw new Error(`matcher ${JSON.stringify(matcher)} is not supported by this test matcher`);
  }
  return value !== undefined && values.some((v) => v === matcher);
}
