import { defineSubgraph } from '@bookshop/subgraph-kit';
import { z } from 'zod';
import { openMyPageDatabase } from './database.js';
import { consumerName, myPageConsumption } from './events.js';
import { startHeartbeat } from './heartbeat.js';
import { LiveSubscriptions, type LiveSubscriptionOptions } from './live-subscriptions.js';
import { LiveUpdates } from './live-updates.js';
import { createResolvers } from './resolvers.js';

export interface MyPageServiceOptions extends LiveSubscriptionOptions {
  /** This instance's live updates; a test passes its own to count the listeners left behind. */
  live?: LiveUpdates;
}

/** The customer's read model (CQRS): projected from the shop's events, never by calling other subgraphs. */
export const mypage = defineSubgraph({
  context: 'mypage',
  schema: new URL('../src/schema.graphql', import.meta.url),
  openDatabase: openMyPageDatabase,
  settings: {
    // Names this instance's durable consumer: each instance keeps its own read model.
    MYPAGE_INSTANCE: z
      .string()
      .regex(/^[\w-]+$/)
      .default('main'),
  },
  start: async ({ config, database, startEvents }, { live = new LiveUpdates(), ...subscriptionOptions }: MyPageServiceOptions) => {
    const consumer = consumerName(config.settings.MYPAGE_INSTANCE);
    // Recorded before the consumer starts and removed after it stops: while it is there, a rebuild
    // refuses to delete the consumer under this instance.
    const heartbeat = await startHeartbeat(database, config.settings.MYPAGE_INSTANCE);
    // Each change, once committed, goes to this instance's live subscribers.
    const events = startEvents({ name: consumer, consumes: () => myPageConsumption((entry) => live.publish(entry)) });
    return {
      resolvers: createResolvers(database, new LiveSubscriptions(database, live, subscriptionOptions)),
      subscriptions: true,
      // Live subscribers' listeners on this instance: zero once every subscriber has left.
      healthInfo: () => ({ liveListeners: live.listenerCount() }),
      background: {
        readiness: events.readiness,
        stop: async () => {
          await events.stop();
          await heartbeat.stop();
        },
      },
    };
  },
});
