import { afterAll, beforeAll, describe, it } from 'vitest';
import { startShop, type TestShop } from '../support/shop.js';
import { assertModelHolds, modelSettings } from './property.js';

/**
 * The whole order lifecycle, model-based: fast-check generates batches of concurrent commands
 * (register, restock, place with repeated idempotency keys, cancel, complete, cancel and complete
 * at once, review) against the real shop, and after the events settle checks the invariants in
 * invariants.ts against every context's database. One shop per fault setting; every run has its
 * own customers and books. Long runs: `pnpm test:model --runs 200 [--seed S]`.
 */

const settings = modelSettings();
/** A run takes seconds (up to ~20 with restarts); shrinking a failure is bounded by settings.shrinkSeconds. */
const timeoutMs = settings.runs * 60_000 + settings.shrinkSeconds * 1_000 + 120_000;

const fastEnv = {
  // Orders cut short by a restart are decided by the reconciler within seconds, not minutes.
  RECONCILE_INTERVAL_MS: '500',
  RECONCILE_AFTER_MS: '2000',
  // An event held by a consumer that was cut off comes back after 5 s rather than 30.
  EVENT_ACK_WAIT_MS: '5000',
};

function withShop(options: Parameters<typeof startShop>[0]) {
  const handle: { shop?: TestShop } = {};
  beforeAll(async () => {
    handle.shop = await startShop(options);
  });
  afterAll(async () => {
    if (process.env.SHOW_SHOP_LOGS) console.log(handle.shop?.logs().join('\n'));
    await handle.shop?.stop();
  });
  return () => handle.shop!;
}

describe('order lifecycle model, restarts: concurrent commands, a subgraph restarted now and then', () => {
  // A tight budget for order's call to book (500 ms by default), so that under a batch's load some
  // reservations end with an unknown outcome and take the compensation path.
  const shop = withShop({ env: fastEnv, serviceEnv: { order: { STOCK_CALL_TIMEOUT_MS: '250' } } });
  it('keeps every invariant', () => assertModelHolds(shop(), { name: 'restarts', restarts: true }, settings), timeoutMs);
});

describe('order lifecycle model, redeliveries: every consumer fails its first attempt at each event', () => {
  // Each event is applied on its redelivery, possibly after events published behind it.
  const shop = withShop({ env: { ...fastEnv, FAULT_POINTS: 'consumer.fail-first-attempt' } });
  it('keeps every invariant', () => assertModelHolds(shop(), { name: 'redeliveries', restarts: false }, settings), timeoutMs);
});
