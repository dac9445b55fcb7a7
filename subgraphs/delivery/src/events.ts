import { OrderPlaced, allTogether, causedBy, type Consumption, type OutboxWriter } from '@bookshop/events';
import { prepareShipments } from './domain/shipments.js';
import type { Prisma } from './generated/prisma/client.js';

/**
 * What delivery consumes: each placed order becomes a shipment, a batch of them in one statement.
 * (A cancel is not an event here: order asks delivery to stop the shipment before it records the
 * cancel — see stopShipment.)
 */
export function deliveryConsumption(writer: OutboxWriter): Consumption<Prisma.TransactionClient> {
  return allTogether(OrderPlaced, (events, { tx, emit }) =>
    prepareShipments(
      tx,
      emit,
      writer,
      events.map((event) => ({ order: event.payload, meta: causedBy(event) })),
    ),
  );
}
