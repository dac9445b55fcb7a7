import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  DeliveryCompleted,
  DeliveryStarted,
  OrderDelivered,
  OrderPlaced,
  ReviewWritten,
  StockReleased,
  connectEventBus,
  eventOf,
  subjectOf,
  type EventBus,
  type EventDefinition,
  type EventEnvelope,
} from '@bookshop/events';
import { type RunningService } from '@bookshop/runtime';
import {
  consumerSettled,
  createSqliteTestDatabase,
  TEST_NATS_URL,
  type TestDatabase,
  tokenFor,
  testServiceConfig,
} from '@bookshop/testing';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerName } from './events.js';
import { LiveUpdates } from './live-updates.js';
import { mypage } from './subgraph.js';

/**
 * What every live subscriber of a real my page instance (real NATS, real projection, real
 * graphql-ws) is promised: it leaves no listener behind, it misses no change that happens while it
 * subscribes, it gets every entry of its customer first, and it never sees a version twice or going
 * back. The only seam is `aroundInitialRead`, which wraps the real initial read so a test can
 * project a change at a chosen point of a subscription's start.
 */

let database: TestDatabase;
let bus: EventBus;
let service: RunningService;
const live = new LiveUpdates();
const clients: Client[] = [];
const run = randomUUID().slice(0, 8);

type Read = () => Promise<unknown>;
/** One-shot wrappers of the initial read, by channel (`customer:<id>` or `order:<id>`). */
const aroundRead = new Map<string, (read: Read) => Promise<unknown>>();
/** Channels whose every initial read waits a random 0–30 ms before and after reading: wider races. */
const jittered = new Set<string>();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function jitter(read: Read): Promise<unknown> {
  await sleep(Math.random() * 30);
  const current = await read();
  await sleep(Math.random() * 30);
  return current;
}

beforeAll(async () => {
  database = createSqliteTestDatabase('mypage');
  const events = { url: TEST_NATS_URL, prefix: `lg_${run}`, stream: `LG_${run}`, ackWaitMs: 30_000, replicas: 1 };
  bus = await connectEventBus({ ...events, name: 'live-guarantees-test' });
  service = await mypage.start(
    {
      ...testServiceConfig(events),
      databaseUrl: database.url,
      settings: { MYPAGE_INSTANCE: 'lg-test' },
    },
    {
      waitForOrderMs: 1_500,
      live,
      aroundInitialRead: async <T>(channel: string, read: () => Promise<T>): Promise<T> => {
        const around = aroundRead.get(channel) ?? (jittered.has(channel) ? jitter : undefined);
        aroundRead.delete(channel);
        return (around ? around(read) : read()) as Promise<T>;
      },
    },
  );
});
afterAll(async () => {
  await Promise.all(clients.map(async (client) => client.dispose())); // dispose answers void or a promise
  await service.stop();
  await bus.jsm.streams.delete(bus.stream);
  await bus.close();
  await database.drop();
});

const wsUrl = () => service.url.replace('http', 'ws');

function connectWith(token: string): Client {
  const client = createClient({
    url: wsUrl(),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  clients.push(client);
  return client;
}
const connect = async (customer: string) => connectWith(await tokenFor('customer', customer));

interface Pushed {
  orderId: string;
  version: number;
  orderStatus: string;
  deliveryStatus: string | null;
}

/** Waits for `condition` without polling: checked after each message of the subscription. */
function watch(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const received: Pushed[] = [];
  const errors: Array<{ message?: string; extensions?: { code?: string } }> = [];
  const checks = new Set<() => void>();
  const notify = () => checks.forEach((check) => check());
  const stop = client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(...(result.errors as never[]));
        const data = result.data as Record<string, Pushed> | undefined;
        if (data) received.push(Object.values(data)[0]!);
        notify();
      },
      error: (error) => {
        errors.push(...((Array.isArray(error) ? error : [error]) as never[]));
        notify();
      },
      complete: notify,
    },
  );
  const until = (condition: () => boolean, what: string, timeoutMs = 5_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        checks.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        checks.delete(check);
        reject(
          new Error(
            `${what}: not within ${timeoutMs} ms; received ${JSON.stringify(received.map((e) => [e.orderId.slice(0, 8), e.version]))}, errors ${JSON.stringify(errors)}`,
          ),
        );
      }, timeoutMs);
      checks.add(check);
      check();
    });
  const has = (orderId: string, version: number) => received.some((entry) => entry.orderId === orderId && entry.version === version);
  return { received, errors, stop, until, has };
}
type Watch = ReturnType<typeof watch>;

