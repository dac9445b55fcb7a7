import { randomUUID } from 'node:crypto';
import { eventually, startTestNatsServer, type TestNatsServer } from '@bookshop/testing';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DeliveryCompleted,
  OrderCancelled,
  OrderPlaced,
  ReviewWritten,
  StockReleased,
  deadLetterFilter,
  eventOf,
  subjectOf,
  type EventDefinition,
} from './catalogue.js';
import { on, startConsumer } from './consumer.js';
import type { EventEnvelope } from './envelope.js';
import { connectEventBus, type EventBus } from './nats.js';
import { CONTEXT_NAMES, type ContextName } from '@bookshop/contexts';
import { generateNatsPasswords, natsAuthorizationConfig } from './permissions.js';
import { publishEnvelope } from './publisher.js';

// A nats-server of this file's own, with the generated authorization: one user per context.
const PREFIX = 'perm';
const STREAM = 'PERM';
const passwords = generateNatsPasswords();
let nats: TestNatsServer;
let admin: EventBus;
const buses: EventBus[] = [];

const as = async (context: ContextName | 'admin'): Promise<EventBus> => {
  const bus = await connectEventBus({
    url: nats.url,
    prefix: PREFIX,
    stream: STREAM,
    name: `permissions-test-${context}`,
    user: context,
    password: context === 'admin' ? passwords.admin : passwords.contexts[context],
  });
  buses.push(bus);
  return bus;
};

beforeAll(async () => {
  nats = await startTestNatsServer({
    config: natsAuthorizationConfig({
      prefix: PREFIX,
      stream: STREAM,
      passwords: passwords.contexts,
      admin: { user: 'admin', password: passwords.admin },
    }),
  });
  admin = await as('admin');
});
afterAll(async () => {
  for (const bus of buses) await bus.close().catch(() => undefined);
  await nats?.dispose();
});

const cancelled = () => eventOf(OrderCancelled, { orderId: randomUUID(), customerId: 'alice' }, { correlationId: 'permissions-test' });

/** How many messages the stream holds on `subject`. */
const storedOn = async (subject: string) => {
  const info = await admin.jsm.streams.info(STREAM, { subjects_filter: subject });
  return Object.values(info.state.subjects ?? {}).reduce((sum, n) => sum + n, 0);
};

