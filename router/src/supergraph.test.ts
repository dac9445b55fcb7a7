import { expect, it } from 'vitest';
import { composeSupergraph } from './compose.js';
import { loadSupergraph } from './supergraph-file.js';

it('the committed supergraph is what the subgraphs compose to (run `pnpm compose` after changing a schema)', () => {
  expect(loadSupergraph()).toBe(composeSupergraph());
});
