import { OrderCancelled, OrderDelivered, emitTo, type Emit, type EventMeta, type OutboxWriter } from '@bookshop/events';
import { DomainError, type Viewer } from '@bookshop/runtime';
import { takeStepReturning, type Order, type OrderDatabase, type OrderTransaction } from '../database.js';
import { ORDER_TRANSITIONS, decideCancel, isVisibleStatus, type OrderTransition } from './order-states.js';
import type { Shipments } from './shipments.js';

export const isVisible = (order: Order) => isVisibleStatus(order.status);

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

const notCancellable = () => new DomainError('ORDER_NOT_CANCELLABLE', 'This order was delivered already; it can no longer be cancelled.');

/**
 * The customer cancels until the parcel is handed over. Delivery decides (it alone knows whether
 * the parcel has gone): order asks it to stop the shipment first, and records CANCELLED with
 * OrderCancelled only when delivery said "stopped" — so a cancel racing the courier's completion
 * can never leave a cancelled order with a delivered parcel. Book gives the copies back when it
 * sees OrderCancelled. Delivery not answering: SERVICE_UNAVAILABLE and the order is unchanged (if
 * delivery did stop the shipment, its DeliveryCancelled finishes the cancel: see recordCancelled).
 */
export async function cancelOrder(
  db: OrderDatabase,
  shipments: Shipments,
  events: OutboxWriter,
  orderId: string,
  viewer: Viewer,
  meta: EventMeta,
): Promise<Order> {
  const order = assertCanSee(await db.order.findUnique({ where: { id: orderId } }), viewer);
  if (viewer.role !== 'customer') throw new DomainError('FORBIDDEN', 'Only the customer of an order can cancel it.');
  const decision = decideCancel(order.status);
  if (decision === 'already-cancelled') return order;
  if (decision === 'not-cancellable') throw notCancellable();

  if ((await shipments.stop({ orderId, address: order.address })) === 'DELIVERED') throw notCancellable();
  await db.$transaction((tx: OrderTransaction) => recordCancelled(tx, emitTo(tx.outboxEvent), events, orderId, { ...meta, orderId }));
  events.written();
  const cancelled = await db.order.findUniqueOrThrow({ where: { id: orderId } });
  if (cancelled.status !== ORDER_TRANSITIONS.cancel.to) throw notCancellable();
  return cancelled;
}

/**
 * Takes one step of a placed order together with the event that announces it (no step without its
 * event, no event without its step); a repeat, or an order already decided, changes nothing.
 */
async function stepWithEvent(
  tx: OrderTransaction,
  emit: Emit,
  events: OutboxWriter,
  orderId: string,
  transition: Extract<OrderTransition, 'cancel' | 'deliver'>,
  meta: EventMeta,
): Promise<void> {
  const stepped = await takeStepReturning(tx, orderId, transition);
  if (!stepped) return;
  const event = transition === 'cancel' ? OrderCancelled : OrderDelivered;
  await emit(events.record(event, { orderId, customerId: stepped.customerId }, meta));
}

/** Delivery stopped the shipment (answered "stopped", or announced DeliveryCancelled): PLACED → CANCELLED. */
export const recordCancelled = (tx: OrderTransaction, emit: Emit, events: OutboxWriter, orderId: string, meta: EventMeta) =>
  stepWithEvent(tx, emit, events, orderId, 'cancel', meta);

/** The courier handed the parcel over (DeliveryCompleted): PLACED → DELIVERED. */
export const markDelivered = (tx: OrderTransaction, emit: Emit, events: OutboxWriter, orderId: string, meta: EventMeta) =>
  stepWithEvent(tx, emit, events, orderId, 'deliver', meta);
