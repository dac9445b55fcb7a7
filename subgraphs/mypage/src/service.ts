import { startContextEvents } from '@bookshop/events';
import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { MyPageConfig } from './config.js';
import { openMyPageDatabase } from './database.js';
import { consumerName, myPageHandlers } from './events.js';
import { LiveUpdates } from './live-updates.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The customer's read model (CQRS): projected from the shop's events, never by calling other subgraphs. */
export async function startMyPageService(config: MyPageConfig, options: { waitForOrderMs?: number } = {}): Promise<RunningService> {
  const database = await openMyPageDatabase(config.databaseUrl);
  const live = new LiveUpdates();
  // After each projection commits, its entry goes to this instance's live subscribers.
  const pushEntry = async (orderId: string) => {
    const entry = await database.myPageEntry.findUnique({ where: { orderId } });
    if (entry) live.publish(entry);
  };
  const consumer = consumerName(config.instance);
  const events = startContextEvents({
    settings: config.events,
    name: consumer,
    handlers: () => myPageHandlers(database, consumer, (orderId) => void pushEntry(orderId)),
  });
  return startDatabaseSubgraph({
    name: 'mypage',
    config,
    typeDefs,
    resolvers: createResolvers(database, live, options.waitForOrderMs),
    subscriptions: true,
    database,
    background: events,
  });
}
