import { defineSubgraph } from '@bookshop/subgraph-kit';
import { createDeliveryDatabase } from './database.js';
import { deliveryHandlers } from './events.js';
import { createResolvers } from './resolvers.js';

/** The delivery subgraph: a shipment per placed order, completed by a courier. */
export const delivery = defineSubgraph({
  context: 'delivery',
  schema: new URL('../src/schema.graphql', import.meta.url),
  openDatabase: createDeliveryDatabase,
  start: ({ database, startEvents }) => {
    const events = startEvents({ outbox: database.outboxEvent, handlers: (writer) => deliveryHandlers(database, writer) });
    return { resolvers: createResolvers(database, events), background: events };
  },
});
