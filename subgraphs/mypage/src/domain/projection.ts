import {
  DeliveryCancelled,
  DeliveryCompleted,
  DeliveryStarted,
  OrderCancelled,
  OrderDelivered,
  OrderPlaced,
  ReviewWritten,
  StockReleased,
  type EventEnvelope,
  type Payload,
} from '@bookshop/events';
import type { Prisma } from '../generated/prisma/client.js';

type Transaction = Prisma.TransactionClient;
type EntryChange = Omit<Prisma.MyPageEntryUpdateInput, 'version'>;

/**
 * How each event changes the customer's read model: one entry per order, whose version rises by
 * one with every change. An event for an order whose entry is not there yet fails, so it is
 * redelivered after the OrderPlaced that creates it.
 */
async function change(tx: Transaction, orderId: string, data: EntryChange) {
  const { count } = await tx.myPageEntry.updateMany({ where: { orderId }, data: { ...data, version: { increment: 1 } } });
  if (count === 0) throw new Error(`my page has no entry for order ${orderId} yet`);
}

export const projections = {
  [OrderPlaced.type]: async (tx: Transaction, { payload }: EventEnvelope<Payload<typeof OrderPlaced>>) => {
    await tx.myPageEntry.upsert({
      where: { orderId: payload.orderId },
      create: {
        orderId: payload.orderId,
        customerId: payload.customerId,
        bookId: payload.bookId,
        title: payload.title,
        quantity: payload.quantity,
        address: payload.address,
        orderStatus: 'PLACED',
      },
      update: {},
    });
  },
  [OrderCancelled.type]: (tx: Transaction, { payload }: EventEnvelope<Payload<typeof OrderCancelled>>) =>
    change(tx, payload.orderId, { orderStatus: 'CANCELLED' }),
  [OrderDelivered.type]: (tx: Transaction, { payload }: EventEnvelope<Payload<typeof OrderDelivered>>) =>
    change(tx, payload.orderId, { orderStatus: 'DELIVERED' }),
  [DeliveryStarted.type]: (tx: Transaction, { payload }: EventEnvelope<Payload<typeof DeliveryStarted>>) =>
    change(tx, payload.orderId, { deliveryStatus: 'PREPARING' }),
  [DeliveryCompleted.type]: (tx: Transaction, { payload }: EventEnvelope<Payload<typeof DeliveryCompleted>>) =>
    change(tx, payload.orderId, { deliveryStatus: 'DELIVERED' }),
  [DeliveryCancelled.type]: (tx: Transaction, { payload }: EventEnvelope<Payload<typeof DeliveryCancelled>>) =>
    change(tx, payload.orderId, { deliveryStatus: 'CANCELLED' }),
  [ReviewWritten.type]: (tx: Transaction, { payload }: EventEnvelope<Payload<typeof ReviewWritten>>) =>
    change(tx, payload.orderId, { reviewRating: payload.rating, reviewContent: payload.content }),
  // The copies are back in stock: nothing of the entry's own changes, but a live subscriber
  // should see the book's restored stock, so the entry gets a new version.
  [StockReleased.type]: (tx: Transaction, { payload }: EventEnvelope<Payload<typeof StockReleased>>) => change(tx, payload.orderId, {}),
};
