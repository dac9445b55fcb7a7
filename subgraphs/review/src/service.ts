import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { ReviewConfig } from './config.js';
import { openReviewDatabase } from './database.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

export async function startReviewService(config: ReviewConfig): Promise<RunningService> {
  const database = await openReviewDatabase(config.databaseUrl);
  return startDatabaseSubgraph({ name: 'review', config, typeDefs, resolvers: createResolvers(database), database });
}
