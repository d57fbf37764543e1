import { Validations } from 'aws-cdk-lib';
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
