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

export interface ConsumerOptions {
  bus: EventBus;
  /** The durable consumer's name: one per context (or per read-model instance). */
  durable: string;
  handlers: EventHandler[];
  /** Deliveries of a failing message before it is parked in the dead-letter subject. */
  maxDeliver?: number;
  ackWaitMs?: number;
}

export interface RunningConsumer {
  /** Stops fetching, lets the message in hand finish and be acked, hands fetched ones back (nak). */
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

/**
 * A durable JetStream pull consumer with explicit acks. Payloads are validated at this edge; a
 * message that cannot be read is parked at once, one whose handler keeps failing after
 * `maxDeliver` deliveries is parked with its error — either way it is acked, so the events
 * behind it keep flowing. So is an event on the subject of a context that does not own its type:
 * a forgery, never applied.
 */
export async function startConsumer(options: ConsumerOptions): Promise<RunningConsumer> {
  const { bus, durable } = options;
  const maxDeliver = options.maxDeliver ?? 5;
  const byType = new Map(options.handlers.map((handler) => [handler.event.type, handler]));
  const subjects = options.handlers.map((handler) => subjectOf(bus.prefix, handler.event));
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
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 64 });
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

  let stopping = false;

  async function handle(message: JsMsg): Promise<void> {
    // Fetched but not started when the stop came: hand it back now rather than after ack_wait.
    if (stopping) return message.nak();
    if (message.info.deliveryCount > 1) metrics.redelivered();
    // `<prefix>.<context>.<EventName>`
    const tokens = message.subject.split('.');
    const [prefix, context, type = ''] = tokens;
    const handler = byType.get(type);
    // Another consumer's event, brought by a wildcard filter (nats-server before 2.10): acked unread.
    if (tokens.length !== 3 || prefix !== bus.prefix || !handler) return message.ack();
    // Only the context that owns an event type may publish it (catalogue.ts), and NATS lets each
    // context publish only under its own name: an event of order's on book's subject is forged.
    if (handler.event.context !== context) {
      return park(message, `forged event: ${type} belongs to ${handler.event.context}, but came on ${message.subject}`, type);
    }
    let envelope: EventEnvelope;
    try {
      envelope = envelopeSchema.parse(message.json());
    } catch (error) {
      return park(message, `invalid event: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (envelope.type !== type) return park(message, `invalid event: published as ${type}, but its envelope says ${envelope.type}`, type);
    try {
      envelope = { ...envelope, payload: handler.event.payload.parse(envelope.payload) };
    } catch (error) {
      return park(message, `invalid event: ${error instanceof Error ? error.message : String(error)}`, envelope.type);
    }
    try {
      // Fault point: the first delivery fails before the handler runs (nothing committed), so the
      // event comes back as a redelivery, possibly after events published behind it.
      if (isArmed('consumer.fail-first-attempt') && message.info.deliveryCount === 1) {
        throw new Error('fault point consumer.fail-first-attempt: first delivery refused');
      }
      const traceparent = traceparentOfMessage(message.headers, envelope.traceparent);
      // Each handling is a consumer span under the publish: one placed order stays one trace.
      await inSpan(
        `consume ${envelope.type}`,
        {
          kind: SpanKind.CONSUMER,
          parent: contextOf(traceparent),
          attributes: { 'messaging.consumer.group.name': durable, 'messaging.message.id': envelope.id },
        },
        () =>
          runWithRequest({ correlationId: envelope.correlationId, ...(traceparent ? { traceparent } : {}) }, async () => {
            await handler.handle(envelope);
            logger.debug({ consumer: durable, type: envelope.type, eventId: envelope.id, orderId: envelope.orderId }, 'event handled');
          }),
      );
      crashAt('consumer.after-effect');
      message.ack();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (message.info.deliveryCount >= maxDeliver) return park(message, `failed ${maxDeliver} times: ${reason}`, envelope.type);
      logger.warn({ consumer: durable, type: envelope.type, eventId: envelope.id, reason }, 'event handler failed; it will be redelivered');
      message.nak(Math.min(100 * 2 ** message.info.deliveryCount, 5_000));
    }
  }

  const loop = (async () => {
    for await (const message of messages) {
      try {
        await handle(message);
      } catch (error) {
        // Parking failed (NATS away mid-message): leave it unacked, it comes back.
        logger.error({ consumer: durable, err: error }, 'could not settle an event; it will be redelivered');
        message.nak(1_000);
      }
    }
  })();

  return {
    stop: async () => {
      stopping = true;
      metrics.stop();
      await messages.close();
      await loop;
    },
  };
}
