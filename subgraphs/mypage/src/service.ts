import { startContextEvents } from '@bookshop/events';
import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { MyPageConfig } from './config.js';
import { openMyPageDatabase } from './database.js';
import { consumerName, myPageHandlers } from './events.js';
import { startHeartbeat } from './heartbeat.js';
import { LiveUpdates } from './live-updates.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The customer's read model (CQRS): projected from the shop's events, never by calling other subgraphs. */
export async function startMyPageService(config: MyPageConfig, options: { waitForOrderMs?: number } = {}): Promise<RunningService> {
  const database = await openMyPageDatabase(config.databaseUrl);
  const live = new LiveUpdates();
  const consumer = consumerName(config.instance);
  // Recorded before the consumer starts and removed after it stops: while it is there, a rebuild
  // refuses to delete the consumer under this instance.
  const heartbeat = await startHeartbeat(database, config.instance);
  const events = startContextEvents({
    settings: config.events,
    name: consumer,
    // Each change, once committed, goes to this instance's live subscribers.
    handlers: () => myPageHandlers(database, consumer, (entry) => live.publish(entry)),
  });
  return startDatabaseSubgraph({
    name: 'mypage',
    config,
    typeDefs,
    resolvers: createResolvers(database, live, options.waitForOrderMs),
    subscriptions: true,
    database,
    background: {
      readiness: events.readiness,
      stop: async () => {
        await events.stop();
        await heartbeat.stop();
      },
    },
  });
}
