import { runSubgraph } from '@bookshop/subgraph-kit';
import { book } from './subgraph.js';

await runSubgraph(book);
