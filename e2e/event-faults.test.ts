import { randomUUID } from 'node:crypto';
import { OrderPlaced, eventOf, subjectOf } from '@bookshop/events';
import { eventually, graphql, queryRows, tokenFor } from '@bookshop/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { headers } from '@nats-io/transport-node';
import { runShopCommand } from './support/command.js';
import { startShop, type TestShop } from './support/shop.js';

let shop: TestShop | undefined;
afterEach(async () => {
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
  shop = undefined;
});

const MY_PAGE = `{ myPage(first: 200) { orderId orderStatus deliveryStatus version } }`;

async function openShop(options: Parameters<typeof startShop>[0] = {}) {
  shop = await startShop(options);
  const [staff, alice] = await Promise.all([tokenFor('staff', 'sam'), tokenFor('customer', 'alice')]);
  const title = `Solaris ${randomUUID()}`;
  const registered = await graphql(
    shop.url,
    `
      mutation ($i: RegisterBookInput!) {
        registerBook(input: $i) {
          id
        }
      }
    `,
    { i: { title, author: 'Stanisław Lem', publisher: 'MON', stock: 1_000 } },
    { token: staff },
  );
  expect(registered.errors).toBeUndefined();
  // At most ten at once: one customer's orders take its lock one at a time, and fifty queued
  // behind it on a loaded machine can outwait the router's 10 s budget — not what these tests are about.
  const placeOrders = async (count: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let placed = 0; placed < count; placed += 10) ids.push(...(await placeAtOnce(Math.min(10, count - placed))));
    return ids;
  };
  const placeAtOnce = (count: number) =>
    Promise.all(
      Array.from({ length: count }, () =>
        graphql(
          shop!.url,
          `
            mutation ($i: PlaceOrderInput!) {
              placeOrder(input: $i) {
                id
                status
              }
            }
          `,
          { i: { title, quantity: 1, address: '1 Ocean Way' } },
          { token: alice },
        ),
      ),
    ).then((results) =>
      results.map((result) => {
        expect(result.errors).toBeUndefined();
        expect(result.data!.placeOrder.status).toBe('PLACED');
        return result.data!.placeOrder.id as string;
      }),
    );
  const myPage = async () =>
    (await graphql(shop!.url, MY_PAGE, {}, { token: alice })).data!.myPage as Array<{
      orderId: string;
      orderStatus: string;
      deliveryStatus: string | null;
      version: number;
    }>;
  const shipments = (orderIds: string[]) =>
    queryRows<{ orderId: string; status: string }>(
      shop!.databases.delivery.url,
      'SELECT "orderId", status::text FROM "Delivery" WHERE "orderId" = ANY($1::uuid[])',
      [orderIds],
    );
  return { shop, alice, placeOrders, myPage, shipments };
}

describe('fault isolation', () => {
  it('accepts 50 orders while delivery is down; after it is back every order has exactly one shipment and my page catches up', async () => {
    const { shop, placeOrders, myPage, shipments } = await openShop();
    await shop.processes.delivery.stop();
    const orderIds = await placeOrders(50);
    expect(await shipments(orderIds)).toEqual([]);

    await shop.restart('delivery');
    const shipped = await eventually(
      () => shipments(orderIds),
      (rows) => rows.length === 50,
      30_000,
    );
    expect(new Set(shipped.map((row) => row.orderId))).toEqual(new Set(orderIds));
    expect(shipped.every((row) => row.status === 'PREPARING')).toBe(true);
    const entries = await eventually(
      myPage,
      (all) => orderIds.every((id) => all.find((e) => e.orderId === id)?.deliveryStatus === 'PREPARING'),
      30_000,
    );
    // Each entry changed exactly twice: placed (version 1), then its shipment (version 2).
    expect(entries.filter((e) => orderIds.includes(e.orderId)).map((e) => e.version)).toEqual(orderIds.map(() => 2));
  }, 120_000);
});

describe('NATS away', () => {
  it('accepts orders while the broker is unreachable; once it is back every event is delivered and nothing is applied twice', async () => {
    const { shop, placeOrders, myPage, shipments } = await openShop({ privateNats: true });
    const [first] = await placeOrders(1);
    await eventually(myPage, (all) => all.some((e) => e.orderId === first && e.deliveryStatus === 'PREPARING')); // the backbone runs
    await shop.nats!.stop();
    const orderIds = await placeOrders(20);
    const waiting = await queryRows<{ count: string }>(
      shop.databases.order.url,
      'SELECT count(*) FROM "OutboxEvent" WHERE "sentAt" IS NULL',
    );
    expect(Number(waiting[0]!.count)).toBe(20);

    await shop.nats!.start();
    const shipped = await eventually(
      () => shipments(orderIds),
      (rows) => rows.length === 20,
      60_000,
    );
    expect(new Set(shipped.map((row) => row.orderId)).size).toBe(20);
    const entries = await eventually(
      myPage,
      (all) => orderIds.every((id) => all.find((e) => e.orderId === id)?.deliveryStatus === 'PREPARING'),
      60_000,
    );
    expect(entries.filter((e) => orderIds.includes(e.orderId)).map((e) => e.version)).toEqual(orderIds.map(() => 2));
  }, 180_000);
});

