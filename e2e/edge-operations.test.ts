import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { errorCodes, graphql, startTcpProxy, tokenFor, TEST_JWT_SECRET, type GraphQLResult, type TcpProxy } from '@bookshop/testing';
import { CONTEXT_NAMES, type ContextName } from '@bookshop/contexts';
import { freePort, type ManagedProcess } from '@bookshop/tools';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShop, type TestShop } from './support/shop.js';

// The router as the public edge: operations over a limit are refused before anything is planned
// (no subgraph hears of them), only registered operations run where persisted operations are
// enforced, and a production router gives away no schema details.

interface ManifestEntry {
  id: string;
  name: string;
  body: string;
}
const MANIFEST = JSON.parse(readFileSync(new URL('../router/persisted-operations.json', import.meta.url), 'utf8')) as {
  operations: ManifestEntry[];
};
const registered = (name: string): ManifestEntry => {
  const operation = MANIFEST.operations.find((entry) => entry.name === name);
  if (!operation) throw new Error(`no registered operation ${name}`);
  return operation;
};

let shop: TestShop;
const routers: ManagedProcess[] = [];
const proxies = new Map<ContextName, TcpProxy>();
const sockets: Client[] = [];

/** One more router in front of the shop's subgraphs, with its own settings; resolves with its /graphql URL. */
async function startRouter(env: NodeJS.ProcessEnv): Promise<string> {
  const port = await freePort();
  routers.push(await shop.startInstance('router', port, env));
  return `http://127.0.0.1:${port}/graphql`;
}

