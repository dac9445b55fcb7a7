import { registerBook } from '@bookshop/e2e/orders';
import { tokenFor } from '@bookshop/testing';
import type { Client } from 'graphql-ws';
import type { BenchContext } from '../context.js';
import { liveClient } from '../live-client.js';
import { inParallel, latencyStats, openLoop } from '../load.js';

const PLACE_ORDER = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
const CUSTOMERS = 20;
const SUBSCRIBING_CONCURRENCY = 8;
/** Orders at a low rate before the measured run (JIT, pools, plan caches), not enough to leave a queue behind. */
const WARM_UP = { ratePerSecond: 20, count: 20 };
/** How long after the last answer an entry may still arrive and count. */
const DRAIN_MS = 10_000;

interface Latency {
  p50: number;
  p99: number;
  max: number;
}

export interface EventLatencyFigures {
  ratePerSecond: number;
  /** Successful placeOrder answers per second, from the first due request to the last answer. */
  achievedRps: number;
  ordersPlaced: number;
  errors: number;
  firstError?: string;
  /** placeOrder's latency from when it was due (time queued in the bench or for a socket included). */
  placeOrder: Latency;
  /** placeOrder's answer → the entry on the customer's my page subscription, through the router. */
  eventToMyPage: Latency;
  /** Orders whose entry reached my page's subscriber within the run (plus 10 s to drain). */
  seen: number;
  /** How far the bench itself fell behind its schedule at worst (should be a few ms). */
  maxSendLagMs: number;
}

/**
 * Every customer subscribed to their my page through the router: when each order's entry first
 * arrived. The sockets open a few at a time: the router lets one address hold 16 sockets that have
 * not signed in yet.
 */
async function watchMyPages(context: BenchContext, tokens: string[]): Promise<{ seenAt: Map<string, number>; clients: Client[] }> {
  const seenAt = new Map<string, number>();
  const clients: Client[] = [];
  await inParallel(
    tokens.length,
    SUBSCRIBING_CONCURRENCY,
    async (n) =>
      new Promise<void>((resolve, reject) => {
        const client = liveClient(context.shop, tokens[n]!, { lazy: false, on: { connected: () => resolve() } });
        clients.push(client);
        client.subscribe<{ myPageUpdated: { orderId: string } }>(
          { query: 'subscription { myPageUpdated { orderId orderStatus version } }' },
          {
            next: ({ data }) => {
              const orderId = data?.myPageUpdated.orderId;
              if (orderId && !seenAt.has(orderId)) seenAt.set(orderId, performance.now());
            },
            error: reject,
            complete: () => {},
          },
        );
      }),
  );
  await new Promise((resolve) => setTimeout(resolve, 500)); // subscriptions established upstream
  return { seenAt, clients };
}

/**
 * placeOrder through the router at a fixed offered rate (open loop: the schedule does not slow
 * down when the shop does), for `durationMs`: the rate achieved, placeOrder's latency, and from
 * placeOrder returning to the new entry arriving at the customer's my page subscription.
 */
export async function eventLatency(context: BenchContext, ratePerSecond: number): Promise<EventLatencyFigures> {
  const { shop } = context;
  const book = await registerBook(shop, 1_000_000_000);
  const tokens = await Promise.all(Array.from({ length: CUSTOMERS }, (_, n) => tokenFor('customer', `latency-customer-${n}`)));
  const { seenAt, clients } = await watchMyPages(context, tokens);
  const body = () =>
    JSON.stringify({ query: PLACE_ORDER, variables: { input: { title: book.title, quantity: 1, address: '1 Bench Road' } } });
  const headers = (n: number) => ({ authorization: `Bearer ${tokens[n % CUSTOMERS]}` });
  try {
    await openLoop({ url: shop.url, ...WARM_UP, body, headers });
    const returnedAt = new Map<string, number>();
    const load = await openLoop({
      url: shop.url,
      ratePerSecond,
      count: Math.round((ratePerSecond * context.durationMs) / 1000),
      body,
      headers,
      onAnswer: (_, text, answeredAt) => {
        const id = (JSON.parse(text) as { data?: { placeOrder?: { id?: string } } }).data?.placeOrder?.id;
        if (id) returnedAt.set(id, answeredAt);
      },
    });
    for (let waited = 0; waited < DRAIN_MS && [...returnedAt.keys()].some((id) => !seenAt.has(id)); waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const latencies = [...returnedAt].filter(([id]) => seenAt.has(id)).map(([id, at]) => Math.max(0, seenAt.get(id)! - at));
    return {
      ratePerSecond,
      achievedRps: load.rps,
      ordersPlaced: returnedAt.size,
      errors: load.errors,
      ...(load.firstError ? { firstError: load.firstError } : {}),
      placeOrder: { p50: load.p50, p99: load.p99, max: load.max },
      eventToMyPage: latencyStats(latencies),
      seen: latencies.length,
      maxSendLagMs: load.maxSendLagMs,
    };
  } finally {
    await Promise.all(clients.map(async (client) => client.dispose())); // dispose answers void or a promise
  }
}
