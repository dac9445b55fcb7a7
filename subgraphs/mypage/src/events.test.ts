import { randomUUID } from 'node:crypto';
import {
  DeliveryCancelled,
  DeliveryCompleted,
  DeliveryStarted,
  OrderCancelled,
  OrderDelivered,
  OrderPlaced,
  StockReleased,
  connectEventBus,
  deadLetterFilter,
  eventOf,
  startConsumer,
  subjectOf,
  type EventBus,
  type EventDefinition,
  type EventEnvelope,
  type EventHandling,
  inTransactions,
} from '@bookshop/events';
import { createSqliteTestDatabase, eventually, TEST_NATS_URL, type TestDatabase } from '@bookshop/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openMyPageDatabase, type MyPageDatabase } from './database.js';
import type { VisibleEntry } from './entry-queries.js';
import { myPageConsumption } from './events.js';

let database: TestDatabase;
let db: MyPageDatabase;
let bus: EventBus;

beforeAll(async () => {
  database = createSqliteTestDatabase('mypage');
  db = await openMyPageDatabase(database.url);
  const run = randomUUID().slice(0, 8);
  bus = await connectEventBus({ url: TEST_NATS_URL, prefix: `mp_${run}`, stream: `MP_${run}`, name: 'mypage-test' });
});
afterAll(async () => {
  await bus.jsm.streams.delete(bus.stream);
  await bus.close();
  await db.$disconnect();
  await database.drop();
});

/** My page's consumption as the service runs it (batches in transactions), for `consumer`. */
const projection = (consumer: string, projected: (entry: VisibleEntry) => void = () => {}): EventHandling =>
  inTransactions({ database: db, consumer, consumption: myPageConsumption(projected) });

const until = (condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) => eventually(async () => condition(), Boolean, timeoutMs);

