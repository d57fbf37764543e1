export * from './service-interface';
export * from './twelve-factor-service';
export * from './admin-task';
export * from './backing-service';
