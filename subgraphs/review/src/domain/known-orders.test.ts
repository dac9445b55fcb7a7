import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { learnOrder, type KnownOrder, type OrderEvent, type OrderStatus } from './known-orders.js';

const orderId = 'order-1';
const placed: OrderEvent = { type: 'OrderPlaced', orderId, customerId: 'alice', bookId: 'book-1' };
const delivered: OrderEvent = { type: 'OrderDelivered', orderId };
const cancelled: OrderEvent = { type: 'OrderCancelled', orderId };

/** Each lifecycle of an order as review sees it, in its natural order. */
const LIFECYCLES: Record<string, OrderEvent[]> = { delivered: [placed, delivered], cancelled: [placed, cancelled] };

const learnAll = (events: OrderEvent[]) => events.reduce<KnownOrder | null>((order, event) => learnOrder(order, event).order, null);

const RANK: Record<OrderStatus, number> = { PLACED: 0, DELIVERED: 1, CANCELLED: 1 };

/** A lifecycle's events, each at least once and any of them again, in any order. */
const shuffledWithRepeats = (events: OrderEvent[]) =>
  fc
    .array(fc.constantFrom(...events), { maxLength: 6 })
    .chain((repeats) => fc.shuffledSubarray([...events, ...repeats], { minLength: events.length + repeats.length }));

describe("review's knowledge of an order", () => {
  it("every permutation of one order's events, with any repeats, gives what the natural order gives", () => {
    expect(learnAll(LIFECYCLES.delivered!)).toEqual({ orderId, placed: { customerId: 'alice', bookId: 'book-1' }, status: 'DELIVERED' });
    expect(learnAll([delivered, placed])).toEqual(learnAll(LIFECYCLES.delivered!));
    expect(learnAll([cancelled, placed])).toEqual(learnAll(LIFECYCLES.cancelled!));
    for (const natural of Object.values(LIFECYCLES)) {
      const expected = learnAll(natural);
      fc.assert(
        fc.property(shuffledWithRepeats(natural), (arrived) => {
          expect(learnAll(arrived)).toEqual(expected);
        }),
      );
    }
  });

  it('a status never moves backwards, nor from one terminal status to the other, and whose order it is stays', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(placed, delivered, cancelled, { ...placed, customerId: 'mallory' }), { maxLength: 20 }),
        (events) => {
          let order: KnownOrder | null = null;
          for (const event of events) {
            const next: KnownOrder = learnOrder(order, event).order;
            if (order) {
              expect(RANK[next.status]).toBeGreaterThanOrEqual(RANK[order.status]);
              if (RANK[order.status] === 1) expect(next.status).toBe(order.status);
              if (order.placed) expect(next.placed).toEqual(order.placed);
            }
            order = next;
          }
        },
      ),
    );
  });

  it('an event that teaches nothing new changes nothing', () => {
    const done = learnAll([placed, delivered]);
    expect(learnOrder(done, placed)).toEqual({ order: done, changed: false });
    expect(learnOrder(done, delivered)).toEqual({ order: done, changed: false });
    expect(learnOrder(done, cancelled)).toEqual({ order: done, changed: false });
  });

  it('an event before OrderPlaced makes a placeholder, with no customer, that OrderPlaced fills in', () => {
    const early = learnOrder(null, delivered);
    expect(early).toEqual({ order: { orderId, placed: null, status: 'DELIVERED' }, changed: true });
    expect(learnOrder(early.order, placed)).toEqual({
      order: { orderId, placed: { customerId: 'alice', bookId: 'book-1' }, status: 'DELIVERED' },
      changed: true,
    });
  });
});
