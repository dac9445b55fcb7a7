import { prismaOutboxStore, startEventConsuming, startEventPublishing } from '@bookshop/events';
import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { DeliveryConfig } from './config.js';
import { createDeliveryDatabase } from './database.js';
import { CONSUMER, deliveryHandlers } from './events.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The delivery subgraph: a shipment per placed order, completed by a courier. */
export async function startDeliveryService(config: DeliveryConfig): Promise<RunningService> {
  const database = createDeliveryDatabase(config.databaseUrl);
  const publishing = startEventPublishing({ settings: config.events, name: 'delivery', store: prismaOutboxStore(database.outboxEvent) });
  const events = { prefix: config.events.prefix, written: publishing.wake };
  const consuming = startEventConsuming({ settings: config.events, durable: CONSUMER, handlers: deliveryHandlers(database, events.prefix, events.written) });
  return startDatabaseSubgraph({
    name: 'delivery',
    config,
    typeDefs,
    resolvers: createResolvers(database, events),
    database,
    readiness: [publishing.readiness],
    beforeDatabaseCloses: async () => {
      await consuming.stop();
      await publishing.stop();
    },
  });
}
