// `pnpm bench`: starts a shop of its own (compiled services, fresh databases and stream on the
// machine's PostgreSQL and NATS), runs bounded loads on 127.0.0.1, prints a table, and writes the
// figures to bench/results/<timestamp>.json. Not part of the tests.
//   pnpm bench [--only router,orders,events,fanout,footprint] [--runs 3] [--seconds 5]
//              [--rate 200,20] [--subscribers 1000,5000,10000]
//   `--only refusals` (not in the default set): what refusing an operation over a limit costs the router.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startShop } from '@bookshop/e2e/shop';
import { prepareTemplates } from '@bookshop/testing';
import type { BenchContext } from './context.js';
import { printReport } from './report.js';
import { eventLatency } from './scenarios/event-latency.js';
import { fanOut } from './scenarios/fan-out.js';
import { residentMemory, startToReady } from './scenarios/footprint.js';
import { orders } from './scenarios/orders.js';
import { refusals } from './scenarios/refusals.js';
import { routerEfficiency } from './scenarios/router-efficiency.js';

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: 'router,orders,events,fanout,footprint' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '200,20' },
    subscribers: { type: 'string', default: '1000,5000,10000' },
  },
});
const only = new Set(values.only.split(','));
const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

process.env.E2E_MODE = 'dist';
await prepareTemplates();
const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  settings: values,
};

/** Each scenario gets a fresh shop, so one's leftovers (queues, caches, data) do not weigh on the next. */
async function withShop<T>(work: (context: BenchContext) => Promise<T>): Promise<T> {
  // The fan-out scenario is one customer with up to thousands of subscriptions on one order, and
  // the order scenarios place thousands of orders per customer: far past the per-caller limits
  // that protect a real shop from one client.
  const shop = await startShop({
    env: { LOG_LEVEL: 'error' },
    serviceEnv: {
      router: { ROUTER_MAX_SOCKETS_PER_CALLER: '10000', ROUTER_MAX_SUBSCRIPTIONS_PER_CALLER: '100000' },
      order: { ORDER_MAX_OPEN_PER_CUSTOMER: '1000000' },
    },
  });
  try {
    return await work({ shop, runs: Number(values.runs), durationMs: Number(values.seconds) * 1000 });
  } finally {
    await shop.stop();
  }
}

if (only.has('footprint')) {
  const starts = [];
  for (let run = 0; run < Number(values.runs); run++) starts.push((await startToReady()).readyMs);
  report.footprint = {
    startToReadyMs: starts,
    idleRssMb: await withShop(async (context) => (await new Promise((r) => setTimeout(r, 3_000)), residentMemory(context))),
  };
}
if (only.has('router')) report.routerEfficiency = await withShop(routerEfficiency);
if (only.has('refusals')) report.refusals = await withShop(refusals);
if (only.has('orders')) report.orders = await withShop(orders);
if (only.has('events')) {
  report.eventLatency = [];
  for (const rate of values.rate.split(',').map(Number)) {
    (report.eventLatency as unknown[]).push(await withShop((context) => eventLatency(context, rate)));
  }
}
if (only.has('fanout')) {
  report.fanOut = [];
  for (const subscribers of values.subscribers.split(',').map(Number)) {
    (report.fanOut as unknown[]).push(await withShop((context) => fanOut(context, subscribers)));
  }
}

mkdirSync(resultsDir, { recursive: true });
const file = path.join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
printReport(report);
console.log(`\nfigures written to ${path.relative(process.cwd(), file)}`);
process.exit(0);
