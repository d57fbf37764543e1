/**
 * How `ComplianceRules.remediate()` checks a `Remediation` and builds it: the AWS Config
 * remediation configuration, the Automation document where AWS provides none, and the SSM
 * Automation role, trusted by Systems Manager for this account's automation executions, allowed
 * only what each document calls (within the scope tag, when the rules are tag-scoped), with the
 * acknowledgements of the findings those roles have on purpose. Not exported from the package.
 */
import {
  Annotations,
  ArnFormat,
  Duration,
  Stack,
  Token,
  Tokenization,
  aws_config as config,
  aws_iam as iam,
  aws_s3 as s3,
  aws_ssm as ssm,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ComplianceRule } from './compliance-rule';
import { Elbv2ListenerHttpsRemediationOptions, RemediationOptions, SnsEncryptedKmsRemediationOptions, VpcFlowLogsRemediationOptions } from './remediation';
import { enableVpcFlowLogsContent, restoreHttpsOnlyContent } from './remediation-documents';
import { acknowledge, Acknowledgement, nagString, nistAndHipaa } from '../private/acknowledge';
import { checkInt, checkKinds, checkSeconds, Problems, show } from '../private/validation';

/** The AWS-provided SSM Automation document that encrypts an SNS topic with a customer managed key. */
export const ENCRYPT_SNS_TOPIC = 'AWSConfigRemediation-EncryptSNSTopic';

/** How each remediable rule of the set is remediated. */
export interface RemediationDefinition {
  /** The resource type AWS Config passes the id of. */
  readonly resourceType: string;
  /** What the remediation does, for the role's description. */
  readonly does: string;
}

export const REMEDIATIONS: { [rule: string]: RemediationDefinition } = {
  [ComplianceRule.SNS_ENCRYPTED_KMS]: {
    resourceType: 'AWS::SNS::Topic',
    does: `encrypts SNS topics with a customer managed key (${ENCRYPT_SNS_TOPIC})`,
  },
  [ComplianceRule.ELBV2_LISTENER_HTTPS]: {
    resourceType: 'AWS::ElasticLoadBalancingV2::Listener',
    does: 'makes HTTP listeners of Application Load Balancers redirect to HTTPS',
  },
  [ComplianceRule.VPC_FLOW_LOGS]: {
    resourceType: 'AWS::EC2::VPC',
    does: 'turns on flow logs to S3 for VPCs without flow logs',
  },
};

/** The rules of the set that `remediate()` accepts, for messages. */
export const REMEDIABLE = Object.keys(REMEDIATIONS).map((r) => `ComplianceRule.${r}`).join(', ');

/** The longest retry interval AWS Config accepts (RetryAttemptSeconds). */
const MAX_RETRY_SECONDS = 2_678_000;

/** The factory of `Remediation` of each remediable rule, for messages. */
export const FACTORIES: { [rule: string]: string } = {
  [ComplianceRule.SNS_ENCRYPTED_KMS]: 'snsEncryptedKms',
  [ComplianceRule.ELBV2_LISTENER_HTTPS]: 'elbv2ListenerHttps',
  [ComplianceRule.VPC_FLOW_LOGS]: 'vpcFlowLogs',
};

/** The options type of each factory, for messages. */
export const OPTIONS_TYPES: { [rule: string]: string } = {
  [ComplianceRule.SNS_ENCRYPTED_KMS]: 'SnsEncryptedKmsRemediationOptions',
  [ComplianceRule.ELBV2_LISTENER_HTTPS]: 'Elbv2ListenerHttpsRemediationOptions',
  [ComplianceRule.VPC_FLOW_LOGS]: 'VpcFlowLogsRemediationOptions',
};

/** What each required option of a factory is for, for messages. */
const REQUIRED_HINTS: { [prop: string]: string } = {
  kmsKey: 'give the customer managed key that topics are encrypted with',
  bucket: 'give the S3 bucket that receives the flow logs',
};

/** What one remediation created. */
export interface RemediationRecord {
  readonly configuration: config.CfnRemediationConfiguration;
  readonly role: iam.IRole;
  readonly document?: ssm.CfnDocument;
  readonly automatic: boolean;
}

/**
 * Checks the options given to a factory of `Remediation` (from JavaScript they may be anything):
 * kinds and ranges, the rule's required options, `automatic` against the options of automatic
 * remediation only.
 */
