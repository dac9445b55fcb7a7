import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { signToken } from '@bookshop/runtime';
import { TEST_JWT_SECRET, eventually, graphql, tokenFor } from '@bookshop/testing';
import { freePort } from '@bookshop/tools';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startShop, type TestShop } from './support/shop.js';

// Live updates when something around them fails: my page away, book away, a frozen client, a long token.

let shop: TestShop;
const clients: Client[] = [];
const rawSockets: WebSocket[] = [];
beforeAll(async () => {
  // A short subgraph timeout, so a test never waits for the default.
  // Tokens may live 40 days here (JWT_MAX_AGE_SECONDS): one test needs a socket whose expiry is past setTimeout's reach.
  shop = await startShop({
    env: { JWT_MAX_AGE_SECONDS: String(40 * 86_400) },
    serviceEnv: { router: { ROUTER_SUBGRAPH_TIMEOUT_MS: '3000' } },
  });
});
afterAll(async () => {
  for (const socket of rawSockets) socket.terminate();
  await Promise.all(clients.map(async (client) => client.dispose())); // dispose answers void or a promise
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
});

type Entry = { orderId: string; version: number; [field: string]: unknown };
type Result = { data?: Record<string, any> | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };

/** One graphql-ws socket as a customer's app opens it, recording everything that happens on it. */
function socketOf(token: string) {
  const closes: number[] = [];
  const client = createClient({
    url: shop.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    connectionParams: { authorization: `Bearer ${token}` },
    on: { closed: (event) => void closes.push((event as { code: number }).code) },
  });
  clients.push(client);
  const subscribe = (query: string, variables: Record<string, unknown> = {}) => {
    const seen = { results: [] as Result[], failures: [] as unknown[], completed: false };
    const unsubscribe = client.subscribe(
      { query, variables },
      {
        next: (result) => void seen.results.push(result as Result),
        error: (error) => void seen.failures.push(error),
        complete: () => void (seen.completed = true),
      },
    );
    return Object.assign(seen, { unsubscribe });
  };
  return { client, closes, subscribe };
}

/** A socket spoken by hand: for a client that vanishes without a goodbye, or stops reading. */
async function rawSubscription(url: string, token: string, query: string) {
  const socket = new WebSocket(url.replace('http', 'ws'), 'graphql-transport-ws');
  rawSockets.push(socket);
  const messages: Array<{ type: string; payload?: unknown }> = [];
  socket.on('message', (data: unknown) => void messages.push(JSON.parse(String(data))));
  await once(socket, 'open');
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await eventually(
    async () => messages,
    (all) => all.some((message) => message.type === 'connection_ack'),
    10_000,
  );
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
  return { socket, messages };
}

const entriesOf = (results: Result[], field: string) =>
  results.map((result) => result.data?.[field] as Entry | undefined).filter((entry): entry is Entry => !!entry);
/** Each order's versions in the order they arrived: a repeat or a step back is a broken rule. */
const versionsByOrder = (entries: Entry[]) => {
  const byOrder: Record<string, number[]> = {};
  for (const entry of entries) (byOrder[entry.orderId] ??= []).push(entry.version);
  return byOrder;
};
const strictlyRising = (versions: number[]) => versions.every((version, i) => i === 0 || version > versions[i - 1]!);
const codesOf = (result: Result | undefined) => (result?.errors ?? []).map((error) => error.extensions?.code);

async function placeProjectedOrder(customerToken: string, title: string) {
  const placed = await graphql(
    shop.url,
    `
      mutation ($i: PlaceOrderInput!) {
        placeOrder(input: $i) {
          id
        }
      }
    `,
    { i: { title, quantity: 1, address: '1 Fault Lane' } },
    { token: customerToken },
  );
  const orderId: string = placed.data!.placeOrder.id;
  await eventually(
    () => graphql(shop.url, '{ myPage { orderId deliveryStatus } }', {}, { token: customerToken }),
    (r) =>
      r.data?.myPage.some(
        (e: { orderId: string; deliveryStatus: string | null }) => e.orderId === orderId && e.deliveryStatus === 'PREPARING',
      ),
    20_000,
  );
  return orderId;
}

async function registerBook(stock: number) {
  const title = `Fault Lines ${randomUUID()}`;
  const staff = await tokenFor('staff', 'sam');
  await graphql(
    shop.url,
    `
      mutation ($i: RegisterBookInput!) {
        registerBook(input: $i) {
          id
        }
      }
    `,
    { i: { title, author: 'N. K. Jemisin', publisher: 'Orbit', stock } },
    { token: staff },
  );
  return title;
}

