/**
 * A shipment's lifecycle, in one table. Delivery is the one authority on whether a parcel has
 * gone, so it decides between a customer's cancel and the courier's completion: both leave only
 * PREPARING, each as a conditional update, so for every order exactly one of them wins.
 *
 *   (none) ──prepare──▶ PREPARING ──complete──▶ DELIVERED
 *      │                    └──────stop───────▶ CANCELLED
 *      └──────────stop (a tombstone)──────────▶ CANCELLED
 *
 * A stop that arrives before the shipment exists (OrderPlaced not handled yet: slow, failed once,
 * replayed) records the shipment as CANCELLED, so the late OrderPlaced prepares nothing.
 */
export const SHIPMENT_STATUSES = ['PREPARING', 'DELIVERED', 'CANCELLED'] as const;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];

export const SHIPMENT_TRANSITIONS = {
  prepare: { from: null, to: 'PREPARING' },
  complete: { from: 'PREPARING', to: 'DELIVERED' },
  stop: { from: 'PREPARING', to: 'CANCELLED' },
} as const satisfies Record<string, { from: ShipmentStatus | null; to: ShipmentStatus }>;

/** What a stop request meets: a shipment to cancel, none yet (leave a tombstone), or a decided one. */
export type StopDecision = 'cancel' | 'tombstone' | 'already-stopped' | 'too-late';

export function decideStop(current: ShipmentStatus | null): StopDecision {
  if (current === null) return 'tombstone';
  if (current === SHIPMENT_TRANSITIONS.stop.from) return 'cancel';
  return current === SHIPMENT_TRANSITIONS.stop.to ? 'already-stopped' : 'too-late';
}

/** What the courier's completion meets: a shipment to deliver, a repeat, or a stopped one. */
export type CompleteDecision = 'deliver' | 'already-delivered' | 'not-completable';

export function decideComplete(current: ShipmentStatus): CompleteDecision {
  if (current === SHIPMENT_TRANSITIONS.complete.from) return 'deliver';
  return current === SHIPMENT_TRANSITIONS.complete.to ? 'already-delivered' : 'not-completable';
}

/** A late OrderPlaced prepares a shipment only for an order delivery has no record of. */
export const shouldPrepare = (current: ShipmentStatus | null) => current === SHIPMENT_TRANSITIONS.prepare.from;

/** Where `transition` takes a shipment in `current`, or null when it does not apply. */
export function nextShipmentStatus(current: ShipmentStatus | null, transition: keyof typeof SHIPMENT_TRANSITIONS): ShipmentStatus | null {
  const step = SHIPMENT_TRANSITIONS[transition];
  return step.from === current ? step.to : null;
}
