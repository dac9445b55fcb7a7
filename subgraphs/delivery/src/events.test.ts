import { randomUUID } from 'node:crypto';
import {
  OrderPlaced,
  connectEventBus,
  deadLetterFilter,
  eventOf,
  inTransactions,
  outboxWriter,
  startConsumer,
  subjectOf,
  type EventBus,
  type EventEnvelope,
  type EventHandling,
  type RunningConsumer,
} from '@bookshop/events';
import { consumerSettled, createPostgresTestDatabase, eventually, storedUnder, TEST_NATS_URL, type TestDatabase } from '@bookshop/testing';
import { PrismaPg } from '@prisma/adapter-pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { deliveryConsumption } from './events.js';
import { PrismaClient } from './generated/prisma/client.js';

let database: TestDatabase;
let bus: EventBus;
/** Delivery's Prisma client, reporting every statement it sends. */
let db: PrismaClient<'query'>;
const statements: string[] = [];
const consumers: RunningConsumer[] = [];

beforeAll(async () => {
  database = await createPostgresTestDatabase('delivery');
  db = new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url }), log: [{ emit: 'event', level: 'query' }] });
  db.$on('query', (event) => void statements.push(event.query));
  const run = randomUUID().slice(0, 8);
  bus = await connectEventBus({ url: TEST_NATS_URL, prefix: `dv_${run}`, stream: `DV_${run}`, name: 'delivery-events-test' });
});
afterAll(async () => {
  await Promise.all(consumers.map((consumer) => consumer.stop())); // stopping twice is harmless
  await bus.jsm.streams.delete(bus.stream);
  await bus.close();
  await db.$disconnect();
  await database.drop();
});

const placedEvent = () => {
  const orderId = randomUUID();
  return eventOf(
    OrderPlaced,
    { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Dune', quantity: 1, address: '1 Ocean Way' },
    { orderId, correlationId: 'delivery-events-test' },
  );
};
const publish = async (event: EventEnvelope) =>
  (await bus.js.publish(subjectOf(bus.prefix, OrderPlaced), JSON.stringify(event), { msgID: event.id })).seq;

/** Delivery's consumption as the service runs it, seen through `around` (which may fail a batch, as a fault would). */
async function consume(durable: string, around: (batch: EventEnvelope[], apply: () => Promise<void>) => Promise<void>) {
  const real = inTransactions({
    database: db,
    consumer: durable,
    consumption: deliveryConsumption(outboxWriter(bus.prefix)),
    writer: outboxWriter(bus.prefix),
  });
  const handling: EventHandling = { ...real, handle: (batch) => around(batch, () => real.handle(batch)) };
  const consumer = await startConsumer({ bus, durable, handling, maxDeliver: 3 });
  consumers.push(consumer);
  return {
    /** Every test's consumer reads the whole stream into the one database: stop it before the next test publishes. */
    stop: () => consumer.stop(),
    settled: (seq: number) => consumerSettled(bus, durable, seq),
    parked: async () => Object.values(await storedUnder(bus, deadLetterFilter(bus.prefix, durable))).reduce((sum, count) => sum + count, 0),
  };
}

/** Each order's shipments and DeliveryStarted events, as stored. */
async function shipmentsAndEvents(orderIds: string[]) {
  const shipments = await db.delivery.groupBy({ by: ['orderId'], where: { orderId: { in: orderIds } }, _count: true });
  const started = (await db.outboxEvent.findMany({ where: { type: 'DeliveryStarted' } }))
    .map((row) => (JSON.parse(row.envelope) as EventEnvelope).orderId)
    .filter((orderId) => orderIds.includes(orderId!));
  return { shipments: shipments.map((row) => row._count), started: started.length };
}

it('applies waiting events as one batch: one inbox, one shipment and one outbox statement for the whole batch', async () => {
  const events = Array.from({ length: 30 }, placedEvent);
  let last = 0;
  for (const event of events) last = await publish(event);
  const sizes: number[] = [];
  statements.length = 0;
  // Started after the events are in the stream: its first fetch holds them all.
  const { settled, stop } = await consume(`batch-${randomUUID().slice(0, 6)}`, async (batch, apply) => {
    sizes.push(batch.length);
    await apply();
  });
  await settled(last);
  await stop();

  expect(Math.max(...sizes)).toBeGreaterThan(1);
  const orderIds = events.map((event) => event.orderId!);
  expect(await shipmentsAndEvents(orderIds)).toEqual({ shipments: orderIds.map(() => 1), started: 30 });
  // One multi-row statement per batch for the inbox, the shipments and the outbox, not one per event.
  const inboxWrites = statements.filter((sql) => sql.includes('INSERT INTO "ProcessedEvent"')).length;
  const shipmentWrites = statements.filter((sql) => sql.includes('INSERT INTO "public"."Delivery"')).length;
  const outboxWrites = statements.filter((sql) => sql.includes('INSERT INTO "public"."OutboxEvent"')).length;
  expect({ inboxWrites, shipmentWrites, outboxWrites }).toEqual({
    inboxWrites: sizes.length,
    shipmentWrites: sizes.length,
    outboxWrites: sizes.length,
  });
});

it('a poison event in a batch is parked alone: the rest of the batch is applied, each event once', async () => {
  const events = Array.from({ length: 20 }, placedEvent);
  const poison = events[7]!;
  let last = 0;
  for (const event of events) last = await publish(event);
  const withPoison: number[] = [];
  // The poison event fails whatever batch holds it (as a database error would, before anything commits).
  const { settled, parked, stop } = await consume(`poison-${randomUUID().slice(0, 6)}`, async (batch, apply) => {
    if (batch.some((event) => event.id === poison.id)) {
      withPoison.push(batch.length);
      throw new Error('violates a constraint');
    }
    await apply();
  });
  await settled(last);
  await stop();

  expect(Math.max(...withPoison)).toBeGreaterThan(1); // it came in a batch with others, which were applied without it
  const good = events.filter((event) => event !== poison).map((event) => event.orderId!);
  expect(await shipmentsAndEvents(good)).toEqual({ shipments: good.map(() => 1), started: 19 });
  expect(await shipmentsAndEvents([poison.orderId!])).toEqual({ shipments: [], started: 0 });
  await eventually(parked, (count) => count === 1);
});

it('a batch redelivered after its commit (a crash before the ack) changes nothing more', async () => {
  const events = Array.from({ length: 15 }, placedEvent);
  let last = 0;
  for (const event of events) last = await publish(event);
  const handled = new Set<string>();
  // Commits, then "crashes" before the ack the first time it sees each event.
  const { settled, stop } = await consume(`crash-${randomUUID().slice(0, 6)}`, async (batch, apply) => {
    await apply();
    const first = batch.filter((event) => !handled.has(event.id));
    first.forEach((event) => handled.add(event.id));
    if (first.length) throw new Error('crashed before the ack');
  });
  await settled(last);
  await stop();

  const orderIds = events.map((event) => event.orderId!);
  expect(await shipmentsAndEvents(orderIds)).toEqual({ shipments: orderIds.map(() => 1), started: 15 });
});
