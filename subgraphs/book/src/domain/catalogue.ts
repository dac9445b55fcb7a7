import { DomainError, isUniqueViolation, type PageArgs } from '@bookshop/runtime';
import type { BookDatabase } from '../database.js';
import { storableTitleKey, titleKey } from './title-key.js';

export interface NewBook {
  title: string;
  author: string;
  publisher: string;
  stock: number;
}

/**
 * Adds a book; a title already in the catalogue is refused, also as a look-alike of one (the
 * unique title key, title-key.ts), and the refusal names the title it matched.
 */
export async function registerBook(db: BookDatabase, book: NewBook) {
  const key = storableTitleKey(book.title);
  try {
    return await db.book.create({ data: { ...book, titleKey: key } });
  } catch (error) {
    if (isUniqueViolation(error)) {
      const existing = await db.book.findUnique({ where: { titleKey: key }, select: { title: true } });
      const matched = existing && existing.title !== book.title ? `, which "${book.title}" matches` : '';
      throw new DomainError('BOOK_ALREADY_EXISTS', `The catalogue already has a book titled "${existing?.title ?? book.title}"${matched}.`);
    }
    throw error;
  }
}

/** The most copies a book may hold (the stock bound every context shares). */
const MAX_STOCK = 1_000_000_000;

/**
 * Adds copies with one relative update, so it never races with orders taking copies; the bound is
 * in the same conditional update, so two restocks cannot pass it together.
 */
export async function restockBook(db: BookDatabase, bookId: string, quantity: number) {
  const { count } = await db.book.updateMany({
    where: { id: bookId, stock: { lte: MAX_STOCK - quantity } },
    data: { stock: { increment: quantity } },
  });
  if (count === 0) {
    const book = await findBook(db, bookId);
    if (!book) throw new DomainError('BOOK_NOT_FOUND', 'There is no book with that id.');
    throw new DomainError('INVALID_INPUT', `A book holds at most 1,000,000,000 copies; this one has ${book.stock}.`, {
      fields: ['quantity'],
    });
  }
  return db.book.findUniqueOrThrow({ where: { id: bookId } });
}

/** Ids are time-ordered (UUIDv7), so ordering by id is a stable, oldest-first order. */
export function listBooks(db: BookDatabase, page: PageArgs) {
  return db.book.findMany({
    where: page.after ? { id: { gt: page.after } } : {},
    orderBy: { id: 'asc' },
    take: page.first,
  });
}

export const findBook = (db: BookDatabase, id: string) => db.book.findUnique({ where: { id } });

/** Several books by id in one query (an entity fetch asks for many). */
export async function findBooks(db: BookDatabase, ids: string[]) {
  const books = await db.book.findMany({ where: { id: { in: ids } } });
  return new Map(books.map((book) => [book.id, book]));
}

/** The book whose title matches `title` as titles are compared (title-key.ts): "dune" finds "Dune". */
export const findBookByTitle = (db: BookDatabase, title: string) => db.book.findUnique({ where: { titleKey: titleKey(title) } });
