import { defineSubgraph } from '@bookshop/subgraph-kit';
import { openReviewDatabase } from './database.js';
import { reviewConsumption } from './events.js';
import { createResolvers } from './resolvers.js';

/** Reviews of delivered orders; review knows orders from their events, never by calling order. */
export const review = defineSubgraph({
  context: 'review',
  schema: new URL('../src/schema.graphql', import.meta.url),
  openDatabase: openReviewDatabase,
  start: ({ database, startEvents }) => {
    const events = startEvents({ outbox: database.outboxEvent, consumes: reviewConsumption });
    return { resolvers: createResolvers(database, events), background: events };
  },
});
