import { logger } from '@bookshop/runtime';
import type { Order, OrderDatabase } from '../database.js';
import { UNDECIDED } from './order-states.js';
import { markRejected, recordPlaced, releaseOwed, type OrderEvents } from './place-order.js';
import type { StockReservations } from './stock-reservations.js';

export type Resolution = 'placed' | 'rejected' | 'decided-elsewhere';

/**
 * Settles one order the saga left PENDING (its process died, or the call's outcome stayed
 * unknown), so that stock and orders agree. Book is asked what it holds for the order first:
 * - copies are held and the customer was not told "not placed": finish the saga — PLACED with
 *   OrderPlaced;
 * - otherwise the order is claimed for rejection (unless a release was already owed), the copies
 *   are released — a release for an order book never saw leaves a tombstone, so a reservation
 *   still on its way is refused — and the order becomes REJECTED.
 * Every step is conditional on the order still being undecided and every call to book is
 * idempotent by order id, so a repeat, or a saga still running, changes nothing twice.
 */
export async function reconcileOrder(db: OrderDatabase, stock: StockReservations, events: OrderEvents, order: Order): Promise<Resolution> {
  const held = await stock.find(order.id);
  if (order.rejectionCode === null) {
    if (held?.status === 'RESERVED' && held.bookId) {
      return (await recordPlaced(db, events, order, held.bookId, order)) ? 'placed' : 'decided-elsewhere';
    }
    const claimed = await db.order.updateMany({
      where: { id: order.id, status: UNDECIDED, rejectionCode: null },
      data: { rejectionCode: 'SERVICE_UNAVAILABLE' },
    });
    if (claimed.count === 0) return 'decided-elsewhere';
  }
  if (held?.status === 'RELEASED') await markRejected(db, order.id);
  else await releaseOwed(db, stock, order.id);
  return 'rejected';
}

/**
 * One pass over orders PENDING for longer than any saga takes (`staleAfterMs`), oldest first. An
 * order book cannot be asked about now stays for the next pass.
 */
export async function reconcilePendingOrders(
  db: OrderDatabase,
  stock: StockReservations,
  events: OrderEvents,
  options: { staleAfterMs: number; batchSize?: number },
): Promise<Record<Resolution | 'failed', number>> {
  const stuck = await db.order.findMany({
    where: { status: UNDECIDED, updatedAt: { lt: new Date(Date.now() - options.staleAfterMs) } },
    orderBy: { updatedAt: 'asc' },
    take: options.batchSize ?? 100,
  });
  const counts = { placed: 0, rejected: 0, 'decided-elsewhere': 0, failed: 0 };
  for (const order of stuck) {
    try {
      const resolution = await reconcileOrder(db, stock, events, order);
      counts[resolution] += 1;
      logger.info({ orderId: order.id, resolution }, `reconciled a pending order: ${resolution}`);
    } catch (error) {
      counts.failed += 1;
      logger.warn({ orderId: order.id, err: error }, 'could not reconcile a pending order yet; the next pass tries again');
    }
  }
  return counts;
}
