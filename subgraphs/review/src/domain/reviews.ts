import { randomUUID } from 'node:crypto';
import { ReviewWritten, type EventMeta, type OutboxWriter } from '@bookshop/events';
import { DomainError, groupBy, isUniqueViolation, requireRole, type Viewer } from '@bookshop/runtime';
import type { Review, ReviewDatabase } from '../database.js';
import { knownOrderOf } from '../known-orders-store.js';
import { Prisma } from '../generated/prisma/client.js';
import { refusalToReview, secondReview } from './review-rules.js';

export const findReview = (db: ReviewDatabase, id: string) => db.review.findUnique({ where: { id } });

const REVIEWS_PER_BOOK = 200;

/**
 * Several books' reviews, each book's oldest first (at most 200 each): the cap is applied in the
 * database (a window per book), so a popular book never loads its whole history.
 */
export async function listReviewsOfBooks(db: ReviewDatabase, bookIds: string[]): Promise<Map<string, Review[]>> {
  const capped = await db.$queryRaw<Array<{ id: string }>>`
    SELECT "id" FROM (
      SELECT "id", ROW_NUMBER() OVER (PARTITION BY "bookId" ORDER BY "createdAt", "id") AS "rank"
      FROM "Review" WHERE "bookId" IN (${Prisma.join(bookIds)})
    ) WHERE "rank" <= ${REVIEWS_PER_BOOK}`;
  const rows = await db.review.findMany({
    where: { id: { in: capped.map((row) => row.id) } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
  });
  return groupBy(rows, (review) => review.bookId);
}

/** Several orders' reviews in one query (one review per order at most). */
export async function findReviewsOfOrders(db: ReviewDatabase, orderIds: string[]): Promise<Map<string, Review>> {
  const rows = await db.review.findMany({ where: { orderId: { in: orderIds } } });
  return new Map(rows.map((review) => [review.orderId, review]));
}

/** Reviews are public, the order behind one is not: its customer and staff only. */
export const canSeeReviewedOrder = (review: Review, viewer: Viewer | null) =>
  viewer?.role === 'staff' || (viewer?.role === 'customer' && viewer.subject === review.customerId);

/**
 * An order's review (`Order.review`) is a field of the order, so the order's rule applies: its
 * customer, staff, and couriers (who reach orders through their deliveries); anyone else is
 * refused, though the review itself is public. The review carries the order's customer. No review:
 * null, for those allowed to ask.
 */
export function reviewOfOrderFor(review: Review | null, viewer: Viewer | null): Review | null {
  const caller = requireRole(viewer, 'customer', 'staff', 'courier');
  if (!review) return null;
  if (caller.role === 'customer' && caller.subject !== review.customerId) throw new DomainError('FORBIDDEN', 'This order is not yours.');
  return review;
}

type Transaction = Prisma.TransactionClient;

export interface NewReview {
  orderId: string;
  rating: number;
  content: string;
}

/**
 * One review per delivered order, by the order's own customer (review-rules.ts), announced by
 * ReviewWritten. Review knows orders from their events only. Two reviews of one order at the same
 * instant: the review's unique order id lets one in, the other is refused like any second review.
 */
export async function writeReview(
  db: ReviewDatabase,
  events: OutboxWriter,
  customer: Viewer,
  review: NewReview,
  meta: EventMeta,
): Promise<Review> {
  try {
    return await db.$transaction(async (tx: Transaction) => {
      const row = await tx.reviewableOrder.findUnique({ where: { orderId: review.orderId } });
      const order = row ? knownOrderOf(row) : null;
      const alreadyReviewed = (await tx.review.count({ where: { orderId: review.orderId } })) > 0;
      const refusal = refusalToReview(order, customer.subject, alreadyReviewed);
      if (refusal) throw refusal;
      const { customerId, bookId } = order!.placed!;
      const written = await tx.review.create({
        data: { id: randomUUID(), orderId: review.orderId, bookId, customerId, rating: review.rating, content: review.content },
      });
      await tx.outboxEvent.create({
        data: events.record(
          ReviewWritten,
          {
            reviewId: written.id,
            orderId: written.orderId,
            bookId: written.bookId,
            customerId: written.customerId,
            rating: written.rating,
            content: written.content,
          },
          { ...meta, orderId: written.orderId },
        ),
      });
      return written;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw secondReview();
    throw error;
  }
}
