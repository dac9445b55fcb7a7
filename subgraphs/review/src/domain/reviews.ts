import { randomUUID } from 'node:crypto';
import { ReviewWritten, type EventMeta, type OutboxWriter } from '@bookshop/events';
import { DomainError, groupBy, type Viewer } from '@bookshop/runtime';
import type { Review, ReviewDatabase } from '../database.js';
import { Prisma } from '../generated/prisma/client.js';

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

type Transaction = Prisma.TransactionClient;

export interface NewReview {
  orderId: string;
  rating: number;
  content: string;
}

/**
 * One review per delivered order, by the order's own customer, announced by ReviewWritten.
 * Review knows orders from their events only.
 */
export async function writeReview(db: ReviewDatabase, events: OutboxWriter, customer: Viewer, review: NewReview, meta: EventMeta): Promise<Review> {
  return db.$transaction(async (tx: Transaction) => {
    const order = await tx.reviewableOrder.findUnique({ where: { orderId: review.orderId } });
    // A placeholder (order's later events came before its OrderPlaced) has no customer yet: not found, yet.
    if (!order || order.customerId === null || order.bookId === null) {
      throw new DomainError('ORDER_NOT_FOUND', 'There is no such order (or it was placed a moment ago: try again shortly).');
    }
    if (order.customerId !== customer.subject) throw new DomainError('FORBIDDEN', 'This order is not yours.');
    if (order.status !== 'DELIVERED') throw new DomainError('REVIEW_NOT_ALLOWED', 'An order can be reviewed once it is delivered.');
    if (await tx.review.findUnique({ where: { orderId: review.orderId } })) {
      throw new DomainError('REVIEW_NOT_ALLOWED', 'This order has a review already: one review per order.');
    }
    const written = await tx.review.create({
      data: { id: randomUUID(), orderId: order.orderId, bookId: order.bookId, customerId: order.customerId, rating: review.rating, content: review.content },
    });
    await tx.outboxEvent.create({
      data: events.record(ReviewWritten, {
        reviewId: written.id, orderId: written.orderId, bookId: written.bookId, customerId: written.customerId,
        rating: written.rating, content: written.content,
      }, { ...meta, orderId: written.orderId }),
    });
    return written;
  });
}
