import { serveSubgraph } from '@bookshop/subgraph-kit/main';

await serveSubgraph('mypage', async () => (await import('./subgraph.js')).mypage);
