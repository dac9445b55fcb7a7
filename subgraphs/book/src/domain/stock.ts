import { DomainError, isUniqueViolation } from '@bookshop/runtime';
import type { BookDatabase } from '../database.js';
import type { Prisma } from '../generated/prisma/client.js';
import { titleKey } from './title-key.js';

type Transaction = Prisma.TransactionClient;

const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 10_000 };

/** A repeated call for an order answers from its reservation row, and never takes stock twice. */
function answerFromExisting<R extends { status: 'RESERVED' | 'RELEASED' }>(reservation: R): R {
  if (reservation.status === 'RELEASED') {
    throw new DomainError('RESERVATION_RELEASED', 'This order was already released; it cannot reserve stock again.');
  }
  return reservation;
}

interface Reservation {
  orderId: string;
  bookId: string | null;
  quantity: number;
  status: 'RESERVED' | 'RELEASED';
}

interface ReserveOutcome {
  taken: Reservation | null;
  existing: Reservation | null;
  bookExists: boolean;
}

/**
 * Takes `quantity` copies of the book whose title matches `title` (title-key.ts) for `orderId`, in
 * one SQL statement: one atomic transaction and one round trip, whatever the outcome, so the book row is locked for
 * microseconds, not for round trips. The conditional update `stock >= quantity` takes the copies —
 * never read-then-write, so stock cannot go below zero under any load — only if the order has no
 * reservation yet, and the same statement records the reservation. A concurrent repeat for the
 * same order fails on the reservation's primary key, rolls back whole, and answers from the
 * winner's row. A refusal changes nothing.
 */
export async function reserveStock(db: BookDatabase, orderId: string, title: string, quantity: number): Promise<Reservation> {
  // The book is found as bookByTitle finds it: "dune" orders "Dune".
  const key = titleKey(title);
  let outcome: ReserveOutcome | undefined;
  try {
    [outcome] = await db.$queryRaw<ReserveOutcome[]>`
      WITH existing AS (
        SELECT "orderId", "bookId"::text AS "bookId", quantity, status::text AS status
        FROM "StockReservation" WHERE "orderId" = ${orderId}
      ), taken AS (
        UPDATE "Book" SET stock = stock - ${quantity}
        WHERE "titleKey" = ${key} AND stock >= ${quantity} AND NOT EXISTS (SELECT 1 FROM existing)
        RETURNING id
      ), claimed AS (
        INSERT INTO "StockReservation" ("orderId", "bookId", quantity, status, "updatedAt")
        SELECT ${orderId}, id, ${quantity}, 'RESERVED'::"ReservationStatus", now() FROM taken
        RETURNING "orderId", "bookId"::text AS "bookId", quantity, status::text AS status
      )
      SELECT (SELECT row_to_json(claimed) FROM claimed) AS taken,
             (SELECT row_to_json(existing) FROM existing) AS existing,
             EXISTS (SELECT 1 FROM "Book" WHERE "titleKey" = ${key}) AS "bookExists"`;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return answerFromExisting(await db.stockReservation.findUniqueOrThrow({ where: { orderId } }));
  }
  if (outcome?.taken) return outcome.taken;
  if (outcome?.existing) return answerFromExisting(outcome.existing);
  if (!outcome?.bookExists) throw new DomainError('BOOK_NOT_FOUND', `The shop has no book titled "${title}".`);
  throw new DomainError('OUT_OF_STOCK', `Not enough copies of "${title}" in stock for ${quantity}.`);
}

/**
 * Gives an order's copies back, once, as one decision whatever a reservation of the same order
 * is doing meanwhile. Two statements, in this order, inside the caller's transaction:
 * 1. a RELEASED tombstone is inserted unless the order has a row: a reservation in flight either
 *    waits for it and is then refused (RESERVATION_RELEASED), or commits first, and the insert
 *    waits for that commit and does nothing;
 * 2. so the next statement (a fresh snapshot) always sees the row, and flips a RESERVED one to
 *    RELEASED and returns its copies in the same statement. Only the call that flips gives
 *    copies back (`released`).
 * Never read-then-insert: a reservation committing in between left its copies held for good.
 */
export async function releaseStockIn(tx: Transaction, orderId: string) {
  await tx.$executeRaw`
    INSERT INTO "StockReservation" ("orderId", quantity, status, "updatedAt")
    VALUES (${orderId}, 0, 'RELEASED'::"ReservationStatus", now())
    ON CONFLICT ("orderId") DO NOTHING`;
  const [outcome] = await tx.$queryRaw<Array<{ reservation: Reservation; released: Released | null }>>`
    WITH flipped AS (
      UPDATE "StockReservation" SET status = 'RELEASED'::"ReservationStatus", "updatedAt" = now()
      WHERE "orderId" = ${orderId} AND status = 'RESERVED'::"ReservationStatus"
      RETURNING "bookId", quantity
    ), restocked AS (
      UPDATE "Book" SET stock = "Book".stock + flipped.quantity FROM flipped
      WHERE "Book".id = flipped."bookId"
      RETURNING "Book".id::text AS "bookId", flipped.quantity, "Book".stock
    )
    SELECT json_build_object('orderId', r."orderId", 'bookId', r."bookId"::text, 'quantity', r.quantity, 'status', 'RELEASED') AS reservation,
           (SELECT row_to_json(restocked) FROM restocked) AS released
    FROM "StockReservation" r WHERE r."orderId" = ${orderId}`;
  if (!outcome) throw new Error(`the reservation of order ${orderId} vanished while it was released`);
  return outcome;
}

interface Released {
  bookId: string;
  quantity: number;
  stock: number;
}

/** What book holds for an order: RESERVED copies, a RELEASED row, or nothing (never seen). */
export function findReservation(db: BookDatabase, orderId: string): Promise<Reservation | null> {
  return db.stockReservation.findUnique({ where: { orderId } });
}

/** releaseStockIn in a transaction of its own (the synchronous compensation call from order). */
export async function releaseStock(db: BookDatabase, orderId: string): Promise<Reservation> {
  return (await db.$transaction((tx: Transaction) => releaseStockIn(tx, orderId), TRANSACTION_OPTIONS)).reservation;
}
