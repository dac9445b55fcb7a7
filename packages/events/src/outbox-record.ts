import { eventOf, subjectOf, type EventDefinition, type Payload } from './catalogue.js';
import type { EventEnvelope, EventMeta } from './envelope.js';

/** What a context writes to its outbox table in the transaction of a state change. */
export interface NewOutboxRow {
  id: string;
  type: string;
  subject: string;
  envelope: string;
}

/** The outbox row for an event: what a context writes in the transaction of its state change. */
export function outboxRecord(prefix: string, definition: EventDefinition, envelope: EventEnvelope): NewOutboxRow {
  return { id: envelope.id, type: envelope.type, subject: subjectOf(prefix, definition), envelope: JSON.stringify(envelope) };
}

/** The outbox row for a new event of `definition`, caused by `meta` (a request or an event). */
export function newOutboxRecord<D extends EventDefinition>(
  prefix: string,
  definition: D,
  payload: Payload<D>,
  meta: EventMeta,
): NewOutboxRow {
  return outboxRecord(prefix, definition, eventOf(definition, payload, meta));
}
