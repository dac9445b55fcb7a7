import { randomUUID } from 'node:crypto';
import {
  OrderPlaced,
  connectEventBus,
  eventOf,
  outboxRecord,
  prismaOutboxStore,
  startEventPublishing,
  startOutboxRelay,
  subjectOf,
} from '@bookshop/events';
import { createPostgresTestDatabase, eventually, startTestNatsServer, type TestDatabase, type TestNatsServer } from '@bookshop/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOrderDatabase, type OrderDatabase } from './database.js';

let database: TestDatabase;
let db: OrderDatabase;
let nats: TestNatsServer;

beforeAll(async () => {
  database = await createPostgresTestDatabase('order');
  db = createOrderDatabase(database.url);
  nats = await startTestNatsServer();
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
  await nats?.dispose();
});

const PREFIX = 'relaytest';
const STREAM = 'RELAYTEST';

async function writeOrderPlaced(): Promise<string> {
  const orderId = randomUUID();
  const event = eventOf(
    OrderPlaced,
    { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Dune', quantity: 1, address: 'x' },
    { orderId, correlationId: 'c' },
  );
  await db.outboxEvent.create({ data: outboxRecord(PREFIX, OrderPlaced, event) });
  return event.id;
}

const until = (condition: () => boolean | Promise<boolean>, timeoutMs = 20_000) => eventually(async () => condition(), Boolean, timeoutMs);

it('keeps events in the outbox while NATS is away, and publishes every one exactly once when it is back', async () => {
  const bus = await connectEventBus({ url: nats.url, prefix: PREFIX, stream: STREAM, name: 'relay-test' });
  // What the relay reads from the outbox, read by read, and what it marks sent.
  const store = prismaOutboxStore(db.outboxEvent);
  const reads: string[][] = [];
  const marked: string[] = [];
  const relay = startOutboxRelay({
    bus,
    store: {
      pending: async (limit) => {
        const read: string[] = [];
        reads.push(read);
        const rows = await store.pending(limit);
        read.push(...rows.map((row) => row.id));
        return rows;
      },
      markSent: async (ids) => {
        marked.push(...ids);
        await store.markSent(ids);
      },
    },
    name: 'order',
    pollMs: 50,
  });
  const subject = subjectOf(PREFIX, OrderPlaced);
  const inStream = async () => (await bus.jsm.streams.info(STREAM, { subjects_filter: subject })).state.subjects?.[subject] ?? 0;
  const unsent = () => db.outboxEvent.count({ where: { sentAt: null } });

  const before = await Promise.all([writeOrderPlaced(), writeOrderPlaced()]);
  await until(async () => (await unsent()) === 0);
  expect(await inStream()).toBe(2);

  await nats.stop();
  const during = await Promise.all(Array.from({ length: 5 }, writeOrderPlaced));
  // The relay reads the outbox again only once it is done with the batch it read before: a read
  // after one that held these rows means it has tried to publish them, with the broker away.
  await until(() => {
    const tried = reads.findIndex((read) => during.every((id) => read.includes(id)));
    return tried !== -1 && tried < reads.length - 1;
  });
  expect(marked.filter((id) => during.includes(id))).toEqual([]);
  expect(await unsent()).toBe(5); // nothing lost, nothing marked sent while the broker is away

  await nats.start();
  await until(async () => (await unsent()) === 0);
  await until(async () => (await inStream().catch(() => 0)) === 7);
  // A row published again (say, a crash between publish and mark) is stored once: msgID = event id.
  await db.outboxEvent.updateMany({ where: { id: { in: before } }, data: { sentAt: null } });
  relay.wake();
  await until(async () => (await unsent()) === 0);
  expect(await inStream()).toBe(7);
  expect(new Set([...before, ...during]).size).toBe(7);

  await relay.stop();
  await bus.close();
}, 60_000);

it('publishes a batch of rows at once, in the order they were written', async () => {
  const prefix = `${PREFIX}order`;
  const bus = await connectEventBus({ url: nats.url, prefix, stream: `${STREAM}ORDER`, name: 'relay-order-test' });
  await db.outboxEvent.updateMany({ where: { sentAt: null }, data: { sentAt: new Date() } }); // another test's rows
  const written: string[] = [];
  const start = Date.now();
  for (let n = 0; n < 150; n++) {
    const orderId = randomUUID();
    const event = eventOf(
      OrderPlaced,
      { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Dune', quantity: 1, address: 'x' },
      { orderId, correlationId: 'c' },
    );
    // The outbox's order is its rows' createdAt (to the millisecond): one apart each.
    await db.outboxEvent.create({ data: { ...outboxRecord(prefix, OrderPlaced, event), createdAt: new Date(start + n) } });
    written.push(event.id);
  }
  const relay = startOutboxRelay({ bus, store: prismaOutboxStore(db.outboxEvent), name: 'order', batchSize: 100 });
  await until(async () => (await db.outboxEvent.count({ where: { sentAt: null } })) === 0);
  await relay.stop();

  const stored = await Promise.all(written.map((_, n) => bus.jsm.streams.getMessage(`${STREAM}ORDER`, { seq: n + 1 })));
  expect(stored.map((message) => message!.header.get('Nats-Msg-Id'))).toEqual(written);
  await bus.close();
}, 60_000);

it('publishes the rows a commit hands over without reading them back, and reads the table again after a failure', async () => {
  const prefix = `${PREFIX}handed`;
  const bus = await connectEventBus({ url: nats.url, prefix, stream: `${STREAM}HANDED`, name: 'relay-handed-test' });
  await db.outboxEvent.updateMany({ where: { sentAt: null }, data: { sentAt: new Date() } }); // another test's rows
  const store = prismaOutboxStore(db.outboxEvent);
  let reads = 0;
  let marks = 0;
  const relay = startOutboxRelay({
    bus,
    store: { pending: async (limit) => (reads++, store.pending(limit)), markSent: async (ids) => (marks++, store.markSent(ids)) },
    name: 'order',
    pollMs: 60_000, // no poll during the test: every read below is one the relay chose to make
  });
  const commit = async () => {
    const orderId = randomUUID();
    const row = outboxRecord(
      prefix,
      OrderPlaced,
      eventOf(
        OrderPlaced,
        { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Dune', quantity: 1, address: 'x' },
        { orderId, correlationId: 'c' },
      ),
    );
    await db.outboxEvent.create({ data: row });
    relay.wake([row]);
    return row.id;
  };
  const subject = subjectOf(prefix, OrderPlaced);
  const inStream = async () => (await bus.jsm.streams.info(`${STREAM}HANDED`, { subjects_filter: subject })).state.subjects?.[subject] ?? 0;
  const unsent = () => db.outboxEvent.count({ where: { sentAt: null } });
  await until(() => reads === 1); // the first read at start: the table holds nothing older

  for (let n = 0; n < 20; n++) await commit();
  await until(async () => (await unsent()) === 0 && (await inStream()) === 20);
  expect(reads).toBe(1); // twenty rows published and marked, none read back
  expect(marks).toBeLessThan(10); // rows published within 100 ms of each other are marked together

  // While the broker is away the handed rows wait in the table; once it is back the relay reads it.
  await nats.stop();
  await Promise.all(Array.from({ length: 3 }, commit));
  await nats.start();
  relay.wake();
  await until(async () => (await unsent()) === 0);
  await until(async () => (await inStream().catch(() => 0)) === 23);
  expect(reads).toBeGreaterThan(1);
  await relay.stop();
  await bus.close();
}, 60_000);

it('reports NATS in readiness while it is away, without making the service unready', async () => {
  const publishing = startEventPublishing({
    settings: { url: nats.url, prefix: PREFIX, stream: STREAM },
    name: 'order',
    store: prismaOutboxStore(db.outboxEvent),
  });
  const natsAnswers = () =>
    publishing.readiness.check().then(
      () => true,
      () => false,
    );
  expect(publishing.readiness.required).toBe(false);
  await until(natsAnswers);
  await nats.stop();
  await until(async () => !(await natsAnswers()));
  await nats.start();
  await until(natsAnswers);
  await publishing.stop();
}, 60_000);
