import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { once } from 'node:events';
import { composeServices } from '@apollo/composition';
import {
  ServiceTrust,
  SubscriberTooSlow,
  credentialEnv,
  trustedKeysOf,
  signToken,
  startGraphQLService,
  startSubgraph,
  type RunningService,
} from '@bookshop/runtime';
import { TEST_CREDENTIALS, TEST_JWT_SECRET, eventually } from '@bookshop/testing';
import { buildSchema, parse } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { routerConfig } from './config.js';
import { startRouter } from './service.js';

// The router between a subgraph with a live field and clients that leave in every way there is,
// with a subgraph behind it that never answers: in one process, so the counts can be read.

const secret = TEST_JWT_SECRET;
const serviceTrust = new ServiceTrust(trustedKeysOf(TEST_CREDENTIALS));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await sleep(20);
  }
}

type Entry = { orderId: string; version: number };

/**
 * A subgraph with my page's shape: `entries` sends every current entry, then each change. It
 * counts the subscriptions open on it: the router's upstream feeds.
 */
function entriesSubgraph() {
  const current = new Map<string, number>();
  const listeners = new Set<(entry: Entry) => void>();
  const counts = { active: 0, opened: 0 };
  // The next subscription opened falls behind once it has sent the current entries (my page's SubscriberTooSlow).
  const faults = { tooSlowOnce: false };
  const stream = (): AsyncIterableIterator<{ entries: Entry }> => {
    counts.active += 1;
    counts.opened += 1;
    const queue: Entry[] = [...current].map(([orderId, version]) => ({ orderId, version }));
    const tooSlow = faults.tooSlowOnce;
    faults.tooSlowOnce = false;
    let open = true;
    let wake: (() => void) | undefined;
    const listener = (entry: Entry) => {
      queue.push(entry);
      wake?.();
    };
    listeners.add(listener);
    const close = () => {
      if (!open) return;
      open = false;
      counts.active -= 1;
      listeners.delete(listener);
      wake?.();
    };
    const iterator: AsyncIterableIterator<{ entries: Entry }> = {
      next: async () => {
        if (tooSlow && open && queue.length === 0) {
          close();
          throw new SubscriberTooSlow();
        }
        while (open && queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        return open ? { done: false, value: { entries: queue.shift()! } } : { done: true, value: undefined };
      },
      return: async () => {
        close();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  };
  const typeDefs = parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type Entry { orderId: ID! version: Int! order: Order! }
    type Order @key(fields: "id", resolvable: false) { id: ID! }
    type Query { entries: [Entry!]! }
    type Subscription { entries: Entry! }
  `);
  const resolvers = {
    Query: { entries: () => [...current].map(([orderId, version]) => ({ orderId, version })) },
    Subscription: { entries: { subscribe: stream } },
    Entry: { order: (entry: Entry) => ({ __typename: 'Order', id: entry.orderId }) },
  };
  let service: RunningService | undefined;
  return {
    typeDefs,
    counts,
    faults,
    /** Its /readyz figures: the router's sockets on it among them. */
    info: async () => ((await (await fetch(service!.url.replace('/graphql', '/readyz'))).json()) as { info: Record<string, number> }).info,
    publish: (orderId: string, version: number) => {
      current.set(orderId, version);
      for (const listener of listeners) listener({ orderId, version });
    },
    start: async (port = 0) => {
      service = await startSubgraph({
        name: 'entries',
        port,
        typeDefs,
        resolvers: resolvers as never,
        jwtSecret: { secrets: [secret], maxAgeSeconds: 40 * 86_400 },
        serviceTrust,
        subscriptions: true,
        shutdownGraceMs: 200,
      });
      return service;
    },
    stop: () => service!.stop(),
  };
}

/** A subgraph that accepts every request and never answers it. */
async function frozenSubgraph() {
  const sockets = new Set<Socket>();
  const server: Server = createServer(() => {});
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    typeDefs: parse(`
      extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
      type Order @key(fields: "id") { id: ID! note: String }
      type Query { order(id: ID!): Order }
    `),
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const TIMEOUT_MS = 500;
const entries = entriesSubgraph();
let frozen: Awaited<ReturnType<typeof frozenSubgraph>>;
let entriesPort: number;
let router: RunningService;
let supergraphSdl: string;
const clients: Client[] = [];

beforeAll(async () => {
  frozen = await frozenSubgraph();
  entriesPort = (await entries.start()).port;
  const composed = composeServices([
    { name: 'entries', url: `http://127.0.0.1:${entriesPort}/graphql`, typeDefs: entries.typeDefs },
    { name: 'orders', url: frozen.url, typeDefs: frozen.typeDefs },
  ]);
  if (composed.errors) throw new Error(composed.errors.map((error) => error.message).join('\n'));
  supergraphSdl = composed.supergraphSdl;
  router = await startRouter(routerConfigWith(), supergraphSdl);
  entries.publish('a', 1);
  entries.publish('b', 1);
});
afterAll(async () => {
  await Promise.all(clients.map(async (client) => client.dispose())); // dispose answers void or a promise
  await router?.stop();
  await entries.stop();
  frozen?.close();
});
afterEach(async () => {
  // Whatever a test did, nothing stays subscribed upstream once its clients are gone.
  await Promise.all(clients.splice(0).map(async (client) => client.dispose())); // dispose answers void or a promise
  await until(() => entries.counts.active === 0);
});

