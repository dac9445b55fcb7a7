import { OrderPlaced, type OutboxWriter } from '@bookshop/events';
import { DomainError, inSpan, isDomainError, logger } from '@bookshop/runtime';
import {
  insertPendingWithinCap,
  lockCustomerOrders,
  placeWithEvent,
  takeStep,
  type NewOrder,
  type Order,
  type OrderDatabase,
} from '../database.js';
import { refuseOverOpenOrderCap } from './open-orders.js';
import { countPlaced, refusal } from './order-metrics.js';
import { ORDER_TRANSITIONS, UNDECIDED } from './order-states.js';
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
  if (order.status === UNDECIDED) {
    throw unavailable('An order with this idempotency key is still being placed. Try again in a moment.', 1);
  }
  if (order.status === ORDER_TRANSITIONS.reject.to) {
    throw new DomainError(
      (order.rejectionCode ?? 'OUT_OF_STOCK') as DomainError['code'],
      'An earlier request with this idempotency key was refused.',
    );
  }
  return order;
}

/** What placing an order is bounded by (order's settings, subgraph.ts). */
export interface OrderLimits {
  /** A customer's open (PENDING or PLACED) orders at most: ORDER_MAX_OPEN_PER_CUSTOMER. */
  maxOpenPerCustomer: number;
}

const START_TRANSACTION = { maxWait: 5_000, timeout: 10_000 };

/**
 * Creates the PENDING order row; with an idempotency key, a repeat returns what the first request
 * decided. A first attempt refused as SERVICE_UNAVAILABLE asked the customer to try again, so
 * its key is freed for the new attempt (even while its release is still owed). A new order past
 * the customer's cap of open orders is refused (a repeat is not: it starts nothing). All of it
 * under the customer's lock, in one transaction: racing requests of one customer decide one at a
 * time, so they never both pass the cap, nor both take one key. The usual case is one statement
 * (the insert takes the lock, then checks the cap and the key itself); the rest only runs when the
 * insert did not happen.
 */
async function startOrder(db: OrderDatabase, request: PlaceOrderRequest, limits: OrderLimits): Promise<Order | { repeat: Order }> {
  const { customerId, idempotencyKey = null } = request;
  const order: NewOrder = {
    customerId,
    title: request.title,
    quantity: request.quantity,
    address: request.address,
    idempotencyKey: idempotencyKey ?? null,
    correlationId: request.correlationId ?? null,
  };
  const [inserted] = await insertPendingWithinCap(db, order, limits.maxOpenPerCustomer);
  if (inserted) return inserted;
  // Not inserted: a repeat of a key, a key to free, or the cap — decided under the lock again.
  return db.$transaction(async (tx) => {
    await lockCustomerOrders(tx, customerId);
    if (idempotencyKey) {
      const earlier = await tx.order.findUnique({ where: { customerId_idempotencyKey: { customerId, idempotencyKey } } });
      if (earlier && earlier.rejectionCode !== 'SERVICE_UNAVAILABLE') return { repeat: earlier };
      if (earlier) {
        await tx.order.update({ where: { id: earlier.id }, data: { idempotencyKey: null } });
        const [retried] = await insertPendingWithinCap(tx, order, limits.maxOpenPerCustomer);
        if (retried) return retried;
      }
    }
    return refuseOverOpenOrderCap(tx, customerId, limits.maxOpenPerCustomer);
  }, START_TRANSACTION);
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
  limits: OrderLimits,
): Promise<Order> {
  const started = await inSpan('saga: start order', {}, () => startOrder(db, request, limits));
  if ('repeat' in started) return answerForRepeat(started.repeat);
  const order = started;

  let bookId: string;
  try {
    ({ bookId } = await inSpan('saga: reserve stock', {}, () =>
      stock.reserve({ orderId: order.id, title: request.title, quantity: request.quantity }),
    ));
  } catch (error) {
    if (isDomainError(error)) {
      await takeStep(db, order.id, 'reject', { data: { rejectionCode: error.code } });
      throw refusal(error);
    }
    if (error instanceof StockOutcomeUnknown) {
      if (await inSpan('saga: compensate', {}, () => compensate(db, stock, order, error))) {
        throw refusal(unavailable('The catalogue did not answer in time, so your order was not placed. Please try again.'));
      }
      return answerDecidedElsewhere(db, order.id);
    }
    throw error;
  }

  const placed = await inSpan('saga: record placed', {}, () => recordPlaced(db, events, order, bookId, request));
  return placed ?? answerDecidedElsewhere(db, order.id);
}

/** The reconciler decided this order while the call was slow: answer what it decided. */
async function answerDecidedElsewhere(db: OrderDatabase, orderId: string): Promise<Order> {
  const decided = await db.order.findUniqueOrThrow({ where: { id: orderId } });
  if (decided.status === ORDER_TRANSITIONS.place.to) return decided;
  throw refusal(unavailable('The catalogue answered too late, so your order was not placed. Please try again.'));
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
  const event = events.record(
    OrderPlaced,
    { orderId: order.id, customerId: order.customerId, bookId, title: order.title, quantity: order.quantity, address: order.address },
    { orderId: order.id, correlationId: meta.correlationId ?? order.id, traceparent: meta.traceparent ?? null },
  );
  const placed = await placeWithEvent(db, order.id, bookId, event);
  if (!placed) return null;
  events.written([event]);
  countPlaced();
  logger.info({ orderId: order.id }, 'order placed');
  return placed;
}

/**
 * The customer is told "not placed" at once, so the copies must go back. That a release is owed
 * is recorded before the answer (rejectionCode on the still undecided order); the release itself
 * runs after it, in the background. If it fails, or this process dies first, the reconciler still
 * knows to release rather than to finish. False when the order was decided (or claimed) elsewhere
 * meanwhile: then it is not this saga's to compensate.
 */
async function compensate(db: OrderDatabase, stock: StockReservations, order: Order, cause: Error): Promise<boolean> {
  const claimed = await db.order.updateMany({
    where: { id: order.id, status: UNDECIDED, rejectionCode: null },
    data: { rejectionCode: 'SERVICE_UNAVAILABLE' },
  });
  if (claimed.count === 0) return false;
  releaseOwed(db, stock, order.id).catch((error: unknown) =>
    logger.warn(
      { orderId: order.id, err: error, cause: cause.message },
      'could not release stock after an unknown outcome; the order stays PENDING for the reconciler',
    ),
  );
  return true;
}

/**
 * Gives an order's copies back (a tombstone if book never saw it) and closes it as REJECTED. Only
 * book's "released" closes it: any other answer leaves the order PENDING for the reconciler, so a
 * customer told "not placed" never leaves copies held.
 */
export async function releaseOwed(db: OrderDatabase, stock: StockReservations, orderId: string): Promise<void> {
  const status = await stock.release(orderId);
  if (status !== 'RELEASED') throw new Error(`book answered ${status} to the release of order ${orderId}; the order stays pending`);
  await markRejected(db, orderId);
}

export async function markRejected(db: OrderDatabase, orderId: string): Promise<void> {
  await takeStep(db, orderId, 'reject');
}
