import { prismaOutboxStore, startEventConsuming, startEventPublishing } from '@bookshop/events';
import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { BookConfig } from './config.js';
import { createBookDatabase } from './database.js';
import { CONSUMER, bookHandlers } from './events.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The catalogue and its stock; a cancelled order's copies come back through events. */
export async function startBookService(config: BookConfig): Promise<RunningService> {
  const database = createBookDatabase(config.databaseUrl);
  const publishing = startEventPublishing({ settings: config.events, name: 'book', store: prismaOutboxStore(database.outboxEvent) });
  const consuming = startEventConsuming({
    settings: config.events,
    durable: CONSUMER,
    handlers: bookHandlers(database, config.events.prefix, publishing.wake),
  });
  return startDatabaseSubgraph({
    name: 'book',
    config,
    typeDefs,
    resolvers: createResolvers(database),
    database,
    readiness: [publishing.readiness],
    beforeDatabaseCloses: async () => {
      await consuming.stop();
      await publishing.stop();
    },
  });
}
