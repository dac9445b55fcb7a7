import { DomainError } from '@bookshop/runtime';
import type { BookDatabase } from '../database.js';
import { Prisma } from '../generated/prisma/client.js';

type Transaction = Prisma.TransactionClient;

const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 10_000 };

/** A unique-key violation, from a model query (P2002) or a raw one (P2010 with the driver's kind). */
function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof Prisma.PrismaClientKnownRequestError)) return false;
  if (error.code === 'P2002') return true;
  const cause = (error.meta as { driverAdapterError?: { cause?: { kind?: string } } } | undefined)?.driverAdapterError?.cause;
  return error.code === 'P2010' && cause?.kind === 'UniqueConstraintViolation';
}

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
 * Takes `quantity` copies of the book titled `title` for `orderId`, in one SQL statement: one
 * atomic transaction and one round trip, whatever the outcome, so the book row is locked for
 * microseconds, not for round trips. The conditional update `stock >= quantity` takes the copies —
 * never read-then-write, so stock cannot go below zero under any load — only if the order has no
 * reservation yet, and the same statement records the reservation. A concurrent repeat for the
 * same order fails on the reservation's primary key, rolls back whole, and answers from the
 * winner's row. A refusal changes nothing.
 */
export async function reserveStock(db: BookDatabase, orderId: string, title: string, quantity: number): Promise<Reservation> {
  let outcome: ReserveOutcome | undefined;
  try {
    [outcome] = await db.$queryRaw<ReserveOutcome[]>`
      WITH existing AS (
        SELECT "orderId", "bookId"::text AS "bookId", quantity, status::text AS status
        FROM "StockReservation" WHERE "orderId" = ${orderId}
      ), taken AS (
        UPDATE "Book" SET stock = stock - ${quantity}
        WHERE title = ${title} AND stock >= ${quantity} AND NOT EXISTS (SELECT 1 FROM existing)
        RETURNING id
      ), claimed AS (
        INSERT INTO "StockReservation" ("orderId", "bookId", quantity, status, "updatedAt")
        SELECT ${orderId}, id, ${quantity}, 'RESERVED'::"ReservationStatus", now() FROM taken
        RETURNING "orderId", "bookId"::text AS "bookId", quantity, status::text AS status
      )
      SELECT (SELECT row_to_json(claimed) FROM claimed) AS taken,
             (SELECT row_to_json(existing) FROM existing) AS existing,
             EXISTS (SELECT 1 FROM "Book" WHERE title = ${title}) AS "bookExists"`;
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
 * Gives an order's copies back, once: the RESERVED → RELEASED flip is a conditional update, and
 * only the call that flips it returns the copies (`released`). For an order never reserved it
 * records a RELEASED tombstone, so a reservation arriving late for it is refused.
 */
export async function releaseStockIn(tx: Transaction, orderId: string) {
  const existing = await tx.stockReservation.findUnique({ where: { orderId } });
  if (!existing) {
    const tombstone = await tx.stockReservation.create({ data: { orderId, quantity: 0, status: 'RELEASED' } });
    return { reservation: tombstone, released: null };
  }
  const flipped = await tx.stockReservation.updateMany({ where: { orderId, status: 'RESERVED' }, data: { status: 'RELEASED' } });
  const reservation = { ...existing, status: 'RELEASED' as const };
  if (flipped.count === 0 || !existing.bookId) return { reservation, released: null };
  const book = await tx.book.update({ where: { id: existing.bookId }, data: { stock: { increment: existing.quantity } } });
  return { reservation, released: { bookId: book.id, quantity: existing.quantity, stock: book.stock } };
}

/** What book holds for an order: RESERVED copies, a RELEASED row, or nothing (never seen). */
export function findReservation(db: BookDatabase, orderId: string): Promise<Reservation | null> {
  return db.stockReservation.findUnique({ where: { orderId } });
}

/** releaseStockIn in a transaction of its own (the synchronous compensation call from order). */
export async function releaseStock(db: BookDatabase, orderId: string) {
  try {
    return (await db.$transaction((tx: Transaction) => releaseStockIn(tx, orderId), TRANSACTION_OPTIONS)).reservation;
  } catch (error) {
    if (isUniqueViolation(error)) return db.stockReservation.findUniqueOrThrow({ where: { orderId } });
    throw error;
  }
}
