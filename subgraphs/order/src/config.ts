import { postgresDatabaseUrl } from '@bookshop/prisma';
import { readServiceEnv, requireSigningKey, type PrivateServiceKey, type ServiceConfig } from '@bookshop/runtime';
import { z } from 'zod';

export interface OrderConfig extends ServiceConfig {
  databaseUrl: string;
  /** Order's own key: its calls to book and delivery carry a credential signed with it. */
  signingKey: PrivateServiceKey;
  /** The book subgraph's own URL, for the synchronous stock call. */
  bookUrl: string;
  stockCallTimeoutMs: number;
  /** The delivery subgraph's own URL, for the synchronous "stop this shipment" call of a cancel. */
  deliveryUrl: string;
  deliveryCallTimeoutMs: number;
  /** How long the breaker to book stays open before it lets one call through. */
  breakerHalfOpenAfterMs: number;
  /** The reconciler's pass interval, and how long an order must have been PENDING to be its business. */
  reconcileIntervalMs: number;
  reconcileAfterMs: number;
  /** A customer's open (PENDING or PLACED) orders at most; placeOrder refuses one more. */
  maxOpenOrdersPerCustomer: number;
}

export function orderConfig(env: NodeJS.ProcessEnv = process.env): OrderConfig {
  const { env: own, ...shared } = readServiceEnv(
    4002,
    {
      SUBGRAPH_URL_BOOK: z.string().url().default('http://127.0.0.1:4001/graphql'),
      STOCK_CALL_TIMEOUT_MS: z.coerce.number().int().min(50).default(500),
      SUBGRAPH_URL_DELIVERY: z.string().url().default('http://127.0.0.1:4003/graphql'),
      DELIVERY_CALL_TIMEOUT_MS: z.coerce.number().int().min(50).default(1_000),
      STOCK_BREAKER_HALF_OPEN_MS: z.coerce.number().int().min(100).default(5_000),
      RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
      // Longer than any saga takes (a 500 ms call, a 2 s release, time queued): it is not racing one.
      RECONCILE_AFTER_MS: z.coerce.number().int().min(1_000).default(30_000),
      ORDER_MAX_OPEN_PER_CUSTOMER: z.coerce.number().int().min(1).default(100),
    },
    env,
  );
  return {
    ...shared,
    databaseUrl: postgresDatabaseUrl('order', env),
    signingKey: requireSigningKey(shared, 'order signs its calls to book and delivery with it'),
    bookUrl: own.SUBGRAPH_URL_BOOK,
    stockCallTimeoutMs: own.STOCK_CALL_TIMEOUT_MS,
    deliveryUrl: own.SUBGRAPH_URL_DELIVERY,
    deliveryCallTimeoutMs: own.DELIVERY_CALL_TIMEOUT_MS,
    breakerHalfOpenAfterMs: own.STOCK_BREAKER_HALF_OPEN_MS,
    reconcileIntervalMs: own.RECONCILE_INTERVAL_MS,
    reconcileAfterMs: own.RECONCILE_AFTER_MS,
    maxOpenOrdersPerCustomer: own.ORDER_MAX_OPEN_PER_CUSTOMER,
  };
}
