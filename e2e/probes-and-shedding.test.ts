import { TEST_POSTGRES_URL, errorCodes, eventually, graphql, queryRows, tokenFor, type GraphQLResult } from '@bookshop/testing';
import { freePort, type ManagedProcess } from '@bookshop/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerBook } from './support/orders.js';
import { startShop, type TestShop } from './support/shop.js';

let shop: TestShop;

beforeAll(async () => {
  shop = await startShop({
    privateNats: true,
    serviceEnv: { router: { ROUTER_MAX_IN_FLIGHT: '6', ROUTER_MAX_IN_FLIGHT_PER_CLIENT: '3' } },
  });
});
afterAll(() => shop?.stop());

const base = (graphqlUrl: string) => graphqlUrl.replace(/\/graphql$/, '');

/** One probe as Kubernetes sends it: a GET with a timeout; no answer in time is a failure. */
async function probe(url: string, timeoutMs = 1_000): Promise<{ status: number; body: any } | 'timeout'> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { connection: 'close' } });
    return { status: response.status, body: await response.json() };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return 'timeout';
    throw error;
  }
}

const statusOf = (answer: Awaited<ReturnType<typeof probe>>) => (answer === 'timeout' ? 'timeout' : answer.status);

describe('probes that mean something', () => {
  it('/healthz fails while the event loop is stuck, and reports the stall once it turns again', async () => {
    const port = await freePort();
    const stalling: ManagedProcess = await shop.startInstance('book', port, {
      FAULT_POINTS: 'event-loop.stall-on-sigusr2',
      FAULT_STALL_MS: '3000',
      LIVENESS_MAX_EVENT_LOOP_DELAY_MS: '1000',
      LIVENESS_STALL_WINDOW_MS: '2000',
    });
    try {
      const healthz = `http://127.0.0.1:${port}/healthz`;
      expect(statusOf(await probe(healthz))).toBe(200);
      stalling.child.kill('SIGUSR2');
      // The stall begins when the process handles the signal: from then on a probe gets no answer.
      await eventually(
        () => probe(healthz),
        (answer) => answer === 'timeout',
        2_500,
      );
      // The loop turns again: probes right after a stall longer than the limit still fail…
      const after = await eventually(
        () => probe(healthz, 3_000),
        (answer) => answer !== 'timeout',
        10_000,
      );
      expect(after).toMatchObject({ status: 503, body: { status: 'event loop stalled' } });
      expect((after as { body: { stalledMs: number } }).body.stalledMs).toBeGreaterThan(1_000);
      // …until the stall is older than the window (2 s here), with no new one.
      await eventually(
        () => probe(healthz),
        (answer) => answer !== 'timeout' && answer.status === 200,
        5_000,
      );
    } finally {
      await stalling.stop();
    }
  });

  it("/readyz fails while the service's database refuses connections, and recovers with it; /healthz stays up", async () => {
    const database = new URL(shop.databases.book.url).pathname.slice(1);
    const readyz = `${base(shop.urls.book)}/readyz`;
    expect(statusOf(await probe(readyz))).toBe(200);
    await queryRows(TEST_POSTGRES_URL, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
    try {
      await queryRows(TEST_POSTGRES_URL, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, [database]);
      const unready = await eventually(
        () => probe(readyz, 3_000),
        (answer) => answer !== 'timeout' && answer.status === 503,
      );
      expect(unready).toMatchObject({
        body: { status: 'unready', checks: expect.arrayContaining([expect.objectContaining({ name: 'database', ok: false })]) },
      });
      expect(statusOf(await probe(`${base(shop.urls.book)}/healthz`))).toBe(200);
    } finally {
      await queryRows(TEST_POSTGRES_URL, `ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
    }
    await eventually(
      () => probe(readyz, 3_000),
      (answer) => answer !== 'timeout' && answer.status === 200,
    );
  });

  it('/readyz stays ready while NATS is away (the outbox holds events) and says so in its body', async () => {
    const readyz = `${base(shop.urls.order)}/readyz`;
    await shop.nats!.stop();
    try {
      const answer = await eventually(
        () => probe(readyz, 3_000),
        (a) => a !== 'timeout' && a.body.checks.some((check: { name: string; ok: boolean }) => check.name === 'nats' && !check.ok),
      );
      expect(answer).toMatchObject({ status: 200, body: { status: 'ready' } });
    } finally {
      await shop.nats!.start();
    }
  });
});

describe('load shedding at the router', () => {
  it("past a client's share of in-flight operations the router answers 503 with Retry-After at once; other customers are still served", async () => {
    await registerBook(shop, 1);
    const [alice, bob] = await Promise.all([tokenFor('customer', 'alice'), tokenFor('customer', 'bob')]);
    // A frozen book keeps alice's catalogue queries in flight for as long as the test wants.
    shop.processes.book.child.kill('SIGSTOP');
    try {
      const answered: GraphQLResult[] = [];
      const held = Array.from({ length: 8 }, () =>
        graphql(
          shop.url,
          `
            {
              books {
                title
              }
            }
          `,
          {},
          { token: alice },
        ).then((answer) => {
          answered.push(answer);
          return answer;
        }),
      );
      // The five over alice's share are answered at once; her three admitted ones wait for book.
      await eventually(
        async () => answered.length,
        (count) => count >= 5,
        3_000,
      );
      const shed = answered.slice(0, 5);
      for (const answer of shed) {
        expect(answer.status).toBe(503);
        expect(answer.headers.get('retry-after')).toBe('1');
        expect(errorCodes(answer)).toEqual(['SERVICE_UNAVAILABLE']);
        expect(answer.errors![0]!.extensions!.retryAfterSeconds).toBe(1);
      }
      // …while bob, whose operations do not touch book, is served.
      const page = await graphql(
        shop.url,
        `
          {
            myPage {
              orderId
            }
          }
        `,
        {},
        { token: bob },
      );
      expect(page.status).toBe(200);
      expect(page.data).toEqual({ myPage: [] });

      // The router as a whole: alice's 3 and bob's 3 fill its 6 slots; carol is shed too.
      const bobsHeld = Array.from({ length: 3 }, () =>
        graphql(
          shop.url,
          `
            {
              books {
                title
              }
            }
          `,
          {},
          { token: bob },
        ),
      );
      // Bob's three hold their slots (the router's readiness counts them) before carol asks.
      await eventually(
        () => probe(`${base(shop.url)}/readyz`),
        (answer) => answer !== 'timeout' && answer.body.info?.operationsInFlight === 6,
        3_000,
      );
      const carol = await graphql(
        shop.url,
        `
          {
            myPage {
              orderId
            }
          }
        `,
        {},
        { token: await tokenFor('customer', 'carol') },
      );
      expect(carol.status).toBe(503);
      expect(errorCodes(carol)).toEqual(['SERVICE_UNAVAILABLE']);

      shop.processes.book.child.kill('SIGCONT');
      // The operations that were admitted complete normally once book answers. Only book could
      // answer them so, and it was stopped until now: none of them was answered before (and none
      // was shed beyond the five).
      const admitted = (await Promise.all([...held, ...bobsHeld])).filter((answer) => !shed.includes(answer));
      expect(admitted).toHaveLength(6);
      for (const answer of admitted) {
        expect(answer.status).toBe(200);
        expect(answer.errors).toBeUndefined();
      }
    } finally {
      shop.processes.book.child.kill('SIGCONT');
    }
  });
});
