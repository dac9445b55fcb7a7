import { startContextEvents } from '@bookshop/events';
import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { DeliveryConfig } from './config.js';
import { createDeliveryDatabase } from './database.js';
import { CONSUMER, deliveryHandlers } from './events.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The delivery subgraph: a shipment per placed order, completed by a courier. */
export async function startDeliveryService(config: DeliveryConfig): Promise<RunningService> {
  const database = createDeliveryDatabase(config.databaseUrl);
  const events = startContextEvents({
    settings: config.events,
    name: CONSUMER,
    outbox: database.outboxEvent,
    handlers: (writer) => deliveryHandlers(database, writer),
  });
  return startDatabaseSubgraph({
    name: 'delivery',
    config,
    typeDefs,
    resolvers: createResolvers(database, events),
    database,
    background: events,
  });
}
