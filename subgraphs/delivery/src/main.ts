import { serveSubgraph } from '@bookshop/subgraph-kit/main';

await serveSubgraph('delivery', async () => (await import('./subgraph.js')).delivery);
