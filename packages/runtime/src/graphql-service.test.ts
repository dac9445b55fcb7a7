import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { signToken } from './auth.js';
import type { ReadinessCheck } from './health.js';
import type { RunningService } from './graphql-service.js';
import { startSubgraph } from './subgraph.js';

const secret = 'a-test-secret-of-some-length';
let service: RunningService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

// A tiny subgraph: a query that fails inside, and a subscription.
const typeDefs = parse(`type Query { broken: String } type Subscription { countdown: Int hold: Int }`);
const resolvers = {
  Query: {
    broken: () => {
      throw new Error('secret detail from the database');
    },
  },
  Subscription: {
    countdown: {
      subscribe: async function* () {
        for (const n of [3, 2, 1]) yield { countdown: n };
      },
    },
    hold: {
      subscribe: async function* () {
        await new Promise(() => {}); // never resolves: the subscription stays open
        yield { hold: 0 };
      },
    },
  },
};

const start = (readiness: ReadinessCheck[] = []) =>
  // A short grace: the test's fetch keeps idle connections, which a stop otherwise waits out.
  startSubgraph({ name: 'test', port: 0, typeDefs, resolvers, jwtSecret: secret, readiness, subscriptions: true, shutdownGraceMs: 500 });

const base = (s: RunningService) => `http://127.0.0.1:${s.port}`;

describe('the service runtime', () => {
  it('answers /healthz, and /readyz only while its required checks pass and it is not draining', async () => {
    let databaseUp = true;
    service = await start([
      {
        name: 'database',
        check: async () => {
          if (!databaseUp) throw new Error('connection refused');
        },
      },
      {
        name: 'nats',
        required: false,
        check: async () => {
          throw new Error('NATS away');
        },
      },
    ]);
    expect((await fetch(`${base(service)}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base(service)}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      checks: [
        { name: 'database', ok: true },
        { name: 'nats', ok: false, error: 'NATS away' },
      ],
    });

    databaseUp = false;
    expect((await fetch(`${base(service)}/readyz`)).status).toBe(503);
    databaseUp = true;
    service.health.startDraining();
    const draining = await fetch(`${base(service)}/readyz`);
    expect([draining.status, ((await draining.json()) as { status: string }).status]).toEqual([503, 'draining']);
  });

  it("returns the caller's correlation id and hides internal errors behind INTERNAL_SERVER_ERROR", async () => {
    service = await start();
    const response = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'abc-123' },
      body: JSON.stringify({ query: '{ broken }' }),
    });
    expect(response.headers.get('x-correlation-id')).toBe('abc-123');
    const body = (await response.json()) as { errors: Array<{ extensions: unknown }> };
    expect(body.errors[0]?.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
    expect(JSON.stringify(body)).not.toMatch(/secret detail|at .*\.ts/);
  });

  it('serves subscriptions over graphql-ws to a caller with a valid token, and refuses one without (4403)', async () => {
    service = await start();
    const url = service.url.replace('http', 'ws');
    const refused = await new Promise<number>((resolve) => {
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: false,
        onNonLazyError: () => {},
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      client.subscribe({ query: 'subscription { countdown }' }, { next: () => {}, error: () => {}, complete: () => {} });
    });
    expect(refused).toBe(4403);

    const token = await signToken({ subject: 'alice', role: 'customer' }, secret);
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    const values: unknown[] = [];
    for await (const event of client.iterate({ query: 'subscription { countdown }' })) values.push(event.data?.countdown);
    await client.dispose();
    expect(values).toEqual([3, 2, 1]);
  });

  it('refuses more than 20 subscriptions on one connection with TOO_MANY_SUBSCRIPTIONS', async () => {
    service = await start();
    const token = await signToken({ subject: 'alice', role: 'customer' }, secret);
    const client = createClient({
      url: service.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    const codes: unknown[] = [];
    const ends: Array<Promise<void>> = [];
    for (let i = 0; i < 21; i++) {
      ends.push(
        new Promise((resolve) => {
          // "slow" never yields: it holds its slot for as long as the socket is open
          client.subscribe(
            { query: 'subscription { hold }' },
            {
              next: () => {},
              error: (error) => {
                codes.push(...(Array.isArray(error) ? error : [error]).map((e: any) => e.extensions?.code));
                resolve();
              },
              complete: () => resolve(),
            },
          );
        }),
      );
    }
    await Promise.race(ends);
    expect(codes).toEqual(['TOO_MANY_SUBSCRIPTIONS']);
    await client.dispose();
  });

  it('closes a subscription socket with 4401 when its token expires', async () => {
    service = await start();
    const token = await signToken({ subject: 'alice', role: 'customer' }, secret, { expiresIn: '2s' });
    const client = createClient({
      url: service.url.replace('http', 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: false,
      onNonLazyError: () => {},
      connectionParams: { authorization: `Bearer ${token}` },
    });
    const seen: string[] = [];
    client.on('connected', () => void seen.push('connected'));
    const code = await new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
    expect(code).toBe(4401);
    expect(seen).toEqual(['connected']); // accepted first: it was open until the token ran out
    await client.dispose();
  });
});
