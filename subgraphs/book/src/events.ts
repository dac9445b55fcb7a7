import { OrderCancelled, StockReleased, causedBy, effect, eachEffect, type Consumption, type OutboxWriter } from '@bookshop/events';
import { releaseStockIn } from './domain/stock.js';
import type { Prisma } from './generated/prisma/client.js';

/** What book consumes: a cancelled order's copies go back into stock, once, announced by StockReleased. */
export function bookConsumption(writer: OutboxWriter): Consumption<Prisma.TransactionClient> {
  return eachEffect([
    effect(OrderCancelled, async (event, { tx, emit }) => {
      const { released } = await releaseStockIn(tx, event.payload.orderId);
      if (released) await emit(writer.record(StockReleased, { orderId: event.payload.orderId, ...released }, causedBy(event)));
    }),
  ]);
}