describe('NATS users per context', () => {
  it('refuses a client without credentials, and one with a wrong password', async () => {
    await expect(connect({ servers: nats.url, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/);
    await expect(connect({ servers: nats.url, user: 'order', pass: passwords.contexts.book, maxReconnectAttempts: 0 })).rejects.toThrow(
      /Authorization Violation/,
    );
  });

  it("lets a context publish its own events, and refuses its publish on another context's subject", async () => {
    const book = await as('book');
    const own = eventOf(
      StockReleased,
      { orderId: randomUUID(), bookId: 'b-1', quantity: 1, stock: 3 },
      { correlationId: 'permissions-test' },
    );
    await expect(publishEnvelope(book, subjectOf(PREFIX, StockReleased), own)).resolves.toEqual({ duplicate: false });

    // The attack: book's credentials announcing that an order was cancelled.
    const forged = cancelled();
    await expect(publishEnvelope(book, subjectOf(PREFIX, OrderCancelled), forged)).rejects.toThrow(
      `Permissions Violation for Publish to "${subjectOf(PREFIX, OrderCancelled)}"`,
    );
    // Nor may it publish as delivery, or park a letter as another consumer.
    await expect(book.js.publish(subjectOf(PREFIX, DeliveryCompleted), '{}')).rejects.toThrow(/Permissions Violation for Publish/);
    await expect(book.js.publish(`${PREFIX}.deadletter.order.OrderCancelled`, '{}')).rejects.toThrow(/Permissions Violation for Publish/);
    expect(await storedOn(`${PREFIX}.order.>`)).toBe(0);
    expect(await storedOn(subjectOf(PREFIX, StockReleased))).toBe(1);
  });

  it('refuses my page (which owns no events) any event subject', async () => {
    const mypage = await as('mypage');
    await expect(mypage.js.publish(`${PREFIX}.mypage.Anything`, '{}')).rejects.toThrow(/Permissions Violation for Publish/);
    await expect(mypage.js.publish(subjectOf(PREFIX, ReviewWritten), '{}')).rejects.toThrow(/Permissions Violation for Publish/);
  });

  it('lets each consuming context create its own durable consumer, read the events and ack them', async () => {
    const consumed: Array<[string, EventDefinition[]]> = [
      ['book', [OrderCancelled]],
      ['order', [DeliveryCompleted]],
      ['delivery', [OrderPlaced]],
      ['review', [OrderPlaced, OrderCancelled]], // several filters: `<prefix>.*.*` before nats-server 2.10
      ['mypage', [OrderPlaced, StockReleased]],
    ];
    const event = {
      OrderCancelled: () => cancelled(),
      DeliveryCompleted: () => eventOf(DeliveryCompleted, { deliveryId: randomUUID(), orderId: randomUUID() }, { correlationId: 'c' }),
      OrderPlaced: () =>
        eventOf(
          OrderPlaced,
          { orderId: randomUUID(), customerId: 'alice', bookId: 'b-1', title: 'Dune', quantity: 1, address: 'x' },
          { correlationId: 'c' },
        ),
      StockReleased: () => eventOf(StockReleased, { orderId: randomUUID(), bookId: 'b-1', quantity: 1, stock: 3 }, { correlationId: 'c' }),
    } as Record<string, () => EventEnvelope>;
    for (const [context, definitions] of consumed) {
      const durable = context === 'mypage' ? 'mypage-main' : context;
      const bus = await as(context as ContextName);
      const received: string[] = [];
      const published = definitions.map((definition) => ({ definition, envelope: event[definition.type]!() }));
      for (const { definition, envelope } of published) await publishEnvelope(admin, subjectOf(PREFIX, definition), envelope);
      const consumer = await startConsumer({
        bus,
        durable,
        handlers: definitions.map((definition) => on(definition, async (e) => void received.push(e.id))),
      });
      await eventually(
        async () => received,
        (ids) => published.every(({ envelope }) => ids.includes(envelope.id)),
        10_000,
      );
      await consumer.stop();
      const info = await bus.jsm.consumers.info(STREAM, durable); // its own consumer: allowed
      expect({ context, acked: info.num_ack_pending === 0 && info.num_pending === 0 }).toEqual({ context, acked: true });
    }
  });

  it("refuses a context another context's durable consumer, and changing the stream", async () => {
    const book = await as('book');
    await startConsumer({ bus: book, durable: 'book', handlers: [on(OrderCancelled, async () => {})] }).then((consumer) => consumer.stop());
    const mypage = await as('mypage');
    await expect(mypage.js.consumers.get(STREAM, 'book')).rejects.toThrow(/Permissions Violation/);
    await expect(mypage.jsm.consumers.delete(STREAM, 'book')).rejects.toThrow(/Permissions Violation/);
    await expect(startConsumer({ bus: mypage, durable: 'book', handlers: [on(OrderCancelled, async () => {})] })).rejects.toThrow(
      /Permissions Violation/,
    );
    // A stream update could map book's subjects onto order's: only the admin may change the stream.
    await expect(book.jsm.streams.update(STREAM, { subjects: [`${PREFIX}.>`, 'elsewhere.>'] })).rejects.toThrow(/Permissions Violation/);
    await expect(book.jsm.streams.delete(STREAM)).rejects.toThrow(/Permissions Violation/);
  });

  it('does not apply an event published on the subject of a context that does not own its type: it is parked', async () => {
    const book = await as('book');
    const review = await as('review');
    // Allowed by NATS (book's own subject), but OrderCancelled is order's to say.
    const forgedSubject = `${PREFIX}.book.OrderCancelled`;
    const forged = cancelled();
    await book.js.publish(forgedSubject, JSON.stringify(forged), { msgID: forged.id });
    const applied: string[] = [];
    const durable = 'review';
    const consumer = await startConsumer({
      bus: review,
      durable,
      handlers: [on(OrderPlaced, async (e) => void applied.push(e.id)), on(OrderCancelled, async (e) => void applied.push(e.id))],
    });
    const genuine = cancelled();
    await publishEnvelope(admin, subjectOf(PREFIX, OrderCancelled), genuine);
    await eventually(
      async () => applied,
      (ids) => ids.includes(genuine.id),
      10_000,
    );
    const { config } = await review.jsm.consumers.info(STREAM, durable);
    await consumer.stop();
    expect(applied).not.toContain(forged.id);
    if (config.filter_subject === `${PREFIX}.*.*`) {
      // nats-server before 2.10: the wildcard filter brings the forgery to the consumer, which parks it.
      const parked = await eventually(
        () => storedOn(deadLetterFilter(PREFIX, durable)),
        (count) => count === 1,
        10_000,
      );
      expect(parked).toBe(1);
      const letter = await admin.jsm.streams.getMessage(STREAM, { last_by_subj: `${PREFIX}.deadletter.${durable}.OrderCancelled` });
      expect(letter!.header.get('Bookshop-Error')).toBe(`forged event: OrderCancelled belongs to order, but came on ${forgedSubject}`);
      expect(letter!.json<EventEnvelope>().id).toBe(forged.id);
    } else {
      // nats-server 2.10+: the consumer's exact filters never deliver the forged subject at all.
      expect(config.filter_subjects).not.toContain(forgedSubject);
    }
  });

  it('connects a context to a stream set up otherwise, which its user may not change, and leaves the stream as it is', async () => {
    const subjects = [`${PREFIX}.>`, 'operator.>'];
    await admin.jsm.streams.update(STREAM, { subjects });
    try {
      const order = await as('order');
      expect((await order.jsm.streams.info(STREAM)).config.subjects).toEqual(subjects);
    } finally {
      await admin.jsm.streams.update(STREAM, { subjects: [`${PREFIX}.>`] });
    }
  });

  it('writes one user per context, each publishing only its own subjects; a password may come from the environment', () => {
    const config = natsAuthorizationConfig({
      prefix: 'bookshop',
      stream: 'BOOKSHOP',
      passwords: Object.fromEntries(CONTEXT_NAMES.map((context) => [context, { env: `${context.toUpperCase()}_PASSWORD` }])) as Record<
        ContextName,
        { env: string }
      >,
    });
    for (const context of CONTEXT_NAMES)
      expect(config).toContain(`user: "${context}"\n      password: $${context.toUpperCase()}_PASSWORD\n`);
    const eventSubjects = [...config.matchAll(/"(bookshop\.(?!deadletter)[\w-]+\.>)"/g)].map((match) => match[1]);
    expect(eventSubjects).toEqual(['bookshop.book.>', 'bookshop.order.>', 'bookshop.delivery.>', 'bookshop.review.>']);
    expect(config).not.toMatch(/"_INBOX\.>"|"\$JS\.API\.>"|"\$JS\.API\.STREAM\.UPDATE|"\$JS\.ACK\.BOOKSHOP\.>"/);
  });
});