function routerConfigWith(env: NodeJS.ProcessEnv = {}) {
  return routerConfig({
    ...credentialEnv(TEST_CREDENTIALS, 'router'),
    JWT_MAX_AGE_SECONDS: String(40 * 86_400),
    ROUTER_PORT: '0',
    ROUTER_SUBGRAPH_TIMEOUT_MS: String(TIMEOUT_MS),
    SHUTDOWN_GRACE_MS: '500',
    ...env,
  });
}

const customerToken = (expiresIn = '1h', subject = 'alice') => signToken({ subject, role: 'customer' }, secret, { expiresIn });
const wsUrl = () => router.url.replace('http', 'ws');

function socketOf(token: string, url = wsUrl()) {
  const closes: number[] = [];
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => {},
    connectionParams: { authorization: `Bearer ${token}` },
    on: { closed: (event) => void closes.push((event as { code: number }).code) },
  });
  clients.push(client);
  const subscribe = (query: string) => {
    const seen = { results: [] as Array<{ data?: any; errors?: any[] }>, completed: false };
    const unsubscribe = client.subscribe(
      { query },
      {
        next: (result) => void seen.results.push(result as never),
        error: (error) => void seen.results.push({ errors: Array.isArray(error) ? error : [error] }),
        complete: () => void (seen.completed = true),
      },
    );
    return Object.assign(seen, { unsubscribe });
  };
  return { client, closes, subscribe };
}

const ENTRIES = 'subscription { entries { orderId version } }';

