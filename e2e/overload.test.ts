import { errorCodes, eventually, tokenFor } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder, registerBook, stockLedger } from './support/orders.js';
import { startShop, type TestShop } from './support/shop.js';

const CLIENTS = 100;
const SECONDS = 30;
const INITIAL_STOCK = 300;
/** Longer than any answer may take: a request still open after this counts as hung. */
const HUNG_AFTER_MS = 15_000;

let shop: TestShop;
beforeAll(async () => {
  shop = await startShop({ serviceEnv: { order: { RECONCILE_INTERVAL_MS: '500', RECONCILE_AFTER_MS: '2000' } } });
});
afterAll(() => shop?.stop());

type Outcome = 'PLACED' | 'OUT_OF_STOCK' | 'SERVICE_UNAVAILABLE' | string;

describe('overload', () => {
  it(`${CLIENTS} clients ordering without pause for ${SECONDS} s: every request answered, no crash, stock and orders agree`, async () => {
    const book = await registerBook(shop, INITIAL_STOCK);
    const tokens = await Promise.all(Array.from({ length: CLIENTS }, (_, n) => tokenFor('customer', `customer-${n}`)));
    const outcomes = new Map<Outcome, number>();
    const count = (outcome: Outcome) => outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    const until = Date.now() + SECONDS * 1_000;

    // Each client sends its next order as soon as the previous one is answered (siege-style).
    await Promise.all(
      tokens.map(async (token) => {
        while (Date.now() < until) {
          try {
            const result = await placeOrder(shop.url, token, { title: book.title, quantity: 1 }, { timeoutMs: HUNG_AFTER_MS });
            const placed = result.data?.placeOrder?.status;
            count(placed === 'PLACED' ? 'PLACED' : errorCodes(result).join(',') || `HTTP ${result.status}`);
          } catch (error) {
            count(`request failed: ${(error as Error).name}`); // a hung request ends here (TimeoutError)
          }
        }
      }),
    );

    const answered = Object.fromEntries(outcomes);
    console.info(`overload outcomes over ${SECONDS} s:`, answered);
    expect(Object.keys(answered).filter((outcome) => !['PLACED', 'OUT_OF_STOCK', 'SERVICE_UNAVAILABLE'].includes(outcome))).toEqual([]);
    expect(answered.PLACED).toBeGreaterThan(0);

    for (const [name, process] of Object.entries(shop.processes)) {
      expect({ name, exitCode: process.child.exitCode, signal: process.child.signalCode }).toEqual({ name, exitCode: null, signal: null });
    }
    const ledger = await eventually(
      () => stockLedger(shop, book.title),
      (l) => l.pendingOrders === 0,
      30_000,
    );
    expect(ledger.stock + ledger.placedQuantity).toBe(INITIAL_STOCK);
    expect(ledger.reservedQuantity).toBe(ledger.placedQuantity);
    expect(ledger.placedOrders).toBe(answered.PLACED);
  }, 120_000);
});
