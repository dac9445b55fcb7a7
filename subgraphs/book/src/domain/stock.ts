import { DomainError } from '@bookshop/runtime';
import type { BookDatabase } from '../database.js';
import { Prisma } from '../generated/prisma/client.js';

type Transaction = Prisma.TransactionClient;

const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 10_000 };

const isUniqueViolation = (error: unknown) =>
  error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';

/** A repeated call for an order answers from its reservation row, and never takes stock twice. */
function answerFromExisting(reservation: { status: 'RESERVED' | 'RELEASED' } & object) {
  if (reservation.status === 'RELEASED') {
    throw new DomainError('RESERVATION_RELEASED', 'This order was already released; it cannot reserve stock again.');
  }
  return reservation;
}

/**
 * Takes `quantity` copies of the book titled `title` for `orderId`.
 *
 * The reservation row is claimed first (its primary key is the order id, so a concurrent repeat
 * waits for us and then finds it), then stock is taken with one conditional update
 * (`stock >= quantity`): never read-then-write, so stock cannot go below zero under any load.
 * When there are not enough copies the transaction rolls back and nothing changes.
 */
export async function reserveStock(db: BookDatabase, orderId: string, title: string, quantity: number) {
  try {
    return await db.$transaction(async (tx: Transaction) => {
      const existing = await tx.stockReservation.findUnique({ where: { orderId } });
      if (existing) return answerFromExisting(existing);
      const book = await tx.book.findUnique({ where: { title }, select: { id: true } });
      if (!book) throw new DomainError('BOOK_NOT_FOUND', `The shop has no book titled "${title}".`);
      const reservation = await tx.stockReservation.create({
        data: { orderId, bookId: book.id, quantity, status: 'RESERVED' },
      });
      const taken = await tx.book.updateMany({
        where: { id: book.id, stock: { gte: quantity } },
        data: { stock: { decrement: quantity } },
      });
      if (taken.count === 0) {
        throw new DomainError('OUT_OF_STOCK', `Not enough copies of "${title}" in stock for ${quantity}.`);
      }
      return reservation;
    }, TRANSACTION_OPTIONS);
  } catch (error) {
    // A concurrent call for the same order committed first: answer as it did.
    if (isUniqueViolation(error)) {
      return answerFromExisting(await db.stockReservation.findUniqueOrThrow({ where: { orderId } }));
    }
    throw error;
  }
}

/**
 * Gives an order's copies back, once: the RESERVED → RELEASED flip is a conditional update, and
 * only the call that flips it returns the copies. For an order never reserved it records a
 * RELEASED tombstone, so a reservation arriving late for it is refused.
 */
export async function releaseStock(db: BookDatabase, orderId: string) {
  try {
    return await db.$transaction(async (tx: Transaction) => {
      const existing = await tx.stockReservation.findUnique({ where: { orderId } });
      if (!existing) {
        return tx.stockReservation.create({ data: { orderId, quantity: 0, status: 'RELEASED' } });
      }
      const flipped = await tx.stockReservation.updateMany({
        where: { orderId, status: 'RESERVED' },
        data: { status: 'RELEASED' },
      });
      if (flipped.count === 1 && existing.bookId) {
        await tx.book.update({ where: { id: existing.bookId }, data: { stock: { increment: existing.quantity } } });
      }
      return { ...existing, status: 'RELEASED' as const };
    }, TRANSACTION_OPTIONS);
  } catch (error) {
    if (isUniqueViolation(error)) return db.stockReservation.findUniqueOrThrow({ where: { orderId } });
    throw error;
  }
}
