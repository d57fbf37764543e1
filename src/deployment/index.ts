export * from './canary-step';
export * from './old-slot';
export * from './canary-deployment';
