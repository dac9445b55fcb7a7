import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyEvent, type DeliveryStatus, type Entry, type OrderStatus, type ProjectedEvent } from './projection.js';

const orderId = 'order-1';
const details = { customerId: 'alice', bookId: 'book-1', title: 'Dune', quantity: 2, address: '1 Arrakis Way' };

// One of each event of an order. A repeat in a sequence is the same fact again: a redelivery, or a
// replay under another event id (which the inbox cannot tell apart).
const placed: ProjectedEvent = { type: 'OrderPlaced', payload: { orderId, ...details } };
const started: ProjectedEvent = { type: 'DeliveryStarted', payload: { deliveryId: 'd-1', orderId, address: details.address } };
const completed: ProjectedEvent = { type: 'DeliveryCompleted', payload: { deliveryId: 'd-1', orderId } };
const deliveryCancelled: ProjectedEvent = { type: 'DeliveryCancelled', payload: { deliveryId: 'd-1', orderId } };
const delivered: ProjectedEvent = { type: 'OrderDelivered', payload: { orderId, customerId: 'alice' } };
const cancelled: ProjectedEvent = { type: 'OrderCancelled', payload: { orderId, customerId: 'alice' } };
const reviewed: ProjectedEvent = {
  type: 'ReviewWritten',
  payload: { reviewId: 'r-1', orderId, bookId: details.bookId, customerId: 'alice', rating: 5, content: 'Luminous.' },
};
const released: ProjectedEvent = { type: 'StockReleased', payload: { orderId, bookId: details.bookId, quantity: 2, stock: 3 } };

/** Each lifecycle of an order, its events in their natural order (catalogue.ts, docs/architecture.md "Events"). */
const LIFECYCLES: Record<string, ProjectedEvent[]> = {
  'delivered and reviewed': [placed, started, completed, delivered, reviewed],
  'delivered, its DeliveryStarted never seen': [placed, completed, delivered, reviewed],
  'delivered, not reviewed': [placed, started, completed, delivered],
  cancelled: [placed, started, deliveryCancelled, cancelled, released],
  'cancelled before delivery started': [placed, deliveryCancelled, cancelled, released],
};

const project = (events: ProjectedEvent[], from: Entry | null = null): Entry | null =>
  events.reduce<Entry | null>((entry, event) => applyEvent(entry, event).entry, from);

function* permutations<T>(items: T[]): Generator<T[]> {
  if (items.length <= 1) return yield items;
  for (let i = 0; i < items.length; i++) {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [items[i]!, ...rest];
  }
}

const ORDER_RANK: Record<OrderStatus, number> = { PLACED: 0, DELIVERED: 1, CANCELLED: 1 };
const DELIVERY_RANK: Record<DeliveryStatus, number> = { PREPARING: 1, DELIVERED: 2, CANCELLED: 2 };
const deliveryRank = (status: DeliveryStatus | null) => (status ? DELIVERY_RANK[status] : 0);

const anyEvent = fc.constantFrom(placed, started, completed, deliveryCancelled, delivered, cancelled, reviewed, released, {
  ...reviewed,
  payload: { ...reviewed.payload, reviewId: 'r-2', rating: 1, content: 'A second opinion' },
} as ProjectedEvent);

/** A lifecycle's events, each at least once and any of them again, in any order. */
const shuffledWithRepeats = (events: ProjectedEvent[]): fc.Arbitrary<ProjectedEvent[]> =>
  events.length === 0
    ? fc.constant([])
    : fc
        .array(fc.constantFrom(...events), { maxLength: 8 })
        .chain((repeats) => fc.shuffledSubarray([...events, ...repeats], { minLength: events.length + repeats.length }));

