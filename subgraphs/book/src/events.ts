import { OrderCancelled, StockReleased, applyOnce, causedBy, on, type EventHandler, type OutboxWriter } from '@bookshop/events';
import type { BookDatabase } from './database.js';
import { releaseStockIn } from './domain/stock.js';
import type { Prisma } from './generated/prisma/client.js';

export const CONSUMER = 'book';

/** What book consumes: a cancelled order's copies go back into stock, once, announced by StockReleased. */
export function bookHandlers(db: BookDatabase, writer: OutboxWriter): EventHandler[] {
  const inTransaction = (work: (tx: Prisma.TransactionClient) => Promise<void>) => db.$transaction(work).then(writer.written);
  return [
    on(OrderCancelled, (event) =>
      applyOnce(inTransaction, CONSUMER, event.id, async (tx) => {
        const { released } = await releaseStockIn(tx, event.payload.orderId);
        if (!released) return;
        await tx.outboxEvent.create({
          data: writer.record(StockReleased, { orderId: event.payload.orderId, ...released }, causedBy(event)),
        });
      }),
    ),
  ];
}
