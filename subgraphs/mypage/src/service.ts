import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { MyPageConfig } from './config.js';
import { openMyPageDatabase } from './database.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

export async function startMyPageService(config: MyPageConfig): Promise<RunningService> {
  const database = await openMyPageDatabase(config.databaseUrl);
  return startDatabaseSubgraph({ name: 'mypage', config, typeDefs, resolvers: createResolvers(database), database });
}
