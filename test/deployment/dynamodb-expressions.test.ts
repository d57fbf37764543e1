/**
 * The DynamoDB expressions of the simulated world (harness/dynamodb-expressions.ts): what the
 * rollout's UpdateItem and PutItem calls are evaluated with. Each test pins one rule, so that a
 * wrong parser would let a wrong definition through, or refuse a right one.
 */
import { AttributeValue, ExpressionScope, Item, applyUpdate, checkAttributeValue, evaluateCondition, unmarshall } from './harness/dynamodb-expressions';

/** A scope with these placeholders whose `fail` throws the message. */
function scope(names: { [k: string]: string } = {}, values: { [k: string]: AttributeValue } = {}): ExpressionScope {
  return {
    names,
    values,
    fail: (message: string): never => {
      throw new Error(message);
    },
  };
}

const S = (s: string): AttributeValue => ({ S: s });
const N = (n: number): AttributeValue => ({ N: String(n) });
const L = (...items: AttributeValue[]): AttributeValue => ({ L: items });

/** An item with a key, a status and a list of steps. */
function item(): Item {
  return { pk: S('users'), status: S('IDLE'), steps: L(N(10)) };
}

describe('UpdateExpression', () => {
  test('SET #name = :value sets the attribute named by the placeholder and keeps the others', () => {
    const updated = applyUpdate('SET #s = :v', item(), scope({ '#s': 'status' }, { ':v': S('ROLLING') }));
    expect(updated).toEqual({ pk: S('users'), status: S('ROLLING'), steps: L(N(10)) });
  });

  test('SET with several actions, keywords in any case, and a plain attribute name', () => {
    const updated = applyUpdate('set #s = :v, rolloutId = :id', item(), scope({ '#s': 'status' }, { ':v': S('ROLLING'), ':id': S('r-1') }));
    expect(updated.status).toEqual(S('ROLLING'));
    expect(updated.rolloutId).toEqual(S('r-1'));
  });

  test('every operand of SET reads the item as it was before the update', () => {
    const updated = applyUpdate('SET #s = :v, #a = #s', item(), scope({ '#a': 'previous', '#s': 'status' }, { ':v': S('ROLLING') }));
    expect(updated.previous).toEqual(S('IDLE'));
    expect(updated.status).toEqual(S('ROLLING'));
  });

  test('SET copies the value: a later change of the placeholder does not reach the item', () => {
    const values = { ':v': L(N(1)) };
    const updated = applyUpdate('SET #l = :v', {}, scope({ '#l': 'steps' }, values));
    values[':v'].L.push(N(2));
    expect(updated.steps).toEqual(L(N(1)));
  });

  test('if_not_exists keeps an attribute that exists and takes the fallback for one that does not', () => {
    const s = scope({ '#s': 'status', '#c': 'count' }, { ':idle': S('NEW'), ':zero': N(0) });
    const updated = applyUpdate('SET #s = if_not_exists(#s, :idle), #c = if_not_exists(#c, :zero)', item(), s);
    expect(updated.status).toEqual(S('IDLE'));
    expect(updated.count).toEqual(N(0));
  });

  test('list_append appends the second list to the first, in order', () => {
    const updated = applyUpdate('SET #l = list_append(#l, :more)', item(), scope({ '#l': 'steps' }, { ':more': L(N(25), N(50)) }));
    expect(updated.steps).toEqual(L(N(10), N(25), N(50)));
  });

  test('list_append nests if_not_exists: the empty list stands in for a missing one', () => {
    const s = scope({ '#h': 'history' }, { ':empty': L(), ':one': L(S('a')) });
    const updated = applyUpdate('SET #h = list_append(if_not_exists(#h, :empty), :one)', item(), s);
    expect(updated.history).toEqual(L(S('a')));
  });

  test('list_append of something that is no list is refused', () => {
    expect(() => applyUpdate('SET #s = list_append(#s, :more)', item(), scope({ '#s': 'status' }, { ':more': L(N(1)) })))
      .toThrow('list_append needs two lists');
  });

  test('REMOVE deletes the attribute; SET and REMOVE combine in one expression', () => {
    const updated = applyUpdate('SET #s = :v REMOVE #l', item(), scope({ '#s': 'status', '#l': 'steps' }, { ':v': S('DONE') }));
    expect(updated).toEqual({ pk: S('users'), status: S('DONE') });
  });

  test('SET of an attribute that does not exist, as the value, is refused', () => {
    expect(() => applyUpdate('SET #a = #missing', item(), scope({ '#a': 'status', '#missing': 'nothing' })))
      .toThrow('the value for status refers to an attribute that does not exist');
  });

  test.each([
    ['SET #s = :v REMOVE #s', 'two document paths overlap: status'],
    ['SET #s = :v, #s = :v', 'two document paths overlap: status'],
    ['SET #s = :v SET #l = :v', 'the SET clause appears twice'],
    ['ADD #l :v', "unexpected 'ADD' (only SET and REMOVE are simulated)"],
    ['SET #x = :v', '#x is not in ExpressionAttributeNames'],
    ['SET #s = :nope', ':nope is not in ExpressionAttributeValues'],
    ['SET status = :v', 'attribute name status is a reserved word; use ExpressionAttributeNames'],
    ['SET #s.inner = :v', 'nested paths are not simulated'],
    ['SET #s = :v;', "cannot parse expression at ';'"],
    ['SET #s =', 'unexpected end of expression'],
    ['SET #s :v', "expected '=', got ':v'"],
    ['SET :v = #s', "expected an attribute name, got ':v'"],
  ])('%s is refused: %s', (expression, message) => {
    expect(() => applyUpdate(expression, item(), scope({ '#s': 'status', '#l': 'steps' }, { ':v': S('X') }))).toThrow(message);
  });
});

