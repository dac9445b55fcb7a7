import { DeliveryCancelled, DeliveryCompleted, causedBy, effect, eachEffect, type Consumption, type OutboxWriter } from '@bookshop/events';
import type { OrderTransaction } from './database.js';
import { markDelivered, recordCancelled } from './domain/order.js';

/**
 * What order consumes: delivery's decisions. A completed delivery makes the order DELIVERED; a
 * stopped shipment makes it CANCELLED (normally the cancel itself recorded that already, when
 * delivery answered; the event covers an answer that was lost).
 */
export function orderConsumption(writer: OutboxWriter): Consumption<OrderTransaction> {
  return eachEffect([
    effect(DeliveryCompleted, (event, { tx, emit }) => markDelivered(tx, emit, writer, event.payload.orderId, causedBy(event))),
    effect(DeliveryCancelled, (event, { tx, emit }) => recordCancelled(tx, emit, writer, event.payload.orderId, causedBy(event))),
  ]);
}
