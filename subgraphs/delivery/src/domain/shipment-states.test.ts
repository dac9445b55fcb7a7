import { describe, expect, it } from 'vitest';
import {
  SHIPMENT_STATUSES,
  decideComplete,
  decideStop,
  nextShipmentStatus,
  shouldPrepare,
  type ShipmentStatus,
} from './shipment-states.js';

describe('the shipment lifecycle', () => {
  it('exactly one of a stop and a completion wins, whichever comes first', () => {
    for (const [first, second] of [
      ['stop', 'complete'],
      ['complete', 'stop'],
    ] as const) {
      const afterFirst = nextShipmentStatus('PREPARING', first);
      expect(afterFirst).not.toBeNull();
      expect({ first, second: nextShipmentStatus(afterFirst, second) }).toEqual({ first, second: null });
    }
  });

  it('a stop before the shipment exists leaves a stopped record, and the late order prepares nothing', () => {
    expect(decideStop(null)).toBe('tombstone');
    expect(shouldPrepare('CANCELLED')).toBe(false);
    expect(shouldPrepare(null)).toBe(true);
  });

  it('a delivered parcel cannot be stopped, and a stopped one cannot be completed', () => {
    expect(decideStop('DELIVERED')).toBe('too-late');
    expect(decideComplete('CANCELLED')).toBe('not-completable');
  });

  it('repeats answer the decision already taken', () => {
    expect(decideStop('CANCELLED')).toBe('already-stopped');
    expect(decideComplete('DELIVERED')).toBe('already-delivered');
  });

  it('DELIVERED and CANCELLED are final: no step leaves them', () => {
    const final: ShipmentStatus[] = ['DELIVERED', 'CANCELLED'];
    for (const status of final) {
      for (const step of ['prepare', 'complete', 'stop'] as const)
        expect({ status, step, next: nextShipmentStatus(status, step) }).toEqual({ status, step, next: null });
    }
    expect(SHIPMENT_STATUSES).toEqual(['PREPARING', 'DELIVERED', 'CANCELLED']);
  });
});
