import { DomainError } from '@bookshop/runtime';
import type { OrderTransaction } from '../database.js';
import { refusal } from './order-metrics.js';
import { OPEN_STATUSES } from './order-states.js';

/**
 * The cap on a customer's open orders (PENDING or PLACED): one customer cannot hold the whole
 * stock, nor fill the order tables, with orders that never end. The insert checks it
 * (insertPendingWithinCap); when it did not insert, this says why, with the count, under the same lock.
 */
export async function refuseOverOpenOrderCap(tx: OrderTransaction, customerId: string, maxOpen: number): Promise<never> {
  const open = await tx.order.count({ where: { customerId, status: { in: [...OPEN_STATUSES] } } });
  throw refusal(
    new DomainError(
      'INVALID_INPUT',
      `You have ${open} open orders, and a customer may have at most ${maxOpen}: wait until one is delivered, or cancel one, before ordering again.`,
      { openOrders: open, maxOpenOrders: maxOpen },
    ),
  );
}
