export * from './private-link-exposure';
export * from './private-link-consumer';
