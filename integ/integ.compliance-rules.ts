/**
 * The curated AWS Config rules: every managed and Guard rule of `ComplianceRules`, named with a
 * prefix, plus one rule added with `addCustomPolicy`.
 *
 * Precondition: AWS Config records in the account and Region (a configuration recorder):
 * without one, CloudFormation cannot create Config rules (NoAvailableConfigurationRecorderException).
 *
 * The HTTPS-only listener rule is remediated automatically with our own SSM Automation document.
 *
 * The assertions check that the rules exist and are ACTIVE, a managed one and a Guard one, that
 * AWS Config holds the listener rule's remediation (automatic, with our document), and that the
 * document is an active Automation document.
 */
import { RemovalPolicies, Stack } from 'aws-cdk-lib';
import { ComplianceRule, ComplianceRules, Remediation } from '../src';
import { exactly, integApp, integTest } from './common';

const app = integApp();

const env = { region: 'us-east-1' };
const stack = new Stack(app, 'IntegComplianceRules', { env });
const assertionStack = new Stack(app, 'IntegComplianceRulesAssertions', { env });

const rules = new ComplianceRules(stack, 'Rules', { ruleNamePrefix: 'integ-cm-' });
rules.addCustomPolicy('s3-tls-only', {
  policyText: 'rule s3_bucket_exists when resourceType == "AWS::S3::Bucket" { configuration exists }',
  resourceTypes: ['AWS::S3::Bucket'],
});

rules.remediate(Remediation.elbv2ListenerHttps());

RemovalPolicies.of(stack).destroy();

const integ = integTest(app, 'ComplianceRulesTest', stack, assertionStack);

for (const which of [ComplianceRule.ECS_NON_PRIVILEGED, ComplianceRule.SQS_DEAD_LETTER_QUEUE]) {
  integ.assertions
    .awsApiCall('ConfigService', 'describeConfigRules', { ConfigRuleNames: [rules.rule(which)!.configRuleName] })
    .assertAtPath('ConfigRules.0.ConfigRuleState', exactly('ACTIVE'));
}

const listenerRule = rules.rule(ComplianceRule.ELBV2_LISTENER_HTTPS)!.configRuleName;
const document = rules.remediationDocument(ComplianceRule.ELBV2_LISTENER_HTTPS)!;
const remediation = integ.assertions.awsApiCall('ConfigService', 'describeRemediationConfigurations', { ConfigRuleNames: [listenerRule] });
remediation.assertAtPath('RemediationConfigurations.0.TargetType', exactly('SSM_DOCUMENT'));
remediation.assertAtPath('RemediationConfigurations.0.Automatic', exactly(true));
remediation.assertAtPath('RemediationConfigurations.0.TargetId', exactly(document.ref));
const described = integ.assertions.awsApiCall('SSM', 'describeDocument', { Name: document.ref });
described.assertAtPath('Document.DocumentType', exactly('Automation'));
described.assertAtPath('Document.Status', exactly('Active'));

app.synth();
