import { describe, expect, it } from 'vitest';
import { INVARIANTS, checkInvariants } from './invariants.js';
import { RunModel } from './model.js';
import type { ShopState } from './shop-state.js';

/** Each invariant can fail: a consistent state passes, and each kind of damage is named. */

const ORDER_A = '00000000-0000-7000-8000-00000000000a';
const ORDER_B = '00000000-0000-7000-8000-00000000000b';

function consistentRun() {
  const model = new RunModel();
  const [alice] = model.customers as [string];
  const book = model.books[0]!;
  book.id = 'book-1';
  book.registrations.push({ stock: 5, certainty: 'applied' });
  book.restocks.push({ quantity: 2, certainty: 'applied' }, { quantity: 3, certainty: 'unknown' });
  model.rememberOrder(ORDER_A, alice, 'k0').deliveryAcknowledged = true;
  model.rememberOrder(ORDER_A, alice, 'k0').reviewAcknowledged = 4;
  model.rememberOrder(ORDER_B, alice, null).cancelAcknowledged = true;
  const state: ShopState = {
    // 5 + 2 (+ 3 unknown) given, 2 held by the delivered order A: 5 or 8.
    books: [{ id: 'book-1', title: book.title, stock: 8 }],
    orders: [
      { id: ORDER_A, customerId: alice, title: book.title, quantity: 2, status: 'DELIVERED', idempotencyKey: 'k0' },
      { id: ORDER_B, customerId: alice, title: book.title, quantity: 1, status: 'CANCELLED', idempotencyKey: null },
    ],
    reservations: [
      { orderId: ORDER_A, quantity: 2, status: 'RESERVED' },
      { orderId: ORDER_B, quantity: 1, status: 'RELEASED' },
    ],
    deliveries: [
      { id: 'd-a', orderId: ORDER_A, status: 'DELIVERED' },
      { id: 'd-b', orderId: ORDER_B, status: 'CANCELLED' },
    ],
    reviews: [{ id: 'r-a', orderId: ORDER_A, customerId: alice, rating: 4 }],
    myPage: [
      { orderId: ORDER_A, customerId: alice, orderStatus: 'DELIVERED', deliveryStatus: 'DELIVERED', reviewRating: 4 },
      { orderId: ORDER_B, customerId: alice, orderStatus: 'CANCELLED', deliveryStatus: 'CANCELLED', reviewRating: null },
    ],
  };
  return { model, state };
}

const violated = (run: ReturnType<typeof consistentRun>) => [...new Set(checkInvariants(run.model, run.state).map((v) => v.invariant))];

describe('the model test invariants', () => {
  it('a consistent state passes, whichever way an unknown restock went', () => {
    const run = consistentRun();
    expect(checkInvariants(run.model, run.state)).toEqual([]);
    run.state.books[0]!.stock = 5;
    expect(checkInvariants(run.model, run.state)).toEqual([]);
  });

  it('copies leaked or given twice break the stock sum', () => {
    const run = consistentRun();
    run.state.books[0]!.stock = 7;
    expect(violated(run)).toEqual([INVARIANTS.stock]);
  });

  it('a cancel and a delivery that both won break the order/shipment pairing and what was acknowledged', () => {
    const run = consistentRun();
    run.model.orders[1]!.deliveryAcknowledged = true;
    run.state.deliveries[1]!.status = 'DELIVERED';
    run.state.myPage[1]!.deliveryStatus = 'DELIVERED';
    expect(violated(run)).toEqual([INVARIANTS.orderMatchesShipment, INVARIANTS.acknowledged]);
  });

  it('a rejected order still holding copies breaks the pairing', () => {
    const run = consistentRun();
    run.state.orders.push({
      id: 'rejected',
      customerId: run.model.customers[1]!,
      title: 'other',
      quantity: 1,
      status: 'REJECTED',
      idempotencyKey: null,
    });
    run.state.reservations.push({ orderId: 'rejected', quantity: 1, status: 'RESERVED' });
    expect(violated(run)).toEqual([INVARIANTS.orderMatchesShipment]);
  });

  it('a review of an order that is not delivered, or a second review, breaks the review invariant', () => {
    const run = consistentRun();
    run.state.reviews.push({ id: 'r-b', orderId: ORDER_B, customerId: run.model.customers[0]!, rating: 1 });
    run.state.myPage[1]!.reviewRating = 1;
    expect(violated(run)).toEqual([INVARIANTS.reviews]);
    run.state.reviews.push({ id: 'r-a2', orderId: ORDER_A, customerId: run.model.customers[0]!, rating: 4 });
    expect(checkInvariants(run.model, run.state).filter((v) => v.invariant === INVARIANTS.reviews)).toHaveLength(2);
  });

  it('my page gone backwards, or missing an order, disagrees with the contexts', () => {
    const run = consistentRun();
    run.state.myPage[0]!.deliveryStatus = 'PREPARING';
    expect(violated(run)).toEqual([INVARIANTS.myPage]);
    run.state.myPage.pop();
    expect(checkInvariants(run.model, run.state).filter((v) => v.invariant === INVARIANTS.myPage)).toHaveLength(2);
  });

  it('one idempotency key answered with two orders breaks idempotency', () => {
    const run = consistentRun();
    run.model.rememberOrder(ORDER_B, run.model.customers[0]!, 'k0');
    expect(violated(run)).toEqual([INVARIANTS.idempotency]);
  });

  it('an acknowledged order that is not there, or a lost review, breaks what was acknowledged', () => {
    const run = consistentRun();
    run.state.reviews = [];
    run.state.myPage[0]!.reviewRating = null;
    expect(violated(run)).toEqual([INVARIANTS.acknowledged]);
  });
});
