import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SUPERGRAPH_FILE, composeSupergraph } from './compose.js';

// `pnpm compose`: rewrites router/supergraph.graphql from the subgraphs' SDL.
writeFileSync(SUPERGRAPH_FILE, composeSupergraph());
console.log(`wrote ${fileURLToPath(SUPERGRAPH_FILE)}`);
