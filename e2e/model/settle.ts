import { queryRows } from '@bookshop/testing';
import type { TestShop } from '../support/shop.js';
import { sqliteRows } from './shop-state.js';

/**
 * Waits until the shop is quiet: every outbox published, every durable consumer with nothing
 * pending or unacknowledged (an event naked for a retry still counts as unacknowledged), and no
 * order of the run still PENDING (the reconciler decides those). Only then do the databases hold
 * the final word. Quiet must hold several polls in a row, to step over the instant between a
 * consumer's commit (which writes the next event to its outbox) and its relay's publish.
 */

export interface Quietness {
  unsentOutboxRows: Record<string, number>;
  consumers: Record<string, { pending: number; unacknowledged: number }>;
  pendingOrders: number;
}

const POLL_MS = 250;
const QUIET_POLLS_IN_A_ROW = 4;

export async function waitUntilSettled(shop: TestShop, customers: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quietPolls = 0;
  for (;;) {
    const state = await readQuietness(shop, customers);
    quietPolls = isQuiet(state) ? quietPolls + 1 : 0;
    if (quietPolls >= QUIET_POLLS_IN_A_ROW) return;
    if (Date.now() > deadline) throw new Error(`the shop did not settle within ${timeoutMs / 1000} s: ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const isQuiet = (state: Quietness) =>
  state.pendingOrders === 0 &&
  Object.values(state.unsentOutboxRows).every((count) => count === 0) &&
  Object.values(state.consumers).every((consumer) => consumer.pending === 0 && consumer.unacknowledged === 0);

async function readQuietness(shop: TestShop, customers: string[]): Promise<Quietness> {
  const unsent = `SELECT count(*)::int AS count FROM "OutboxEvent" WHERE "sentAt" IS NULL`;
  const [book, order, delivery, pending] = await Promise.all([
    queryRows<{ count: number }>(shop.databases.book.url, unsent),
    queryRows<{ count: number }>(shop.databases.order.url, unsent),
    queryRows<{ count: number }>(shop.databases.delivery.url, unsent),
    queryRows<{ count: number }>(
      shop.databases.order.url,
      `SELECT count(*)::int AS count FROM "Order" WHERE status = 'PENDING' AND "customerId" = ANY($1)`,
      [customers],
    ),
  ]);
  const [review] = sqliteRows<{ count: number }>(
    shop.databases.review.url,
    `SELECT count(*) AS count FROM OutboxEvent WHERE sentAt IS NULL`,
  );
  const consumers: Quietness['consumers'] = {};
  for await (const info of shop.events.jsm.consumers.list(shop.events.stream)) {
    consumers[info.name] = { pending: info.num_pending, unacknowledged: info.num_ack_pending };
  }
  return {
    unsentOutboxRows: { book: book[0]!.count, order: order[0]!.count, delivery: delivery[0]!.count, review: review!.count },
    consumers,
    pendingOrders: pending[0]!.count,
  };
}
