import { upsertRows } from '@bookshop/runtime';
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
 * Applies order's events, in the order they came, to the rows of their orders, inside the caller's
 * transaction (the one that records the events in the inbox, which holds SQLite's write lock
 * already, so no row changes between the read and the write): one read of every order the events
 * name, the pure rule for each event, one write of every row that changed.
 */
export async function applyOrderEvents(tx: Prisma.TransactionClient, events: OrderEvent[]): Promise<void> {
  const orderIds = [...new Set(events.map((event) => event.orderId))];
  const rows = await tx.reviewableOrder.findMany({ where: { orderId: { in: orderIds } } });
  const known = new Map<string, KnownOrder | null>(rows.map((row) => [row.orderId, knownOrderOf(row)]));
  const changed = new Map<string, KnownOrder>();
  for (const event of events) {
    const { order, changed: didChange } = learnOrder(known.get(event.orderId) ?? null, event);
    known.set(event.orderId, order);
    if (didChange) changed.set(order.orderId, order);
  }
  const updatedAt = new Date();
  await upsertRows(
    tx,
    'ReviewableOrder',
    'orderId',
    [...changed.values()].map((order) => ({
      orderId: order.orderId,
      customerId: order.placed?.customerId ?? null,
      bookId: order.placed?.bookId ?? null,
      status: order.status,
      updatedAt,
    })),
  );
}
