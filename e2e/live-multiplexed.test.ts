import { randomUUID } from 'node:crypto';
import { OrderPlaced, ReviewWritten, eventOf, subjectOf, type EventDefinition, type EventEnvelope } from '@bookshop/events';
import { SERVICE_TOKEN_HEADER, serviceCredential, serviceKeyFromSeed, signToken } from '@bookshop/runtime';
import {
  TEST_CREDENTIALS,
  TEST_JWT_SECRET,
  eventually,
  graphql,
  routerCredentialHeaders,
  startTcpProxy,
  tokenFor,
  type TcpProxy,
} from '@bookshop/testing';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShop, type TestShop } from './support/shop.js';

// Live updates that scale by customers, not by sockets: the router carries every customer's
// subscriptions to my page over a few connections of its own (authenticated as the router), each
// subscription naming its customer; my page runs and counts each one as that customer's.
// Every router → my page connection goes through a TCP proxy here, which counts them.

let shop: TestShop;
let proxy: TcpProxy;
const clients: Client[] = [];
beforeAll(async () => {
  proxy = await startTcpProxy(); // no backend until my page's port is known
  shop = await startShop({ serviceEnv: { router: { SUBGRAPH_URL_MYPAGE: proxy.url } } });
  proxy.setBackends([{ port: Number(new URL(shop.urls.mypage).port) }]);
}, 120_000);
afterAll(async () => {
  await Promise.all(clients.map(async (client) => client.dispose())); // dispose answers void or a promise
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
  await proxy?.close();
});

type Entry = { orderId: string; version: number; deliveryStatus: string | null; reviewContent: string | null };
const FIELDS = 'orderId version deliveryStatus reviewContent';
const MY_PAGE = `subscription { myPageUpdated { ${FIELDS} } }`;

/** One subscription as its client saw it: entries, the codes of the error that ended it, whether it ended. */
interface Watch {
  entries: Entry[];
  codes: unknown[];
  ended: boolean;
}

/** A graphql-ws client that connects at once; `connected` resolves once it is acknowledged. */
function socketOf(url: string, connectionParams: () => Promise<Record<string, unknown>>) {
  const closes: number[] = [];
  let acknowledged: () => void = () => {};
  const connected = new Promise<void>((resolve) => (acknowledged = resolve));
  const client = createClient({
    url: url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {},
    connectionParams,
    on: { connected: () => acknowledged(), closed: (event) => void closes.push((event as { code: number }).code) },
  });
  clients.push(client);
  const subscribe = (query: string, extensions?: Record<string, unknown>): Watch => {
    const watch: Watch = { entries: [], codes: [], ended: false };
    client.subscribe(
      { query, ...(extensions ? { extensions } : {}) },
      {
        next: (result) => {
          const entry = Object.values((result.data ?? {}) as Record<string, Entry | null>)[0];
          if (entry) watch.entries.push(entry);
          watch.codes.push(...(result.errors ?? []).map((error) => error.extensions?.code));
        },
        error: (error) => {
          watch.codes.push(...(Array.isArray(error) ? error : [error]).map((e: { extensions?: { code?: unknown } }) => e.extensions?.code));
          watch.ended = true;
        },
        complete: () => void (watch.ended = true),
      },
    );
    return watch;
  };
  return { client, closes, connected, subscribe };
}
const withToken = (token: string) => async () => ({ authorization: `Bearer ${token}` });
const asRouter = () => routerCredentialHeaders();

const publish = async <D extends EventDefinition>(definition: D, event: EventEnvelope) => {
  await shop.events.js.publish(subjectOf(shop.events.prefix, definition), JSON.stringify(event), { msgID: event.id });
};
/** A new order of `customerId`, as order would announce it: my page projects it, delivery starts its shipment (version 2). */
async function placeOrder(customerId: string): Promise<string> {
  const orderId = randomUUID();
  const event = eventOf(
    OrderPlaced,
    { orderId, customerId, bookId: randomUUID(), title: 'The Left Hand of Darkness', quantity: 1, address: '1 Gethen Way' },
    { orderId, correlationId: `multiplex-${orderId}` },
  );
  await publish(OrderPlaced, event);
  return orderId;
}
/** A review of the order: a change of its entry whose content names the customer, so nobody else's could pass for it. */
async function review(orderId: string, customerId: string): Promise<void> {
  const event = eventOf(
    ReviewWritten,
    { reviewId: randomUUID(), orderId, bookId: randomUUID(), customerId, rating: 5, content: `reviewed by ${customerId}` },
    { orderId, correlationId: `multiplex-${orderId}` },
  );
  await publish(ReviewWritten, event);
}

/** The `info` of a process's /readyz body: the figures of what it holds open now. */
async function infoOf(name: 'router' | 'mypage'): Promise<Record<string, number>> {
  const response = await fetch(shop.urls[name].replace(/\/graphql$/, '/readyz'), { headers: { connection: 'close' } });
  return ((await response.json()) as { info: Record<string, number> }).info;
}

