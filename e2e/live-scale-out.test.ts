import { randomUUID } from 'node:crypto';
import { createSqliteTestDatabase, eventually, graphql, type TestDatabase, tokenFor } from '@bookshop/testing';
import { freePort, type ManagedProcess } from '@bookshop/tools';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startShop, type TestShop } from './support/shop.js';

let shop: TestShop;
const extra: ManagedProcess[] = [];
const clients: Client[] = [];
let secondMyPageDatabase: TestDatabase;
let secondRouterUrl: string;

beforeAll(async () => {
  shop = await startShop();
  // A second my page instance (its own SQLite file and consumer) and a second router in front of it.
  secondMyPageDatabase = createSqliteTestDatabase('mypage');
  const myPagePort = await freePort();
  extra.push(await shop.startInstance('mypage', myPagePort, { MYPAGE_INSTANCE: 'second', MYPAGE_DATABASE_URL: secondMyPageDatabase.url }));
  const routerPort = await freePort();
  extra.push(await shop.startInstance('router', routerPort, { SUBGRAPH_URL_MYPAGE: `http://127.0.0.1:${myPagePort}/graphql` }));
  secondRouterUrl = `http://127.0.0.1:${routerPort}/graphql`;
}, 120_000);
afterAll(async () => {
  await Promise.all(clients.map(async (client) => client.dispose())); // dispose answers void or a promise
  await Promise.all(extra.map((process) => process.stop()));
  await shop?.stop();
  await secondMyPageDatabase?.drop();
});

it('two routers, two my page instances: every subscriber gets every update of its order exactly once', async () => {
  const [staff, alice, courier] = await Promise.all([tokenFor('staff', 'sam'), tokenFor('customer', 'alice'), tokenFor('courier', 'carl')]);
  const title = `Dawn ${randomUUID()}`;
  await graphql(
    shop.url,
    `
      mutation ($i: RegisterBookInput!) {
        registerBook(input: $i) {
          id
        }
      }
    `,
    { i: { title, author: 'Octavia E. Butler', publisher: 'Warner', stock: 3 } },
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

  // Two subscribers on each router.
  const subscribers = [shop.url, shop.url, secondRouterUrl, secondRouterUrl].map((url) => {
    const client = createClient({
      url: url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${alice}` },
    });
    clients.push(client);
    const versions: number[] = [];
    client.subscribe(
      {
        query: `subscription($id: ID!) { orderStatusChanged(orderId: $id) { version orderStatus deliveryStatus order { delivery { status } } } }`,
        variables: { id: orderId },
      },
      {
        next: (result) => {
          const entry = (result.data as any)?.orderStatusChanged;
          if (entry) versions.push(entry.version);
        },
        error: () => {},
        complete: () => {},
      },
    );
    return versions;
  });

  await eventually(
    async () => subscribers,
    (all) => all.every((versions) => versions.includes(2)),
    20_000,
  ); // placed + shipment
  const deliveries = await graphql(
    shop.url,
    `
      {
        deliveries(status: PREPARING, first: 200) {
          id
          order {
            id
          }
        }
      }
    `,
    {},
    { token: courier },
  );
  const delivery = deliveries.data!.deliveries.find((d: { order: { id: string } }) => d.order.id === orderId);
  await graphql(
    shop.url,
    `
      mutation ($d: ID!) {
        completeDelivery(deliveryId: $d) {
          status
        }
      }
    `,
    { d: delivery.id },
    { token: courier },
  );
  // Delivered: DeliveryCompleted then OrderDelivered, versions 3 and 4.
  await eventually(
    async () => subscribers,
    (all) => all.every((versions) => versions.includes(4)),
    20_000,
  );
  // Then reviewed: version 5, a change made after every subscriber had version 4. Each my page
  // projects events in stream order and sends an order's changes in that order; each router and
  // socket keep it: a duplicate of an earlier version would arrive before this one.
  await eventually(
    () =>
      graphql(
        shop.url,
        `
          mutation ($i: WriteReviewInput!) {
            writeReview(input: $i) {
              rating
            }
          }
        `,
        { i: { orderId, rating: 4, content: 'Worth the wait.' } },
        { token: alice },
      ),
    (result) => !result.errors,
    20_000,
  );
  await eventually(
    async () => subscribers,
    (all) => all.every((versions) => versions.includes(5)),
    20_000,
  );

  for (const versions of subscribers) {
    // The first entry is whatever was current when the subscription began; after it, each version once, in order.
    const first = versions[0]!;
    expect(versions).toEqual(Array.from({ length: 5 - first + 1 }, (_, i) => first + i));
  }
}, 120_000);

it('a router that is stopped tells its subscribers to go away (1001), so they reconnect elsewhere', async () => {
  const alice = await tokenFor('customer', 'alice');
  const client = createClient({
    url: secondRouterUrl.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    connectionParams: { authorization: `Bearer ${alice}` },
  });
  clients.push(client);
  const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
  const closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
  client.subscribe({ query: `subscription { myPageUpdated { version } }` }, { next: () => {}, error: () => {}, complete: () => {} });
  await connected; // acknowledged: what closes it now is the router
  await extra.find((process) => process.name === 'router')!.stop(); // SIGTERM
  expect(await closed).toBe(1001);
}, 60_000);
