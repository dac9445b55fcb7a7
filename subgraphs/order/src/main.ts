import { runSubgraph } from '@bookshop/subgraph-kit';
import { order } from './subgraph.js';

await runSubgraph(order);
