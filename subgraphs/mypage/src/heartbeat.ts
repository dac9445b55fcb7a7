import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { logger } from '@bookshop/runtime';
import type { MyPageDatabase } from './database.js';

/** How often a running instance says so, and how long after its last word it counts as gone (it crashed). */
export const HEARTBEAT_EVERY_MS = 2_000;
export const HEARTBEAT_TTL_MS = 10_000;

export interface Heartbeat {
  /** Removes this process's record: call it after the consumer has stopped. */
  stop: () => Promise<void>;
}

/**
 * Records in the read model's own database that this process serves it, and refreshes the record
 * every `everyMs` until stopped. Start it before the consumer and stop it after: while the record is
 * fresh, `resetReadModel` refuses to empty the read model and delete the consumer under it.
 */
export async function startHeartbeat(db: MyPageDatabase, instance: string, everyMs = HEARTBEAT_EVERY_MS): Promise<Heartbeat> {
  const id = randomUUID();
  const record = { instance, host: hostname(), pid: process.pid };
  await db.instanceHeartbeat.create({ data: { id, ...record, seenAt: new Date() } });
  const timer = setInterval(() => {
    // An upsert: a record taken for a crash's (this process stalled past the TTL) comes back.
    db.instanceHeartbeat
      .upsert({ where: { id }, create: { id, ...record, seenAt: new Date() }, update: { seenAt: new Date() } })
      .catch((error: unknown) => logger.warn({ err: error, instance }, 'could not record the heartbeat; trying again'));
  }, everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await db.instanceHeartbeat.deleteMany({ where: { id } });
    },
  };
}
