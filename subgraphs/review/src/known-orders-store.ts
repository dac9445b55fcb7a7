import { learnOrder, type KnownOrder, type OrderEvent, type OrderStatus } from './domain/known-orders.js';
import type { Prisma, ReviewableOrder } from './generated/prisma/client.js';

/** A stored row as the rule sees it. A row without a customer is a placeholder. */
export function knownOrderOf(row: ReviewableOrder): KnownOrder {
  const { customerId, bookId } = row;
  return {
    orderId: row.orderId,
    placed: customerId !== null && bookId !== null ? { customerId, bookId } : null,
    status: row.status as OrderStatus,
  };
}

/**
 * Applies one of order's events to its row, inside the caller's transaction (the one that records
 * the event in the inbox, which holds SQLite's write lock already, so the row cannot change between
 * the read and the write). The pure rule decides; this only reads and writes.
 */
export async function applyOrderEvent(tx: Prisma.TransactionClient, event: OrderEvent): Promise<void> {
  const { orderId } = event;
  const row = await tx.reviewableOrder.findUnique({ where: { orderId } });
  const { order, changed } = learnOrder(row ? knownOrderOf(row) : null, event);
  if (!changed) return;
  const data = { customerId: order.placed?.customerId ?? null, bookId: order.placed?.bookId ?? null, status: order.status };
  await (row ? tx.reviewableOrder.update({ where: { orderId }, data }) : tx.reviewableOrder.create({ data: { orderId, ...data } }));
}
