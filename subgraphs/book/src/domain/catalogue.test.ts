import { randomUUID } from 'node:crypto';
import { createPostgresTestDatabase, type TestDatabase } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBookDatabase, type BookDatabase } from '../database.js';
import { findBookByTitle, registerBook } from './catalogue.js';
import { reserveStock } from './stock.js';

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

const book = (title: string, stock = 5) => registerBook(db, { title, author: 'F. Herbert', publisher: 'Chilton', stock });
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ACCEPTED',
    (error: { code?: string }) => error.code,
  );
const fullwidth = (text: string) =>
  [...text].map((c) => (c === ' ' ? '\u3000' : String.fromCodePoint(c.codePointAt(0)! + 0xfee0))).join('');

describe('book titles are unique as they are compared, not as they are typed', () => {
  it('refuses a fullwidth, upper-case, ligature or spaced-out look-alike of a title with BOOK_ALREADY_EXISTS', async () => {
    const title = `Dune ${randomUUID().slice(0, 8)} fire`;
    await book(title);
    for (const lookAlike of [
      fullwidth(title),
      title.toUpperCase(),
      title.replace('fi', '\ufb01'),
      title.replace(' ', '  '),
      title.replace(' ', '\u00a0'),
    ]) {
      expect(await codeOf(book(lookAlike)), JSON.stringify(lookAlike)).toBe('BOOK_ALREADY_EXISTS');
    }
    expect(await db.book.count({ where: { title: { contains: title.slice(5, 13), mode: 'insensitive' } } })).toBe(1);
  });

  it('names the registered title the look-alike matched', async () => {
    const title = `Children ${randomUUID().slice(0, 8)}`;
    await book(title);
    await expect(book(fullwidth(title))).rejects.toThrow(`already has a book titled "${title}", which "${fullwidth(title)}" matches`);
  });

  it('finds a book by any look-alike of its title, and reserves its copies by one', async () => {
    const title = `Messiah ${randomUUID().slice(0, 8)}`;
    const registered = await book(title, 3);
    expect((await findBookByTitle(db, fullwidth(title)))?.id).toBe(registered.id);
    expect((await findBookByTitle(db, title.toLowerCase()))?.id).toBe(registered.id);
    const reservation = await reserveStock(db, randomUUID(), fullwidth(title.toUpperCase()), 2);
    expect(reservation.bookId).toBe(registered.id);
    expect((await db.book.findUniqueOrThrow({ where: { id: registered.id } })).stock).toBe(1);
  });

  it('stores the title as registered, its key beside it', async () => {
    const title = `Ｈｅｒｅｔｉｃｓ ${randomUUID().slice(0, 8)}`;
    const registered = await book(title);
    expect(registered.title).toBe(title);
    expect(registered.titleKey).toBe(`heretics ${title.slice(-8)}`);
  });

  it('refuses with INVALID_INPUT a short title whose key is too long to index safely', async () => {
    // U+FDFA spells out as 18 characters under NFKC: 150 of them are 2,700 characters of key.
    expect(await codeOf(book('\ufdfa'.repeat(150)))).toBe('INVALID_INPUT');
  });
});
