import {
  batched,
  bounds,
  normalizeText,
  pageArgs,
  parseInput,
  requireCaller,
  requireRole,
  type GraphQLResolverMap,
  type ServiceContext,
} from '@bookshop/runtime';
import { z } from 'zod';
import type { BookDatabase } from './database.js';
import { findBook, findBookByTitle, findBooks, listBooks, registerBook, restockBook } from './domain/catalogue.js';
import { findReservation, releaseStock, reserveStock } from './domain/stock.js';

const registerBookInput = z.object({
  title: bounds.title,
  author: bounds.author,
  publisher: bounds.publisher,
  stock: bounds.stock,
});
const restockArgs = z.object({ bookId: bounds.id, quantity: bounds.quantity });
const reserveArgs = z.object({ orderId: bounds.id, title: bounds.title, quantity: bounds.quantity });
const orderArgs = z.object({ orderId: bounds.id });

/** A malformed id names no book: answer "none" rather than an error. */
const isId = (id: string) => bounds.id.safeParse(id).success;
/** Nor does a title no book could have (empty, too long, a NUL byte PostgreSQL would choke on). */
const isTitle = (title: string) => bounds.title.safeParse(title).success;

export function createResolvers(db: BookDatabase): GraphQLResolverMap<ServiceContext> {
  const bookById = batched((ids: string[]) => findBooks(db, ids));
  return {
    Query: {
      books: (_: unknown, args: unknown) => listBooks(db, parseInput(pageArgs, args)),
      book: (_: unknown, { id }: { id: string }) => (isId(id) ? findBook(db, id) : null),
      bookByTitle: (_: unknown, { title }: { title: string }) => (isTitle(title) ? findBookByTitle(db, normalizeText(title)) : null),
      stockReservation: (_: unknown, args: unknown, { caller }: ServiceContext) => {
        requireCaller(caller, 'order');
        return findReservation(db, parseInput(orderArgs, args).orderId);
      },
    },
    Mutation: {
      registerBook: (_: unknown, { input }: { input: unknown }, { viewer }: ServiceContext) => {
        requireRole(viewer, 'staff');
        return registerBook(db, parseInput(registerBookInput, input));
      },
      restockBook: async (_: unknown, args: unknown, { viewer }: ServiceContext) => {
        requireRole(viewer, 'staff');
        const { bookId, quantity } = parseInput(restockArgs, args);
        return restockBook(db, bookId, quantity);
      },
      reserveStock: (_: unknown, args: unknown, { caller }: ServiceContext) => {
        requireCaller(caller, 'order');
        const { orderId, title, quantity } = parseInput(reserveArgs, args);
        return reserveStock(db, orderId, title, quantity);
      },
      releaseStock: (_: unknown, args: unknown, { caller }: ServiceContext) => {
        requireCaller(caller, 'order');
        return releaseStock(db, parseInput(orderArgs, args).orderId);
      },
    },
    Book: {
      __resolveReference: async (reference: { id: string }) => (isId(reference.id) ? ((await bookById(reference.id)) ?? null) : null),
    },
  };
}
