import type { OutboxWriter } from '@bookshop/events';
import { DomainError, batched, bounds, parseInput, requireRole, type GraphQLResolverMap, type ServiceContext } from '@bookshop/runtime';
import { z } from 'zod';
import type { Review, ReviewDatabase } from './database.js';
import {
  canSeeReviewedOrder,
  findReview,
  findReviewsOfOrders,
  listReviewsOfBooks,
  reviewOfOrderFor,
  writeReview,
} from './domain/reviews.js';

const writeReviewInput = z.object({ orderId: z.string().min(1).max(100), rating: bounds.rating, content: bounds.reviewContent });
/**
 * A malformed id names no order and no review. Checked before any query: Prisma's engine fails on
 * some strings (an unpaired surrogate) with an error, not an answer.
 */
const isId = (id: string) => bounds.id.safeParse(id).success;

export function createResolvers(db: ReviewDatabase, events: OutboxWriter): GraphQLResolverMap<ServiceContext> {
  // An entity fetch brings many books (or orders) at once: one query for all of them.
  const reviewsOfBook = batched((bookIds: string[]) => listReviewsOfBooks(db, bookIds));
  const reviewOfOrder = batched((orderIds: string[]) => findReviewsOfOrders(db, orderIds));
  return {
    Query: {
      review: (_: unknown, { id }: { id: string }) => (isId(id) ? findReview(db, id) : null),
    },
    Mutation: {
      writeReview: async (_: unknown, { input }: { input: unknown }, { viewer, request }: ServiceContext) => {
        const customer = requireRole(viewer, 'customer');
        const parsed = parseInput(writeReviewInput, input);
        if (!isId(parsed.orderId)) throw new DomainError('ORDER_NOT_FOUND', 'There is no such order.');
        const review = await writeReview(db, events, customer, parsed, request);
        events.written();
        return review;
      },
    },
    Review: {
      __resolveReference: ({ id }: { id: string }) => findReview(db, id),
      order: (review: Review, _: unknown, { viewer }: ServiceContext) =>
        canSeeReviewedOrder(review, viewer) ? { __typename: 'Order', id: review.orderId } : null,
      book: (review: Review) => ({ __typename: 'Book', id: review.bookId }),
    },
    Order: {
      review: async ({ id }: { id: string }, _: unknown, { viewer }: ServiceContext) =>
        reviewOfOrderFor((await reviewOfOrder(id)) ?? null, viewer),
    },
    Book: {
      reviews: async ({ id }: { id: string }) => (await reviewsOfBook(id)) ?? [],
    },
  };
}
