import { randomUUID } from 'node:crypto';
import { signToken } from '@bookshop/runtime';
import { TEST_JWT_SECRET, errorCodes, eventually, graphql, tokenFor, type GraphQLResult } from '@bookshop/testing';
import type { ContextName } from '@bookshop/contexts';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startShop, type TestShop } from './support/shop.js';

// A soak of live updates: hundreds of subscribers join and leave through the router at random
// (complete, socket closed, TCP destroyed) while my page, book and delivery are restarted and
// frozen in turn and the orders move on. Afterwards every process is alive, nothing is left open
// but what the stayers hold (then nothing), and every stayer saw the final version of its orders,
// each order's versions strictly rising. `SOAK_SECONDS=600` soaks for ten minutes; `SOAK_SEED`
// (printed) repeats a run's random choices, as far as the timing of real processes allows.

const SECONDS = Number(process.env.SOAK_SECONDS ?? 30);
const JOINS = Math.round(SECONDS * 10); // 300 in CI
const CUSTOMERS = 4;
// Enough orders that some change every second or so, however long the soak (≤200: one page of myPage).
const ORDERS_PER_CUSTOMER = Math.min(40, Math.max(3, Math.ceil(SECONDS / 10)));
const MAX_PER_SOCKET = 15; // under the router's 20 per connection
const MAX_CHURN_SOCKETS = 16;
const FREEZE_MS = 3_000;

