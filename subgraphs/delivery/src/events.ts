import { OrderCancelled, OrderPlaced, applyOnce, causedBy, on, type EventHandler, type OutboxWriter } from '@bookshop/events';
import type { DeliveryDatabase } from './database.js';
import { cancelShipment, prepareShipment } from './domain/shipments.js';
import type { Prisma } from './generated/prisma/client.js';

export const CONSUMER = 'delivery';

/** What delivery consumes; each effect commits with its event id, then the relay is woken. */
export function deliveryHandlers(db: DeliveryDatabase, { prefix, written }: OutboxWriter): EventHandler[] {
  const inTransaction = (work: (tx: Prisma.TransactionClient) => Promise<void>) => db.$transaction(work).then(written);
  return [
    on(OrderPlaced, (event) =>
      applyOnce(inTransaction, CONSUMER, event.id, (tx) => prepareShipment(tx, prefix, event.payload, causedBy(event))),
    ),
    on(OrderCancelled, (event) =>
      applyOnce(inTransaction, CONSUMER, event.id, (tx) => cancelShipment(tx, prefix, event.payload.orderId, causedBy(event))),
    ),
  ];
}
