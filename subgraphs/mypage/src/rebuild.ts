import type { EventBus } from '@bookshop/events';
import type { MyPageDatabase } from './database.js';

/**
 * Empties this instance's read model and forgets its consumer's position, so that the next start
 * projects the whole stream again from its first event — the same entries, rebuilt.
 * Run it while the instance is stopped.
 */
export async function resetReadModel(db: MyPageDatabase, bus: EventBus, consumer: string): Promise<void> {
  try {
    await bus.jsm.consumers.delete(bus.stream, consumer);
  } catch (error) {
    if (!/consumer not found/i.test(String(error))) throw error;
  }
  await db.$transaction([db.myPageEntry.deleteMany({}), db.processedEvent.deleteMany({ where: { consumer } })]);
}
