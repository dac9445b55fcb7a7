import { z } from 'zod';
import { createEnvelope, type EventEnvelope, type EventMeta } from './envelope.js';

/**
 * Every event of the shop, defined once: who publishes it, its name and its payload's schema.
 * Producers build envelopes from these; consumers validate payloads with them.
 */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  context: 'order' | 'book' | 'delivery' | 'review';
  type: TType;
  version: number;
  payload: TSchema;
}

const define = <TType extends string, TSchema extends z.ZodType>(
  context: EventDefinition['context'],
  type: TType,
  payload: TSchema,
): EventDefinition<TType, TSchema> => ({ context, type, version: 1, payload });

const id = z.string().min(1);

export const OrderPlaced = define('order', 'OrderPlaced', z.object({
  orderId: id, customerId: id, bookId: id, title: z.string(), quantity: z.number().int().positive(), address: z.string(),
}));
export const OrderCancelled = define('order', 'OrderCancelled', z.object({ orderId: id, customerId: id }));
export const OrderDelivered = define('order', 'OrderDelivered', z.object({ orderId: id, customerId: id }));
export const StockReleased = define('book', 'StockReleased', z.object({
  orderId: id, bookId: id, quantity: z.number().int().nonnegative(), stock: z.number().int().nonnegative(),
}));
export const DeliveryStarted = define('delivery', 'DeliveryStarted', z.object({ deliveryId: id, orderId: id, address: z.string() }));
export const DeliveryCompleted = define('delivery', 'DeliveryCompleted', z.object({ deliveryId: id, orderId: id }));
export const DeliveryCancelled = define('delivery', 'DeliveryCancelled', z.object({ deliveryId: id, orderId: id }));
export const ReviewWritten = define('review', 'ReviewWritten', z.object({
  reviewId: id, orderId: id, bookId: id, customerId: id, rating: z.number().int().min(1).max(5), content: z.string(),
}));

export const EVENTS = [
  OrderPlaced, OrderCancelled, OrderDelivered, StockReleased,
  DeliveryStarted, DeliveryCompleted, DeliveryCancelled, ReviewWritten,
] as const;

export type Payload<D extends EventDefinition> = z.infer<D['payload']>;

/** An envelope for `definition`, its payload checked against the definition's schema. */
export function eventOf<D extends EventDefinition>(definition: D, payload: Payload<D>, meta: EventMeta): EventEnvelope<Payload<D>> {
  return createEnvelope(definition.type, definition.version, definition.payload.parse(payload) as Payload<D>, meta);
}

/** `<prefix>.<context>.<EventName>`, e.g. `bookshop.order.OrderPlaced`. */
export const subjectOf = (prefix: string, definition: EventDefinition) => `${prefix}.${definition.context}.${definition.type}`;

/**
 * Where a consumer parks a message it cannot handle, with the reason in a header:
 * `<prefix>.deadletter.<consumer>.<EventName>`. Four tokens, so no event filter (`<prefix>.*.*`)
 * ever matches a parked message.
 */
export const deadLetterSubject = (prefix: string, consumer: string, type = 'unreadable') =>
  `${prefix}.deadletter.${consumer}.${type.replace(/[^\w-]/g, '_') || 'unreadable'}`;

/** Every parked message of one consumer. */
export const deadLetterFilter = (prefix: string, consumer: string) => `${prefix}.deadletter.${consumer}.>`;
