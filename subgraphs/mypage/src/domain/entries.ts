import type { PageArgs } from '@bookshop/runtime';
import type { MyPageDatabase } from '../database.js';

/** A customer's entries, newest first (order ids are time-ordered UUIDv7). */
export function listEntriesOfCustomer(db: MyPageDatabase, customerId: string, page: PageArgs) {
  return db.myPageEntry.findMany({
    where: { customerId, ...(page.after ? { orderId: { lt: page.after } } : {}) },
    orderBy: { orderId: 'desc' },
    take: page.first,
  });
}
