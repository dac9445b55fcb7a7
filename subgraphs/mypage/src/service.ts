import { startContextEvents } from '@bookshop/events';
import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { MyPageConfig } from './config.js';
import { openMyPageDatabase } from './database.js';
import { consumerName, myPageHandlers } from './events.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The customer's read model (CQRS): projected from the shop's events, never by calling other subgraphs. */
export async function startMyPageService(config: MyPageConfig): Promise<RunningService> {
  const database = await openMyPageDatabase(config.databaseUrl);
  const consumer = consumerName(config.instance);
  const events = startContextEvents({
    settings: config.events,
    name: consumer,
    handlers: () => myPageHandlers(database, consumer, () => {}),
  });
  return startDatabaseSubgraph({
    name: 'mypage',
    config,
    typeDefs,
    resolvers: createResolvers(database),
    database,
    beforeDatabaseCloses: events.stop,
  });
}
