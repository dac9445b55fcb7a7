import { DomainError, pageArgs, parseInput, requireRole, type GraphQLResolverMap, type ServiceContext } from '@bookshop/runtime';
import type { MyPageDatabase } from './database.js';
import { allEntriesOfCustomer, findVisibleEntry, listEntriesOfCustomer, type VisibleEntry } from './entry-queries.js';
import type { LiveUpdates } from './live-updates.js';

/** DECISIONS.md: a subscription to an order not projected yet waits this long for it. */
const WAIT_FOR_ORDER_MS = 10_000;

export function createResolvers(db: MyPageDatabase, live: LiveUpdates, waitForOrderMs = WAIT_FOR_ORDER_MS): GraphQLResolverMap<ServiceContext> {
  return {
    Query: {
      myPage: (_: unknown, args: unknown, { viewer }: ServiceContext) => {
        const customer = requireRole(viewer, 'customer');
        return listEntriesOfCustomer(db, customer.subject, parseInput(pageArgs, args));
      },
    },
    Subscription: {
      myPageUpdated: {
        subscribe: async (_: unknown, __: unknown, { viewer }: ServiceContext) => {
          const customer = requireRole(viewer, 'customer');
          return live.stream(`customer:${customer.subject}`, await allEntriesOfCustomer(db, customer.subject));
        },
        resolve: (entry: VisibleEntry) => entry,
      },
      orderStatusChanged: {
        subscribe: async (_: unknown, { orderId }: { orderId: string }, { viewer }: ServiceContext) => {
          const customer = requireRole(viewer, 'customer');
          // A placeholder (events that came before OrderPlaced) counts as not projected yet.
          const entry = (await findVisibleEntry(db, orderId)) ?? (await live.waitForOrder(orderId, waitForOrderMs));
          if (!entry) throw new DomainError('ORDER_NOT_FOUND', 'There is no such order.');
          if (entry.customerId !== customer.subject) throw new DomainError('FORBIDDEN', 'This order is not yours.');
          return live.stream(`order:${orderId}`, [entry]);
        },
        resolve: (entry: VisibleEntry) => entry,
      },
    },
    MyPageEntry: {
      order: (entry: VisibleEntry) => ({ __typename: 'Order', id: entry.orderId }),
    },
  };
}
