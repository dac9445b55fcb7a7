import { startContextEvents } from '@bookshop/events';
import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { MyPageConfig } from './config.js';
import { openMyPageDatabase } from './database.js';
import { consumerName, myPageHandlers } from './events.js';
import { startHeartbeat } from './heartbeat.js';
import { LiveSubscriptions, type LiveSubscriptionOptions } from './live-subscriptions.js';
import { LiveUpdates } from './live-updates.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

export interface MyPageServiceOptions extends LiveSubscriptionOptions {
  /** This instance's live updates; a test passes its own to count the listeners left behind. */
  live?: LiveUpdates;
}

/** The customer's read model (CQRS): projected from the shop's events, never by calling other subgraphs. */
export async function startMyPageService(
  config: MyPageConfig,
  { live = new LiveUpdates(), ...subscriptionOptions }: MyPageServiceOptions = {},
): Promise<RunningService> {
  const database = await openMyPageDatabase(config.databaseUrl);
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
    resolvers: createResolvers(database, new LiveSubscriptions(database, live, subscriptionOptions)),
    subscriptions: true,
    database,
    // Live subscribers' listeners on this instance: zero once every subscriber has left.
    healthInfo: () => ({ liveListeners: live.listenerCount() }),
    background: {
      readiness: events.readiness,
      stop: async () => {
        await events.stop();
        await heartbeat.stop();
      },
    },
  });
}