describe('my page projection', () => {
  it('gives, in the natural order, the entry each lifecycle should end in', () => {
    expect(project(LIFECYCLES['delivered and reviewed']!)).toEqual({
      orderId,
      details,
      orderStatus: 'DELIVERED',
      deliveryStatus: 'DELIVERED',
      deliveryStarted: true,
      review: { rating: 5, content: 'Luminous.' },
      stockReleased: false,
      version: 5,
    });
    expect(project(LIFECYCLES['cancelled before delivery started']!)).toEqual({
      orderId,
      details,
      orderStatus: 'CANCELLED',
      deliveryStatus: 'CANCELLED',
      deliveryStarted: false,
      review: null,
      stockReleased: true,
      version: 4,
    });
  });

  it.each(Object.entries(LIFECYCLES))(
    "every permutation of one order's events gives the same entry (%s), also with a repeat",
    (_, natural) => {
      const expected = project(natural);
      for (const arrived of permutations(natural)) expect(project(arrived)).toEqual(expected);
      // One of them delivered twice, wherever each copy falls.
      for (const repeated of natural) {
        for (const arrived of permutations([...natural, repeated])) expect(project(arrived)).toEqual(expected);
      }
    },
  );

  it("every part of a lifecycle gives the same entry in any order: an order's events so far, however they came", () => {
    for (const natural of Object.values(LIFECYCLES)) {
      fc.assert(
        fc.property(
          fc.subarray(natural).chain((part) => fc.tuple(fc.constant(part), shuffledWithRepeats(part))),
          ([part, arrived]) => {
            expect(project(arrived)).toEqual(project(part));
          },
        ),
      );
    }
  });

  it('every shuffle of a lifecycle with any number of repeats gives the entry of its natural order', () => {
    for (const natural of Object.values(LIFECYCLES)) {
      const expected = project(natural);
      fc.assert(
        fc.property(shuffledWithRepeats(natural), (arrived) => {
          expect(project(arrived)).toEqual(expected);
        }),
      );
    }
  });

  it('a status never moves backwards, and what an entry learnt it keeps, whatever events come', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 30 }), (events) => {
        let entry: Entry | null = null;
        for (const event of events) {
          const next: Entry = applyEvent(entry, event).entry;
          if (entry) {
            expect(ORDER_RANK[next.orderStatus]).toBeGreaterThanOrEqual(ORDER_RANK[entry.orderStatus]);
            if (ORDER_RANK[entry.orderStatus] === 1) expect(next.orderStatus).toBe(entry.orderStatus); // terminal
            expect(deliveryRank(next.deliveryStatus)).toBeGreaterThanOrEqual(deliveryRank(entry.deliveryStatus));
            if (deliveryRank(entry.deliveryStatus) === 2) expect(next.deliveryStatus).toBe(entry.deliveryStatus); // terminal
            if (entry.details) expect(next.details).toEqual(entry.details);
            if (entry.review) expect(next.review).toEqual(entry.review);
            if (entry.deliveryStarted) expect(next.deliveryStarted).toBe(true);
            if (entry.stockReleased) expect(next.stockReleased).toBe(true);
          }
          entry = next;
        }
      }),
    );
  });

  it('version counts changes: it rises by one exactly when the entry really changed', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { minLength: 1, maxLength: 30 }), (events) => {
        let entry: Entry | null = null;
        let changes = 0;
        for (const event of events) {
          const result = applyEvent(entry, event);
          if (result.changed) {
            changes++;
            const { version: _before, ...was } = entry ?? { version: 0 };
            const { version: _after, ...is } = result.entry;
            expect(is).not.toEqual(was);
          } else {
            expect(result.entry).toEqual(entry);
          }
          expect(result.entry.version).toBe(changes);
          entry = result.entry;
        }
      }),
    );
  });

  it('applying an event a second time changes nothing', () => {
    fc.assert(
      fc.property(fc.array(anyEvent, { maxLength: 20 }), anyEvent, (before, event) => {
        const once = applyEvent(project(before), event).entry;
        expect(applyEvent(once, event)).toEqual({ entry: once, changed: false });
      }),
    );
  });

  it('an event before OrderPlaced makes a placeholder that keeps what it said, and OrderPlaced fills it in', () => {
    const early = project([completed, cancelled]);
    expect(early).toMatchObject({ details: null, orderStatus: 'CANCELLED', deliveryStatus: 'DELIVERED', version: 2 });
    expect(project([placed], early)).toMatchObject({ details, orderStatus: 'CANCELLED', deliveryStatus: 'DELIVERED', version: 3 });
  });

  it('a DeliveryStarted after DeliveryCompleted leaves DELIVERED; counted once if it is new, not at all if it is a repeat', () => {
    const done = project([placed, completed])!;
    expect(applyEvent(done, started)).toMatchObject({
      changed: true,
      entry: { deliveryStatus: 'DELIVERED', deliveryStarted: true, version: 3 },
    });
    const again = project([placed, started, completed])!;
    expect(applyEvent(again, started)).toEqual({ entry: again, changed: false });
  });

  it('StockReleased changes the entry once (subscribers see the restored stock), however often it comes', () => {
    const releasedOnce = project([placed, cancelled, released])!;
    expect(releasedOnce).toMatchObject({ orderStatus: 'CANCELLED', stockReleased: true, version: 3 });
    expect(applyEvent(releasedOnce, released)).toEqual({ entry: releasedOnce, changed: false });
  });
});
