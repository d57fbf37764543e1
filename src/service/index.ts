export * from './service-interface';
export * from './twelve-factor-service';
export * from './twelve-factor-service-props';
export * from './admin-task';
export * from './backing-service';
