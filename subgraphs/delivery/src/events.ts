import { OrderPlaced, applyOnce, causedBy, on, type EventHandler, type OutboxWriter } from '@bookshop/events';
import type { DeliveryDatabase } from './database.js';
import { prepareShipment } from './domain/shipments.js';
import type { Prisma } from './generated/prisma/client.js';

export const CONSUMER = 'delivery';

/**
 * What delivery consumes: a placed order becomes a shipment. (A cancel is not an event here:
 * order asks delivery to stop the shipment before it records the cancel — see stopShipment.)
 * Each effect commits with its event id, then the relay is woken.
 */
export function deliveryHandlers(db: DeliveryDatabase, writer: OutboxWriter): EventHandler[] {
  const inTransaction = (work: (tx: Prisma.TransactionClient) => Promise<void>) => db.$transaction(work).then(writer.written);
  return [
    on(OrderPlaced, (event) =>
      applyOnce(inTransaction, CONSUMER, event.id, (tx) => prepareShipment(tx, writer, event.payload, causedBy(event))),
    ),
  ];
}