export function checkRemediationOptions(p: Problems, which: ComplianceRule, options: RemediationOptions): void {
  const o = checkKinds(p, options, [
    ['automatic', 'boolean'], ['maximumAutomaticAttempts', 'number'], ['retryInterval', 'Duration'],
    ['concurrentExecutionRatePercentage', 'number'], ['errorPercentage', 'number'],
  ]);
  checkReferences(p, which, options);
  const automatic = o.automatic ?? true;
  for (const problem of [
    checkInt('maximumAutomaticAttempts', o.maximumAutomaticAttempts, 1, 25),
    checkSeconds('retryInterval', o.retryInterval, 1, MAX_RETRY_SECONDS, '1 to 2678000 (31 days)'),
    checkInt('concurrentExecutionRatePercentage', o.concurrentExecutionRatePercentage, 1, 100),
    checkInt('errorPercentage', o.errorPercentage, 1, 100),
  ]) {
    if (problem) p.add(problem);
  }
  if (!automatic) {
    for (const prop of ['maximumAutomaticAttempts', 'retryInterval'] as const) {
      if (options[prop] !== undefined) p.add(`\`${prop}\` applies to automatic remediation only, and \`automatic\` is false; remove it`);
    }
  }
}

/**
 * The options that reference constructs must hold what they claim to be, and the rule's own
 * options must be there (from JavaScript, a factory may be called without them).
 */
function checkReferences(p: Problems, which: ComplianceRule, options: RemediationOptions): void {
  const o = options as { [prop: string]: unknown };
  const refs: Array<[string, string, string]> = [['role', 'roleArn', 'iam.IRole']];
  if (which === ComplianceRule.SNS_ENCRYPTED_KMS) refs.push(['kmsKey', 'keyArn', 'kms.IKey']);
  if (which === ComplianceRule.VPC_FLOW_LOGS) refs.push(['bucket', 'bucketArn', 's3.IBucket']);
  for (const [prop, arn, type] of refs) {
    const value = o[prop] as { [key: string]: unknown } | undefined;
    if (value === undefined) {
      if (prop !== 'role') p.add(`\`${prop}\` is missing; Remediation.${FACTORIES[which]}() needs it: ${REQUIRED_HINTS[prop]}`);
    } else if (value === null || typeof value !== 'object' || typeof value[arn] !== 'string') {
      p.add(`\`${prop}\` ${show(value)} is not an ${type}`);
    }
  }
  if (which === ComplianceRule.ELBV2_LISTENER_HTTPS) {
    const httpsPort = o.httpsPort;
    if (httpsPort !== undefined && typeof httpsPort !== 'number') {
      p.add(`\`httpsPort\` ${show(httpsPort)} is not a number`);
    } else {
      const problem = checkInt('httpsPort', httpsPort as number | undefined, 1, 65535);
      if (problem) p.add(problem);
    }
  }
}


/**
 * The remediations of one `ComplianceRules`: `rules` is the construct, whose
 * stack gives the ARNs; `scopeTagKey` and `scopeTagValue` its tag scope, if any.
 */
export class RemediationBuilder {
  constructor(private readonly rules: Construct, private readonly scopeTagKey?: string, private readonly scopeTagValue?: string) {}

  /**
   * Creates the remediation of `which` below `scope`: the role unless `options.role`, the
   * document unless AWS provides it, and the remediation configuration of the rule `configRuleName`.
   * The options are checked (`checkRemediationOptions`).
   */
  public build(scope: Construct, configRuleName: string, which: ComplianceRule, options: RemediationOptions): RemediationRecord {
    const o = options;
    const automatic = o.automatic ?? true;
    const role = o.role ?? this.newAutomationRole(scope, which);
    let document: ssm.CfnDocument | undefined;
    let targetId: string;
    let parameters: { [name: string]: unknown };
    const assumeRole = { StaticValue: { Values: [role.roleArn] } };
    const resourceId = { ResourceValue: { Value: 'RESOURCE_ID' } };
    switch (which) {
      case ComplianceRule.SNS_ENCRYPTED_KMS: {
        const kmsKey = (options as SnsEncryptedKmsRemediationOptions).kmsKey;
        targetId = ENCRYPT_SNS_TOPIC;
        parameters = { TopicArn: resourceId, KmsKeyArn: { StaticValue: { Values: [kmsKey.keyArn] } }, AutomationAssumeRole: assumeRole };
        this.allowEncryptTopics(role);
        Annotations.of(scope).addWarningV2('cdk-microservices:remediationKeyPolicy',
          'The key given as `kmsKey` must let the publishers of each topic it encrypts use it (kms:GenerateDataKey* and kms:Decrypt): '
          + 'AWS services such as EventBridge and CloudWatch through its key policy, roles through their IAM policies. Publishers it does not allow fail.');
        break;
      }
      case ComplianceRule.ELBV2_LISTENER_HTTPS: {
        document = new ssm.CfnDocument(scope, 'Document', { documentType: 'Automation', content: restoreHttpsOnlyContent() });
        targetId = document.ref;
        const port = (options as Elbv2ListenerHttpsRemediationOptions).httpsPort ?? 443;
        parameters = {
          ListenerArn: resourceId,
          HttpsPort: { StaticValue: { Values: [Token.isUnresolved(port) ? Tokenization.stringifyNumber(port) : String(port)] } },
          AutomationAssumeRole: assumeRole,
        };
        this.allowRestoreHttpsOnly(role);
        break;
      }
      default: {
        const bucket = (options as VpcFlowLogsRemediationOptions).bucket;
        document = new ssm.CfnDocument(scope, 'Document', { documentType: 'Automation', content: enableVpcFlowLogsContent() });
        targetId = document.ref;
        parameters = {
          VpcId: resourceId,
          LogDestination: { StaticValue: { Values: [bucket.bucketArn] } },
          AutomationAssumeRole: assumeRole,
        };
        this.allowEnableFlowLogs(scope, role, bucket);
        break;
      }
    }
    if (o.role === undefined) acknowledge(role, this.roleAcknowledgements(which));

    const configuration = new config.CfnRemediationConfiguration(scope, 'Resource', {
      configRuleName,
      targetType: 'SSM_DOCUMENT',
      targetId,
      resourceType: REMEDIATIONS[which].resourceType,
      parameters,
      automatic,
      maximumAutomaticAttempts: automatic ? o.maximumAutomaticAttempts ?? 3 : undefined,
      retryAttemptSeconds: automatic ? (o.retryInterval ?? Duration.seconds(60)).toSeconds() : undefined,
      executionControls: {
        ssmControls: {
          concurrentExecutionRatePercentage: o.concurrentExecutionRatePercentage ?? 10,
          errorPercentage: o.errorPercentage ?? 10,
        },
      },
    });
    if (automatic) {
      Annotations.of(scope).addWarningV2('cdk-microservices:automaticRemediation',
        `ComplianceRule.${which} is remediated automatically: the document changes resources that CloudFormation may manage, so their stacks `
        + 'drift (a template that declares the old setting puts it back on its next update), and AWS Config may run it for resources that '
        + 'are already compliant (the document leaves those alone). Use `automatic: false` to approve each remediation.');
    }
    return { configuration, role, document, automatic };
  }

