/**
 * The content of the SSM Automation documents (schema 0.3) that `ComplianceRules.remediate()`
 * creates where AWS provides no document for a rule of the set. Each is idempotent: AWS Config
 * can start an automatic remediation for a resource that is already compliant
 * (API_PutRemediationConfigurations), so a document first reads the resource and changes it
 * only when it is not compliant.
 *
 * Not exported from the package: the documents are reachable through
 * `ComplianceRules.remediationDocument()`.
 *
 * @see https://docs.aws.amazon.com/systems-manager/latest/userguide/documents-syntax-data-elements-parameters.html
 * @see https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-action-executeAwsApi.html
 */

/** An IAM role ARN, in any partition. */
const ROLE_ARN = '^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]+$';

/** The AutomationAssumeRole parameter every document declares (the only assume-role parameter Config accepts for automatic remediation). */
const ASSUME_ROLE_PARAMETER = {
  type: 'String',
  description: 'The ARN of the IAM role that Systems Manager Automation assumes to run this document.',
  allowedPattern: ROLE_ARN,
};

/** The name of the step of a document that leaves a compliant resource alone. */
export const NOTHING_TO_DO = 'NothingToDo';

/** A step that does nothing, so that a compliant resource ends the automation successfully. */
function nothingToDo(reason: string) {
  return {
    name: NOTHING_TO_DO,
    description: reason,
    action: 'aws:sleep',
    inputs: { Duration: 'PT1S' },
    isEnd: true,
  };
}

/**
 * Restores HTTPS-only on an Application Load Balancer listener: when the listener's protocol is
 * HTTP and its default action does not already redirect to HTTPS, its default action becomes a
 * permanent (301) redirect to HTTPS on `HttpsPort`, keeping host, path and query. Listeners of
 * other protocols (HTTPS, and the TCP/TLS/UDP listeners of Network Load Balancers) and HTTP
 * listeners that already redirect to HTTPS are left alone. Listener rules are not changed.
 *
 * `#{host}`, `#{path}` and `#{query}` are Elastic Load Balancing placeholders, resolved per
 * request; they do not clash with the `{{ }}` of SSM parameters.
 */
export function restoreHttpsOnlyContent(): { [key: string]: unknown } {
  const describe = { Service: 'elbv2', Api: 'DescribeListeners', ListenerArns: ['{{ ListenerArn }}'] };
  return {
    schemaVersion: '0.3',
    description: 'Restores HTTPS-only on a load balancer listener that accepts plain HTTP: its default action becomes a '
      + 'permanent redirect to HTTPS. Listeners that are not HTTP, or already redirect to HTTPS, are left alone.',
    assumeRole: '{{ AutomationAssumeRole }}',
    parameters: {
      AutomationAssumeRole: ASSUME_ROLE_PARAMETER,
      ListenerArn: {
        type: 'String',
        description: 'The ARN of the listener (the AWS Config resource id of an AWS::ElasticLoadBalancingV2::Listener).',
        allowedPattern: '^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:listener/(app|net)/[\\w-]+/[0-9a-f]+/[0-9a-f]+$',
      },
      HttpsPort: {
        type: 'String',
        description: 'The port of the HTTPS listener to redirect to.',
        default: '443',
        allowedPattern: '^([1-9]\\d{0,3}|[1-5]\\d{4}|6[0-4]\\d{3}|65[0-4]\\d{2}|655[0-2]\\d|6553[0-5])$',
      },
    },
    mainSteps: [
      {
        name: 'DescribeListener',
        description: 'Reads the listener\'s protocol.',
        action: 'aws:executeAwsApi',
        inputs: describe,
        outputs: [{ Name: 'Protocol', Selector: '$.Listeners[0].Protocol', Type: 'String' }],
        nextStep: 'OnlyPlainHttp',
      },
      {
        name: 'OnlyPlainHttp',
        description: 'Goes on only for an HTTP listener.',
        action: 'aws:branch',
        inputs: {
          Choices: [{ NextStep: 'CheckRedirectsToHttps', Variable: '{{ DescribeListener.Protocol }}', StringEquals: 'HTTP' }],
          Default: NOTHING_TO_DO,
        },
      },
      {
        name: 'CheckRedirectsToHttps',
        description: 'Leaves an HTTP listener that already redirects to HTTPS alone; otherwise goes on to the redirect.',
        action: 'aws:assertAwsResourceProperty',
        inputs: { ...describe, PropertySelector: '$.Listeners[0].DefaultActions[0].RedirectConfig.Protocol', DesiredValues: ['HTTPS'] },
        isCritical: false,
        onFailure: 'step:RedirectToHttps',
        nextStep: NOTHING_TO_DO,
      },
      {
        name: 'RedirectToHttps',
        description: 'Makes the default action a permanent redirect to HTTPS.',
        action: 'aws:executeAwsApi',
        inputs: {
          Service: 'elbv2',
          Api: 'ModifyListener',
          ListenerArn: '{{ ListenerArn }}',
          DefaultActions: [{
            Type: 'redirect',
            RedirectConfig: {
              Protocol: 'HTTPS',
              Port: '{{ HttpsPort }}',
              Host: '#{host}',
              Path: '/#{path}',
              Query: '#{query}',
              StatusCode: 'HTTP_301',
            },
          }],
        },
        nextStep: 'VerifyRedirect',
      },
      {
        name: 'VerifyRedirect',
        description: 'Confirms the default action redirects to HTTPS.',
        action: 'aws:assertAwsResourceProperty',
        inputs: { ...describe, PropertySelector: '$.Listeners[0].DefaultActions[0].RedirectConfig.Protocol', DesiredValues: ['HTTPS'] },
        isEnd: true,
      },
      nothingToDo('The listener is not plain HTTP, or already redirects to HTTPS.'),
    ],
  };
}

