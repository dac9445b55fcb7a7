import { METRICS, counter, gauge, logger } from '@bookshop/runtime';

/** What a context's outbox table holds unsent: read from the table, so it is right after a restart. */
export interface OutboxBacklog {
  pending: number;
  oldestCreatedAt: Date | null;
}

export type ReadOutboxBacklog = () => Promise<OutboxBacklog>;

/** How long a scrape waits for the broker's answer: NATS away must not hold /metrics up. */
const LAG_READ_TIMEOUT_MS = 1_000;

const outboxes = new Set<ReadOutboxBacklog>();
// Both outbox gauges are collected in the same scrape: they share one read of the tables.
let reading: Promise<OutboxBacklog | undefined> | undefined;

async function readOutboxes(): Promise<OutboxBacklog | undefined> {
  try {
    const backlogs = await Promise.all([...outboxes].map((read) => read()));
    const oldest = backlogs.map((backlog) => backlog.oldestCreatedAt?.getTime() ?? Infinity).reduce((a, b) => Math.min(a, b), Infinity);
    return {
      pending: backlogs.reduce((sum, backlog) => sum + backlog.pending, 0),
      oldestCreatedAt: Number.isFinite(oldest) ? new Date(oldest) : null,
    };
  } catch (error) {
    // The last values stay: the database being away shows in /readyz, and the scrape still answers.
    logger.warn({ err: error }, 'could not read the outbox for its metrics');
    return undefined;
  }
}

const currentBacklog = () => (reading ??= readOutboxes().finally(() => (reading = undefined)));

/**
 * Reports `read`'s outbox as bookshop_outbox_pending_events and
 * bookshop_outbox_oldest_pending_age_seconds, read at every scrape (they rise while NATS is away,
 * whether the relay runs or not). Returns the way to stop reporting it.
 */
export function reportOutboxBacklog(read: ReadOutboxBacklog): () => void {
  gauge(METRICS.outboxPendingEvents, async function () {
    const backlog = await currentBacklog();
    if (backlog) this.set(backlog.pending);
  });
  gauge(METRICS.outboxOldestPendingAge, async function () {
    const backlog = await currentBacklog();
    if (backlog) this.set(backlog.oldestCreatedAt ? Math.max(0, (Date.now() - backlog.oldestCreatedAt.getTime()) / 1_000) : 0);
  });
  outboxes.add(read);
  return () => outboxes.delete(read);
}

const consumers = new Map<string, () => Promise<number>>();

function withinTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined); // settled later, or never: nobody waits for it past the timeout
  return Promise.race([work, timedOut]).finally(() => clearTimeout(timer));
}

const consumerLag = () =>
  gauge(METRICS.consumerLag, async function () {
    await Promise.all(
      [...consumers].map(async ([consumer, read]) => {
        try {
          this.set({ consumer }, await withinTimeout(read(), LAG_READ_TIMEOUT_MS));
        } catch {
          // NATS is away: the last value stays until it answers again.
        }
      }),
    );
  });

/**
 * Everything counted about one durable consumer: its lag (`readLag`, JetStream's num_pending for
 * it, read at every scrape), its redeliveries and the events it parks. Both counters start at 0,
 * so a rate over them exists before the first one.
 */
export function consumerMetrics(consumer: string, readLag: () => Promise<number>) {
  const lag = consumerLag();
  const redeliveries = counter(METRICS.consumerRedeliveries);
  const deadLettered = counter(METRICS.eventsDeadLettered);
  consumers.set(consumer, readLag);
  redeliveries.inc({ consumer }, 0);
  return {
    redelivered: () => redeliveries.inc({ consumer }),
    /** `event`: the event's type, from the consumer's own handlers (so bounded); none for an unreadable message. */
    deadLettered: (event: string | undefined) => deadLettered.inc({ consumer, event: event ?? 'unreadable' }),
    /** The consumer stopped: its lag is no longer reported. */
    stop: () => {
      if (consumers.get(consumer) !== readLag) return;
      consumers.delete(consumer);
      lag.remove({ consumer });
    },
  };
}
