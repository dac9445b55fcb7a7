import { randomUUID } from 'node:crypto';
import { SERVICE_TOKEN_HEADER, generateServiceKey, serviceCredential } from '@bookshop/runtime';
import {
  TEST_CREDENTIALS,
  errorCodes,
  eventually,
  graphql,
  routerCredentialHeaders,
  tokenFor,
  type GraphQLResult,
} from '@bookshop/testing';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { placeOrder, registerBook } from './support/orders.js';
import { startShop, type TestShop } from './support/shop.js';

/**
 * Defence in depth: subgraphs take `_entities` only with the router's service credential, but the
 * router forwards the end user's token on every entity fetch, so each subgraph's reference
 * resolvers and fields on entities owned elsewhere apply the same viewer rules as the root fields.
 * These tests send `_entities` straight to one subgraph as the router would (its credential) but
 * with whichever user's token, then check the router paths the shop uses still work.
 */

let shop: TestShop;
const clients: Client[] = [];
let staff: string;
let alice: string;
let bob: string;
let courier: string;

beforeAll(async () => {
  shop = await startShop();
  [staff, alice, bob, courier] = await Promise.all([
    tokenFor('staff', 'sam'),
    tokenFor('customer', 'alice'),
    tokenFor('customer', 'bob'),
    tokenFor('courier', 'carl'),
  ]);
});
afterAll(async () => {
  await Promise.all(clients.map(async (client) => client.dispose())); // dispose answers void or a promise
  await shop?.stop();
});

type Representation = { __typename: string; id: string };

/** One `_entities` fetch straight to a subgraph, with the router's credential and a user's token (none: anonymous). */
async function entitiesCall(url: string, selection: string, representations: Representation[], token?: string): Promise<GraphQLResult> {
  const query = `query Entities($representations: [_Any!]!) { _entities(representations: $representations) { ${selection} } }`;
  return graphql(url, query, { representations }, { headers: await routerCredentialHeaders(), ...(token ? { token } : {}) });
}

const entity = (result: GraphQLResult) => result.data?._entities?.[0] ?? null;

/** Refused with `code`, and nothing of `secret` in the answer. */
function expectRefused(result: GraphQLResult, code: string, secret: string) {
  expect(errorCodes(result)).toEqual([code]);
  expect(JSON.stringify(result.data ?? null)).not.toContain(secret);
}

const viaRouter = (token: string, query: string, variables: Record<string, unknown> = {}) => graphql(shop.url, query, variables, { token });

/** Alice's order, placed through the router, to an address nobody else should read. */
async function aliceOrders() {
  const book = await registerBook(shop, 5);
  const address = `${randomUUID()} Private Lane`;
  const placed = await placeOrder(shop.url, alice, { title: book.title, quantity: 1, address });
  expect(placed.errors).toBeUndefined();
  return { orderId: placed.data!.placeOrder.id as string, address, book };
}

/** The order's shipment once delivery has prepared it (it learns of the order from OrderPlaced). */
async function shipmentOf(orderId: string): Promise<string> {
  const result = await eventually(
    () => entitiesCall(shop.urls.delivery, '... on Order { delivery { id } }', [{ __typename: 'Order', id: orderId }], staff),
    (answer) => Boolean(entity(answer)?.delivery),
  );
  return entity(result).delivery.id;
}

