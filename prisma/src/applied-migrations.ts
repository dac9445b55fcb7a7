import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { isPostgresContext, type Context } from './contexts.js';

const prismaDir = fileURLToPath(new URL('..', import.meta.url));

export interface CommittedMigration {
  /** The folder name, which orders migrations. */
  name: string;
  sql: string;
  /** SHA-256 of migration.sql, as Prisma Migrate records it. */
  checksum: string;
}

/** A row of a database's migration history. */
export interface AppliedMigration {
  name: string;
  checksum: string;
  finished: boolean;
  rolledBack: boolean;
}

/** The migrations committed for a context, in order. */
export function committedMigrations(context: Context): CommittedMigration[] {
  return readdirSync(`${prismaDir}/${context}/migrations`, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(`${prismaDir}/${context}/migrations/${name}/migration.sql`, 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const APPLIED = `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;

/**
 * The migrations a database has applied, from Prisma's own `_prisma_migrations` table; empty when
 * the table (or the SQLite file) does not exist yet.
 */
export async function appliedMigrations(context: Context, databaseUrl: string): Promise<string[]> {
  if (isPostgresContext(context)) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const exists = await client.query(`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`);
      if (!exists.rows[0]?.present) return [];
      return (await client.query<{ migration_name: string }>(APPLIED)).rows.map((row) => row.migration_name);
    } finally {
      await client.end();
    }
  }
  const file = databaseUrl.replace(/^file:/, '');
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    return [];
  }
  try {
    const table = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = '_prisma_migrations'`).get();
    if (!table) return [];
    return (db.prepare(APPLIED).all() as Array<{ migration_name: string }>).map((row) => row.migration_name);
  } finally {
    db.close();
  }
}
