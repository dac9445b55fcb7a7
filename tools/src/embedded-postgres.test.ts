import { mkdtempSync, readdirSync, rmSync, statSync, watch } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ensureDatabase } from '@bookshop/prisma';
import { afterAll, expect, it } from 'vitest';
import { freePort } from './free-port.js';
import { embeddedPostgresPrograms } from './embedded-postgres-dir.js';
import { providePostgres, type Postgres } from './infrastructure.js';

// A clone under root's home: a folder (mkdtemp makes it 0700, owned by root) the postgres user
// cannot traverse.
const privateParent = mkdtempSync(path.join(os.tmpdir(), 'bookshop-private-home-'));
const dataDir = path.join(privateParent, 'clone', '.data');
let postgres: Postgres | undefined;
afterAll(async () => {
  await postgres?.stop();
  if (postgres?.databaseDir && !postgres.databaseDir.startsWith(privateParent))
    rmSync(postgres.databaseDir, { recursive: true, force: true });
  rmSync(privateParent, { recursive: true, force: true });
});

/** Whether the postgres account can get to `target` (every folder on the way traversable). */
const postgresCanReach = (target: string) => {
  try {
    execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', `test -x '${target}'`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

// Where this checkout itself is unreachable for the postgres user (CI clones into a 0700 temporary
// folder), the shop cannot run the embedded PostgreSQL at all: it must say so in one line, at once.
it.runIf(process.getuid?.() === 0 && !postgresCanReach(embeddedPostgresPrograms()))(
  'as root, in a checkout the postgres user cannot reach, start-up stops at once with one line naming POSTGRES_URL',
  async () => {
    const started = Date.now();
    await expect(providePostgres({}, dataDir, await freePort(), () => {})).rejects.toThrow(/cannot reach its programs .*POSTGRES_URL=/);
    expect(Date.now() - started).toBeLessThan(10_000);
  },
);

it.runIf(process.getuid?.() === 0 && postgresCanReach(embeddedPostgresPrograms()))(
  'as root, from a folder the postgres user cannot reach, the embedded PostgreSQL keeps its data in a private /var/tmp folder, says so, and never leaves its password file in the shared tmp',
  async () => {
    const sharedTmp = os.tmpdir();
    const passwordFilesSeen: string[] = [];
    const watcher = watch(sharedTmp, (_event, name) => {
      if (name?.startsWith('pg-password-')) passwordFilesSeen.push(name);
    });
    const lines: string[] = [];
    try {
      postgres = await providePostgres({}, dataDir, await freePort(), (line) => lines.push(line));
    } finally {
      watcher.close();
    }

    expect(postgres.databaseDir).toMatch(/^\/var\/tmp\/bookshop-postgres-[0-9a-f]{12}$/);
    const stat = statSync(postgres.databaseDir!);
    expect(stat.mode & 0o777).toBe(0o700);
    expect(stat.uid).toBe(Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()));
    expect(lines).toEqual([
      `the postgres user cannot reach ${path.join(dataDir, 'postgres')}; keeping the embedded PostgreSQL's data in ${postgres.databaseDir}`,
    ]);

    expect(passwordFilesSeen).toEqual([]);
    expect(readdirSync(sharedTmp).filter((name) => name.startsWith('pg-password-') || name.startsWith('bookshop-initdb-'))).toEqual([]);

    // It answers: the shop's own first step against it works.
    await expect(ensureDatabase(postgres.serverUrl, 'bookshop_probe')).resolves.toContain('/bookshop_probe');
  },
  120_000,
);
