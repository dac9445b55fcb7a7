import { placeOrder, registerBook } from '@bookshop/e2e/orders';
import { tokenFor } from '@bookshop/testing';
import type { Client } from 'graphql-ws';
import { routerPid, type BenchContext } from '../context.js';
import { closeReason, liveClient } from '../live-client.js';
import { inParallel, latencyStats, openLoop } from '../load.js';
import { rssMb, tcpConnectionsTo } from '../proc.js';

/** A customer's change counts as on time when it reaches them within this long. */
const ON_TIME_MS = 2_000;
/** Orders placed at once to set the scene: as many as the orders scenario keeps in flight. */
const PLACING_CONCURRENCY = 32;
/**
 * Customers subscribing at once. Every one connects from 127.0.0.1 here, and the router lets one
 * address hold 16 sockets that have not signed in yet (real customers come from many addresses).
 */
const SUBSCRIBING_CONCURRENCY = 12;
/** A subscriber whose current entry has not come within this long counts as failed. */
const SUBSCRIBE_TIMEOUT_MS = 30_000;
/** How long after the last change a late receipt still counts as received (late). */
const DRAIN_MS = 10_000;

const WATCH = 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { orderStatus version } }';
const CANCEL = 'mutation ($id: ID!) { cancelOrder(orderId: $id) { status } }';

export interface PerCustomerFanOutFigures {
  customers: number;
  /** Cancels sent per second (open loop), and answered per second. */
  changeRate: { offered: number; achieved: number };
  ordersPlaced: number;
  /** Customers whose subscription was live (its current entry received). */
  subscribed: number;
  /** Cancels answered CANCELLED: the changes (one per subscribed customer). */
  changed: number;
  /** Customers whose change reached their subscription within 2 s of cancelOrder's answer; within the drain at all. */
  withinTwoSeconds: number;
  received: number;
  missing: number;
  /** cancelOrder's answer → the CANCELLED entry on the customer's subscription, in ms. */
  changeToReceipt: { p50: number; p99: number; max: number };
  /** Established TCP connections from the router's process to my page's port, everyone subscribed. */
  routerToMyPageSockets: number;
  routerRssMb: { before: number; subscribed: number; peak: number };
  errors: { placing: number; subscribing: number; changing: number; droppedAfterSubscribing: number };
  firstErrors: string[];
  /** How long setting the scene took. */
  placeMs: number;
  subscribeMs: number;
}

/** Reads a figure of a process that may have died meanwhile (then NaN: the table shows a dash). */
const orNaN = (read: () => number) => {
  try {
    return read();
  } catch {
    return NaN;
  }
};

/**
 * Many customers each watching their own order, as a shop's customers do: `customers` customers
 * (each their own token and socket) subscribe through the router to orderStatusChanged of the one
 * order they placed, then every customer cancels it — cancels sent at `changeRate` per second, an
 * open loop — and each CANCELLED entry travels order → event → my page → router → the customer.
 * Measures how many got their change within 2 s, the router's sockets to my page and its memory.
 * Failures (refused sockets, a router that falls over) are counted, not thrown: the figures say
 * how far it got.
 */
