export { loadSupergraph } from './supergraph-file.js';
export { routerConfig, type RouterConfig } from './config.js';
export { startRouter } from './service.js';
