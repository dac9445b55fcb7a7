import { envelopeSchema, type EventEnvelope } from '@bookshop/events';
import type { TestShop } from './shop.js';

/**
 * Every event of one type in the shop's stream, read from JetStream; waits up to `timeoutMs`
 * until `ready` holds for what was read.
 */
export async function eventsInStream(
  shop: TestShop,
  type: string,
  ready: (events: EventEnvelope[]) => boolean = (events) => events.length > 0,
  timeoutMs = 5_000,
): Promise<EventEnvelope[]> {
  const { events } = shop;
  const filter = `${events.prefix}.*.${type}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await events.jsm.streams.info(events.stream, { subjects_filter: filter });
    const count = Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
    const found: EventEnvelope[] = [];
    if (count > 0) {
      const reader = await events.js.consumers.get(events.stream, { filter_subjects: filter });
      for await (const message of await reader.fetch({ max_messages: count, expires: 2_000 })) {
        found.push(envelopeSchema.parse(message.json()) as EventEnvelope);
        if (found.length === count) break;
      }
    }
    if (ready(found) || Date.now() > deadline) return found;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
