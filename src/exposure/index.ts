export * from './private-link-exposure';
export * from './connection-notifications';
export * from './private-link-consumer';
