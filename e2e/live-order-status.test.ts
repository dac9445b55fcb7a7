import { randomUUID } from 'node:crypto';
import { eventually, graphql, tokenFor } from '@bookshop/testing';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShop, type TestShop } from './support/shop.js';

let shop: TestShop;
const clients: Client[] = [];
beforeAll(async () => {
  shop = await startShop();
});
afterAll(async () => {
  await Promise.all(clients.map(async (client) => client.dispose())); // dispose answers void or a promise
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
});

const WATCH = `subscription Watch($id: ID!) {
  orderStatusChanged(orderId: $id) {
    orderStatus deliveryStatus reviewRating version
    order { quantity book { title stock } delivery { status } review { rating } }
  }
}`;

it('a customer watches an order live through the router, with fields of every subgraph on each event', async () => {
  const [staff, alice, courier] = await Promise.all([tokenFor('staff', 'sam'), tokenFor('customer', 'alice'), tokenFor('courier', 'carl')]);
  const call = (token: string, query: string, variables: Record<string, unknown> = {}) => graphql(shop.url, query, variables, { token });
  const title = `Kindred ${randomUUID()}`;
  await call(staff, `mutation($i: RegisterBookInput!) { registerBook(input: $i) { id } }`, {
    i: { title, author: 'Octavia E. Butler', publisher: 'Doubleday', stock: 4 },
  });
  const placed = await call(alice, `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }`, {
    i: { title, quantity: 1, address: '1 Altadena Dr' },
  });
  const orderId: string = placed.data!.placeOrder.id;

  const client = createClient({
    url: shop.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${alice}` },
  });
  clients.push(client);
  const seen = new Map<number, Record<string, any>>(); // by version: a client drops a version it has seen
  const errors: unknown[] = [];
  client.subscribe(
    { query: WATCH, variables: { id: orderId } },
    {
      next: (result) => {
        if (result.errors) errors.push(...result.errors);
        const entry = (result.data as { orderStatusChanged?: Record<string, any> } | null)?.orderStatusChanged;
        if (entry) seen.set(entry.version, entry);
      },
      error: (error) => errors.push(error),
      complete: () => {},
    },
  );
  const latest = () => seen.get(Math.max(0, ...seen.keys()));

  await eventually(
    async () => latest(),
    (entry) => entry?.deliveryStatus === 'PREPARING',
    20_000,
  );
  expect(latest()).toEqual({
    orderStatus: 'PLACED',
    deliveryStatus: 'PREPARING',
    reviewRating: null,
    version: 2,
    order: { quantity: 1, book: { title, stock: 3 }, delivery: { status: 'PREPARING' }, review: null },
  });

  const deliveries = await call(courier, `{ deliveries(status: PREPARING, first: 200) { id order { id } } }`);
  const delivery = deliveries.data!.deliveries.find((d: { order: { id: string } }) => d.order.id === orderId);
  await call(courier, `mutation($d: ID!) { completeDelivery(deliveryId: $d) { status } }`, { d: delivery.id });
  await eventually(
    async () => latest(),
    (entry) => entry?.orderStatus === 'DELIVERED' && entry?.deliveryStatus === 'DELIVERED',
    20_000,
  );
  expect(latest()!.order.delivery).toEqual({ status: 'DELIVERED' });

  // my page restarts (a deploy): the router re-subscribes and the subscriber keeps receiving updates.
  await shop.restart('mypage');

  await eventually(
    () =>
      call(alice, `mutation($i: WriteReviewInput!) { writeReview(input: $i) { rating } }`, {
        i: { orderId, rating: 4, content: 'Unforgettable.' },
      }),
    (result) => !result.errors,
  );
  const reviewed = await eventually(
    async () => latest(),
    (entry) => entry?.reviewRating === 4,
    20_000,
  );
  expect(reviewed!.order.review).toEqual({ rating: 4 });
  // Versions arrive in order and each change was pushed: placed, shipment, delivered (twice: order and delivery), review.
  expect([...seen.keys()].sort((a, b) => a - b)).toEqual([...seen.keys()]);
  expect(errors).toEqual([]);
}, 120_000);

it('a cancelled order shows CANCELLED and the restored stock in the same live event', async () => {
  const [staff, alice] = await Promise.all([tokenFor('staff', 'sam'), tokenFor('customer', 'alice')]);
  const call = (token: string, query: string, variables: Record<string, unknown> = {}) => graphql(shop.url, query, variables, { token });
  const title = `Wild Seed ${randomUUID()}`;
  await call(staff, `mutation($i: RegisterBookInput!) { registerBook(input: $i) { id } }`, {
    i: { title, author: 'Octavia E. Butler', publisher: 'Doubleday', stock: 5 },
  });
  const placed = await call(alice, `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }`, {
    i: { title, quantity: 2, address: 'x' },
  });
  const orderId: string = placed.data!.placeOrder.id;
  const client = createClient({
    url: shop.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${alice}` },
  });
  clients.push(client);
  const events: Array<Record<string, any>> = [];
  client.subscribe(
    { query: WATCH, variables: { id: orderId } },
    {
      next: (result) => {
        const entry = (result.data as any)?.orderStatusChanged;
        if (entry) events.push(entry);
      },
      error: () => {},
      complete: () => {},
    },
  );
  await eventually(
    async () => events,
    (all) => all.some((e) => e.deliveryStatus === 'PREPARING'),
    20_000,
  );
  expect(events.at(-1)!.order.book.stock).toBe(3);

  await call(alice, `mutation($o: ID!) { cancelOrder(orderId: $o) { status } }`, { o: orderId });
  const restored = await eventually(
    async () => events,
    (all) => all.some((e) => e.orderStatus === 'CANCELLED' && e.order.book.stock === 5),
    20_000,
  );
  expect(restored.find((e) => e.orderStatus === 'CANCELLED' && e.order.book.stock === 5)).toMatchObject({
    orderStatus: 'CANCELLED',
    order: { book: { title, stock: 5 } },
  });
}, 120_000);

