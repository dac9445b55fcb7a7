import { expect, it } from 'vitest';
import { composeSupergraph, loadSupergraph } from './compose.js';

it('the committed supergraph is what the subgraphs compose to (run `pnpm compose` after changing a schema)', () => {
  expect(loadSupergraph()).toBe(composeSupergraph());
});
