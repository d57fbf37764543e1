import {
  Annotations,
  Stack,
  Token,
  aws_config as config,
  aws_iam as iam,
  aws_ssm as ssm,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ComplianceRule } from './compliance-rule';
import { DEFAULT_SECRET_KEYS, DEFINITIONS, LONGEST_NAME } from './compliance-rule-definitions';
import { ComplianceRulesProps, CustomPolicyRuleOptions, ManagedRuleOptions } from './compliance-rules-props';
import { Remediation } from './remediation';
import { checkRemediationOptions, FACTORIES, OPTIONS_TYPES, REMEDIABLE, REMEDIATIONS, RemediationBuilder, RemediationRecord } from './remediation-builder';
import { acknowledge, nagString } from '../private/acknowledge';
import { resourceTypeProblem } from '../private/config-resource-types';
import { CONFIG_RULE_NAME } from '../private/naming';
import { checkKinds, enumProblem, Problems, show } from '../private/validation';

const CLASS = 'ComplianceRules';

/**
 * The longest AWS Config rule name: `ConfigRuleName` is 1 to 128 characters (pattern `.*\S.*`;
 * we take letters, digits, hyphens and underscores only, see CONFIG_RULE_NAME). Every name
 * built here (`ruleNamePrefix` + a rule's suffix or an added rule's id) is checked against it.
 *
 * @see https://docs.aws.amazon.com/config/latest/APIReference/API_ConfigRule.html
 */
const MAX_RULE_NAME = 128;
/** Tag keys: 1 to 128 Unicode letters, digits, spaces and `_ . : / = + - @`, not starting with `aws:`. */
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
/** Tag values: up to 256 of the same characters. */
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
/** The longest Guard policy text AWS Config accepts. */
const MAX_POLICY_TEXT = 10_000;
/** An environment variable name for the comma-separated `secretKeys` parameter: no commas or white space. */
const ENV_NAME = /^[^,\s]+$/;


/**
 * A curated set of AWS Config rules for containerized microservices: ECS task definitions
 * and services, SNS topics, SQS queues, load balancers, API Gateway stages and VPCs. Every
 * rule is on by default and can be turned off with `disabledRules`.
 *
 * Ten are AWS managed rules (`ECS_CONTAINERS_NONPRIVILEGED`, `ECS_CONTAINERS_READONLY_ACCESS`,
 * `ECS_TASK_DEFINITION_LINUX_USER_NON_ROOT`, `ECS_TASK_DEFINITION_LOG_CONFIGURATION`,
 * `ECS_NO_ENVIRONMENT_SECRETS`, `ECS_FARGATE_LATEST_PLATFORM_VERSION`, `SNS_ENCRYPTED_KMS`,
 * `ALB_HTTP_TO_HTTPS_REDIRECTION_CHECK`, `API_GW_SSL_ENABLED`, `VPC_FLOW_LOGS_ENABLED`); three
 * are Guard custom policy rules where no managed rule exists (SQS encryption, SQS dead-letter
 * queues, load balancer listeners HTTPS-only). `ECS_TASK_DEFINITION_MEMORY_HARD_LIMIT` is left
 * out: AWS Config stopped evaluating it on 2026-04-03.
 *
 * AWS Config must be recording in the account and Region (a configuration recorder that
 * records these resource types) for the rules to evaluate; without one, evaluations fail with
 * `NoAvailableConfigurationRecorderException`. This construct creates no recorder and no
 * delivery channel, and remediates nothing unless asked: `remediate()` attaches an SSM
 * Automation remediation (`Remediation`) to `SNS_ENCRYPTED_KMS`,
 * `ELBV2_LISTENER_HTTPS` or `VPC_FLOW_LOGS`. Each rule evaluation is billed (AWS Config rule
 * evaluations are priced per evaluation per Region, on top of the configuration items
 * recorded; custom policy rules are also billed per evaluation), so the set costs in
 * proportion to how often the checked resources change. Some ECS rules are not available in
 * every Region.
 *
 * Send the results to people and to a consumer with `ComplianceAlerts`, for example
 * `ruleNames: rules.ruleNames`.
 *
 * @see https://aws.amazon.com/config/pricing/
 * @see https://docs.aws.amazon.com/config/latest/developerguide/evaluate-config.html
 *
 * @example
 * const rules = new ComplianceRules(this, 'ComplianceRules', {
 *   disabledRules: [ComplianceRule.API_GATEWAY_SSL],
 *   ruleNamePrefix: 'store-',
 * });
 * rules.addManagedRule('S3Versioning', {
 *   identifier: config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED,
 *   resourceTypes: ['AWS::S3::Bucket'],
 * });
 * rules.remediate(Remediation.elbv2ListenerHttps());
 * new ComplianceAlerts(this, 'ComplianceAlerts', { ruleNames: rules.ruleNames });
 */
