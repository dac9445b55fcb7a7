import type { MyPageEntry } from './database.js';
import { applyEvent, type DeliveryStatus, type Entry, type OrderStatus, type ProjectedEvent } from './domain/projection.js';
import type { Prisma } from './generated/prisma/client.js';

/** A stored row as the projection sees it. A row without a customer is a placeholder. */
function entryOf(row: MyPageEntry): Entry {
  const { customerId, bookId, title, quantity, address } = row;
  return {
    orderId: row.orderId,
    details:
      customerId !== null && title !== null && quantity !== null && address !== null
        ? { customerId, bookId, title, quantity, address }
        : null,
    orderStatus: row.orderStatus as OrderStatus,
    deliveryStatus: row.deliveryStatus as DeliveryStatus | null,
    deliveryStarted: row.deliveryStarted,
    review: row.reviewRating !== null ? { rating: row.reviewRating, content: row.reviewContent ?? '' } : null,
    stockReleased: row.stockReleased,
    version: row.version,
  };
}

/** The columns an entry is stored in. */
function rowOf(entry: Entry) {
  return {
    customerId: entry.details?.customerId ?? null,
    bookId: entry.details?.bookId ?? '',
    title: entry.details?.title ?? null,
    quantity: entry.details?.quantity ?? null,
    address: entry.details?.address ?? null,
    orderStatus: entry.orderStatus,
    deliveryStatus: entry.deliveryStatus,
    deliveryStarted: entry.deliveryStarted,
    reviewRating: entry.review?.rating ?? null,
    reviewContent: entry.review?.content ?? null,
    stockReleased: entry.stockReleased,
    version: entry.version,
  };
}

/**
 * Applies one event to its order's row, inside the caller's transaction (the one that records the
 * event in the inbox, which has taken SQLite's write lock already, so the row cannot change between
 * the read and the write). The pure projection decides; this only reads and writes.
 * Resolves with the row as written when the event changed it, or null when it changed nothing.
 */
export async function projectEvent(tx: Prisma.TransactionClient, event: ProjectedEvent): Promise<MyPageEntry | null> {
  const { orderId } = event.payload;
  const row = await tx.myPageEntry.findUnique({ where: { orderId } });
  const { entry, changed } = applyEvent(row ? entryOf(row) : null, event);
  if (!changed) return null;
  const data = rowOf(entry);
  return row ? tx.myPageEntry.update({ where: { orderId }, data }) : tx.myPageEntry.create({ data: { orderId, ...data } });
}