describe("the router's live feeds", () => {
  it.each(['complete', 'close', 'TCP reset', 'token expiry'] as const)(
    'a subscriber that leaves by %s leaves no upstream subscription behind',
    async (how) => {
      const token = await customerToken(how === 'token expiry' ? '2s' : '1h');
      let leave: () => unknown;
      if (how === 'TCP reset') {
        const socket = new WebSocket(wsUrl(), 'graphql-transport-ws');
        await once(socket, 'open');
        socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
        await once(socket, 'message'); // connection_ack
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: ENTRIES } }));
        await once(socket, 'message');
        leave = () => socket.terminate();
      } else {
        const socket = socketOf(token);
        const watch = socket.subscribe(ENTRIES);
        await until(() => watch.results.length >= 2);
        leave = how === 'complete' ? watch.unsubscribe : how === 'close' ? () => socket.client.dispose() : () => {};
      }
      expect(entries.counts.active).toBe(1);
      await leave();
      await until(() => entries.counts.active === 0, 6_000);
    },
  );

  it('subscribers that leave and join while the subgraph is away: no socket is cut, nothing leaks, and nothing comes twice when it is back', async () => {
    const token = await customerToken();
    const app = socketOf(token);
    const leaving = app.subscribe(ENTRIES);
    const staying = app.subscribe('subscription { entries { version orderId } }');
    const other = socketOf(token);
    const closing = other.subscribe(ENTRIES);
    await until(() => [leaving, staying, closing].every((watch) => watch.results.length >= 2));
    expect(entries.counts.active).toBe(2);

    await entries.stop();
    await sleep(700); // the router is reconnecting now
    leaving.unsubscribe();
    await other.client.dispose();
    const late = socketOf(token).subscribe(ENTRIES); // a newcomer: a new feed towards the stopped subgraph, left while it connects
    await sleep(300);
    late.unsubscribe();
    await sleep(1_000); // away a while longer: the router keeps retrying, with nobody left on two of its feeds

    entries.publish('a', 2); // a change while it was away
    await entries.start(entriesPort);
    await until(() => staying.results.length >= 3, 8_000);
    // A later change, on the same feed and socket: the subgraph sends what it holds before what
    // changes after, and the router and the socket keep that order, so a repeat of a or b at
    // version 1 would come before it.
    entries.publish('b', 2);
    await until(() => staying.results.length >= 4);
    expect(staying.results.map((result) => result.data?.entries)).toEqual([
      { version: 1, orderId: 'a' },
      { version: 1, orderId: 'b' },
      { version: 2, orderId: 'a' },
      { version: 2, orderId: 'b' },
    ]);
    expect(entries.counts.active).toBe(1); // `staying`'s feed only: the feeds left while it was away did not come back
    expect(app.closes).toEqual([]); // `staying`'s last result came on this socket after all that: it was never cut
  });

  it('refuses queries and mutations on the socket with BAD_REQUEST (they belong on HTTP)', async () => {
    const watch = socketOf(await customerToken()).subscribe('{ entries { orderId } }');
    await until(() => watch.completed);
    expect(watch.results.flatMap((result) => result.errors ?? []).map((error) => error.extensions?.code)).toEqual(['BAD_REQUEST']);
  });

  it("keeps a socket open for a token that expires in 30 days (past setTimeout's 24.8; this router allows 40-day tokens)", async () => {
    const socket = socketOf(await customerToken('30d'));
    const watch = socket.subscribe(ENTRIES);
    await until(() => watch.results.length >= 2 || socket.closes.length > 0);
    // An expiry past setTimeout's reach would fire 1 ms after connection_init. This result waits out
    // the router's subgraph timeout (the orders subgraph never answers): a timer armed later in
    // this same process and due later, so it runs after that one, and its result would find the
    // socket closed.
    const later = socket.subscribe('subscription { entries { orderId order { note } } }');
    await until(() => later.results.length >= 1 || socket.closes.length > 0, TIMEOUT_MS * 2 + 3_000);
    expect(socket.closes).toEqual([]);
    expect(later.results[0]!.errors?.map((error) => error.extensions?.code)).toEqual(['SERVICE_UNAVAILABLE']);
    expect(watch.results).toHaveLength(2);
  });

  it('a late joiner gets every entry once, even when its selection names neither the entry nor its version', async () => {
    const token = await customerToken();
    const VERSIONS_ONLY = 'subscription { entries { version } }';
    const first = socketOf(token).subscribe(VERSIONS_ONLY);
    await until(() => first.results.length >= 2);
    const late = socketOf(token).subscribe(VERSIONS_ONLY);
    await until(() => late.results.length >= 2);
    entries.publish('c', 1);
    await until(() => first.results.length >= 3 && late.results.length >= 3);
    // One feed, in order, to both: anything more for either (a repeat for the late one) would come before this.
    entries.publish('c', 2);
    await until(() => first.results.length >= 4 && late.results.length >= 4);
    expect(late.results).toHaveLength(4);
    expect(late.results).toEqual(first.results);
    expect(entries.counts.active).toBe(1); // one upstream feed for both
  });
});

describe('a subgraph that never answers', () => {
  it('costs a query and a subscription event the fields it would bring, with SERVICE_UNAVAILABLE naming it, within the timeout', async () => {
    // The orders subgraph never answers: any answer is the router giving up on it, on its own
    // timeout (undici's default would keep this test waiting past its own 20 s).
    const query = await fetch(router.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await customerToken()}` },
      body: JSON.stringify({ query: '{ entries { orderId order { note } } }' }),
    }).then((response) => response.json() as Promise<{ data: unknown; errors: Array<{ extensions: unknown }> }>);
    expect(query.errors.map((error) => error.extensions)).toEqual([
      expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', serviceName: 'orders' }),
    ]);
    expect(query.data).toEqual({
      entries: expect.arrayContaining([
        { orderId: 'a', order: { note: null } },
        { orderId: 'b', order: { note: null } },
      ]),
    });

    const watch = socketOf(await customerToken()).subscribe('subscription { entries { orderId version order { note } } }');
    await until(() => watch.results.length >= 2, TIMEOUT_MS * 2 + 3_000);
    for (const result of watch.results) {
      expect(result.errors?.map((error) => error.extensions)).toEqual([
        expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', serviceName: 'orders' }),
      ]);
      expect(result.data.entries).toMatchObject({ order: { note: null } });
    }
    expect(watch.completed).toBe(false); // the subscription goes on
  }, 20_000);
});

describe('the socket rules of the runtime', () => {
  it('closes the socket of a reader too slow for its queue with 1013, so its client reconnects', async () => {
    const schema = buildSchema('type Query { x: Int } type Subscription { x: Int }');
    const service = await startGraphQLService({
      name: 'slow-reader-test',
      port: 0,
      apollo: { schema },
      jwtSecret: secret,
      shutdownGraceMs: 200,
      subscriptions: {
        schema,
        subscribe: async () =>
          (async function* () {
            yield { data: { x: 1 } };
            throw new SubscriberTooSlow();
          })(),
      },
    });
    try {
      const socket = createClient({
        url: service.url.replace('http', 'ws'),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${await customerToken()}` },
      });
      const closed = new Promise<number>((resolve) => socket.on('closed', (event) => resolve((event as { code: number }).code)));
      const seen: { completed?: boolean; failed?: unknown } = {};
      socket.subscribe(
        { query: 'subscription { x }' },
        { next: () => {}, error: (error) => (seen.failed = error), complete: () => (seen.completed = true) },
      );
      expect(await closed).toBe(1013);
      await socket.dispose();
    } finally {
      await service.stop();
    }
  });
});

