import { randomUUID } from 'node:crypto';
import { errorCodes, graphql, queryRows, tokenFor, type GraphQLResult } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder, registerBook } from './support/orders.js';
import { startShop, type TestShop } from './support/shop.js';

/**
 * ORDER_MAX_OPEN_PER_CUSTOMER: a customer's open (PENDING or PLACED) orders are capped, and the
 * cap holds when the customer's requests race each other.
 */
const CAP = 3;
let shop: TestShop;
let bookTitle: string;

beforeAll(async () => {
  shop = await startShop({ env: { ORDER_MAX_OPEN_PER_CUSTOMER: String(CAP) } });
  bookTitle = (await registerBook(shop, 1_000)).title;
});
afterAll(async () => {
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
});

const customer = async () => {
  const id = `cap-${randomUUID().slice(0, 8)}`;
  return { id, token: await tokenFor('customer', id) };
};
const order = (token: string, input: { idempotencyKey?: string } = {}) =>
  placeOrder(shop.url, token, { title: bookTitle, quantity: 1, ...input });
const placed = (results: GraphQLResult[]) => results.filter((result) => !result.errors && result.data?.placeOrder?.status === 'PLACED');

async function ordersOf(customerId: string) {
  return queryRows<{ status: string }>(shop.databases.order.url, `SELECT status::text FROM "Order" WHERE "customerId" = $1`, [customerId]);
}

describe('the cap on a customer’s open orders', () => {
  it(`lets exactly ${CAP} of 12 orders fired at once pass, and refuses the others with INVALID_INPUT saying how many are open and the limit`, async () => {
    const alice = await customer();
    const results = await Promise.all(Array.from({ length: 12 }, () => order(alice.token)));
    expect(placed(results)).toHaveLength(CAP);
    const refused = results.filter((result) => result.errors);
    expect(refused).toHaveLength(12 - CAP);
    for (const result of refused) {
      expect(errorCodes(result)).toEqual(['INVALID_INPUT']);
      expect(result.errors![0]!.message).toMatch(new RegExp(`${CAP} open orders.*at most ${CAP}`));
      expect(result.status).toBeLessThan(500);
    }
    // A refusal left nothing behind: no rejected order row, no copies held.
    expect(await ordersOf(alice.id)).toEqual(Array.from({ length: CAP }, () => ({ status: 'PLACED' })));
  });

  it(`at ${CAP - 1} open orders, two orders at the same instant: one passes, one is refused`, async () => {
    for (let round = 0; round < 5; round++) {
      const bob = await customer();
      for (let i = 0; i < CAP - 1; i++) expect((await order(bob.token)).errors).toBeUndefined();
      const results = await Promise.all([order(bob.token), order(bob.token)]);
      expect(placed(results), `round ${round}`).toHaveLength(1);
      expect(results.flatMap(errorCodes)).toEqual(['INVALID_INPUT']);
      expect((await ordersOf(bob.id)).length).toBe(CAP);
    }
  });

  it('counts only open orders: a cancelled one makes room again; another customer is not affected', async () => {
    const carol = await customer();
    const ids: string[] = [];
    for (let i = 0; i < CAP; i++) ids.push((await order(carol.token)).data!.placeOrder.id);
    expect(errorCodes(await order(carol.token))).toEqual(['INVALID_INPUT']);
    expect(errorCodes(await order((await customer()).token))).toEqual([]);

    const cancelled = await graphql(
      shop.url,
      `
        mutation ($o: ID!) {
          cancelOrder(orderId: $o) {
            status
          }
        }
      `,
      { o: ids[0] },
      { token: carol.token },
    );
    expect(cancelled.data?.cancelOrder.status).toBe('CANCELLED');
    expect(errorCodes(await order(carol.token))).toEqual([]);
  });

  it('answers a retry with an idempotency key at the cap with the order it placed, not a refusal', async () => {
    const dave = await customer();
    const first = await order(dave.token, { idempotencyKey: 'k-1' });
    for (let i = 1; i < CAP; i++) expect((await order(dave.token)).errors).toBeUndefined();
    const retry = await order(dave.token, { idempotencyKey: 'k-1' });
    expect(retry.errors).toBeUndefined();
    expect(retry.data!.placeOrder.id).toBe(first.data!.placeOrder.id);
  });
});
