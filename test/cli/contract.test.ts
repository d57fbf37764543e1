import { parameterName } from '../../cli/canary';
import { CANARY_PARAMETER_PREFIX, canaryNameProblem } from '../../src/deployment/operator-contract';

/**
 * The command and the construct agree on where a canary is described: the command bundles the
 * construct's definitions (src/deployment/operator-contract.ts).
 */
test('the command reads the parameter the construct writes', () => {
  expect(parameterName('Users/users')).toBe(`${CANARY_PARAMETER_PREFIX}Users/users`);
  expect(CANARY_PARAMETER_PREFIX).toBe('/cdk-microservices/canaries/');
});

test.each(['Users/users', 'prod/users.v2', 'a_b-c'])('a canary name the construct accepts: %s', (name) => {
  expect(canaryNameProblem(name)).toBeUndefined();
});

test.each(['', 'Users//users', 'a b', 'a/b/c/d/e/f', 'aws/x', 'x'.repeat(201)])('a canary name the construct refuses: %j', (name) => {
  expect(canaryNameProblem(name)).toMatch(/canaryName/);
});
