import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectEventBus } from '@bookshop/events';
import { dropDatabase, ensureDatabase } from '@bookshop/prisma';
import { TEST_NATS_URL, TEST_POSTGRES_URL } from '@bookshop/testing';
import { freePortBlock, processesCarrying } from '@bookshop/tools';
import type { BenchContext } from '../context.js';
import { rssMb } from '../proc.js';

export interface StartFigures {
  /** `pnpm start` (everything built already) until the router's /readyz answers 200. */
  readyMs: number;
}

/**
 * A first `pnpm start` as a user types it, in the checkout at `root`: empty databases of its own
 * (every migration to apply, PostgreSQL and SQLite alike) on the machine's PostgreSQL and NATS.
 */
export async function startToReady(root: string): Promise<StartFigures> {
  const routerPort = await freePortBlock();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bookshop-bench-start-'));
  const names = (['book', 'order', 'delivery'] as const).map((context) => `bench_start_${context}_${routerPort}`);
  const databases = await Promise.all(
    names.map(async (name) => ({ url: await ensureDatabase(TEST_POSTGRES_URL, name), drop: () => dropDatabase(TEST_POSTGRES_URL, name) })),
  );
  const marker = `BOOKSHOP_BENCH_RUN=${randomUUID()}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ROUTER_PORT: String(routerPort),
    DATA_DIR: dataDir,
    POSTGRES_URL: TEST_POSTGRES_URL,
    NATS_URL: TEST_NATS_URL,
    BOOK_DATABASE_URL: databases[0]!.url,
    ORDER_DATABASE_URL: databases[1]!.url,
    DELIVERY_DATABASE_URL: databases[2]!.url,
    EVENT_PREFIX: `bench_${routerPort}`,
    EVENT_STREAM: `BENCH_${routerPort}`, // deleted afterwards
    BOOKSHOP_BENCH_RUN: marker.split('=')[1],
  };
  delete env.NODE_ENV;
  const started = performance.now();
  const shop = spawn('pnpm', ['start'], { cwd: root, env, detached: true, stdio: 'ignore' });
  const exited = new Promise((resolve) => shop.once('exit', resolve));
  try {
    for (;;) {
      const answer = await fetch(`http://127.0.0.1:${routerPort}/readyz`).catch(() => undefined);
      if (answer?.ok) break;
      if (shop.exitCode !== null || performance.now() - started > 120_000) throw new Error('pnpm start did not become ready');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { readyMs: performance.now() - started };
  } finally {
    process.kill(-shop.pid!, 'SIGTERM');
    await exited;
    for (let waited = 0; processesCarrying(marker).length > 0 && waited < 20_000; waited += 250)
      await new Promise((r) => setTimeout(r, 250));
    rmSync(dataDir, { recursive: true, force: true });
    await Promise.all(databases.map((database) => database.drop()));
    const bus = await connectEventBus({ url: TEST_NATS_URL, prefix: env.EVENT_PREFIX!, stream: env.EVENT_STREAM!, name: 'bench' });
    await bus.jsm.streams.delete(bus.stream);
    await bus.close();
  }
}

/** Resident memory (MB) of each process of the bench shop, now. */
export function residentMemory(context: BenchContext): Record<string, number> {
  return Object.fromEntries(Object.entries(context.shop.processes).map(([name, process]) => [name, rssMb(process.child.pid!)]));
}
