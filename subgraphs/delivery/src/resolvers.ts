import type { OutboxWriter } from '@bookshop/events';
import {
  DomainError,
  bounds,
  pageArgs,
  parseInput,
  requireCaller,
  requireRole,
  type GraphQLResolverMap,
  type ServiceContext,
} from '@bookshop/runtime';
import { z } from 'zod';
import type { Delivery, DeliveryDatabase } from './database.js';
import { visibleDelivery } from './domain/delivery-access.js';
import { completeDelivery, findDelivery, findDeliveryOfOrder, listDeliveries, stopShipment } from './domain/shipments.js';

const stopArgs = z.object({ orderId: bounds.id, address: bounds.address });
const deliveriesArgs = pageArgs.extend({ status: z.enum(['PREPARING', 'DELIVERED', 'CANCELLED']).nullish() });
const isId = (id: string) => bounds.id.safeParse(id).success;

export function createResolvers(db: DeliveryDatabase, events: OutboxWriter): GraphQLResolverMap<ServiceContext> {
  return {
    Query: {
      deliveries: (_: unknown, args: unknown, { viewer }: ServiceContext) => {
        requireRole(viewer, 'courier', 'staff');
        const { status, ...page } = parseInput(deliveriesArgs, args);
        return listDeliveries(db, status, page);
      },
    },
    Mutation: {
      completeDelivery: async (_: unknown, { deliveryId }: { deliveryId: string }, { viewer, request }: ServiceContext) => {
        requireRole(viewer, 'courier');
        if (!isId(deliveryId)) throw new DomainError('DELIVERY_NOT_FOUND', 'There is no such delivery.');
        const delivery = await completeDelivery(db, events, deliveryId, request);
        events.written();
        return delivery;
      },
      stopShipment: async (_: unknown, args: unknown, { caller, request }: ServiceContext) => {
        requireCaller(caller, 'order');
        const delivery = await stopShipment(db, events, parseInput(stopArgs, args), request);
        events.written();
        return delivery;
      },
    },
    Delivery: {
      __resolveReference: async ({ id }: { id: string }, { viewer }: ServiceContext) =>
        visibleDelivery(isId(id) ? await findDelivery(db, id) : null, viewer),
      // The order subgraph decides who may see the order itself.
      order: (delivery: Delivery) => ({ __typename: 'Order', id: delivery.orderId }),
    },
    Order: {
      delivery: async ({ id }: { id: string }, _: unknown, { viewer }: ServiceContext) =>
        visibleDelivery(isId(id) ? await findDeliveryOfOrder(db, id) : null, viewer),
    },
  };
}
