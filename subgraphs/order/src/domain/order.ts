import { OrderCancelled, OrderDelivered, newOutboxRecord, type EventMeta } from '@bookshop/events';
import { DomainError, type Viewer } from '@bookshop/runtime';
import type { Order, OrderDatabase } from '../database.js';
import type { Prisma } from '../generated/prisma/client.js';

/** Orders a customer can see: a PENDING order is still being decided, a REJECTED one never was. */
const VISIBLE_STATUSES = new Set<Order['status']>(['PLACED', 'DELIVERED', 'CANCELLED']);

export const isVisible = (order: Order) => VISIBLE_STATUSES.has(order.status);

/**
 * Who sees an order: its customer and staff; a courier sees the orders of deliveries (they only
 * reach an order through one). Anyone else is refused; an invisible order does not exist.
 */
export function assertCanSee(order: Order | null, viewer: Viewer | null, options: { courier?: boolean } = {}): Order {
  if (!viewer) throw new DomainError('UNAUTHENTICATED', 'Sign in first: send a bearer token.');
  if (!order || !isVisible(order)) throw new DomainError('ORDER_NOT_FOUND', 'There is no such order.');
  const allowed =
    viewer.role === 'staff' ||
    (viewer.role === 'customer' && viewer.subject === order.customerId) ||
    (viewer.role === 'courier' && options.courier === true);
  if (!allowed) throw new DomainError('FORBIDDEN', 'This order is not yours.');
  return order;
}

type Transaction = Prisma.TransactionClient;

/**
 * The customer cancels until the order is delivered: PLACED → CANCELLED with OrderCancelled, once
 * (a repeat answers the cancelled order). Book gives the copies back and delivery cancels the
 * shipment when they see the event.
 */
export async function cancelOrder(db: OrderDatabase, prefix: string, orderId: string, viewer: Viewer, meta: EventMeta): Promise<Order> {
  return db.$transaction(async (tx: Transaction) => {
    const order = assertCanSee(await tx.order.findUnique({ where: { id: orderId } }), viewer);
    if (viewer.role !== 'customer') throw new DomainError('FORBIDDEN', 'Only the customer of an order can cancel it.');
    const cancelled = await tx.order.updateMany({ where: { id: orderId, status: 'PLACED' }, data: { status: 'CANCELLED' } });
    if (cancelled.count === 1) {
      await tx.outboxEvent.create({
        data: newOutboxRecord(prefix, OrderCancelled, { orderId, customerId: order.customerId }, { ...meta, orderId }),
      });
      return { ...order, status: 'CANCELLED' as const };
    }
    if (order.status === 'CANCELLED') return order;
    throw new DomainError('ORDER_NOT_CANCELLABLE', 'This order was delivered already; it can no longer be cancelled.');
  });
}

/** The delivery company handed the parcel over: PLACED → DELIVERED with OrderDelivered (a cancelled order stays cancelled). */
export async function markDelivered(tx: Transaction, prefix: string, orderId: string, meta: EventMeta): Promise<void> {
  const delivered = await tx.order.updateMany({ where: { id: orderId, status: 'PLACED' }, data: { status: 'DELIVERED' } });
  if (delivered.count === 0) return;
  const order = await tx.order.findUniqueOrThrow({ where: { id: orderId } });
  await tx.outboxEvent.create({ data: newOutboxRecord(prefix, OrderDelivered, { orderId, customerId: order.customerId }, meta) });
}
