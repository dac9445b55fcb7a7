import { DomainError } from '@bookshop/runtime';
import type { OrderTransaction } from '../database.js';
import { refusal } from './order-metrics.js';
import { OPEN_STATUSES } from './order-states.js';

/**
 * The cap on a customer's open orders (PENDING or PLACED): one customer cannot hold the whole
 * stock, nor fill the order tables, with orders that never end. Call it inside the transaction
 * that creates the order, after lockCustomerOrders, so the count it reads is the one the insert
 * commits against.
 */
export async function refuseOverOpenOrderCap(tx: OrderTransaction, customerId: string, maxOpen: number): Promise<void> {
  const open = await tx.order.count({ where: { customerId, status: { in: [...OPEN_STATUSES] } } });
  if (open >= maxOpen) {
    throw refusal(
      new DomainError(
        'INVALID_INPUT',
        `You have ${open} open orders, and a customer may have at most ${maxOpen}: wait until one is delivered, or cancel one, before ordering again.`,
        { openOrders: open, maxOpenOrders: maxOpen },
      ),
    );
  }
}
