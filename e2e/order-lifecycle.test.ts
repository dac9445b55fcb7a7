import { randomUUID } from 'node:crypto';
import { TEST_JWT_SECRET, errorCodes, eventually, graphql, queryRows, tokenFor } from '@bookshop/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runShopCommand } from './support/command.js';
import { startShop, type TestShop } from './support/shop.js';

const ORDER_VIEW = `query OrderView($id: ID!) {
  order(id: $id) { id status quantity book { title stock reviews { rating content } } delivery { id status } review { rating content } }
}`;
const MY_PAGE = `query MyPage { myPage { orderId title quantity address orderStatus deliveryStatus reviewRating reviewContent version } }`;

let shop: TestShop;
let staff: string;
let alice: string;
let bob: string;
let courier: string;

beforeAll(async () => {
  // Every line a service can write, so that the last test reads them all.
  shop = await startShop({ env: { LOG_LEVEL: 'debug' } });
  [staff, alice, bob, courier] = await Promise.all([
    tokenFor('staff', 'sam'),
    tokenFor('customer', 'alice'),
    tokenFor('customer', 'bob'),
    tokenFor('courier', 'carl'),
  ]);
});
afterAll(async () => {
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
});

const call = (token: string, query: string, variables: Record<string, unknown> = {}) => graphql(shop.url, query, variables, { token });
const orderView = async (id: string, token = alice) => (await call(token, ORDER_VIEW, { id })).data?.order;
const myEntry = async (orderId: string) =>
  ((await call(alice, MY_PAGE)).data?.myPage as Array<Record<string, unknown>>).find((entry) => entry.orderId === orderId);

/**
 * Returns once book has applied every OrderCancelled that what happened before may still cause, so
 * that the test can then say a release did not happen. Each context's durable consumer takes its
 * events one at a time, in stream order, and each outbox is published in the order it was written.
 * So bob's first order, delivered now, reaches order's consumer after every earlier decision of
 * delivery, and once it is DELIVERED order has written whatever OrderCancelled those caused; his
 * second, cancelled after that, reaches book after all of them.
 */
async function afterEverythingBefore(title: string): Promise<void> {
  const place = async () =>
    (
      await call(bob, `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }`, {
        i: { title, quantity: 1, address: '2 Marker Row' },
      })
    ).data!.placeOrder.id as string;
  const delivered = await place();
  const shipment = await eventually(
    () => orderView(delivered, bob),
    (order) => order?.delivery?.status === 'PREPARING',
  );
  await call(courier, `mutation($d: ID!) { completeDelivery(deliveryId: $d) { status } }`, { d: shipment.delivery.id });
  await eventually(
    () => orderView(delivered, bob),
    (order) => order?.status === 'DELIVERED',
  );
  const cancelled = await place();
  expect((await call(bob, `mutation($o: ID!) { cancelOrder(orderId: $o) { status } }`, { o: cancelled })).data!.cancelOrder.status).toBe(
    'CANCELLED',
  );
  await eventually(
    () => queryRows<{ status: string }>(shop.databases.book.url, `SELECT status FROM "StockReservation" WHERE "orderId" = $1`, [cancelled]),
    (rows) => rows[0]?.status === 'RELEASED',
  );
}

