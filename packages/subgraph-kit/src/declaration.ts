import type { ContextName } from '@bookshop/contexts';
import type { ContextEvents, Consumption, OutboxModel, OutboxWriter, RawQueryExecutor } from '@bookshop/events';
import type { GraphQLResolverMap, HealthInfo, ReadinessCheck, ServiceConfig, ServiceContext, ServiceDatabase } from '@bookshop/runtime';
import type { z } from 'zod';

/** A subgraph's configuration: the shared settings, its database and the settings it declared. */
export interface SubgraphConfig<Settings> extends ServiceConfig {
  databaseUrl: string;
  settings: Settings;
}

/** What a subgraph's `start` is given: its configuration, its open database, and its tools. */
export interface SubgraphSetup<Database, Settings> {
  config: SubgraphConfig<Settings>;
  database: Database;
  /**
   * The context's outbox relay and durable consumer (named after the context unless `name` says
   * otherwise). The consumer applies batches of events in transactions of the context's database:
   * `consumes` says what it does with them, in a transaction client of its Prisma client.
   */
  startEvents: <Tx extends RawQueryExecutor>(options: {
    name?: string;
    outbox?: OutboxModel;
    consumes?: (writer: OutboxWriter) => Consumption<Tx>;
  }) => ContextEvents;
  /** A credential for calls to other services, signed with this service's own key. */
  serviceCredential: () => () => Promise<string>;
}

/** What a subgraph serves, and the work that runs beside it. */
export interface SubgraphParts {
  resolvers: GraphQLResolverMap<ServiceContext>;
  /** Serve the schema's Subscription type over graphql-ws too. */
  subscriptions?: boolean;
  /** Figures for /readyz's body. */
  healthInfo?: HealthInfo;
  /** Its events and any other background work: checked by /readyz, stopped after the HTTP drain, before the database closes. */
  background?: { readiness: ReadinessCheck[]; stop: () => Promise<void> };
}

/**
 * One subgraph, declared: which context it is (its port and database engine come from the
 * contexts list), its schema file, how its Prisma client opens, the settings only it reads, and
 * how it puts its resolvers and events together. The kit does the rest the same way for all.
 */
export interface SubgraphDeclaration<Database extends ServiceDatabase, Shape extends z.ZodRawShape, Options> {
  context: ContextName;
  schema: URL;
  /** Its Prisma client on its database (ready to use: a SQLite one already tuned). */
  openDatabase: (url: string) => Database | Promise<Database>;
  /** Environment variables of this subgraph alone, validated with the shared ones at start-up. */
  settings?: Shape;
  /** Why this subgraph calls other services: it cannot start without its own signing key. */
  callsServices?: string;
  start: (setup: SubgraphSetup<Database, z.infer<z.ZodObject<Shape>>>, options: Options) => SubgraphParts | Promise<SubgraphParts>;
}
