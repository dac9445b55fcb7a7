import { OrderPlaced, causedBy, effect, eachEffect, type Consumption, type OutboxWriter } from '@bookshop/events';
import { prepareShipment } from './domain/shipments.js';
import type { Prisma } from './generated/prisma/client.js';

/**
 * What delivery consumes: a placed order becomes a shipment. (A cancel is not an event here:
 * order asks delivery to stop the shipment before it records the cancel — see stopShipment.)
 */
export function deliveryConsumption(writer: OutboxWriter): Consumption<Prisma.TransactionClient> {
  return eachEffect([effect(OrderPlaced, (event, { tx, emit }) => prepareShipment(tx, emit, writer, event.payload, causedBy(event)))]);
}
