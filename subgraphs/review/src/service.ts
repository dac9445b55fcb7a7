import { startContextEvents } from '@bookshop/events';
import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { ReviewConfig } from './config.js';
import { openReviewDatabase } from './database.js';
import { CONSUMER, reviewHandlers } from './events.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** Reviews of delivered orders; review knows orders from their events, never by calling order. */
export async function startReviewService(config: ReviewConfig): Promise<RunningService> {
  const database = await openReviewDatabase(config.databaseUrl);
  const events = startContextEvents({
    settings: config.events,
    name: CONSUMER,
    outbox: database.outboxEvent,
    handlers: () => reviewHandlers(database),
  });
  return startDatabaseSubgraph({
    name: 'review',
    config,
    typeDefs,
    resolvers: createResolvers(database, events),
    database,
    background: events,
  });
}
