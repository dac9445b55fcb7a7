import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { DeliveryConfig } from './config.js';
import { createDeliveryDatabase } from './database.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

export async function startDeliveryService(config: DeliveryConfig): Promise<RunningService> {
  const database = createDeliveryDatabase(config.databaseUrl);
  return startDatabaseSubgraph({ name: 'delivery', config, typeDefs, resolvers: createResolvers(database), database });
}
