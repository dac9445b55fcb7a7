import { OrderCancelled, OrderDelivered, OrderPlaced, type Consumption, type EventEnvelope } from '@bookshop/events';
import type { OrderEvent } from './domain/known-orders.js';
import type { Prisma } from './generated/prisma/client.js';
import { applyOrderEvents } from './known-orders-store.js';

/** An event of order's as review's rule reads it (the consumer validated its payload against its type). */
function orderEventOf({ type, payload }: EventEnvelope): OrderEvent {
  const { orderId, customerId, bookId } = payload as { orderId: string; customerId: string; bookId: string };
  return type === 'OrderPlaced' ? { type, orderId, customerId, bookId } : { type: type as 'OrderDelivered' | 'OrderCancelled', orderId };
}

/**
 * What review learns from order's events: who ordered what, and whether it was delivered — each
 * event at most once, in whatever order they come (an event before its OrderPlaced is kept, not failed).
 */
export function reviewConsumption(): Consumption<Prisma.TransactionClient> {
  return {
    events: [OrderPlaced, OrderDelivered, OrderCancelled],
    apply: ({ tx, events }) => applyOrderEvents(tx, events.map(orderEventOf)),
  };
}
