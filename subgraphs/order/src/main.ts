import { serveSubgraph } from '@bookshop/subgraph-kit/main';

await serveSubgraph('order', async () => (await import('./subgraph.js')).order);
