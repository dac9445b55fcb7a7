import { databaseReadiness, loadTypeDefs, startSubgraph, type RunningService } from '@bookshop/runtime';
import type { BookConfig } from './config.js';
import { createBookDatabase } from './database.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The catalogue and stock subgraph: everything wired, listening. */
export async function startBookService(config: BookConfig): Promise<RunningService> {
  const db = createBookDatabase(config.databaseUrl);
  return startSubgraph({
    name: 'book',
    port: config.port,
    typeDefs,
    resolvers: createResolvers(db),
    jwtSecret: config.jwtSecret,
    shutdownGraceMs: config.shutdownGraceMs,
    readiness: [databaseReadiness(db)],
    onStop: () => db.$disconnect(),
  });
}
