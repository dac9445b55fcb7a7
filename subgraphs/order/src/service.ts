import { databaseReadiness, loadTypeDefs, serviceToken, startSubgraph, type RunningService } from '@bookshop/runtime';
import type { OrderConfig } from './config.js';
import { createOrderDatabase } from './database.js';
import { createResolvers } from './resolvers.js';
import { createStockClient } from './stock-client.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The order subgraph and its saga: everything wired, listening. */
export async function startOrderService(config: OrderConfig): Promise<RunningService> {
  const db = createOrderDatabase(config.databaseUrl);
  const stock = createStockClient({
    bookUrl: config.bookUrl,
    token: serviceToken('order', config.jwtSecret),
    timeoutMs: config.stockCallTimeoutMs,
  });
  return startSubgraph({
    name: 'order',
    port: config.port,
    typeDefs,
    resolvers: createResolvers(db, stock),
    jwtSecret: config.jwtSecret,
    shutdownGraceMs: config.shutdownGraceMs,
    readiness: [databaseReadiness(db)],
    onStop: () => db.$disconnect(),
  });
}
