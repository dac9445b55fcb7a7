import { defineSubgraph } from '@bookshop/subgraph-kit';
import { createBookDatabase } from './database.js';
import { bookConsumption } from './events.js';
import { createResolvers } from './resolvers.js';

/** The catalogue and its stock; a cancelled order's copies come back through events. */
export const book = defineSubgraph({
  context: 'book',
  schema: new URL('../src/schema.graphql', import.meta.url),
  openDatabase: createBookDatabase,
  start: ({ database, startEvents }) => ({
    resolvers: createResolvers(database),
    background: startEvents({ outbox: database.outboxEvent, consumes: bookConsumption }),
  }),
});
