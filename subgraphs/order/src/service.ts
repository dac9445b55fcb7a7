import { loadTypeDefs, serviceToken, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { OrderConfig } from './config.js';
import { createOrderDatabase } from './database.js';
import { createResolvers } from './resolvers.js';
import { createStockClient } from './stock-client.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The order subgraph and its saga, which reserves stock in book synchronously. */
export async function startOrderService(config: OrderConfig): Promise<RunningService> {
  const database = createOrderDatabase(config.databaseUrl);
  const stock = createStockClient({
    bookUrl: config.bookUrl,
    token: serviceToken('order', config.jwtSecret),
    timeoutMs: config.stockCallTimeoutMs,
  });
  return startDatabaseSubgraph({ name: 'order', config, typeDefs, resolvers: createResolvers(database, stock), database });
}
