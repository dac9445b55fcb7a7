/**
 * An order's lifecycle, in one table: every status, and every step from one to another. The saga,
 * the cancel, the reconciler and the event handlers change an order only through these steps,
 * each as a conditional update "from → to", so two deciders racing for one order cannot both win.
 *
 *   PENDING ──place──▶ PLACED ──deliver──▶ DELIVERED
 *      │                  └─────cancel───▶ CANCELLED
 *      └──reject──▶ REJECTED
 *
 * PENDING: stock is being reserved (never shown). REJECTED: refused, or its outcome was unknown
 * and its copies were released (kept for audit, never shown). The other three are what a
 * customer sees; DELIVERED, CANCELLED and REJECTED are final.
 */
export const ORDER_STATUSES = ['PENDING', 'PLACED', 'REJECTED', 'DELIVERED', 'CANCELLED'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_TRANSITIONS = {
  place: { from: 'PENDING', to: 'PLACED' },
  reject: { from: 'PENDING', to: 'REJECTED' },
  deliver: { from: 'PLACED', to: 'DELIVERED' },
  cancel: { from: 'PLACED', to: 'CANCELLED' },
} as const satisfies Record<string, { from: OrderStatus; to: OrderStatus }>;
export type OrderTransition = keyof typeof ORDER_TRANSITIONS;

/** The status of an order whose saga has not decided it yet. */
export const UNDECIDED = ORDER_TRANSITIONS.place.from;

const VISIBLE: ReadonlySet<OrderStatus> = new Set(['PLACED', 'DELIVERED', 'CANCELLED']);

/** A PENDING order is still being decided, a REJECTED one never was: neither exists for a customer. */
export const isVisibleStatus = (status: OrderStatus) => VISIBLE.has(status);

/** Where `transition` takes an order in `status`, or null when it does not apply. */
export function nextStatus(status: OrderStatus, transition: OrderTransition): OrderStatus | null {
  const step = ORDER_TRANSITIONS[transition];
  return step.from === status ? step.to : null;
}

/** No step leaves a final status. */
export const isFinal = (status: OrderStatus) => Object.values(ORDER_TRANSITIONS).every((step) => step.from !== status);

/** Orders still under way (PENDING, PLACED): what the per-customer cap counts. */
export const OPEN_STATUSES: readonly OrderStatus[] = ORDER_STATUSES.filter((status) => !isFinal(status));

/**
 * What a customer's cancel meets: a placed order must ask delivery (which alone knows whether the
 * parcel has gone); a cancelled one answers as it is (a repeat); any other is not cancellable.
 */
export type CancelDecision = 'ask-delivery' | 'already-cancelled' | 'not-cancellable';

export function decideCancel(status: OrderStatus): CancelDecision {
  if (nextStatus(status, 'cancel')) return 'ask-delivery';
  return status === ORDER_TRANSITIONS.cancel.to ? 'already-cancelled' : 'not-cancellable';
}
