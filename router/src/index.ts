export { loadSupergraph } from './supergraph-file.js';
export { routerConfig, type RouterConfig } from './config.js';
export { startRouter } from './service.js';
export { SUBGRAPHS, defaultSubgraphUrl, type SubgraphName } from './subgraphs.js';
