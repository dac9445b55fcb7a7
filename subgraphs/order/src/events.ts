import { DeliveryCompleted, applyOnce, causedBy, on, type EventHandler, type OutboxWriter } from '@bookshop/events';
import type { OrderDatabase } from './database.js';
import { markDelivered } from './domain/order.js';
import type { Prisma } from './generated/prisma/client.js';

export const CONSUMER = 'order';

/** What order consumes; each effect commits with its event id, then the relay is woken. */
export function orderHandlers(db: OrderDatabase, { prefix, written }: OutboxWriter): EventHandler[] {
  const inTransaction = (work: (tx: Prisma.TransactionClient) => Promise<void>) => db.$transaction(work).then(written);
  return [
    on(DeliveryCompleted, (event) =>
      applyOnce(inTransaction, CONSUMER, event.id, (tx) => markDelivered(tx, prefix, event.payload.orderId, causedBy(event))),
    ),
  ];
}
