import { DeliveryCancelled, DeliveryCompleted, DeliveryStarted, newOutboxRecord, type EventMeta } from '@bookshop/events';
import { DomainError, type PageArgs } from '@bookshop/runtime';
import type { DeliveryDatabase, DeliveryStatus } from '../database.js';
import type { Prisma } from '../generated/prisma/client.js';

type Transaction = Prisma.TransactionClient;

/** Shipments in a stable order (ids are time-ordered UUIDv7), optionally of one status. */
export function listDeliveries(db: DeliveryDatabase, status: DeliveryStatus | null | undefined, page: PageArgs) {
  return db.delivery.findMany({
    where: { ...(status ? { status } : {}), ...(page.after ? { id: { gt: page.after } } : {}) },
    orderBy: { id: 'asc' },
    take: page.first,
  });
}

export const findDeliveryOfOrder = (db: DeliveryDatabase, orderId: string) => db.delivery.findUnique({ where: { orderId } });

export const findDelivery = (db: DeliveryDatabase, id: string) => db.delivery.findUnique({ where: { id } });

/** A placed order becomes one shipment being prepared (never two: the order id is unique). */
export async function prepareShipment(tx: Transaction, prefix: string, order: { orderId: string; address: string }, meta: EventMeta) {
  const existing = await tx.delivery.findUnique({ where: { orderId: order.orderId } });
  if (existing) return existing;
  const delivery = await tx.delivery.create({ data: { orderId: order.orderId, address: order.address, status: 'PREPARING' } });
  await tx.outboxEvent.create({
    data: newOutboxRecord(prefix, DeliveryStarted, { deliveryId: delivery.id, orderId: delivery.orderId, address: delivery.address }, meta),
  });
  return delivery;
}

/** A cancelled order's shipment is cancelled, unless it was delivered already. */
export async function cancelShipment(tx: Transaction, prefix: string, orderId: string, meta: EventMeta) {
  const cancelled = await tx.delivery.updateMany({ where: { orderId, status: 'PREPARING' }, data: { status: 'CANCELLED' } });
  if (cancelled.count === 0) return;
  const delivery = await tx.delivery.findUniqueOrThrow({ where: { orderId } });
  await tx.outboxEvent.create({ data: newOutboxRecord(prefix, DeliveryCancelled, { deliveryId: delivery.id, orderId }, meta) });
}

/**
 * The courier hands the parcel over: PREPARING → DELIVERED, once (a repeat answers the delivered
 * shipment); a cancelled shipment cannot be completed.
 */
export async function completeDelivery(db: DeliveryDatabase, prefix: string, deliveryId: string, meta: EventMeta) {
  return db.$transaction(async (tx: Transaction) => {
    const completed = await tx.delivery.updateMany({ where: { id: deliveryId, status: 'PREPARING' }, data: { status: 'DELIVERED' } });
    const delivery = await tx.delivery.findUnique({ where: { id: deliveryId } });
    if (!delivery) throw new DomainError('DELIVERY_NOT_FOUND', 'There is no such delivery.');
    if (completed.count === 1) {
      await tx.outboxEvent.create({
        data: newOutboxRecord(prefix, DeliveryCompleted, { deliveryId, orderId: delivery.orderId }, { ...meta, orderId: delivery.orderId }),
      });
    } else if (delivery.status !== 'DELIVERED') {
      throw new DomainError('DELIVERY_NOT_COMPLETABLE', `This delivery is ${delivery.status.toLowerCase()}; only one being prepared can be completed.`);
    }
    return delivery;
  });
}