export class ComplianceRules extends Construct {
  private readonly byRule = new Map<string, config.IRule>();
  private readonly nameByRule = new Map<string, string>();
  private readonly all: config.IRule[] = [];
  private readonly names: string[] = [];
  private readonly tagScope?: config.RuleScope;
  private readonly prefix?: string;
  private readonly builder: RemediationBuilder;
  private readonly remediationsByRule = new Map<string, RemediationRecord>();
  private readonly startGrants = new Set<string>();

  constructor(scope: Construct, id: string, props: ComplianceRulesProps = {}) {
    super(scope, id);
    const p = Problems.ofConstruction(CLASS, this);
    p.addAll(this.validate(props));
    p.throwIfAny();
    this.prefix = props.ruleNamePrefix;
    if (props.scopeTagKey !== undefined) this.tagScope = config.RuleScope.fromTag(props.scopeTagKey, props.scopeTagValue);
    this.builder = new RemediationBuilder(this, props.scopeTagKey, props.scopeTagValue);
    this.node.addValidation({ validate: () => this.validateStartGrants() });

    const disabled = new Set<string>(props.disabledRules ?? []);
    const periodicUnscoped: string[] = [];
    const secretKeys = [...new Set(props.environmentSecretKeys ?? DEFAULT_SECRET_KEYS)];
    for (const [which, d] of Object.entries(DEFINITIONS)) {
      if (disabled.has(which)) continue;
      // A scope says which resource changes trigger an evaluation
      // (https://docs.aws.amazon.com/config/latest/APIReference/API_Scope.html); the periodic-only
      // managed rules ("Trigger type: Periodic" on
      // https://docs.aws.amazon.com/config/latest/developerguide/vpc-flow-logs-enabled.html and
      // https://docs.aws.amazon.com/config/latest/developerguide/alb-http-to-https-redirection-check.html)
      // have no change trigger ("Periodic rules are rules that AWS Config evaluates periodically
      // at a frequency that you specify":
      // https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-trigger-type.html),
      // so they get neither the resource-type nor the tag scope. AWS
      // Config is also reported to refuse a scope on a periodic rule with
      // InvalidParameterValueException since early 2025 (cloud-custodian/cloud-custodian#10008,
      // confirmed there by AWS Support); the Config pages above do not say so.
      const periodic = d.kind === 'managed' && d.periodic === true;
      const ruleScope = periodic
        ? undefined
        : this.tagScope ?? config.RuleScope.fromResources(d.resourceTypes.map((t) => config.ResourceType.of(t)));
      if (periodic && this.tagScope !== undefined) periodicUnscoped.push(`ComplianceRule.${which}`);
      const configRuleName = this.prefix === undefined ? undefined : `${this.prefix}${d.name}`;
      let rule: config.IRule;
      if (d.kind === 'managed') {
        rule = new config.ManagedRule(this, d.id, {
          identifier: d.identifier,
          ruleScope,
          configRuleName,
          description: d.description,
          inputParameters: which === ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS ? { secretKeys: secretKeys.join(',') } : undefined,
          // Periodic managed rules run every 24 hours without a frequency; say so in the template.
          maximumExecutionFrequency: d.periodic ? config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS : undefined,
        });
      } else {
        rule = new config.CustomPolicy(this, d.id, {
          policyText: d.policyText,
          enableDebugLog: false,
          ruleScope,
          configRuleName,
          description: d.description,
        });
      }
      this.byRule.set(which, rule);
      this.nameByRule.set(which, configRuleName ?? rule.configRuleName);
      this.all.push(rule);
      this.names.push(configRuleName ?? rule.configRuleName);
    }
    if (periodicUnscoped.length > 0) {
      Annotations.of(this).addWarningV2('cdk-microservices:periodicRulesIgnoreTagScope',
        `\`scopeTagKey\` scopes the rules of ${this.node.path} to tagged resources, but ${periodicUnscoped.join(' and ')} `
        + 'are periodic: AWS Config takes no scope for them, so they evaluate every resource of their type in the account and Region. '
        + 'A remediation of theirs (`remediate()`) still changes tagged resources only (its role is limited to the tag) and fails on the others. '
        + 'Disable them with `disabledRules` if only tagged resources may be judged.');
    }
  }

