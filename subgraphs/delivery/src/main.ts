import { runSubgraph } from '@bookshop/subgraph-kit';
import { delivery } from './subgraph.js';

await runSubgraph(delivery);
