import { DomainError } from '@bookshop/runtime';
import type { KnownOrder } from './known-orders.js';

/**
 * Who may review which order, as a rule on plain data: one review per delivered order, by the
 * order's own customer. Null when the review may be written; otherwise the refusal.
 */
export function refusalToReview(order: KnownOrder | null, customerId: string, alreadyReviewed: boolean): DomainError | null {
  // A placeholder (its later events came before its OrderPlaced) has no customer yet: not found, yet.
  if (!order?.placed)
    return new DomainError('ORDER_NOT_FOUND', 'There is no such order (or it was placed a moment ago: try again shortly).');
  if (order.placed.customerId !== customerId) return new DomainError('FORBIDDEN', 'This order is not yours.');
  if (order.status !== 'DELIVERED') return new DomainError('REVIEW_NOT_ALLOWED', 'An order can be reviewed once it is delivered.');
  if (alreadyReviewed) return secondReview();
  return null;
}

export const secondReview = () => new DomainError('REVIEW_NOT_ALLOWED', 'This order has a review already: one review per order.');
