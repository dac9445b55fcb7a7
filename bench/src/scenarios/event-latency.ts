import { registerBook } from '@bookshop/e2e/orders';
import { tokenFor } from '@bookshop/testing';
import { createClient, type Client } from 'graphql-ws';
import { Pool } from 'undici';
import WebSocket from 'ws';
import type { BenchContext } from '../context.js';
import { latencyStats } from '../load.js';

const PLACE_ORDER = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';
const CUSTOMERS = 20;

export interface EventLatencyFigures {
  ratePerSecond: number;
  ordersPlaced: number;
  /** Orders whose entry reached my page's subscriber within the run (plus 10 s to drain). */
  seen: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * From placeOrder returning to the new entry arriving at the customer's my page subscription
 * (through the router), with orders placed at a steady rate (open loop: the rate does not slow
 * down when the shop does).
 */
export async function eventLatency(context: BenchContext, ratePerSecond: number): Promise<EventLatencyFigures> {
  const { shop } = context;
  const book = await registerBook(shop, 1_000_000_000);
  const tokens = await Promise.all(Array.from({ length: CUSTOMERS }, (_, n) => tokenFor('customer', `latency-customer-${n}`)));
  const seenAt = new Map<string, number>();
  const clients: Client[] = [];
  await Promise.all(
    tokens.map(
      (token) =>
        new Promise<void>((resolve, reject) => {
          const client = createClient({
            url: shop.url.replace('http', 'ws'),
            webSocketImpl: WebSocket,
            connectionParams: { authorization: `Bearer ${token}` },
            lazy: false,
            on: { connected: () => resolve() },
          });
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
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 500)); // subscriptions established upstream

  const pool = new Pool(new URL(shop.url).origin, { connections: 64 });
  const returnedAt = new Map<string, number>();
  const placing: Promise<void>[] = [];
  const interval = 1000 / ratePerSecond;
  const started = performance.now();
  for (let n = 0; performance.now() - started < context.durationMs; n++) {
    const due = started + n * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    placing.push(
      pool
        .request({
          path: '/graphql',
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[n % CUSTOMERS]}` },
          body: JSON.stringify({ query: PLACE_ORDER, variables: { input: { title: book.title, quantity: 1, address: '1 Bench Road' } } }),
        })
        .then(async (response) => {
          const body = JSON.parse(await response.body.text());
          const id = body.data?.placeOrder?.id;
          if (id) returnedAt.set(id, performance.now());
        }),
    );
  }
  await Promise.allSettled(placing);
  for (let waited = 0; waited < 10_000 && [...returnedAt.keys()].some((id) => !seenAt.has(id)); waited += 100) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await pool.close();
  for (const client of clients) await client.dispose();

  const latencies = [...returnedAt].filter(([id]) => seenAt.has(id)).map(([id, at]) => Math.max(0, seenAt.get(id)! - at));
  return { ratePerSecond, ordersPlaced: returnedAt.size, seen: latencies.length, ...latencyStats(latencies) };
}
