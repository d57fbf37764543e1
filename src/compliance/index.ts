export * from './twelve-factor-checks';
export * from './compliance-alerts';
export * from './compliance-rules';
export * from './compliance-audit';
