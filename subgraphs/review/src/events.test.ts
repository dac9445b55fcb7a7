import { randomUUID } from 'node:crypto';
import {
  OrderCancelled,
  OrderDelivered,
  OrderPlaced,
  connectEventBus,
  deadLetterFilter,
  eventOf,
  inTransactions,
  outboxWriter,
  startConsumer,
  subjectOf,
  type EventBus,
  type EventDefinition,
  type EventEnvelope,
  type RunningConsumer,
} from '@bookshop/events';
import { DomainError } from '@bookshop/runtime';
import { consumerSettled, createSqliteTestDatabase, storedUnder, TEST_NATS_URL, type TestDatabase } from '@bookshop/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openReviewDatabase, type ReviewDatabase } from './database.js';
import { writeReview } from './domain/reviews.js';
import { reviewConsumption } from './events.js';

let database: TestDatabase;
let db: ReviewDatabase;
let bus: EventBus;
const consumers: RunningConsumer[] = [];

beforeAll(async () => {
  database = createSqliteTestDatabase('review');
  db = await openReviewDatabase(database.url);
  const run = randomUUID().slice(0, 8);
  bus = await connectEventBus({ url: TEST_NATS_URL, prefix: `rv_${run}`, stream: `RV_${run}`, name: 'review-test' });
});
afterAll(async () => {
  await Promise.all(consumers.map((consumer) => consumer.stop()));
  await bus.jsm.streams.delete(bus.stream);
  await bus.close();
  await db.$disconnect();
  await database.drop();
});

const meta = (orderId: string) => ({ orderId, correlationId: 'review-events-test' });
const alice = { subject: 'alice', role: 'customer' as const };

async function publish(definition: EventDefinition, event: EventEnvelope): Promise<number> {
  return (await bus.js.publish(subjectOf(bus.prefix, definition), JSON.stringify(event), { msgID: event.id })).seq;
}
const placed = (orderId: string, bookId: string) =>
  publish(
    OrderPlaced,
    eventOf(OrderPlaced, { orderId, customerId: 'alice', bookId, title: 'Dune', quantity: 1, address: 'x' }, meta(orderId)),
  );
const delivered = (orderId: string) => publish(OrderDelivered, eventOf(OrderDelivered, { orderId, customerId: 'alice' }, meta(orderId)));
const cancelled = (orderId: string) => publish(OrderCancelled, eventOf(OrderCancelled, { orderId, customerId: 'alice' }, meta(orderId)));

/**
 * The real consumption behind a real durable consumer of the test's own, with the production retry
 * policy (5 deliveries, then the dead letters).
 */
async function consume() {
  const durable = `review-${randomUUID().slice(0, 6)}`;
  consumers.push(
    await startConsumer({ bus, durable, handling: inTransactions({ database: db, consumer: durable, consumption: reviewConsumption() }) }),
  );
  return {
    /** Waits until the consumer has acked (applied or parked) every message up to stream sequence `seq`. */
    settled: (seq: number) => consumerSettled(bus, durable, seq),
    parked: async () => Object.keys(await storedUnder(bus, deadLetterFilter(bus.prefix, durable))),
  };
}

const reviewAs = (orderId: string) =>
  writeReview(db, outboxWriter(bus.prefix), alice, { orderId, rating: 5, content: 'Luminous.' }, { correlationId: 'review-events-test' });

it('OrderDelivered and OrderCancelled that arrive before their OrderPlaced are kept, never dead-lettered', async () => {
  const { settled, parked } = await consume();
  const [toDeliver, toCancel, bookId] = [randomUUID(), randomUUID(), randomUUID()];
  await delivered(toDeliver);
  // Every delivery attempt of the early events happens before their orders are placed.
  await settled(await cancelled(toCancel));
  expect(await parked()).toEqual([]);
  // Delivered, but review does not know whose order it is yet: nobody can review it.
  await expect(reviewAs(toDeliver)).rejects.toMatchObject({ code: 'ORDER_NOT_FOUND' });

  await placed(toDeliver, bookId);
  await settled(await placed(toCancel, bookId));
  expect(await parked()).toEqual([]);
  expect(await db.reviewableOrder.findUniqueOrThrow({ where: { orderId: toDeliver } })).toMatchObject({
    customerId: 'alice',
    bookId,
    status: 'DELIVERED',
  });
  expect(await db.reviewableOrder.findUniqueOrThrow({ where: { orderId: toCancel } })).toMatchObject({
    customerId: 'alice',
    bookId,
    status: 'CANCELLED',
  });
  await expect(reviewAs(toDeliver)).resolves.toMatchObject({ orderId: toDeliver, bookId, customerId: 'alice' });
  await expect(reviewAs(toCancel)).rejects.toBeInstanceOf(DomainError);
});

it('a reordered pair never moves an order back: a delivered order stays delivered, whatever comes after', async () => {
  const { settled, parked } = await consume();
  const [orderId, bookId] = [randomUUID(), randomUUID()];
  await placed(orderId, bookId);
  await delivered(orderId);
  // A replayed OrderPlaced (another event id, so the inbox cannot tell) and a cancel that lost the race.
  await placed(orderId, bookId);
  await settled(await cancelled(orderId));
  expect(await db.reviewableOrder.findUniqueOrThrow({ where: { orderId } })).toMatchObject({ customerId: 'alice', status: 'DELIVERED' });
  expect(await parked()).toEqual([]);
  await expect(reviewAs(orderId)).resolves.toMatchObject({ orderId });
});
