import { randomUUID } from 'node:crypto';
import { DeliveryStarted, OrderPlaced, connectEventBus, eventOf, startConsumer, subjectOf, type EventBus, type EventHandler } from '@bookshop/events';
import { createSqliteTestDatabase, eventually, TEST_NATS_URL, type TestDatabase } from '@bookshop/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openMyPageDatabase, type MyPageDatabase } from './database.js';
import { myPageHandlers } from './events.js';

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

const until = (condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) =>
  eventually(async () => condition(), Boolean, timeoutMs);

it('an event redelivered after its effect committed but before its ack (a crash) changes the entry once', async () => {
  const consumer = `mypage-crash-${randomUUID().slice(0, 6)}`;
  const deliveries = new Map<string, number>();
  // The real projection, followed by a "crash" before the ack on each event's first delivery.
  const handlers: EventHandler[] = myPageHandlers(db, consumer, () => {}).map((handler) => ({
    event: handler.event,
    handle: async (event) => {
      await handler.handle(event);
      const seen = (deliveries.get(event.id) ?? 0) + 1;
      deliveries.set(event.id, seen);
      if (seen === 1) throw new Error('crashed before the ack');
    },
  }));
  const running = await startConsumer({ bus, durable: consumer, handlers });

  const orderId = randomUUID();
  const meta = { orderId, correlationId: 'crash-test' };
  const placed = eventOf(OrderPlaced, { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Dune', quantity: 1, address: 'x' }, meta);
  const started = eventOf(DeliveryStarted, { deliveryId: randomUUID(), orderId, address: 'x' }, meta);
  await bus.js.publish(subjectOf(bus.prefix, OrderPlaced), JSON.stringify(placed), { msgID: placed.id });
  await bus.js.publish(subjectOf(bus.prefix, DeliveryStarted), JSON.stringify(started), { msgID: started.id });

  await until(() => (deliveries.get(placed.id) ?? 0) >= 2 && (deliveries.get(started.id) ?? 0) >= 2);
  await running.stop();
  const entry = await db.myPageEntry.findUniqueOrThrow({ where: { orderId } });
  expect(entry).toMatchObject({ orderStatus: 'PLACED', deliveryStatus: 'PREPARING', version: 2 });
  expect(await db.processedEvent.count({ where: { consumer } })).toBe(2);
});
