import Database from 'better-sqlite3';
import { queryRows } from '@bookshop/testing';
import type { TestShop } from '../support/shop.js';

/**
 * The real state of one run's books and orders, read straight from each context's own database
 * (PostgreSQL for book, order and delivery; the SQLite files of review and my page) — never from
 * the model, never through a cache.
 */

export interface BookRow {
  id: string;
  title: string;
  stock: number;
}
export interface OrderRow {
  id: string;
  customerId: string;
  title: string;
  quantity: number;
  status: string;
  idempotencyKey: string | null;
}
export interface ReservationRow {
  orderId: string;
  quantity: number;
  status: string;
}
export interface DeliveryRow {
  id: string;
  orderId: string;
  status: string;
}
export interface ReviewRow {
  id: string;
  orderId: string;
  customerId: string;
  rating: number;
}
export interface MyPageRow {
  orderId: string;
  customerId: string;
  orderStatus: string;
  deliveryStatus: string | null;
  reviewRating: number | null;
}

export interface ShopState {
  books: BookRow[];
  orders: OrderRow[];
  /** Book's reservations of those orders. */
  reservations: ReservationRow[];
  deliveries: DeliveryRow[];
  reviews: ReviewRow[];
  myPage: MyPageRow[];
}

/** Rows of a SQLite database of the shop, opened read-only for one query. */
export function sqliteRows<T>(url: string, sql: string, values: unknown[] = []): T[] {
  const database = new Database(url.replace(/^file:/, ''), { readonly: true, fileMustExist: true });
  try {
    return database.prepare(sql).all(...values) as T[];
  } finally {
    database.close();
  }
}

const placeholders = (values: unknown[]) => values.map(() => '?').join(', ');

export async function readShopState(shop: TestShop, run: { customers: string[]; titles: string[] }): Promise<ShopState> {
  const { databases } = shop;
  const [books, orders] = await Promise.all([
    queryRows<BookRow & Record<string, unknown>>(databases.book.url, `SELECT id::text, title, stock FROM "Book" WHERE title = ANY($1)`, [
      run.titles,
    ]),
    queryRows<OrderRow & Record<string, unknown>>(
      databases.order.url,
      `SELECT id::text, "customerId", title, quantity, status::text, "idempotencyKey" FROM "Order" WHERE "customerId" = ANY($1)`,
      [run.customers],
    ),
  ]);
  const orderIds = orders.map((order) => order.id);
  const [reservations, deliveries] = await Promise.all([
    queryRows<ReservationRow & Record<string, unknown>>(
      databases.book.url,
      `SELECT "orderId", quantity, status::text FROM "StockReservation" WHERE "orderId" = ANY($1)`,
      [orderIds],
    ),
    queryRows<DeliveryRow & Record<string, unknown>>(
      databases.delivery.url,
      `SELECT id::text, "orderId"::text, status::text FROM "Delivery" WHERE "orderId" = ANY($1::uuid[])`,
      [orderIds],
    ),
  ]);
  const reviews = sqliteRows<ReviewRow>(
    databases.review.url,
    `SELECT id, orderId, customerId, rating FROM Review WHERE customerId IN (${placeholders(run.customers)})`,
    run.customers,
  );
  const myPage = sqliteRows<MyPageRow>(
    databases.mypage.url,
    `SELECT orderId, customerId, orderStatus, deliveryStatus, reviewRating FROM MyPageEntry WHERE customerId IN (${placeholders(run.customers)})`,
    run.customers,
  );
  return { books, orders, reservations, deliveries, reviews, myPage };
}
