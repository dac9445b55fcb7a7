import { parse } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from './auth.js';
import type { RunningService } from './graphql-service.js';
import { METRIC_NAMES } from './metric-catalogue.js';
import { startSubgraph } from './subgraph.js';

const secret = 'a-test-secret-of-some-length';
let service: RunningService;
// Resolves the operation `held` is waiting on.
let releaseHeld: () => void = () => {};

beforeAll(async () => {
  service = await startSubgraph({
    name: 'metrics-test',
    port: 0,
    typeDefs: parse(`type Query { hello: String broken: String held: String } type Subscription { hold: Int }`),
    resolvers: {
      Query: {
        hello: () => 'hello',
        broken: () => {
          throw new Error('broken inside');
        },
        held: () => new Promise<string>((resolve) => (releaseHeld = () => resolve('released'))),
      },
      Subscription: {
        hold: {
          subscribe: async function* () {
            await new Promise(() => {}); // stays open until the client leaves
            yield { hold: 0 };
          },
        },
      },
    },
    jwtSecret: secret,
    subscriptions: true,
    // One operation in flight per client: a second one at the same time is shed.
    shedding: { maxInFlight: 100, maxInFlightPerClient: 1 },
    shutdownGraceMs: 500,
  });
});
afterAll(() => service?.stop());

const base = () => `http://127.0.0.1:${service.port}`;
const post = (query: string) =>
  fetch(`${base()}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
const scrape = async () => {
  const response = await fetch(`${base()}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
};

/** The value of the sample `name` whose labels include `labels` (the strict parser lives in @bookshop/testing, which depends on this package). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const own = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => own[key] === value)) return Number(match[3]);
  }
  return undefined;
}

describe("a service's /metrics", () => {
  it('counts GraphQL operations by name and outcome, with their latency, and HTTP responses by status class', async () => {
    await post('query Hello { hello }');
    await post('query Hello { hello }');
    await post('query Broken { broken }');
    await post('{ hello }');
    const text = await scrape();
    const service = 'metrics-test';
    expect(sample(text, 'bookshop_graphql_requests_total', { service, operation: 'Hello', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'bookshop_graphql_requests_total', { service, operation: 'Broken', outcome: 'error' })).toBe(1);
    expect(sample(text, 'bookshop_graphql_requests_total', { operation: 'anonymous', outcome: 'ok' })).toBe(1);
    expect(sample(text, 'bookshop_graphql_request_duration_seconds_count', { operation: 'Hello' })).toBe(2);
    expect(sample(text, 'bookshop_graphql_request_duration_seconds_bucket', { operation: 'Hello', le: '+Inf' })).toBe(2);
    expect(sample(text, 'bookshop_http_responses_total', { status_class: '2xx' })).toBe(4);
    // Probes and scrapes are not client traffic.
    await fetch(`${base()}/healthz`);
    expect(sample(await scrape(), 'bookshop_http_responses_total', { status_class: '2xx' })).toBe(4);
    await fetch(`${base()}/nowhere`);
    expect(sample(await scrape(), 'bookshop_http_responses_total', { status_class: '4xx' })).toBe(1);
  });

  it("reports readiness, the Node process's figures, and every metric of the runtime under its catalogued name", async () => {
    const text = await scrape();
    expect(sample(text, 'bookshop_ready', { service: 'metrics-test' })).toBe(1);
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    const exposed = [...text.matchAll(/^# TYPE (bookshop_\w+) /gm)].map(([, name]) => name);
    for (const name of exposed) expect(METRIC_NAMES).toContain(name);
    for (const name of [
      'bookshop_graphql_requests_total',
      'bookshop_operations_in_flight',
      'bookshop_websocket_sockets_open',
      'bookshop_subscriptions_active',
      'bookshop_ready',
    ])
      expect(exposed).toContain(name);
  });

  it('counts operations in flight, and a request shed for load by its reason', async () => {
    const held = post('query Held { held }');
    await expect.poll(async () => sample(await scrape(), 'bookshop_operations_in_flight')).toBe(1);
    const shed = await post('query Hello { hello }');
    expect(shed.status).toBe(503);
    releaseHeld();
    expect((await held).status).toBe(200);
    const text = await scrape();
    expect(sample(text, 'bookshop_requests_shed_total', { reason: 'client-in-flight' })).toBe(1);
    expect(sample(text, 'bookshop_operations_in_flight')).toBe(0);
    expect(sample(text, 'bookshop_http_responses_total', { status_class: '5xx' })).toBe(1);
  });

  it('counts WebSocket sockets open and subscriptions running, back to 0 once the client leaves', async () => {
    const token = await signToken({ subject: 'alice', role: 'customer' }, secret);
    const client = createClient({
      url: `ws://127.0.0.1:${service.port}/graphql`,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    const ended = new Promise<void>((resolve) =>
      client.subscribe({ query: 'subscription { hold }' }, { next: () => {}, error: () => resolve(), complete: () => resolve() }),
    );
    await expect.poll(async () => sample(await scrape(), 'bookshop_subscriptions_active')).toBe(1);
    expect(sample(await scrape(), 'bookshop_websocket_sockets_open')).toBe(1);
    await client.dispose();
    await ended;
    await expect.poll(async () => sample(await scrape(), 'bookshop_websocket_sockets_open')).toBe(0);
    expect(sample(await scrape(), 'bookshop_subscriptions_active')).toBe(0);
  });
});