function subscribeOnce(url: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const client = createClient({
    url: url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: true,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  sockets.push(client);
  return new Promise<{ data?: unknown; errors?: GraphQLResult['errors'] }>((resolve) => {
    client.subscribe(
      { query, variables },
      {
        next: (result) => resolve(result as { data?: unknown; errors?: GraphQLResult['errors'] }),
        error: (error) => resolve({ errors: Array.isArray(error) ? error : [{ message: String((error as Error)?.message ?? error) }] }),
        complete: () => resolve({}),
      },
    );
  });
}

beforeAll(async () => {
  shop = await startShop();
});
afterAll(async () => {
  await Promise.all(sockets.map(async (client) => client.dispose())); // dispose answers void or a promise
  await Promise.all(routers.map((router) => router.stop()));
  await Promise.all([...proxies.values()].map((proxy) => proxy.close()));
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
});

describe('operation limits', () => {
  // Every subgraph behind a counting proxy: a connection through one is the router asking a
  // subgraph something. The refusals come first, so the count is zero until the last test.
  let url: string;
  const upstreamConnections = () => [...proxies.values()].reduce((sum, proxy) => sum + proxy.connections, 0);
  beforeAll(async () => {
    for (const name of CONTEXT_NAMES)
      proxies.set(name, await startTcpProxy({ backends: [{ port: Number(new URL(shop.urls[name]).port) }] }));
    url = await startRouter(
      Object.fromEntries(CONTEXT_NAMES.map((name) => [`SUBGRAPH_URL_${name.toUpperCase()}`, proxies.get(name)!.url])),
    );
  });

  /**
   * Sends an attack; the refusal must name the limit, and no subgraph may have heard of it. What
   * refusing costs the router is a figure of the bench (`pnpm bench --only refusals`), not a test.
   */
  const attack = (query: string) => graphql(url, query);

  function expectRefused(result: GraphQLResult, limit: string) {
    expect(result.status).toBe(400);
    expect(result.data).toBeUndefined();
    expect(new Set(errorCodes(result))).toEqual(new Set(['OPERATION_TOO_COMPLEX']));
    expect(result.errors!.map((error) => error.message).join(' ')).toContain(`the limit (${limit}) is`);
    expect(result.errors!.map((error) => error.extensions?.limit)).toContain(limit);
    expect(upstreamConnections()).toBe(0);
  }

  it('refuses 2,000 aliased book(id:) fields, asking no subgraph; 40 aliases within the size trip the aliases limit', async () => {
    const aliased = (count: number) => `{ ${Array.from({ length: count }, (_, i) => `b${i}: book(id: "${i}") { id title }`).join(' ')} }`;
    expectRefused(await attack(aliased(2_000)), 'ROUTER_MAX_DOCUMENT_BYTES');
    expectRefused(
      await attack(`{ books(first: 1) { ${Array.from({ length: 40 }, (_, i) => `t${i}: title`).join(' ')} } }`),
      'ROUTER_MAX_ALIASES',
    );
  });

  it('refuses a 40-deep books { reviews { book { reviews … } } }, asking no subgraph', async () => {
    const deep = `{ books { ${'reviews { book { '.repeat(20)}id${' } }'.repeat(20)} } }`;
    expectRefused(await attack(deep), 'ROUTER_MAX_DEPTH');
  });

  it('refuses more root fields than allowed, asking no subgraph', async () => {
    const roots = `{ ${Array.from({ length: 12 }, (_, i) => `r${i}: books(first: 1) { id }`).join(' ')} }`;
    expectRefused(await attack(roots), 'ROUTER_MAX_ROOT_FIELDS');
  });

  it('refuses a huge document before parsing it, asking no subgraph', async () => {
    const huge = `{ books(first: 1) { ${'id '.repeat(300_000)}} }`; // 900 KB, under the 1 MiB body limit
    expectRefused(await attack(huge), 'ROUTER_MAX_DOCUMENT_BYTES');
    const manyTokens = `{ books(first: 1) { ${'id '.repeat(3_000)}} }`; // 9 KB: within the size, over the tokens
    expectRefused(await attack(manyTokens), 'ROUTER_MAX_TOKENS');
  });

  it('refuses a cost bomb (200 books × 200 reviews × …), asking no subgraph', async () => {
    const bomb = '{ books(first: 200) { reviews { book { reviews { book { title } } } } } }';
    expectRefused(await attack(bomb), 'ROUTER_MAX_COST');
    // The same page size in a variable counts as the largest page: no way around the limit.
    const viaVariable = await graphql(url, 'query($n: Int) { books(first: $n) { reviews { rating } } }', { n: 1 });
    expect(errorCodes(viaVariable)).toEqual(['OPERATION_TOO_COMPLEX']);
    expect(upstreamConnections()).toBe(0);
  });

  it('refuses the same attacks over WebSocket, asking no subgraph', async () => {
    const alice = await tokenFor('customer', 'alice');
    const deep = `subscription { orderStatusChanged(orderId: "o-1") { order { ${'delivery { order { '.repeat(20)}id${' } }'.repeat(20)} } } }`;
    const tooDeep = await subscribeOnce(url, alice, deep);
    expect(tooDeep.errors?.map((error) => [error.extensions?.code, error.extensions?.limit])).toEqual([
      ['OPERATION_TOO_COMPLEX', 'ROUTER_MAX_DEPTH'],
    ]);
    const manyTokens = `subscription { myPageUpdated { ${'orderId '.repeat(3_000)}} }`;
    const tooLong = await subscribeOnce(url, alice, manyTokens);
    expect(tooLong.errors?.map((error) => [error.extensions?.code, error.extensions?.limit])).toEqual([
      ['OPERATION_TOO_COMPLEX', 'ROUTER_MAX_TOKENS'],
    ]);
    expect(upstreamConnections()).toBe(0);
  });

  it("the shop's own operations pass the same router, through the same proxies", async () => {
    const staff = await tokenFor('staff', 'sam');
    const title = `Piranesi ${randomUUID()}`;
    const added = await graphql(
      url,
      registered('RegisterBook').body,
      { input: { title, author: 'Susanna Clarke', publisher: 'Bloomsbury', stock: 2 } },
      { token: staff },
    );
    expect(added.errors).toBeUndefined();
    const bench = await graphql(url, '{ books(first: 20) { title reviews { rating } } }');
    expect(bench.errors).toBeUndefined();
    expect(upstreamConnections()).toBeGreaterThan(0); // the proxies do count what reaches a subgraph
  });
});

describe('persisted operations, enforced', () => {
  let url: string;
  beforeAll(async () => {
    url = await startRouter({ ROUTER_PERSISTED_OPERATIONS: 'enforce' });
  });

  /** A request that names a registered operation by its hash alone (Apollo's persisted-query protocol). */
  async function byHash(hash: string, variables: Record<string, unknown>, token?: string): Promise<GraphQLResult> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ variables, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
    });
    return { status: response.status, headers: response.headers, ...((await response.json()) as object) };
  }

  it('refuses an operation that is not registered, over HTTP and WebSocket', async () => {
    const byText = await graphql(url, '{ books(first: 1) { id } }');
    expect(byText.status).toBe(400);
    expect(errorCodes(byText)).toEqual(['OPERATION_NOT_ALLOWED']);
    // An unknown hash alone is Apollo's cache miss: the client then sends the text, refused above.
    expect(errorCodes(await byHash('0'.repeat(64), {}))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    // A registered operation's text, changed by one character, is another operation.
    expect(
      errorCodes(
        await graphql(
          url,
          `
            ${registered('Catalogue').body}
          `,
          { first: 1 },
        ),
      ),
    ).toEqual(['OPERATION_NOT_ALLOWED']);
    const alice = await tokenFor('customer', 'alice');
    const unregistered = await subscribeOnce(url, alice, 'subscription { myPageUpdated { orderId } }');
    expect(unregistered.errors?.map((error) => error.extensions?.code)).toEqual(['OPERATION_NOT_ALLOWED']);
  });

  it('runs registered operations sent by text or by hash alone, over HTTP and WebSocket', async () => {
    const [staff, alice] = await Promise.all([tokenFor('staff', 'sam'), tokenFor('customer', 'alice')]);
    const title = `The Dispossessed ${randomUUID()}`;
    const added = await graphql(
      url,
      registered('RegisterBook').body,
      { input: { title, author: 'Ursula K. Le Guin', publisher: 'Harper & Row', stock: 3 } },
      { token: staff },
    );
    expect(added.errors).toBeUndefined();
    const placed = await byHash(registered('PlaceOrder').id, { input: { title, quantity: 1, address: '1 Anarres Way' } }, alice);
    expect(placed.errors).toBeUndefined();
    expect(placed.data!.placeOrder).toMatchObject({ status: 'PLACED', book: { title, stock: 2 } });
    const found = await byHash(registered('BookByTitle').id, { title });
    expect(found.data).toEqual({ bookByTitle: expect.objectContaining({ title, stock: 2 }) });

    const watched = await subscribeOnce(url, alice, registered('WatchOrder').body, { id: placed.data!.placeOrder.id });
    expect(watched.errors).toBeUndefined();
    expect(watched.data).toEqual({
      orderStatusChanged: expect.objectContaining({
        orderId: placed.data!.placeOrder.id,
        order: expect.objectContaining({ book: { title, stock: 2 } }),
      }),
    });
  });
});

describe('a production router', () => {
  it('answers no suggestions ("Did you mean …?") and no introspection', async () => {
    // Persisted operations off, so that the unregistered mistakes below reach validation.
    const url = await startRouter({ NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET, ROUTER_PERSISTED_OPERATIONS: 'off' });
    const typo = '{ books(first: 1) { titel } }';
    const inDevelopment = await graphql(shop.url, typo);
    expect(inDevelopment.errors![0]!.message).toContain('Did you mean "title"?'); // the shop's own router, NODE_ENV=test
    const inProduction = await graphql(url, typo);
    expect(errorCodes(inProduction)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(inProduction.errors![0]!.message).toBe('Cannot query field "titel" on type "Book".');

    const introspection = '{ __schema { queryType { name } } }';
    expect((await graphql(shop.url, introspection)).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    expect(errorCodes(await graphql(url, introspection))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });
});
