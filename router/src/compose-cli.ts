import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { composeSupergraph } from './compose.js';
import { SUPERGRAPH_FILE } from './supergraph-file.js';

// `pnpm compose`: rewrites router/supergraph.graphql from the subgraphs' SDL.
writeFileSync(SUPERGRAPH_FILE, composeSupergraph());
console.log(`wrote ${fileURLToPath(SUPERGRAPH_FILE)}`);
