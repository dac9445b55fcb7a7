import { DeliveryCancelled, DeliveryCompleted, DeliveryStarted, type Emit, type EventMeta, type OutboxWriter } from '@bookshop/events';
import { DomainError, type PageArgs } from '@bookshop/runtime';
import type { Delivery, DeliveryDatabase, DeliveryStatus } from '../database.js';
import type { Prisma } from '../generated/prisma/client.js';
import { SHIPMENT_TRANSITIONS, decideComplete } from './shipment-states.js';

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

/**
 * Records a shipment for an order delivery has no record of, in `status`; null when the order has
 * one already (the order id is unique). `INSERT … ON CONFLICT DO NOTHING`: a concurrent insert for
 * the same order is waited for, never duplicated, and never aborts the transaction.
 */
async function recordFirstShipment(
  tx: Transaction,
  order: { orderId: string; address: string; customerId?: string },
  status: DeliveryStatus,
): Promise<Delivery | null> {
  const { orderId, address, customerId = null } = order;
  const [created] = await tx.delivery.createManyAndReturn({ data: [{ orderId, address, customerId, status }], skipDuplicates: true });
  return created ?? null;
}

/** A placed order as delivery learns it, with the event that told it. */
export interface PlacedOrder {
  order: { orderId: string; customerId: string; address: string };
  meta: EventMeta;
}

/**
 * Each placed order becomes one shipment being prepared, kept with the order's customer (who may
 * see it) — unless delivery has a record of the order already: a shipment (a repeat) or a stop
 * that came first (the order was cancelled before this event was handled), which must stay stopped
 * but learns its customer here (a stop does not know it). The new shipments are one statement
 * (`INSERT … ON CONFLICT DO NOTHING RETURNING`, so a concurrent insert for the same order is waited
 * for, never duplicated); DeliveryStarted is emitted for each, in the orders' order.
 */
export async function prepareShipments(tx: Transaction, emit: Emit, events: OutboxWriter, placed: PlacedOrder[]) {
  const created = await tx.delivery.createManyAndReturn({
    data: placed.map(({ order: { orderId, customerId, address } }) => ({
      orderId,
      customerId,
      address,
      status: SHIPMENT_TRANSITIONS.prepare.to,
    })),
    skipDuplicates: true,
  });
  const started = new Map(created.map((delivery) => [delivery.orderId, delivery]));
  for (const { order, meta } of placed) {
    const delivery = started.get(order.orderId);
    if (!delivery) {
      await tx.delivery.updateMany({ where: { orderId: order.orderId, customerId: null }, data: { customerId: order.customerId } });
      continue;
    }
    await emit(
      events.record(
        DeliveryStarted,
        { deliveryId: delivery.id, orderId: delivery.orderId, address: delivery.address },
        { ...meta, orderId: delivery.orderId },
      ),
    );
  }
}

/**
 * The customer wants the order cancelled (order asks, synchronously): the shipment is stopped if
 * the parcel has not gone — PREPARING → CANCELLED, or a CANCELLED record when there is no
 * shipment yet — with DeliveryCancelled. Answers the shipment as it now is: CANCELLED (stopped,
 * now or before) or DELIVERED (too late). The completion takes the same row with a conditional
 * update from PREPARING, so exactly one of the two wins.
 */
export async function stopShipment(
  db: DeliveryDatabase,
  events: OutboxWriter,
  order: { orderId: string; address: string },
  meta: EventMeta,
) {
  return db.$transaction(async (tx: Transaction) => {
    const { from, to } = SHIPMENT_TRANSITIONS.stop;
    let stopped = await recordFirstShipment(tx, order, to);
    if (!stopped) {
      const { count } = await tx.delivery.updateMany({ where: { orderId: order.orderId, status: from }, data: { status: to } });
      const delivery = await tx.delivery.findUniqueOrThrow({ where: { orderId: order.orderId } });
      if (count === 0) return delivery;
      stopped = delivery;
    }
    await tx.outboxEvent.create({
      data: events.record(DeliveryCancelled, { deliveryId: stopped.id, orderId: stopped.orderId }, { ...meta, orderId: stopped.orderId }),
    });
    return stopped;
  });
}

/**
 * The courier hands the parcel over: PREPARING → DELIVERED, once (a repeat answers the delivered
 * shipment); a stopped shipment cannot be completed.
 */
export async function completeDelivery(db: DeliveryDatabase, events: OutboxWriter, deliveryId: string, meta: EventMeta) {
  return db.$transaction(async (tx: Transaction) => {
    const { from, to } = SHIPMENT_TRANSITIONS.complete;
    const completed = await tx.delivery.updateMany({ where: { id: deliveryId, status: from }, data: { status: to } });
    const delivery = await tx.delivery.findUnique({ where: { id: deliveryId } });
    if (!delivery) throw new DomainError('DELIVERY_NOT_FOUND', 'There is no such delivery.');
    if (completed.count === 1) {
      await tx.outboxEvent.create({
        data: events.record(DeliveryCompleted, { deliveryId, orderId: delivery.orderId }, { ...meta, orderId: delivery.orderId }),
      });
    } else if (decideComplete(delivery.status) === 'not-completable') {
      throw new DomainError(
        'DELIVERY_NOT_COMPLETABLE',
        `This delivery is ${delivery.status.toLowerCase()}; only one being prepared can be completed.`,
      );
    }
    return delivery;
  });
}
