import type { EventEnvelope } from './envelope.js';
import type { EventBus } from './nats.js';

/**
 * Publishes one envelope on its subject. The event id is the JetStream message id, so a repeat
 * inside the stream's duplicate window is stored once (`duplicate: true`).
 */
export async function publishEnvelope(bus: EventBus, subject: string, envelope: EventEnvelope): Promise<{ duplicate: boolean }> {
  const ack = await bus.js.publish(subject, JSON.stringify(envelope), { msgID: envelope.id });
  return { duplicate: ack.duplicate };
}
