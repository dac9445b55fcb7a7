import { DomainError, type Viewer } from '@bookshop/runtime';
import type { Order } from '../database.js';

/** Orders a customer can see: a PENDING order is still being decided, a REJECTED one never was. */
const VISIBLE_STATUSES = new Set<Order['status']>(['PLACED', 'DELIVERED', 'CANCELLED']);

export const isVisible = (order: Order) => VISIBLE_STATUSES.has(order.status);

/**
 * Who sees an order: its customer and staff; a courier sees the orders of deliveries (they only
 * reach an order through one). Anyone else is refused; an invisible order does not exist.
 */
export function assertCanSee(order: Order | null, viewer: Viewer | null, options: { courier?: boolean } = {}): Order {
  if (!viewer) throw new DomainError('UNAUTHENTICATED', 'Sign in first: send a bearer token.');
  if (!order || !isVisible(order)) throw new DomainError('ORDER_NOT_FOUND', 'There is no such order.');
  const allowed =
    viewer.role === 'staff' ||
    (viewer.role === 'customer' && viewer.subject === order.customerId) ||
    (viewer.role === 'courier' && options.courier === true);
  if (!allowed) throw new DomainError('FORBIDDEN', 'This order is not yours.');
  return order;
}