async function completeDelivery(orderId: string) {
  const courier = await tokenFor('courier', 'carl');
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
  const done = await graphql(
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
  expect(done.errors).toBeUndefined();
}

const routerAnswers = async () => {
  try {
    const answer = await graphql(shop.url, '{ books(first: 1) { id } }', {}, { signal: AbortSignal.timeout(5_000) });
    return answer.status === 200 && !answer.errors;
  } catch {
    return false;
  }
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const MY_PAGE = `subscription { myPageUpdated { orderId version orderStatus deliveryStatus } }`;
const WRITE_REVIEW = `mutation ($i: WriteReviewInput!) { writeReview(input: $i) { rating } }`;
const ORDER = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { orderId version orderStatus deliveryStatus } }`;

it('my page stopped and restarting while subscribers leave and join: the router stays up, nobody else is cut off, late joiners get every entry, and no version comes twice', async () => {
  const customer = `alice-${randomUUID()}`;
  const [alice, bob] = await Promise.all([tokenFor('customer', customer), tokenFor('customer', `bob-${randomUUID()}`)]);
  const title = await registerBook(5);
  const [first, second] = [await placeProjectedOrder(alice, title), await placeProjectedOrder(alice, title)];
  const both = (entries: Entry[]) => [first, second].every((id) => entries.some((entry) => entry.orderId === id));

  // One app with two subscriptions on one socket, two more apps of the same customer (one shared
  // upstream feed), and one that will vanish without a goodbye.
  const app = socketOf(alice);
  const leaving = app.subscribe(MY_PAGE);
  const staying = app.subscribe(ORDER, { id: first });
  const closing = socketOf(alice);
  closing.subscribe(MY_PAGE);
  const keeping = socketOf(alice).subscribe(MY_PAGE);
  const vanishing = await rawSubscription(shop.url, alice, MY_PAGE);
  await eventually(
    async () => [leaving, keeping].map((s) => entriesOf(s.results, 'myPageUpdated')),
    (all) => all.every(both),
    20_000,
  );
  await eventually(
    async () => entriesOf(staying.results, 'orderStatusChanged'),
    (entries) => entries.length > 0,
    20_000,
  );
  await eventually(
    async () => vanishing.messages.filter((m) => m.type === 'next').length,
    (n) => n >= 2,
    20_000,
  );

  await shop.processes.mypage.stop();
  await sleep(1_000); // the router is reconnecting to my page now
  leaving.unsubscribe(); // complete
  await closing.client.dispose(); // close
  vanishing.socket.terminate(); // TCP gone, no close frame
  const stranger = socketOf(bob); // a new feed towards the stopped my page, left while it connects
  stranger.subscribe(MY_PAGE);
  await sleep(500);
  await stranger.client.dispose();
  const late = socketOf(alice).subscribe(MY_PAGE); // joins the feed `keeping` holds
  // The late joiner gets what the first joiners got: every entry of the customer, not only the last one.
  await eventually(async () => entriesOf(late.results, 'myPageUpdated'), both, 20_000);

  expect(shop.processes.router.child.exitCode).toBeNull();
  expect(await routerAnswers()).toBe(true);

  await shop.restart('mypage');
  await completeDelivery(first);
  for (const subscriber of [keeping, late]) {
    await eventually(
      async () => entriesOf(subscriber.results, 'myPageUpdated'),
      (entries) => entries.some((e) => e.orderId === first && e.deliveryStatus === 'DELIVERED'),
      30_000,
    );
  }
  await eventually(
    async () => entriesOf(staying.results, 'orderStatusChanged'),
    (entries) => entries.some((e) => e.deliveryStatus === 'DELIVERED'),
    30_000,
  );
  // Every subscriber has seen the delivery, so the router's feeds are subscribed to my page again.
  // A later change of `first` (its review, the entry's fifth version) comes after what my page
  // sent on that re-subscription: my page sends what it holds before what changes after, and the
  // router and each socket keep that order. A repeat would have come before it.
  await eventually(
    () => graphql(shop.url, WRITE_REVIEW, { i: { orderId: first, rating: 5, content: 'Held up.' } }, { token: alice }),
    (result) => !result.errors,
    30_000,
  );
  for (const subscriber of [keeping, late, staying]) {
    const field = subscriber === staying ? 'orderStatusChanged' : 'myPageUpdated';
    await eventually(
      async () => entriesOf(subscriber.results, field),
      (entries) => entries.some((e) => e.orderId === first && e.version === 5),
      30_000,
    );
  }

  // my page sent every current entry again when the router re-subscribed: none of them reached anyone twice.
  for (const subscriber of [keeping, late, staying]) {
    const field = subscriber === staying ? 'orderStatusChanged' : 'myPageUpdated';
    for (const versions of Object.values(versionsByOrder(entriesOf(subscriber.results, field))))
      expect(strictlyRising(versions), JSON.stringify(versions)).toBe(true);
    expect(subscriber.failures).toEqual([]);
    expect(subscriber.completed).toBe(false);
  }
  expect(app.closes).toEqual([]); // completing one subscription never cost the socket its others (`staying` still gets changes)
  expect(shop.processes.router.child.exitCode).toBeNull();
}, 120_000);

it('book stopped: a query and an event that reach book answer SERVICE_UNAVAILABLE naming book, and the subscription goes on', async () => {
  const alice = await tokenFor('customer', `alice-${randomUUID()}`);
  const title = await registerBook(3);
  const orderId = await placeProjectedOrder(alice, title);

  await shop.processes.book.stop();
  try {
    // The query path: what an event must look like too.
    const query = await graphql(
      shop.url,
      `
        {
          myPage {
            orderId
            order {
              book {
                title
              }
            }
          }
        }
      `,
      {},
      { token: alice },
    );
    expect(query.errors?.map((error) => error.extensions)).toEqual([
      expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', serviceName: 'book' }),
    ]);

    const watch = socketOf(alice).subscribe(
      `subscription($id: ID!) { orderStatusChanged(orderId: $id) { orderStatus deliveryStatus version order { delivery { status } book { title } } } }`,
      { id: orderId },
    );
    const [event] = await eventually(
      async () => watch.results,
      (results) => results.length > 0,
      20_000,
    );
    expect(codesOf(event)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(event!.errors![0]!.extensions).toMatchObject({ serviceName: 'book' });
    // Book's title is non-null all the way up (Book.title!, Order.book!, MyPageEntry.order!, the
    // subscription field itself): GraphQL's null propagation leaves the same data a query gets.
    expect(event!.data ?? null).toEqual(query.data ?? null);
    expect([watch.failures, watch.completed]).toEqual([[], false]);

    await shop.restart('book');
    await completeDelivery(orderId);
    const delivered = await eventually(
      async () => watch.results,
      (results) => results.some((r) => r.data?.orderStatusChanged?.deliveryStatus === 'DELIVERED'),
      30_000,
    );
    expect(delivered.at(-1)).toEqual({
      data: {
        orderStatusChanged: expect.objectContaining({
          deliveryStatus: 'DELIVERED',
          order: { delivery: { status: 'DELIVERED' }, book: { title } },
        }),
      },
    });
    expect([watch.failures, watch.completed]).toEqual([[], false]);
  } finally {
    if (shop.processes.book.child.exitCode !== null || shop.processes.book.child.signalCode !== null) await shop.restart('book');
  }
}, 120_000);

it('a frozen client (it never reads, never answers the close) does not hold a stopping router past its grace', async () => {
  const port = await freePort();
  const graceMs = 2_000;
  const router = await shop.startInstance('router', port, { SHUTDOWN_GRACE_MS: String(graceMs) });
  const alice = await tokenFor('customer', `alice-${randomUUID()}`);
  const frozen = await rawSubscription(`http://127.0.0.1:${port}/graphql`, alice, MY_PAGE);
  // Its subscription is in place (the router counts it) before it stops reading.
  const subscribersOfRouter = async () => {
    const readiness = await fetch(`http://127.0.0.1:${port}/readyz`, { headers: { connection: 'close' } });
    return ((await readiness.json()) as { info?: { subscribers?: number } }).info?.subscribers;
  };
  await eventually(subscribersOfRouter, (subscribers) => subscribers === 1, 10_000);
  frozen.socket.pause(); // reads nothing more: neither the 1001 nor anything after it

  // SIGTERM, and SIGKILL after 20 s. Waiting for the frozen client's answer to the close would
  // take ws's 30 s close timeout (or end in the router's own forced exit at 30 s, code 1): a clean
  // exit before the kill is the router cutting it at its grace (2 s).
  const stopped = router.stop(20_000);
  const code = await router.exited;
  await stopped;
  expect(code).toBe(0);
}, 90_000);

