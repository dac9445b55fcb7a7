export type { SubgraphConfig, SubgraphDeclaration, SubgraphParts, SubgraphSetup } from './declaration.js';
export { defineSubgraph, type Subgraph } from './define-subgraph.js';