const publish = <D extends EventDefinition>(definition: D, event: EventEnvelope) =>
  bus.js.publish(subjectOf(bus.prefix, definition), JSON.stringify(event), { msgID: event.id });

const meta = (orderId: string) => ({ orderId, correlationId: 'live-guarantees' });
function placed(customerId: string) {
  const orderId = randomUUID();
  return eventOf(OrderPlaced, { orderId, customerId, bookId: randomUUID(), title: 'Dune', quantity: 1, address: 'x' }, meta(orderId));
}
type Change = [EventDefinition, EventEnvelope];
/** The changes after OrderPlaced of an order that is delivered and reviewed: versions 2 to 5. */
function lifecycle(order: ReturnType<typeof placed>): [Change, Change, Change, Change] {
  const orderId = order.orderId!;
  const { customerId, bookId } = order.payload;
  const deliveryId = randomUUID();
  return [
    [DeliveryStarted, eventOf(DeliveryStarted, { deliveryId, orderId, address: 'x' }, meta(orderId))],
    [DeliveryCompleted, eventOf(DeliveryCompleted, { deliveryId, orderId }, meta(orderId))],
    [OrderDelivered, eventOf(OrderDelivered, { orderId, customerId }, meta(orderId))],
    [
      ReviewWritten,
      eventOf(ReviewWritten, { reviewId: randomUUID(), orderId, bookId, customerId, rating: 5, content: 'great' }, meta(orderId)),
    ],
  ];
}