const strictlyRising = (versions: number[]) => versions.every((version, i) => i === 0 || version > versions[i - 1]!);

describe('300 customers, each watching their own orders through the router', () => {
  const CUSTOMERS = 300;
  const run = randomUUID().slice(0, 8);
  const customers: Array<{ subject: string; orderId: string; watch: Watch; closes: number[] }> = [];
  const latest = (watch: Watch) => watch.entries.at(-1);

  it('share at most 4 router → my page connections, and each gets its own changes', async () => {
    // Each on a socket of their own with their own token, as each customer's app. The router lets
    // 16 sockets per address introduce themselves at once: they connect ten at a time.
    for (let start = 0; start < CUSTOMERS; start += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, CUSTOMERS - start) }, async (_, i) => {
          const subject = `multiplex-${run}-${start + i}`;
          const socket = socketOf(shop.url, withToken(await tokenFor('customer', subject)));
          await socket.connected;
          return { subject, socket };
        }),
      );
      for (const { subject, socket } of batch)
        customers.push({ subject, orderId: '', watch: socket.subscribe(MY_PAGE), closes: socket.closes });
    }
    for (const customer of customers) customer.orderId = await placeOrder(customer.subject);

    // Placed, then its shipment started: every customer hears both changes of their order.
    await eventually(
      async () => customers.filter((customer) => latest(customer.watch)?.deliveryStatus !== 'PREPARING').length,
      (waiting) => waiting === 0,
      90_000,
    );
    for (const customer of customers) {
      // myPageUpdated sends whatever the subscription's caller owns: anyone else's order here would
      // be another customer's identity used for this one.
      expect(new Set(customer.watch.entries.map((entry) => entry.orderId))).toEqual(new Set([customer.orderId]));
      expect(latest(customer.watch)).toMatchObject({ version: 2, deliveryStatus: 'PREPARING' });
      expect([customer.watch.codes, customer.watch.ended, customer.closes]).toEqual([[], false, []]);
    }
    // 300 feeds, each its own customer's; the connections carrying them, counted three ways.
    const [router, mypage] = await Promise.all([infoOf('router'), infoOf('mypage')]);
    expect(router).toMatchObject({ subscriptionFeeds: CUSTOMERS, subscribers: CUSTOMERS });
    expect(proxy.connections).toBeGreaterThanOrEqual(1);
    expect(proxy.connections).toBeLessThanOrEqual(4);
    expect(mypage.relaySockets).toBe(proxy.connections);
    expect(mypage.sockets).toBe(proxy.connections);
    expect(router.upstreamSockets).toBe(proxy.connections);
  }, 180_000);

  it('my page restarted under them: each resumes, gets its later change, and no version comes twice', async () => {
    expect(customers).toHaveLength(CUSTOMERS); // the subscribers of the test above, still listening
    await shop.restart('mypage');
    for (const customer of customers) await review(customer.orderId, customer.subject);
    await eventually(
      async () => customers.filter((customer) => latest(customer.watch)?.reviewContent !== `reviewed by ${customer.subject}`).length,
      (waiting) => waiting === 0,
      90_000,
    );
    for (const customer of customers) {
      expect(latest(customer.watch)).toMatchObject({ orderId: customer.orderId, version: 3 });
      // my page sent every current entry again when the router subscribed again: none reached anyone twice.
      expect(strictlyRising(customer.watch.entries.map((entry) => entry.version))).toBe(true);
      expect([customer.watch.codes, customer.watch.ended, customer.closes]).toEqual([[], false, []]);
    }
    const [router, mypage] = await Promise.all([infoOf('router'), infoOf('mypage')]);
    expect(router).toMatchObject({ subscriptionFeeds: CUSTOMERS, subscribers: CUSTOMERS });
    expect(mypage.relaySockets).toBeGreaterThanOrEqual(1);
    expect(mypage.relaySockets).toBeLessThanOrEqual(4);
    expect(router.upstreamSockets).toBe(mypage.relaySockets);
  }, 180_000);
});

