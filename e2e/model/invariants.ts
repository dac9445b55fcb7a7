import type { BookLedger, RunModel } from './model.js';
import type { ShopState } from './shop-state.js';

/**
 * The invariants of the order lifecycle, checked on a settled shop: the real state (read from the
 * databases) against itself and against what the model knows the shop was given and acknowledged.
 * Each returns what it found wrong, in words; an empty list is a pass.
 */

export interface Violation {
  invariant: string;
  detail: string;
}

/** Orders a customer sees, each with the one shipment status it must have once events settled. */
const SHIPMENT_OF_VISIBLE_ORDER = new Map([
  ['PLACED', 'PREPARING'],
  ['DELIVERED', 'DELIVERED'],
  ['CANCELLED', 'CANCELLED'],
]);
const isVisible = (status: string | undefined) => status !== undefined && SHIPMENT_OF_VISIBLE_ORDER.has(status);
const HOLDS_COPIES = new Set(['PLACED', 'DELIVERED']);

export const INVARIANTS = {
  stock: 'stock of each book = registered + restocked − copies of its PLACED and DELIVERED orders',
  orderMatchesShipment:
    'every order is (PLACED, PREPARING), (DELIVERED, DELIVERED) or (CANCELLED, CANCELLED); a PENDING/REJECTED order has no shipment and holds no copies',
  reviews: 'reviews only on delivered orders, at most one per order',
  myPage: 'my page agrees with order, delivery and review for every order',
  idempotency: 'one idempotency key (per customer), one order',
  acknowledged:
    'what the shop acknowledged holds: placed orders exist, a cancel answered CANCELLED stays cancelled, a completion answered DELIVERED stays delivered, an accepted review exists',
} as const;

export function checkInvariants(model: RunModel, state: ShopState): Violation[] {
  return [
    ...stockAddsUp(model, state),
    ...ordersMatchShipments(state),
    ...reviewsOnlyOnDeliveredOrders(state),
    ...myPageAgrees(state),
    ...oneOrderPerIdempotencyKey(model, state),
    ...acknowledgedOutcomesHold(model, state),
  ];
}

function stockAddsUp(model: RunModel, state: ShopState): Violation[] {
  const violations: Violation[] = [];
  for (const ledger of model.books) {
    const book = state.books.find((row) => row.title === ledger.title);
    if (!book) {
      if (ledger.registrations.some((registration) => registration.certainty === 'applied')) {
        violations.push({ invariant: INVARIANTS.stock, detail: `${ledger.title} was registered but is not in the catalogue` });
      }
      continue;
    }
    const heldCopies = state.orders
      .filter((order) => order.title === ledger.title && HOLDS_COPIES.has(order.status))
      .reduce((sum, order) => sum + order.quantity, 0);
    const allowed = [...possibleCopiesGiven(ledger)].map((given) => given - heldCopies);
    if (!allowed.includes(book.stock)) {
      violations.push({
        invariant: INVARIANTS.stock,
        detail: `${ledger.title}: stock ${book.stock}, expected ${allowed.join(' or ')} (given ${describeGiven(ledger)}, ${heldCopies} held by placed/delivered orders)`,
      });
    }
  }
  return violations;
}

/**
 * Every total of copies the book may have been given: the registration that succeeded (or, when
 * none answered, one of those with unknown outcome) plus the certain restocks plus any subset of
 * the restocks whose outcome is unknown.
 */
function possibleCopiesGiven(ledger: BookLedger): Set<number> {
  const applied = ledger.registrations.filter((registration) => registration.certainty === 'applied');
  const bases = (applied.length ? applied : ledger.registrations).map((registration) => registration.stock);
  const certain = ledger.restocks.filter((restock) => restock.certainty === 'applied').reduce((sum, restock) => sum + restock.quantity, 0);
  let totals = new Set(bases.map((base) => base + certain));
  for (const unknown of ledger.restocks.filter((restock) => restock.certainty === 'unknown')) {
    totals = new Set([...totals, ...[...totals].map((total) => total + unknown.quantity)]);
  }
  return totals;
}

const describeGiven = (ledger: BookLedger) =>
  [
    ...ledger.registrations.map((r) => `registered ${r.stock}${r.certainty === 'unknown' ? '?' : ''}`),
    ...ledger.restocks.map((r) => `restocked ${r.quantity}${r.certainty === 'unknown' ? '?' : ''}`),
  ].join(', ');

function ordersMatchShipments(state: ShopState): Violation[] {
  const violations: Violation[] = [];
  for (const order of state.orders) {
    const shipments = state.deliveries.filter((delivery) => delivery.orderId === order.id);
    const expected = SHIPMENT_OF_VISIBLE_ORDER.get(order.status);
    const actual = shipments.map((shipment) => shipment.status).join(', ') || 'no shipment';
    if (expected ? actual !== expected : actual !== 'no shipment') {
      violations.push({
        invariant: INVARIANTS.orderMatchesShipment,
        detail: `order ${order.id} is ${order.status}, its shipment: ${actual}`,
      });
    }
    const reserved = state.reservations.find((reservation) => reservation.orderId === order.id && reservation.status === 'RESERVED');
    if (!expected && reserved) {
      violations.push({
        invariant: INVARIANTS.orderMatchesShipment,
        detail: `order ${order.id} is ${order.status} but book still holds ${reserved.quantity} copies for it`,
      });
    }
  }
  return violations;
}

