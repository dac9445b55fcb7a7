import type { EventDefinition, Payload } from './catalogue.js';
import type { EventHandling } from './consumer.js';
import type { EventEnvelope } from './envelope.js';
import { recordFirstDeliveries, type RawQueryExecutor } from './inbox.js';
import type { NewOutboxRow } from './outbox-record.js';
import type { OutboxWriter } from './context-events.js';

/** Writes an event caused by a state change, in the change's transaction. */
export type Emit = (row: NewOutboxRow) => Promise<unknown>;

/** Emit straight into an outbox table (a transaction of its own, not a consumer's batch). */
export const emitTo =
  (outbox: { create(args: { data: NewOutboxRow }): PromiseLike<unknown> }): Emit =>
  async (row) =>
    outbox.create({ data: row });

/** What applying a batch of events may do, all in the batch's one transaction. */
export interface EventBatch<Tx> {
  tx: Tx;
  /** The batch's events this consumer has not applied before, in the order they came. */
  events: EventEnvelope[];
  /** An event the batch causes: written to the outbox with the batch (one statement for all). */
  emit: Emit;
  /** Work for after the commit (a push to live subscribers), run in the order asked. */
  afterCommit: (work: () => void) => void;
}

/** What a context does with the events it consumes: the events, and how a batch of them is applied. */
export interface Consumption<Tx> {
  events: EventDefinition[];
  apply: (batch: EventBatch<Tx>) => Promise<void>;
}

/** One event's effect, applied in the batch's transaction. */
export interface EventEffect<Tx, D extends EventDefinition = EventDefinition> {
  event: D;
  apply: (event: EventEnvelope<Payload<D>>, batch: EventBatch<Tx>) => Promise<unknown>;
}

/** Keeps the effect's payload type tied to its event. */
export const effect = <Tx, D extends EventDefinition>(event: D, apply: EventEffect<Tx, D>['apply']): EventEffect<Tx> =>
  ({ event, apply }) as unknown as EventEffect<Tx>;

/** A consumption whose events each have their own effect, applied one after the other in the batch's transaction. */
export function eachEffect<Tx>(effects: Array<EventEffect<Tx>>): Consumption<Tx> {
  const byType = new Map(effects.map((one) => [one.event.type, one]));
  return {
    events: effects.map((one) => one.event),
    apply: async (batch) => {
      for (const event of batch.events) await byType.get(event.type)!.apply(event, batch);
    },
  };
}

/**
 * A consumption of one event type whose batch is applied together (one statement for all of its
 * events, say). The consumer validated each payload against this type's schema.
 */
export const allTogether = <Tx, D extends EventDefinition>(
  event: D,
  apply: (events: Array<EventEnvelope<Payload<D>>>, batch: EventBatch<Tx>) => Promise<unknown>,
): Consumption<Tx> => ({
  events: [event],
  apply: async (batch) => void (await apply(batch.events as Array<EventEnvelope<Payload<D>>>, batch)),
});

/** A context's database as the consumer uses it: an interactive transaction whose client runs raw queries. */
export interface TransactionalDatabase<Tx extends RawQueryExecutor> {
  $transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
}

/** The outbox table as a transaction client of a context that publishes sees it. */
interface OutboxTransaction {
  outboxEvent: { createMany(args: { data: NewOutboxRow[] }): PromiseLike<unknown> };
}

/**
 * Applies each batch in one transaction: the inbox rows of all its events (one statement), the
 * effects of those applied for the first time, and the events they cause (one statement, into the
 * context's `OutboxEvent` table) — then, after the commit, the relay is woken and the after-commit
 * work runs. A redelivered event is recorded already, so it changes nothing. (The consumer acks
 * the batch after this resolves.)
 */
export function inTransactions<Tx extends RawQueryExecutor>(options: {
  database: TransactionalDatabase<Tx>;
  consumer: string;
  consumption: Consumption<Tx>;
  /** Events per transaction at most (EVENT_BATCH_SIZE). */
  maxBatch?: number;
  /** How long to wait for a batch to fill while events flow (EVENT_BATCH_LINGER_MS); 0 by default. */
  lingerMs?: number;
  /** The context's outbox writer, when its consumption emits events. */
  writer?: OutboxWriter;
}): EventHandling {
  const { database, consumer, consumption, writer } = options;
  return {
    events: consumption.events,
    maxBatch: options.maxBatch ?? 64,
    lingerMs: options.lingerMs ?? 0,
    handle: async (envelopes) => {
      const emitted: NewOutboxRow[] = [];
      const after: Array<() => void> = [];
      await database.$transaction(async (tx) => {
        const fresh = await recordFirstDeliveries(tx, consumer, [...new Set(envelopes.map((envelope) => envelope.id))]);
        // An event redelivered while its first delivery waited in the same batch is applied once.
        const events = envelopes.filter((envelope) => fresh.delete(envelope.id));
        if (events.length === 0) return;
        await consumption.apply({ tx, events, emit: async (row) => void emitted.push(row), afterCommit: (work) => void after.push(work) });
        if (emitted.length === 0) return;
        if (!writer) throw new Error(`consumer ${consumer} emitted events but has no outbox`);
        await (tx as unknown as OutboxTransaction).outboxEvent.createMany({ data: emitted });
      });
      if (emitted.length) writer?.written(emitted);
      for (const work of after) work();
    },
  };
}