describe("the router's connections to a subgraph", () => {
  const readyInfo = async (url: string) =>
    ((await (await fetch(url.replace('/graphql', '/readyz'))).json()) as { info: Record<string, number> }).info;

  it('carry many callers each, spread over at most the allowed number, refuse past their bound, and close once idle', async () => {
    // At most 2 connections of 5 subscriptions each: 12 callers need more.
    const small = await startRouter(
      routerConfigWith({ ROUTER_UPSTREAM_SOCKETS_PER_SUBGRAPH: '2', ROUTER_UPSTREAM_SUBSCRIPTIONS_PER_SOCKET: '5' }),
      supergraphSdl,
    );
    try {
      const watches = await Promise.all(
        Array.from({ length: 12 }, async (_, i) =>
          socketOf(await customerToken('1h', `caller-${i}`), small.url.replace('http', 'ws')).subscribe(ENTRIES),
        ),
      );
      const refused = () => watches.filter((watch) => watch.completed);
      await until(() => watches.filter((watch) => watch.results.length >= 2).length === 10 && refused().length === 2);
      expect(
        refused().map((watch) => watch.results.flatMap((result) => result.errors ?? []).map((error) => error.extensions?.code)),
      ).toEqual([['SERVICE_UNAVAILABLE'], ['SERVICE_UNAVAILABLE']]);
      expect(entries.counts.active).toBe(10); // each caller's own feed: ten subscriptions on the subgraph
      expect((await readyInfo(small.url)).upstreamSockets).toBe(2);
      // The subgraph counts the router's sockets too (this file's other router may still hold an idle one for 2 s).
      await eventually(
        async () => (await entries.info()).relaySockets,
        (open) => open === 2,
        5_000,
      );

      await Promise.all(clients.splice(0).map(async (client) => client.dispose())); // dispose answers void or a promise
      await until(() => entries.counts.active === 0);
      // Idle: each closes 2 s after its last subscription left.
      await eventually(
        async () => (await readyInfo(small.url)).upstreamSockets,
        (open) => open === 0,
        6_000,
      );
      await eventually(
        async () => (await entries.info()).relaySockets,
        (open) => open === 0,
        6_000,
      );
    } finally {
      await small.stop();
    }
  });

  it('a subscription the subgraph ends for falling behind is opened again at once, and its subscriber notices nothing', async () => {
    const opened = entries.counts.opened;
    entries.faults.tooSlowOnce = true;
    const watch = socketOf(await customerToken()).subscribe(ENTRIES);
    // The current entries, then the subgraph gives up on it; the router subscribes again, whose
    // first events (the same entries) the feed has forwarded already.
    await until(() => entries.counts.opened === opened + 2 && entries.counts.active === 1);
    entries.publish('d', 1);
    await until(() => watch.results.some((result) => result.data?.entries.orderId === 'd'));
    // Every current entry once (the second subscription's copies were dropped), then the change.
    const seen = watch.results.map((result) => result.data?.entries as Entry);
    expect(seen.at(-1)).toEqual({ orderId: 'd', version: 1 });
    expect(new Set(seen.map((entry) => entry.orderId)).size).toBe(seen.length);
    expect(watch.results.flatMap((result) => result.errors ?? [])).toEqual([]);
    expect(watch.completed).toBe(false);
  });
});