describe("only the shop's own services may ask a subgraph for _entities and _service", () => {
  const SUBGRAPHS = ['book', 'order', 'delivery', 'review', 'mypage'] as const;
  const ENTITIES = 'query { _entities(representations: [{ __typename: "Order", id: "x" }]) { __typename } }';
  const SDL = 'query { _service { sdl } }';
  // Hidden behind a fragment and an alias: the guard reads the operation, not the text.
  const DISGUISED = 'query { ...Sneaky } fragment Sneaky on Query { entities: _entities(representations: []) { __typename } }';

  it('refuses them without a credential, whatever the user token (staff included), and reveals nothing', async () => {
    for (const subgraph of SUBGRAPHS) {
      for (const query of [ENTITIES, SDL, DISGUISED]) {
        for (const token of [undefined, staff]) {
          const result = await graphql(shop.urls[subgraph], query, {}, token ? { token } : {});
          expect({ subgraph, query, codes: errorCodes(result), data: result.data ?? null }).toEqual({
            subgraph,
            query,
            codes: ['FORBIDDEN'],
            data: null,
          });
        }
      }
    }
  });

  it('refuses a credential signed by a key the subgraphs do not trust, and a malformed one', async () => {
    // (A credential the router signed claiming to be order is refused too: service-credentials.test.ts.)
    const stranger = serviceCredential(generateServiceKey('router').privateKey);
    for (const credential of [await stranger(), 'not-a-token']) {
      const result = await graphql(shop.urls.delivery, SDL, {}, { headers: { [SERVICE_TOKEN_HEADER]: credential } });
      expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
      expect(result.data ?? null).toBeNull();
    }
  });

  it("answers them to the router's and order's credentials", async () => {
    const asRouter = await graphql(shop.urls.delivery, SDL, {}, { headers: await routerCredentialHeaders() });
    expect(asRouter.data?._service.sdl).toContain('type Delivery');
    const asOrder = await graphql(
      shop.urls.book,
      SDL,
      {},
      { headers: { [SERVICE_TOKEN_HEADER]: await serviceCredential(TEST_CREDENTIALS.signingKeys.order)() } },
    );
    expect(asOrder.data?._service.sdl).toContain('type Book');
  });

  it("refuses order's internal operations (reserveStock, stopShipment) to the router's credential and to staff", async () => {
    const reserve = 'mutation { reserveStock(orderId: "o-1", title: "Dune", quantity: 1) { __typename } }';
    for (const options of [{ headers: await routerCredentialHeaders() }, { token: staff }]) {
      expect(errorCodes(await graphql(shop.urls.book, reserve, {}, options))).toEqual(['FORBIDDEN']);
    }
  });
});

describe('_entities sent straight to a subgraph', () => {
  it("order: an Order is the customer's, staff's and couriers'; anonymous and other customers are refused", async () => {
    const { orderId, address } = await aliceOrders();
    const fetchOrder = (token?: string) =>
      entitiesCall(shop.urls.order, '... on Order { id customerId address }', [{ __typename: 'Order', id: orderId }], token);

    expectRefused(await fetchOrder(), 'UNAUTHENTICATED', address);
    expectRefused(await fetchOrder(bob), 'FORBIDDEN', address);
    for (const token of [courier, staff, alice]) {
      const result = await fetchOrder(token);
      expect(result.errors).toBeUndefined();
      expect(entity(result)).toEqual({ id: orderId, customerId: 'alice', address });
    }
  });

  it("delivery: Order.delivery shows the address to the order's customer, staff and couriers only", async () => {
    const { orderId, address } = await aliceOrders();
    await shipmentOf(orderId);
    const fetchDelivery = (token?: string) =>
      entitiesCall(shop.urls.delivery, '... on Order { delivery { address status } }', [{ __typename: 'Order', id: orderId }], token);

    expectRefused(await fetchDelivery(), 'UNAUTHENTICATED', address);
    expectRefused(await fetchDelivery(bob), 'FORBIDDEN', address);
    for (const token of [courier, staff, alice]) {
      const result = await fetchDelivery(token);
      expect(result.errors).toBeUndefined();
      expect(entity(result)).toEqual({ delivery: { address, status: 'PREPARING' } });
    }
  });

  it("delivery: a Delivery by id shows the address to the order's customer, staff and couriers only", async () => {
    const { orderId, address } = await aliceOrders();
    const deliveryId = await shipmentOf(orderId);
    const fetchDelivery = (token?: string) =>
      entitiesCall(shop.urls.delivery, '... on Delivery { id address order { id } }', [{ __typename: 'Delivery', id: deliveryId }], token);

    expectRefused(await fetchDelivery(), 'UNAUTHENTICATED', address);
    expectRefused(await fetchDelivery(bob), 'FORBIDDEN', address);
    for (const token of [courier, staff, alice]) {
      const result = await fetchDelivery(token);
      expect(result.errors).toBeUndefined();
      expect(entity(result)).toEqual({ id: deliveryId, address, order: { id: orderId } });
    }
  });

  it("review: Order.review is the order's (customer, staff, couriers); Review.order its customer's and staff's; reviews and books stay public", async () => {
    const { orderId, book } = await aliceOrders();
    const deliveryId = await shipmentOf(orderId);
    const completed = await viaRouter(courier, `mutation($d: ID!) { completeDelivery(deliveryId: $d) { status } }`, { d: deliveryId });
    expect(completed.errors).toBeUndefined();
    const content = `Kept me up all night ${randomUUID()}`;
    // Review learns the order was delivered from order's events: it accepts the review once it has.
    const written = await eventually(
      () => viaRouter(alice, `mutation($i: WriteReviewInput!) { writeReview(input: $i) { id } }`, { i: { orderId, rating: 5, content } }),
      (result) => !result.errors,
    );
    const reviewId: string = written.data!.writeReview.id;

    const reviewOfOrder = (token?: string) =>
      entitiesCall(shop.urls.review, '... on Order { review { id rating content } }', [{ __typename: 'Order', id: orderId }], token);
    expectRefused(await reviewOfOrder(), 'UNAUTHENTICATED', reviewId);
    expectRefused(await reviewOfOrder(bob), 'FORBIDDEN', reviewId);
    for (const token of [courier, staff, alice]) {
      const result = await reviewOfOrder(token);
      expect(result.errors).toBeUndefined();
      expect(entity(result)).toEqual({ review: { id: reviewId, rating: 5, content } });
    }

    const orderOfReview = (token?: string) =>
      entitiesCall(shop.urls.review, '... on Review { rating order { id } }', [{ __typename: 'Review', id: reviewId }], token);
    for (const token of [undefined, bob, courier]) {
      const result = await orderOfReview(token);
      expect(result.errors).toBeUndefined();
      expect(entity(result)).toEqual({ rating: 5, order: null });
    }
    for (const token of [staff, alice]) expect(entity(await orderOfReview(token))).toEqual({ rating: 5, order: { id: orderId } });

    const reviewsOfBook = await entitiesCall(shop.urls.review, '... on Book { reviews { id content } }', [
      { __typename: 'Book', id: book.id },
    ]);
    expect(reviewsOfBook.errors).toBeUndefined();
    expect(entity(reviewsOfBook)).toEqual({ reviews: [{ id: reviewId, content }] });
    const bookEntity = await entitiesCall(shop.urls.book, '... on Book { title stock }', [{ __typename: 'Book', id: book.id }]);
    expect(bookEntity.errors).toBeUndefined();
    expect(entity(bookEntity)).toEqual({ title: book.title, stock: 4 });
  });
});

