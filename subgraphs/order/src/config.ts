import { postgresDatabaseUrl } from '@bookshop/prisma';
import { readServiceEnv, type ServiceConfig } from '@bookshop/runtime';
import { z } from 'zod';

export interface OrderConfig extends ServiceConfig {
  databaseUrl: string;
  /** The book subgraph's own URL, for the synchronous stock call. */
  bookUrl: string;
  stockCallTimeoutMs: number;
}

export function orderConfig(env: NodeJS.ProcessEnv = process.env): OrderConfig {
  const { env: own, ...shared } = readServiceEnv(
    4002,
    {
      SUBGRAPH_URL_BOOK: z.string().url().default('http://127.0.0.1:4001/graphql'),
      STOCK_CALL_TIMEOUT_MS: z.coerce.number().int().min(50).default(500),
    },
    env,
  );
  return {
    ...shared,
    databaseUrl: postgresDatabaseUrl('order', env),
    bookUrl: own.SUBGRAPH_URL_BOOK,
    stockCallTimeoutMs: own.STOCK_CALL_TIMEOUT_MS,
  };
}
