export * from './twelve-factor-checks';
export * from './compliance-alerts';
