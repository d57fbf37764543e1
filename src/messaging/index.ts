export * from './message-bus';
export * from './event-topic';
export * from './event-subscription';
export * from './event-topic-interface';
export { EventTopicAttributes } from './imported-event-topic';
