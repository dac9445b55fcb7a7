import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { parse } from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningService } from './graphql-service.js';
import { startSubgraph } from './subgraph.js';

const typeDefs = parse(`type Query { slow(ms: Int!): String hang: String }`);
/** Requests that have reached their resolver: a test waits for one before it stops the service. */
const reached = { slow: 0, hang: 0 };
const resolvers = {
  Query: {
    slow: async (_: unknown, { ms }: { ms: number }) => {
      reached.slow += 1;
      await new Promise((resolve) => setTimeout(resolve, ms));
      return 'done';
    },
    hang: () => {
      reached.hang += 1;
      return new Promise(() => {});
    },
  },
};

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (const deadline = Date.now() + 5_000; !(await condition());) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether a new TCP connection to the port is refused: the listener has closed. */
const refusesConnections = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });

let service: RunningService | undefined;
afterEach(async () => {
  await service?.stop();
  service = undefined;
  reached.slow = reached.hang = 0;
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
    await until(() => reached.slow === 1, 'the request in flight');

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
      await until(() => refusesConnections(port), 'the listener closed');
      // The same socket, idle when the stop began, carries one more request: it is answered, not reset.
      const second = await query(port, '{ slow(ms: 1) }', agent);
      expect(second).toMatchObject({ status: 200, connection: 'close' });
      // Told Connection: close, the client lets the socket go with that answer: nothing is left to hold the drain.
      await stopping;
    } finally {
      agent.destroy();
    }
  });

  it('is bounded: a request that never finishes is cut when the grace period ends', async () => {
    service = await start({ delayMs: 0, graceMs: 800 });
    const hung = query(service.port, '{ hang }');
    hung.catch(() => {});
    await until(() => reached.hang === 1, 'the request that never finishes');
    const started = performance.now();
    await service.stop(); // with a request that never finishes: only the cut at the grace's end lets it end
    // Not cut before the grace (800 ms) is up: a timer never fires early, so a slow machine cannot fail this.
    expect(performance.now() - started).toBeGreaterThan(700);
    await expect(hung).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
