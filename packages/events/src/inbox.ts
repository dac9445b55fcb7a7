import { insertRows, type RawQueryClient } from '@bookshop/runtime';

/**
 * The inbox: a context records each event id it has applied (table `ProcessedEvent`, one per
 * context), in the same transaction as the event's effect. `INSERT … ON CONFLICT DO NOTHING`
 * works on PostgreSQL and SQLite alike and never aborts the transaction.
 */
export type RawQueryExecutor = RawQueryClient;

/**
 * Records that `consumer` applied these events, with one multi-row statement; resolves with the
 * ids recorded now — those it had not applied before. A redelivered one is not among them and
 * must change nothing.
 */
export async function recordFirstDeliveries(tx: RawQueryExecutor, consumer: string, eventIds: string[]): Promise<Set<string>> {
  const recorded = await insertRows<{ eventId: string }>(
    tx,
    'ProcessedEvent',
    eventIds.map((eventId) => ({ consumer, eventId, processedAt: new Date() })),
    'ON CONFLICT DO NOTHING RETURNING "eventId"',
  );
  return new Set(recorded.map((row) => row.eventId));
}
