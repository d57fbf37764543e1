/**
 * The AWS CloudFormation Guard 2.x policy texts of the Guard custom policy rules of
 * `ComplianceRules` (`SQS_ENCRYPTED`, `SQS_DEAD_LETTER_QUEUE`, `ELBV2_LISTENER_HTTPS`), in a
 * module of their own so that they are tested on their own (test/compliance/guard-policies.test.ts
 * runs each against configuration items with cfn-guard).
 *
 * Each sees the whole AWS Config configuration item (`resourceType`, `configuration.*`) and is
 * guarded by `when resourceType == "..."`. AWS Config accepts at most 10,000 characters.
 *
 * Not exported from the package: the texts are reachable through the rules
 * (`ComplianceRules.rule(which)`).
 *
 * @see https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config_develop-rules_cfn-guard.html
 */

/** The Guard policy that SQS queues are encrypted at rest. */
export const SQS_ENCRYPTED_POLICY = `# SQS queue is encrypted at rest (SSE-SQS or SSE-KMS)
rule sqs_encrypted when resourceType == "AWS::SQS::Queue" {
    configuration.KmsMasterKeyId exists or
    configuration.SqsManagedSseEnabled in [true, "true"]
    <<SQS queue is not encrypted at rest: set KmsMasterKeyId (SSE-KMS) or SqsManagedSseEnabled (SSE-SQS)>>
}
`;

/** The Guard policy that SQS queues have a dead-letter queue unless they are one. */
export const SQS_DEAD_LETTER_QUEUE_POLICY = `# Every queue that is not itself a dead-letter queue has one. A DLQ is recognised by its redrive
# allow policy (allowAll or byQueue); RedriveAllowPolicy may be recorded as a JSON string or an object.
rule sqs_has_dlq when resourceType == "AWS::SQS::Queue" {
    when configuration.RedriveAllowPolicy not exists or
         configuration.RedriveAllowPolicy == /denyAll/ or
         configuration.RedriveAllowPolicy.redrivePermission == "denyAll" {
        configuration.RedrivePolicy exists
        configuration.RedrivePolicy == /deadLetterTargetArn/ or
        configuration.RedrivePolicy.deadLetterTargetArn exists
        <<SQS queue has no dead-letter queue: set RedrivePolicy.deadLetterTargetArn, or mark a DLQ with RedriveAllowPolicy>>
    }
}
`;

/** The Guard policy that HTTP listeners of load balancers only redirect to HTTPS. */
export const ELBV2_LISTENER_HTTPS_POLICY = `# An HTTP listener on a load balancer only redirects to HTTPS
rule http_listener_redirects_to_https when resourceType == "AWS::ElasticLoadBalancingV2::Listener"
                                             configuration.Protocol == "HTTP" {
    configuration.DefaultActions[*].Type == "redirect"
        <<HTTP listener must only redirect (to HTTPS)>>
    configuration.DefaultActions[*].RedirectConfig.Protocol == "HTTPS"
        <<HTTP listener redirect must go to HTTPS>>
}
`;
