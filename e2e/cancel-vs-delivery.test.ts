import { randomUUID } from 'node:crypto';
import { errorCodes, eventually, graphql, queryRows, tokenFor } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBook } from './support/orders.js';
import { startShop, type TestShop } from './support/shop.js';

/**
 * Delivery decides between a customer's cancel and the courier's completion: for every order
 * exactly one wins, and the copies come back only when the cancel won.
 */
let shop: TestShop;
let alice: string;
let courier: string;

beforeAll(async () => {
  shop = await startShop();
  [alice, courier] = await Promise.all([tokenFor('customer', 'alice'), tokenFor('courier', 'carl')]);
});
afterAll(async () => {
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
});

const call = (token: string, query: string, variables: Record<string, unknown> = {}) => graphql(shop.url, query, variables, { token });
const CANCEL = `mutation($o: ID!) { cancelOrder(orderId: $o) { status } }`;
const COMPLETE = `mutation($d: ID!) { completeDelivery(deliveryId: $d) { status } }`;
const ORDER = `query($id: ID!) { order(id: $id) { status delivery { id status } book { stock } } }`;

/** One after the other: what races here is the cancel and the completion, not the orders. */
async function placeOrders(title: string, count: number): Promise<string[]> {
  const orderIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const result = await call(alice, `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }`, {
      i: { title, quantity: 1, address: '3 Race Lane' },
    });
    expect(result.errors).toBeUndefined();
    orderIds.push(result.data!.placeOrder.id);
  }
  return orderIds;
}

/** Order's and delivery's own records of these orders, by order id. */
async function statuses(orderIds: string[]) {
  const orders = await queryRows<{ id: string; status: string }>(
    shop.databases.order.url,
    `SELECT id::text, status::text FROM "Order" WHERE id = ANY($1::uuid[])`,
    [orderIds],
  );
  const shipments = await queryRows<{ orderId: string; status: string }>(
    shop.databases.delivery.url,
    `SELECT "orderId"::text, status::text FROM "Delivery" WHERE "orderId" = ANY($1::uuid[])`,
    [orderIds],
  );
  return orderIds.map((id) => ({
    id,
    order: orders.find((o) => o.id === id)?.status,
    delivery: shipments.find((s) => s.orderId === id)?.status,
  }));
}

const stockOf = async (bookId: string) =>
  (await queryRows<{ stock: number }>(shop.databases.book.url, `SELECT stock FROM "Book" WHERE id = $1`, [bookId]))[0]!.stock;

/**
 * Returns once order and book have applied every event that what happened before may still cause,
 * so that a test can then say something did not happen. Each context's durable consumer takes its
 * events one at a time, in stream order, and each outbox is published in the order it was written.
 * So an order delivered now reaches order's consumer after every earlier decision of delivery, and
 * once it is DELIVERED order has applied them all and written whatever they caused; an order
 * cancelled after that reaches book after every OrderCancelled written until then. (A book of
 * their own, so the stock a test looks at stays its own.)
 */
async function afterEverythingBefore(): Promise<void> {
  const marker = await registerBook(shop, 2);
  const [delivered, cancelled] = (await placeOrders(marker.title, 2)) as [string, string];
  const shipment = await eventually(
    async () => (await call(alice, ORDER, { id: delivered })).data?.order?.delivery,
    (delivery) => delivery?.status === 'PREPARING',
    30_000,
  );
  expect((await call(courier, COMPLETE, { d: shipment.id })).data?.completeDelivery?.status).toBe('DELIVERED');
  await eventually(
    () => statuses([delivered]),
    ([status]) => status?.order === 'DELIVERED',
    30_000,
  );
  expect((await call(alice, CANCEL, { o: cancelled })).data?.cancelOrder?.status).toBe('CANCELLED');
  await eventually(
    () => stockOf(marker.id),
    (stock) => stock === 1,
    30_000,
  );
}

