import { databaseReadiness, loadTypeDefs, startSubgraph, type RunningService } from '@bookshop/runtime';
import type { MyPageConfig } from './config.js';
import { openMyPageDatabase } from './database.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The my page subgraph (the customer's read model): everything wired, listening. */
export async function startMyPageService(config: MyPageConfig): Promise<RunningService> {
  const db = await openMyPageDatabase(config.databaseUrl);
  return startSubgraph({
    name: 'mypage',
    port: config.port,
    typeDefs,
    resolvers: createResolvers(db),
    jwtSecret: config.jwtSecret,
    shutdownGraceMs: config.shutdownGraceMs,
    readiness: [databaseReadiness(db)],
    onStop: () => db.$disconnect(),
  });
}
