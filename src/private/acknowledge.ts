import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** One compliance finding this library accepts on purpose, with the reason. */
export interface Acknowledgement {
  /** The cdk-nag rule id, for example `AwsSolutions-IAM5`. */
  readonly id: string;
  /** Why the finding is accepted: a sentence a reviewer would agree with. */
  readonly reason: string;
  /** For granular rules: the findings this applies to, for example `Resource::*`. */
  readonly appliesTo?: string[];
}

function cfnOf(construct: IConstruct): CfnResource | undefined {
  if (CfnResource.isCfnResource(construct)) return construct;
  const child = construct.node.defaultChild;
  return child && CfnResource.isCfnResource(child) ? child : undefined;
}

/**
 * Acknowledges cdk-nag findings on one resource with a reason, through the resource's
 * `cdk_nag` metadata, which cdk-nag reads without this library depending on it. Merges
 * with acknowledgements already present.
 */
export function acknowledgeNag(construct: IConstruct, acks: Acknowledgement[]): void {
  const cfn = cfnOf(construct);
  if (!cfn) return;
  const existing = (cfn.getMetadata('cdk_nag') as { rules_to_suppress?: Acknowledgement[] } | undefined)?.rules_to_suppress ?? [];
  const merged = [...existing];
  for (const ack of acks) {
    if (!merged.some((m) => m.id === ack.id)) merged.push(ack);
  }
  cfn.addMetadata('cdk_nag', { rules_to_suppress: merged });
}

/**
 * Suppresses AWS Control Tower proactive control rules (cfn-guard rule names) on one
 * resource, through the `guard.SuppressedRules` metadata that cfn-guard reads. Each call
 * site says why in a comment and in `reason`, which is kept beside the rule names.
 */
export function suppressGuard(construct: IConstruct, rules: string[], reason: string): void {
  const cfn = cfnOf(construct);
  if (!cfn) return;
  const existing = (cfn.getMetadata('guard') as { SuppressedRules?: string[]; Reasons?: string[] } | undefined) ?? {};
  const names = [...new Set([...(existing.SuppressedRules ?? []), ...rules])];
  const reasons = [...new Set([...(existing.Reasons ?? []), reason])];
  cfn.addMetadata('guard', { SuppressedRules: names, Reasons: reasons });
}
