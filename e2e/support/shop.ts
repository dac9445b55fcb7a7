import { DEVELOPMENT_JWT_SECRET } from '@bookshop/runtime';
import { createPostgresTestDatabase, createSqliteTestDatabase, type TestDatabase } from '@bookshop/testing';
import { SERVICE_NAMES, freePort, launchShop, type RunningShop, type ServiceName } from '@bookshop/tools';

export interface TestShop extends RunningShop {
  /** The router's /graphql URL. */
  url: string;
  databases: Record<ServiceName, TestDatabase>;
}

/**
 * The whole shop as real processes on free ports — five subgraphs and the router, each context
 * on its own fresh database (PostgreSQL and SQLite) — sharing nothing with other tests.
 */
export async function startShop(env: NodeJS.ProcessEnv = {}): Promise<TestShop> {
  const databases: Record<ServiceName, TestDatabase> = {
    book: await createPostgresTestDatabase('book'),
    order: await createPostgresTestDatabase('order'),
    delivery: await createPostgresTestDatabase('delivery'),
    review: createSqliteTestDatabase('review'),
    mypage: createSqliteTestDatabase('mypage'),
  };
  const ports = { router: await freePort() } as Record<ServiceName | 'router', number>;
  for (const name of SERVICE_NAMES) ports[name] = await freePort();
  const lines: string[] = [];
  const shop = await launchShop({
    mode: 'source',
    ports,
    databaseUrls: Object.fromEntries(SERVICE_NAMES.map((name) => [name, databases[name].url])) as Record<ServiceName, string>,
    env: { NODE_ENV: 'test', JWT_SECRET: DEVELOPMENT_JWT_SECRET, LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '2000', ...env },
    // Kept quiet, but kept: a failing test can print them.
    onLine: (service, line) => lines.push(`[${service}] ${line}`),
  });
  return {
    ...shop,
    url: shop.routerUrl,
    databases,
    stop: async () => {
      await shop.stop();
      await Promise.all(Object.values(databases).map((database) => database.drop()));
    },
  };
}
