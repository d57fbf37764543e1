export * from './service-dashboard';
export * from './canary-dashboard';
export * from './environment-dashboard';
