import type { PageArgs } from '@bookshop/runtime';
import type { MyPageDatabase, MyPageEntry } from './database.js';

/** An entry its OrderPlaced has filled in: the only kind customers and subscribers ever see. */
export type VisibleEntry = MyPageEntry & { customerId: string; title: string; quantity: number; address: string };

/** False for a placeholder: events of an order that came before its OrderPlaced. */
export const isVisible = (row: MyPageEntry): row is VisibleEntry =>
  row.customerId !== null && row.title !== null && row.quantity !== null && row.address !== null;

// Placeholders have no customer, so a query by customer never finds one; the filter only tells TypeScript so.

/** A customer's entries, newest first (order ids are time-ordered UUIDv7). */
export async function listEntriesOfCustomer(db: MyPageDatabase, customerId: string, page: PageArgs): Promise<VisibleEntry[]> {
  const rows = await db.myPageEntry.findMany({
    where: { customerId, ...(page.after ? { orderId: { lt: page.after } } : {}) },
    orderBy: { orderId: 'desc' },
    take: page.first,
  });
  return rows.filter(isVisible);
}

/** Every entry of a customer, oldest first: what a new subscriber of their my page gets first. */
export async function allEntriesOfCustomer(db: MyPageDatabase, customerId: string): Promise<VisibleEntry[]> {
  return (await db.myPageEntry.findMany({ where: { customerId }, orderBy: { orderId: 'asc' } })).filter(isVisible);
}

/** One order's entry, or null while there is none or only a placeholder. */
export async function findVisibleEntry(db: MyPageDatabase, orderId: string): Promise<VisibleEntry | null> {
  const row = await db.myPageEntry.findUnique({ where: { orderId } });
  return row && isVisible(row) ? row : null;
}
