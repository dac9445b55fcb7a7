import type { EventBus } from '@bookshop/events';
import type { MyPageDatabase } from './database.js';
import { consumerName } from './events.js';
import { HEARTBEAT_TTL_MS } from './heartbeat.js';

/** The read model has a running instance: emptying it now would leave that instance projecting nothing. */
export class InstanceRunning extends Error {
  override name = 'InstanceRunning';
}

/**
 * Empties an instance's read model and forgets its consumer's position, so that the next start
 * projects the whole stream again from its first event — the same entries, rebuilt.
 *
 * Refuses (InstanceRunning) while a process serves this read model, as its heartbeat says: a
 * running instance would keep pulling from the consumer deleted under it, projecting nothing and
 * still answering ready. A crashed instance stops counting `ttlMs` after its last heartbeat.
 */
export async function resetReadModel(db: MyPageDatabase, bus: EventBus, instance: string, ttlMs = HEARTBEAT_TTL_MS): Promise<void> {
  const consumer = consumerName(instance);
  await db.$transaction(
    async (tx) => {
      // A write first, so this transaction holds SQLite's write lock to the end: an instance starting
      // meanwhile waits to record its heartbeat (which it does before it consumes anything) until the
      // reset is over, and then replays the stream from scratch.
      await tx.instanceHeartbeat.deleteMany({ where: { seenAt: { lt: new Date(Date.now() - ttlMs) } } });
      const running = await tx.instanceHeartbeat.findMany({ orderBy: { seenAt: 'desc' } });
      if (running.length) {
        const who = running.map(
          (beat) => `pid ${beat.pid} on ${beat.host}, last seen ${((Date.now() - beat.seenAt.getTime()) / 1_000).toFixed(1)} s ago`,
        );
        throw new InstanceRunning(
          `my page "${instance}" is running (${who.join('; ')}): stop it first, then rebuild. ` +
            `(An instance that crashed stops counting ${ttlMs / 1_000} s after its last heartbeat.)`,
        );
      }
      try {
        await bus.jsm.consumers.delete(bus.stream, consumer);
      } catch (error) {
        if (!/consumer not found/i.test(String(error))) throw error;
      }
      await tx.myPageEntry.deleteMany({});
      await tx.processedEvent.deleteMany({ where: { consumer } });
    },
    { timeout: 20_000 }, // the consumer's deletion is a NATS request
  );
}