const ENTRY = 'orderId version orderStatus deliveryStatus';
const ORDER = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { ${ENTRY} } }`;
const MINE = `subscription { myPageUpdated { ${ENTRY} } }`;

/** Per order, the versions one subscriber got, in the order it got them. */
function versionsByOrder(received: Pushed[]): Map<string, number[]> {
  const byOrder = new Map<string, number[]>();
  for (const entry of received) byOrder.set(entry.orderId, [...(byOrder.get(entry.orderId) ?? []), entry.version]);
  return byOrder;
}
const strictlyRising = (versions: number[]) => versions.every((version, i) => i === 0 || version > versions[i - 1]!);

async function listenersSettleAt(expected: number, timeoutMs = 3_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (live.listenerCount() !== expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return live.listenerCount();
}

/** A raw graphql-transport-ws socket that subscribes, takes the first entry, then drops the TCP connection (RST). */
async function subscribeThenReset(token: string, query: string, variables: Record<string, unknown>): Promise<void> {
  const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
  const message = (type: string) =>
    new Promise<void>((resolve, reject) => {
      const onMessage = (data: WebSocket.RawData) => {
        const parsed = JSON.parse(String(data)) as { type: string };
        if (parsed.type === type) {
          socket.off('message', onMessage);
          resolve();
        } else if (parsed.type === 'error') reject(new Error(String(data)));
      };
      socket.on('message', onMessage);
    });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const acked = message('connection_ack');
  socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await acked;
  const first = message('next');
  socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables } }));
  await first;
  (socket as unknown as { _socket: Socket })._socket.resetAndDestroy();
}

describe('live subscribers of my page', () => {
  it('leave no listener behind: 300 subscribe/leave cycles (complete, socket close, TCP reset) of a finished order', async () => {
    const baseline = live.listenerCount(); // subscribers of other tests that are still on
    const customer = `carol-${run}`;
    const token = await tokenFor('customer', customer);
    const order = placed(customer);
    const orderId = order.orderId!;
    await publish(OrderPlaced, order);
    for (const [definition, event] of lifecycle(order)) await publish(definition, event);
    const client = connectWith(token);
    const settled = watch(client, ORDER, { id: orderId });
    await settled.until(() => settled.has(orderId, 5), 'the order delivered and reviewed');
    settled.stop();

    // Nothing will ever change this order again: a listener that waits for its next change to leave never leaves.
    const query = (i: number) => (i % 2 === 0 ? { query: ORDER, variables: { id: orderId } } : { query: MINE, variables: {} });
    for (let i = 0; i < 100; i++) {
      const { query: q, variables } = query(i);
      const subscriber = watch(client, q, variables);
      await subscriber.until(() => subscriber.has(orderId, 5), `complete cycle ${i}`);
      subscriber.stop(); // graphql-ws `complete`
    }
    for (let i = 0; i < 100; i++) {
      const { query: q, variables } = query(i);
      const own = createClient({
        url: wsUrl(),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${token}` },
      });
      const subscriber = watch(own, q, variables);
      await subscriber.until(() => subscriber.has(orderId, 5), `close cycle ${i}`);
      await own.dispose(); // the socket closes with the subscription still on
    }
    for (let i = 0; i < 100; i++) {
      const { query: q, variables } = query(i);
      await subscribeThenReset(token, q, variables);
    }
    expect(await listenersSettleAt(baseline)).toBe(baseline);
  });

  it('myPageUpdated: a change projected while a subscriber reads the current entries reaches it (it listens before it reads)', async () => {
    const customer = `dave-${run}`;
    const order = placed(customer);
    const orderId = order.orderId!;
    await publish(OrderPlaced, order);
    const client = await connect(customer);
    const witness = watch(client, MINE);
    await witness.until(() => witness.has(orderId, 1), 'the witness sees the order');

    const [[started, startedEvent]] = lifecycle(order);
    aroundRead.set(`customer:${customer}`, async (read) => {
      const current = await read(); // the entry at version 1
      await publish(started, startedEvent);
      await witness.until(() => witness.has(orderId, 2), 'the change pushed');
      return current;
    });
    const subscriber = watch(client, MINE);
    await subscriber.until(() => subscriber.has(orderId, 2), 'the subscriber gets the change made while it subscribed');
    expect(subscriber.received.map((entry) => entry.version)).toEqual([1, 2]);
    expect(subscriber.errors).toEqual([]);
  });

  it('orderStatusChanged: a change projected while a subscriber reads the order reaches it', async () => {
    const customer = `dave-${run}`;
    const order = placed(customer);
    const orderId = order.orderId!;
    await publish(OrderPlaced, order);
    const client = await connect(customer);
    const witness = watch(client, ORDER, { id: orderId });
    await witness.until(() => witness.has(orderId, 1), 'the witness sees the order');

    const [[started, startedEvent]] = lifecycle(order);
    aroundRead.set(`order:${orderId}`, async (read) => {
      const current = await read();
      await publish(started, startedEvent);
      await witness.until(() => witness.has(orderId, 2), 'the change pushed');
      return current;
    });
    const subscriber = watch(client, ORDER, { id: orderId });
    await subscriber.until(() => subscriber.has(orderId, 2), 'the subscriber gets the change made while it subscribed');
    expect(subscriber.received.map((entry) => entry.version)).toEqual([1, 2]);
    expect(subscriber.errors).toEqual([]);
  });

  it('orderStatusChanged: an order projected between the read that did not find it and the wait is not missed', async () => {
    const customer = `dave-${run}`;
    const order = placed(customer);
    const orderId = order.orderId!;
    const client = await connect(customer);
    const witness = watch(client, MINE);
    aroundRead.set(`order:${orderId}`, async (read) => {
      const current = await read(); // null: not projected yet
      await publish(OrderPlaced, order);
      await witness.until(() => witness.has(orderId, 1), 'the order pushed');
      return current;
    });
    const subscriber = watch(client, ORDER, { id: orderId });
    await subscriber.until(() => subscriber.received.length > 0 || subscriber.errors.length > 0, 'an answer');
    expect(subscriber.errors).toEqual([]);
    expect(subscriber.received).toEqual([{ orderId, version: 1, orderStatus: 'PLACED', deliveryStatus: null }]);
  });

  it('two myPageUpdated subscribers with the same token each get every entry of the customer, the current ones first', async () => {
    const customer = `erin-${run}`;
    const orders = [placed(customer), placed(customer), placed(customer)];
    let last = 0;
    for (const order of orders) last = (await publish(OrderPlaced, order)).seq;
    // All three are projected before anyone subscribes (a consumer may wait a moment to gather a batch).
    await consumerSettled(bus, consumerName('lg-test'), last);
    const ids = orders.map((order) => order.orderId!);
    const token = await tokenFor('customer', customer);
    const first = watch(connectWith(token), MINE);
    await first.until(() => ids.every((id) => first.has(id, 1)), 'the first subscriber has every entry');

    // A fourth order is placed while the second subscriber (same token, another socket) subscribes.
    const fourth = placed(customer);
    aroundRead.set(`customer:${customer}`, async (read) => {
      const current = await read();
      await publish(OrderPlaced, fourth);
      await first.until(() => first.has(fourth.orderId!, 1), 'the fourth order pushed');
      return current;
    });
    const second = watch(connectWith(token), MINE);
    // The current ones first, oldest first (by order id: time-ordered UUIDv7 in the shop, random here), then the change.
    const all = [...[...ids].sort(), fourth.orderId!];
    await second.until(() => all.every((id) => second.has(id, 1)), 'the second subscriber has every entry');
    expect(first.received.map((entry) => entry.orderId)).toEqual(all);
    expect(second.received.map((entry) => entry.orderId)).toEqual(all);
    expect([...first.errors, ...second.errors]).toEqual([]);
  });

  it('a version in both the initial read and a push is sent once', async () => {
    const customer = `frank-${run}`;
    const order = placed(customer);
    const orderId = order.orderId!;
    await publish(OrderPlaced, order);
    const client = await connect(customer);
    const witness = watch(client, ORDER, { id: orderId });
    await witness.until(() => witness.has(orderId, 1), 'the witness sees the order');
    const [[started, startedEvent], [completed, completedEvent], [delivered, deliveredEvent]] = lifecycle(order);
    aroundRead.set(`order:${orderId}`, async (read) => {
      // Version 2 is projected after the subscriber listens and before it reads: the read and a push both bring it.
      await publish(started, startedEvent);
      await witness.until(() => witness.has(orderId, 2), 'version 2 pushed');
      const current = await read();
      await publish(completed, completedEvent);
      await witness.until(() => witness.has(orderId, 3), 'version 3 pushed');
      return current;
    });
    const subscriber = watch(client, ORDER, { id: orderId });
    await subscriber.until(() => subscriber.has(orderId, 3), 'the subscriber reaches version 3');
    // Version 4, projected now: a subscriber's feed sends in order, so a duplicate of what the read
    // and the pushes brought, all in its queue before this, would come first.
    await publish(delivered, deliveredEvent);
    await subscriber.until(() => subscriber.has(orderId, 4), 'the subscriber reaches version 4');
    expect(subscriber.received.map((entry) => entry.version)).toEqual([2, 3, 4]);
  });

  it('no subscriber ever gets an (order, version) twice or a version going back, whenever it subscribes', async () => {
    const customer = `gina-${run}`;
    const token = await tokenFor('customer', customer);
    const orders = Array.from({ length: 4 }, () => placed(customer));
    const ids = orders.map((order) => order.orderId!);
    for (const order of orders) await publish(OrderPlaced, order);
    const changes = orders.map(lifecycle);
    for (const channel of [`customer:${customer}`, ...ids.map((id) => `order:${id}`)]) jittered.add(channel);
    const sockets = Array.from({ length: 4 }, () => connectWith(token));
    const subscribers: Array<{ watcher: Watch; orders: string[] }> = [];

    // Subscribers join while the orders' changes are projected, one change every few ms, and each
    // one's initial read is delayed at random: changes land before, during and after the reads.
    const published: Array<Promise<unknown>> = [];
    for (let step = 0; step < 4; step++) {
      for (const [i, orderChanges] of changes.entries()) {
        const [definition, event] = orderChanges[step as 0 | 1 | 2 | 3];
        published.push(publish(definition, event));
        const socket = sockets[(step + i) % sockets.length]!;
        subscribers.push({ watcher: watch(socket, MINE), orders: ids });
        subscribers.push({ watcher: watch(socket, ORDER, { id: ids[i] }), orders: [ids[i]!] });
        await sleep(2 + Math.random() * 6);
      }
    }
    await Promise.all(published);
    for (const { watcher, orders: theirs } of subscribers) {
      await watcher.until(() => theirs.every((id) => watcher.has(id, 5)), 'every order at its last version');
    }
    // One change more for every order (its copies back in stock: version 6), projected after every
    // subscriber's initial read and every push before it: each feed sends in order, so a late
    // duplicate would come before it.
    for (const order of orders) {
      const released = eventOf(
        StockReleased,
        { orderId: order.orderId!, bookId: order.payload.bookId, quantity: 1, stock: 1 },
        meta(order.orderId!),
      );
      await publish(StockReleased, released);
    }
    for (const { watcher, orders: theirs } of subscribers) {
      await watcher.until(() => theirs.every((id) => watcher.has(id, 6)), 'every order at version 6');
    }
    for (const { watcher } of subscribers) {
      expect(watcher.errors).toEqual([]);
      for (const [orderId, versions] of versionsByOrder(watcher.received)) {
        expect(strictlyRising(versions), `${orderId}: ${versions.join(',')}`).toBe(true);
      }
    }
  });
});
