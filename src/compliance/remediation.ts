import { Duration, aws_iam as iam, aws_kms as kms, aws_s3 as s3 } from 'aws-cdk-lib';
import { ComplianceRule } from './compliance-rule';

/**
 * How AWS Config runs a remediation of `ComplianceRules`, common to every rule that has one:
 * the options of each `Remediation` factory extend these.
 *
 * @see https://docs.aws.amazon.com/config/latest/developerguide/remediation.html
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_RemediationConfiguration.html
 */
export interface RemediationOptions {
  /**
   * Let AWS Config start the remediation for every NON_COMPLIANT resource. With `false` the
   * remediation runs only when started: from the console, or by a consumer given
   * `grantStartRemediation()` calling `StartRemediationExecution` (an approval mode).
   *
   * An automatic remediation changes resources that CloudFormation may manage, so their stacks
   * drift, and AWS Config may start it for resources that are already compliant: the
   * documents leave those alone.
   *
   * @default true
   */
  readonly automatic?: boolean;

  /**
   * How many times AWS Config tries an automatic remediation of a resource before it gives up,
   * 1 to 25. Refused with `automatic: false`.
   *
   * @default 3
   */
  readonly maximumAutomaticAttempts?: number;

  /**
   * How long AWS Config waits between attempts of an automatic remediation, whole seconds from
   * 1 second to 2,678,000 seconds (31 days). Refused with `automatic: false`.
   *
   * @default Duration.seconds(60)
   */
  readonly retryInterval?: Duration;

  /**
   * The share of the rule's NON_COMPLIANT resources remediated at the same time, 1 to 100
   * percent (SSM rate control).
   *
   * @default 10
   */
  readonly concurrentExecutionRatePercentage?: number;

  /**
   * The share of failed remediations, 1 to 100 percent, at which AWS Config stops starting
   * more for the rule (SSM error threshold).
   *
   * @default 10
   */
  readonly errorPercentage?: number;

  /**
   * The role Systems Manager Automation assumes to remediate (the document's
   * `AutomationAssumeRole`). It must trust `ssm.amazonaws.com`. The permissions the document
   * needs are added to its policy; an imported role is left as it is, so give it those
   * yourself.
   *
   * @default - a new role for this remediation only, trusted by `ssm.amazonaws.com` for this
   * account's automation executions, allowed only what the document does
   */
  readonly role?: iam.IRole;
}

/**
 * Options of `Remediation.snsEncryptedKms()`.
 */
export interface SnsEncryptedKmsRemediationOptions extends RemediationOptions {
  /**
   * The customer managed key the topics are encrypted with. Its key policy must let the
   * publishers of each topic it encrypts use it (`kms:GenerateDataKey*` and `kms:Decrypt`):
   * AWS services such as EventBridge and CloudWatch through the key policy, roles through
   * their IAM policies. This construct does not change the key policy: the publishers are not
   * known here.
   *
   * @see https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
   * @see https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-encrypt-sns-topic.html
   */
  readonly kmsKey: kms.IKey;
}

/**
 * Options of `Remediation.elbv2ListenerHttps()`.
 */
export interface Elbv2ListenerHttpsRemediationOptions extends RemediationOptions {
  /**
   * The port of the HTTPS listener that HTTP listeners redirect to, 1 to 65535.
   *
   * @default 443
   */
  readonly httpsPort?: number;
}

/**
 * Options of `Remediation.vpcFlowLogs()`.
 */
export interface VpcFlowLogsRemediationOptions extends RemediationOptions {
  /**
   * The bucket that receives the flow logs (all traffic) of VPCs that have none. For a bucket
   * of this app, the bucket policy statements the log delivery service needs are added (and,
   * when it is encrypted with a key of this app, the key policy statement); for an imported
   * bucket, add them yourself.
   *
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html
   * @see https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-cmk-policy.html
   */
  readonly bucket: s3.IBucket;
}

/**
 * The remediation of one rule of `ComplianceRules`, for `ComplianceRules.remediate()`: each
 * factory names the rule and takes exactly the options its remediation needs, so an option
 * of one rule cannot be given to another.
 *
 * - `snsEncryptedKms()`: the AWS-provided `AWSConfigRemediation-EncryptSNSTopic` encrypts an
 *   SNS topic with `kmsKey` (`ComplianceRule.SNS_ENCRYPTED_KMS`).
 * - `elbv2ListenerHttps()`: our own Automation document makes the default action of an HTTP
 *   listener a permanent redirect to HTTPS on `httpsPort` (`ComplianceRule.ELBV2_LISTENER_HTTPS`).
 * - `vpcFlowLogs()`: our own Automation document turns on flow logs of all traffic to `bucket`
 *   for a VPC without an active flow log (`ComplianceRule.VPC_FLOW_LOGS`).
 *
 * The other rules of the set have no remediation.
 *
 * @example
 * declare const rules: ComplianceRules;
 * declare const flowLogs: s3.IBucket;
 * rules.remediate(Remediation.vpcFlowLogs({ bucket: flowLogs }));
 * rules.remediate(Remediation.elbv2ListenerHttps({ automatic: false }));
 */
export class Remediation {
  /**
   * Encrypt SNS topics with a customer managed key: the remediation of
   * `ComplianceRule.SNS_ENCRYPTED_KMS`, with the AWS-provided document
   * `AWSConfigRemediation-EncryptSNSTopic`.
   *
   * @param options the key, and how AWS Config runs the remediation
   */
  public static snsEncryptedKms(options: SnsEncryptedKmsRemediationOptions): Remediation {
    return new Remediation(ComplianceRule.SNS_ENCRYPTED_KMS, options);
  }

  /**
   * Make HTTP listeners of Application Load Balancers redirect to HTTPS: the remediation of
   * `ComplianceRule.ELBV2_LISTENER_HTTPS`, with an Automation document created here. Listeners
   * that are not HTTP or already redirect to HTTPS are left alone; listener rules are not
   * changed.
   *
   * @param options the HTTPS port, and how AWS Config runs the remediation
   */
  public static elbv2ListenerHttps(options: Elbv2ListenerHttpsRemediationOptions = {}): Remediation {
    return new Remediation(ComplianceRule.ELBV2_LISTENER_HTTPS, options);
  }

  /**
   * Turn on flow logs to S3 for VPCs without an active flow log: the remediation of
   * `ComplianceRule.VPC_FLOW_LOGS`, with an Automation document created here.
   *
   * @param options the bucket, and how AWS Config runs the remediation
   */
  public static vpcFlowLogs(options: VpcFlowLogsRemediationOptions): Remediation {
    return new Remediation(ComplianceRule.VPC_FLOW_LOGS, options);
  }

  /** The rule of the set this remediation is for. */
  public readonly rule: ComplianceRule;

  /**
   * The options given to the factory (of the type the factory takes).
   * @internal
   */
  public readonly _options: RemediationOptions;

  private constructor(rule: ComplianceRule, options: RemediationOptions) {
    this.rule = rule;
    // From JavaScript the options may be anything: `ComplianceRules.remediate()` checks them.
    this._options = options;
  }
}
