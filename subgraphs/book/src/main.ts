import { serveSubgraph } from '@bookshop/subgraph-kit/main';

await serveSubgraph('book', async () => (await import('./subgraph.js')).book);
