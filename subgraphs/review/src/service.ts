import { prismaOutboxStore, startEventConsuming, startEventPublishing } from '@bookshop/events';
import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { ReviewConfig } from './config.js';
import { openReviewDatabase } from './database.js';
import { CONSUMER, reviewHandlers } from './events.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** Reviews of delivered orders; review knows orders from their events, never by calling order. */
export async function startReviewService(config: ReviewConfig): Promise<RunningService> {
  const database = await openReviewDatabase(config.databaseUrl);
  const publishing = startEventPublishing({ settings: config.events, name: 'review', store: prismaOutboxStore(database.outboxEvent) });
  const consuming = startEventConsuming({ settings: config.events, durable: CONSUMER, handlers: reviewHandlers(database) });
  return startDatabaseSubgraph({
    name: 'review',
    config,
    typeDefs,
    resolvers: createResolvers(database, { prefix: config.events.prefix, written: publishing.wake }),
    database,
    readiness: [publishing.readiness],
    beforeDatabaseCloses: async () => {
      await consuming.stop();
      await publishing.stop();
    },
  });
}
