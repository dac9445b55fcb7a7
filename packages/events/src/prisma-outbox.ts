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