describe('a cancel racing the courier', () => {
  it('fired at the same instant for 16 orders: each ends wholly cancelled or wholly delivered, and only cancelled copies come back', async () => {
    const book = await registerBook(shop, 100);
    const orderIds = await placeOrders(book.title, 16);
    const shipments = await eventually(
      async () => Promise.all(orderIds.map(async (id) => (await call(alice, ORDER, { id })).data?.order?.delivery)),
      (all) => all.every((delivery) => delivery?.status === 'PREPARING'),
      30_000,
    );

    const answers = await Promise.all(
      orderIds.map(async (orderId, i) => {
        const [cancel, complete] = await Promise.all([
          call(alice, CANCEL, { o: orderId }),
          call(courier, COMPLETE, { d: shipments[i]!.id }),
        ]);
        return {
          orderId,
          cancelled: cancel.data?.cancelOrder?.status === 'CANCELLED',
          completed: complete.data?.completeDelivery?.status === 'DELIVERED',
          codes: [...errorCodes(cancel), ...errorCodes(complete)],
        };
      }),
    );
    // Exactly one of the two answers is a success, and the loser says why.
    for (const answer of answers) {
      expect({ orderId: answer.orderId, oneWinner: answer.cancelled !== answer.completed }).toEqual({
        orderId: answer.orderId,
        oneWinner: true,
      });
      expect(answer.codes).toEqual([answer.cancelled ? 'DELIVERY_NOT_COMPLETABLE' : 'ORDER_NOT_CANCELLABLE']);
    }

    const cancelledIds = answers.filter((a) => a.cancelled).map((a) => a.orderId);
    const expected = orderIds.map((id) => {
      const status = cancelledIds.includes(id) ? 'CANCELLED' : 'DELIVERED';
      return { id, order: status, delivery: status };
    });
    // After the events settle: order follows delivery's decision, and the stock holds only delivered copies.
    await eventually(
      () => statuses(orderIds),
      (all) => JSON.stringify(all) === JSON.stringify(expected),
      30_000,
    );
    await eventually(
      () => stockOf(book.id),
      (stock) => stock === 100 - (orderIds.length - cancelledIds.length),
      30_000,
    );
    await afterEverythingBefore(); // a late, wrong release or status would show now
    expect(await statuses(orderIds)).toEqual(expected);
    expect(await stockOf(book.id)).toBe(100 - (orderIds.length - cancelledIds.length));
  }, 120_000);
});

describe('delivery unreachable', () => {
  it('a cancel answers SERVICE_UNAVAILABLE at once and changes nothing; once delivery is back it goes through', async () => {
    const book = await registerBook(shop, 10);
    const [orderId] = await placeOrders(book.title, 1);
    await eventually(
      () => statuses([orderId!]),
      ([s]) => s?.delivery === 'PREPARING',
      30_000,
    );

    await shop.processes.delivery.stop();
    try {
      const refused = await call(alice, CANCEL, { o: orderId });
      expect(errorCodes(refused)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(refused.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
      expect(await statuses([orderId!])).toEqual([{ id: orderId, order: 'PLACED', delivery: 'PREPARING' }]);
      expect(await stockOf(book.id)).toBe(9);
    } finally {
      await shop.restart('delivery');
    }
    expect((await call(alice, CANCEL, { o: orderId })).data?.cancelOrder?.status).toBe('CANCELLED');
    await eventually(
      () => stockOf(book.id),
      (stock) => stock === 10,
      30_000,
    );
  }, 120_000);
});

describe('a cancel that reaches delivery before the order does', () => {
  it('leaves the shipment stopped: the late OrderPlaced prepares nothing and the order stays cancelled', async () => {
    const book = await registerBook(shop, 10);
    // Delivery reads another stream for a while, so it has not seen this order when the cancel arrives.
    const elsewhere = `elsewhere_${randomUUID().slice(0, 8)}`;
    await shop.restart('delivery', { EVENT_PREFIX: elsewhere, EVENT_STREAM: elsewhere.toUpperCase() });
    let orderId: string;
    try {
      [orderId] = (await placeOrders(book.title, 1)) as [string];
      expect((await call(alice, CANCEL, { o: orderId })).data?.cancelOrder?.status).toBe('CANCELLED');
      expect(await statuses([orderId])).toEqual([{ id: orderId, order: 'CANCELLED', delivery: 'CANCELLED' }]);
    } finally {
      // Named again: a restart keeps the settings of the one before.
      await shop.restart('delivery', { EVENT_PREFIX: shop.events.prefix, EVENT_STREAM: shop.events.stream });
      await shop.events.jsm.streams.delete(elsewhere.toUpperCase()).catch(() => false);
    }
    // Delivery now handles the order's OrderPlaced (and book its OrderCancelled).
    await eventually(
      () => stockOf(book.id),
      (stock) => stock === 10,
      30_000,
    );
    // Its inbox records the event in the transaction of what it did with it: once the event is
    // there, whatever the late OrderPlaced did is there too.
    const [placedEvent] = await queryRows<{ id: string }>(
      shop.databases.order.url,
      `SELECT id FROM "OutboxEvent" WHERE type = 'OrderPlaced' AND envelope::jsonb->>'orderId' = $1`,
      [orderId],
    );
    await eventually(
      () =>
        queryRows(shop.databases.delivery.url, `SELECT 1 FROM "ProcessedEvent" WHERE consumer = 'delivery' AND "eventId" = $1`, [
          placedEvent!.id,
        ]),
      (rows) => rows.length > 0,
      30_000,
    );
    expect(await statuses([orderId])).toEqual([{ id: orderId, order: 'CANCELLED', delivery: 'CANCELLED' }]);
    const started = await queryRows(
      shop.databases.delivery.url,
      `SELECT 1 FROM "OutboxEvent" WHERE type = 'DeliveryStarted' AND envelope::jsonb->>'orderId' = $1`,
      [orderId],
    );
    expect(started).toEqual([]);
  }, 120_000);
});