describe('the router paths the shop uses, under the same rules', () => {
  it("the customer reads their order's delivery and my page's orders; another customer is refused", async () => {
    const { orderId, address } = await aliceOrders();
    await shipmentOf(orderId);
    const ORDER = `query($id: ID!) { order(id: $id) { id delivery { status address } review { rating } } }`;

    const own = await viaRouter(alice, ORDER, { id: orderId });
    expect(own.errors).toBeUndefined();
    expect(own.data!.order).toEqual({ id: orderId, delivery: { status: 'PREPARING', address }, review: null });
    const other = await viaRouter(bob, ORDER, { id: orderId });
    expect(errorCodes(other)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(other.data ?? null)).not.toContain(address);

    const page = await eventually(
      () => viaRouter(alice, `{ myPage(first: 200) { orderId order { quantity delivery { status } } } }`),
      (result) => Boolean(result.data?.myPage?.some((entry: { orderId: string }) => entry.orderId === orderId)),
    );
    expect(page.errors).toBeUndefined();
    expect(page.data!.myPage.find((entry: { orderId: string }) => entry.orderId === orderId).order).toEqual({
      quantity: 1,
      delivery: { status: 'PREPARING' },
    });

    const shipments = await viaRouter(
      courier,
      `{ deliveries(status: PREPARING, first: 200) { address order { id address delivery { status } } } }`,
    );
    expect(shipments.errors).toBeUndefined();
    expect(shipments.data!.deliveries).toContainEqual({ address, order: { id: orderId, address, delivery: { status: 'PREPARING' } } });
  });

  it("orderStatusChanged's entity fetches carry the subscriber's token: the customer sees the book and the delivery", async () => {
    const { orderId, book } = await aliceOrders();
    await shipmentOf(orderId);
    const client = createClient({
      url: shop.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${alice}` },
    });
    clients.push(client);
    const seen: Array<Record<string, any>> = [];
    const errors: unknown[] = [];
    client.subscribe(
      {
        query: `subscription($id: ID!) { orderStatusChanged(orderId: $id) { deliveryStatus order { book { title } delivery { status } } } }`,
        variables: { id: orderId },
      },
      {
        next: (result) => {
          if (result.errors) errors.push(...result.errors);
          if (result.data?.orderStatusChanged) seen.push(result.data.orderStatusChanged as Record<string, any>);
        },
        error: (error) => errors.push(error),
        complete: () => {},
      },
    );
    const entry = await eventually(
      async () => seen.at(-1),
      (latest) => latest?.deliveryStatus === 'PREPARING',
      20_000,
    );
    expect(entry!.order).toEqual({ book: { title: book.title }, delivery: { status: 'PREPARING' } });
    expect(errors).toEqual([]);
  });
});
