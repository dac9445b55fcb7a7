import { startContextEvents } from '@bookshop/events';
import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { BookConfig } from './config.js';
import { createBookDatabase } from './database.js';
import { CONSUMER, bookHandlers } from './events.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The catalogue and its stock; a cancelled order's copies come back through events. */
export async function startBookService(config: BookConfig): Promise<RunningService> {
  const database = createBookDatabase(config.databaseUrl);
  const events = startContextEvents({
    settings: config.events,
    name: CONSUMER,
    outbox: database.outboxEvent,
    handlers: (writer) => bookHandlers(database, writer),
  });
  return startDatabaseSubgraph({
    name: 'book',
    config,
    typeDefs,
    resolvers: createResolvers(database),
    database,
    background: events,
  });
}