/**
 * Turns on flow logs for a VPC that has none: all traffic, delivered to the S3 bucket (ARN,
 * optionally with a folder) given as `LogDestination`. A VPC that already has an active flow
 * log, to any destination, is left alone.
 */
export function enableVpcFlowLogsContent(): { [key: string]: unknown } {
  const describe = { Service: 'ec2', Api: 'DescribeFlowLogs', Filter: [{ Name: 'resource-id', Values: ['{{ VpcId }}'] }] };
  return {
    schemaVersion: '0.3',
    description: 'Turns on flow logs of all traffic to an S3 bucket for a VPC without flow logs. A VPC that already has an '
      + 'active flow log is left alone.',
    assumeRole: '{{ AutomationAssumeRole }}',
    parameters: {
      AutomationAssumeRole: ASSUME_ROLE_PARAMETER,
      VpcId: {
        type: 'String',
        description: 'The id of the VPC (the AWS Config resource id of an AWS::EC2::VPC).',
        allowedPattern: '^vpc-[0-9a-f]{8,17}$',
      },
      LogDestination: {
        type: 'String',
        description: 'The ARN of the S3 bucket, optionally with a folder, that receives the flow log records.',
        allowedPattern: '^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$',
      },
    },
    mainSteps: [
      {
        name: 'CheckFlowLogs',
        description: 'Leaves a VPC that has an active flow log alone; otherwise goes on to create one.',
        action: 'aws:assertAwsResourceProperty',
        inputs: { ...describe, PropertySelector: '$.FlowLogs[0].FlowLogStatus', DesiredValues: ['ACTIVE'] },
        isCritical: false,
        onFailure: 'step:CreateFlowLogs',
        nextStep: NOTHING_TO_DO,
      },
      {
        name: 'CreateFlowLogs',
        description: 'Creates a flow log of all traffic of the VPC to the S3 bucket.',
        action: 'aws:executeAwsApi',
        inputs: {
          Service: 'ec2',
          Api: 'CreateFlowLogs',
          ResourceIds: ['{{ VpcId }}'],
          ResourceType: 'VPC',
          TrafficType: 'ALL',
          LogDestinationType: 's3',
          LogDestination: '{{ LogDestination }}',
        },
        outputs: [{ Name: 'FlowLogIds', Selector: '$.FlowLogIds', Type: 'StringList' }],
        nextStep: 'VerifyFlowLogs',
      },
      {
        name: 'VerifyFlowLogs',
        description: 'Confirms the VPC has an active flow log.',
        action: 'aws:assertAwsResourceProperty',
        inputs: { ...describe, PropertySelector: '$.FlowLogs[0].FlowLogStatus', DesiredValues: ['ACTIVE'] },
        isEnd: true,
      },
      nothingToDo('The VPC already has an active flow log.'),
    ],
  };
}
