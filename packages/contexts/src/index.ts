/**
 * The shop's bounded contexts: each one is a subgraph with a database of its own, listening on its
 * own port unless PORT says otherwise. This is the one list of them: the router, `pnpm start`, the
 * migrations, the event permissions and each subgraph's declaration read it from here.
 */
export const CONTEXTS = {
  book: { port: 4001, database: 'postgresql' },
  order: { port: 4002, database: 'postgresql' },
  delivery: { port: 4003, database: 'postgresql' },
  review: { port: 4004, database: 'sqlite' },
  mypage: { port: 4005, database: 'sqlite' },
} as const;

/** The router's port unless ROUTER_PORT says otherwise: the one address clients use. */
export const ROUTER_PORT = 4000;

export type ContextName = keyof typeof CONTEXTS;
type ContextsOn<Engine extends string> = {
  [Name in ContextName]: (typeof CONTEXTS)[Name]['database'] extends Engine ? Name : never;
}[ContextName];
export type PostgresContext = ContextsOn<'postgresql'>;
export type SqliteContext = ContextsOn<'sqlite'>;

export const CONTEXT_NAMES = Object.keys(CONTEXTS) as ContextName[];

export function isContextName(name: string): name is ContextName {
  return Object.hasOwn(CONTEXTS, name);
}

export function isPostgresContext(context: ContextName): context is PostgresContext {
  return CONTEXTS[context].database === 'postgresql';
}

export const POSTGRES_CONTEXTS = CONTEXT_NAMES.filter(isPostgresContext);
export const SQLITE_CONTEXTS = CONTEXT_NAMES.filter((context): context is SqliteContext => !isPostgresContext(context));

/** Where a context's subgraph answers on this machine when nothing says otherwise. */
export const localSubgraphUrl = (context: ContextName) => `http://127.0.0.1:${CONTEXTS[context].port}/graphql`;
