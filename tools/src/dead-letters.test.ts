import { randomUUID } from 'node:crypto';
import {
  OrderCancelled,
  OrderPlaced,
  connectEventBus,
  deadLetterHeaders,
  deadLetterSubject,
  eventOf,
  on,
  startConsumer,
  subjectOf,
  type EventBus,
} from '@bookshop/events';
import { TEST_NATS_URL } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listDeadLetters, replayDeadLetters, subjectMatches } from './dead-letters.js';

let bus: EventBus;

beforeAll(async () => {
  const run = randomUUID().slice(0, 8);
  bus = await connectEventBus({ url: TEST_NATS_URL, prefix: `dl_${run}`, stream: `DL_${run}`, name: 'dead-letters-test' });
});
afterAll(async () => {
  await bus.jsm.streams.delete(bus.stream);
  await bus.close();
});

/** Parks `body` for `consumer` as the consumer would, saying it came from `subject`. */
async function park(consumer: string, subject: string, body: string): Promise<void> {
  const h = deadLetterHeaders('failed 5 times: database unreachable', subject);
  await bus.js.publish(deadLetterSubject(bus.prefix, consumer, subject.split('.').pop()), body, { headers: h });
}

const storedOn = async (subject: string) =>
  Object.values((await bus.jsm.streams.info(bus.stream, { subjects_filter: subject })).state.subjects ?? {}).reduce((sum, n) => sum + n, 0);

describe('replaying dead letters', () => {
  it('replays a parked message only on a subject its consumer reads, and leaves the others parked with the reason', async () => {
    const consumer = `dl-${randomUUID().slice(0, 8)}`;
    // The consumer reads OrderCancelled only (its filter); it is stopped while the letters are replayed.
    await startConsumer({ bus, durable: consumer, handlers: [on(OrderCancelled, async () => {})] }).then((running) => running.stop());
    const genuine = eventOf(OrderCancelled, { orderId: randomUUID(), customerId: 'alice' }, { correlationId: 'c' });
    const smuggled = eventOf(
      OrderPlaced,
      { orderId: randomUUID(), customerId: 'mallory', bookId: 'b', title: 't', quantity: 1, address: 'a' },
      { correlationId: 'c' },
    );
    await park(consumer, subjectOf(bus.prefix, OrderCancelled), JSON.stringify(genuine));
    await park(consumer, subjectOf(bus.prefix, OrderPlaced), JSON.stringify(smuggled));

    const outcome = await replayDeadLetters(bus, consumer);

    expect(outcome.replayed).toBe(1);
    expect(outcome.refused).toEqual([
      {
        seq: expect.any(Number),
        subject: subjectOf(bus.prefix, OrderPlaced),
        reason: `${subjectOf(bus.prefix, OrderPlaced)} is not a subject consumer ${consumer} reads (${subjectOf(bus.prefix, OrderCancelled)})`,
      },
    ]);
    expect(await storedOn(subjectOf(bus.prefix, OrderCancelled))).toBe(1);
    expect(await storedOn(subjectOf(bus.prefix, OrderPlaced))).toBe(0);
    expect((await listDeadLetters(bus, consumer)).map((letter) => JSON.parse(new TextDecoder().decode(letter.data)).id)).toEqual([
      smuggled.id,
    ]);
  });

  it('replays nothing for a consumer that does not exist, since its subjects are unknown', async () => {
    const consumer = `gone-${randomUUID().slice(0, 8)}`;
    await park(consumer, subjectOf(bus.prefix, OrderCancelled), '{}');
    const outcome = await replayDeadLetters(bus, consumer);
    expect(outcome).toEqual({
      replayed: 0,
      refused: [expect.objectContaining({ reason: expect.stringMatching(`consumer ${consumer} does not exist`) })],
    });
    expect(await listDeadLetters(bus, consumer)).toHaveLength(1);
  });

  it('matches subjects the way NATS does', () => {
    expect(subjectMatches('a.*.*', 'a.order.OrderPlaced')).toBe(true);
    expect(subjectMatches('a.*.*', 'a.deadletter.x.OrderPlaced')).toBe(false);
    expect(subjectMatches('a.>', 'a.order.OrderPlaced')).toBe(true);
    expect(subjectMatches('a.>', 'a')).toBe(false);
    expect(subjectMatches('a.order.OrderPlaced', 'a.order.OrderPlaced')).toBe(true);
    expect(subjectMatches('a.order.OrderPlaced', 'a.order.OrderCancelled')).toBe(false);
  });
});
