import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { GraphQLError, parse, type ValidationRule } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { signToken } from './auth.js';
import { DomainError } from './errors.js';
import { startGraphQLService, type EdgeOptions, type RunningService } from './graphql-service.js';
import type { SubscriptionOptions } from './subscriptions.js';

const secret = 'a-test-secret-of-some-length';
const MiB = 1024 * 1024;

const typeDefs = parse(`type Query { hello: String } type Subscription { countdown: Int hold: Int }`);
const resolvers = {
  Query: { hello: () => 'hello' },
  Subscription: {
    countdown: {
      subscribe: async function* () {
        for (const n of [3, 2, 1]) yield { countdown: n };
      },
    },
    hold: {
      // Yields nothing and ends when told to: it holds its slot until completed or its socket closes.
      subscribe: (): AsyncIterableIterator<unknown> => {
        let end: (result: IteratorResult<unknown>) => void = () => {};
        const ended = new Promise<IteratorResult<unknown>>((resolve) => (end = resolve));
        return {
          next: () => ended,
          return: async () => {
            end({ done: true, value: undefined });
            return { done: true, value: undefined };
          },
          [Symbol.asyncIterator]() {
            return this;
          },
        };
      },
    },
  },
};
const schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });

let service: RunningService | undefined;
const clients: Client[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.terminate();
  await Promise.all(clients.splice(0).map(async (client) => client.dispose())); // dispose answers void or a promise
  await service?.stop();
  service = undefined;
});

async function start(subscriptions: Omit<SubscriptionOptions, 'schema'> = {}, edge?: EdgeOptions): Promise<string> {
  service = await startGraphQLService({
    name: 'limits-test',
    port: 0,
    host: '127.0.0.1',
    apollo: { schema },
    jwtSecret: secret,
    subscriptions: { schema, ...subscriptions },
    ...(edge ? { edge } : {}),
    shutdownGraceMs: 500,
  });
  return service.url.replace('http', 'ws');
}

const tokenOf = (subject: string) => signToken({ subject, role: 'customer' }, secret);

type Outcome = 'connected' | { code: number; reason: string };

/** A graphql-ws client that connects at once: connected, or how its socket was closed. */
async function connect(url: string, subject?: string): Promise<{ client: Client; outcome: Promise<Outcome> }> {
  const token = subject ? await tokenOf(subject) : undefined;
  let settle: (outcome: Outcome) => void = () => {};
  const outcome = new Promise<Outcome>((resolve) => (settle = resolve));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => {},
    ...(token ? { connectionParams: { authorization: `Bearer ${token}` } } : {}),
    on: {
      connected: () => settle('connected'),
      closed: (event) => settle({ code: (event as { code: number }).code, reason: String((event as { reason: unknown }).reason) }),
    },
  });
  clients.push(client);
  return { client, outcome };
}

/** A socket that says nothing: it never sends connection_init. */
function silentSocket(url: string): { opened: Promise<void>; closed: Promise<{ code: number; reason: string }> } {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  sockets.push(socket);
  socket.on('error', () => {});
  return {
    opened: new Promise((resolve) => socket.once('open', () => resolve())),
    closed: new Promise((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
  };
}

/** The errors (codes and messages) or values of one operation sent over the socket. */
function run(client: Client, query: string): Promise<{ values: unknown[]; errors: Array<{ message: string; code: unknown }> }> {
  return new Promise((resolve) => {
    const values: unknown[] = [];
    client.subscribe(
      { query },
      {
        next: (result) => values.push(result.data),
        error: (error) =>
          resolve({
            values,
            errors: (Array.isArray(error) ? error : [error]).map((e: any) => ({ message: String(e.message), code: e.extensions?.code })),
          }),
        complete: () => resolve({ values, errors: [] }),
      },
    );
  });
}

/**
 * Sends `count` messages of `mib` MiB, each on a socket of its own and without a token, from
 * another process (so its own buffers are not counted here), and answers each socket's close code.
 */
function attack(url: string, count: number, mib: number): Promise<number[]> {
  const script = `
    import WebSocket from 'ws';
    const message = JSON.stringify({ type: 'connection_init', payload: { junk: 'x'.repeat(${mib} * 1024 * 1024) } });
    const codes = await Promise.all(Array.from({ length: ${count} }, () => new Promise((resolve) => {
      const socket = new WebSocket(${JSON.stringify(url)}, 'graphql-transport-ws');
      socket.on('error', () => {});
      socket.on('open', () => socket.send(message));
      socket.on('close', (code) => resolve(code));
    })));
    console.log(JSON.stringify(codes));
  `;
  // Run beside this package, so the script's `ws` is this package's.
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)) });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(output) as number[]) : reject(new Error(output)))),
  );
}

