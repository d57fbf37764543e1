export * from './twelve-factor-checks';
export * from './compliance-alerts';
export * from './compliance-rule';
export * from './compliance-rules-props';
export * from './compliance-rules';
export * from './remediation';
export * from './compliance-audit';
export * from './recording-frequency';
