import { runSubgraph } from '@bookshop/subgraph-kit';
import { review } from './subgraph.js';

await runSubgraph(review);
