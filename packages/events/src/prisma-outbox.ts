import type { OutboxBacklog } from './event-metrics.js';
import type { OutboxRow, OutboxStore } from './outbox-relay.js';

/**
 * The part of a context's Prisma client that the outbox needs: its `OutboxEvent` model
 * (id, subject, envelope, createdAt, sentAt), the same in every context that publishes.
 */
export interface OutboxModel {
  findMany(args: {
    where: { sentAt: null };
    orderBy: { createdAt: 'asc' } | Array<{ createdAt: 'asc' } | { id: 'asc' }>;
    take: number;
    select: { id: true; subject: true; envelope: true };
  }): Promise<OutboxRow[]>;
  updateMany(args: { where: { id: { in: string[] } }; data: { sentAt: Date } }): Promise<unknown>;
  aggregate(args: {
    where: { sentAt: null };
    _count: true;
    _min: { createdAt: true };
  }): Promise<{ _count: number; _min: { createdAt: Date | null } }>;
}

export function prismaOutboxStore(outbox: OutboxModel): OutboxStore {
  return {
    pending: (limit) =>
      outbox.findMany({
        where: { sentAt: null },
        orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
        take: limit,
        select: { id: true, subject: true, envelope: true },
      }),
    markSent: async (ids) => void (await outbox.updateMany({ where: { id: { in: ids } }, data: { sentAt: new Date() } })),
  };
}

/** What the outbox holds unsent: one query (the `sentAt, createdAt` index answers it). */
export function prismaOutboxBacklog(outbox: OutboxModel): () => Promise<OutboxBacklog> {
  return async () => {
    const { _count, _min } = await outbox.aggregate({ where: { sentAt: null }, _count: true, _min: { createdAt: true } });
    return { pending: _count, oldestCreatedAt: _min.createdAt };
  };
}
