export { startTracing, tracingConfigured, type Tracing } from './start-tracing.js';
