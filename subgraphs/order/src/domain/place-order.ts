import { OrderPlaced, eventOf, outboxRecord, type OutboxWriter } from '@bookshop/events';
import { DomainError, crashAt, isDomainError, logger } from '@bookshop/runtime';
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
 * its key is freed for the new attempt (even while its release is still owed).
 */
async function startOrder(db: OrderDatabase, request: PlaceOrderRequest): Promise<Order | { repeat: Order }> {
  const { customerId, idempotencyKey } = request;
  if (idempotencyKey) {
    const earlier = await db.order.findUnique({ where: { customerId_idempotencyKey: { customerId, idempotencyKey } } });
    if (earlier?.rejectionCode === 'SERVICE_UNAVAILABLE') {
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
 * (compensation). A crash anywhere in between leaves a PENDING order, which the reconciler
 * (reconcile.ts) finishes or compensates: the saga never holds stock silently.
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
      await db.order.updateMany({ where: { id: order.id, status: 'PENDING' }, data: { status: 'REJECTED', rejectionCode: error.code } });
      throw error;
    }
    if (error instanceof StockOutcomeUnknown) {
      await compensate(db, stock, order, error);
      throw unavailable('The catalogue did not answer in time, so your order was not placed. Please try again.');
    }
    throw error;
  }
  crashAt('order.after-reserve');

  const placed = await recordPlaced(db, events, order, bookId, request);
  if (placed) return placed;
  // The reconciler decided this order while the call was slow: answer what it decided.
  const decided = await db.order.findUniqueOrThrow({ where: { id: order.id } });
  if (decided.status === 'PLACED') return decided;
  throw unavailable('The catalogue answered too late, so your order was not placed. Please try again.');
}

/**
 * PENDING → PLACED together with OrderPlaced: no placed order without its event, and no event
 * for an order that is not placed. Only an order still undecided is placed (the saga and the
 * reconciler may race for it); null when it was decided already.
 */
export async function recordPlaced(
  db: OrderDatabase,
  events: OrderEvents,
  order: Order,
  bookId: string,
  meta: { correlationId?: string | null | undefined; traceparent?: string | null | undefined },
): Promise<Order | null> {
  const event = eventOf(
    OrderPlaced,
    { orderId: order.id, customerId: order.customerId, bookId, title: order.title, quantity: order.quantity, address: order.address },
    { orderId: order.id, correlationId: meta.correlationId ?? order.id, traceparent: meta.traceparent ?? null },
  );
  try {
    const [placed] = await db.$transaction([
      db.order.update({ where: { id: order.id, status: 'PENDING', rejectionCode: null }, data: { status: 'PLACED', bookId } }),
      db.outboxEvent.create({ data: outboxRecord(events.prefix, OrderPlaced, event) }),
    ]);
    events.written();
    return placed;
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2025') return null;
    throw error;
  }
}

/**
 * The customer is told "not placed" at once, so the copies must go back. That a release is owed
 * is recorded before the answer (rejectionCode on a PENDING order); the release itself runs after
 * it, in the background. If it fails, or this process dies first, the reconciler still knows to
 * release rather than to finish.
 */
async function compensate(db: OrderDatabase, stock: StockReservations, order: Order, cause: Error): Promise<void> {
  await db.order.update({ where: { id: order.id }, data: { rejectionCode: 'SERVICE_UNAVAILABLE' } });
  releaseOwed(db, stock, order.id).catch((error: unknown) =>
    logger.warn(
      { orderId: order.id, err: error, cause: cause.message },
      'could not release stock after an unknown outcome; the order stays PENDING for the reconciler',
    ),
  );
}

/** Gives an order's copies back (a tombstone if book never saw it) and closes it as REJECTED. */
export async function releaseOwed(db: OrderDatabase, stock: StockReservations, orderId: string): Promise<void> {
  await stock.release(orderId);
  await markRejected(db, orderId);
}

export async function markRejected(db: OrderDatabase, orderId: string): Promise<void> {
  await db.order.updateMany({ where: { id: orderId, status: 'PENDING' }, data: { status: 'REJECTED' } });
}