it('an event redelivered after its effect committed but before its ack (a crash) changes the entry once', async () => {
  const consumer = `mypage-crash-${randomUUID().slice(0, 6)}`;
  const deliveries = new Map<string, number>();
  // The real projection, followed by a "crash" before the ack on each event's first delivery.
  const real = projection(consumer);
  const handling: EventHandling = {
    ...real,
    handle: async (batch) => {
      await real.handle(batch);
      const first = batch.filter((event) => deliveries.set(event.id, (deliveries.get(event.id) ?? 0) + 1).get(event.id) === 1);
      if (first.length) throw new Error('crashed before the ack');
    },
  };
  const running = await startConsumer({ bus, durable: consumer, handling });

  const orderId = randomUUID();
  const meta = { orderId, correlationId: 'crash-test' };
  const placed = eventOf(
    OrderPlaced,
    { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Dune', quantity: 1, address: 'x' },
    meta,
  );
  const started = eventOf(DeliveryStarted, { deliveryId: randomUUID(), orderId, address: 'x' }, meta);
  await bus.js.publish(subjectOf(bus.prefix, OrderPlaced), JSON.stringify(placed), { msgID: placed.id });
  await bus.js.publish(subjectOf(bus.prefix, DeliveryStarted), JSON.stringify(started), { msgID: started.id });

  await until(() => (deliveries.get(placed.id) ?? 0) >= 2 && (deliveries.get(started.id) ?? 0) >= 2);
  await running.stop();
  const entry = await db.myPageEntry.findUniqueOrThrow({ where: { orderId } });
  expect(entry).toMatchObject({ orderStatus: 'PLACED', deliveryStatus: 'PREPARING', version: 2 });
  expect(await db.processedEvent.count({ where: { consumer } })).toBe(2);
});

const meta = (orderId: string) => ({ orderId, correlationId: 'order-independence-test' });
const placedEvent = (orderId: string) =>
  eventOf(OrderPlaced, { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Dune', quantity: 1, address: 'x' }, meta(orderId));

async function publish(definition: EventDefinition, event: EventEnvelope): Promise<number> {
  return (await bus.js.publish(subjectOf(bus.prefix, definition), JSON.stringify(event), { msgID: event.id })).seq;
}

/** Waits until `consumer` has acked (applied or parked) every message up to stream sequence `seq`. */
const settled = (consumer: string, seq: number) =>
  until(async () => (await bus.jsm.consumers.info(bus.stream, consumer)).ack_floor.stream_seq >= seq, 20_000);

/** The dead-letter subjects holding messages parked by `consumer`. */
async function parkedBy(consumer: string): Promise<string[]> {
  const info = await bus.jsm.streams.info(bus.stream, { subjects_filter: deadLetterFilter(bus.prefix, consumer) });
  return Object.keys(info.state.subjects ?? {});
}

it('a DeliveryStarted redelivered after DeliveryCompleted (its first attempt hit SQLITE_BUSY) leaves the entry DELIVERED and pushes nothing backwards', async () => {
  const consumer = `mypage-busy-${randomUUID().slice(0, 6)}`;
  const orderId = randomUUID();
  const placed = placedEvent(orderId);
  const started = eventOf(DeliveryStarted, { deliveryId: randomUUID(), orderId, address: 'x' }, meta(orderId));
  const completed = eventOf(DeliveryCompleted, { deliveryId: randomUUID(), orderId }, meta(orderId));
  const pushed: Array<{ orderId: string; deliveryStatus: string | null }> = [];
  let completedApplied = false;
  // The real projection; DeliveryStarted's attempts fail before their effect (as SQLITE_BUSY would)
  // until DeliveryCompleted has been applied, so the consumer's own redelivery brings it in last.
  const real = projection(consumer, (entry) => pushed.push(entry));
  const handling: EventHandling = {
    ...real,
    handle: async (batch) => {
      if (batch.some((event) => event.id === started.id) && !completedApplied) throw new Error('SQLITE_BUSY: database is locked');
      await real.handle(batch);
      if (batch.some((event) => event.id === completed.id)) completedApplied = true;
    },
  };
  const running = await startConsumer({ bus, durable: consumer, handling });
  await publish(OrderPlaced, placed);
  await publish(DeliveryStarted, started);
  await settled(consumer, await publish(DeliveryCompleted, completed));
  await running.stop();

  const entry = await db.myPageEntry.findUniqueOrThrow({ where: { orderId } });
  expect(entry).toMatchObject({ orderStatus: 'PLACED', deliveryStatus: 'DELIVERED' });
  // Placed, completed, and started (late, but a step the natural order counts): three changes, three pushes.
  expect(entry.version).toBe(3);
  const mine = pushed.filter((push) => push.orderId === orderId); // other tests' events replay into this consumer too
  expect(mine.map((push) => push.deliveryStatus)).toEqual([null, 'DELIVERED', 'DELIVERED']);
  expect(await parkedBy(consumer)).toEqual([]);
});

it('events that arrive before their OrderPlaced are kept, never dead-lettered, and end in the entry the natural order gives', async () => {
  const consumer = `mypage-early-${randomUUID().slice(0, 6)}`;
  const pushed: Array<{ orderId: string }> = [];
  const running = await startConsumer({ bus, durable: consumer, handling: projection(consumer, (entry) => pushed.push(entry)) });
  const delivered = randomUUID();
  const cancelled = randomUUID();
  // Delivery's and order's events overtake OrderPlaced: a delivered order and a cancelled one
  // (cancelled before delivery started: DeliveryCancelled without DeliveryStarted).
  await publish(DeliveryStarted, eventOf(DeliveryStarted, { deliveryId: randomUUID(), orderId: delivered, address: 'x' }, meta(delivered)));
  await publish(DeliveryCompleted, eventOf(DeliveryCompleted, { deliveryId: randomUUID(), orderId: delivered }, meta(delivered)));
  await publish(OrderDelivered, eventOf(OrderDelivered, { orderId: delivered, customerId: 'alice' }, meta(delivered)));
  await publish(DeliveryCancelled, eventOf(DeliveryCancelled, { deliveryId: randomUUID(), orderId: cancelled }, meta(cancelled)));
  await publish(OrderCancelled, eventOf(OrderCancelled, { orderId: cancelled, customerId: 'alice' }, meta(cancelled)));
  const early = await publish(
    StockReleased,
    eventOf(StockReleased, { orderId: cancelled, bookId: randomUUID(), quantity: 1, stock: 3 }, meta(cancelled)),
  );
  // Let every delivery attempt of those early events happen before their orders are placed.
  await settled(consumer, early);
  expect(await parkedBy(consumer)).toEqual([]);
  const ours = () => pushed.filter((entry) => entry.orderId === delivered || entry.orderId === cancelled);
  expect(ours()).toEqual([]); // a placeholder is shown to nobody

  await publish(OrderPlaced, placedEvent(delivered));
  await settled(consumer, await publish(OrderPlaced, placedEvent(cancelled)));
  await running.stop();
  expect(await parkedBy(consumer)).toEqual([]);
  expect(await db.myPageEntry.findUniqueOrThrow({ where: { orderId: delivered } })).toMatchObject({
    customerId: 'alice',
    title: 'Dune',
    orderStatus: 'DELIVERED',
    deliveryStatus: 'DELIVERED',
    version: 4,
  });
  expect(await db.myPageEntry.findUniqueOrThrow({ where: { orderId: cancelled } })).toMatchObject({
    customerId: 'alice',
    title: 'Dune',
    orderStatus: 'CANCELLED',
    deliveryStatus: 'CANCELLED',
    version: 4,
  });
  expect(ours().map((entry) => entry.orderId)).toEqual([delivered, cancelled]);
});

it('a batch that changes one entry twice writes it once and pushes both versions, in order', async () => {
  const consumer = `mypage-batch-${randomUUID().slice(0, 6)}`;
  const orderId = randomUUID();
  const placed = placedEvent(orderId);
  const started = eventOf(DeliveryStarted, { deliveryId: randomUUID(), orderId, address: 'x' }, meta(orderId));
  const completed = eventOf(DeliveryCompleted, { deliveryId: randomUUID(), orderId }, meta(orderId));
  await publish(OrderPlaced, placed);
  await publish(DeliveryStarted, started);
  const last = await publish(DeliveryCompleted, completed);
  const pushed: VisibleEntry[] = [];
  const batches: string[][] = [];
  const real = projection(consumer, (entry) => pushed.push(entry));
  // Started after the events are in the stream: they wait together, and come as one batch.
  const handling: EventHandling = { ...real, handle: (batch) => (batches.push(batch.map((event) => event.id)), real.handle(batch)) };
  const running = await startConsumer({ bus, durable: consumer, handling });
  await settled(consumer, last);
  await running.stop();

  expect(batches.some((batch) => [placed.id, started.id, completed.id].every((id) => batch.includes(id)))).toBe(true);
  const mine = pushed.filter((entry) => entry.orderId === orderId);
  expect(mine.map((entry) => [entry.version, entry.deliveryStatus])).toEqual([
    [1, null],
    [2, 'PREPARING'],
    [3, 'DELIVERED'],
  ]);
  expect(await db.myPageEntry.findUniqueOrThrow({ where: { orderId } })).toMatchObject({ version: 3, deliveryStatus: 'DELIVERED' });
});
