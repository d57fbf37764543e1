import { Token, aws_config as config } from 'aws-cdk-lib';
import { show } from './validation';

/** A resource type as AWS Config names it: `AWS::Service::Resource`. */
const CONFIG_RESOURCE_TYPE = /^AWS::[A-Za-z0-9]+::[A-Za-z0-9]+$/;

let known: Map<string, string> | undefined;

/**
 * The resource types AWS Config records, as aws-cdk-lib lists them (the static members of
 * `config.ResourceType`, about 390 in 2.257), keyed by their lower-case form to suggest the
 * right spelling. The list grows with aws-cdk-lib, a peer dependency.
 */
function knownTypes(): Map<string, string> {
  if (!known) {
    known = new Map();
    for (const name of Object.getOwnPropertyNames(config.ResourceType)) {
      const value = (config.ResourceType as unknown as Record<string, unknown>)[name];
      if (value instanceof config.ResourceType) known.set(value.complianceResourceType.toLowerCase(), value.complianceResourceType);
    }
  }
  return known;
}

/**
 * The problem when a value is not a resource type AWS Config records (tokens pass): not of the
 * form `AWS::Service::Resource`, or not among aws-cdk-lib's `config.ResourceType` members.
 */
export function resourceTypeProblem(prop: string, value: unknown): string | undefined {
  if (typeof value === 'string' && Token.isUnresolved(value)) return undefined;
  if (typeof value !== 'string' || !CONFIG_RESOURCE_TYPE.test(value)) {
    return `\`${prop}\` ${show(value)} is not a resource type; use the form AWS::Service::Resource, for example AWS::S3::Bucket`;
  }
  const types = knownTypes();
  if (types.get(value.toLowerCase()) === value) return undefined;
  const spelling = types.get(value.toLowerCase());
  const hint = spelling !== undefined
    ? `; did you mean '${spelling}'?`
    : '; see the resource types AWS Config supports (aws-cdk-lib\'s config.ResourceType lists them; upgrade aws-cdk-lib for types added since)';
  return `\`${prop}\` ${show(value)} is not a resource type AWS Config records${hint}`;
}