describe('ConditionExpression', () => {
  const names = { '#s': 'status', '#l': 'steps', '#r': 'rolloutId', '#x': 'missing' };
  const values = { ':idle': S('IDLE'), ':busy': S('ROLLING'), ':ten': N(10), ':tenText': S('10') };
  const holds = (expression: string, on: Item = item()) => evaluateCondition(expression, on, scope(names, values));

  test('attribute_exists and attribute_not_exists ask whether the item has the attribute', () => {
    expect(holds('attribute_exists(#s)')).toBe(true);
    expect(holds('attribute_exists(#x)')).toBe(false);
    expect(holds('attribute_not_exists(#x)')).toBe(true);
    expect(holds('attribute_not_exists(#s)')).toBe(false);
  });

  test('attribute_not_exists holds on a missing item (the world passes {})', () => {
    expect(holds('attribute_not_exists(#s)', {})).toBe(true);
  });

  test('= and <> compare a path with a value', () => {
    expect(holds('#s = :idle')).toBe(true);
    expect(holds('#s = :busy')).toBe(false);
    expect(holds('#s <> :busy')).toBe(true);
    expect(holds('#s <> :idle')).toBe(false);
    expect(holds(':idle = #s')).toBe(true);
  });

  test('= compares whole values: types count (N 10 is not S "10") and lists element by element', () => {
    const on = { ...item(), count: N(10) };
    const s = scope({ '#c': 'count', '#l': 'steps' }, { ':ten': N(10), ':tenText': S('10'), ':list': L(N(10)), ':other': L(N(25)) });
    expect(evaluateCondition('#c = :ten', on, s)).toBe(true);
    expect(evaluateCondition('#c = :tenText', on, s)).toBe(false);
    expect(evaluateCondition('#l = :list', on, s)).toBe(true);
    expect(evaluateCondition('#l = :other', on, s)).toBe(false);
  });

  test('a comparison with a missing attribute is false, for = and <> alike', () => {
    expect(holds('#x = :idle')).toBe(false);
    expect(holds('#x <> :idle')).toBe(false);
  });

  test('AND and OR', () => {
    expect(holds('#s = :idle AND attribute_exists(#l)')).toBe(true);
    expect(holds('#s = :idle AND attribute_exists(#x)')).toBe(false);
    expect(holds('#s = :busy OR attribute_exists(#l)')).toBe(true);
    expect(holds('#s = :busy OR attribute_exists(#x)')).toBe(false);
  });

  test('AND binds tighter than OR: a OR b AND c is a OR (b AND c)', () => {
    // true OR (false AND false) is true; (true OR false) AND false would be false.
    expect(holds('#s = :idle OR #s = :busy AND attribute_exists(#x)')).toBe(true);
    // (false AND true) OR true is true; false AND (true OR true) would be false.
    expect(holds('#s = :busy AND attribute_exists(#l) OR attribute_exists(#s)')).toBe(true);
  });

  test('NOT binds tighter than AND, and parentheses group', () => {
    // (NOT false) AND false is false; NOT (false AND false) would be true.
    expect(holds('NOT #s = :busy AND attribute_exists(#x)')).toBe(false);
    expect(holds('NOT (#s = :busy AND attribute_exists(#x))')).toBe(true);
    expect(holds('(#s = :idle OR #s = :busy) AND attribute_exists(#x)')).toBe(false);
    expect(holds('NOT NOT attribute_exists(#s)')).toBe(true);
  });

  test('keywords in any case', () => {
    expect(holds('not #s = :busy and attribute_exists(#s) or attribute_exists(#x)')).toBe(true);
  });

  test('the whole expression is checked: an error after a true OR is not skipped', () => {
    expect(() => holds('attribute_exists(#s) OR #s = :unknown')).toThrow(':unknown is not in ExpressionAttributeValues');
  });

  test.each([
    ['#s < :ten', 'comparison < not simulated'],
    ['#s BETWEEN :ten AND :ten', 'comparison BETWEEN not simulated'],
    ['attribute_exists(#s) #l', "unexpected '#l'"],
    ['(attribute_exists(#s)', 'unexpected end of expression'],
    ['attribute_exists #s', "expected '(', got '#s'"],
    ['attribute_exists(#nope)', '#nope is not in ExpressionAttributeNames'],
    ['#s = :nope', ':nope is not in ExpressionAttributeValues'],
    ['status = :idle', 'attribute name status is a reserved word; use ExpressionAttributeNames'],
    ['#s = :idle && attribute_exists(#l)', "cannot parse expression at ' && attribute_exists(#l)'"],
  ])('%s is refused: %s', (expression, message) => {
    expect(() => holds(expression)).toThrow(message);
  });

  test('a plain attribute name that is no reserved word needs no placeholder', () => {
    expect(evaluateCondition('attribute_exists(rolloutId)', { rolloutId: S('r-1') }, scope())).toBe(true);
  });
});