  /**
   * The names of every rule created here, curated and added, in the order created: the
   * literal names with `ruleNamePrefix`, else tokens that resolve to the names CloudFormation
   * generates. Pass them to `ComplianceAlerts`' `ruleNames`.
   */
  public get ruleNames(): string[] {
    return [...this.names];
  }

  /** Every rule created here, curated and added, in the order created. */
  public get rules(): config.IRule[] {
    return [...this.all];
  }

  /**
   * The rule of the curated set, or undefined when it is disabled.
   *
   * @param which the rule of the set
   */
  public rule(which: ComplianceRule): config.IRule | undefined {
    const problem = enumProblem('which', which, ComplianceRule, 'ComplianceRule');
    if (problem) Problems.reject(CLASS, this, `\`rule()\`: ${problem}`);
    return this.byRule.get(which);
  }

  /**
   * Adds an AWS managed rule beside the curated set, with the same naming and tag scope.
   *
   * @param id the construct id, and the name suffix with `ruleNamePrefix`
   * @param options the rule
   */
  public addManagedRule(id: string, options: ManagedRuleOptions): config.ManagedRule {
    const p = new Problems(CLASS, this);
    if (options === null || typeof options !== 'object') {
      p.add(`\`addManagedRule()\`: options ${show(options)} are not an object of ManagedRuleOptions`);
      p.throwIfAny();
    }
    const o = checkKinds(p, options, [
      ['identifier', 'string'], ['resourceTypes', 'list of strings'], ['inputParameters', 'map of strings'], ['description', 'string'],
    ]);
    if (typeof o.identifier === 'string' && !Token.isUnresolved(o.identifier) && !/^[A-Z0-9_]{1,256}$/.test(o.identifier)) {
      p.add(`\`identifier\` ${show(o.identifier)} is not an AWS managed rule identifier; use one such as 'S3_BUCKET_VERSIONING_ENABLED' (config.ManagedRuleIdentifiers)`);
    }
    if (options.identifier === undefined) p.add('`identifier` is missing; name the AWS managed rule, for example config.ManagedRuleIdentifiers.S3_BUCKET_VERSIONING_ENABLED');
    const frequency = enumProblem('maximumExecutionFrequency', o.maximumExecutionFrequency, config.MaximumExecutionFrequency, 'MaximumExecutionFrequency');
    if (frequency) p.add(frequency);
    this.checkAdded(p, id, o.resourceTypes);
    if (p.any) this.throwAdd('addManagedRule', p);
    return this.track(new config.ManagedRule(this, id, {
      identifier: o.identifier,
      ruleScope: this.scopeFor(o.resourceTypes),
      configRuleName: this.nameFor(id),
      inputParameters: o.inputParameters,
      maximumExecutionFrequency: o.maximumExecutionFrequency,
      description: o.description,
    }), this.nameFor(id));
  }

