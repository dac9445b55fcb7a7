// `pnpm bench`: starts a shop of its own (compiled services, fresh databases and stream on the
// machine's PostgreSQL and NATS), runs bounded loads on 127.0.0.1, prints a table, and writes the
// figures to bench/results/<timestamp>.json. Not part of the tests.
//   pnpm bench [--only router,orders,events,statements,fanout,customers,footprint] [--runs 3] [--seconds 5]
//              [--rate 50,100,200] [--statement-orders 200] [--subscribers 1000,5000,10000]
//              [--customers 10000] [--change-rate 50] [--reference <checkout>]
//   `--only refusals` (not in the default set): what refusing an operation over a limit costs the router.
//   `--reference <path>`: another checkout of this repository, installed and built; every scenario
//   also runs on its compiled services (first), and the table shows "reference" beside "now".
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startOtlpReceiver } from '@bookshop/testing';
import { loadCheckout, type Checkout } from './checkout.js';
import type { BenchContext } from './context.js';
import { printReport } from './report.js';
import { eventLatency } from './scenarios/event-latency.js';
import { fanOutPerCustomer } from './scenarios/fan-out-per-customer.js';
import { fanOut, fanOutEnv } from './scenarios/fan-out.js';
import { residentMemory, startToReady } from './scenarios/footprint.js';
import { orders } from './scenarios/orders.js';
import { refusals } from './scenarios/refusals.js';
import { routerEfficiency } from './scenarios/router-efficiency.js';
import { statementsPerOrder, tracingEnv } from './scenarios/statements.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'router,orders,events,statements,fanout,customers,footprint' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '50,100,200' },
    'statement-orders': { type: 'string', default: '200' },
    subscribers: { type: 'string', default: '1000,5000,10000' },
    customers: { type: 'string', default: '10000' },
    'change-rate': { type: 'string', default: '50' },
    reference: { type: 'string' },
  },
});
const only = new Set(values.only.split(','));
const numbers = (list: string) => list.split(',').map(Number);
const repoRoot = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

process.env.E2E_MODE = 'dist';
// The reference runs first in each scenario, "now" right after it: the two in one sitting.
const checkouts: Checkout[] = [
  ...(values.reference ? [await loadCheckout('reference', path.resolve(values.reference))] : []),
  await loadCheckout('now', repoRoot),
];
for (const checkout of checkouts) await checkout.prepareTemplates();
const results: Record<string, Record<string, unknown>> = Object.fromEntries(checkouts.map(({ label }) => [label, {}]));
const report = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  settings: values,
  checkouts: Object.fromEntries(checkouts.map(({ label, root, commit }) => [label, { root, commit, results: results[label] }])),
};

/** Each scenario gets a fresh shop, so one's leftovers (queues, caches, data) do not weigh on the next. */
async function withShop<T>(checkout: Checkout, work: (context: BenchContext) => Promise<T>, env: NodeJS.ProcessEnv = {}): Promise<T> {
  // The fan-out scenario is one customer with up to thousands of subscriptions on one order, and
  // the order scenarios place thousands of orders per customer: far past the per-caller limits
  // that protect a real shop from one client.
  const shop = await checkout.startShop({
    env: { LOG_LEVEL: 'error', ...env },
    serviceEnv: {
      router: { ROUTER_MAX_SOCKETS_PER_CALLER: '10000', ROUTER_MAX_SUBSCRIPTIONS_PER_CALLER: '100000' },
      order: { ORDER_MAX_OPEN_PER_CUSTOMER: '1000000' },
    },
  });
  try {
    return await work({ shop, root: checkout.root, runs: Number(values.runs), durationMs: Number(values.seconds) * 1000 });
  } finally {
    await shop.stop();
  }
}

/**
 * One scenario on every checkout, its figures under `key` (and `variant`: a rate, a count). A
 * scenario that fails records why and the bench goes on: one broken figure should not cost a long
 * run's others.
 */
async function measure(key: string, scenario: (checkout: Checkout) => Promise<unknown>, variant?: number): Promise<void> {
  for (const checkout of checkouts) {
    console.log(`${key}${variant === undefined ? '' : ` ${variant}`}: ${checkout.label}…`);
    let figures: unknown;
    try {
      figures = await scenario(checkout);
    } catch (error) {
      console.error(`${key} failed on ${checkout.label}:`, error);
      figures = { failed: error instanceof Error ? error.message : JSON.stringify(error) };
    }
    const own = results[checkout.label]!;
    if (variant === undefined) own[key] = figures;
    else own[key] = { ...(own[key] as object | undefined), [variant]: figures };
  }
}

if (only.has('footprint')) {
  await measure('footprint', async (checkout) => {
    const starts = [];
    for (let run = 0; run < Number(values.runs); run++) starts.push((await startToReady(checkout.root)).readyMs);
    return {
      startToReadyMs: starts,
      idleRssMb: await withShop(checkout, async (context) => (await new Promise((r) => setTimeout(r, 3_000)), residentMemory(context))),
    };
  });
}
if (only.has('router')) await measure('routerEfficiency', (checkout) => withShop(checkout, routerEfficiency));
if (only.has('refusals')) await measure('refusals', (checkout) => withShop(checkout, refusals));
if (only.has('orders')) await measure('orders', (checkout) => withShop(checkout, orders));
if (only.has('events')) {
  for (const rate of numbers(values.rate)) {
    await measure('eventLatency', (checkout) => withShop(checkout, (context) => eventLatency(context, rate)), rate);
  }
}
if (only.has('statements')) {
  // Its own shop, exporting traces: tracing costs CPU, which no other scenario should pay.
  await measure('statements', async (checkout) => {
    const receiver = await startOtlpReceiver();
    try {
      const count = Number(values['statement-orders']);
      return await withShop(checkout, (context) => statementsPerOrder(context, receiver, count), tracingEnv(receiver));
    } finally {
      await receiver.close();
    }
  });
}
if (only.has('fanout')) {
  for (const subscribers of numbers(values.subscribers)) {
    await measure(
      'fanOut',
      (checkout) => withShop(checkout, (context) => fanOut(context, subscribers), fanOutEnv(subscribers)),
      subscribers,
    );
  }
}
if (only.has('customers')) {
  const [customers, changeRate] = [Number(values.customers), Number(values['change-rate'])];
  await measure('fanOutPerCustomer', (checkout) => withShop(checkout, (context) => fanOutPerCustomer(context, customers, changeRate)));
}

mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
printReport(report);
console.log(`\nfigures written to ${path.relative(process.cwd(), file)}`);
process.exit(0);
