import { OrderCancelled, OrderDelivered, OrderPlaced, applyOnce, on, type EventHandler } from '@bookshop/events';
import type { ReviewDatabase } from './database.js';
import { learnOrder, setOrderStatus } from './domain/reviews.js';
import type { Prisma } from './generated/prisma/client.js';

export const CONSUMER = 'review';

/** What review learns from order's events: who ordered what, and whether it was delivered. */
export function reviewHandlers(db: ReviewDatabase): EventHandler[] {
  const inTransaction = (work: (tx: Prisma.TransactionClient) => Promise<void>) => db.$transaction(work);
  return [
    on(OrderPlaced, (event) => applyOnce(inTransaction, CONSUMER, event.id, (tx) => learnOrder(tx, event.payload))),
    on(OrderDelivered, (event) => applyOnce(inTransaction, CONSUMER, event.id, (tx) => setOrderStatus(tx, event.payload.orderId, 'DELIVERED'))),
    on(OrderCancelled, (event) => applyOnce(inTransaction, CONSUMER, event.id, (tx) => setOrderStatus(tx, event.payload.orderId, 'CANCELLED'))),
  ];
}
