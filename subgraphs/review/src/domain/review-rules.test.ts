import { describe, expect, it } from 'vitest';
import type { KnownOrder } from './known-orders.js';
import { refusalToReview } from './review-rules.js';

const order = (status: KnownOrder['status'], customerId = 'alice'): KnownOrder => ({
  orderId: 'o1',
  placed: { customerId, bookId: 'b1' },
  status,
});
const codeOf = (refusal: ReturnType<typeof refusalToReview>) => refusal?.code ?? 'ALLOWED';

describe('one review per delivered order, by its own customer', () => {
  it('allows the customer of a delivered order that has no review yet', () => {
    expect(codeOf(refusalToReview(order('DELIVERED'), 'alice', false))).toBe('ALLOWED');
  });

  it('refuses a second review of the same order', () => {
    expect(codeOf(refusalToReview(order('DELIVERED'), 'alice', true))).toBe('REVIEW_NOT_ALLOWED');
  });

  it('refuses an order that is placed or cancelled, not delivered', () => {
    expect(codeOf(refusalToReview(order('PLACED'), 'alice', false))).toBe('REVIEW_NOT_ALLOWED');
    expect(codeOf(refusalToReview(order('CANCELLED'), 'alice', false))).toBe('REVIEW_NOT_ALLOWED');
  });

  it("refuses another customer's order, even a delivered one", () => {
    expect(codeOf(refusalToReview(order('DELIVERED', 'bob'), 'alice', false))).toBe('FORBIDDEN');
  });

  it('answers ORDER_NOT_FOUND for an order review has not seen placed (none, or only its later events)', () => {
    expect(codeOf(refusalToReview(null, 'alice', false))).toBe('ORDER_NOT_FOUND');
    expect(codeOf(refusalToReview({ orderId: 'o1', placed: null, status: 'DELIVERED' }, 'alice', false))).toBe('ORDER_NOT_FOUND');
  });
});
