import path from 'node:path';
import { isPostgresContext, type ContextName, type PostgresContext, type SqliteContext } from '@bookshop/contexts';
import { databaseUrl } from './postgres-admin.js';

/**
 * Where each context's database lives (docs/architecture.md, "Conventions"): `<CONTEXT>_DATABASE_URL` wins; otherwise
 * database `bookshop_<context>` on the server named by POSTGRES_URL, and `<DATA_DIR>/<context>.db`
 * for the SQLite contexts.
 */
export const DEFAULT_POSTGRES_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

export function postgresDatabaseUrl(context: PostgresContext, env: NodeJS.ProcessEnv = process.env): string {
  return env[`${context.toUpperCase()}_DATABASE_URL`] ?? databaseUrl(env.POSTGRES_URL ?? DEFAULT_POSTGRES_URL, `bookshop_${context}`);
}

export function sqliteDatabaseUrl(context: SqliteContext, env: NodeJS.ProcessEnv = process.env): string {
  return env[`${context.toUpperCase()}_DATABASE_URL`] ?? `file:${path.resolve(env.DATA_DIR ?? '.data', `${context}.db`)}`;
}

/** The database of any context, by its engine. */
export function contextDatabaseUrl(context: ContextName, env: NodeJS.ProcessEnv = process.env): string {
  return isPostgresContext(context) ? postgresDatabaseUrl(context, env) : sqliteDatabaseUrl(context, env);
}
