import { randomUUID } from 'node:crypto';
import { graphql, queryRows, tokenFor, type GraphQLResult } from '@bookshop/testing';
import type { TestShop } from './shop.js';

const REGISTER_BOOK = `mutation RegisterBook($input: RegisterBookInput!) { registerBook(input: $input) { id title stock } }`;
const PLACE_ORDER = `mutation PlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id status quantity } }`;

/** Staff registers a book with a fresh title. */
export async function registerBook(shop: TestShop, stock: number, title = `Book ${randomUUID()}`) {
  const result = await graphql(
    shop.url,
    REGISTER_BOOK,
    { input: { title, author: 'Ann Author', publisher: 'Test Press', stock } },
    { token: await tokenFor('staff', 'staff-1') },
  );
  if (result.errors) throw new Error(`registerBook failed: ${JSON.stringify(result.errors)}`);
  return result.data!.registerBook as { id: string; title: string; stock: number };
}

/** placeOrder as a customer would send it; `timeoutMs` turns a hung request into a failure; `headers` go along (a traceparent). */
export function placeOrder(
  url: string,
  token: string,
  input: { title: string; quantity: number; address?: string; idempotencyKey?: string },
  options: { timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<GraphQLResult> {
  return graphql(
    url,
    PLACE_ORDER,
    { input: { address: '1 Test Street', ...input } },
    {
      token,
      ...(options.timeoutMs ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    },
  );
}

export interface StockLedger {
  stock: number;
  /** Copies of PLACED and DELIVERED orders (a cancelled order's copies are back in stock). */
  placedQuantity: number;
  placedOrders: number;
  pendingOrders: number;
  /** Copies book holds in RESERVED reservations (placed, delivered, or not yet decided orders). */
  reservedQuantity: number;
}

/** Book's and order's own records for one title, read from their databases. */
export async function stockLedger(shop: TestShop, title: string): Promise<StockLedger> {
  const [book] = await queryRows<{ id: string; stock: number }>(shop.databases.book.url, `SELECT id, stock FROM "Book" WHERE title = $1`, [
    title,
  ]);
  const [reserved] = await queryRows<{ quantity: number }>(
    shop.databases.book.url,
    `SELECT COALESCE(SUM(quantity), 0)::int AS quantity FROM "StockReservation" WHERE "bookId" = $1 AND status = 'RESERVED'`,
    [book!.id],
  );
  const [orders] = await queryRows<{ placed_quantity: number; placed: number; pending: number }>(
    shop.databases.order.url,
    `SELECT COALESCE(SUM(quantity) FILTER (WHERE status IN ('PLACED', 'DELIVERED')), 0)::int AS placed_quantity,
            COUNT(*) FILTER (WHERE status IN ('PLACED', 'DELIVERED'))::int AS placed,
            COUNT(*) FILTER (WHERE status = 'PENDING')::int AS pending
       FROM "Order" WHERE title = $1`,
    [title],
  );
  return {
    stock: book!.stock,
    placedQuantity: orders!.placed_quantity,
    placedOrders: orders!.placed,
    pendingOrders: orders!.pending,
    reservedQuantity: reserved!.quantity,
  };
}
