import { aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';

/**
 * Lets grants on a key we create be made only by AWS services or for AWS resources (AWS
 * Control Tower proactive control CT.KMS.PR.3).
 */
export function denyGrantsNotForAwsResources(key: kms.Key): void {
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'DenyGrantsNotForAwsResources',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  }));
}
