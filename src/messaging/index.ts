export * from './message-bus';
export * from './event-topic';
export * from './event-subscription';
