import type { ReadinessCheck } from '@bookshop/runtime';
import type { EventDefinition, Payload } from './catalogue.js';
import type { EventHandling } from './consumer.js';
import type { EventMeta } from './envelope.js';
import { newOutboxRecord, type NewOutboxRow } from './outbox-record.js';
import { startEventConsuming } from './consuming.js';
import type { EventBusSettings } from './nats.js';
import { prismaOutboxBacklog, prismaOutboxStore, type OutboxModel } from './prisma-outbox.js';
import { startEventPublishing } from './publishing.js';

/**
 * What a context's code needs to write events: the outbox row of an event (on its configured
 * subject, so domain code never sees a subject prefix), and a nudge for the relay.
 */
export interface OutboxWriter {
  prefix: string;
  /** The outbox row announcing a new event of `definition`, caused by `meta` (a request or an event). */
  record: <D extends EventDefinition>(definition: D, payload: Payload<D>, meta: EventMeta) => NewOutboxRow;
  /** Call after a commit that wrote outbox rows, with those rows when at hand: the relay publishes them at once. */
  written: (rows?: NewOutboxRow[]) => void;
}

/** The writer of events on subjects under `prefix`; `wake` nudges the relay after a commit. */
export function outboxWriter(prefix: string, wake: (rows?: NewOutboxRow[]) => void = () => {}): OutboxWriter {
  return { prefix, record: (definition, payload, meta) => newOutboxRecord(prefix, definition, payload, meta), written: wake };
}

export interface ContextEvents extends OutboxWriter {
  readiness: ReadinessCheck[];
  /** Stops the consumer (after its last ack), then the relay. */
  stop: () => Promise<void>;
}

/**
 * A context's whole side of the event backbone: the outbox relay when it publishes, its durable
 * consumer when it consumes. Both connect in the background; NATS being away delays events only.
 */
export function startContextEvents(options: {
  settings: EventBusSettings;
  /** The context's name, which is also its durable consumer's name unless `durable` says otherwise. */
  name: string;
  durable?: string;
  outbox?: OutboxModel;
  /** How its consumer applies events (`inTransactions` for a context's database). */
  handling?: (writer: OutboxWriter) => EventHandling;
}): ContextEvents {
  const publishing = options.outbox
    ? startEventPublishing({
        settings: options.settings,
        name: options.name,
        store: prismaOutboxStore(options.outbox),
        backlog: prismaOutboxBacklog(options.outbox),
      })
    : undefined;
  const writer = outboxWriter(options.settings.prefix, (rows) => publishing?.wake(rows));
  const consuming = options.handling
    ? startEventConsuming({ settings: options.settings, durable: options.durable ?? options.name, handling: options.handling(writer) })
    : undefined;
  return {
    ...writer,
    readiness: publishing ? [publishing.readiness] : [],
    stop: async () => {
      await consuming?.stop();
      await publishing?.stop();
    },
  };
}
