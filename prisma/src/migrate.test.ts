import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { isPostgresContext, type ContextName } from '@bookshop/contexts';
import { migrateDeploy, pendingMigrations } from './migrate.js';
import { committedMigrations } from './migrations.js';
import { databaseUrl, dropDatabase, ensureDatabase } from './postgres-admin.js';

const server = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const databases: string[] = [];
const dir = mkdtempSync(path.join(os.tmpdir(), 'bookshop-migrate-'));
afterAll(async () => {
  await Promise.all(databases.map((name) => dropDatabase(server, name)));
  rmSync(dir, { recursive: true, force: true });
});

async function emptyPostgresDatabase(): Promise<string> {
  const name = `bookshop_migrate_test_${process.pid}_${databases.length}`;
  databases.push(name);
  await ensureDatabase(server, name);
  return databaseUrl(server, name);
}

const prismaDir = fileURLToPath(new URL('..', import.meta.url));
/** `prisma migrate status` through Prisma's own CLI: exit code and what it printed. */
async function prismaMigrateStatus(context: ContextName, url: string): Promise<{ code: number | null; output: string }> {
  const cli = createRequire(import.meta.url).resolve('prisma/build/index.js');
  const child = spawn(process.execPath, [cli, 'migrate', 'status', '--config', `${prismaDir}/${context}/prisma.config.ts`], {
    cwd: prismaDir,
    env: {
      ...process.env,
      DATABASE_URL: url,
      CHECKPOINT_DISABLE: '1',
    },
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, output };
}

const APPLIED = `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;

/** What a database's history says is applied, read straight from it; empty when there is no history yet. */
async function appliedMigrations(context: ContextName, url: string): Promise<string[]> {
  if (isPostgresContext(context)) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const exists = await client.query(`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS present`);
      if (!exists.rows[0]?.present) return [];
      return (await client.query<{ migration_name: string }>(APPLIED)).rows.map((row) => row.migration_name);
    } finally {
      await client.end();
    }
  }
  let db: Database.Database;
  try {
    db = new Database(url.replace(/^file:/, ''), { readonly: true, fileMustExist: true });
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

const names = (context: ContextName) => committedMigrations(context).map((migration) => migration.name);

describe('migrateDeploy', () => {
  it('applies every committed migration to an empty PostgreSQL database, in a history Prisma reads as its own', async () => {
    const url = await emptyPostgresDatabase();
    expect(await appliedMigrations('book', url)).toEqual([]);
    await migrateDeploy('book', url);
    expect((await appliedMigrations('book', url)).sort()).toEqual(names('book'));
    await migrateDeploy('book', url); // up to date: nothing to do, and no error
    expect((await appliedMigrations('book', url)).sort()).toEqual(names('book'));
    const status = await prismaMigrateStatus('book', url);
    expect(status.output).toContain('Database schema is up to date');
    expect(status.code).toBe(0);
  });

  it('applies each migration once when two processes migrate one database at the same time', async () => {
    const url = await emptyPostgresDatabase();
    await Promise.all([migrateDeploy('order', url), migrateDeploy('order', url)]);
    expect((await appliedMigrations('order', url)).sort()).toEqual(names('order'));
  });

  it('migrates a SQLite file that does not exist yet, table rebuilds included, in a history Prisma reads as its own', async () => {
    const url = `file:${dir}/mypage.db`;
    expect(await appliedMigrations('mypage', url)).toEqual([]);
    await migrateDeploy('mypage', url);
    expect((await appliedMigrations('mypage', url)).sort()).toEqual(names('mypage'));
    const status = await prismaMigrateStatus('mypage', url);
    expect(status.output).toContain('Database schema is up to date');
    expect(status.code).toBe(0);
  });
});

describe('pendingMigrations', () => {
  const [first] = committedMigrations('book');
  const row = (name: string, checksum: string, finished = true) => ({ name, checksum, finished, rolledBack: false });

  it('is what the history lacks, in order', () => {
    expect(pendingMigrations('book', []).map((m) => m.name)).toEqual(names('book'));
    expect(pendingMigrations('book', [row(first!.name, first!.checksum)]).map((m) => m.name)).toEqual(names('book').slice(1));
  });

  it('refuses a database with a failed migration, or with an applied migration that was edited since', () => {
    expect(() => pendingMigrations('book', [row(first!.name, first!.checksum, false)])).toThrow(/failed earlier/);
    expect(() => pendingMigrations('book', [row(first!.name, 'edited')])).toThrow(/changed after it was applied/);
  });

  it('applies again a migration that was rolled back', () => {
    const rolledBack = { ...row(first!.name, first!.checksum, false), rolledBack: true };
    expect(pendingMigrations('book', [rolledBack]).map((m) => m.name)).toEqual(names('book'));
  });
});