it('the whole story: order → shipment → delivered → reviewed, and a cancelled order gives its copies back once', async () => {
  const title = `The Left Hand of Darkness ${randomUUID()}`;
  await call(staff, `mutation($i: RegisterBookInput!) { registerBook(input: $i) { id } }`, {
    i: { title, author: 'Ursula K. Le Guin', publisher: 'Ace', stock: 5 },
  });

  // A customer orders two copies: the stock goes down at once, the delivery company prepares a shipment.
  const placed = await call(alice, `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id status } }`, {
    i: { title, quantity: 2, address: '7 Gethen Road' },
  });
  const orderId: string = placed.data!.placeOrder.id;
  expect(placed.data!.placeOrder.status).toBe('PLACED');
  const preparing = await eventually(
    () => orderView(orderId),
    (order) => order?.delivery?.status === 'PREPARING',
  );
  expect(preparing.book.stock).toBe(3);
  const deliveries = await call(courier, `{ deliveries(status: PREPARING) { id address status order { id quantity } } }`);
  expect(deliveries.data!.deliveries).toContainEqual({
    id: preparing.delivery.id,
    address: '7 Gethen Road',
    status: 'PREPARING',
    order: { id: orderId, quantity: 2 },
  });

  // Not delivered yet: no review; a customer cannot complete a delivery.
  // (review learns of the order from its event: until then it answers ORDER_NOT_FOUND)
  const early = await eventually(
    () =>
      call(alice, `mutation($i: WriteReviewInput!) { writeReview(input: $i) { id } }`, { i: { orderId, rating: 5, content: 'Too soon' } }),
    (result) => errorCodes(result).join() !== 'ORDER_NOT_FOUND',
  );
  expect(errorCodes(early)).toEqual(['REVIEW_NOT_ALLOWED']);
  expect(
    errorCodes(await call(alice, `mutation($d: ID!) { completeDelivery(deliveryId: $d) { status } }`, { d: preparing.delivery.id })),
  ).toEqual(['FORBIDDEN']);

  // The courier completes it: delivery, order and my page all say DELIVERED.
  const completed = await call(courier, `mutation($d: ID!) { completeDelivery(deliveryId: $d) { status } }`, { d: preparing.delivery.id });
  expect(completed.data!.completeDelivery.status).toBe('DELIVERED');
  await eventually(
    () => orderView(orderId),
    (order) => order?.status === 'DELIVERED',
  );
  await eventually(
    () => myEntry(orderId),
    (entry) => entry?.orderStatus === 'DELIVERED' && entry?.deliveryStatus === 'DELIVERED',
  );
  expect(errorCodes(await call(alice, `mutation($o: ID!) { cancelOrder(orderId: $o) { status } }`, { o: orderId }))).toEqual([
    'ORDER_NOT_CANCELLABLE',
  ]);

  // The customer reviews it, once; nobody else can.
  await eventually(
    () =>
      call(alice, `mutation($i: WriteReviewInput!) { writeReview(input: $i) { rating content } }`, {
        i: { orderId, rating: 5, content: 'Luminous.' },
      }),
    (result) => !result.errors,
  );
  expect(
    errorCodes(
      await call(alice, `mutation($i: WriteReviewInput!) { writeReview(input: $i) { id } }`, {
        i: { orderId, rating: 1, content: 'Again' },
      }),
    ),
  ).toEqual(['REVIEW_NOT_ALLOWED']);
  expect(
    errorCodes(
      await call(bob, `mutation($i: WriteReviewInput!) { writeReview(input: $i) { id } }`, {
        i: { orderId, rating: 1, content: 'Not mine' },
      }),
    ),
  ).toEqual(['FORBIDDEN']);
  const reviewed = await eventually(
    () => myEntry(orderId),
    (entry) => entry?.reviewRating === 5,
  );
  expect(reviewed).toMatchObject({
    title,
    quantity: 2,
    address: '7 Gethen Road',
    orderStatus: 'DELIVERED',
    deliveryStatus: 'DELIVERED',
    reviewRating: 5,
    reviewContent: 'Luminous.',
  });
  const delivered = await orderView(orderId);
  expect(delivered.review).toEqual({ rating: 5, content: 'Luminous.' });
  expect(delivered.book.reviews).toEqual([{ rating: 5, content: 'Luminous.' }]);

  // A second order, cancelled: the copy comes back exactly once, the shipment is cancelled.
  const second = await call(alice, `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { id } }`, {
    i: { title, quantity: 1, address: '7 Gethen Road' },
  });
  const secondId: string = second.data!.placeOrder.id;
  await eventually(
    () => orderView(secondId),
    (order) => order?.delivery?.status === 'PREPARING',
  );
  expect((await orderView(secondId)).book.stock).toBe(2);
  const cancelled = await call(alice, `mutation($o: ID!) { cancelOrder(orderId: $o) { status } }`, { o: secondId });
  expect(cancelled.data!.cancelOrder.status).toBe('CANCELLED');
  expect((await call(alice, `mutation($o: ID!) { cancelOrder(orderId: $o) { status } }`, { o: secondId })).data!.cancelOrder.status).toBe(
    'CANCELLED',
  );
  expect(errorCodes(await call(bob, `mutation($o: ID!) { cancelOrder(orderId: $o) { status } }`, { o: secondId }))).toEqual(['FORBIDDEN']);
  await eventually(
    () => orderView(secondId),
    (order) => order?.book.stock === 3 && order?.delivery?.status === 'CANCELLED',
  );
  await eventually(
    () => myEntry(secondId),
    (entry) => entry?.orderStatus === 'CANCELLED' && entry?.deliveryStatus === 'CANCELLED',
  );
  await afterEverythingBefore(title);
  // 5, less alice's 2 delivered and bob's 1 delivered: the cancelled copy came back once.
  expect((await orderView(secondId)).book.stock).toBe(2);

  // My page is a projection: emptied and replayed from the stream, it comes back the same.
  const before = (await call(alice, MY_PAGE)).data!.myPage;
  expect(before.map((entry: { orderId: string }) => entry.orderId)).toEqual([secondId, orderId]); // newest first
  await shop.processes.mypage.stop();
  expect(await runShopCommand(shop, ['mypage:rebuild'], { MYPAGE_DATABASE_URL: shop.databases.mypage.url })).toMatch(/emptied/);
  await shop.restart('mypage');
  const after = await eventually(
    async () => (await call(alice, MY_PAGE)).data!.myPage,
    (entries) => JSON.stringify(entries) === JSON.stringify(before),
  );
  expect(after).toEqual(before);
}, 120_000);

it('wrote every log line as JSON with its service, level, correlation id and trace, and none with a token, a secret or an address', () => {
  if (process.env.SHOW_LINES) console.log(shop.logs().join('\n'));
  const lines = shop.logs().map((line) => /^\[(\w+)\] (.*)$/.exec(line)!);
  const requestLines = [];
  for (const [, service, text] of lines) {
    const entry = JSON.parse(text!) as Record<string, unknown>;
    expect({ service: entry.service, level: typeof entry.level }).toEqual({ service, level: 'number' });
    if (entry.correlationId) requestLines.push(entry);
  }
  expect(requestLines.length).toBeGreaterThan(0);
  for (const entry of requestLines)
    expect(entry).toMatchObject({ trace_id: expect.stringMatching(/^[0-9a-f]{32}$/), span_id: expect.stringMatching(/^[0-9a-f]{16}$/) });
  const secrets = [staff, alice, bob, courier, TEST_JWT_SECRET, '7 Gethen Road', '2 Marker Row', 'Bearer '];
  for (const secret of secrets) expect({ secret, in: lines.filter(([line]) => line!.includes(secret)).length }).toEqual({ secret, in: 0 });
});
