import { randomUUID } from 'node:crypto';
import type { EventBus } from '@bookshop/events';

export interface ParkedMessage {
  seq: number;
  consumer: string;
  /** Where the message was published originally, and where a replay sends it again. */
  subject: string;
  error: string;
  data: Uint8Array;
}

const deadLetterRoot = (bus: EventBus) => `${bus.prefix}.deadletter`;

/** Every parked message (of one consumer, or of all), oldest first, read without consuming it. */
export async function listDeadLetters(bus: EventBus, consumer?: string): Promise<ParkedMessage[]> {
  const filter = `${deadLetterRoot(bus)}.${consumer ?? '*'}.>`;
  const info = await bus.jsm.streams.info(bus.stream, { subjects_filter: filter });
  const total = Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  if (total === 0) return [];
  const reader = await bus.js.consumers.get(bus.stream, { filter_subjects: filter });
  const parked: ParkedMessage[] = [];
  for await (const message of await reader.fetch({ max_messages: total, expires: 2_000 })) {
    parked.push({
      seq: message.seq,
      consumer: message.subject.split('.')[2] ?? '?',
      subject: message.headers?.get('Bookshop-Subject') ?? '',
      error: message.headers?.get('Bookshop-Error') ?? '',
      data: message.data,
    });
    if (parked.length === total) break;
  }
  return parked;
}

/**
 * Publishes a consumer's parked messages again on their original subjects (a fresh message id, so
 * JetStream stores them; the consumers' inboxes still drop an event they applied already) and
 * removes them from the dead letters. One that fails again is parked again.
 */
export async function replayDeadLetters(bus: EventBus, consumer: string): Promise<number> {
  const parked = await listDeadLetters(bus, consumer);
  for (const message of parked) {
    if (!message.subject) continue;
    await bus.js.publish(message.subject, message.data, { msgID: `replay-${randomUUID()}` });
    await bus.jsm.streams.deleteMessage(bus.stream, message.seq);
  }
  return parked.length;
}
