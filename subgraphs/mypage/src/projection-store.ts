import { upsertRows } from '@bookshop/runtime';
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
 * Applies events, in the order they came, to the rows of their orders, inside the caller's
 * transaction (the one that records the events in the inbox, which has taken SQLite's write lock
 * already, so no row changes between the read and the write): one read of every order the events
 * name, the pure projection for each event, one write of every row that changed. Resolves with
 * each change as it was made — an entry changed twice comes twice, each version in turn.
 */
export async function projectEvents(tx: Prisma.TransactionClient, events: ProjectedEvent[]): Promise<MyPageEntry[]> {
  const orderIds = [...new Set(events.map((event) => event.payload.orderId))];
  const rows = await tx.myPageEntry.findMany({ where: { orderId: { in: orderIds } } });
  const stored = new Map(rows.map((row) => [row.orderId, row]));
  const entries = new Map<string, Entry>(rows.map((row) => [row.orderId, entryOf(row)]));
  const now = new Date();
  const versions: MyPageEntry[] = [];
  const latest = new Map<string, MyPageEntry>();
  for (const event of events) {
    const { orderId } = event.payload;
    const { entry, changed } = applyEvent(entries.get(orderId) ?? null, event);
    if (!changed) continue;
    entries.set(orderId, entry);
    const row: MyPageEntry = { orderId, ...rowOf(entry), createdAt: stored.get(orderId)?.createdAt ?? now, updatedAt: now };
    versions.push(row);
    latest.set(orderId, row);
  }
  await upsertRows(tx, 'MyPageEntry', 'orderId', [...latest.values()]);
  return versions;
}
