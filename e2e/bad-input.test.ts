import { randomUUID } from 'node:crypto';
import { countRows, errorCodes, graphql, tokenFor } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShop, type TestShop } from './support/shop.js';

const PLACE_ORDER = `mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`;
const REGISTER_BOOK = `mutation RegisterBook($input: RegisterBookInput!) { registerBook(input: $input) { id } }`;
const BOOK_BY_TITLE = `query BookByTitle($title: String!) { bookByTitle(title: $title) { stock } }`;

let shop: TestShop;
let staff: string;
let alice: string;
const title = `Bad Input ${randomUUID()}`;

beforeAll(async () => {
  shop = await startShop();
  [staff, alice] = await Promise.all([tokenFor('staff', 'staff-1'), tokenFor('customer', 'alice')]);
  const registered = await graphql(shop.url, REGISTER_BOOK, { input: { title, author: 'A', publisher: 'P', stock: 5 } }, { token: staff });
  expect(registered.errors).toBeUndefined();
});
afterAll(() => shop?.stop());

/** Asserts that the request was refused with `code` and that no order, stock or book changed. */
async function expectRefusedWithoutChange(run: () => Promise<{ errors?: unknown[] }>, codes: string[]) {
  const before = {
    orders: await countRows(shop.databases.order.url, 'Order'),
    books: await countRows(shop.databases.book.url, 'Book'),
    reservations: await countRows(shop.databases.book.url, 'StockReservation'),
  };
  const result = await run();
  expect(errorCodes(result as never)).toEqual(codes);
  expect({
    orders: await countRows(shop.databases.order.url, 'Order'),
    books: await countRows(shop.databases.book.url, 'Book'),
    reservations: await countRows(shop.databases.book.url, 'StockReservation'),
  }).toEqual(before);
  expect((await graphql(shop.url, BOOK_BY_TITLE, { title })).data!.bookByTitle.stock).toBe(5);
}

const order = (input: Record<string, unknown>) =>
  graphql(shop.url, PLACE_ORDER, { input: { title, quantity: 1, address: '1 Main St', ...input } }, { token: alice });

describe('placeOrder refuses bad input with INVALID_INPUT and changes nothing', () => {
  it.each([
    ['a quantity of 0', { quantity: 0 }],
    ['a negative quantity', { quantity: -3 }],
    ['an absurdly large quantity', { quantity: 2_000_000_000 }],
    ['an empty title', { title: '' }],
    ['a blank title', { title: '   ' }],
    ['a 10,000-character title', { title: 'x'.repeat(10_000) }],
    ['an empty address', { address: '' }],
    ['a 10,000-character address', { address: 'y'.repeat(10_000) }],
    ['an empty idempotency key', { idempotencyKey: '' }],
    ['a NUL byte in the address', { address: '1 Main St\u0000' }],
  ])('%s', async (_, input) => {
    await expectRefusedWithoutChange(() => order(input), ['INVALID_INPUT']);
  });

  it('explains which field is wrong', async () => {
    const result = await order({ quantity: 0 });
    expect(result.errors![0]!.message).toMatch(/quantity/);
  });

  it('wrong types are refused by GraphQL itself', async () => {
    await expectRefusedWithoutChange(() => order({ quantity: 'two' }), ['BAD_USER_INPUT']);
    await expectRefusedWithoutChange(() => order({ quantity: 1.5 }), ['BAD_USER_INPUT']);
    await expectRefusedWithoutChange(
      () => graphql(shop.url, 'mutation { placeOrder(input: { title: 42, quantity: 1, address: "a" }) { id } }', {}, { token: alice }),
      ['GRAPHQL_VALIDATION_FAILED'],
    );
  });
});

describe('registerBook refuses bad input with INVALID_INPUT and changes nothing', () => {
  const book = (input: Record<string, unknown>) =>
    graphql(
      shop.url,
      REGISTER_BOOK,
      { input: { title: `New ${randomUUID()}`, author: 'A', publisher: 'P', stock: 1, ...input } },
      { token: staff },
    );

  it.each([
    ['a negative stock', { stock: -1 }],
    ['a stock over a billion', { stock: 1_000_000_001 }],
    ['an empty title', { title: '' }],
    ['a title of invisible characters only', { title: '\u200b' }],
    ['a 10,000-character title', { title: 'z'.repeat(10_000) }],
    ['an empty author', { author: '' }],
    ['a 201-character publisher', { publisher: 'p'.repeat(201) }],
  ])('%s', async (_, input) => {
    await expectRefusedWithoutChange(() => book(input), ['INVALID_INPUT']);
  });

  it('a title already in the catalogue: BOOK_ALREADY_EXISTS (also with spaces around it, in another case or full-width); an invisible character: INVALID_INPUT', async () => {
    await expectRefusedWithoutChange(() => book({ title: `  ${title} ` }), ['BOOK_ALREADY_EXISTS']);
    await expectRefusedWithoutChange(() => book({ title: title.toUpperCase() }), ['BOOK_ALREADY_EXISTS']);
    // Full-width letters are NFKC look-alikes of the ASCII ones.
    const fullWidth = [...title].map((c) => (/[!-~]/.test(c) ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c)).join('');
    await expectRefusedWithoutChange(() => book({ title: fullWidth }), ['BOOK_ALREADY_EXISTS']);
    await expectRefusedWithoutChange(() => book({ title: `${title}\u200b` }), ['INVALID_INPUT']);
  });
});

describe('the order lifecycle refuses bad input with a clear code', () => {
  const review = (input: Record<string, unknown>) =>
    graphql(
      shop.url,
      `
        mutation ($i: WriteReviewInput!) {
          writeReview(input: $i) {
            id
          }
        }
      `,
      { i: { orderId: randomUUID(), rating: 5, content: 'Fine', ...input } },
      { token: alice },
    );

  it.each([
    ['a rating of 0', { rating: 0 }],
    ['a rating of 6', { rating: 6 }],
    ['empty review content', { content: '' }],
    ['2,001 characters of review content', { content: 'r'.repeat(2_001) }],
  ])('writeReview with %s: INVALID_INPUT', async (_, input) => {
    expect(errorCodes(await review(input))).toEqual(['INVALID_INPUT']);
  });

  it('a review of an order review has never heard of: ORDER_NOT_FOUND', async () => {
    expect(errorCodes(await review({}))).toEqual(['ORDER_NOT_FOUND']);
  });

  it('cancelling an unknown or malformed order id: ORDER_NOT_FOUND; completing an unknown delivery: DELIVERY_NOT_FOUND', async () => {
    const courier = await tokenFor('courier', 'carl');
    for (const id of [randomUUID(), 'not-an-id']) {
      expect(
        errorCodes(
          await graphql(
            shop.url,
            `
              mutation ($o: ID!) {
                cancelOrder(orderId: $o) {
                  id
                }
              }
            `,
            { o: id },
            { token: alice },
          ),
        ),
      ).toEqual(['ORDER_NOT_FOUND']);
      expect(
        errorCodes(
          await graphql(
            shop.url,
            `
              mutation ($d: ID!) {
                completeDelivery(deliveryId: $d) {
                  id
                }
              }
            `,
            { d: id },
            { token: courier },
          ),
        ),
      ).toEqual(['DELIVERY_NOT_FOUND']);
    }
  });
});