describe('identity on live subscriptions', () => {
  const subscribeOnce = async (token: string | null, orderId: string) => {
    const client = createClient({
      url: shop.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      ...(token ? { connectionParams: { authorization: `Bearer ${token}` } } : {}),
    });
    clients.push(client);
    return new Promise<{ code?: number; errors?: Array<{ extensions?: { code?: string } }> }>((resolve) => {
      client.on('closed', (event) => resolve({ code: (event as { code: number }).code }));
      client.subscribe(
        { query: WATCH, variables: { id: orderId } },
        {
          next: (result) => result.errors && resolve({ errors: result.errors as never }),
          error: (error) => resolve({ errors: (Array.isArray(error) ? error : [error]) as never }),
          complete: () => {},
        },
      );
    });
  };

  it("refuses a socket without a token (4403), another customer's order (FORBIDDEN) and an unknown order (ORDER_NOT_FOUND)", async () => {
    const [staff, alice, bob] = await Promise.all([tokenFor('staff', 'sam'), tokenFor('customer', 'alice'), tokenFor('customer', 'bob')]);
    const title = `Parable ${randomUUID()}`;
    await graphql(
      shop.url,
      `
        mutation ($i: RegisterBookInput!) {
          registerBook(input: $i) {
            id
          }
        }
      `,
      { i: { title, author: 'Octavia E. Butler', publisher: 'FWEW', stock: 2 } },
      { token: staff },
    );
    const placed = await graphql(
      shop.url,
      `
        mutation ($i: PlaceOrderInput!) {
          placeOrder(input: $i) {
            id
          }
        }
      `,
      { i: { title, quantity: 1, address: 'x' } },
      { token: alice },
    );
    const orderId: string = placed.data!.placeOrder.id;
    await eventually(
      () => graphql(shop.url, '{ myPage { orderId } }', {}, { token: alice }),
      (r) => r.data?.myPage.some((e: { orderId: string }) => e.orderId === orderId),
    );

    expect((await subscribeOnce(null, orderId)).code).toBe(4403);
    expect((await subscribeOnce(bob, orderId)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await subscribeOnce(alice, randomUUID())).errors?.[0]?.extensions?.code).toBe('ORDER_NOT_FOUND');
  }, 60_000);
});