it("a token valid for longer than 24.8 days (past setTimeout's limit, where the maximum age allows it) keeps its socket open", async () => {
  const subject = `alice-${randomUUID()}`;
  const title = await registerBook(2);
  const orderId = await placeProjectedOrder(await tokenFor('customer', subject), title);
  const longLived = await signToken({ role: 'customer', subject }, TEST_JWT_SECRET, { expiresIn: '30d' });
  const socket = socketOf(longLived);
  const watch = socket.subscribe(MY_PAGE);
  await eventually(
    async () => watch.results.length + socket.closes.length,
    (count) => count > 0,
    20_000,
  );
  // An expiry past setTimeout's reach would fire 1 ms after connection_init. With book frozen, this
  // result waits out the router's 3 s subgraph timeout: a timer the router arms after the
  // socket's own and due later, so it runs after that one, and its result would find the socket closed.
  shop.processes.book.child.kill('SIGSTOP');
  const later = socket.subscribe(`subscription($id: ID!) { orderStatusChanged(orderId: $id) { orderId order { book { title } } } }`, {
    id: orderId,
  });
  try {
    await eventually(
      async () => later.results.length + later.failures.length + socket.closes.length,
      (count) => count > 0,
      20_000,
    );
  } finally {
    shop.processes.book.child.kill('SIGCONT');
  }
  expect(socket.closes).toEqual([]);
  expect(codesOf(later.results[0])).toEqual(['SERVICE_UNAVAILABLE']);
  expect(entriesOf(watch.results, 'myPageUpdated').map((entry) => entry.orderId)).toEqual([orderId]);
}, 60_000);
