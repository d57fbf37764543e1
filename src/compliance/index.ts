export * from './twelve-factor-checks';
