import type {
  DeliveryCancelled,
  DeliveryCompleted,
  DeliveryStarted,
  EventDefinition,
  OrderCancelled,
  OrderDelivered,
  OrderPlaced,
  Payload,
  ReviewWritten,
  StockReleased,
} from '@bookshop/events';

/**
 * How events change the customer's read model: one entry per order, as plain data, with no
 * database and no transport. Events of different contexts reach my page in no guaranteed order,
 * and any of them may come again (a redelivery after a failed attempt, a replay with a new id), so
 * the rule is order-independent:
 * - each status only moves forward along its lifecycle, and a terminal one never moves again;
 * - what an entry has learnt it keeps (the order's details, a review), so a repeat changes nothing;
 * - an event for an order whose OrderPlaced has not come yet makes a placeholder that keeps what it
 *   said, instead of failing until the consumer parks it in the dead letters.
 * The entry therefore ends the same whatever the order its events came in: the entry their
 * natural order gives, with a version that counts the changes that order makes.
 */

export type OrderStatus = 'PLACED' | 'DELIVERED' | 'CANCELLED';
export type DeliveryStatus = 'PREPARING' | 'DELIVERED' | 'CANCELLED';

export interface OrderDetails {
  customerId: string;
  bookId: string;
  title: string;
  quantity: number;
  address: string;
}

export interface Entry {
  orderId: string;
  /** What OrderPlaced said; null while the entry is a placeholder, shown to nobody. */
  details: OrderDetails | null;
  orderStatus: OrderStatus;
  deliveryStatus: DeliveryStatus | null;
  /**
   * DeliveryStarted was applied. Kept apart from the status, which may have moved past PREPARING
   * before DeliveryStarted came: arriving late, it still changes the entry once (the natural order
   * counts it), arriving again it changes nothing.
   */
  deliveryStarted: boolean;
  review: { rating: number; content: string } | null;
  /** StockReleased was applied: the book's stock the entry shows went up once. */
  stockReleased: boolean;
  /** Rises by one with every change: the number of changes the entry has seen. */
  version: number;
}

type Event<D extends EventDefinition> = { type: D['type']; payload: Payload<D> };

/** The events the projection applies, as the catalogue defines them. */
export type ProjectedEvent =
  | Event<typeof OrderPlaced>
  | Event<typeof OrderDelivered>
  | Event<typeof OrderCancelled>
  | Event<typeof DeliveryStarted>
  | Event<typeof DeliveryCompleted>
  | Event<typeof DeliveryCancelled>
  | Event<typeof ReviewWritten>
  | Event<typeof StockReleased>;

export const PROJECTED_EVENT_TYPES = [
  'OrderPlaced',
  'OrderDelivered',
  'OrderCancelled',
  'DeliveryStarted',
  'DeliveryCompleted',
  'DeliveryCancelled',
  'ReviewWritten',
  'StockReleased',
] as const satisfies ReadonlyArray<ProjectedEvent['type']>;

/** The statuses each status may still move to: a status only moves forward; terminal ones have none. */
const ORDER_LATER: Record<OrderStatus, readonly OrderStatus[]> = {
  PLACED: ['DELIVERED', 'CANCELLED'],
  DELIVERED: [],
  CANCELLED: [],
};
// No status yet may move to any: DeliveryCompleted or DeliveryCancelled can come before DeliveryStarted.
const DELIVERY_LATER: Record<DeliveryStatus | 'NONE', readonly DeliveryStatus[]> = {
  NONE: ['PREPARING', 'DELIVERED', 'CANCELLED'],
  PREPARING: ['DELIVERED', 'CANCELLED'],
  DELIVERED: [],
  CANCELLED: [],
};

const orderMovesTo = (from: OrderStatus, to: OrderStatus) => ORDER_LATER[from].includes(to);
const deliveryMovesTo = (from: DeliveryStatus | null, to: DeliveryStatus) => DELIVERY_LATER[from ?? 'NONE'].includes(to);

/** An order nothing is known of yet: the entry an event makes when it is the order's first. */
const unknownOrder = (orderId: string): Entry => ({
  orderId,
  details: null,
  orderStatus: 'PLACED',
  deliveryStatus: null,
  deliveryStarted: false,
  review: null,
  stockReleased: false,
  version: 0,
});

/** What the event teaches the entry; the very same entry when it teaches nothing new. */
function learn(entry: Entry, event: ProjectedEvent): Entry {
  switch (event.type) {
    case 'OrderPlaced': {
      if (entry.details) return entry;
      const { customerId, bookId, title, quantity, address } = event.payload;
      return { ...entry, details: { customerId, bookId, title, quantity, address } };
    }
    case 'OrderDelivered':
      return orderMovesTo(entry.orderStatus, 'DELIVERED') ? { ...entry, orderStatus: 'DELIVERED' } : entry;
    case 'OrderCancelled':
      return orderMovesTo(entry.orderStatus, 'CANCELLED') ? { ...entry, orderStatus: 'CANCELLED' } : entry;
    case 'DeliveryStarted':
      if (entry.deliveryStarted) return entry;
      return {
        ...entry,
        deliveryStarted: true,
        deliveryStatus: deliveryMovesTo(entry.deliveryStatus, 'PREPARING') ? 'PREPARING' : entry.deliveryStatus,
      };
    case 'DeliveryCompleted':
      return deliveryMovesTo(entry.deliveryStatus, 'DELIVERED') ? { ...entry, deliveryStatus: 'DELIVERED' } : entry;
    case 'DeliveryCancelled':
      return deliveryMovesTo(entry.deliveryStatus, 'CANCELLED') ? { ...entry, deliveryStatus: 'CANCELLED' } : entry;
    case 'ReviewWritten':
      // A review once written stays: one review per order.
      return entry.review ? entry : { ...entry, review: { rating: event.payload.rating, content: event.payload.content } };
    case 'StockReleased':
      // Nothing of the order's own changes, but a live subscriber should see the book's restored
      // stock: the entry changes (and is pushed) once per release.
      return entry.stockReleased ? entry : { ...entry, stockReleased: true };
  }
}

/**
 * Applies one event to the entry of its order (`null`: none yet). `changed` is false when the
 * event teaches the entry nothing new — a repeat, or a status that would move backwards — and
 * then the entry comes back as it was, same version.
 */
export function applyEvent(current: Entry | null, event: ProjectedEvent): { entry: Entry; changed: boolean } {
  const before = current ?? unknownOrder(event.payload.orderId);
  const after = learn(before, event);
  if (after === before) return { entry: before, changed: false };
  return { entry: { ...after, version: before.version + 1 }, changed: true };
}
