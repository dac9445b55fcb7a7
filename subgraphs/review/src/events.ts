import { OrderCancelled, OrderDelivered, OrderPlaced, applyOnce, on, type EventHandler } from '@bookshop/events';
import type { ReviewDatabase } from './database.js';
import type { OrderEvent } from './domain/known-orders.js';
import type { Prisma } from './generated/prisma/client.js';
import { applyOrderEvent } from './known-orders-store.js';

export const CONSUMER = 'review';

/**
 * What review learns from order's events: who ordered what, and whether it was delivered — each
 * event at most once, in whatever order they come (an event before its OrderPlaced is kept, not failed).
 */
export function reviewHandlers(db: ReviewDatabase): EventHandler[] {
  const inTransaction = (work: (tx: Prisma.TransactionClient) => Promise<void>) => db.$transaction(work);
  const learn = (eventId: string, event: OrderEvent) => applyOnce(inTransaction, CONSUMER, eventId, (tx) => applyOrderEvent(tx, event));
  return [
    on(OrderPlaced, ({ id, payload: { orderId, customerId, bookId } }) => learn(id, { type: 'OrderPlaced', orderId, customerId, bookId })),
    on(OrderDelivered, ({ id, payload: { orderId } }) => learn(id, { type: 'OrderDelivered', orderId })),
    on(OrderCancelled, ({ id, payload: { orderId } }) => learn(id, { type: 'OrderCancelled', orderId })),
  ];
}
