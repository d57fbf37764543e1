export { Discovery } from './discovery';