  /**
   * Adds a Guard custom policy rule beside the curated set, with the same naming and tag
   * scope; debug logs are off.
   *
   * @param id the construct id, and the name suffix with `ruleNamePrefix`
   * @param options the rule
   */
  public addCustomPolicy(id: string, options: CustomPolicyRuleOptions): config.CustomPolicy {
    const p = new Problems(CLASS, this);
    if (options === null || typeof options !== 'object') {
      p.add(`\`addCustomPolicy()\`: options ${show(options)} are not an object of CustomPolicyRuleOptions`);
      p.throwIfAny();
    }
    const o = checkKinds(p, options, [['policyText', 'string'], ['resourceTypes', 'list of strings'], ['description', 'string']]);
    if (options.policyText === undefined) {
      p.add('`policyText` is missing; give a Guard 2.x rule');
    } else if (typeof o.policyText === 'string' && !Token.isUnresolved(o.policyText)) {
      if (o.policyText.trim() === '') p.add('`policyText` is empty; give a Guard 2.x rule');
      if (o.policyText.length > MAX_POLICY_TEXT) {
        p.add(`\`policyText\` has ${o.policyText.length} characters; AWS Config accepts at most ${MAX_POLICY_TEXT}`);
      }
    }
    this.checkAdded(p, id, o.resourceTypes);
    if (p.any) this.throwAdd('addCustomPolicy', p);
    return this.track(new config.CustomPolicy(this, id, {
      policyText: o.policyText,
      enableDebugLog: false,
      ruleScope: this.scopeFor(o.resourceTypes),
      configRuleName: this.nameFor(id),
      description: o.description,
    }), this.nameFor(id));
  }

  /**
   * Attaches an AWS Config remediation (an SSM Automation document run for each NON_COMPLIANT
   * resource, with retries and rate limits) to a rule of the set. Three rules have one, each
   * made by its factory of `Remediation`:
   *
   * - `Remediation.snsEncryptedKms({ kmsKey })` (`SNS_ENCRYPTED_KMS`): the AWS-provided
   *   `AWSConfigRemediation-EncryptSNSTopic` encrypts the topic with `kmsKey`.
   * - `Remediation.elbv2ListenerHttps({ httpsPort })` (`ELBV2_LISTENER_HTTPS`): our own
   *   Automation document (created here) makes the default action of an HTTP listener a
   *   permanent redirect to HTTPS on `httpsPort`; listeners that are not HTTP or already
   *   redirect to HTTPS are left alone, and listener rules are not changed.
   * - `Remediation.vpcFlowLogs({ bucket })` (`VPC_FLOW_LOGS`): our own Automation document
   *   (created here) turns on flow logs of all traffic to `bucket` for a VPC without an active
   *   flow log.
   *
   * The others have none: no AWS document fits them, and fixing a task definition or a queue
   * belongs in the code that deploys it. Each rule has at most one remediation, and it must
   * not be turned off in `disabledRules`. Unless `role` is given, a new role is created,
   * trusted by `ssm.amazonaws.com` for this account's automation executions and allowed only
   * what the document does (within `scopeTagKey`'s tag, when set, for the changes).
   *
   * @param remediation the remediation, for example `Remediation.vpcFlowLogs({ bucket })`
   * @returns the remediation configuration
   * @see https://docs.aws.amazon.com/config/latest/developerguide/remediation.html
   * @see https://docs.aws.amazon.com/config/latest/developerguide/setup-autoremediation.html
   * @see https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-aws-encrypt-sns-topic.html
   */
  public remediate(remediation: Remediation): config.CfnRemediationConfiguration {
    const p = new Problems(CLASS, this);
    if (!(remediation instanceof Remediation)) {
      p.add(`\`remediation\` ${show(remediation)} is not a Remediation; use Remediation.snsEncryptedKms(...), Remediation.elbv2ListenerHttps(...) or Remediation.vpcFlowLogs(...)`);
      this.throwAdd('remediate', p);
    }
    const which = remediation.rule;
    const options = remediation._options;
    const factory = FACTORIES[which];
    if (options === null || typeof options !== 'object') {
      p.add(`\`options\` of Remediation.${factory}() ${show(options)} are not an object of ${OPTIONS_TYPES[which]}`);
      this.throwAdd('remediate', p);
    }
    const ruleProblem = this.remediationProblem(which);
    if (ruleProblem) {
      p.add(ruleProblem);
    } else if (this.remediationsByRule.has(which)) {
      p.add(`\`remediation\` Remediation.${FACTORIES[which]}() is for ComplianceRule.${which}, which already has a remediation; AWS Config keeps one per rule, so configure it in one call`);
    }
    checkRemediationOptions(p, which, options);
    if (p.any) this.throwAdd('remediate', p);

    const scope = new Construct(this, `${DEFINITIONS[which].id}Remediation`);
    const record = this.builder.build(scope, this.byRule.get(which)!.configRuleName, which, options);
    this.remediationsByRule.set(which, record);
    return record.configuration;
  }

