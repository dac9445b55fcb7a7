import { localSubgraphUrl } from '@bookshop/contexts';
import { defineSubgraph } from '@bookshop/subgraph-kit';
import { z } from 'zod';
import { createOrderDatabase } from './database.js';
import { createDeliveryClient } from './delivery-client.js';
import { reconcilePendingOrders } from './domain/reconcile.js';
import { orderConsumption } from './events.js';
import { startReconciler } from './reconciler.js';
import { createResolvers } from './resolvers.js';
import { createStockClient } from './stock-client.js';

/**
 * The order subgraph: its saga reserves stock in book synchronously, a cancel asks delivery to
 * stop the shipment first, and orders are announced by events; a reconciler settles orders a crash left PENDING.
 */
export const order = defineSubgraph({
  context: 'order',
  schema: new URL('../src/schema.graphql', import.meta.url),
  openDatabase: createOrderDatabase,
  callsServices: 'order signs its calls to book and delivery with it',
  settings: {
    SUBGRAPH_URL_BOOK: z.string().url().default(localSubgraphUrl('book')),
    STOCK_CALL_TIMEOUT_MS: z.coerce.number().int().min(50).default(500),
    SUBGRAPH_URL_DELIVERY: z.string().url().default(localSubgraphUrl('delivery')),
    // The budget of a cancel's "stop this shipment" call.
    DELIVERY_CALL_TIMEOUT_MS: z.coerce.number().int().min(50).default(1_000),
    // How long the breaker to book stays open before it lets one call through.
    STOCK_BREAKER_HALF_OPEN_MS: z.coerce.number().int().min(100).default(5_000),
    RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
    // Longer than any saga takes (a 500 ms call, a 2 s release, time queued): it is not racing one.
    RECONCILE_AFTER_MS: z.coerce.number().int().min(1_000).default(30_000),
    // A customer's open (PENDING or PLACED) orders at most; placeOrder refuses one more.
    ORDER_MAX_OPEN_PER_CUSTOMER: z.coerce.number().int().min(1).default(100),
  },
  start: ({ config: { settings }, database, startEvents, serviceCredential }) => {
    const token = serviceCredential();
    const stock = createStockClient({
      bookUrl: settings.SUBGRAPH_URL_BOOK,
      token,
      timeoutMs: settings.STOCK_CALL_TIMEOUT_MS,
      breakerHalfOpenAfterMs: settings.STOCK_BREAKER_HALF_OPEN_MS,
    });
    const shipments = createDeliveryClient({
      deliveryUrl: settings.SUBGRAPH_URL_DELIVERY,
      token,
      timeoutMs: settings.DELIVERY_CALL_TIMEOUT_MS,
    });
    const events = startEvents({ outbox: database.outboxEvent, consumes: orderConsumption });
    const reconciler = startReconciler(
      () => reconcilePendingOrders(database, stock, events, { staleAfterMs: settings.RECONCILE_AFTER_MS }),
      settings.RECONCILE_INTERVAL_MS,
    );
    return {
      resolvers: createResolvers(database, stock, shipments, events, { maxOpenPerCustomer: settings.ORDER_MAX_OPEN_PER_CUSTOMER }),
      background: {
        readiness: events.readiness,
        stop: async () => {
          await reconciler.stop();
          await events.stop();
        },
      },
    };
  },
});
