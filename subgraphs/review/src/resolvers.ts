import type { OutboxWriter } from '@bookshop/events';
import { batched, bounds, parseInput, requireRole, type GraphQLResolverMap, type ServiceContext } from '@bookshop/runtime';
import { z } from 'zod';
import type { Review, ReviewDatabase } from './database.js';
import { canSeeReviewedOrder, findReview, findReviewsOfOrders, listReviewsOfBooks, writeReview } from './domain/reviews.js';

const writeReviewInput = z.object({ orderId: z.string().min(1).max(100), rating: bounds.rating, content: bounds.reviewContent });

export function createResolvers(db: ReviewDatabase, events: OutboxWriter): GraphQLResolverMap<ServiceContext> {
  // An entity fetch brings many books (or orders) at once: one query for all of them.
  const reviewsOfBook = batched((bookIds: string[]) => listReviewsOfBooks(db, bookIds));
  const reviewOfOrder = batched((orderIds: string[]) => findReviewsOfOrders(db, orderIds));
  return {
    Query: {
      review: (_: unknown, { id }: { id: string }) => findReview(db, id),
    },
    Mutation: {
      writeReview: async (_: unknown, { input }: { input: unknown }, { viewer, request }: ServiceContext) => {
        const customer = requireRole(viewer, 'customer');
        const review = await writeReview(db, events, customer, parseInput(writeReviewInput, input), request);
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
      review: async ({ id }: { id: string }) => (await reviewOfOrder(id)) ?? null,
    },
    Book: {
      reviews: async ({ id }: { id: string }) => (await reviewsOfBook(id)) ?? [],
    },
  };
}
