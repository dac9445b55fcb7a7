import type { GraphQLResolverMap, ServiceContext } from '@bookshop/runtime';
import type { Review, ReviewDatabase } from './database.js';
import { canSeeReviewedOrder, findReview, findReviewOfOrder, listReviewsOfBook } from './domain/reviews.js';

export function createResolvers(db: ReviewDatabase): GraphQLResolverMap<ServiceContext> {
  return {
    Query: {
      review: (_: unknown, { id }: { id: string }) => findReview(db, id),
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