const seed = Number(process.env.SOAK_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** mulberry32: the same seed, the same joins, leaves and moves. */
const random = (() => {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
})();
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let shop: TestShop;
const stayerClients: Client[] = [];
const churnSockets = new Set<ChurnSocket>();
beforeAll(async () => {
  // The soak is about churn, not the per-caller live limits (tested in edge-websocket): a customer
  // here may hold more sockets at once than the router allows one client by default.
  shop = await startShop({
    serviceEnv: { router: { ROUTER_MAX_SOCKETS_PER_CALLER: '1000', ROUTER_MAX_SUBSCRIPTIONS_PER_CALLER: '10000' } },
  });
});
afterAll(async () => {
  for (const socket of churnSockets) socket.destroy();
  await Promise.all(stayerClients.map(async (client) => client.dispose())); // dispose answers void or a promise
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
});

const FIELDS = 'orderId version orderStatus deliveryStatus reviewRating';
const QUERIES = {
  page: `subscription { myPageUpdated { ${FIELDS} } }`,
  order: `subscription($id: ID!) { orderStatusChanged(orderId: $id) { ${FIELDS} } }`,
  // Each event also fetches from book and delivery: the frozen book and the restarted delivery are on its path.
  full: `subscription($id: ID!) { orderStatusChanged(orderId: $id) { ${FIELDS} order { book { title } delivery { status } } } }`,
} as const;
type Kind = keyof typeof QUERIES;

type Entry = { orderId: string; version: number; orderStatus: string; deliveryStatus: string | null; reviewRating: number | null };
type Payload = { data?: Record<string, Entry | null> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };

interface Customer {
  subject: string;
  /** Two tokens: the router shares a feed only among subscribers with the same one. */
  tokens: [string, string];
  orders: string[];
}

/** One subscription, as its client saw it. */
interface Watch {
  kind: Kind;
  /** The order it watches (`orderStatusChanged`); none for `myPageUpdated`. */
  orderId?: string;
  /** What the router shares one upstream feed by: operation, variables, token. */
  feedKey: string;
  entries: Entry[];
  /** Codes of errors carried by results (an entity fetch that failed): reported, allowed. */
  resultErrors: string[];
  /** The subscription itself failed (an `error` message): never allowed. */
  failures: unknown[];
  /** The server ended it while the client still listened: never allowed. */
  endedByServer: boolean;
}

const allWatches: Watch[] = [];
function newWatch(kind: Kind, token: string, orderId?: string): Watch {
  const watch: Watch = {
    kind,
    ...(orderId ? { orderId } : {}),
    feedKey: `${kind}|${orderId ?? ''}|${token}`,
    entries: [],
    resultErrors: [],
    failures: [],
    endedByServer: false,
  };
  allWatches.push(watch);
  return watch;
}
function record(watch: Watch, payload: Payload): void {
  const entry = payload.data?.[watch.kind === 'page' ? 'myPageUpdated' : 'orderStatusChanged'];
  if (entry) watch.entries.push(entry);
  for (const error of payload.errors ?? []) watch.resultErrors.push(error.extensions?.code ?? error.message);
}

const stats = {
  joins: 0,
  completes: 0,
  closes: 0,
  destroys: 0,
  peakSubscribers: 0,
  peakFeeds: 0,
  faults: {} as Record<string, { times: number; longestMs: number }>,
  moves: 0,
};

/**
 * A churning client's socket, spoken by hand (graphql-transport-ws): it can complete one
 * subscription, close the socket with a close frame, or destroy its TCP connection without one.
 */
class ChurnSocket {
  private readonly socket: WebSocket;
  private readonly active = new Map<string, Watch>();
  private readonly acked: Promise<boolean>;
  private nextId = 0;
  gone = false;

  constructor(
    readonly customer: Customer,
    private readonly token: string,
  ) {
    this.socket = new WebSocket(shop.url.replace('http', 'ws'), 'graphql-transport-ws');
    this.socket.on('error', () => {}); // a socket we cut may complain; its watches are ended either way
    this.acked = new Promise((resolve) => {
      this.socket.once('open', () => this.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
      this.socket.on('message', (data: WebSocket.RawData) => {
        const message = JSON.parse(String(data)) as { type: string; id?: string; payload?: unknown };
        if (message.type === 'connection_ack') resolve(true);
        else if (message.type === 'ping') this.send({ type: 'pong' });
        else this.receive(message);
      });
      this.socket.once('close', () => {
        this.gone = true;
        this.active.clear();
        churnSockets.delete(this);
        resolve(false);
      });
    });
    churnSockets.add(this);
  }

  get room(): number {
    return this.gone ? 0 : MAX_PER_SOCKET - this.active.size;
  }

  /**
   * Subscribes once the socket is accepted. Its `complete` may follow at once: both wait for the
   * same acknowledgement, so they go out in order, the complete right behind the subscribe.
   */
  join(kind: Kind, orderId: string | undefined): string {
    const id = String(++this.nextId);
    this.active.set(id, newWatch(kind, this.token, orderId));
    stats.joins += 1;
    void this.acked.then(
      (ok) => ok && this.send({ id, type: 'subscribe', payload: { query: QUERIES[kind], variables: orderId ? { id: orderId } : {} } }),
    );
    return id;
  }

  complete(id: string): void {
    if (!this.active.delete(id)) return;
    stats.completes += 1;
    void this.acked.then((ok) => ok && this.send({ id, type: 'complete' }));
  }

  /** Any one of its subscriptions, to complete. */
  anyId(): string | undefined {
    return this.active.size > 0 ? pick([...this.active.keys()]) : undefined;
  }

  close(): void {
    if (!this.leave()) return;
    stats.closes += 1;
    this.socket.close(1000, 'bye');
  }

  /** No close frame, no goodbye: the router learns it only from TCP. */
  destroy(): void {
    if (!this.leave()) return;
    stats.destroys += 1;
    this.socket.terminate();
  }

  /** Done with at once (not when the close is through): no more joins, no second goodbye. */
  private leave(): boolean {
    if (this.gone) return false;
    this.gone = true;
    churnSockets.delete(this);
    return true;
  }

  private receive(message: { type: string; id?: string; payload?: unknown }): void {
    const watch = message.id === undefined ? undefined : this.active.get(message.id);
    if (!watch) return; // a subscription it already left
    if (message.type === 'next') record(watch, message.payload as Payload);
    else if (message.type === 'error') watch.failures.push(message.payload);
    else if (message.type === 'complete') watch.endedByServer = true;
  }

  private send(message: object): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }
}

/** A stayer: an app's graphql-ws client that subscribes once and listens to the end. */
function stay(client: Client, kind: Kind, token: string, orderId?: string): { watch: Watch; leave: () => void } {
  const watch = newWatch(kind, token, orderId);
  const leave = client.subscribe<Record<string, Entry>>(
    { query: QUERIES[kind], variables: orderId ? { id: orderId } : {} },
    {
      next: (result) => record(watch, result as Payload),
      error: (error) => void watch.failures.push(error),
      complete: () => void (watch.endedByServer = true),
    },
  );
  return { watch, leave };
}

const baseOf = (name: ContextName | 'router') => shop.urls[name].replace(/\/graphql$/, '');

/** The `info` of a process's /readyz body: what it holds open now (undefined while it does not answer). */
async function infoOf(name: 'router' | 'mypage'): Promise<Record<string, number> | undefined> {
  try {
    const response = await fetch(`${baseOf(name)}/readyz`, { signal: AbortSignal.timeout(3_000), headers: { connection: 'close' } });
    return ((await response.json()) as { info?: Record<string, number> }).info;
  } catch {
    return undefined;
  }
}
const openCounts = async () => {
  const [router, mypage] = await Promise.all([infoOf('router'), infoOf('mypage')]);
  return { feeds: router?.subscriptionFeeds, subscribers: router?.subscribers, listeners: mypage?.liveListeners };
};

/** SIGSTOP, then SIGCONT: the process keeps its sockets but answers nothing meanwhile. */
async function freeze(name: ContextName, ms: number): Promise<void> {
  const pid = shop.processes[name].child.pid!;
  process.kill(pid, 'SIGSTOP');
  try {
    await sleep(ms);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

/**
 * Sends a mutation until it takes: a subgraph that is restarting or frozen refuses it meanwhile.
 * `done` codes mean an earlier attempt took after all.
 */
async function persist(what: string, send: () => Promise<GraphQLResult>, done: string[] = []): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    let codes: unknown[];
    try {
      const result = await send();
      if (!result.errors) return;
      codes = errorCodes(result);
      if (codes.some((code) => done.includes(String(code)))) return;
    } catch (error) {
      codes = [String(error)];
    }
    if (Date.now() > deadline) throw new Error(`${what} still refused after 60 s: ${JSON.stringify(codes)}`);
    await sleep(250);
  }
}

/** Each order's versions in the order they came: a repeat or a step back breaks the rule. */
function versionsByOrder(entries: Entry[]): Map<string, number[]> {
  const byOrder = new Map<string, number[]>();
  for (const entry of entries) byOrder.set(entry.orderId, [...(byOrder.get(entry.orderId) ?? []), entry.version]);
  return byOrder;
}
const strictlyRising = (versions: number[]) => versions.every((version, i) => i === 0 || version > versions[i - 1]!);
const lastOf = (entries: Entry[], orderId: string) => entries.filter((entry) => entry.orderId === orderId).at(-1);
const fieldsOf = ({ orderId, version, orderStatus, deliveryStatus, reviewRating }: Entry): Entry => ({
  orderId,
  version,
  orderStatus,
  deliveryStatus,
  reviewRating,
});

async function myPageOf(customer: Customer): Promise<Entry[] | undefined> {
  try {
    const result = await graphql<{ myPage: Entry[] }>(
      shop.url,
      `{ myPage(first: 200) { ${FIELDS} } }`,
      {},
      { token: customer.tokens[0], signal: AbortSignal.timeout(5_000) },
    );
    return result.errors ? undefined : result.data?.myPage;
  } catch {
    return undefined;
  }
}

it(
  `${JOINS} subscribers join and leave through the router while my page, book and delivery are restarted and frozen: nothing leaks, stayers see every order's final version`,
  async () => {
    const started = performance.now();
    console.info(`live soak: seed ${seed}, ${SECONDS} s of churn, ${JOINS} joins, ${CUSTOMERS} customers × ${ORDERS_PER_CUSTOMER} orders`);
    const [staff, courier] = await Promise.all([tokenFor('staff', 'sam'), tokenFor('courier', 'carl')]);
    const title = `The Dispossessed ${randomUUID()}`;
    const registered = await graphql(
      shop.url,
      `
        mutation ($i: RegisterBookInput!) {
          registerBook(input: $i) {
            id
          }
        }
      `,
      {
        i: { title, author: 'Ursula K. Le Guin', publisher: 'Harper & Row', stock: CUSTOMERS * ORDERS_PER_CUSTOMER },
      },
      { token: staff },
    );
    expect(registered.errors).toBeUndefined();

    const customers: Customer[] = [];
    for (let c = 0; c < CUSTOMERS; c++) {
      const subject = `soak-${c}-${randomUUID()}`;
      const customer: Customer = {
        subject,
        tokens: [
          await tokenFor('customer', subject),
          await signToken({ role: 'customer', subject }, TEST_JWT_SECRET, { expiresIn: '23h' }),
        ],
        orders: [],
      };
      for (let o = 0; o < ORDERS_PER_CUSTOMER; o++) {
        const placed = await graphql(
          shop.url,
          `
            mutation ($i: PlaceOrderInput!) {
              placeOrder(input: $i) {
                id
              }
            }
          `,
          { i: { title, quantity: 1, address: `${o} Anarres Way` } },
          { token: customer.tokens[0] },
        );
        expect(placed.errors).toBeUndefined();
        customer.orders.push(placed.data!.placeOrder.id as string);
      }
      customers.push(customer);
    }
    // Every order on my page with its shipment being prepared: the subscriptions find them all.
    for (const customer of customers) {
      await eventually(
        () => myPageOf(customer),
        (entries) => customer.orders.every((id) => entries?.some((e) => e.orderId === id && e.deliveryStatus === 'PREPARING')),
        30_000,
      );
    }
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
    const deliveryOf = new Map<string, string>(
      (deliveries.data!.deliveries as Array<{ id: string; order: { id: string } }>).map((d) => [d.order.id, d.id]),
    );
    expect(customers.flatMap((customer) => customer.orders).filter((id) => !deliveryOf.has(id))).toEqual([]);

    // Stayers: three per customer, each on a feed of its own (feeds open = stayers). A socket's
    // token is its subscriptions' token (connection_init), so one socket per token.
    const stayers: Array<{ customer: Customer; watch: Watch; leave: () => void; closes: number[] }> = [];
    const stayerSocket = (customer: Customer, token: string) => {
      const closes: number[] = []; // the socket's close codes: none while the stayers are on it
      const client = createClient({
        url: shop.url.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${token}` },
        on: { closed: (event) => void closes.push((event as { code: number }).code) },
      });
      stayerClients.push(client);
      return (kind: Kind, orderId?: string) => stayers.push({ customer, closes, ...stay(client, kind, token, orderId) });
    };
    for (const customer of customers) {
      const [first, second] = [stayerSocket(customer, customer.tokens[0]), stayerSocket(customer, customer.tokens[1])];
      first('page');
      first('full', customer.orders[0]);
      second('order', customer.orders[1]);
    }
    const STAYERS = stayers.length;
    expect(new Set(stayers.map((s) => s.watch.feedKey)).size).toBe(STAYERS);
    await eventually(
      async () => stayers.map((s) => s.watch.entries.length),
      (counts) => counts.every((n) => n > 0),
      20_000,
    );
    expect(await openCounts()).toEqual({ feeds: STAYERS, subscribers: STAYERS, listeners: STAYERS });

    const churnUntil = Date.now() + SECONDS * 1_000;
    let rotated = false;

    // The faults, in turn, until the time is up — and at least once each.
    const faults: Array<[string, () => Promise<void>]> = [
      ['my page restarted', () => shop.restart('mypage')],
      ['book frozen', () => freeze('book', FREEZE_MS)],
      ['delivery restarted', () => shop.restart('delivery')],
      ['my page frozen', () => freeze('mypage', FREEZE_MS)],
    ];
    const faulting = (async () => {
      try {
        for (let i = 0; i < faults.length || Date.now() < churnUntil; i++) {
          await sleep(1_000 + random() * 2_000);
          const [name, run] = faults[i % faults.length]!;
          const at = performance.now();
          await run();
          const fault = (stats.faults[name] ??= { times: 0, longestMs: 0 });
          fault.times += 1;
          fault.longestMs = Math.max(fault.longestMs, Math.round(performance.now() - at));
        }
      } finally {
        rotated = true;
      }
    })();

    // The orders move on meanwhile: two in three are delivered then reviewed, the rest cancelled.
    const plans = customers.flatMap((customer) =>
      customer.orders.map((orderId, i) => {
        const deliver = () =>
          persist(
            `completeDelivery ${orderId}`,
            () =>
              graphql(
                shop.url,
                `
                  mutation ($d: ID!) {
                    completeDelivery(deliveryId: $d) {
                      status
                    }
                  }
                `,
                { d: deliveryOf.get(orderId) },
                { token: courier },
              ),
            ['DELIVERY_NOT_COMPLETABLE'],
          );
        const review = () =>
          persist(`writeReview ${orderId}`, () =>
            graphql(
              shop.url,
              `
                mutation ($i: WriteReviewInput!) {
                  writeReview(input: $i) {
                    rating
                  }
                }
              `,
              { i: { orderId, rating: 1 + (i % 5), content: 'Still ambiguous.' } },
              { token: customer.tokens[0] },
            ),
          );
        const cancel = () =>
          persist(`cancelOrder ${orderId}`, () =>
            graphql(
              shop.url,
              `
                mutation ($o: ID!) {
                  cancelOrder(orderId: $o) {
                    status
                  }
                }
              `,
              { o: orderId },
              { token: customer.tokens[1] },
            ),
          );
        return i % 3 === 2 ? [cancel] : [deliver, review];
      }),
    );
    const moveCount = plans.reduce((sum, plan) => sum + plan.length, 0);
    const moving = (async () => {
      while (plans.some((plan) => plan.length > 0)) {
        await sleep((SECONDS * 800 * (0.5 + random())) / moveCount);
        await pick(plans.filter((plan) => plan.length > 0)).shift()!();
        stats.moves += 1;
      }
    })();

    // Both run beside the churn: a failure is marked handled now, and thrown where they are awaited.
    for (const work of [faulting, moving]) work.catch(() => {});
    // The most that was open at once, for the report.
    const sampling = (async () => {
      while (!rotated || Date.now() < churnUntil) {
        const counts = await openCounts();
        stats.peakSubscribers = Math.max(stats.peakSubscribers, counts.subscribers ?? 0);
        stats.peakFeeds = Math.max(stats.peakFeeds, counts.feeds ?? 0);
        await sleep(500);
      }
    })();
    // The churn: a join every tick, each leaving after 0–20 s (one in ten at once, before its
    // first event), and now and then a whole socket closed or destroyed with everything on it.
    const tick = (SECONDS * 1_000) / JOINS;
    while (Date.now() < churnUntil || !rotated) {
      await sleep(tick * (0.5 + random()));
      const withRoom = [...churnSockets].filter((socket) => socket.room > 0);
      const socket =
        churnSockets.size < MAX_CHURN_SOCKETS && (withRoom.length === 0 || random() < 0.1)
          ? (() => {
              const customer = pick(customers);
              return new ChurnSocket(customer, pick(customer.tokens));
            })()
          : withRoom.length > 0
            ? pick(withRoom)
            : undefined;
      if (socket) {
        const kind = pick(['page', 'order', 'full'] as const);
        const id = socket.join(kind, kind === 'page' ? undefined : pick(socket.customer.orders));
        const lifetime = random() < 0.1 ? 0 : random() * 20_000;
        if (lifetime === 0) socket.complete(id);
        else setTimeout(() => socket.complete(id), lifetime);
      } else {
        // Every socket full: someone leaves instead.
        const full = pick([...churnSockets]);
        const id = full.anyId();
        if (id) full.complete(id);
      }
      const roll = random();
      const victim = churnSockets.size > 0 ? pick([...churnSockets]) : undefined;
      if (roll < 0.02) victim?.close();
      else if (roll < 0.04) victim?.destroy();
    }
    // The churners still there leave too: half with a goodbye, half without.
    for (const socket of [...churnSockets]) random() < 0.5 ? socket.close() : socket.destroy();
    await Promise.all([faulting, moving, sampling]);
    const churnEnded = performance.now();

    // Every process is alive and answers. A freeze of 3 s is a stall: /healthz fails for a while after it.
    for (const name of ['router', 'book', 'order', 'delivery', 'review', 'mypage'] as const) {
      const child = shop.processes[name].child;
      expect([name, child.exitCode, child.signalCode]).toEqual([name, null, null]);
      await eventually(
        () =>
          fetch(`${baseOf(name)}/healthz`, { signal: AbortSignal.timeout(3_000) }).then(
            (r) => r.status,
            () => 0,
          ),
        (status) => status === 200,
        30_000,
      );
      await eventually(
        () =>
          graphql(shop.urls[name], '{ __typename }', {}, { signal: AbortSignal.timeout(3_000) }).then(
            (r) => r.status === 200 && !r.errors,
            () => false,
          ),
        (ok) => ok,
        30_000,
      );
    }

    // Every order in its final state, at its last version: no change is on its way. Each order was
    // placed and prepared (versions 1 and 2), then took three changes more: delivered (delivery's
    // and order's word) and reviewed, or cancelled (order's and delivery's word, and its copy back
    // in stock). Any change after that would be one applied twice: a version above 5.
    const finalEntries = new Map<string, Entry>();
    for (const customer of customers) {
      const settled = (entries: Entry[] | undefined) =>
        !!entries &&
        customer.orders.every((id, i) => {
          const entry = entries.find((e) => e.orderId === id);
          if (entry?.version !== 5) return false;
          return i % 3 === 2
            ? entry.orderStatus === 'CANCELLED' && entry.deliveryStatus === 'CANCELLED'
            : entry.orderStatus === 'DELIVERED' && entry.deliveryStatus === 'DELIVERED' && entry.reviewRating !== null;
        });
      const entries = await eventually(() => myPageOf(customer), settled, 60_000);
      for (const entry of entries!) finalEntries.set(entry.orderId, fieldsOf(entry));
    }

    // Each stayer saw the final version of each of its orders (it may still be on its way).
    await eventually(
      async () =>
        stayers.flatMap(({ customer, watch }) =>
          (watch.orderId ? [watch.orderId] : customer.orders)
            .map((orderId) => ({
              expected: finalEntries.get(orderId),
              seen: lastOf(watch.entries, orderId) && fieldsOf(lastOf(watch.entries, orderId)!),
            }))
            .filter(({ expected, seen }) => JSON.stringify(expected) !== JSON.stringify(seen)),
        ),
      (missing) => missing.length === 0,
      30_000,
    );
    for (const { watch, closes } of stayers) {
      expect(watch.failures).toEqual([]);
      expect(watch.endedByServer).toBe(false);
      expect(closes).toEqual([]);
    }

    // Every subscription — stayer or churner — got each order's versions strictly rising, and none failed or was ended by the server.
    const broken = allWatches.flatMap((watch) =>
      [...versionsByOrder(watch.entries)]
        .filter(([, versions]) => !strictlyRising(versions))
        .map(([orderId, versions]) => ({ kind: watch.kind, orderId, versions })),
    );
    expect(broken).toEqual([]);
    expect(allWatches.filter((watch) => watch.failures.length > 0).map((watch) => watch.failures)).toEqual([]);
    expect(allWatches.filter((watch) => watch.endedByServer).length).toBe(0);

    // What is open is what the stayers hold; once they leave, nothing.
    await eventually(
      openCounts,
      (counts) => counts.feeds === STAYERS && counts.subscribers === STAYERS && counts.listeners === STAYERS,
      30_000,
    );
    for (const stayer of stayers) stayer.leave();
    await eventually(openCounts, (counts) => counts.feeds === 0 && counts.subscribers === 0 && counts.listeners === 0, 30_000);

    const errorsSeen = allWatches
      .flatMap((watch) => watch.resultErrors)
      .reduce<Record<string, number>>((all, code) => ({ ...all, [code]: (all[code] ?? 0) + 1 }), {});
    console.info(
      `live soak: ${stats.joins} joins (${stats.completes} completed, ${stats.closes} sockets closed, ${stats.destroys} destroyed), ` +
        `peak ${stats.peakSubscribers} subscribers on ${stats.peakFeeds} feeds, ${stats.moves} order moves, ` +
        `${allWatches.reduce((sum, watch) => sum + watch.entries.length, 0)} entries received, errors in results ${JSON.stringify(errorsSeen)}; ` +
        `faults ${JSON.stringify(stats.faults)}; churn ${Math.round((churnEnded - started) / 1000)} s, all ${Math.round((performance.now() - started) / 1000)} s`,
    );
  },
  (SECONDS + 200) * 1_000,
);
