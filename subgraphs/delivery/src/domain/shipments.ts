import type { PageArgs } from '@bookshop/runtime';
import type { DeliveryDatabase, DeliveryStatus } from '../database.js';

/** Shipments in a stable order (ids are time-ordered UUIDv7), optionally of one status. */
export function listDeliveries(db: DeliveryDatabase, status: DeliveryStatus | null | undefined, page: PageArgs) {
  return db.delivery.findMany({
    where: { ...(status ? { status } : {}), ...(page.after ? { id: { gt: page.after } } : {}) },
    orderBy: { id: 'asc' },
    take: page.first,
  });
}

export const findDeliveryOfOrder = (db: DeliveryDatabase, orderId: string) =>
  db.delivery.findUnique({ where: { orderId } });

export const findDelivery = (db: DeliveryDatabase, id: string) => db.delivery.findUnique({ where: { id } });