export async function fanOutPerCustomer(context: BenchContext, customers: number, changeRate: number): Promise<PerCustomerFanOutFigures> {
  const { shop } = context;
  const router = routerPid(shop);
  const myPagePort = Number(new URL(shop.urls.mypage).port);
  const firstErrors: string[] = [];
  const noteError = (what: string, error: unknown) => {
    if (firstErrors.length < 5 && !firstErrors.some((line) => line.startsWith(what))) {
      firstErrors.push(`${what}: ${describe(error).trim().slice(0, 300)}`);
    }
  };
  const errors = { placing: 0, subscribing: 0, changing: 0, droppedAfterSubscribing: 0 };

  const book = await registerBook(shop, customers * 2);
  const tokens = await Promise.all(Array.from({ length: customers }, (_, n) => tokenFor('customer', `own-order-customer-${n}`)));
  const before = rssMb(router);

  // The scene: one order per customer.
  const orderIds: Array<string | undefined> = new Array(customers);
  const placing = performance.now();
  await inParallel(customers, PLACING_CONCURRENCY, async (n) => {
    try {
      const placed = await placeOrder(shop.url, tokens[n]!, { title: book.title, quantity: 1 }, { timeoutMs: 60_000 });
      orderIds[n] = (placed.data?.placeOrder as { id?: string } | undefined)?.id;
      if (!orderIds[n]) throw placed.errors ?? `HTTP ${placed.status}`;
    } catch (error) {
      errors.placing += 1;
      noteError('placeOrder', error);
    }
  });
  const placeMs = performance.now() - placing;

  // Each customer subscribes on a socket of their own; live once their current entry arrives.
  const clients: Client[] = [];
  const live = new Array<boolean>(customers).fill(false);
  const settled = new Array<boolean>(customers).fill(false);
  const receivedAt: Array<number | undefined> = new Array(customers);
  let peakRss = before;
  const sampling = setInterval(() => (peakRss = Math.max(peakRss, orNaN(() => rssMb(router)) || 0)), 500);
  const subscribing = performance.now();
  try {
    await inParallel(customers, SUBSCRIBING_CONCURRENCY, async (n) => {
      const orderId = orderIds[n];
      if (!orderId) return;
      const client = liveClient(shop, tokens[n]!, { retryAttempts: 0 });
      clients.push(client);
      await new Promise<void>((resolve) => {
        // Settles once: live (the current entry came), refused, or timed out.
        const settle = (failure?: string) => {
          if (live[n] || settled[n]) return;
          settled[n] = true;
          clearTimeout(timeout);
          if (failure === undefined) live[n] = true;
          else {
            errors.subscribing += 1;
            noteError('subscribe', failure);
          }
          resolve();
        };
        const timeout = setTimeout(() => settle(`no current entry within ${SUBSCRIBE_TIMEOUT_MS} ms`), SUBSCRIBE_TIMEOUT_MS);
        client.subscribe<{ orderStatusChanged: { orderStatus: string } }>(
          { query: WATCH, variables: { id: orderId } },
          {
            next: ({ data }) => {
              if (!data) return; // an event the router could not resolve: not this order's entry
              if (data.orderStatusChanged.orderStatus === 'CANCELLED') receivedAt[n] ??= performance.now();
              settle();
            },
            error: (error) => {
              if (!live[n]) return settle(closeReason(error));
              errors.droppedAfterSubscribing += 1;
              noteError('subscription ended', closeReason(error));
            },
            complete: () => {},
          },
        );
      });
    });
    const subscribeMs = performance.now() - subscribing;
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // upstream sockets settled
    const routerToMyPageSockets = orNaN(() => tcpConnectionsTo(router, myPagePort));
    const subscribed = orNaN(() => rssMb(router));

    // The changes: every subscribed customer cancels their order, on a fixed schedule (a change
    // nobody watches would only add load).
    const changers = live.flatMap((isLive, n) => (isLive ? [n] : []));
    const changedAt: Array<number | undefined> = new Array(customers);
    const changes = await openLoop({
      url: shop.url,
      ratePerSecond: changeRate,
      count: changers.length,
      body: (k) => JSON.stringify({ query: CANCEL, variables: { id: orderIds[changers[k]!] } }),
      headers: (k) => ({ authorization: `Bearer ${tokens[changers[k]!]}` }),
      connections: 64,
      onAnswer: (k, text, answeredAt) => {
        if (text.includes('"CANCELLED"')) changedAt[changers[k]!] = answeredAt;
      },
    });
    errors.changing = changes.errors;
    if (changes.firstError) noteError('cancelOrder', changes.firstError);
    const waiting = () => changers.some((n) => changedAt[n] !== undefined && receivedAt[n] === undefined);
    for (let waited = 0; waited < DRAIN_MS && waiting(); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));

    const latencies = changers.flatMap((n) =>
      changedAt[n] !== undefined && receivedAt[n] !== undefined ? [Math.max(0, receivedAt[n] - changedAt[n])] : [],
    );
    const changed = changers.filter((n) => changedAt[n] !== undefined).length;
    return {
      customers,
      changeRate: { offered: changeRate, achieved: changes.rps },
      ordersPlaced: orderIds.filter(Boolean).length,
      subscribed: live.filter(Boolean).length,
      changed,
      withinTwoSeconds: latencies.filter((ms) => ms <= ON_TIME_MS).length,
      received: latencies.length,
      missing: customers - latencies.length,
      changeToReceipt: latencyStats(latencies),
      routerToMyPageSockets,
      routerRssMb: { before, subscribed, peak: peakRss },
      errors,
      firstErrors,
      placeMs,
      subscribeMs,
    };
  } finally {
    clearInterval(sampling);
    await inParallel(clients.length, 500, async (n) => {
      await clients[n]!.dispose();
    });
  }
}

const describe = (error: unknown) => (error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error));