describe('identity on a shared connection', () => {
  it("a customer's own connection to my page that names another customer is refused, and reads none of their entries", async () => {
    const [alice, bob] = [`alice-${randomUUID()}`, `bob-${randomUUID()}`];
    const aliceOrder = await placeOrder(alice);
    const aliceToken = await tokenFor('customer', alice);
    await eventually(
      () => graphql(shop.urls.mypage, '{ myPage { orderId } }', {}, { token: aliceToken }),
      (result) => result.data?.myPage.some((entry: { orderId: string }) => entry.orderId === aliceOrder),
      20_000,
    );
    const own = socketOf(shop.urls.mypage, withToken(await tokenFor('customer', bob)));
    const pretending = own.subscribe(MY_PAGE, { authorization: `Bearer ${aliceToken}` });
    await eventually(async () => pretending.ended, Boolean, 20_000);
    expect([pretending.codes, pretending.entries]).toEqual([['FORBIDDEN'], []]);

    // Nor does a service credential that is not the router's (order's, or one signed with a key my page does not trust).
    const strangers = [
      socketOf(shop.urls.mypage, async () => ({ [SERVICE_TOKEN_HEADER]: await serviceCredential(TEST_CREDENTIALS.signingKeys.order)() })),
      socketOf(shop.urls.mypage, async () => ({
        [SERVICE_TOKEN_HEADER]: await serviceCredential(serviceKeyFromSeed('router', 'not the shop’s router key').privateKey)(),
      })),
    ];
    const watches = strangers.map((stranger) => stranger.subscribe(MY_PAGE, { authorization: `Bearer ${'x'}` }));
    await eventually(
      async () => strangers.map((stranger) => stranger.closes),
      (closes) => closes.every((codes) => codes.length > 0),
      20_000,
    );
    expect(strangers.map((stranger) => stranger.closes)).toEqual([[4403], [4403]]);
    expect(watches.flatMap((watch) => watch.entries)).toEqual([]);
  }, 60_000);

  it("on the router's connection, a forged or expired token ends that subscription alone", async () => {
    const [alice, carol] = [`alice-${randomUUID()}`, `carol-${randomUUID()}`];
    const [aliceOrder, carolOrder] = [await placeOrder(alice), await placeOrder(carol)];
    const relay = socketOf(shop.urls.mypage, asRouter);
    const identity = (token: string) => ({ authorization: `Bearer ${token}`, 'x-correlation-id': `multiplex-${randomUUID()}` });
    const aliceWatch = relay.subscribe(MY_PAGE, identity(await tokenFor('customer', alice)));
    const forged = relay.subscribe(
      MY_PAGE,
      identity(await signToken({ subject: carol, role: 'customer' }, 'not-the-shop-secret-0123456789')),
    );
    const expiring = relay.subscribe(
      MY_PAGE,
      identity(await signToken({ subject: carol, role: 'customer' }, TEST_JWT_SECRET, { expiresIn: '4s' })),
    );
    await eventually(async () => [aliceWatch, expiring].every((watch) => watch.entries.length > 0) && forged.ended, Boolean, 20_000);
    expect([forged.codes, forged.entries]).toEqual([['UNAUTHENTICATED'], []]);
    expect(new Set(expiring.entries.map((entry) => entry.orderId))).toEqual(new Set([carolOrder]));

    await eventually(async () => expiring.ended, Boolean, 20_000);
    expect(expiring.codes).toEqual(['UNAUTHENTICATED']);
    // The connection and alice's subscription on it go on: her next change comes on it.
    await review(aliceOrder, alice);
    await eventually(
      async () => aliceWatch.entries.at(-1)?.reviewContent,
      (content) => content === `reviewed by ${alice}`,
      20_000,
    );
    expect([aliceWatch.codes, aliceWatch.ended, relay.closes]).toEqual([[], false, []]);
  }, 60_000);

  it("through the router, one customer's token expiring ends their subscription alone and keeps the shared connections", async () => {
    // More customers than the router keeps connections to my page (4): once they are in, every
    // connection carries someone else when dave joins.
    const others = Array.from({ length: 8 }, () => `erin-${randomUUID()}`);
    const dave = `dave-${randomUUID()}`;
    const orders = new Map<string, string>();
    for (const customer of [dave, ...others]) orders.set(customer, await placeOrder(customer));
    const watching = await Promise.all(
      others.map(async (customer) => {
        const socket = socketOf(shop.url, withToken(await tokenFor('customer', customer)));
        return { customer, socket, watch: socket.subscribe(MY_PAGE) };
      }),
    );
    await eventually(async () => watching.every(({ watch }) => watch.entries.length > 0), Boolean, 20_000);
    const connectionsBefore = proxy.connections;

    const daveSocket = socketOf(
      shop.url,
      withToken(await signToken({ subject: dave, role: 'customer' }, TEST_JWT_SECRET, { expiresIn: '4s' })),
    );
    const daveWatch = daveSocket.subscribe(MY_PAGE);
    await eventually(async () => daveWatch.entries.length > 0, Boolean, 20_000);
    expect(new Set(daveWatch.entries.map((entry) => entry.orderId))).toEqual(new Set([orders.get(dave)]));
    await eventually(
      async () => daveSocket.closes,
      (closes) => closes.length > 0,
      20_000,
    );
    expect(daveSocket.closes).toEqual([4401]);

    // Everyone else goes on, on the same connections: their next change comes.
    for (const customer of others) await review(orders.get(customer)!, customer);
    await eventually(
      async () => watching.every(({ customer, watch }) => watch.entries.at(-1)?.reviewContent === `reviewed by ${customer}`),
      Boolean,
      20_000,
    );
    for (const { watch, socket } of watching) expect([watch.codes, watch.ended, socket.closes]).toEqual([[], false, []]);
    // Dave rode a connection the router had open: none was opened for him, none was lost with him.
    expect(proxy.connections).toBe(connectionsBefore);
  }, 60_000);
});
