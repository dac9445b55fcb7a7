/**
 * The inbox: a context records each event id it has applied (table `ProcessedEvent`, one per
 * context), in the same transaction as the event's effect. `INSERT … ON CONFLICT DO NOTHING`
 * works on PostgreSQL and SQLite alike and never aborts the transaction.
 */
export interface RawExecutor {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
}

/** True the first time `consumer` applies `eventId`; false for a redelivery, which must change nothing. */
export async function firstDelivery(tx: RawExecutor, consumer: string, eventId: string): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    INSERT INTO "ProcessedEvent" ("consumer", "eventId", "processedAt")
    VALUES (${consumer}, ${eventId}, CURRENT_TIMESTAMP)
    ON CONFLICT DO NOTHING`;
  return inserted === 1;
}

/** Runs `work` in one database transaction of the context (Prisma's `$transaction`). */
export type TransactionRunner<TTx> = (work: (tx: TTx) => Promise<void>) => Promise<unknown>;

/**
 * Applies an event's effect and records its id in one transaction; a redelivery changes nothing.
 * Resolves true when this delivery applied it (after the commit), false for a redelivery.
 */
export async function applyOnce<TTx extends RawExecutor>(
  inTransaction: TransactionRunner<TTx>,
  consumer: string,
  eventId: string,
  apply: (tx: TTx) => Promise<unknown>,
): Promise<boolean> {
  let applied = false;
  await inTransaction(async (tx) => {
    applied = await firstDelivery(tx, consumer, eventId);
    if (applied) await apply(tx);
  });
  return applied;
}
