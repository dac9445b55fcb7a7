import type { NewOutboxRow } from '@bookshop/events';
import { PrismaPg } from '@prisma/adapter-pg';
import { uuidv7 } from '@bookshop/runtime';
import { OPEN_STATUSES, ORDER_TRANSITIONS, UNDECIDED, type OrderTransition } from './domain/order-states.js';
import { PrismaClient, type Prisma } from './generated/prisma/client.js';

export function createOrderDatabase(connectionString: string) {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString }) });
}

export type OrderDatabase = ReturnType<typeof createOrderDatabase>;
export type OrderTransaction = Prisma.TransactionClient;
export type { Order } from './generated/prisma/client.js';
import type { Order } from './generated/prisma/client.js';

/**
 * Takes one step of the order lifecycle (order-states.ts) as one conditional update: it applies
 * only to an order still in the step's `from` status (and matching `also`), so of two deciders
 * racing for an order exactly one wins. True for the winner.
 */
export async function takeStep(
  db: OrderDatabase | OrderTransaction,
  orderId: string,
  transition: OrderTransition,
  options: { also?: Prisma.OrderWhereInput; data?: Omit<Prisma.OrderUpdateManyMutationInput, 'status'> } = {},
): Promise<boolean> {
  const { from, to } = ORDER_TRANSITIONS[transition];
  const { count } = await db.order.updateMany({
    where: { ...options.also, id: orderId, status: from },
    data: { ...options.data, status: to },
  });
  return count === 1;
}

/** takeStep that answers the order's customer when it took the step (one statement, RETURNING), null when it did not. */
export async function takeStepReturning(
  tx: OrderTransaction,
  orderId: string,
  transition: OrderTransition,
): Promise<{ customerId: string } | null> {
  const { from, to } = ORDER_TRANSITIONS[transition];
  const [stepped] = await tx.order.updateManyAndReturn({
    where: { id: orderId, status: from },
    data: { status: to },
    select: { customerId: true },
  });
  return stepped ?? null;
}

/** A new order as the saga starts it. */
export interface NewOrder {
  customerId: string;
  title: string;
  quantity: number;
  address: string;
  idempotencyKey: string | null;
  correlationId: string | null;
}

/**
 * Advisory locks of the order service live under this first key, apart from any other user of
 * PostgreSQL's advisory locks (Prisma's migration lock is a single 64-bit key: another key space).
 */
const CUSTOMER_LOCK_CLASS = 4_002;

/**
 * Holds, until the transaction ends, the lock on one customer's new orders: their decisions
 * (how many are open, may one more start) are taken one at a time, so two racing requests cannot
 * both see room for one more. Customers hashing alike only wait for each other.
 */
export function lockCustomerOrders(db: OrderDatabase | OrderTransaction, customerId: string) {
  return db.$executeRaw`SELECT pg_advisory_xact_lock(${CUSTOMER_LOCK_CLASS}::int, hashtext(${customerId}))`;
}

/**
 * Inserts the order PENDING unless its customer has `maxOpen` open orders already, or used its
 * idempotency key before, answering the inserted row (none when it did not): one round trip, no
 * transaction around it. `start_pending_order` (a function of the order database, migration
 * 20261201000000) takes the customer's lock first (lockCustomerOrders' lock), then inserts in a
 * statement of its own, so the count it checks includes every order a racing request committed
 * while it waited. Within a transaction holding the lock already, it takes it again at no cost.
 */
export function insertPendingWithinCap(db: OrderDatabase | OrderTransaction, order: NewOrder, maxOpen: number) {
  return db.$queryRaw<Order[]>`
    SELECT * FROM start_pending_order(
      ${CUSTOMER_LOCK_CLASS}::int, ${uuidv7()}::uuid, ${order.customerId}, ${order.title}, ${order.quantity}::int, ${order.address},
      ${UNDECIDED}::"OrderStatus", ${[...OPEN_STATUSES]}::"OrderStatus"[], ${maxOpen}::bigint, ${order.idempotencyKey}, ${order.correlationId})`;
}

/**
 * PENDING → PLACED together with its OrderPlaced outbox row, in one statement (one round trip, no
 * transaction around it): the insert reads the update's RETURNING, so the row is written exactly
 * when the order was still undecided — placed by nobody else, no release owed. Null when it was not.
 */
export async function placeWithEvent(db: OrderDatabase, orderId: string, bookId: string, event: NewOutboxRow): Promise<Order | null> {
  const { from, to } = ORDER_TRANSITIONS.place;
  const [placed] = await db.$queryRaw<Order[]>`
    WITH placed AS (
      UPDATE "Order" SET "status" = ${to}::"OrderStatus", "bookId" = ${bookId}::uuid, "updatedAt" = now()
      WHERE "id" = ${orderId}::uuid AND "status" = ${from}::"OrderStatus" AND "rejectionCode" IS NULL
      RETURNING *
    ), announced AS (
      INSERT INTO "OutboxEvent" ("id", "type", "subject", "envelope", "createdAt")
      SELECT ${event.id}, ${event.type}, ${event.subject}, ${event.envelope}, now() FROM placed
    )
    SELECT * FROM placed`;
  return placed ?? null;
}
