import { pageArgs, parseInput, requireRole, type GraphQLResolverMap, type ServiceContext } from '@bookshop/runtime';
import type { MyPageDatabase } from './database.js';
import { listEntriesOfCustomer, type VisibleEntry } from './entry-queries.js';
import type { LiveSubscriptions } from './live-subscriptions.js';

export function createResolvers(db: MyPageDatabase, subscriptions: LiveSubscriptions): GraphQLResolverMap<ServiceContext> {
  return {
    Query: {
      myPage: (_: unknown, args: unknown, { viewer }: ServiceContext) => {
        const customer = requireRole(viewer, 'customer');
        return listEntriesOfCustomer(db, customer.subject, parseInput(pageArgs, args));
      },
    },
    Subscription: {
      myPageUpdated: {
        subscribe: (_: unknown, __: unknown, { viewer }: ServiceContext) => subscriptions.customer(requireRole(viewer, 'customer').subject),
        resolve: (entry: VisibleEntry) => entry,
      },
      orderStatusChanged: {
        subscribe: (_: unknown, { orderId }: { orderId: string }, { viewer }: ServiceContext) =>
          subscriptions.order(orderId, requireRole(viewer, 'customer').subject),
        resolve: (entry: VisibleEntry) => entry,
      },
    },
    MyPageEntry: {
      order: (entry: VisibleEntry) => ({ __typename: 'Order', id: entry.orderId }),
    },
  };
}
