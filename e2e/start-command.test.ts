import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { TEST_POSTGRES_URL, createPostgresTestDatabase, graphql, type TestDatabase } from '@bookshop/testing';
import { freePortBlock, processesCarrying } from '@bookshop/tools';
import { afterAll, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bookshop-start-'));
const databases: TestDatabase[] = [];
afterAll(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await Promise.all(databases.map((database) => database.drop()));
});

it('`pnpm start` starts the whole shop, answers through the router, and leaves no process behind on SIGTERM', async () => {
  const routerPort = await freePortBlock();
  const marker = `BOOKSHOP_RUN_ID=${randomUUID()}`;
  // PostgreSQL: the machine's server, named by the environment, with databases of this test's own
  // (the embedded PostgreSQL, used when none is named, cannot run as root from a private folder).
  const [book, order, delivery] = await Promise.all(
    (['book', 'order', 'delivery'] as const).map((context) => createPostgresTestDatabase(context)),
  );
  databases.push(book!, order!, delivery!);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ROUTER_PORT: String(routerPort),
    DATA_DIR: dataDir,
    POSTGRES_URL: TEST_POSTGRES_URL,
    BOOK_DATABASE_URL: book!.url,
    ORDER_DATABASE_URL: order!.url,
    DELIVERY_DATABASE_URL: delivery!.url,
    [marker.split('=')[0]!]: marker.split('=')[1],
  };
  delete env.NATS_URL; // NATS: a nats-server from the PATH, started by the shop
  delete env.NODE_ENV;
  const output: string[] = [];
  const shop = spawn('pnpm', ['start'], { cwd: repoRoot, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  shop.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  shop.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  const exited = new Promise<number | null>((resolve) => shop.once('exit', resolve));

  try {
    const ready = `http://127.0.0.1:${routerPort}/readyz`;
    const deadline = Date.now() + 240_000;
    for (;;) {
      const answer = await fetch(ready).catch(() => undefined);
      if (answer?.ok) break;
      if (shop.exitCode !== null || Date.now() > deadline) throw new Error(`the shop did not become ready:\n${output.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const result = await graphql(`http://127.0.0.1:${routerPort}/graphql`, '{ books { id title stock } }');
    expect(result).toMatchObject({ status: 200, data: { books: [] } });
    expect(processesCarrying(marker).length).toBeGreaterThanOrEqual(8); // the supervisor, 6 services, NATS
  } finally {
    if (shop.exitCode === null) {
      process.kill(-shop.pid!, 'SIGTERM'); // what a terminal's Ctrl-C or `kill` of the job does
      await exited;
    }
  }
  for (let waited = 0; processesCarrying(marker).length > 0 && waited < 20_000; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect(processesCarrying(marker)).toEqual([]);
}, 300_000);
