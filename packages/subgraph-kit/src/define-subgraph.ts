import { CONTEXTS } from '@bookshop/contexts';
import { inTransactions, startContextEvents, type TransactionalDatabase } from '@bookshop/events';
import { contextDatabaseUrl } from '@bookshop/prisma';
import {
  loadTypeDefs,
  readServiceEnv,
  requireSigningKey,
  serviceCredential,
  startDatabaseSubgraph,
  type RunningService,
  type ServiceDatabase,
} from '@bookshop/runtime';
import type { z } from 'zod';
import type { SubgraphConfig, SubgraphDeclaration } from './declaration.js';

/** A declared subgraph, ready to read its configuration and start. */
export interface Subgraph<Database extends ServiceDatabase, Settings, Options> {
  context: SubgraphDeclaration<Database, z.ZodRawShape, Options>['context'];
  /** Reads and validates its environment, as the process does at start-up (the manifest test uses it too). */
  readConfig: (env?: NodeJS.ProcessEnv) => SubgraphConfig<Settings>;
  /** Its database, opened as the service opens it. */
  openDatabase: (config: SubgraphConfig<Settings>) => Promise<Database>;
  start: (config: SubgraphConfig<Settings>, options?: Options) => Promise<RunningService>;
}

export function defineSubgraph<Database extends ServiceDatabase, Shape extends z.ZodRawShape = Record<never, never>, Options = object>(
  declaration: SubgraphDeclaration<Database, Shape, Options>,
): Subgraph<Database, z.infer<z.ZodObject<Shape>>, Options> {
  type Config = SubgraphConfig<z.infer<z.ZodObject<Shape>>>;
  const { context } = declaration;
  const typeDefs = loadTypeDefs(declaration.schema);

  const readConfig = (env: NodeJS.ProcessEnv = process.env): Config => {
    const { env: settings, ...shared } = readServiceEnv(CONTEXTS[context].port, declaration.settings ?? ({} as Shape), env);
    if (declaration.callsServices) requireSigningKey(shared, declaration.callsServices);
    return { ...shared, databaseUrl: contextDatabaseUrl(context, env), settings };
  };

  const openDatabase = async (config: Config): Promise<Database> => declaration.openDatabase(config.databaseUrl);

  const start = async (config: Config, options = {} as Options): Promise<RunningService> => {
    const database = await openDatabase(config);
    try {
      const parts = await declaration.start(
        {
          config,
          database,
          startEvents: ({ name = context, outbox, consumes }) =>
            startContextEvents({
              settings: config.events,
              name,
              ...(outbox ? { outbox } : {}),
              ...(consumes
                ? {
                    handling: (writer) =>
                      inTransactions({
                        // Every context's database is a Prisma client: its transactions hand over the client `consumes` is written for.
                        database: database as unknown as TransactionalDatabase<never>,
                        consumer: name,
                        consumption: consumes(writer),
                        maxBatch: config.events.batchSize,
                        lingerMs: config.events.batchLingerMs,
                        ...(outbox ? { writer } : {}),
                      }),
                  }
                : {}),
            }),
          serviceCredential: () =>
            serviceCredential(requireSigningKey(config, declaration.callsServices ?? `${context} calls other services`)),
        },
        options,
      );
      return await startDatabaseSubgraph({ name: context, config, typeDefs, database, ...parts });
    } catch (error) {
      await database.$disconnect();
      throw error;
    }
  };

  return { context, readConfig, openDatabase, start };
}
