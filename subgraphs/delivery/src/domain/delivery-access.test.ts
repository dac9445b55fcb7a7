import type { Viewer } from '@bookshop/runtime';
import { describe, expect, it } from 'vitest';
import type { Delivery } from '../database.js';
import { visibleDelivery } from './delivery-access.js';

const shipment = (customerId: string | null): Delivery => ({
  id: 'd1',
  orderId: 'o1',
  customerId,
  address: '1 Ocean Way',
  status: 'PREPARING',
  createdAt: new Date(0),
  updatedAt: new Date(0),
});
const as = (role: Viewer['role'], subject = 'x'): Viewer => ({ role, subject });
const codeOf = (see: () => unknown) => {
  try {
    see();
    return 'ALLOWED';
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('who sees a shipment', () => {
  it("shows it to its order's customer, staff and couriers", () => {
    expect(visibleDelivery(shipment('alice'), as('customer', 'alice'))).toMatchObject({ address: '1 Ocean Way' });
    expect(visibleDelivery(shipment('alice'), as('staff'))).toMatchObject({ address: '1 Ocean Way' });
    expect(visibleDelivery(shipment('alice'), as('courier'))).toMatchObject({ address: '1 Ocean Way' });
  });

  it('refuses the anonymous (UNAUTHENTICATED) and another customer (FORBIDDEN)', () => {
    expect(codeOf(() => visibleDelivery(shipment('alice'), null))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => visibleDelivery(shipment('alice'), as('customer', 'bob')))).toBe('FORBIDDEN');
  });

  it('refuses every customer a shipment whose customer delivery never learnt', () => {
    expect(codeOf(() => visibleDelivery(shipment(null), as('customer', 'alice')))).toBe('FORBIDDEN');
    expect(visibleDelivery(shipment(null), as('staff'))).toMatchObject({ id: 'd1' });
  });

  it('answers null for no shipment, but only to a caller allowed to ask', () => {
    expect(visibleDelivery(null, as('customer', 'bob'))).toBeNull();
    expect(codeOf(() => visibleDelivery(null, null))).toBe('UNAUTHENTICATED');
  });
});
