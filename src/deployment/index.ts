export * from './canary-step';
export * from './canary-deployment';
