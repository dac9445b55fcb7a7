import { Agent, request } from 'node:http';
import { parse } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningService } from './graphql-service.js';
import { startSubgraph } from './subgraph.js';

const typeDefs = parse(`type Query { slow(ms: Int!): String hang: String }`);
const resolvers = {
  Query: {
    slow: async (_: unknown, { ms }: { ms: number }) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return 'done';
    },
    hang: () => new Promise(() => {}),
  },
};

let service: RunningService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
});

const start = (shutdown: { delayMs: number; graceMs: number }) =>
  startSubgraph({
    name: 'drain-test',
    port: 0,
    typeDefs,
    resolvers,
    jwtSecret: 'a-test-secret-of-some-length',
    shutdownDelayMs: shutdown.delayMs,
    shutdownGraceMs: shutdown.graceMs,
  });

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** One HTTP request on the given agent (keep-alive or not), as a raw client sees it. */
function send(port: number, path: string, agent: Agent | false, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', agent, headers: body ? { 'content-type': 'application/json' } : {} },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const query = (port: number, source: string, agent: Agent | false = false) =>
  send(port, '/graphql', agent, JSON.stringify({ query: source }));

describe('graceful shutdown', () => {
  it('finishes the request in flight, answers newcomers during the delay with Connection: close, then refuses connections', async () => {
    service = await start({ delayMs: 400, graceMs: 5_000 });
    const { port } = service;
    const inFlight = query(port, '{ slow(ms: 700) }');
    await new Promise((resolve) => setTimeout(resolve, 100));

    const stopping = service.stop();
    const readiness = await send(port, '/readyz', false);
    expect(readiness.status).toBe(503);
    expect(JSON.parse(readiness.body)).toMatchObject({ status: 'draining' });
    const newcomer = await query(port, '{ slow(ms: 1) }');
    expect(newcomer).toMatchObject({ status: 200, connection: 'close' });

    const finished = await inFlight;
    expect(finished).toMatchObject({ status: 200, connection: 'close' });
    expect(JSON.parse(finished.body)).toEqual({ data: { slow: 'done' } });
    await stopping;
    await expect(query(port, '{ slow(ms: 1) }')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('lets an idle keep-alive connection be reused while draining (no reset), and closes it with the answer', async () => {
    service = await start({ delayMs: 0, graceMs: 5_000 });
    const { port } = service;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const first = await query(port, '{ slow(ms: 1) }', agent);
      expect(first.connection).toBe('keep-alive');
      const stopping = service.stop();
      await new Promise((resolve) => setTimeout(resolve, 100));
      // The same socket, idle when the stop began, carries one more request: it is answered, not reset.
      const second = await query(port, '{ slow(ms: 1) }', agent);
      expect(second).toMatchObject({ status: 200, connection: 'close' });
      const started = performance.now();
      await stopping;
      expect(performance.now() - started).toBeLessThan(1_000); // no connection was left to wait for
    } finally {
      agent.destroy();
    }
  });

  it('is bounded: a request that never finishes is cut when the grace period ends', async () => {
    service = await start({ delayMs: 0, graceMs: 800 });
    const hung = query(service.port, '{ hang }');
    hung.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = performance.now();
    await service.stop();
    const took = performance.now() - started;
    expect(took).toBeGreaterThan(700);
    expect(took).toBeLessThan(2_000);
    await expect(hung).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
