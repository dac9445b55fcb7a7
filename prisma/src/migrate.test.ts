import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appliedMigrations, committedMigrations } from './applied-migrations.js';
import { migrateDeploy } from './migrate.js';
import { databaseUrl, dropDatabase, ensureDatabase } from './postgres-admin.js';

const server = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const database = `bookshop_migrate_test_${process.pid}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'bookshop-migrate-'));
afterAll(async () => {
  await dropDatabase(server, database);
  rmSync(dir, { recursive: true, force: true });
});

describe('migrateDeploy', () => {
  it('applies every committed migration to an empty PostgreSQL database, and knows it has', async () => {
    await ensureDatabase(server, database);
    const url = databaseUrl(server, database);
    expect(await appliedMigrations('book', url)).toEqual([]);
    await migrateDeploy('book', url);
    expect((await appliedMigrations('book', url)).sort()).toEqual(committedMigrations('book'));
    await migrateDeploy('book', url); // up to date: nothing to do, and no error
  });

  it('reads a SQLite file that does not exist yet as having no migrations, then migrates it', async () => {
    const url = `file:${dir}/review.db`;
    expect(await appliedMigrations('review', url)).toEqual([]);
    await migrateDeploy('review', url);
    expect((await appliedMigrations('review', url)).sort()).toEqual(committedMigrations('review'));
  });
});
