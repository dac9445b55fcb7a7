import { loadTypeDefs, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { BookConfig } from './config.js';
import { createBookDatabase } from './database.js';
import { createResolvers } from './resolvers.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

export async function startBookService(config: BookConfig): Promise<RunningService> {
  const database = createBookDatabase(config.databaseUrl);
  return startDatabaseSubgraph({ name: 'book', config, typeDefs, resolvers: createResolvers(database), database });
}
