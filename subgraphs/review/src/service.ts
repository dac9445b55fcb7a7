import { databaseReadiness, loadTypeDefs, startSubgraph, type RunningService } from '@bookshop/runtime';
import type { ReviewConfig } from './config.js';
import { openReviewDatabase } from './database.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/** The review subgraph: everything wired, listening. */
export async function startReviewService(config: ReviewConfig): Promise<RunningService> {
  const db = await openReviewDatabase(config.databaseUrl);
  return startSubgraph({
    name: 'review',
    port: config.port,
    typeDefs,
    resolvers: createResolvers(db),
    jwtSecret: config.jwtSecret,
    shutdownGraceMs: config.shutdownGraceMs,
    readiness: [databaseReadiness(db)],
    onStop: () => db.$disconnect(),
  });
}
