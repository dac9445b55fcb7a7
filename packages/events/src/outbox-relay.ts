import { SpanKind, contextOf, logger, openSpan } from '@bookshop/runtime';
import { traceHeaders, traceparentOf } from './trace-headers.js';
import type { EventBus } from './nats.js';

/** One event waiting in a context's outbox table: written in the transaction of its state change. */
export interface OutboxRow {
  id: string;
  subject: string;
  envelope: string;
}

export interface OutboxStore {
  /** Unsent rows, oldest first. */
  pending(limit: number): Promise<OutboxRow[]>;
  markSent(ids: string[]): Promise<void>;
}

export interface OutboxRelay {
  /**
   * Publish now rather than at the next poll (call it after a commit that wrote events). With the
   * rows the commit wrote, the relay publishes them as they are, without reading them back.
   */
  wake: (committed?: OutboxRow[]) => void;
  /** Finishes the batch in hand, then stops. */
  stop: () => Promise<void>;
}

const sleep = (ms: number, signal: { wake?: () => void }) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });

/**
 * Publishes a context's outbox to JetStream, in order, with the event id as the message id (so a
 * row published twice — a crash between publish and mark — is stored once). While NATS is away it
 * keeps the rows and retries with backoff; nothing is lost and no caller waits for it.
 */
export function startOutboxRelay(options: {
  bus: EventBus;
  store: OutboxStore;
  name: string;
  pollMs?: number;
  batchSize?: number;
  /** How long published rows may wait to be marked sent, so that one statement marks many. */
  markEveryMs?: number;
}): OutboxRelay {
  const pollMs = options.pollMs ?? 500;
  const batchSize = options.batchSize ?? 100;
  const markEveryMs = options.markEveryMs ?? 100;
  const sleeper: { wake?: () => void } = {};
  let stopped = false;
  let pendingWake = false;
  let failures = 0;
  // Rows handed over by the commits that wrote them. Taken only while the table holds nothing older
  // unsent (the last read found less than a batch, and nothing failed since): otherwise the table
  // is read, in order, and they are among what it returns. A row both handed over and read is
  // published twice and stored once (its id is the message id).
  const committed: OutboxRow[] = [];
  let caughtUp = false;
  // Published, not yet marked sent. Marked together — every `markEveryMs`, at a batch's worth, and
  // before the table is read (which must not return them again) — so under load one statement
  // marks many rows. A crash before the mark publishes them again: stored once (the message id).
  const unmarked: string[] = [];
  let markedAt = 0;

  async function markPublished(): Promise<void> {
    if (unmarked.length === 0) return;
    const ids = unmarked.slice();
    await options.store.markSent(ids);
    unmarked.splice(0, ids.length);
    markedAt = Date.now();
  }

  /** One row, in a producer span under the span that wrote the event; its traceparent rides in the message's headers. */
  async function publishRow(row: OutboxRow): Promise<unknown> {
    const span = openSpan(`publish ${row.subject}`, { kind: SpanKind.PRODUCER, parent: contextOf(traceparentOf(row.envelope)) });
    try {
      const ack = await options.bus.js.publish(row.subject, row.envelope, {
        msgID: row.id,
        timeout: 2_000,
        ...(span.traceparent ? { headers: traceHeaders(span.traceparent) } : {}),
      });
      span.end();
      return ack;
    } catch (error) {
      span.end(error);
      throw error;
    }
  }

  /** The next rows to publish: those handed over, or (when there are none, or the table is behind) the table's oldest unsent. */
  async function nextRows(): Promise<OutboxRow[]> {
    if (caughtUp && committed.length) return committed.splice(0, batchSize);
    committed.length = 0;
    await markPublished();
    const rows = await options.store.pending(batchSize);
    caughtUp = rows.length < batchSize;
    return rows;
  }

  async function publishBatch(): Promise<number> {
    const rows = await nextRows();
    // The whole batch at once: the publishes leave in order on the one connection and JetStream
    // stores them as they arrive, so a batch costs one round trip, not one per row. The rows before
    // a failure count as published; from the failed one on, the batch is tried again (a row stored
    // already is stored once: its id is the message id).
    const outcomes = await Promise.allSettled(rows.map(publishRow));
    const failed = outcomes.findIndex((outcome) => outcome.status === 'rejected');
    unmarked.push(...(failed === -1 ? rows : rows.slice(0, failed)).map((row) => row.id));
    if (failed !== -1) throw (outcomes[failed] as PromiseRejectedResult).reason;
    if (unmarked.length >= batchSize || Date.now() - markedAt >= markEveryMs) await markPublished();
    return rows.length;
  }

  const loop = (async () => {
    while (!stopped) {
      pendingWake = false;
      let published = 0;
      try {
        published = await publishBatch();
        if (failures) logger.info({ relay: options.name }, 'outbox relay publishing again');
        failures = 0;
      } catch (error) {
        failures += 1;
        caughtUp = false;
        if (failures === 1 || failures % 20 === 0) {
          logger.warn({ relay: options.name, err: error, failures }, 'outbox relay cannot publish; the events wait in the outbox');
        }
      }
      if (stopped) break;
      if (failures) await sleep(Math.min(100 * 2 ** failures, 5_000), sleeper);
      else if (published < batchSize) {
        const idle = () => !pendingWake && committed.length === 0;
        if (idle() && unmarked.length) {
          await sleep(markEveryMs, sleeper);
          // Nothing came meanwhile: mark what waits (a failure leaves the rows for the next time).
          if (idle()) await markPublished().catch(() => undefined);
        }
        if (idle()) await sleep(pollMs, sleeper);
      }
    }
    await markPublished().catch((error: unknown) =>
      logger.warn(
        { relay: options.name, err: error },
        'could not mark published events at stop; they will be published again, and stored once',
      ),
    );
  })();

  return {
    wake: (rows) => {
      if (rows && caughtUp && !failures) committed.push(...rows);
      pendingWake = true;
      if (!failures) sleeper.wake?.();
    },
    stop: async () => {
      stopped = true;
      sleeper.wake?.();
      await loop;
    },
  };
}