  /**
   * A role for one remediation, trusted by Systems Manager only for automation executions of
   * this account (confused-deputy conditions).
   */
  public newAutomationRole(scope: Construct, which: ComplianceRule): iam.Role {
    const stack = Stack.of(this.rules);
    return new iam.Role(scope, 'Role', {
      assumedBy: new iam.ServicePrincipal('ssm.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'ssm', resource: 'automation-execution', resourceName: '*' }) },
        },
      }),
      description: `SSM Automation role of the AWS Config remediation that ${REMEDIATIONS[which].does}`,
    });
  }

  /** The condition that limits changes to resources carrying the scope tag, when the rules are tag-scoped. */
  private tagConditions(): { [operator: string]: { [key: string]: string } } | undefined {
    if (this.scopeTagKey === undefined) return undefined;
    const key = `aws:ResourceTag/${this.scopeTagKey}`;
    return this.scopeTagValue === undefined ? { Null: { [key]: 'false' } } : { StringEquals: { [key]: this.scopeTagValue } };
  }

  /** The ARNs the roles' statements name, built once so that acknowledgements name them exactly. */
  private arns() {
    const stack = Stack.of(this.rules);
    return {
      appListeners: stack.formatArn({ service: 'elasticloadbalancing', resource: 'listener', resourceName: 'app/*' }),
      topics: stack.formatArn({ service: 'sns', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }),
      encryptTopicDefinition: stack.formatArn({
        service: 'ssm', account: '*', resource: 'automation-definition', resourceName: `${ENCRYPT_SNS_TOPIC}:*`,
      }),
      automationExecutions: stack.formatArn({ service: 'ssm', resource: 'automation-execution', resourceName: '*' }),
      vpcs: stack.formatArn({ service: 'ec2', resource: 'vpc', resourceName: '*' }),
      flowLogs: stack.formatArn({ service: 'ec2', resource: 'vpc-flow-log', resourceName: '*' }),
    };
  }

  /** What `AWSConfigRemediation-EncryptSNSTopic` needs (its runbook page): read and set topic attributes, follow its own execution. */
  public allowEncryptTopics(role: iam.IRole): void {
    const arns = this.arns();
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadTopics', actions: ['sns:GetTopicAttributes'], resources: [arns.topics] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'EncryptTopics', actions: ['sns:SetTopicAttributes'], resources: [arns.topics], conditions: this.tagConditions(),
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'RunEncryptTopicDocument', actions: ['ssm:StartAutomationExecution'], resources: [arns.encryptTopicDefinition],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'FollowAutomation', actions: ['ssm:GetAutomationExecution'], resources: [arns.automationExecutions],
    }));
  }

  /** What the HTTPS-restore document calls: describe any listener, modify Application Load Balancer listeners. */
  public allowRestoreHttpsOnly(role: iam.IRole): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadListeners', actions: ['elasticloadbalancing:DescribeListeners'], resources: ['*'] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'RedirectListeners', actions: ['elasticloadbalancing:ModifyListener'], resources: [this.arns().appListeners], conditions: this.tagConditions(),
    }));
  }

  /**
   * What the flow-logs document calls (and what EC2 needs of whoever creates a flow log to S3:
   * `logs:CreateLogDelivery` and `logs:DeleteLogDelivery`), plus, for a bucket (and key) of this
   * app, the log delivery service's access to it.
   */
  public allowEnableFlowLogs(scope: Construct, role: iam.IRole, bucket: s3.IBucket): void {
    const arns = this.arns();
    const stack = Stack.of(this.rules);
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadFlowLogs', actions: ['ec2:DescribeFlowLogs'], resources: ['*'] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'CreateFlowLogsOfVpcs', actions: ['ec2:CreateFlowLogs'], resources: [arns.vpcs], conditions: this.tagConditions(),
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'CreateFlowLogs', actions: ['ec2:CreateFlowLogs'], resources: [arns.flowLogs] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DeliverFlowLogs', actions: ['logs:CreateLogDelivery', 'logs:DeleteLogDelivery'], resources: ['*'],
    }));

    const delivery = new iam.ServicePrincipal('delivery.logs.amazonaws.com');
    const source = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }) },
    };
    const write = bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AWSLogDeliveryWrite',
      principals: [delivery],
      actions: ['s3:PutObject'],
      resources: [bucket.arnForObjects(`AWSLogs/${stack.account}/*`)],
      conditions: { ...source, StringEquals: { ...source.StringEquals, 's3:x-amz-acl': 'bucket-owner-full-control' } },
    }));
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AWSLogDeliveryAclCheck', principals: [delivery], actions: ['s3:GetBucketAcl'], resources: [bucket.bucketArn], conditions: source,
    }));
    const key = bucket.encryptionKey?.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AllowVpcFlowLogsDelivery',
      principals: [delivery],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: source,
    }));
    if (!write.statementAdded || (key !== undefined && !key.statementAdded)) {
      Annotations.of(scope).addWarningV2('cdk-microservices:flowLogsBucketPolicy',
        'The `bucket` of Remediation.vpcFlowLogs() (or its key) is imported, so its policy is left as it is: it must let delivery.logs.amazonaws.com write '
        + 'AWSLogs/<account>/* and read the bucket ACL (and use the key), or the flow logs the remediation creates deliver nothing.');
    }
  }

  /** The findings a role created here has on purpose, with the reasons. */
  public roleAcknowledgements(which: ComplianceRule): Acknowledgement[] {
    const stack = Stack.of(this.rules);
    const arns = this.arns();
    const iam5 = (resource: string, reason: string): Acknowledgement => ({ id: `AwsSolutions-IAM5[Resource::${nagString(stack, resource)}]`, reason });
    const acks: Acknowledgement[] = [
      ...nistAndHipaa('IAMNoInlinePolicy', 'The role serves one remediation and has one policy, scoped to what its document calls; a customer-managed policy would add no reuse.'),
    ];
    switch (which) {
      case ComplianceRule.SNS_ENCRYPTED_KMS:
        acks.push(
          iam5(arns.topics, 'AWS Config passes any NON_COMPLIANT topic of the account and Region; the role may only read and set topic attributes (set only within the scope tag, when the rules are tag-scoped).'),
          iam5(arns.encryptTopicDefinition, 'The AWS-owned runbook AWSConfigRemediation-EncryptSNSTopic, any version; its page lists ssm:StartAutomationExecution among what the role needs.'),
          iam5(arns.automationExecutions, 'Execution ids are generated per run; its runbook page lists ssm:GetAutomationExecution among what the role needs.'),
        );
        break;
      case ComplianceRule.ELBV2_LISTENER_HTTPS:
        acks.push(
          iam5('*', 'elasticloadbalancing:DescribeListeners has no resource-level permissions.'),
          iam5(arns.appListeners, 'AWS Config passes any NON_COMPLIANT listener of the account and Region; the role may only modify Application Load Balancer listeners (within the scope tag, when the rules are tag-scoped).'),
        );
        break;
      default:
        acks.push(
          iam5('*', 'ec2:DescribeFlowLogs, logs:CreateLogDelivery and logs:DeleteLogDelivery have no resource-level permissions; EC2 requires the last two of whoever creates a flow log to S3.'),
          iam5(arns.vpcs, 'AWS Config passes any NON_COMPLIANT VPC of the account and Region; the role may only create flow logs for it (within the scope tag, when the rules are tag-scoped).'),
          iam5(arns.flowLogs, 'The flow log is created by the call, so its id is not known in advance.'),
        );
    }
    return acks;
  }
}
