import { randomUUID } from 'node:crypto';
import { createSqliteTestDatabase, type TestDatabase } from '@bookshop/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openReviewDatabase, type ReviewDatabase } from '../database.js';
import { listReviewsOfBooks } from './reviews.js';

let database: TestDatabase;
let db: ReviewDatabase;
beforeAll(async () => {
  database = createSqliteTestDatabase('review');
  db = await openReviewDatabase(database.url);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

async function writeReviews(bookId: string, count: number): Promise<string[]> {
  const start = Date.now() - count * 1_000;
  const rows = Array.from({ length: count }, (_, n) => ({
    id: randomUUID(),
    orderId: randomUUID(),
    bookId,
    customerId: 'alice',
    rating: 5,
    content: `review ${n}`,
    createdAt: new Date(start + n * 1_000),
  }));
  await db.review.createMany({ data: rows });
  return rows.map((row) => row.id);
}

it("lists several books' reviews at once: each book's oldest first, at most 200 each", async () => {
  const [few, many, none] = [randomUUID(), randomUUID(), randomUUID()];
  const fewIds = await writeReviews(few, 3);
  const manyIds = await writeReviews(many, 205);
  const reviews = await listReviewsOfBooks(db, [few, many, none]);
  expect(reviews.get(few)?.map((review) => review.id)).toEqual(fewIds);
  expect(reviews.get(many)?.map((review) => review.id)).toEqual(manyIds.slice(0, 200));
  expect(reviews.get(none)).toBeUndefined();
});
