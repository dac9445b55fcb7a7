import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { defineConfig } from 'prisma/config';
import type { PostgresContext, SqliteContext } from '@bookshop/contexts';
import { postgresDatabaseUrl, sqliteDatabaseUrl } from '../src/database-urls.ts';
import { pgMigrationAdapter } from './pg-migration-adapter.ts';

/*
 * Prisma configs for the CLI (generate, migrate). Prisma 6 runs offline only with the JavaScript
 * schema engine and a driver adapter. DATABASE_URL must always have a value, or `generate` tries
 * to download a native engine; the defaults only matter for `generate`, which does not connect.
 */

// The config is a union by `engine`; only its JavaScript-engine member takes an adapter.
type MigrationAdapter = Extract<Parameters<typeof defineConfig>[0], { engine: 'js' }>['adapter'];

function prismaConfig(dir: string, adapter: MigrationAdapter) {
  return defineConfig({
    experimental: { adapter: true },
    engine: 'js',
    schema: path.join(dir, 'schema.prisma'),
    migrations: { path: path.join(dir, 'migrations') },
    adapter,
  } as Parameters<typeof defineConfig>[0]);
}

export function postgresPrismaConfig(context: PostgresContext, dir: string) {
  const url = (process.env.DATABASE_URL ??= postgresDatabaseUrl(context));
  return prismaConfig(dir, async () => pgMigrationAdapter(url));
}

export function sqlitePrismaConfig(context: SqliteContext, dir: string) {
  const url = (process.env.DATABASE_URL ??= sqliteDatabaseUrl(context));
  return prismaConfig(dir, async () => new PrismaBetterSQLite3({ url }));
}
