import type { Viewer } from '@bookshop/runtime';
import type { Review, ReviewDatabase } from '../database.js';

export const findReview = (db: ReviewDatabase, id: string) => db.review.findUnique({ where: { id } });

export const findReviewOfOrder = (db: ReviewDatabase, orderId: string) => db.review.findUnique({ where: { orderId } });

/** A book's reviews, oldest first. */
export const listReviewsOfBook = (db: ReviewDatabase, bookId: string) =>
  db.review.findMany({ where: { bookId }, orderBy: { createdAt: 'asc' }, take: 200 });

/** Reviews are public, the order behind one is not: its customer and staff only. */
export const canSeeReviewedOrder = (review: Review, viewer: Viewer | null) =>
  viewer?.role === 'staff' || (viewer?.role === 'customer' && viewer.subject === review.customerId);
