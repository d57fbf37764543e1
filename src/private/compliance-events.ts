import { Token, aws_events as events } from 'aws-cdk-lib';
import { CONFIG_RULE_NAME } from './naming';
import { Problems, show } from './validation';

/**
 * The EventBridge pattern of AWS Config "Config Rules Compliance Change" events, of some rules
 * only when `ruleNames` is given, and with some results only when `complianceTypes` is given.
 */
export function complianceChangePattern(ruleNames?: string[], complianceTypes?: string[]): events.EventPattern {
  return {
    source: ['aws.config'],
    detailType: ['Config Rules Compliance Change'],
    detail: {
      messageType: ['ComplianceChangeNotification'],
      ...(ruleNames ? { configRuleName: ruleNames } : {}),
      ...(complianceTypes ? { newEvaluationResult: { complianceType: complianceTypes } } : {}),
    },
  };
}

/** Adds the problems of a `ruleNames` prop: empty (`whenEmpty` says what that would do), or names that are not Config rule names. */
export function checkRuleNames(p: Problems, ruleNames: string[] | undefined, whenEmpty: string): void {
  if (ruleNames === undefined) return;
  if (ruleNames.length === 0) p.add(`\`ruleNames\` is empty, which ${whenEmpty}; omit it for every rule of the account and Region`);
  for (const name of ruleNames) {
    if (!Token.isUnresolved(name) && !CONFIG_RULE_NAME.test(name)) {
      p.add(`\`ruleNames\` ${show(name)} is not an AWS Config rule name; use 1 to 128 letters, digits, hyphens (-) and underscores (_)`);
    }
  }
}
