import { errorCodes, eventually, queryRows, startTcpProxy, tokenFor, type GraphQLResult, type TcpProxy } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder, registerBook, stockLedger } from './support/orders.js';
import { startShop, type TestShop } from './support/shop.js';

// order reaches book through a proxy the test controls: book can be stopped, or made slow, for real.
let shop: TestShop;
let proxy: TcpProxy;
let alice: string;

beforeAll(async () => {
  proxy = await startTcpProxy();
  shop = await startShop({
    serviceEnv: {
      order: {
        SUBGRAPH_URL_BOOK: proxy.url,
        STOCK_BREAKER_HALF_OPEN_MS: '5000',
        RECONCILE_INTERVAL_MS: '300',
        RECONCILE_AFTER_MS: '1000',
      },
    },
  });
  proxy.setBackends([{ port: Number(new URL(shop.urls.book).port) }]);
  alice = await tokenFor('customer', 'alice');
});
afterAll(async () => {
  await shop?.stop();
  await proxy?.close();
});

const order = (title: string, quantity = 1) => placeOrder(shop.url, alice, { title, quantity }, { timeoutMs: 10_000 });

/** Stock and orders agree: every copy is either in stock or in a placed order, and nothing is undecided. */
async function expectLedgerSettled(title: string, initialStock: number) {
  const ledger = await eventually(
    () => stockLedger(shop, title),
    (l) => l.pendingOrders === 0 && l.reservedQuantity === l.placedQuantity,
  );
  expect(ledger.stock + ledger.placedQuantity).toBe(initialStock);
  return ledger;
}

describe('the order → book call', () => {
  it('book stopped: fails fast with SERVICE_UNAVAILABLE, the breaker opens and spares book, and closes again when book is back', async () => {
    const book = await registerBook(shop, 100);
    expect(errorCodes(await order(book.title))).toEqual([]);

    await shop.processes.book.stop();
    const failed: GraphQLResult[] = [];
    for (let attempt = 1; attempt <= 5; attempt++) {
      const result = await order(book.title);
      expect(errorCodes(result)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(result.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
      failed.push(result);
    }
    await eventually(
      async () => shop.logs().join('\n'),
      (logs) => logs.includes('circuit breaker to book is now open'),
    );

    // Compensations of the failed calls end within their own budget; after that nothing may reach
    // book. Each saga that answered "did not answer in time" releases in the background, and says
    // so when that fails too. The reconciler asks book one call at a time: once the open breaker
    // has refused one of its calls, none of its earlier ones is still on its way.
    const owed = failed.filter((result) => result.errors![0]!.message.includes('did not answer in time')).length;
    await eventually(
      async () => shop.logs(),
      (lines) =>
        lines.filter((line) => line.includes('could not release stock after an unknown outcome')).length >= owed &&
        lines.some((line) => line.includes('could not reconcile a pending order yet') && line.includes('BrokenCircuitError')),
    );
    const attemptsBefore = proxy.connections;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const result = await order(book.title);
      // The open breaker's answer (its half-open delay, 5 s), given before any call to book.
      expect(errorCodes(result)).toEqual(['SERVICE_UNAVAILABLE']);
      expect(result.errors![0]!.extensions!.retryAfterSeconds).toBe(5);
    }
    expect(proxy.connections).toBe(attemptsBefore);

    await shop.restart('book');
    const placed = await eventually(
      () => order(book.title),
      (result) => errorCodes(result).length === 0,
      20_000,
    );
    expect(placed.data!.placeOrder.status).toBe('PLACED');
    await eventually(
      async () => shop.logs().join('\n'),
      (logs) => logs.includes('circuit breaker to book is now closed'),
    );

    const ledger = await expectLedgerSettled(book.title, 100);
    expect(ledger.placedOrders).toBe(2);
  });

  it('book slowed to 2 s: the call gives up instead of waiting for it, and no stock stays reserved for the failed order', async () => {
    const book = await registerBook(shop, 10);
    proxy.setDelay(2_000);
    const result = await order(book.title, 3);
    // Given up on, not waited for (book would have held the copies and the order would be placed):
    // the outcome is unknown, so the customer is told it was not placed.
    expect(errorCodes(result)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(result.errors![0]!.message).toContain('did not answer in time');
    const reservationsOf = (orderId: string) =>
      queryRows<{ status: string }>(shop.databases.book.url, `SELECT status FROM "StockReservation" WHERE "orderId" = $1`, [orderId]);
    const [{ id: orderId }] = (await queryRows<{ id: string }>(shop.databases.order.url, `SELECT id FROM "Order" WHERE title = $1`, [
      book.title,
    ])) as [{ id: string }];
    // Book takes the late reservation, then the release, both held back by the slow link; the
    // reconciler settles the order once book answers in time.
    await eventually(
      () => reservationsOf(orderId),
      (rows) => rows[0]?.status === 'RELEASED',
      20_000,
    );
    proxy.setDelay(0);

    const ledger = await expectLedgerSettled(book.title, 10);
    expect(ledger).toMatchObject({ stock: 10, placedOrders: 0 });
    const [orderRow] = await queryRows<{ status: string }>(shop.databases.order.url, `SELECT status FROM "Order" WHERE id = $1`, [orderId]);
    expect(orderRow!.status).toBe('REJECTED');
    expect(await reservationsOf(orderId)).toEqual([{ status: 'RELEASED' }]);
  });
});
