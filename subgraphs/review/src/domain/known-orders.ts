/**
 * What review knows of an order, from order's events only, and how each event changes it — as
 * plain data, with no database. Order's events reach review in no guaranteed order and may come
 * again, so the rule is order-independent: the status only moves forward (PLACED → DELIVERED or
 * PLACED → CANCELLED, both terminal), who ordered which book is learnt once and kept, and an event
 * that comes before its order's OrderPlaced makes a placeholder that keeps what it said instead of
 * failing until the consumer parks it in the dead letters.
 */

export type OrderStatus = 'PLACED' | 'DELIVERED' | 'CANCELLED';

export interface KnownOrder {
  orderId: string;
  /** Who placed the order, for which book: null while OrderPlaced has not come (a placeholder). */
  placed: { customerId: string; bookId: string } | null;
  status: OrderStatus;
}

export type OrderEvent =
  | { type: 'OrderPlaced'; orderId: string; customerId: string; bookId: string }
  | { type: 'OrderDelivered'; orderId: string }
  | { type: 'OrderCancelled'; orderId: string };

/** The statuses each status may still move to: terminal ones have none. */
const LATER: Record<OrderStatus, readonly OrderStatus[]> = { PLACED: ['DELIVERED', 'CANCELLED'], DELIVERED: [], CANCELLED: [] };

const moveTo = (order: KnownOrder, status: OrderStatus): KnownOrder =>
  LATER[order.status].includes(status) ? { ...order, status } : order;

function learn(order: KnownOrder, event: OrderEvent): KnownOrder {
  switch (event.type) {
    case 'OrderPlaced':
      return order.placed ? order : { ...order, placed: { customerId: event.customerId, bookId: event.bookId } };
    case 'OrderDelivered':
      return moveTo(order, 'DELIVERED');
    case 'OrderCancelled':
      return moveTo(order, 'CANCELLED');
  }
}

/**
 * Applies one of order's events to what review knows of that order (`null`: nothing yet).
 * `changed` is false when the event teaches nothing new: a repeat, or a status that would move back.
 */
export function learnOrder(current: KnownOrder | null, event: OrderEvent): { order: KnownOrder; changed: boolean } {
  const before: KnownOrder = current ?? { orderId: event.orderId, placed: null, status: 'PLACED' };
  const after = learn(before, event);
  return { order: after, changed: current === null || after !== before };
}
