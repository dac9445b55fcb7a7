import { registerBook } from '@bookshop/e2e/orders';
import { tokenFor } from '@bookshop/testing';
import type { TestShop } from '@bookshop/e2e/shop';
import type { BenchContext } from '../context.js';
import { closedLoop, medianRun, summarize, type LoadResult } from '../load.js';
import { cpuMs, rssMb } from '../proc.js';

const PLACE_ORDER = 'mutation ($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';
const ORDER_CONCURRENCY = 32;

export interface OrderFigures {
  ordersPerSecond: { median: number; min: number; max: number };
  p50: number;
  p99: number;
  errors: number;
  firstError?: string;
  /** CPU (ms) each process spent per placed order, and its resident memory under the load (MB). */
  cpuPerOrderMs: Record<string, number>;
  /** The six processes' CPU per placed order together (PostgreSQL's and NATS's not included). */
  cpuPerOrderTotalMs: number;
  rssUnderLoadMb: Record<string, number>;
}

/** placeOrder through the router at a fixed concurrency, by 64 customers, on a book that never runs out. */
export async function orderLoad(shop: TestShop): Promise<(durationMs: number) => Promise<LoadResult>> {
  const book = await registerBook(shop, 1_000_000_000);
  const tokens = await Promise.all(Array.from({ length: 64 }, (_, n) => tokenFor('customer', `bench-customer-${n}`)));
  const body = JSON.stringify({ query: PLACE_ORDER, variables: { input: { title: book.title, quantity: 1, address: '1 Bench Road' } } });
  return (durationMs) =>
    closedLoop({
      url: shop.url,
      connections: ORDER_CONCURRENCY,
      durationMs,
      body,
      headers: (n) => ({ authorization: `Bearer ${tokens[n % tokens.length]}` }),
    });
}

export async function orders(context: BenchContext): Promise<OrderFigures> {
  const { shop } = context;
  const load = await orderLoad(shop);
  await load(1_000);
  const pids = Object.fromEntries(Object.entries(shop.processes).map(([name, process]) => [name, process.child.pid!]));
  const cpuBefore = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const rssUnderLoadMb: Record<string, number> = {};
  const runs = [];
  for (let run = 0; run < context.runs; run++) {
    const sampling = setTimeout(() => {
      for (const [name, pid] of Object.entries(pids)) rssUnderLoadMb[name] = Math.max(rssUnderLoadMb[name] ?? 0, rssMb(pid));
    }, context.durationMs / 2);
    runs.push(await load(context.durationMs));
    clearTimeout(sampling);
  }
  const placed = runs.reduce((sum, r) => sum + r.requests - r.errors, 0);
  const cpuPerOrderMs = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, (cpuMs(pid) - cpuBefore[name]!) / placed]));
  const median = medianRun(runs);
  return {
    ordersPerSecond: summarize(runs.map((r) => (r.requests - r.errors) / (context.durationMs / 1000))),
    p50: median.p50,
    p99: median.p99,
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    ...(runs.find((r) => r.firstError) ? { firstError: runs.find((r) => r.firstError)!.firstError! } : {}),
    cpuPerOrderMs,
    cpuPerOrderTotalMs: Object.values(cpuPerOrderMs).reduce((sum, ms) => sum + ms, 0),
    rssUnderLoadMb,
  };
}
