import { DeliveryCancelled, DeliveryCompleted, applyOnce, causedBy, on, type EventHandler, type OutboxWriter } from '@bookshop/events';
import type { OrderDatabase, OrderTransaction } from './database.js';
import { markDelivered, recordCancelled } from './domain/order.js';

export const CONSUMER = 'order';

/**
 * What order consumes: delivery's decisions. A completed delivery makes the order DELIVERED; a
 * stopped shipment makes it CANCELLED (normally the cancel itself recorded that already, when
 * delivery answered; the event covers an answer that was lost). Each effect commits with its
 * event id, then the relay is woken.
 */
export function orderHandlers(db: OrderDatabase, writer: OutboxWriter): EventHandler[] {
  const inTransaction = (work: (tx: OrderTransaction) => Promise<void>) => db.$transaction(work).then(writer.written);
  return [
    on(DeliveryCompleted, (event) =>
      applyOnce(inTransaction, CONSUMER, event.id, (tx) => markDelivered(tx, writer, event.payload.orderId, causedBy(event))),
    ),
    on(DeliveryCancelled, (event) =>
      applyOnce(inTransaction, CONSUMER, event.id, (tx) => recordCancelled(tx, writer, event.payload.orderId, causedBy(event))),
    ),
  ];
}
