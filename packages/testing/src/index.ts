export * from './databases.js';
export * from './eventually.js';
export * from './graphql.js';
export { TEST_POSTGRES_URL, prepareTemplates } from './templates.js';
export * from './nats-server.js';
export * from './prometheus-text.js';
export * from './tcp-proxy.js';
export * from './otlp-receiver.js';
export * from './consumer-progress.js';
