import { Token, aws_route53 as route53 } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * How an environment is named to people and tools (traces' `deployment.environment`, dashboards):
 * the name team apps look it up by (`environmentName`, the same in every app that shares it),
 * else its construct path.
 */
export function environmentName(environment: IConstruct): string {
  const name = (environment as { environmentName?: unknown }).environmentName;
  return typeof name === 'string' && !Token.isUnresolved(name) ? name : environment.node.path;
}

/** The words of an identifier: `UsersTable` and `users_table` both give `Users`/`users`, `Table`/`table`. */
export function words(id: string): string[] {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Upper snake case of a construct id: `UsersTable` -> `USERS_TABLE`. */
export function upperSnake(id: string): string {
  return words(id).join('_').toUpperCase();
}

/** A DNS name: labels of a-z, 0-9 and '-', separated by dots, at most 253 characters. */
export function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label));
}

/** A domain name of two labels or more (`billing.example.com`), not a single label. */
export function isDomainName(name: string): boolean {
  return name.includes('.') && isDnsName(name);
}

/** A DNS name in lower case without the final dot. */
export function normalDnsName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** A hosted zone's name, or undefined when it has none (a zone imported by id only throws on `zoneName`). */
export function zoneNameOf(zone: route53.IHostedZone): string | undefined {
  try {
    return typeof zone.zoneName === 'string' ? zone.zoneName : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An AWS Config rule name: 1 to 128 letters, digits, hyphens and underscores. The API takes
 * 1 to 128 characters with one that is not a space; we keep to the characters of our names.
 *
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRule.html
 */
export const CONFIG_RULE_NAME = /^[A-Za-z0-9_-]{1,128}$/;
