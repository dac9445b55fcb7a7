import { subjectOf, type EventDefinition } from './catalogue.js';
import type { EventEnvelope } from './envelope.js';

/** The outbox row for an event: what a context writes in the transaction of its state change. */
export function outboxRecord(prefix: string, definition: EventDefinition, envelope: EventEnvelope) {
  return { id: envelope.id, type: envelope.type, subject: subjectOf(prefix, definition), envelope: JSON.stringify(envelope) };
}
