import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { OrderPlaced, connectEventBus, eventOf, subjectOf, type EventBus } from '@bookshop/events';
import { type RunningService } from '@bookshop/runtime';
import { createSqliteTestDatabase, eventually, TEST_NATS_URL, type TestDatabase, testServiceConfig } from '@bookshop/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SubgraphConfig } from '@bookshop/subgraph-kit';
import { openMyPageDatabase, type MyPageDatabase } from './database.js';
import { consumerName } from './events.js';
import { InstanceRunning, resetReadModel } from './rebuild.js';
import { mypage } from './subgraph.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const instance = 'rebuild-test';

let database: TestDatabase;
let db: MyPageDatabase;
let bus: EventBus;
let config: SubgraphConfig<{ MYPAGE_INSTANCE: string }>;
let service: RunningService | undefined;

beforeAll(async () => {
  database = createSqliteTestDatabase('mypage');
  db = await openMyPageDatabase(database.url);
  const run = randomUUID().slice(0, 8);
  const events = { url: TEST_NATS_URL, prefix: `rb_${run}`, stream: `RB_${run}`, ackWaitMs: 30_000, replicas: 1 };
  bus = await connectEventBus({ ...events, name: 'rebuild-test' });
  config = {
    ...testServiceConfig(events),
    databaseUrl: database.url,
    settings: { MYPAGE_INSTANCE: instance },
  };
  service = await mypage.start(config);
});
afterAll(async () => {
  await service?.stop();
  await bus.jsm.streams.delete(bus.stream);
  await bus.close();
  await db.$disconnect();
  await database.drop();
});

/** `pnpm -s mypage:rebuild` as an operator runs it, against this test's stream and database. */
function rebuild(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'pnpm',
      ['-s', 'mypage:rebuild'],
      {
        cwd: repoRoot,
        env: {
          ...process.env,
          NATS_URL: config.events.url,
          EVENT_PREFIX: config.events.prefix,
          EVENT_STREAM: config.events.stream,
          MYPAGE_DATABASE_URL: database.url,
          MYPAGE_INSTANCE: instance,
          LOG_LEVEL: 'warn',
        },
      },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

async function place(): Promise<string> {
  const orderId = randomUUID();
  const event = eventOf(
    OrderPlaced,
    { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Dune', quantity: 1, address: 'x' },
    { orderId, correlationId: 'rebuild-test' },
  );
  await bus.js.publish(subjectOf(bus.prefix, OrderPlaced), JSON.stringify(event), { msgID: event.id });
  return orderId;
}

const projected = (orderId: string) => eventually(() => db.myPageEntry.findUnique({ where: { orderId } }), Boolean, 10_000);

it('refuses to rebuild while the instance runs, with a clear message and a non-zero exit, and the instance keeps projecting', async () => {
  const first = await place();
  await projected(first);

  const refused = await rebuild();
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toMatch(new RegExp(`my page "${instance}" is running`));
  expect(refused.stderr).not.toMatch(/\n\s+at /); // a sentence, not a stack trace
  expect(await db.myPageEntry.count({ where: { orderId: first } })).toBe(1);
  await expect(bus.jsm.consumers.info(bus.stream, consumerName(instance))).resolves.toBeTruthy();
  await projected(await place()); // still projecting
}, 60_000);

it('rebuilds once the instance is stopped: the next start replays the stream into the same entries', async () => {
  const before = await db.myPageEntry.findMany({
    orderBy: { orderId: 'asc' },
    select: { orderId: true, orderStatus: true, version: true },
  });
  expect(before).toHaveLength(2);
  await service!.stop();
  service = undefined;

  const done = await rebuild();
  expect(done).toMatchObject({ code: 0, stdout: expect.stringMatching(/emptied/) });
  expect(await db.myPageEntry.count()).toBe(0);

  service = await mypage.start(config);
  const after = await eventually(
    () => db.myPageEntry.findMany({ orderBy: { orderId: 'asc' }, select: { orderId: true, orderStatus: true, version: true } }),
    (entries) => entries.length === before.length,
  );
  expect(after).toEqual(before);
}, 60_000);

it('counts a crashed instance as running until its heartbeat is older than the TTL, then rebuilds', async () => {
  const other = createSqliteTestDatabase('mypage');
  const otherDb = await openMyPageDatabase(other.url);
  try {
    const crashed = 'crashed-test';
    await bus.jsm.consumers.add(bus.stream, { durable_name: consumerName(crashed) });
    // A process killed 3 s ago: it never removed its heartbeat.
    await otherDb.instanceHeartbeat.create({
      data: { id: randomUUID(), instance: crashed, host: 'h', pid: 1, seenAt: new Date(Date.now() - 3_000) },
    });
    await expect(resetReadModel(otherDb, bus, crashed, 10_000)).rejects.toBeInstanceOf(InstanceRunning);
    await expect(bus.jsm.consumers.info(bus.stream, consumerName(crashed))).resolves.toBeTruthy(); // nothing was touched

    await resetReadModel(otherDb, bus, crashed, 2_000);
    await expect(bus.jsm.consumers.info(bus.stream, consumerName(crashed))).rejects.toThrow(/consumer not found/i);
    expect(await otherDb.instanceHeartbeat.count()).toBe(0);
  } finally {
    await otherDb.$disconnect();
    await other.drop();
  }
});
