export * from './environment';
export * from './service';
export * from './discovery';
export * from './messaging';
export * from './deployment';
export * from './exposure';
export * from './compliance';
export * from './observability';
