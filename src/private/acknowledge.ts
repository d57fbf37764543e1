import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One compliance finding this library accepts on purpose, with the reason. */
export interface Acknowledgement {
  /**
   * The rule id, for example `AwsSolutions-IAM5`; for a granular finding the rule id with
   * the finding in brackets, for example `AwsSolutions-IAM5[Resource::*]`.
   */
  readonly id: string;
  /** Why the finding is accepted: a sentence a reviewer would agree with. */
  readonly reason: string;
}

/** The same acknowledgement of a rule that the NIST 800-53 R5 and HIPAA packs both have. */
export function nistAndHipaa(rule: string, reason: string): Acknowledgement[] {
  return ['NIST.800.53.R5', 'HIPAA.Security'].map((pack) => ({ id: `${pack}-${rule}`, reason }));
}

/**
 * Acknowledges validation findings (cdk-nag 3 and other policy validation plugins) on a
 * construct and everything under it, with a reason, through the construct tree metadata
 * that aws-cdk-lib's `Validations` reads. The library needs no dependency on cdk-nag.
 *
 * The metadata is written directly rather than through `Validations.of(x).acknowledge()`,
 * which refuses granular ids holding `::` more than once.
 */
export function acknowledge(construct: IConstruct, acks: Acknowledgement[]): void {
  const data: { [id: string]: string } = {};
  for (const ack of acks) data[ack.id] = ack.reason;
  construct.node.addMetadata(Validations.ACKNOWLEDGED_RULES_METADATA_KEY, data);
}

/**
 * Suppresses AWS Control Tower proactive controls (cfn-guard rule names) on one resource
 * through its `Metadata.guard.SuppressedRules`, the convention of the AWS Guard rules
 * registry. Used only where a control cannot be met (the reason says why); the reason is
 * kept beside the rule names in the template for reviewers.
 */
export function suppressGuard(construct: IConstruct, rules: string[], reason: string): void {
  const cfn = construct.node.defaultChild as CfnResource | undefined;
  if (!cfn || !CfnResource.isCfnResource(cfn)) return;
  cfn.addMetadata('guard', { SuppressedRules: rules, Reason: reason });
}

/**
 * Renders a string that may hold tokens the way cdk-nag names it in granular finding ids:
 * `Ref` as `<LogicalId>`, `Fn::GetAtt` as `<LogicalId.Attribute>`, pseudo parameters as
 * `<AWS::Region>`. Used to acknowledge a finding on a resource ARN we build.
 */
export function nagString(stack: Stack, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v.map(render).join('');
    const o = v as { [key: string]: unknown };
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    const getAtt = o['Fn::GetAtt'] as string[] | undefined;
    if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
    const join = o['Fn::Join'] as [string, unknown[]] | undefined;
    if (join) return join[1].map(render).join(join[0]);
    return JSON.stringify(v);
  };
  return render(stack.resolve(value));
}
