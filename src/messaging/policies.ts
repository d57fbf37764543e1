/**
 * The resource and key policy statements of the message bus: TLS only on topics and queues,
 * and SNS's use of the key that encrypts the queues.
 */
import { Stack, aws_iam as iam, aws_kms as kms } from 'aws-cdk-lib';

/**
 * The topic actions a topic policy can name: the TLS-only statement of a topic refuses all
 * of them, not only `sns:Publish` as aws-cdk's `enforceSSL` does.
 */
export const TOPIC_ACTIONS = [
  'sns:Publish', 'sns:Subscribe', 'sns:GetTopicAttributes', 'sns:SetTopicAttributes', 'sns:AddPermission',
  'sns:RemovePermission', 'sns:DeleteTopic', 'sns:ListSubscriptionsByTopic',
];

/** The statement that refuses any request to a topic or queue made without TLS. */
export function tlsOnly(resource: string, actions: string[], sid = 'DenyRequestsWithoutTls'): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions,
    resources: [resource],
    conditions: { Bool: { 'aws:SecureTransport': 'false' } },
  });
}

/**
 * Lets SNS use a queue's key for deliveries from topics of the key's account and Region;
 * false when the key policy cannot be changed (an imported key). Adding it for each
 * subscription is harmless: CDK renders identical statements of a policy once.
 *
 * The statement cannot name the topic's ARN: the topic is encrypted with the bus's key, so a
 * key policy naming the topic would make a dependency cycle. Which topic may send to a queue
 * is pinned by the queue policy (`aws:SourceArn` equal to that topic).
 *
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#compatibility-with-aws-services
 */
export function allowSnsToUseKey(key: kms.IKey): boolean {
  const stack = Stack.of(key);
  return key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowSnsToDeliverFromTopicsOfThisAccount',
    principals: [new iam.ServicePrincipal('sns.amazonaws.com')],
    actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: {
      ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:sns:${stack.region}:${stack.account}:*` },
      StringEquals: { 'aws:SourceAccount': stack.account },
    },
  }), true).statementAdded;
}