function reviewsOnlyOnDeliveredOrders(state: ShopState): Violation[] {
  const violations: Violation[] = [];
  const reviewsPerOrder = new Map<string, number>();
  for (const review of state.reviews) {
    reviewsPerOrder.set(review.orderId, (reviewsPerOrder.get(review.orderId) ?? 0) + 1);
    const order = state.orders.find((row) => row.id === review.orderId);
    if (order?.status !== 'DELIVERED') {
      violations.push({
        invariant: INVARIANTS.reviews,
        detail: `review ${review.id} is on order ${review.orderId}, which is ${order?.status ?? 'unknown to order'}`,
      });
    }
  }
  for (const [orderId, count] of reviewsPerOrder) {
    if (count > 1) violations.push({ invariant: INVARIANTS.reviews, detail: `order ${orderId} has ${count} reviews` });
  }
  return violations;
}

function myPageAgrees(state: ShopState): Violation[] {
  const violations: Violation[] = [];
  const visible = state.orders.filter((order) => isVisible(order.status));
  for (const order of visible) {
    const entry = state.myPage.find((row) => row.orderId === order.id);
    const expected = {
      orderStatus: order.status,
      deliveryStatus: state.deliveries.find((delivery) => delivery.orderId === order.id)?.status ?? null,
      reviewRating: state.reviews.find((review) => review.orderId === order.id)?.rating ?? null,
    };
    const shown = entry && { orderStatus: entry.orderStatus, deliveryStatus: entry.deliveryStatus, reviewRating: entry.reviewRating };
    if (JSON.stringify(shown) !== JSON.stringify(expected)) {
      violations.push({
        invariant: INVARIANTS.myPage,
        detail: `order ${order.id}: my page shows ${JSON.stringify(shown ?? 'no entry')}, the contexts say ${JSON.stringify(expected)}`,
      });
    }
  }
  for (const entry of state.myPage) {
    if (!visible.some((order) => order.id === entry.orderId)) {
      const status = state.orders.find((order) => order.id === entry.orderId)?.status ?? 'unknown to order';
      violations.push({ invariant: INVARIANTS.myPage, detail: `my page shows order ${entry.orderId}, which is ${status}` });
    }
  }
  return violations;
}

function oneOrderPerIdempotencyKey(model: RunModel, state: ShopState): Violation[] {
  const violations: Violation[] = [];
  for (const [key, ids] of model.answersByKey) {
    if (ids.size > 1)
      violations.push({ invariant: INVARIANTS.idempotency, detail: `key ${key} was answered with orders ${[...ids].join(', ')}` });
  }
  const rowsPerKey = new Map<string, string[]>();
  for (const order of state.orders.filter((row) => row.idempotencyKey !== null)) {
    const key = `${order.customerId}/${order.idempotencyKey}`;
    rowsPerKey.set(key, [...(rowsPerKey.get(key) ?? []), order.id]);
  }
  for (const [key, ids] of rowsPerKey) {
    if (ids.length > 1) violations.push({ invariant: INVARIANTS.idempotency, detail: `key ${key} holds orders ${ids.join(', ')}` });
  }
  return violations;
}

function acknowledgedOutcomesHold(model: RunModel, state: ShopState): Violation[] {
  const violations: Violation[] = [];
  const fail = (detail: string) => violations.push({ invariant: INVARIANTS.acknowledged, detail });
  for (const known of model.orders) {
    const order = state.orders.find((row) => row.id === known.id);
    const shipment = state.deliveries.find((delivery) => delivery.orderId === known.id);
    if (!isVisible(order?.status)) fail(`order ${known.id} was placed, but is ${order?.status ?? 'missing'}`);
    if (known.cancelAcknowledged && known.deliveryAcknowledged)
      fail(`order ${known.id}: both its cancel (CANCELLED) and its delivery (DELIVERED) were acknowledged`);
    if (known.cancelAcknowledged && order?.status !== 'CANCELLED')
      fail(`order ${known.id} was acknowledged CANCELLED, but is ${order?.status}`);
    if (known.deliveryAcknowledged && shipment?.status !== 'DELIVERED')
      fail(`the shipment of order ${known.id} was acknowledged DELIVERED, but is ${shipment?.status ?? 'missing'}`);
    if (known.reviewAcknowledged !== null) {
      const review = state.reviews.find((row) => row.orderId === known.id);
      if (review?.rating !== known.reviewAcknowledged)
        fail(
          `order ${known.id}: a ${known.reviewAcknowledged}★ review was accepted, the review context holds ${review ? `${review.rating}★` : 'none'}`,
        );
    }
  }
  return violations;
}
