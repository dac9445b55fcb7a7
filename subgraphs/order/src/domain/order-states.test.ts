import { describe, expect, it } from 'vitest';
import {
  ORDER_STATUSES,
  ORDER_TRANSITIONS,
  decideCancel,
  isFinal,
  isVisibleStatus,
  nextStatus,
  type OrderTransition,
} from './order-states.js';

const STEPS = Object.keys(ORDER_TRANSITIONS) as OrderTransition[];

describe('the order lifecycle', () => {
  it('a pending order is either placed or rejected, never both', () => {
    expect(nextStatus('PENDING', 'place')).toBe('PLACED');
    expect(nextStatus('PENDING', 'reject')).toBe('REJECTED');
    expect(nextStatus('PLACED', 'reject')).toBeNull();
    expect(nextStatus('REJECTED', 'place')).toBeNull();
  });

  it('a placed order is either delivered or cancelled, never both, whichever comes first', () => {
    for (const [first, second] of [
      ['deliver', 'cancel'],
      ['cancel', 'deliver'],
    ] as const) {
      const afterFirst = nextStatus('PLACED', first)!;
      expect(afterFirst).not.toBeNull();
      expect({ first, second: nextStatus(afterFirst, second) }).toEqual({ first, second: null });
    }
  });

  it('delivered, cancelled and rejected orders are final: no step leaves them', () => {
    for (const status of ORDER_STATUSES) {
      const leaving = STEPS.filter((step) => nextStatus(status, step) !== null);
      expect({ status, final: leaving.length === 0 }).toEqual({ status, final: isFinal(status) });
    }
    expect(ORDER_STATUSES.filter(isFinal)).toEqual(['REJECTED', 'DELIVERED', 'CANCELLED']);
  });

  it('no step leads back to where an order has been (statuses only move forward)', () => {
    const reachable = (from: string, seen = new Set<string>()): Set<string> => {
      for (const step of STEPS) {
        const next = nextStatus(from as never, step);
        if (next && !seen.has(next)) reachable(next, seen.add(next));
      }
      return seen;
    };
    for (const status of ORDER_STATUSES) expect({ status, cycles: reachable(status).has(status) }).toEqual({ status, cycles: false });
  });

  it('customers see placed, delivered and cancelled orders; pending and rejected ones do not exist for them', () => {
    expect(ORDER_STATUSES.filter(isVisibleStatus)).toEqual(['PLACED', 'DELIVERED', 'CANCELLED']);
  });

  it('a cancel of a placed order asks delivery first; a repeat answers; a delivered order is not cancellable', () => {
    expect(decideCancel('PLACED')).toBe('ask-delivery');
    expect(decideCancel('CANCELLED')).toBe('already-cancelled');
    expect(decideCancel('DELIVERED')).toBe('not-cancellable');
  });
});
