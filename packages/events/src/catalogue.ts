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

/*
 * Payload bounds: the input bounds of the shop (runtime's bounds.ts), so no event carries what no
 * request could have put in it. A forged or corrupted event beyond them is parked, not applied —
 * a consumer never stores a megabyte "title". Producers check the same schemas (eventOf).
 */
const text = (max: number) => z.string().min(1).max(max);
/** Entity ids are UUIDs; 100 leaves room for any other id scheme. */
const id = text(100);
/** A customer id is a token's subject, not a UUID: more room. */
const customerId = text(200);
const quantity = z.number().int().positive().max(1_000);

export const OrderPlaced = define(
  'order',
  'OrderPlaced',
  z.object({
    orderId: id,
    customerId,
    bookId: id,
    title: text(200),
    quantity,
    address: text(500),
  }),
);
export const OrderCancelled = define('order', 'OrderCancelled', z.object({ orderId: id, customerId }));
export const OrderDelivered = define('order', 'OrderDelivered', z.object({ orderId: id, customerId }));
export const StockReleased = define(
  'book',
  'StockReleased',
  z.object({
    orderId: id,
    bookId: id,
    quantity: z.number().int().nonnegative().max(1_000),
    stock: z.number().int().nonnegative().max(1_000_000_000),
  }),
);
export const DeliveryStarted = define('delivery', 'DeliveryStarted', z.object({ deliveryId: id, orderId: id, address: text(500) }));
export const DeliveryCompleted = define('delivery', 'DeliveryCompleted', z.object({ deliveryId: id, orderId: id }));
export const DeliveryCancelled = define('delivery', 'DeliveryCancelled', z.object({ deliveryId: id, orderId: id }));
export const ReviewWritten = define(
  'review',
  'ReviewWritten',
  z.object({
    reviewId: id,
    orderId: id,
    bookId: id,
    customerId,
    rating: z.number().int().min(1).max(5),
    content: text(2_000),
  }),
);

export const EVENTS = [
  OrderPlaced,
  OrderCancelled,
  OrderDelivered,
  StockReleased,
  DeliveryStarted,
  DeliveryCompleted,
  DeliveryCancelled,
  ReviewWritten,
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
