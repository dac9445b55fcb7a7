import { copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { POSTGRES_CONTEXTS, SQLITE_CONTEXTS, type PostgresContext, type SqliteContext } from '@bookshop/contexts';
import { databaseExists, databaseUrl, dropDatabase, ensureDatabase, migrateDeploy, migrationSetId } from '@bookshop/prisma';

/**
 * Migrated template databases, made once per migration set: every test then gets a fresh,
 * migrated database by copying one (CREATE DATABASE … TEMPLATE, or a file copy for SQLite)
 * in milliseconds instead of running migrations again.
 */
export const TEST_POSTGRES_URL = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

export const postgresTemplateName = (context: PostgresContext) => `bookshop_tpl_${context}_${migrationSetId(context)}`;

export const sqliteTemplatePath = (context: SqliteContext) =>
  path.join(os.tmpdir(), 'bookshop-templates', `${context}-${migrationSetId(context)}.db`);

async function preparePostgresTemplate(context: PostgresContext): Promise<void> {
  const name = postgresTemplateName(context);
  if (await databaseExists(TEST_POSTGRES_URL, name)) return;
  // Build under a scratch name and rename when complete, so a crash never leaves a half template.
  const scratch = `${name}_building_${process.pid}`;
  const url = await ensureDatabase(TEST_POSTGRES_URL, scratch);
  try {
    await migrateDeploy(context, url);
    await renameDatabase(scratch, name);
  } finally {
    await dropDatabase(TEST_POSTGRES_URL, scratch);
  }
}

async function renameDatabase(from: string, to: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: databaseUrl(TEST_POSTGRES_URL, 'postgres') });
  await client.connect();
  try {
    await client.query(`ALTER DATABASE "${from}" RENAME TO "${to}"`);
  } catch (error) {
    if ((error as { code?: string }).code !== '42P04') throw error; // a parallel run made it first
  } finally {
    await client.end();
  }
}

async function prepareSqliteTemplate(context: SqliteContext): Promise<void> {
  const file = sqliteTemplatePath(context);
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  const scratch = `${file}.${process.pid}.building`;
  await migrateDeploy(context, `file:${scratch}`);
  renameSync(scratch, file);
}

/** Makes every missing template; called once per test run (vitest globalSetup). */
export async function prepareTemplates(): Promise<void> {
  await Promise.all([...POSTGRES_CONTEXTS.map(preparePostgresTemplate), ...SQLITE_CONTEXTS.map(prepareSqliteTemplate)]);
}

export function copySqliteTemplate(context: SqliteContext, target: string): void {
  copyFileSync(sqliteTemplatePath(context), target);
}
