import { readFileSync } from 'node:fs';

/** Where the committed supergraph lives (`pnpm compose` writes it); the router loads it at start. */
export const SUPERGRAPH_FILE = new URL('../supergraph.graphql', import.meta.url);

/** The supergraph SDL the router serves: read, never composed, at run time. */
export const loadSupergraph = () => readFileSync(SUPERGRAPH_FILE, 'utf8');
