import { registerBook, placeOrder } from '@bookshop/e2e/orders';
import { graphql, tokenFor } from '@bookshop/testing';
import type { Client } from 'graphql-ws';
import { routerPid, type BenchContext } from '../context.js';
import { closeReason, liveClient } from '../live-client.js';
import { inParallel } from '../load.js';
import { rssMb } from '../proc.js';

/** graphql-ws allows 20 subscriptions per connection here: subscribers share sockets 20 by 20. */
const PER_SOCKET = 20;
/** Sockets opening at once: the router lets one address hold 16 that have not signed in yet. */
const OPENING_CONCURRENCY = 12;

/**
 * One customer holds every subscription here, so the shop runs with that customer's caps raised
 * to fit them (the edge allows 8 sockets and 100 subscriptions per caller): what is measured is
 * the fan-out of one change, not the caps (e2e/edge-websocket.test.ts tests those).
 */
export const fanOutEnv = (subscribers: number): NodeJS.ProcessEnv => ({
  ROUTER_MAX_SOCKETS_PER_CALLER: String(Math.ceil(subscribers / PER_SOCKET)),
  ROUTER_MAX_SUBSCRIPTIONS_PER_CALLER: String(subscribers),
});

export interface FanOutFigures {
  subscribers: number;
  /** All subscribers connected and given the current entry. */
  subscribeMs: number;
  /**
   * From the change (cancelOrder sent: the pushes often arrive before its answer does) to the last
   * subscriber's event.
   */
  changeToLastMs: number;
  received: number;
  routerRssMb: { before: number; subscribed: number };
}

/**
 * `subscribers` live subscriptions to one order's status through the router, then one change
 * (the customer cancels): how long until the last subscriber has it, and the router's memory.
 */
export async function fanOut(context: BenchContext, subscribers: number): Promise<FanOutFigures> {
  const { shop } = context;
  const book = await registerBook(shop, 10);
  const token = await tokenFor('customer', `fan-out-${subscribers}`);
  const placed = await placeOrder(shop.url, token, { title: book.title, quantity: 1 });
  const orderId: string = placed.data!.placeOrder.id;
  const before = rssMb(routerPid(shop));

  const clients: Client[] = [];
  // Each subscriber's first CANCELLED entry (later versions of the entry are CANCELLED too).
  const cancelledAt: number[] = [];
  const started = performance.now();
  await inParallel(Math.ceil(subscribers / PER_SOCKET), OPENING_CONCURRENCY, async (socket) => {
    const client = liveClient(shop, token, { retryAttempts: 0 });
    clients.push(client);
    const count = Math.min(PER_SOCKET, subscribers - socket * PER_SOCKET);
    await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<void>((resolve, reject) => {
            let seenCancel = false;
            client.subscribe<{ orderStatusChanged: { orderStatus: string } }>(
              {
                query: 'subscription ($id: ID!) { orderStatusChanged(orderId: $id) { orderStatus version } }',
                variables: { id: orderId },
              },
              {
                next: ({ data }) => {
                  if (data?.orderStatusChanged.orderStatus === 'CANCELLED') {
                    if (!seenCancel) cancelledAt.push(performance.now());
                    seenCancel = true;
                  } else {
                    resolve(); // the current entry: this subscriber is live
                  }
                },
                error: (error) => reject(new Error(closeReason(error))),
                complete: () => {},
              },
            );
          }),
      ),
    );
  });
  const subscribeMs = performance.now() - started;
  const subscribed = rssMb(routerPid(shop));

  const changedAt = performance.now();
  const cancel = await graphql(shop.url, 'mutation ($id: ID!) { cancelOrder(orderId: $id) { status } }', { id: orderId }, { token });
  if (cancel.errors) throw new Error(`cancelOrder failed: ${JSON.stringify(cancel.errors)}`);
  for (let waited = 0; cancelledAt.length < subscribers && waited < 60_000; waited += 20)
    await new Promise((resolve) => setTimeout(resolve, 20));
  await Promise.all(clients.map(async (client) => client.dispose())); // dispose answers void or a promise
  return {
    subscribers,
    subscribeMs,
    changeToLastMs: cancelledAt.length === subscribers ? Math.max(...cancelledAt) - changedAt : NaN,
    received: cancelledAt.length,
    routerRssMb: { before, subscribed },
  };
}
