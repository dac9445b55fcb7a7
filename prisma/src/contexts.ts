/** The shop's bounded contexts and the database engine each one owns. */
export const POSTGRES_CONTEXTS = ['book', 'order', 'delivery'] as const;
export const SQLITE_CONTEXTS = ['review', 'mypage'] as const;
export const CONTEXTS = [...POSTGRES_CONTEXTS, ...SQLITE_CONTEXTS] as const;

export type PostgresContext = (typeof POSTGRES_CONTEXTS)[number];
export type SqliteContext = (typeof SQLITE_CONTEXTS)[number];
export type Context = (typeof CONTEXTS)[number];

export function isPostgresContext(context: Context): context is PostgresContext {
  return (POSTGRES_CONTEXTS as readonly string[]).includes(context);
}
