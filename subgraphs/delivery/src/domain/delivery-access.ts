import { DomainError, requireRole, type Viewer } from '@bookshop/runtime';
import type { Delivery } from '../database.js';

/**
 * Who sees a shipment, which carries the customer's address: staff, couriers (they deliver them),
 * and the customer of its order; anyone else is refused. The root fields are not the only way in:
 * a shipment reached as an entity (`Delivery` by id, or `Order.delivery`) carries the end user's
 * token too, and must not tell a caller more than the root fields would. A shipment whose customer
 * delivery never learnt is shown to staff and couriers only. No shipment: null, for those allowed to ask.
 */
export function visibleDelivery(delivery: Delivery | null, viewer: Viewer | null): Delivery | null {
  const caller = requireRole(viewer, 'customer', 'staff', 'courier');
  if (!delivery) return null;
  if (caller.role === 'customer' && delivery.customerId !== caller.subject) {
    throw new DomainError('FORBIDDEN', 'This delivery is not of your order.');
  }
  return delivery;
}
