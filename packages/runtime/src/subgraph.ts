import { readFileSync } from 'node:fs';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { parse, type DocumentNode } from 'graphql';
import type { ServiceConfig } from './config.js';
import { startGraphQLService, type GraphQLServiceOptions, type RunningService, type ServiceContext } from './graphql-service.js';
import { databaseReadiness, type HealthInfo, type ReadinessCheck } from './health.js';
import { internalFieldsOnlyFor } from './internal-fields.js';
import { ServiceTrust } from './service-credentials.js';

/** Reads a subgraph's SDL file (src/schema.graphql, beside the code). */
export function loadTypeDefs(file: URL): DocumentNode {
  return parse(readFileSync(file, 'utf8'));
}

export interface SubgraphOptions extends Omit<GraphQLServiceOptions, 'apollo' | 'subscriptions'> {
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<ServiceContext>;
  /** Serve the schema's Subscription type over graphql-ws too. */
  subscriptions?: boolean;
  /** The services that may ask for `_entities` and `_service` (their credential): the router and order. */
  entitiesFor?: readonly string[];
}

/** Starts one federation 2 subgraph on the shared service runtime. */
// buildSubgraphSchema types resolvers with an `unknown` context; ours all take ServiceContext.
export function startSubgraph({
  typeDefs,
  resolvers,
  subscriptions,
  entitiesFor = ['router', 'order'],
  ...options
}: SubgraphOptions): Promise<RunningService> {
  const schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
  return startGraphQLService({
    ...options,
    apollo: { schema },
    ...(subscriptions ? { subscriptions: { schema } } : {}),
    // No usage reporting to Apollo's cloud and no landing page: only the router faces people.
    plugins: [
      ApolloServerPluginInlineTraceDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      internalFieldsOnlyFor(entitiesFor),
      ...(options.plugins ?? []),
    ],
  });
}

export type { GraphQLResolverMap };

/** A Prisma client, as far as the runtime needs one: a trivial query and a way to close it. */
export interface ServiceDatabase {
  $queryRawUnsafe(query: string): Promise<unknown>;
  $disconnect(): Promise<void>;
}

export interface DatabaseSubgraphOptions {
  name: string;
  config: ServiceConfig;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<ServiceContext>;
  /** The context's own database: it decides readiness, and is closed after the drain. */
  database: ServiceDatabase;
  subscriptions?: boolean;
  /**
   * Work that runs beside the server — the context's event relay and consumer: its checks are
   * reported in /readyz, and it is stopped after the HTTP drain, before the database closes.
   */
  background?: { readiness: ReadinessCheck[]; stop: () => Promise<void> };
  /** Figures for /readyz's body (`info`). */
  healthInfo?: HealthInfo;
}

/** The usual subgraph: one database of its own, ready while that database answers. */
export function startDatabaseSubgraph({ config, database, background, ...options }: DatabaseSubgraphOptions): Promise<RunningService> {
  return startSubgraph({
    ...options,
    port: config.port,
    host: config.host,
    jwtSecret: config.userTokens,
    serviceTrust: new ServiceTrust(config.serviceKeys.trusted),
    shutdownGraceMs: config.shutdownGraceMs,
    shutdownDelayMs: config.shutdownDelayMs,
    liveness: config.liveness,
    readiness: [databaseReadiness(database), ...(background?.readiness ?? [])],
    onStop: async () => {
      await background?.stop();
      await database.$disconnect();
    },
  });
}
