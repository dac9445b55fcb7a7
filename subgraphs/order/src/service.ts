import { startContextEvents } from '@bookshop/events';
import { loadTypeDefs, serviceCredential, startDatabaseSubgraph, type RunningService } from '@bookshop/runtime';
import type { OrderConfig } from './config.js';
import { createOrderDatabase } from './database.js';
import { reconcilePendingOrders } from './domain/reconcile.js';
import { CONSUMER, orderHandlers } from './events.js';
import { startReconciler } from './reconciler.js';
import { createResolvers } from './resolvers.js';
import { createDeliveryClient } from './delivery-client.js';
import { createStockClient } from './stock-client.js';

const typeDefs = loadTypeDefs(new URL('../src/schema.graphql', import.meta.url));

/**
 * The order subgraph: its saga reserves stock in book synchronously, a cancel asks delivery to
 * stop the shipment first, and orders are announced by events; a reconciler settles orders a crash left PENDING.
 */
export async function startOrderService(config: OrderConfig): Promise<RunningService> {
  const database = createOrderDatabase(config.databaseUrl);
  const token = serviceCredential(config.signingKey);
  const stock = createStockClient({
    bookUrl: config.bookUrl,
    token,
    timeoutMs: config.stockCallTimeoutMs,
    breakerHalfOpenAfterMs: config.breakerHalfOpenAfterMs,
  });
  const shipments = createDeliveryClient({ deliveryUrl: config.deliveryUrl, token, timeoutMs: config.deliveryCallTimeoutMs });
  const events = startContextEvents({
    settings: config.events,
    name: CONSUMER,
    outbox: database.outboxEvent,
    handlers: (writer) => orderHandlers(database, writer),
  });
  const reconciler = startReconciler(
    () => reconcilePendingOrders(database, stock, events, { staleAfterMs: config.reconcileAfterMs }),
    config.reconcileIntervalMs,
  );
  return startDatabaseSubgraph({
    name: 'order',
    config,
    typeDefs,
    resolvers: createResolvers(database, stock, shipments, events, config),
    database,
    background: {
      readiness: events.readiness,
      stop: async () => {
        await reconciler.stop();
        await events.stop();
      },
    },
  });
}
