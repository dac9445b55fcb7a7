import { defineSubgraph } from '@bookshop/subgraph-kit';
import { createDeliveryDatabase } from './database.js';
import { deliveryConsumption } from './events.js';
import { createResolvers } from './resolvers.js';

/** The delivery subgraph: a shipment per placed order, completed by a courier. */
export const delivery = defineSubgraph({
  context: 'delivery',
  schema: new URL('../src/schema.graphql', import.meta.url),
  openDatabase: createDeliveryDatabase,
  start: ({ database, startEvents }) => {
    const events = startEvents({ outbox: database.outboxEvent, consumes: deliveryConsumption });
    return { resolvers: createResolvers(database, events), background: events };
  },
});
