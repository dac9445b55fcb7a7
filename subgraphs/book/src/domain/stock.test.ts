import { randomUUID } from 'node:crypto';
import { createPostgresTestDatabase, type TestDatabase } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBookDatabase, type BookDatabase } from '../database.js';
import { registerBook, restockBook } from './catalogue.js';
import { releaseStock, reserveStock } from './stock.js';

let database: TestDatabase;
let db: BookDatabase;

beforeAll(async () => {
  database = await createPostgresTestDatabase('book');
  db = createBookDatabase(database.url);
});
afterAll(async () => {
  await db.$disconnect();
  await database.drop();
});

const newBook = (stock: number) => registerBook(db, { title: `Book ${randomUUID()}`, author: 'A. Author', publisher: 'P', stock });
const stockOf = async (id: string) => (await db.book.findUniqueOrThrow({ where: { id } })).stock;

describe('reserveStock', () => {
  it('takes the copies once when the same order reserves twice, even at the same instant', async () => {
    const book = await newBook(5);
    const orderId = randomUUID();
    const results = await Promise.all([1, 2, 3].map(() => reserveStock(db, orderId, book.title, 2)));
    expect(results.map((r) => r.status)).toEqual(['RESERVED', 'RESERVED', 'RESERVED']);
    expect(await stockOf(book.id)).toBe(3);
    await reserveStock(db, orderId, book.title, 2);
    expect(await stockOf(book.id)).toBe(3);
  });

  it('never lets stock go below zero: 30 concurrent orders of 1 against 7 copies place exactly 7', async () => {
    const book = await newBook(7);
    const outcomes = await Promise.allSettled(Array.from({ length: 30 }, () => reserveStock(db, randomUUID(), book.title, 1)));
    const placed = outcomes.filter((o) => o.status === 'fulfilled').length;
    const refused = outcomes.filter((o) => o.status === 'rejected' && o.reason.code === 'OUT_OF_STOCK').length;
    expect([placed, refused]).toEqual([7, 23]);
    expect(await stockOf(book.id)).toBe(0);
    expect(await db.stockReservation.count({ where: { bookId: book.id } })).toBe(7);
  });

  it('refuses more copies than in stock and changes nothing', async () => {
    const book = await newBook(2);
    const orderId = randomUUID();
    await expect(reserveStock(db, orderId, book.title, 3)).rejects.toMatchObject({ code: 'OUT_OF_STOCK' });
    expect(await stockOf(book.id)).toBe(2);
    expect(await db.stockReservation.findUnique({ where: { orderId } })).toBeNull();
  });

  it('refuses an unknown title with BOOK_NOT_FOUND', async () => {
    await expect(reserveStock(db, randomUUID(), 'No such book', 1)).rejects.toMatchObject({ code: 'BOOK_NOT_FOUND' });
  });
});

describe('releaseStock', () => {
  it('gives the copies back exactly once, however often it is called', async () => {
    const book = await newBook(4);
    const orderId = randomUUID();
    await reserveStock(db, orderId, book.title, 3);
    await Promise.all([releaseStock(db, orderId), releaseStock(db, orderId), releaseStock(db, orderId)]);
    await releaseStock(db, orderId);
    expect(await stockOf(book.id)).toBe(4);
  });

  it('leaves a tombstone for an order never reserved, so a late reservation is refused', async () => {
    const book = await newBook(4);
    const orderId = randomUUID();
    expect((await releaseStock(db, orderId)).status).toBe('RELEASED');
    await expect(reserveStock(db, orderId, book.title, 1)).rejects.toMatchObject({ code: 'RESERVATION_RELEASED' });
    expect(await stockOf(book.id)).toBe(4);
  });
});

describe('a release racing the reservation of the same order', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('always ends released with every copy back, whichever commits first (400 pairs fired within ±6 ms)', async () => {
    const book = await newBook(1_000_000);
    const pairs = Array.from({ length: 400 }, () => ({ orderId: randomUUID(), offset: Math.round(Math.random() * 12) - 6 }));
    const answers: Array<{ orderId: string; released: string }> = [];
    // Eight pairs at a time, so each pair really overlaps on the database rather than queueing.
    for (let i = 0; i < pairs.length; i += 8) {
      await Promise.all(
        pairs.slice(i, i + 8).map(async ({ orderId, offset }) => {
          const reserve = sleep(Math.max(0, offset))
            .then(() => reserveStock(db, orderId, book.title, 1))
            .catch(() => null);
          const release = sleep(Math.max(0, -offset)).then(() => releaseStock(db, orderId));
          const [, released] = await Promise.all([reserve, release]);
          answers.push({ orderId, released: released.status });
        }),
      );
    }
    // Release answers "released" only when it is so, and no copy stays held by a released order.
    expect(answers.filter((answer) => answer.released !== 'RELEASED')).toEqual([]);
    const held = await db.stockReservation.findMany({ where: { orderId: { in: pairs.map((p) => p.orderId) }, status: 'RESERVED' } });
    expect(held.map((row) => row.orderId)).toEqual([]);
    expect(await stockOf(book.id)).toBe(1_000_000);
  }, 120_000);
});

describe('restockBook', () => {
  it('refuses to take stock past its bound of 1,000,000,000 copies and changes nothing', async () => {
    const book = await newBook(999_999_500);
    await expect(restockBook(db, book.id, 501)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(await stockOf(book.id)).toBe(999_999_500);
    expect((await restockBook(db, book.id, 500)).stock).toBe(1_000_000_000);
  });

  it('answers BOOK_NOT_FOUND for an unknown book', async () => {
    await expect(restockBook(db, randomUUID(), 1)).rejects.toMatchObject({ code: 'BOOK_NOT_FOUND' });
  });
});
