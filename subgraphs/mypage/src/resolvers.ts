import { pageArgs, parseInput, requireRole, type GraphQLResolverMap, type ServiceContext } from '@bookshop/runtime';
import type { MyPageDatabase, MyPageEntry } from './database.js';
import { listEntriesOfCustomer } from './domain/entries.js';

export function createResolvers(db: MyPageDatabase): GraphQLResolverMap<ServiceContext> {
  return {
    Query: {
      myPage: (_: unknown, args: unknown, { viewer }: ServiceContext) => {
        const customer = requireRole(viewer, 'customer');
        return listEntriesOfCustomer(db, customer.subject, parseInput(pageArgs, args));
      },
    },
    MyPageEntry: {
      order: (entry: MyPageEntry) => ({ __typename: 'Order', id: entry.orderId }),
    },
  };
}
