import { randomUUID } from 'node:crypto';
import { activeTraceparent } from '@bookshop/runtime';
import { z } from 'zod';

/** What every event on the wire looks like (docs/architecture.md, "Events"): the payload is the event's own. */
export const envelopeSchema = z.object({
  id: z.string().uuid(),
  type: z.string().min(1),
  occurredAt: z.string().datetime(),
  orderId: z.string().nullable(),
  correlationId: z.string().min(1),
  traceparent: z.string().nullable(),
  version: z.number().int().positive(),
  payload: z.unknown(),
});

export type EventEnvelope<TPayload = unknown> = Omit<z.infer<typeof envelopeSchema>, 'payload'> & { payload: TPayload };

/** What the request that caused an event knows: its order and its trace. */
export interface EventMeta {
  orderId?: string | null;
  correlationId: string;
  traceparent?: string | null;
}

export function createEnvelope<TPayload>(type: string, version: number, payload: TPayload, meta: EventMeta): EventEnvelope<TPayload> {
  return {
    id: randomUUID(),
    type,
    occurredAt: new Date().toISOString(),
    orderId: meta.orderId ?? null,
    correlationId: meta.correlationId,
    // The span that caused it (a saga step, a consumer's handling) when tracing is on; else the caller's.
    traceparent: activeTraceparent() ?? meta.traceparent ?? null,
    version,
    payload,
  };
}

/** The meta of an event caused by another: same order, same correlation id and trace. */
export const causedBy = (event: EventEnvelope): EventMeta => ({
  orderId: event.orderId,
  correlationId: event.correlationId,
  traceparent: event.traceparent,
});