describe('WebSocket limits', () => {
  it('closes a socket whose 10 MiB message has no token (1009) before reading it: 20 of them leave memory within 50 MB', async () => {
    const url = await start();
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
    try {
      const codes = await attack(url, 20, 10);
      expect(codes).toEqual(Array(20).fill(1009));
    } finally {
      clearInterval(sampler);
    }
    console.info(
      `20 sockets x 10 MiB without a token: RSS ${Math.round(baseline / MiB)} MiB before, peak ${Math.round(peak / MiB)} MiB (+${Math.round((peak - baseline) / MiB)} MiB)`,
    );
    expect(peak - baseline).toBeLessThan(50 * 1_000_000);
  });

  it('refuses a caller more sockets than allowed with 4429 TOO_MANY_CONNECTIONS; closing one frees its slot', async () => {
    const url = await start({ maxSocketsPerCaller: 2 });
    const first = await connect(url, 'alice');
    const second = await connect(url, 'alice');
    expect([await first.outcome, await second.outcome]).toEqual(['connected', 'connected']);
    expect(await (await connect(url, 'alice')).outcome).toEqual({ code: 4429, reason: 'TOO_MANY_CONNECTIONS' });
    // Another caller is counted on its own.
    expect(await (await connect(url, 'bob')).outcome).toBe('connected');

    await first.client.dispose();
    // The server learns of the close a moment later: a new socket finds the slot free by then.
    let again: Outcome | undefined;
    for (let attempt = 0; attempt < 50 && again !== 'connected'; attempt++) {
      again = await (await connect(url, 'alice')).outcome;
      if (again !== 'connected') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(again).toBe('connected');
  });

  it('bounds sockets per address only until they authenticate', async () => {
    const url = await start({ maxUnauthenticatedSocketsPerAddress: 2, maxSocketsPerCaller: 10 });
    // Four authenticated sockets from one address, one after another: each leaves the address's
    // share once its token is verified.
    const callers: Outcome[] = [];
    for (const subject of ['alice', 'alice', 'bob', 'carol']) callers.push(await (await connect(url, subject)).outcome);
    expect(callers).toEqual(['connected', 'connected', 'connected', 'connected']);
    // Two that never introduce themselves hold the address's share; a third is refused.
    const silent = [silentSocket(url), silentSocket(url)];
    await Promise.all(silent.map((socket) => socket.opened));
    expect(await silentSocket(url).closed).toEqual({ code: 4429, reason: 'TOO_MANY_CONNECTIONS' });
  });

  it('closes a socket that never sends connection_init after the init timeout (4408), and frees its seat', async () => {
    const url = await start({ connectionInitWaitTimeoutMs: 200, maxUnauthenticatedSocketsPerAddress: 1 });
    const silent = silentSocket(url);
    await silent.opened;
    // While it waits, it holds the address's one seat.
    expect(await silentSocket(url).closed).toEqual({ code: 4429, reason: 'TOO_MANY_CONNECTIONS' });
    expect((await silent.closed).code).toBe(4408);
    let after: Outcome | undefined;
    for (let attempt = 0; attempt < 50 && after !== 'connected'; attempt++) {
      after = await (await connect(url, 'alice')).outcome;
      if (after !== 'connected') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(after).toBe('connected');
  });

  it('bounds subscriptions per caller across sockets (TOO_MANY_SUBSCRIPTIONS)', async () => {
    const url = await start({ maxSubscriptionsPerCaller: 3 });
    const [one, two] = [await connect(url, 'alice'), await connect(url, 'alice')];
    await Promise.all([one.outcome, two.outcome]);
    const hold = (client: Client) =>
      client.subscribe({ query: 'subscription { hold }' }, { next: () => {}, error: () => {}, complete: () => {} });
    const held = [hold(one.client), hold(one.client)];
    // A round trip on the first socket after its two: once it is answered, they are in place.
    expect((await run(one.client, 'subscription { countdown }')).values).toHaveLength(3);
    hold(two.client);
    expect((await run(two.client, 'subscription { hold }')).errors.map((e) => e.code)).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
    held[0]!(); // alice completes one on the first socket: the second has room a moment later
    let next = await run(two.client, 'subscription { countdown }');
    for (let attempt = 0; attempt < 50 && next.errors.length > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      next = await run(two.client, 'subscription { countdown }');
    }
    expect(next).toEqual({ values: [{ countdown: 3 }, { countdown: 2 }, { countdown: 1 }], errors: [] });
  });

  it("applies the edge's gate, token limit and validation rules to subscribe messages, with HTTP's codes", async () => {
    const noHold: ValidationRule = (context) => ({
      Field: (node) => {
        if (node.name.value === 'hold') context.reportError(new GraphQLError('hold is not for you', { nodes: node }));
      },
    });
    const deep: ValidationRule = (context) => ({
      OperationDefinition: (node) => {
        if (node.selectionSet.selections.length > 3)
          context.reportError(
            new GraphQLError('Too wide', { nodes: node, originalError: new DomainError('INVALID_INPUT', 'At most 3 fields.') }),
          );
      },
    });
    const admitOperation = (query: string) =>
      query.includes('secret')
        ? new GraphQLError('Only registered operations are served.', { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } })
        : undefined;
    const url = await start({ maxTokens: 40 }, { validationRules: [noHold, deep], admitOperation });
    const { client, outcome } = await connect(url, 'alice');
    expect(await outcome).toBe('connected');

    expect((await run(client, 'subscription { hold }')).errors).toEqual([
      { message: 'hold is not for you', code: 'GRAPHQL_VALIDATION_FAILED' },
    ]);
    expect((await run(client, '{ a: hello b: hello c: hello d: hello }')).errors).toEqual([
      { message: 'At most 3 fields.', code: 'INVALID_INPUT' },
    ]);
    expect((await run(client, 'subscription secret { countdown }')).errors.map((e) => e.code)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const long = `subscription { ${Array.from({ length: 30 }, (_, i) => `a${i}: countdown`).join(' ')} }`;
    expect((await run(client, long)).errors.map((e) => e.code)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect((await run(client, 'subscription { countdown }')).values).toHaveLength(3);

    // The same refusal over HTTP carries the same code.
    const http = await fetch(service!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'subscription { hold }' }),
    });
    const refusal = (await http.json()) as { errors: Array<{ message: string; extensions: { code: string } }> };
    expect(refusal.errors.map((e) => [e.message, e.extensions.code])).toEqual([['hold is not for you', 'GRAPHQL_VALIDATION_FAILED']]);
  });

  it('refuses introspection over the socket in production, and suggests no field names there', async () => {
    // Outside production, both are as graphql-js gives them…
    let { client, outcome } = await connect(await start({}, {}), 'alice');
    expect(await outcome).toBe('connected');
    expect((await run(client, '{ __schema { queryType { name } } }')).values).toEqual([{ __schema: { queryType: { name: 'Query' } } }]);
    expect((await run(client, 'subscription { countdwn }')).errors[0]!.message).toMatch(/Did you mean "countdown"\?/);
    await client.dispose();
    await service!.stop();

    // …in production, neither.
    ({ client, outcome } = await connect(await start({}, { production: true }), 'alice'));
    expect(await outcome).toBe('connected');
    const introspection = await run(client, '{ __schema { types { name } } }');
    expect(introspection.values).toEqual([]);
    expect(introspection.errors.length).toBeGreaterThan(0);
    for (const error of introspection.errors) {
      expect(error.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(error.message).toMatch(/introspection has been disabled/);
    }
    const typo = await run(client, 'subscription { countdwn }');
    expect(typo.errors).toEqual([{ message: 'Cannot query field "countdwn" on type "Subscription".', code: 'GRAPHQL_VALIDATION_FAILED' }]);
  });
});
