/**
 * What the order saga needs from the book context. The implementation is a synchronous call
 * (stock-client.ts); the saga only knows these outcomes:
 * - resolves: the copies are held for the order;
 * - rejects with a DomainError: book answered (OUT_OF_STOCK, BOOK_NOT_FOUND) or the call was
 *   refused before it left (SERVICE_UNAVAILABLE) — either way nothing is held;
 * - rejects with StockOutcomeUnknown: the call may or may not have reserved (timeout, lost
 *   connection), so the saga must compensate.
 */
export interface StockReservations {
  reserve(request: { orderId: string; title: string; quantity: number }): Promise<{ bookId: string }>;
  /** Book's answer: the reservation's status after the release ('RELEASED' when it is done). */
  release(orderId: string): Promise<HeldStock['status']>;
  /** What book holds for an order, or null if book has never seen it (the reconciler asks). */
  find(orderId: string): Promise<HeldStock | null>;
}

export interface HeldStock {
  bookId: string | null;
  quantity: number;
  status: 'RESERVED' | 'RELEASED';
}

export class StockOutcomeUnknown extends Error {
  override name = 'StockOutcomeUnknown';
}
