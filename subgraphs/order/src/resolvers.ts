import { DomainError, bounds, parseInput, requireRole, type GraphQLResolverMap, type ServiceContext } from '@bookshop/runtime';
import { z } from 'zod';
import type { Order, OrderDatabase } from './database.js';
import { assertCanSee, cancelOrder } from './domain/order.js';
import { placeOrder, type OrderEvents, type OrderLimits } from './domain/place-order.js';
import type { Shipments } from './domain/shipments.js';
import type { StockReservations } from './domain/stock-reservations.js';
import { sagaAdmission } from './admission.js';

const placeOrderInput = z.object({
  title: bounds.title,
  quantity: bounds.quantity,
  address: bounds.address,
  idempotencyKey: bounds.idempotencyKey.nullish(),
});

async function findOrder(db: OrderDatabase, id: string): Promise<Order | null> {
  if (!bounds.id.safeParse(id).success) return null;
  return db.order.findUnique({ where: { id } });
}

export function createResolvers(
  db: OrderDatabase,
  stock: StockReservations,
  shipments: Shipments,
  events: OrderEvents,
  limits: OrderLimits,
): GraphQLResolverMap<ServiceContext> {
  const admit = sagaAdmission();
  return {
    Query: {
      order: async (_: unknown, { id }: { id: string }, { viewer }: ServiceContext) => {
        requireRole(viewer, 'customer', 'staff');
        return assertCanSee(await findOrder(db, id), viewer);
      },
    },
    Mutation: {
      placeOrder: (_: unknown, { input }: { input: unknown }, { viewer, request }: ServiceContext) => {
        const customer = requireRole(viewer, 'customer');
        const parsed = parseInput(placeOrderInput, input);
        return admit(() =>
          placeOrder(
            db,
            stock,
            events,
            {
              ...parsed,
              customerId: customer.subject,
              correlationId: request.correlationId,
              traceparent: request.traceparent,
            },
            limits,
          ),
        );
      },
      cancelOrder: (_: unknown, { orderId }: { orderId: string }, { viewer, request }: ServiceContext) => {
        const customer = requireRole(viewer, 'customer');
        if (!bounds.id.safeParse(orderId).success) throw new DomainError('ORDER_NOT_FOUND', 'There is no such order.');
        return cancelOrder(db, shipments, events, orderId, customer, request);
      },
    },
    Order: {
      __resolveReference: async ({ id }: { id: string }, { viewer }: ServiceContext) =>
        assertCanSee(await findOrder(db, id), viewer, { courier: true }),
      book: (order: Order) => {
        if (!order.bookId) throw new DomainError('BOOK_NOT_FOUND', 'This order has no book.');
        return { __typename: 'Book', id: order.bookId };
      },
    },
  };
}
