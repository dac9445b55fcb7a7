import { eventually, graphql, queryRows, tokenFor } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsInStream } from './support/events.js';
import { placeOrder, registerBook, stockLedger } from './support/orders.js';
import { startShop, type TestShop } from './support/shop.js';

const MY_PAGE = `{ myPage(first: 200) { orderId orderStatus deliveryStatus version } }`;

let shop: TestShop;
let alice: string;

beforeAll(async () => {
  shop = await startShop({
    serviceEnv: {
      // Dies (SIGKILL) after book reserved the copies, before the order records the result.
      order: { FAULT_POINTS: 'order.after-reserve', RECONCILE_INTERVAL_MS: '300', RECONCILE_AFTER_MS: '1000' },
      // An event a dead consumer held comes back after 2 s rather than 30.
      delivery: { EVENT_ACK_WAIT_MS: '2000' },
    },
  });
  alice = await tokenFor('customer', 'alice');
});
afterAll(() => shop?.stop());

const myPage = async () =>
  (await graphql(shop.url, MY_PAGE, {}, { token: alice })).data!.myPage as Array<{
    orderId: string;
    orderStatus: string;
    deliveryStatus: string | null;
    version: number;
  }>;

describe('a process killed mid-work loses nothing and does nothing twice', () => {
  it('order killed between reserving stock and recording the order: after restart, stock and orders agree', async () => {
    const book = await registerBook(shop, 10);
    const crashed = await placeOrder(shop.url, alice, { title: book.title, quantity: 2 }, { timeoutMs: 10_000 });
    expect(crashed.data?.placeOrder ?? null).toBeNull();
    expect(crashed.errors?.length).toBeGreaterThan(0);
    await shop.processes.order.exited;

    // The moment of the crash, as the databases hold it: copies reserved, the order undecided.
    expect(await stockLedger(shop, book.title)).toMatchObject({ stock: 8, reservedQuantity: 2, pendingOrders: 1, placedOrders: 0 });

    await shop.restart('order', { FAULT_POINTS: '' });
    const ledger = await eventually(
      () => stockLedger(shop, book.title),
      (l) => l.pendingOrders === 0,
    );
    // Book held the copies, so the reconciler finished the saga: placed, announced, shipped.
    expect(ledger).toMatchObject({ stock: 8, reservedQuantity: 2, placedQuantity: 2, placedOrders: 1 });
    const [order] = await queryRows<{ id: string }>(shop.databases.order.url, `SELECT id FROM "Order" WHERE title = $1`, [book.title]);
    const placedEvents = await eventsInStream(shop, 'OrderPlaced', (events) => events.some((e) => e.orderId === order!.id));
    expect(placedEvents.filter((e) => e.orderId === order!.id)).toHaveLength(1);
    await eventually(myPage, (entries) => entries.some((e) => e.orderId === order!.id && e.deliveryStatus === 'PREPARING'));

    const next = await placeOrder(shop.url, alice, { title: book.title, quantity: 1 });
    expect(next.errors).toBeUndefined();
    expect(next.data!.placeOrder.status).toBe('PLACED');
    expect(await stockLedger(shop, book.title)).toMatchObject({ stock: 7, placedQuantity: 3, pendingOrders: 0 });
  });

  it('delivery killed after its effect committed, before the ack: after restart, exactly one shipment and one DeliveryStarted', async () => {
    await shop.restart('delivery', { FAULT_POINTS: 'consumer.after-effect' });
    const book = await registerBook(shop, 5);
    const placed = await placeOrder(shop.url, alice, { title: book.title, quantity: 1 });
    const orderId: string = placed.data!.placeOrder.id;
    await shop.processes.delivery.exited;

    const shipments = () => queryRows(shop.databases.delivery.url, `SELECT status FROM "Delivery" WHERE "orderId" = $1`, [orderId]);
    expect(await shipments()).toEqual([{ status: 'PREPARING' }]); // the effect committed before the crash

    await shop.restart('delivery', { FAULT_POINTS: '' });
    // The redelivered OrderPlaced is recognised (inbox) and acknowledged, not applied again.
    const consumer = await eventually(
      () => shop.events.jsm.consumers.info(shop.events.stream, 'delivery'),
      (info) => info.num_ack_pending === 0 && info.num_pending === 0,
    );
    expect(consumer.config.ack_wait).toBe(2_000_000_000);
    const entry = await eventually(myPage, (entries) => entries.some((e) => e.orderId === orderId && e.deliveryStatus === 'PREPARING'));
    expect(entry.find((e) => e.orderId === orderId)!.version).toBe(2); // OrderPlaced + one DeliveryStarted

    expect(await shipments()).toEqual([{ status: 'PREPARING' }]);
    const started = await eventsInStream(shop, 'DeliveryStarted', (events) => events.some((e) => e.orderId === orderId));
    expect(started.filter((e) => e.orderId === orderId)).toHaveLength(1);
    const outbox = await queryRows(
      shop.databases.delivery.url,
      `SELECT type FROM "OutboxEvent" WHERE type = 'DeliveryStarted' AND envelope LIKE $1`,
      [`%${orderId}%`],
    );
    expect(outbox).toHaveLength(1);
  });
});
