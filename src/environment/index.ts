export * from './microservice-environment';
export { Stage, StageDefaults } from './stage';
