export * from './environment-interface';
export * from './microservice-environment';
export { StageProfile, StageDefaults } from './stage-profile';
