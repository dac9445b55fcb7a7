import { randomUUID } from 'node:crypto';
import { eventually } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderPlaced, ReviewWritten, DeliveryStarted, StockReleased, deadLetterFilter, eventOf, subjectOf } from './catalogue.js';
import { on, startConsumer } from './consumer.js';
import type { EventEnvelope } from './envelope.js';
import { connectEventBus, type EventBus } from './nats.js';
import { publishEnvelope } from './publisher.js';

const placedPayload = (overrides: Record<string, unknown> = {}) => ({
  orderId: randomUUID(),
  customerId: 'alice',
  bookId: randomUUID(),
  title: 'Dune',
  quantity: 1,
  address: '1 Arrakis Way',
  ...overrides,
});
const reviewPayload = (overrides: Record<string, unknown> = {}) => ({
  reviewId: randomUUID(),
  orderId: randomUUID(),
  bookId: randomUUID(),
  customerId: 'alice',
  rating: 5,
  content: 'Fine.',
  ...overrides,
});

describe('event payloads are bounded like the inputs that make them', () => {
  it.each([
    ['OrderPlaced title', OrderPlaced, placedPayload, 'title', 200],
    ['OrderPlaced address', OrderPlaced, placedPayload, 'address', 500],
    ['OrderPlaced customer id', OrderPlaced, placedPayload, 'customerId', 200],
    ['OrderPlaced order id', OrderPlaced, placedPayload, 'orderId', 100],
    ['ReviewWritten content', ReviewWritten, reviewPayload, 'content', 2_000],
    ['ReviewWritten book id', ReviewWritten, reviewPayload, 'bookId', 100],
  ] as const)('%s is at most its bound, and not empty', (_, definition, payload, field, max) => {
    expect(definition.payload.safeParse(payload({ [field]: 'x'.repeat(max) })).success).toBe(true);
    expect(definition.payload.safeParse(payload({ [field]: 'x'.repeat(max + 1) })).success).toBe(false);
    expect(definition.payload.safeParse(payload({ [field]: '' })).success).toBe(false);
  });

  it('bounds numbers as the inputs do', () => {
    expect(OrderPlaced.payload.safeParse(placedPayload({ quantity: 1_001 })).success).toBe(false);
    expect(StockReleased.payload.safeParse({ orderId: 'o', bookId: 'b', quantity: 1, stock: 1_000_000_001 }).success).toBe(false);
    expect(DeliveryStarted.payload.safeParse({ deliveryId: 'd', orderId: 'o', address: 'a'.repeat(501) }).success).toBe(false);
  });
});

describe('an oversized forged event on JetStream', () => {
  const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
  let bus: EventBus;
  beforeAll(async () => {
    const run = randomUUID().slice(0, 8);
    bus = await connectEventBus({ url: NATS_URL, prefix: `test_${run}`, stream: `TEST_${run}`, name: 'payload-bounds-test' });
  });
  afterAll(async () => {
    await bus.jsm.streams.delete(bus.stream);
    await bus.close();
  });

  /** An envelope as a forger would write it: a valid event's, with the payload swapped. */
  const forged = <P>(valid: EventEnvelope<P>, payload: Record<string, unknown>) => ({ ...valid, payload }) as EventEnvelope;

  it('is parked in the dead-letter subject, not applied, and the events behind it still flow', async () => {
    const durable = `bounds-${randomUUID().slice(0, 8)}`;
    const placed: string[] = [];
    const reviewed: string[] = [];
    const consumer = await startConsumer({
      bus,
      durable,
      handlers: [
        on(OrderPlaced, async (e) => void placed.push(e.payload.orderId)),
        on(ReviewWritten, async (e) => void reviewed.push(e.payload.orderId)),
      ],
    });
    const meta = { correlationId: 'payload-bounds' };
    const hugeTitle = placedPayload({ title: 'T'.repeat(100_000) });
    const hugeReview = reviewPayload({ content: 'r'.repeat(2_001) });
    await publishEnvelope(bus, subjectOf(bus.prefix, OrderPlaced), forged(eventOf(OrderPlaced, placedPayload(), meta), hugeTitle));
    await publishEnvelope(bus, subjectOf(bus.prefix, ReviewWritten), forged(eventOf(ReviewWritten, reviewPayload(), meta), hugeReview));
    const good = placedPayload();
    await publishEnvelope(bus, subjectOf(bus.prefix, OrderPlaced), eventOf(OrderPlaced, good, meta));
    await eventually(
      async () => placed,
      (ids) => ids.includes(good.orderId),
      10_000,
    );
    await consumer.stop();
    expect(placed).toEqual([good.orderId]);
    expect(reviewed).toEqual([]);

    const subject = deadLetterFilter(bus.prefix, durable);
    const reader = await bus.js.consumers.get(bus.stream, { filter_subjects: subject });
    const errors: string[] = [];
    for await (const message of await reader.fetch({ max_messages: 2, expires: 2_000 })) {
      errors.push(message.headers?.get('Bookshop-Error') ?? '');
      if (errors.length === 2) break;
    }
    expect(errors).toEqual([expect.stringMatching(/invalid event.*title/s), expect.stringMatching(/invalid event.*content/s)]);
  });
});
