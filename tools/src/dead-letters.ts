import { randomUUID } from 'node:crypto';
import { DEAD_LETTER_HEADERS, type EventBus } from '@bookshop/events';

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
      subject: message.headers?.get(DEAD_LETTER_HEADERS.subject) ?? '',
      error: message.headers?.get(DEAD_LETTER_HEADERS.error) ?? '',
      data: message.data,
    });
    if (parked.length === total) break;
  }
  return parked;
}

/** A parked message that a replay left where it is, and why. */
export interface RefusedReplay {
  seq: number;
  subject: string;
  reason: string;
}

export interface ReplayOutcome {
  replayed: number;
  refused: RefusedReplay[];
}

/** NATS subject matching: `*` is one token, `>` the rest (one token at least). */
export function subjectMatches(filter: string, subject: string): boolean {
  const wanted = filter.split('.');
  const tokens = subject.split('.');
  for (const [index, token] of wanted.entries()) {
    if (token === '>') return tokens.length > index;
    if (index >= tokens.length || (token !== '*' && token !== tokens[index])) return false;
  }
  return wanted.length === tokens.length;
}

/** The subjects a durable consumer reads, as JetStream has them; undefined when it does not exist. */
async function filtersOf(bus: EventBus, consumer: string): Promise<string[] | undefined> {
  try {
    const { config } = await bus.jsm.consumers.info(bus.stream, consumer);
    const filters = config.filter_subjects?.length ? config.filter_subjects : config.filter_subject ? [config.filter_subject] : [];
    return filters.length ? filters : [`${bus.prefix}.>`];
  } catch (error) {
    if (/consumer not found/i.test(String(error))) return undefined;
    throw error;
  }
}

/**
 * Publishes a consumer's parked messages again on their original subjects (a fresh message id, so
 * JetStream stores them; the consumers' inboxes still drop an event they applied already) and
 * removes them from the dead letters. One that fails again is parked again.
 *
 * The original subject is only what the parked message's header says, and whoever could park it
 * could write that header: a message is replayed only on a subject that consumer reads (its
 * filter), so a replay never publishes where that consumer's events never came from. Refused ones
 * stay parked, each with its reason.
 */
export async function replayDeadLetters(bus: EventBus, consumer: string): Promise<ReplayOutcome> {
  if (!/^[\w-]+$/.test(consumer)) throw new Error(`"${consumer}" is not a consumer name`);
  const parked = await listDeadLetters(bus, consumer);
  if (!parked.length) return { replayed: 0, refused: [] };
  const filters = await filtersOf(bus, consumer);
  const refused: RefusedReplay[] = [];
  let replayed = 0;
  for (const message of parked) {
    const refuse = (reason: string) => refused.push({ seq: message.seq, subject: message.subject, reason });
    if (!message.subject) {
      refuse('it does not say where it was published (no Bookshop-Subject header)');
    } else if (!filters) {
      refuse(`consumer ${consumer} does not exist on stream ${bus.stream}, so which subjects it reads is unknown`);
    } else if (!filters.some((filter) => subjectMatches(filter, message.subject))) {
      refuse(`${message.subject} is not a subject consumer ${consumer} reads (${filters.join(', ')})`);
    } else {
      await bus.js.publish(message.subject, message.data, { msgID: `replay-${randomUUID()}` });
      await bus.jsm.streams.deleteMessage(bus.stream, message.seq);
      replayed += 1;
    }
  }
  return { replayed, refused };
}
