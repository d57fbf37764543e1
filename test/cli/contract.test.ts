import { PARAMETER_PREFIX } from '../../cli/canary';
import { CANARY_PARAMETER_PREFIX, canaryNameProblem } from '../../src/deployment/operator-contract';

/**
 * The command and the construct agree on where a canary is described: the command keeps its own
 * copy of the parameter prefix (cli/ is compiled apart from src/).
 */
test('the command reads the parameter the construct writes', () => {
  expect(PARAMETER_PREFIX).toBe(CANARY_PARAMETER_PREFIX);
});

test.each(['Users/users', 'prod/users.v2', 'a_b-c'])('a canary name the construct accepts: %s', (name) => {
  expect(canaryNameProblem(name)).toBeUndefined();
});

test.each(['', 'Users//users', 'a b', 'a/b/c/d/e/f', 'aws/x', 'x'.repeat(201)])('a canary name the construct refuses: %j', (name) => {
  expect(canaryNameProblem(name)).toMatch(/canaryName/);
});