describe('redelivery and poison messages', () => {
  it('an event published twice with the same id changes each read model once', async () => {
    const { shop, myPage, shipments } = await openShop();
    const orderId = randomUUID();
    const event = eventOf(
      OrderPlaced,
      { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Solaris', quantity: 1, address: '1 Ocean Way' },
      { orderId, correlationId: 'redelivery-test' },
    );
    const subject = subjectOf(shop.events.prefix, OrderPlaced);
    const body = JSON.stringify(event);
    await shop.events.js.publish(subject, body, { msgID: event.id });
    await shop.events.js.publish(subject, body, { msgID: event.id }); // JetStream drops this one
    await shop.events.js.publish(subject, body, { msgID: randomUUID() }); // stored again: the consumers' inboxes drop it
    // Another order, published after the copies: delivery and my page each take the stream in
    // order, one event at a time, so once my page shows this one's shipment, delivery has handled
    // every copy before it and my page every DeliveryStarted those could have caused.
    const laterId = randomUUID();
    const later = eventOf(
      OrderPlaced,
      { orderId: laterId, customerId: 'alice', bookId: randomUUID(), title: 'Solaris', quantity: 1, address: '1 Ocean Way' },
      { orderId: laterId, correlationId: 'redelivery-test' },
    );
    await shop.events.js.publish(subject, JSON.stringify(later), { msgID: later.id });
    await eventually(myPage, (all) => all.find((e) => e.orderId === laterId)?.deliveryStatus === 'PREPARING');
    expect((await myPage()).find((e) => e.orderId === orderId)).toMatchObject({
      orderStatus: 'PLACED',
      deliveryStatus: 'PREPARING',
      version: 2,
    });
    expect(await shipments([orderId])).toHaveLength(1);
  }, 60_000);

  it('a poison message lands in the dead-letter subjects and does not block the events behind it', async () => {
    const { shop, myPage } = await openShop();
    const subject = subjectOf(shop.events.prefix, OrderPlaced);
    const poison = {
      ...eventOf(
        OrderPlaced,
        { orderId: randomUUID(), customerId: 'alice', bookId: 'b', title: 't', quantity: 1, address: 'a' },
        { correlationId: 'poison' },
      ),
      payload: { quantity: 'many' },
    };
    await shop.events.js.publish(subject, JSON.stringify(poison));
    const orderId = randomUUID();
    const good = eventOf(
      OrderPlaced,
      { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Solaris', quantity: 1, address: '1 Ocean Way' },
      { orderId, correlationId: 'after-poison' },
    );
    await shop.events.js.publish(subject, JSON.stringify(good), { msgID: good.id });
    await eventually(myPage, (all) => all.some((e) => e.orderId === orderId));
    const parked = await eventually(
      async () =>
        (await shop.events.jsm.streams.info(shop.events.stream, { subjects_filter: `${shop.events.prefix}.deadletter.>` })).state
          .subjects ?? {},
      (subjects) => Object.keys(subjects).length >= 3,
    );
    // Every consumer of OrderPlaced parked it: delivery, review and my page.
    expect(Object.keys(parked).sort()).toEqual(
      ['delivery', 'mypage-main', 'review'].map((consumer) => `${shop.events.prefix}.deadletter.${consumer}.OrderPlaced`),
    );
  }, 60_000);

  it('parked events can be listed and replayed with `pnpm -s deadletters`', async () => {
    const { shop, myPage } = await openShop();
    const orderId = randomUUID();
    const event = eventOf(
      OrderPlaced,
      { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Solaris', quantity: 1, address: '1 Ocean Way' },
      { orderId, correlationId: 'replayed' },
    );
    // As the consumer parks an event whose handler kept failing (say, its database was away):
    const parked = headers();
    parked.set('Bookshop-Error', 'failed 5 times: database unreachable');
    parked.set('Bookshop-Subject', subjectOf(shop.events.prefix, OrderPlaced));
    await shop.events.js.publish(`${shop.events.prefix}.deadletter.mypage-main.OrderPlaced`, JSON.stringify(event), { headers: parked });

    const listed = await runShopCommand(shop, ['deadletters', 'list', 'mypage-main']);
    expect(listed).toMatch(/mypage-main\t\S+\.order\.OrderPlaced\tfailed 5 times: database unreachable/);
    expect(await runShopCommand(shop, ['deadletters', 'replay', 'mypage-main'])).toMatch(/replayed 1 message/);
    await eventually(myPage, (all) => all.some((e) => e.orderId === orderId));
    expect((await runShopCommand(shop, ['deadletters', 'list', 'mypage-main'])).trim()).toBe('');
  }, 60_000);
});
