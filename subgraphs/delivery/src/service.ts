import { databaseReadiness, loadTypeDefs, startSubgraph, type RunningService } from '@bookshop/runtime';
import type { DeliveryConfig } from './config.js';
import { createDeliveryDatabase } from './database.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The delivery subgraph: everything wired, listening. */
export async function startDeliveryService(config: DeliveryConfig): Promise<RunningService> {
  const db = createDeliveryDatabase(config.databaseUrl);
  return startSubgraph({
    name: 'delivery',
    port: config.port,
    typeDefs,
    resolvers: createResolvers(db),
    jwtSecret: config.jwtSecret,
    shutdownGraceMs: config.shutdownGraceMs,
    readiness: [databaseReadiness(db)],
    onStop: () => db.$disconnect(),
  });
}
