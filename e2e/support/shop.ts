import { randomBytes } from 'node:crypto';
import { connectEventBus, type EventBus } from '@bookshop/events';
import {
  TEST_CREDENTIALS,
  TEST_NATS_URL,
  createPostgresTestDatabase,
  createSqliteTestDatabase,
  startTestNatsServer,
  type TestDatabase,
  type TestNatsServer,
} from '@bookshop/testing';
import { CONTEXT_NAMES, type ContextName } from '@bookshop/contexts';
import { freePort, launchShop, type RunningShop, type ShopLayout } from '@bookshop/tools';

export interface TestShop extends RunningShop {
  /** The router's /graphql URL. */
  url: string;
  databases: Record<ContextName, TestDatabase>;
  /** The shop's own stream and subject prefix on the machine's NATS. */
  events: EventBus;
  /** The shop's own nats-server, when asked for one (a test that stops the broker). */
  nats?: TestNatsServer;
  /** What the services printed (warnings and errors; LOG_LEVEL=warn), for a failing test to show. */
  logs: () => string[];
}

/**
 * The whole shop as real processes on free ports — five subgraphs and the router, each context
 * on its own fresh database (PostgreSQL and SQLite) — sharing nothing with other tests.
 */
export async function startShop(
  options: {
    env?: NodeJS.ProcessEnv;
    serviceEnv?: ShopLayout['serviceEnv'];
    nodeArgs?: ShopLayout['nodeArgs'];
    privateNats?: boolean;
  } = {},
): Promise<TestShop> {
  const databases: Record<ContextName, TestDatabase> = {
    book: await createPostgresTestDatabase('book'),
    order: await createPostgresTestDatabase('order'),
    delivery: await createPostgresTestDatabase('delivery'),
    review: createSqliteTestDatabase('review'),
    mypage: createSqliteTestDatabase('mypage'),
  };
  const ports = { router: await freePort() } as Record<ContextName | 'router', number>;
  for (const name of CONTEXT_NAMES) ports[name] = await freePort();
  const run = randomBytes(4).toString('hex');
  const nats = options.privateNats ? await startTestNatsServer() : undefined;
  const natsUrl = nats?.url ?? TEST_NATS_URL;
  const events = await connectEventBus({ url: natsUrl, prefix: `e2e_${run}`, stream: `E2E_${run}`, name: 'e2e' });
  const lines: string[] = [];
  const shop = await launchShop({
    // `pnpm test` builds first and runs the compiled services (faster to start); a bare `vitest`
    // runs the TypeScript sources, so a test never runs stale code.
    mode: process.env.E2E_MODE === 'dist' ? 'dist' : 'source',
    ports,
    databaseUrls: Object.fromEntries(CONTEXT_NAMES.map((name) => [name, databases[name].url])) as Record<ContextName, string>,
    natsUrl,
    credentials: TEST_CREDENTIALS,
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE_MS: '2000',
      EVENT_PREFIX: events.prefix,
      EVENT_STREAM: events.stream,
      ...options.env,
    },
    ...(options.serviceEnv ? { serviceEnv: options.serviceEnv } : {}),
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    // Kept quiet, but kept: a failing test can print them.
    onLine: (service, line) => lines.push(`[${service}] ${line}`),
  });
  return {
    ...shop,
    url: shop.routerUrl,
    databases,
    events,
    ...(nats ? { nats } : {}),
    logs: () => [...lines],
    stop: async () => {
      await shop.stop();
      await events.jsm.streams.delete(events.stream);
      await events.close();
      await nats?.dispose();
      await Promise.all(Object.values(databases).map((database) => database.drop()));
    },
  };
}
