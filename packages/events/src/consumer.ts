import { AckPolicy, DeliverPolicy, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { SpanKind, contextOf, crashAt, inSpan, isArmed, logger, runWithRequest } from '@bookshop/runtime';
import { deadLetterHeaders } from './dead-letter-headers.js';
import { deadLetterSubject, subjectOf, type EventDefinition, type Payload } from './catalogue.js';
import { envelopeSchema, type EventEnvelope } from './envelope.js';
import { consumerMetrics } from './event-metrics.js';
import { traceparentOfMessage } from './trace-headers.js';
import type { EventBus } from './nats.js';

export interface EventHandler<D extends EventDefinition = EventDefinition> {
  event: D;
  /** Applies the event. It records the event id with its effect, so a redelivery changes nothing. */
  handle: (envelope: EventEnvelope<Payload<D>>) => Promise<unknown>;
}

/** Keeps the handler's payload type tied to its event. */
export const on = <D extends EventDefinition>(event: D, handle: EventHandler<D>['handle']): EventHandler =>
  ({ event, handle }) as unknown as EventHandler;

/**
 * How a consumer applies its events: `handle` gets up to `maxBatch` validated events, in the order
 * they came, and applies all or none of them (one transaction). A batch that fails is tried again
 * event by event, so one poison event is redelivered — and parked — alone.
 */
export interface EventHandling {
  events: EventDefinition[];
  maxBatch: number;
  /**
   * While events are flowing (the last batch was taken less than FLOWING_WITHIN_MS ago), how long
   * a consumer may wait for a batch to fill before applying it (EVENT_BATCH_LINGER_MS). An event
   * after a quiet spell is applied at once. 0: never wait.
   */
  lingerMs?: number;
  handle: (batch: EventEnvelope[]) => Promise<void>;
}

/**
 * Events taken closer together than this are a flow: at ten or more batches a second, the fixed
 * cost of a batch (its transaction, the inbox and outbox statements) is worth sharing.
 */
const FLOWING_WITHIN_MS = 100;

/** Handlers that each apply one event on their own (no shared transaction): one event at a time. */
export function oneAtATime(handlers: EventHandler[]): EventHandling {
  const byType = new Map(handlers.map((handler) => [handler.event.type, handler]));
  return {
    events: handlers.map((handler) => handler.event),
    maxBatch: 1,
    handle: async (batch) => {
      for (const envelope of batch) await byType.get(envelope.type)!.handle(envelope);
    },
  };
}

export interface ConsumerOptions {
  bus: EventBus;
  /** The durable consumer's name: one per context (or per read-model instance). */
  durable: string;
  /** Either handlers of one event each, or a handling that applies batches. */
  handlers?: EventHandler[];
  handling?: EventHandling;
  /** Deliveries of a failing message before it is parked in the dead-letter subject. */
  maxDeliver?: number;
  ackWaitMs?: number;
}

export interface RunningConsumer {
  /** Stops fetching, lets the batch in hand finish and be acked, hands fetched ones back (nak). */
  stop: () => Promise<void>;
}

const nanos = (ms: number) => ms * 1_000_000;

/**
 * The consumer's subject filter. Several filters on one consumer need nats-server 2.10; before
 * that, the consumer takes every event (`<prefix>.*.*`) and acks the ones it has no handler for.
 */
function filterFor(bus: EventBus, subjects: string[]): { filter_subject: string } | { filter_subjects: string[] } {
  if (subjects.length === 1) return { filter_subject: subjects[0]! };
  const [major = 0, minor = 0] = (bus.connection.info?.version ?? '0.0').split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 10) ? { filter_subjects: subjects } : { filter_subject: `${bus.prefix}.*.*` };
}

/** A message that passed the checks at the edge, with its validated envelope. */
interface Readable {
  message: JsMsg;
  envelope: EventEnvelope;
  traceparent: string | null;
}

/**
 * A durable JetStream pull consumer with explicit acks. Messages that arrive while a batch is being
 * applied make the next batch (up to `maxBatch`), so under load a consumer pays one transaction for
 * many events, and an idle one handles an event as soon as it comes. Payloads are validated at
 * this edge; a message that cannot be read is parked at once, one that keeps failing after
 * `maxDeliver` deliveries is parked with its error — either way it is acked, so the events behind
 * it keep flowing. So is an event on the subject of a context that does not own its type: a
 * forgery, never applied.
 */
