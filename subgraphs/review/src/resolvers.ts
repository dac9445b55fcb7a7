import type { OutboxWriter } from '@bookshop/events';
import { bounds, parseInput, requireRole, type GraphQLResolverMap, type ServiceContext } from '@bookshop/runtime';
import { z } from 'zod';
import type { Review, ReviewDatabase } from './database.js';
import { canSeeReviewedOrder, findReview, findReviewOfOrder, listReviewsOfBook, writeReview } from './domain/reviews.js';

const writeReviewInput = z.object({ orderId: z.string().min(1).max(100), rating: bounds.rating, content: bounds.reviewContent });

export function createResolvers(db: ReviewDatabase, events: OutboxWriter): GraphQLResolverMap<ServiceContext> {
  return {
    Query: {
      review: (_: unknown, { id }: { id: string }) => findReview(db, id),
    },
    Mutation: {
      writeReview: async (_: unknown, { input }: { input: unknown }, { viewer, request }: ServiceContext) => {
        const customer = requireRole(viewer, 'customer');
        const review = await writeReview(db, events.prefix, customer, parseInput(writeReviewInput, input), request);
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
      review: ({ id }: { id: string }) => findReviewOfOrder(db, id),
    },
    Book: {
      reviews: ({ id }: { id: string }) => listReviewsOfBook(db, id),
    },
  };
}
