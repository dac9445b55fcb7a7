import { DomainError, type PageArgs } from '@bookshop/runtime';
import type { BookDatabase } from '../database.js';
import { Prisma } from '../generated/prisma/client.js';

export interface NewBook {
  title: string;
  author: string;
  publisher: string;
  stock: number;
}

/** Adds a book; a title already in the catalogue is refused. */
export async function registerBook(db: BookDatabase, book: NewBook) {
  try {
    return await db.book.create({ data: book });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new DomainError('BOOK_ALREADY_EXISTS', `The catalogue already has a book titled "${book.title}".`);
    }
    throw error;
  }
}

/** Adds copies with one relative update, so it never races with orders taking copies. */
export async function restockBook(db: BookDatabase, bookId: string, quantity: number) {
  const { count } = await db.book.updateMany({ where: { id: bookId }, data: { stock: { increment: quantity } } });
  if (count === 0) throw new DomainError('BOOK_NOT_FOUND', 'There is no book with that id.');
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

export const findBookByTitle = (db: BookDatabase, title: string) => db.book.findUnique({ where: { title } });