describe('attribute values', () => {
  const problems = (value: unknown): string[] => {
    const found: string[] = [];
    checkAttributeValue(value as AttributeValue, 'v', (m) => found.push(m));
    return found;
  };

  test('well-formed values of every simulated type pass', () => {
    for (const value of [S(''), N(-1.5), { N: '1e3' }, { BOOL: false }, { NULL: true }, L(), L(S('a'), L(N(1))), { M: { a: S('x'), b: { M: { c: N(2) } } } }]) {
      expect(problems(value)).toEqual([]);
    }
  });

  test.each([
    [{ S: 1 }, 'v: S 1 is not a string'],
    [{ N: 10 }, 'v: N 10 is not a number string'],
    [{ N: '1,5' }, 'v: N "1,5" is not a number string'],
    [{ BOOL: 'true' }, 'v: BOOL "true"'],
    [{ NULL: false }, 'v: NULL false'],
    [{ L: 'a' }, 'v: L is not a list'],
    [{ L: [S('a'), { S: 2 }] }, 'v[1]: S 2 is not a string'],
    [{ M: { a: { N: 'x' } } }, 'v.a: N "x" is not a number string'],
    [{ SS: ['a'] }, 'v: attribute type SS not simulated'],
    [{ S: 'a', N: '1' }, 'v: {"S":"a","N":"1"} is not one attribute value'],
    ['text', 'v: "text" is not one attribute value'],
  ])('%j is refused: %s', (value, message) => {
    expect(problems(value)).toEqual([message]);
  });

  test('unmarshall gives plain values: S and N as strings and numbers, L as arrays, M as objects', () => {
    expect(unmarshall({ M: { s: S('a'), n: N(2.5), b: { BOOL: true }, z: { NULL: true }, l: L(N(1), S('x')), m: { M: { k: N(0) } } } }))
      .toEqual({ s: 'a', n: 2.5, b: true, z: null, l: [1, 'x'], m: { k: 0 } });
    expect(() => unmarshall({ SS: ['a'] })).toThrow('unmarshall SS');
  });
});
