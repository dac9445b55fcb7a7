import { serveSubgraph } from '@bookshop/subgraph-kit/main';

await serveSubgraph('review', async () => (await import('./subgraph.js')).review);
