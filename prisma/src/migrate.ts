import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { committedMigrations, type AppliedMigration, type CommittedMigration } from './migrations.js';
import { isPostgresContext, type ContextName } from '@bookshop/contexts';

/**
 * Prisma Migrate's history table, as `prisma migrate deploy` creates it; rows written here are the
 * rows it writes, so the CLI (`prisma migrate status`, `resolve`, `deploy`) reads this history as
 * its own.
 */
const HISTORY_TABLE = {
  postgres: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
    "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
    "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`,
  sqlite: `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
    "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
    "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`,
};
const HISTORY = `SELECT migration_name AS name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS "rolledBack" FROM _prisma_migrations`;
/** The advisory lock `prisma migrate deploy` holds: this and the CLI never migrate one database at once. */
const PRISMA_MIGRATE_LOCK = 72707369;

/**
 * The committed migrations a database still needs, in order. Refuses, as `prisma migrate deploy`
 * does, a database with a failed migration or whose applied migration differs from the committed
 * file: those need a person (`prisma migrate resolve`), not a retry.
 */
export function pendingMigrations(context: ContextName, history: AppliedMigration[]): CommittedMigration[] {
  const live = history.filter((row) => !row.rolledBack);
  const failed = live.find((row) => !row.finished);
  if (failed) {
    throw new Error(`${context}: migration ${failed.name} failed earlier; resolve it with \`prisma migrate resolve\` first`);
  }
  const applied = new Map(live.map((row) => [row.name, row.checksum]));
  const committed = committedMigrations(context);
  for (const migration of committed) {
    const checksum = applied.get(migration.name);
    if (checksum !== undefined && checksum !== migration.checksum) {
      throw new Error(`${context}: migration ${migration.name} was changed after it was applied`);
    }
  }
  return committed.filter((migration) => !applied.has(migration.name));
}

/**
 * Applies the context's committed migrations to the database at `databaseUrl` (idempotent), in
 * this process: starting Prisma's CLI costs about 1.7 s of CPU per database, most of a fresh
 * start-up. On PostgreSQL each migration and its history row commit together.
 */
export async function migrateDeploy(context: ContextName, databaseUrl: string): Promise<void> {
  if (isPostgresContext(context)) await migratePostgres(context, databaseUrl);
  else migrateSqlite(context, databaseUrl);
}

async function migratePostgres(context: ContextName, databaseUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
    await client.query(HISTORY_TABLE.postgres);
    const pending = pendingMigrations(context, (await client.query<AppliedMigration>(HISTORY)).rows);
    for (const migration of pending) {
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query(
          `INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
           VALUES ($1, $2, $3, now(), clock_timestamp(), 1)`,
          [randomUUID(), migration.checksum, migration.name],
        );
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`${context}: migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
    }
  } finally {
    await client.end(); // ends the session, and with it the advisory lock
  }
}

function migrateSqlite(context: ContextName, databaseUrl: string): void {
  const db = new Database(databaseUrl.replace(/^file:/, ''));
  try {
    db.exec(HISTORY_TABLE.sqlite);
    const history = (
      db.prepare(HISTORY).all() as Array<Omit<AppliedMigration, 'finished' | 'rolledBack'> & { finished: number; rolledBack: number }>
    ).map((row) => ({ ...row, finished: Boolean(row.finished), rolledBack: Boolean(row.rolledBack) }));
    for (const migration of pendingMigrations(context, history)) {
      // As Prisma does: the script runs outside a transaction (its PRAGMA foreign_keys=OFF around a
      // table rebuild only works there), and the history row says whether it finished.
      const id = randomUUID();
      db.prepare(`INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at) VALUES (?, ?, ?, ?)`).run(
        id,
        migration.checksum,
        migration.name,
        prismaTimestamp(),
      );
      try {
        db.exec(migration.sql);
      } catch (error) {
        db.prepare(`UPDATE _prisma_migrations SET logs = ? WHERE id = ?`).run((error as Error).message, id);
        throw new Error(`${context}: migration ${migration.name} failed: ${(error as Error).message}`, { cause: error });
      }
      db.prepare(`UPDATE _prisma_migrations SET finished_at = ?, applied_steps_count = 1 WHERE id = ?`).run(prismaTimestamp(), id);
    }
  } finally {
    db.close();
  }
}

/** A time as Prisma writes it into SQLite's history table. */
const prismaTimestamp = () => new Date().toISOString().replace('Z', '+00:00');
