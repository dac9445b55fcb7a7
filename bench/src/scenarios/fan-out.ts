import { registerBook, placeOrder } from '@bookshop/e2e/orders';
import { graphql, tokenFor } from '@bookshop/testing';
import type { Client } from 'graphql-ws';
import { routerPid, type BenchContext } from '../context.js';
import { liveClient } from '../live-client.js';
import { rssMb } from '../proc.js';

/** graphql-ws allows 20 subscriptions per connection here: subscribers share sockets 20 by 20. */
const PER_SOCKET = 20;

export interface FanOutFigures {
  subscribers: number;
  /** All subscribers connected and given the current entry. */
  subscribeMs: number;
  /** From the change (cancelOrder returning) to the last subscriber's event. */
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
  await Promise.all(
    Array.from({ length: Math.ceil(subscribers / PER_SOCKET) }, (_, socket) => {
      const client = liveClient(shop, token, { retryAttempts: 0 });
      clients.push(client);
      const count = Math.min(PER_SOCKET, subscribers - socket * PER_SOCKET);
      return Promise.all(
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
                  error: reject,
                  complete: () => {},
                },
              );
            }),
        ),
      );
    }),
  );
  const subscribeMs = performance.now() - started;
  const subscribed = rssMb(routerPid(shop));

  const cancel = await graphql(shop.url, 'mutation ($id: ID!) { cancelOrder(orderId: $id) { status } }', { id: orderId }, { token });
  const changedAt = performance.now();
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
