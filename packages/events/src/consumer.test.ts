import { randomUUID } from 'node:crypto';
import { eventually } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderCancelled, OrderPlaced, deadLetterFilter, eventOf, subjectOf } from './catalogue.js';
import { on, startConsumer } from './consumer.js';
import type { EventEnvelope } from './envelope.js';
import { connectEventBus, type EventBus } from './nats.js';
import { publishEnvelope } from './publisher.js';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
let bus: EventBus;

beforeAll(async () => {
  const run = randomUUID().slice(0, 8);
  bus = await connectEventBus({ url: NATS_URL, prefix: `test_${run}`, stream: `TEST_${run}`, name: 'events-test' });
});
afterAll(async () => {
  await bus.jsm.streams.delete(bus.stream);
  await bus.close();
});

const placed = (orderId = randomUUID()) =>
  eventOf(
    OrderPlaced,
    { orderId, customerId: 'alice', bookId: randomUUID(), title: 'Dune', quantity: 1, address: 'x' },
    { orderId, correlationId: 'c-1' },
  );

const until = (condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) => eventually(async () => condition(), Boolean, timeoutMs);

async function deadLetters(consumer: string): Promise<Array<{ error: string | undefined; body: string }>> {
  const subject = deadLetterFilter(bus.prefix, consumer);
  const info = await bus.jsm.streams.info(bus.stream, { subjects_filter: subject });
  const count = Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
  const reader = await bus.js.consumers.get(bus.stream, { filter_subjects: subject });
  const found: Array<{ error: string | undefined; body: string }> = [];
  if (count === 0) return found;
  for await (const message of await reader.fetch({ max_messages: count, expires: 2_000 })) {
    found.push({ error: message.headers?.get('Bookshop-Error'), body: message.string() });
    if (found.length === count) break;
  }
  return found;
}

describe('events on JetStream', () => {
  it('stores an event published twice with the same id once', async () => {
    const event = placed();
    const subject = subjectOf(bus.prefix, OrderPlaced);
    expect(await publishEnvelope(bus, subject, event)).toEqual({ duplicate: false });
    expect(await publishEnvelope(bus, subject, event)).toEqual({ duplicate: true });
  });

  it('delivers each event to a durable consumer, carrying its order id and correlation id', async () => {
    const received: EventEnvelope[] = [];
    const consumer = await startConsumer({
      bus,
      durable: `deliver-${randomUUID().slice(0, 8)}`,
      handlers: [on(OrderPlaced, async (event) => void received.push(event))],
    });
    const event = placed();
    await publishEnvelope(bus, subjectOf(bus.prefix, OrderPlaced), event);
    await until(() => received.some((e) => e.id === event.id));
    expect(received.find((e) => e.id === event.id)).toMatchObject({ orderId: event.orderId, correlationId: 'c-1', type: 'OrderPlaced' });
    await consumer.stop();
  });

  it('redelivers an event whose handler failed, until it succeeds', async () => {
    let attempts = 0;
    const event = placed();
    const consumer = await startConsumer({
      bus,
      durable: `retry-${randomUUID().slice(0, 8)}`,
      handlers: [
        on(OrderPlaced, async (e) => {
          if (e.id !== event.id) return;
          attempts += 1;
          if (attempts < 3) throw new Error('database briefly away');
        }),
      ],
    });
    await publishEnvelope(bus, subjectOf(bus.prefix, OrderPlaced), event);
    await until(() => attempts === 3);
    await consumer.stop();
    expect(attempts).toBe(3);
  });

  it('parks a poison message (invalid payload) in the dead-letter subject, and the events behind it still flow', async () => {
    const durable = `poison-${randomUUID().slice(0, 8)}`;
    const handled: string[] = [];
    const consumer = await startConsumer({
      bus,
      durable,
      handlers: [on(OrderCancelled, async (e) => void handled.push(e.payload.orderId))],
    });
    const subject = subjectOf(bus.prefix, OrderCancelled);
    const poison = {
      ...eventOf(OrderCancelled, { orderId: 'o-1', customerId: 'alice' }, { correlationId: 'c' }),
      payload: { orderId: 42 },
    };
    await publishEnvelope(bus, subject, poison as EventEnvelope);
    await bus.js.publish(subject, 'not even json');
    await publishEnvelope(bus, subject, placed()); // a valid event, on another event's subject
    const good = eventOf(OrderCancelled, { orderId: 'o-2', customerId: 'alice' }, { correlationId: 'c' });
    await publishEnvelope(bus, subject, good);
    await until(() => handled.includes('o-2'));
    await consumer.stop();
    expect(handled).toEqual(['o-2']);
    const parked = await deadLetters(durable);
    expect(parked.map((p) => p.error)).toEqual([
      expect.stringMatching(/invalid event/),
      expect.stringMatching(/invalid event/),
      expect.stringMatching(/invalid event: published as OrderCancelled, but its envelope says OrderPlaced/),
    ]);
  });

  it('parks a message whose handler keeps failing after maxDeliver attempts, and acks it', async () => {
    const durable = `failing-${randomUUID().slice(0, 8)}`;
    let attempts = 0;
    const event = placed();
    const consumer = await startConsumer({
      bus,
      durable,
      maxDeliver: 3,
      handlers: [
        on(OrderPlaced, async (e) => {
          if (e.id !== event.id) return;
          attempts += 1;
          throw new Error('always broken');
        }),
      ],
    });
    await publishEnvelope(bus, subjectOf(bus.prefix, OrderPlaced), event);
    await until(() => attempts === 3);
    await until(() => false, 300).catch(() => undefined); // give a 4th delivery the chance to (wrongly) happen
    await consumer.stop();
    expect(attempts).toBe(3);
    const parked = await deadLetters(durable);
    expect(parked).toHaveLength(1);
    expect(parked[0]!.error).toMatch(/failed 3 times: always broken/);
    expect(JSON.parse(parked[0]!.body).id).toBe(event.id);
  });

  it('applies an event after a quiet spell at once, and gathers a flow of events into few batches (the linger)', async () => {
    const batches: Array<{ ids: string[]; at: number }> = [];
    const consumer = await startConsumer({
      bus,
      durable: `linger-${randomUUID().slice(0, 8)}`,
      handling: {
        events: [OrderPlaced],
        maxBatch: 64,
        lingerMs: 1_000,
        handle: async (batch) => void batches.push({ ids: batch.map((event) => event.id), at: performance.now() }),
      },
    });
    const subject = subjectOf(bus.prefix, OrderPlaced);
    // The stream's earlier events (other tests') come first: let them pass, then a quiet spell.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    batches.length = 0;
    const quiet = placed();
    const sentAt = performance.now();
    await publishEnvelope(bus, subject, quiet);
    await until(() => batches.length === 1);
    // Nothing came before it: no wait for a batch to fill (the linger is a second).
    expect(batches[0]!.ids).toEqual([quiet.id]);
    expect(batches[0]!.at - sentAt).toBeLessThan(500);

    // Right behind it, ten events 10 ms apart: a flow, gathered rather than applied one by one.
    const flow = Array.from({ length: 10 }, () => placed());
    for (const event of flow) {
      await publishEnvelope(bus, subject, event);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await until(() => batches.flatMap((batch) => batch.ids).length === 11);
    await consumer.stop();
    expect(batches.slice(1).flatMap((batch) => batch.ids)).toEqual(flow.map((event) => event.id));
    expect(batches.length - 1).toBeLessThanOrEqual(2);
  });
});
