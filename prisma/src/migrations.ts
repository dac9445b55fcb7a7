import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ContextName } from '@bookshop/contexts';

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

const committed = new Map<ContextName, CommittedMigration[]>();

/** The migrations committed for a context, in order (read once per process). */
export function committedMigrations(context: ContextName): CommittedMigration[] {
  let migrations = committed.get(context);
  if (!migrations) committed.set(context, (migrations = readCommitted(context)));
  return migrations;
}

/** A short name for a context's set of committed migrations: it changes when any of them does. */
export function migrationSetId(context: ContextName): string {
  const hash = createHash('sha256');
  for (const migration of committedMigrations(context)) hash.update(migration.name).update(migration.checksum);
  return hash.digest('hex').slice(0, 12);
}

function readCommitted(context: ContextName): CommittedMigration[] {
  return readdirSync(`${prismaDir}/${context}/migrations`, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(`${prismaDir}/${context}/migrations/${name}/migration.sql`, 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}
