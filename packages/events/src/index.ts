export * from './catalogue.js';
export * from './consumer.js';
export * from './envelope.js';
export * from './nats.js';
export * from './publisher.js';
