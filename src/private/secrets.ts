import { words } from './naming';

/**
 * Secret detection shared by `TwelveFactorService` (which refuses secret-looking plain
 * config) and `TwelveFactorChecks` (which reports it on any task definition).
 */

/**
 * Words in a variable name that mark a secret, anywhere in the name (`DB_PASSWORD1`,
 * `dbPassword`); `PASS` and `PWD` only as whole words (not `PASSENGER`, `BYPASS_CACHE`).
 */
export const SECRET_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|AUTH_?KEY|SIGNING_?KEY|ENCRYPTION_?KEY|SESSION_?KEY)|(^|_)(PASS|PWD)(_|$)/i;

/** Values that look like credentials, whatever the name, with what each one looks like. */
export const SECRET_VALUES: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a private key'],
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}\b/, 'a GitHub token'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\bsk_(live|test)_[A-Za-z0-9]{16,}/, 'a Stripe secret key'],
  [/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, 'a URL with a password'],
];

/**
 * CloudFormation dynamic references that CloudFormation replaces with a secret's value when
 * it deploys (`{{resolve:secretsmanager:...}}`, `{{resolve:ssm-secure:...}}`): in a plain
 * environment variable the secret ends up in clear text in the task definition.
 */
const SECRET_REFERENCE = /\{\{resolve:(secretsmanager|ssm-secure):/;

/** Whether a variable name looks like it holds a secret. */
export function looksSecretName(name: string): boolean {
  return SECRET_NAME.test(words(name).join('_'));
}

/**
 * What a known value looks like when it looks like a credential ('a private key', 'a URL
 * with a password'...), or undefined.
 */
export function secretValueKind(value: string): string | undefined {
  return SECRET_VALUES.find(([pattern]) => pattern.test(value))?.[1];
}

/** Whether a string holds a dynamic reference that resolves to a secret's value at deploy time. */
export function holdsSecretReference(value: string): boolean {
  return SECRET_REFERENCE.test(value);
}
