import { runSubgraph } from '@bookshop/subgraph-kit';
import { mypage } from './subgraph.js';

await runSubgraph(mypage);
