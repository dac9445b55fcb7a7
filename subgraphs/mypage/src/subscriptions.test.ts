import { randomUUID } from 'node:crypto';
import {
  DeliveryCompleted,
  DeliveryStarted,
  OrderCancelled,
  OrderDelivered,
  OrderPlaced,
  connectEventBus,
  eventOf,
  subjectOf,
  type EventBus,
  type EventDefinition,
  type EventEnvelope,
} from '@bookshop/events';
import { type RunningService } from '@bookshop/runtime';
import { createSqliteTestDatabase, eventually, TEST_NATS_URL, type TestDatabase, tokenFor, testServiceConfig } from '@bookshop/testing';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mypage } from './subgraph.js';

let database: TestDatabase;
let bus: EventBus;
let service: RunningService;
const clients: Client[] = [];
/** Channels (`order:<id>`, `customer:<id>`) whose subscription has read the current state. */
const readsDone: string[] = [];

beforeAll(async () => {
  database = createSqliteTestDatabase('mypage');
  const run = randomUUID().slice(0, 8);
  const events = { url: TEST_NATS_URL, prefix: `sub_${run}`, stream: `SUB_${run}` };
  bus = await connectEventBus({ ...events, name: 'subscriptions-test' });
  service = await mypage.start(
    { ...testServiceConfig(events), databaseUrl: database.url, settings: { MYPAGE_INSTANCE: 'sub-test' } },
    {
      waitForOrderMs: 1_500,
      aroundInitialRead: async <T>(channel: string, read: () => Promise<T>): Promise<T> => {
        const current = await read();
        readsDone.push(channel);
        return current;
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

async function connect(subject: string | null): Promise<Client> {
  const token = subject ? await tokenFor('customer', subject) : undefined;
  const client = createClient({
    url: service.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    ...(token ? { connectionParams: { authorization: `Bearer ${token}` } } : {}),
  });
  clients.push(client);
  return client;
}

/** Collects what a subscription sends, and the error that ends it, if any. */
function collect(client: Client, query: string, variables: Record<string, unknown> = {}) {
  const received: Array<Record<string, unknown>> = [];
  const errors: Array<{ extensions?: { code?: string } }> = [];
  client.subscribe(
    { query, variables },
    {
      next: (result) => {
        if (result.errors) errors.push(...(result.errors as never[]));
        const data = result.data as Record<string, Record<string, unknown>> | undefined;
        if (data) received.push(Object.values(data)[0]!);
      },
      error: (error) => errors.push(...((Array.isArray(error) ? error : [error]) as never[])),
      complete: () => {},
    },
  );
  return { received, errors };
}

const until = (condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) => eventually(async () => condition(), Boolean, timeoutMs);

const publish = <D extends EventDefinition>(definition: D, event: EventEnvelope) =>
  bus.js.publish(subjectOf(bus.prefix, definition), JSON.stringify(event), { msgID: event.id });

function placed(customerId: string) {
  const orderId = randomUUID();
  return eventOf(
    OrderPlaced,
    { orderId, customerId, bookId: randomUUID(), title: 'Dune', quantity: 2, address: '1 Arrakis Way' },
    { orderId, correlationId: 'c' },
  );
}

const ENTRY = 'orderId orderStatus deliveryStatus version';

describe('live my page', () => {
  it('pushes each projected change of an order to its customer, in order, after the current entry', async () => {
    const first = placed('alice');
    await publish(OrderPlaced, first);
    const alice = await connect('alice');
    const updates = collect(alice, `subscription($id: ID!) { orderStatusChanged(orderId: $id) { ${ENTRY} } }`, { id: first.orderId });
    const mine = collect(alice, `subscription { myPageUpdated { ${ENTRY} } }`);
    await until(() => updates.received.length === 1);
    expect(updates.received[0]).toEqual({ orderId: first.orderId, orderStatus: 'PLACED', deliveryStatus: null, version: 1 });

    const meta = { orderId: first.orderId, correlationId: 'c' };
    await publish(DeliveryStarted, eventOf(DeliveryStarted, { deliveryId: randomUUID(), orderId: first.orderId!, address: 'x' }, meta));
    await publish(OrderCancelled, eventOf(OrderCancelled, { orderId: first.orderId!, customerId: 'alice' }, meta));
    await until(() => updates.received.length === 3);
    expect(updates.received.map((entry) => [entry.version, entry.orderStatus, entry.deliveryStatus])).toEqual([
      [1, 'PLACED', null],
      [2, 'PLACED', 'PREPARING'],
      [3, 'CANCELLED', 'PREPARING'],
    ]);
    await until(() => mine.received.some((entry) => entry.version === 3));
    expect(mine.errors).toEqual([]);
  });

  it('a DeliveryStarted replayed after DeliveryCompleted pushes nothing, so no status ever goes backwards', async () => {
    const order = placed('alice');
    const orderId = order.orderId!;
    const meta = { orderId, correlationId: 'c' };
    const deliveryId = randomUUID();
    await publish(OrderPlaced, order);
    const alice = await connect('alice');
    const updates = collect(alice, `subscription($id: ID!) { orderStatusChanged(orderId: $id) { ${ENTRY} } }`, { id: orderId });
    await until(() => updates.received.length === 1);
    await publish(DeliveryStarted, eventOf(DeliveryStarted, { deliveryId, orderId, address: 'x' }, meta));
    await publish(DeliveryCompleted, eventOf(DeliveryCompleted, { deliveryId, orderId }, meta));
    await until(() => updates.received.length === 3);
    // A replay: the same fact as an event with another id, which the inbox cannot tell apart.
    await publish(DeliveryStarted, eventOf(DeliveryStarted, { deliveryId, orderId, address: 'x' }, meta));
    await publish(OrderDelivered, eventOf(OrderDelivered, { orderId, customerId: 'alice' }, meta));
    await until(() => updates.received.some((entry) => entry.orderStatus === 'DELIVERED'));
    expect(updates.received.map((entry) => [entry.version, entry.orderStatus, entry.deliveryStatus])).toEqual([
      [1, 'PLACED', null],
      [2, 'PLACED', 'PREPARING'],
      [3, 'PLACED', 'DELIVERED'],
      [4, 'DELIVERED', 'DELIVERED'],
    ]);
    expect(updates.errors).toEqual([]);
  });

  it('waits for an order not projected yet, then answers ORDER_NOT_FOUND if it never comes', async () => {
    const alice = await connect('alice');
    const early = placed('alice');
    const waiting = collect(alice, `subscription($id: ID!) { orderStatusChanged(orderId: $id) { ${ENTRY} } }`, { id: early.orderId });
    await until(() => readsDone.includes(`order:${early.orderId}`)); // it found nothing, and waits
    await publish(OrderPlaced, early);
    await until(() => waiting.received.length === 1);
    expect(waiting.received[0]).toMatchObject({ orderId: early.orderId, version: 1 });

    const never = collect(alice, `subscription($id: ID!) { orderStatusChanged(orderId: $id) { ${ENTRY} } }`, { id: randomUUID() });
    await until(() => never.errors.length === 1);
    expect(never.errors[0]!.extensions?.code).toBe('ORDER_NOT_FOUND');
  });

  it("refuses another customer's order with FORBIDDEN, and a socket without a token", async () => {
    const bobs = placed('bob');
    await publish(OrderPlaced, bobs);
    const alice = await connect('alice');
    const stolen = collect(alice, `subscription($id: ID!) { orderStatusChanged(orderId: $id) { ${ENTRY} } }`, { id: bobs.orderId });
    await until(() => stolen.errors.length === 1);
    expect(stolen.errors[0]!.extensions?.code).toBe('FORBIDDEN');
    expect(stolen.received).toEqual([]);

    const anonymous = await connect(null);
    const refused = await new Promise<number>((resolve) => {
      anonymous.on('closed', (event) => resolve((event as { code: number }).code));
      anonymous.subscribe(
        { query: `subscription { myPageUpdated { ${ENTRY} } }` },
        { next: () => {}, error: () => {}, complete: () => {} },
      );
    });
    expect(refused).toBe(4403);
  });
});
