import { eventually } from './eventually.js';

/** The part of an event bus a test reads a durable consumer's progress from (JetStream's manager). */
export interface StreamManager {
  stream: string;
  jsm: {
    consumers: { info(stream: string, durable: string): Promise<{ ack_floor: { stream_seq: number } }> };
    streams: { info(stream: string, options: { subjects_filter: string }): Promise<{ state: { subjects?: Record<string, number> } }> };
  };
}

/** Waits until `durable` has acked (applied or parked) every message up to stream sequence `seq`. */
export const consumerSettled = (bus: StreamManager, durable: string, seq: number) =>
  eventually(
    async () => (await bus.jsm.consumers.info(bus.stream, durable)).ack_floor.stream_seq,
    (floor) => floor >= seq,
    20_000,
  );

/** The messages stored under `subjects` (a dead-letter filter), by subject. */
export async function storedUnder(bus: StreamManager, subjects: string): Promise<Record<string, number>> {
  return (await bus.jsm.streams.info(bus.stream, { subjects_filter: subjects })).state.subjects ?? {};
}
