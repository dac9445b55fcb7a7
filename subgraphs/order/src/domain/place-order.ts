import { OrderPlaced, eventOf, outboxRecord, type OutboxWriter } from '@bookshop/events';
import { DomainError, isDomainError, logger } from '@bookshop/runtime';
import type { Order, OrderDatabase } from '../database.js';
import { Prisma } from '../generated/prisma/client.js';
import { StockOutcomeUnknown, type StockReservations } from './stock-reservations.js';

export interface PlaceOrderRequest {
  customerId: string;
  title: string;
  quantity: number;
  address: string;
  idempotencyKey?: string | null | undefined;
  correlationId: string;
  traceparent?: string | undefined;
}

/** Where the saga's events go: the outbox table, under the configured subject prefix. */
export type OrderEvents = OutboxWriter;

const RETRY_AFTER_SECONDS = 2;

const unavailable = (message: string, retryAfterSeconds = RETRY_AFTER_SECONDS) =>
  new DomainError('SERVICE_UNAVAILABLE', message, { retryAfterSeconds });

/** What an earlier request with the same idempotency key decided. */
function answerForRepeat(order: Order): Order {
  if (order.status === 'PENDING') {
    throw unavailable('An order with this idempotency key is still being placed. Try again in a moment.', 1);
  }
  if (order.status === 'REJECTED') {
    throw new DomainError(
      (order.rejectionCode ?? 'OUT_OF_STOCK') as DomainError['code'],
      'An earlier request with this idempotency key was refused.',
    );
  }
  return order;
}

/**
 * Creates the PENDING order row; with an idempotency key, a repeat returns what the first request
 * decided. A first attempt refused as SERVICE_UNAVAILABLE asked the customer to try again, so
 * its key is freed for the new attempt.
 */
async function startOrder(db: OrderDatabase, request: PlaceOrderRequest): Promise<Order | { repeat: Order }> {
  const { customerId, idempotencyKey } = request;
  if (idempotencyKey) {
    const earlier = await db.order.findUnique({ where: { customerId_idempotencyKey: { customerId, idempotencyKey } } });
    if (earlier?.status === 'REJECTED' && earlier.rejectionCode === 'SERVICE_UNAVAILABLE') {
      await db.order.update({ where: { id: earlier.id }, data: { idempotencyKey: null } });
    } else if (earlier) {
      return { repeat: earlier };
    }
  }
  try {
    return await db.order.create({
      data: {
        customerId,
        title: request.title,
        quantity: request.quantity,
        address: request.address,
        status: 'PENDING',
        idempotencyKey: idempotencyKey ?? null,
        correlationId: request.correlationId ?? null,
      },
    });
  } catch (error) {
    if (idempotencyKey && error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      const winner = await db.order.findUniqueOrThrow({
        where: { customerId_idempotencyKey: { customerId, idempotencyKey } },
      });
      return { repeat: winner };
    }
    throw error;
  }
}

/**
 * The place-order saga, orchestrated here: PENDING → reserve stock in book (synchronously) →
 * PLACED; a refusal from book marks the order REJECTED (kept for audit, never shown) and the
 * customer gets book's answer. When the call's outcome is unknown, the reservation is released
 * (compensation); if even that fails the order stays PENDING for the reconciler — it never
 * holds stock silently.
 */
export async function placeOrder(
  db: OrderDatabase,
  stock: StockReservations,
  events: OrderEvents,
  request: PlaceOrderRequest,
): Promise<Order> {
  const started = await startOrder(db, request);
  if ('repeat' in started) return answerForRepeat(started.repeat);
  const order = started;

  let bookId: string;
  try {
    ({ bookId } = await stock.reserve({ orderId: order.id, title: request.title, quantity: request.quantity }));
  } catch (error) {
    if (isDomainError(error)) {
      await db.order.update({ where: { id: order.id }, data: { status: 'REJECTED', rejectionCode: error.code } });
      throw error;
    }
    if (error instanceof StockOutcomeUnknown) {
      await compensate(db, stock, order, error);
      throw unavailable('The catalogue did not answer in time, so your order was not placed. Please try again.');
    }
    throw error;
  }

  // PLACED and OrderPlaced commit together: no placed order without its event, and no event
  // for an order that is not placed.
  const event = eventOf(
    OrderPlaced,
    { orderId: order.id, customerId: order.customerId, bookId, title: order.title, quantity: order.quantity, address: order.address },
    { orderId: order.id, correlationId: request.correlationId, traceparent: request.traceparent ?? null },
  );
  const [placed] = await db.$transaction([
    db.order.update({ where: { id: order.id }, data: { status: 'PLACED', bookId } }),
    db.outboxEvent.create({ data: outboxRecord(events.prefix, OrderPlaced, event) }),
  ]);
  events.written();
  return placed;
}

async function compensate(db: OrderDatabase, stock: StockReservations, order: Order, cause: Error): Promise<void> {
  try {
    await stock.release(order.id);
    await db.order.update({
      where: { id: order.id },
      data: { status: 'REJECTED', rejectionCode: 'SERVICE_UNAVAILABLE' },
    });
  } catch (error) {
    logger.warn(
      { orderId: order.id, err: error, cause: cause.message },
      'could not release stock after an unknown outcome; the order stays PENDING for the reconciler',
    );
  }
}
