import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PostgresContext, SqliteContext } from '@bookshop/contexts';
import { dropDatabase, ensureDatabase } from '@bookshop/prisma';
import { TEST_POSTGRES_URL, copySqliteTemplate, postgresTemplateName } from './templates.js';

export interface TestDatabase {
  url: string;
  drop: () => Promise<void>;
}

const SOURCE_IN_USE = '55006';

/** A fresh, migrated PostgreSQL database of the context, with a unique name. */
export async function createPostgresTestDatabase(context: PostgresContext): Promise<TestDatabase> {
  const name = `test_${context}_${randomBytes(6).toString('hex')}`;
  for (let attempt = 1; ; attempt++) {
    try {
      const url = await ensureDatabase(TEST_POSTGRES_URL, name, { template: postgresTemplateName(context) });
      return { url, drop: () => dropDatabase(TEST_POSTGRES_URL, name) };
    } catch (error) {
      // Two clones of one template at the same instant: PostgreSQL refuses the second; try again.
      if ((error as { code?: string }).code !== SOURCE_IN_USE || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

/** A fresh, migrated SQLite file of the context in its own temporary folder. */
export function createSqliteTestDatabase(context: SqliteContext): TestDatabase {
  const dir = mkdtempSync(path.join(os.tmpdir(), `bookshop-${context}-`));
  const file = path.join(dir, `${context}.db`);
  copySqliteTemplate(context, file);
  return { url: `file:${file}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** Rows in a PostgreSQL table, read straight from the database: what "nothing changed" checks. */
export async function countRows(url: string, table: string): Promise<number> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ count: string }>(`SELECT count(*) FROM "${table.replaceAll('"', '""')}"`);
    return Number(result.rows[0]?.count ?? 0);
  } finally {
    await client.end();
  }
}

/** One query's rows, straight from a PostgreSQL database (for assertions on what was stored). */
export async function queryRows<T extends Record<string, unknown>>(url: string, sql: string, values: unknown[] = []): Promise<T[]> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}