export async function startConsumer(options: ConsumerOptions): Promise<RunningConsumer> {
  const { bus, durable } = options;
  const maxDeliver = options.maxDeliver ?? 5;
  const handling = options.handling ?? oneAtATime(options.handlers ?? []);
  const byType = new Map(handling.events.map((definition) => [definition.type, definition]));
  const subjects = handling.events.map((definition) => subjectOf(bus.prefix, definition));
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(options.ackWaitMs ?? 30_000),
    ...filterFor(bus, subjects),
  };
  try {
    await bus.jsm.consumers.add(bus.stream, config);
  } catch {
    await bus.jsm.consumers.update(bus.stream, durable, config); // the durable exists: bring its filters up to date
  }
  const consumer = await bus.js.consumers.get(bus.stream, durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: Math.max(64, handling.maxBatch) });
  // Its lag is JetStream's count of events not yet delivered to it, asked at every scrape.
  const metrics = consumerMetrics(durable, async () => (await bus.jsm.consumers.info(bus.stream, durable)).num_pending);

  async function park(message: JsMsg, reason: string, type?: string): Promise<void> {
    await bus.js.publish(deadLetterSubject(bus.prefix, durable, type), message.data, {
      headers: deadLetterHeaders(reason, message.subject),
      msgID: `${durable}:${message.seq}`,
    });
    metrics.deadLettered(type);
    logger.error({ consumer: durable, subject: message.subject, seq: message.seq, reason }, 'event parked in the dead-letter subject');
    message.ack();
  }

  /** The checks at the edge: the envelope to apply, or undefined when the message was settled here. */
  async function read(message: JsMsg): Promise<Readable | undefined> {
    if (message.info.deliveryCount > 1) metrics.redelivered();
    // `<prefix>.<context>.<EventName>`
    const tokens = message.subject.split('.');
    const [prefix, context, type = ''] = tokens;
    const definition = byType.get(type);
    // Another consumer's event, brought by a wildcard filter (nats-server before 2.10): acked unread.
    if (tokens.length !== 3 || prefix !== bus.prefix || !definition) return void message.ack();
    // Only the context that owns an event type may publish it (catalogue.ts), and NATS lets each
    // context publish only under its own name: an event of order's on book's subject is forged.
    if (definition.context !== context) {
      return void (await park(message, `forged event: ${type} belongs to ${definition.context}, but came on ${message.subject}`, type));
    }
    let envelope: EventEnvelope;
    try {
      envelope = envelopeSchema.parse(message.json());
    } catch (error) {
      return void (await park(message, `invalid event: ${error instanceof Error ? error.message : String(error)}`));
    }
    if (envelope.type !== type) {
      return void (await park(message, `invalid event: published as ${type}, but its envelope says ${envelope.type}`, type));
    }
    try {
      envelope = { ...envelope, payload: definition.payload.parse(envelope.payload) };
    } catch (error) {
      return void (await park(message, `invalid event: ${error instanceof Error ? error.message : String(error)}`, envelope.type));
    }
    return { message, envelope, traceparent: traceparentOfMessage(message.headers, envelope.traceparent) };
  }

  /**
   * Applies events in one handling, in a consumer span: one event's span is a child of its publish
   * (one placed order stays one trace); a batch's span links to the publish of each of its events.
   */
  async function apply(batch: Readable[]): Promise<void> {
    // Fault point: an event's first delivery fails before anything is applied (nothing committed),
    // so it comes back as a redelivery, possibly after events published behind it.
    if (isArmed('consumer.fail-first-attempt') && batch.some(({ message }) => message.info.deliveryCount === 1)) {
      throw new Error('fault point consumer.fail-first-attempt: first delivery refused');
    }
    const handle = () => handling.handle(batch.map(({ envelope }) => envelope));
    if (batch.length === 1) {
      const [{ envelope, traceparent }] = batch as [Readable];
      await inSpan(
        `consume ${envelope.type}`,
        {
          kind: SpanKind.CONSUMER,
          parent: contextOf(traceparent),
          attributes: { 'messaging.consumer.group.name': durable, 'messaging.message.id': envelope.id },
        },
        () => runWithRequest({ correlationId: envelope.correlationId, ...(traceparent ? { traceparent } : {}) }, handle),
      );
    } else {
      await inSpan(
        'consume batch',
        {
          kind: SpanKind.CONSUMER,
          links: batch.map(({ traceparent }) => contextOf(traceparent)),
          attributes: { 'messaging.consumer.group.name': durable, 'messaging.batch.message_count': batch.length },
        },
        handle,
      );
    }
    crashAt('consumer.after-effect');
    for (const { message, envelope } of batch) {
      message.ack();
      logger.debug({ consumer: durable, type: envelope.type, eventId: envelope.id, orderId: envelope.orderId }, 'event handled');
    }
  }

  /** One event alone: a failure is redelivered with backoff, and parked after `maxDeliver` deliveries. */
  async function applyAlone(readable: Readable): Promise<void> {
    const { message, envelope } = readable;
    try {
      await apply([readable]);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (message.info.deliveryCount >= maxDeliver) return park(message, `failed ${maxDeliver} times: ${reason}`, envelope.type);
      logger.warn({ consumer: durable, type: envelope.type, eventId: envelope.id, reason }, 'event handler failed; it will be redelivered');
      message.nak(Math.min(100 * 2 ** message.info.deliveryCount, 5_000));
    }
  }

  async function settle(taken: JsMsg[]): Promise<void> {
    const batch: Readable[] = [];
    for (const message of taken) {
      try {
        const readable = await read(message);
        if (readable) batch.push(readable);
      } catch (error) {
        // Parking failed (NATS away mid-message): leave it unacked, it comes back.
        logger.error({ consumer: durable, err: error }, 'could not settle an event; it will be redelivered');
        message.nak(1_000);
      }
    }
    if (batch.length > 1) {
      try {
        return await apply(batch);
      } catch (error) {
        // Nothing of the batch was committed: each event again on its own, so only a failing one waits.
        logger.warn({ consumer: durable, size: batch.length, err: error }, 'a batch of events failed; applying them one by one');
      }
    }
    for (const readable of batch) {
      try {
        await applyAlone(readable);
      } catch (error) {
        logger.error({ consumer: durable, err: error }, 'could not settle an event; it will be redelivered');
        readable.message.nak(1_000);
      }
    }
  }

  // Received messages wait here until the batch in hand is done; the next batch is what waits then.
  const waiting: JsMsg[] = [];
  let received: (() => void) | undefined;
  let receiving = true;
  let stopping = false;
  const lingerMs = handling.lingerMs ?? 0;
  let lastTakenAt = -Infinity;

  /** Waits until a batch is full, the receiving ends, or `ms` have passed. */
  const gather = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        received = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      received = () => {
        if (waiting.length >= handling.maxBatch || !receiving || stopping) done();
      };
    });

  const receive = (async () => {
    for await (const message of messages) {
      waiting.push(message);
      received?.();
    }
  })().finally(() => {
    receiving = false;
    received?.();
  });

  const process = (async () => {
    for (;;) {
      // Fetched but not started when the stop came: hand them back now rather than after ack_wait.
      if (stopping) for (const message of waiting.splice(0)) message.nak();
      if (waiting.length === 0) {
        if (!receiving) return;
        await new Promise<void>((resolve) => (received = resolve));
        received = undefined;
        continue;
      }
      // Under a flow of events, a short wait lets a few more join the batch: one transaction for
      // several. A quiet consumer applies an event as soon as it comes.
      if (lingerMs > 0 && waiting.length < handling.maxBatch && performance.now() - lastTakenAt < FLOWING_WITHIN_MS) {
        await gather(lingerMs);
        if (stopping) continue;
      }
      lastTakenAt = performance.now();
      await settle(waiting.splice(0, handling.maxBatch));
    }
  })();

  return {
    stop: async () => {
      stopping = true;
      received?.();
      metrics.stop();
      await messages.close();
      await receive;
      await process;
    },
  };
}