  /**
   * Lets a principal start the remediation of the rules of this account on demand (AWS Config
   * `StartRemediationExecution`), for example a consumer of `ComplianceAlerts` that approves
   * the NON_COMPLIANT findings of a rule remediated with `automatic: false`. The rule's name
   * is `rule(which).configRuleName`; `manualRemediationRuleNames` lists those in approval mode.
   *
   * `config:StartRemediationExecution` has no resource-level permissions (the Service
   * Authorization Reference lists no resource type for it), so the grant is on `*`: the
   * principal can start any remediation configured in the account and Region, each of which
   * runs only its own document with its own role. `which` must be remediated with
   * `remediate()` by synthesis time. The grant also lets the principal read the status of
   * remediation executions (`DescribeRemediationExecutionStatus`, on the remediation
   * configurations of this account and Region), to tell a remediation already under way from
   * one that failed.
   *
   * @param grantee the principal, for example the consumer's task role
   * @param which the rule whose remediation the principal starts
   * @see https://docs.aws.amazon.com/config/latest/APIReference/API_StartRemediationExecution.html
   * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsconfig.html
   */
  public grantStartRemediation(grantee: iam.IGrantable, which: ComplianceRule): iam.Grant {
    const p = new Problems(CLASS, this);
    const problem = this.remediableProblem(which);
    if (problem) p.add(problem);
    if (grantee === null || typeof grantee !== 'object' || grantee.grantPrincipal === undefined) {
      p.add(`\`grantee\` ${show(grantee)} is not an iam.IGrantable; give a role or another principal`);
    }
    if (p.any) this.throwAdd('grantStartRemediation', p);
    this.startGrants.add(which);
    const stack = Stack.of(this);
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['config:StartRemediationExecution'], resourceArns: ['*'] });
    // To tell a remediation already under way (a duplicate alert) from one that failed to start.
    const configurations = `arn:${stack.partition}:config:${stack.region}:${stack.account}:remediation-configuration/*`;
    const status = iam.Grant.addToPrincipal({ grantee, actions: ['config:DescribeRemediationExecutionStatus'], resourceArns: [configurations] });
    // The two wildcards are the API's, not a choice: say so where cdk-nag reports them (the
    // principal's policy), as the service does for CDK's grants on its task role.
    const principal = grantee.grantPrincipal;
    if (Construct.isConstruct(principal)) {
      acknowledge(principal, [
        {
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason: 'config:StartRemediationExecution has no resource-level permission (ComplianceRules.grantStartRemediation); '
          + 'it can only start remediations already configured, each running its own document with its own role.',
        },
        {
          id: `AwsSolutions-IAM5[Resource::${nagString(stack, configurations)}]`,
          reason: 'Reading the status of remediation executions '
          + '(ComplianceRules.grantStartRemediation): the ids of remediation configurations are not known before deployment.',
        },
      ]);
    }
    return grant.combine(status);
  }

  /**
   * The remediation configuration of a rule of the set, or undefined when `remediate()` was
   * not called for it.
   *
   * @param which the rule of the set
   */
  public remediation(which: ComplianceRule): config.CfnRemediationConfiguration | undefined {
    return this.recordOf('remediation', which)?.configuration;
  }

  /**
   * The role Systems Manager Automation assumes to remediate a rule of the set (created here,
   * or the `role` given), or undefined when the rule has no remediation.
   *
   * @param which the rule of the set
   */
  public remediationRole(which: ComplianceRule): iam.IRole | undefined {
    return this.recordOf('remediationRole', which)?.role;
  }

  /**
   * The Automation document created for the remediation of a rule of the set; undefined when
   * the rule has no remediation or uses a document provided by AWS (`SNS_ENCRYPTED_KMS`).
   *
   * @param which the rule of the set
   */
  public remediationDocument(which: ComplianceRule): ssm.CfnDocument | undefined {
    return this.recordOf('remediationDocument', which)?.document;
  }

  /** The remediation configurations created with `remediate()`, in the order created. */
  public get remediations(): config.CfnRemediationConfiguration[] {
    return [...this.remediationsByRule.values()].map((r) => r.configuration);
  }

  /**
   * The names of the rules remediated with `automatic: false`, whose remediations a consumer
   * starts (`StartRemediationExecution`) after approving a NON_COMPLIANT finding: literal
   * names with `ruleNamePrefix`, else tokens.
   */
  public get manualRemediationRuleNames(): string[] {
    return [...this.remediationsByRule.entries()].filter(([, r]) => !r.automatic).map(([which]) => this.nameByRule.get(which)!);
  }

  /** Why `which` cannot be remediated, or undefined when it can. */
  private remediableProblem(which: ComplianceRule): string | undefined {
    const problem = enumProblem('which', which, ComplianceRule, 'ComplianceRule');
    if (problem) return problem;
    if (REMEDIATIONS[which] === undefined) {
      return `\`which\` ComplianceRule.${which} has no remediation (no AWS-provided document fits it, and its fix belongs in the code that `
        + `deploys the resource); the rules with one are ${REMEDIABLE}. Send its findings to people with ComplianceAlerts instead`;
    }
    if (!this.byRule.has(which)) {
      return `\`which\` ComplianceRule.${which} is turned off in \`disabledRules\`; enable the rule to remediate it`;
    }
    return undefined;
  }

  /** Why the rule of a `Remediation` cannot be remediated, or undefined when it can. */
  private remediationProblem(which: ComplianceRule): string | undefined {
    if (REMEDIATIONS[which] === undefined) return this.remediableProblem(which);
    if (!this.byRule.has(which)) {
      return `Remediation.${FACTORIES[which]}() remediates ComplianceRule.${which}, which is turned off in \`disabledRules\`; enable the rule to remediate it`;
    }
    return undefined;
  }

  /** The remediation of `which`, after checking `which`. */
  private recordOf(method: string, which: ComplianceRule): RemediationRecord | undefined {
    const problem = enumProblem('which', which, ComplianceRule, 'ComplianceRule');
    if (problem) Problems.reject(CLASS, this, `\`${method}()\`: ${problem}`);
    return this.remediationsByRule.get(which);
  }

  /** Every rule given to `grantStartRemediation()` must have a remediation once the tree is complete. */
  private validateStartGrants(): string[] {
    return [...this.startGrants].filter((which) => !this.remediationsByRule.has(which)).map((which) =>
      `\`${CLASS}\` at ${this.node.path}: \`grantStartRemediation()\`: \`which\` ComplianceRule.${which} has no remediation; `
      + `call remediate(Remediation.${FACTORIES[which]}(...)) too, or drop the grant`);
  }

  private track<T extends config.IRule>(rule: T, name: string | undefined): T {
    this.all.push(rule);
    this.names.push(name ?? rule.configRuleName);
    return rule;
  }

  private scopeFor(resourceTypes: string[] | undefined): config.RuleScope | undefined {
    if (resourceTypes !== undefined) return config.RuleScope.fromResources([...new Set(resourceTypes)].map((t) => config.ResourceType.of(t)));
    return this.tagScope;
  }

  private nameFor(id: string): string | undefined {
    return this.prefix === undefined ? undefined : `${this.prefix}${id}`;
  }

  private throwAdd(method: string, p: Problems): never {
    const prefixed = new Problems(CLASS, this);
    prefixed.addAll(p.all.map((problem) => `\`${method}()\`: ${problem}`));
    prefixed.throwIfAny();
    throw new Error('unreachable: throwAdd is called with problems');
  }

  private checkAdded(p: Problems, id: string, resourceTypes: string[] | undefined): void {
    if (typeof id !== 'string' || id === '') {
      p.add(`\`id\` ${show(id)} is not a construct id; use a non-empty string such as 'S3Versioning'`);
      return;
    }
    if (this.node.tryFindChild(id)) p.add(`\`id\` '${id}' is taken by another rule of this construct; use another id`);
    const name = this.nameFor(id);
    if (name !== undefined && name.length > MAX_RULE_NAME) {
      p.add(`\`id\` ${show(id)} with \`ruleNamePrefix\` '${this.prefix}' does not make an AWS Config rule name: the name would have ${name.length} characters and AWS Config allows at most ${MAX_RULE_NAME}; use an id of at most ${MAX_RULE_NAME - this.prefix!.length} characters`);
    } else if (name !== undefined && !CONFIG_RULE_NAME.test(name)) {
      p.add(`\`id\` '${id}' with \`ruleNamePrefix\` '${this.prefix}' does not make an AWS Config rule name; use 1 to ${MAX_RULE_NAME} letters, digits, hyphens (-) and underscores (_) in all`);
    }
    if (resourceTypes !== undefined) {
      if (resourceTypes.length === 0) p.add('`resourceTypes` is empty; omit it for the tag scope or every recorded resource, or name at least one type');
      for (const t of resourceTypes) {
        const problem = resourceTypeProblem('resourceTypes', t);
        if (problem) p.add(problem);
      }
    }
  }

  private validate(props: ComplianceRulesProps): string[] {
    if (props === null || typeof props !== 'object') return [`props ${show(props)} are not an object of ComplianceRulesProps`];
    const p = new Problems(CLASS, this);
    const o = checkKinds(p, props, [
      ['disabledRules', 'list of strings'], ['scopeTagKey', 'string'], ['scopeTagValue', 'string'],
      ['ruleNamePrefix', 'string'], ['environmentSecretKeys', 'list of strings'],
    ]);
    for (const rule of o.disabledRules ?? []) {
      const problem = enumProblem('disabledRules', rule, ComplianceRule, 'ComplianceRule');
      if (problem) p.add(problem);
    }
    if (o.scopeTagValue !== undefined && props.scopeTagKey === undefined) {
      p.add('`scopeTagValue` is set without `scopeTagKey`; set the tag key too, or remove the value');
    }
    if (o.scopeTagKey !== undefined && !Token.isUnresolved(o.scopeTagKey)) {
      if (!TAG_KEY.test(o.scopeTagKey) || o.scopeTagKey.toLowerCase().startsWith('aws:')) {
        p.add(`\`scopeTagKey\` ${show(o.scopeTagKey)} is not a tag key; use 1 to 128 letters, digits, spaces and _ . : / = + - @, not starting with aws:`);
      }
    }
    if (o.scopeTagValue !== undefined && !Token.isUnresolved(o.scopeTagValue) && !TAG_VALUE.test(o.scopeTagValue)) {
      p.add(`\`scopeTagValue\` ${show(o.scopeTagValue)} is not a tag value; use up to 256 letters, digits, spaces and _ . : / = + - @`);
    }
    if (o.ruleNamePrefix !== undefined) {
      if (Token.isUnresolved(o.ruleNamePrefix)) {
        p.add('`ruleNamePrefix` is a token; rule names are checked and built at synth time, so give a literal prefix');
      } else if (!/^[A-Za-z0-9_-]+$/.test(o.ruleNamePrefix) || o.ruleNamePrefix.length + LONGEST_NAME > MAX_RULE_NAME) {
        p.add(`\`ruleNamePrefix\` ${show(o.ruleNamePrefix)} is not valid; use 1 to ${MAX_RULE_NAME - LONGEST_NAME} letters, digits, hyphens (-) and underscores (_), so that every rule name stays within ${MAX_RULE_NAME}`);
      }
    }
    if (o.environmentSecretKeys !== undefined) {
      if (o.environmentSecretKeys.length === 0) {
        p.add('`environmentSecretKeys` is empty; omit it for the default names, or disable ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS');
      }
      for (const name of o.environmentSecretKeys) {
        if (!Token.isUnresolved(name) && !ENV_NAME.test(name)) {
          p.add(`\`environmentSecretKeys\` ${show(name)} is not an environment variable name; use a name without commas or spaces, such as AWS_SECRET_ACCESS_KEY`);
        }
      }
      if (o.disabledRules?.includes(ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS)) {
        p.add('`environmentSecretKeys` configures ComplianceRule.ECS_NO_ENVIRONMENT_SECRETS, which `disabledRules` turns off; remove one of them');
      }
    }
    return p.all;
  }
}
