import { ExponentialBackoff, TimeoutStrategy, bulkhead, handleWhen, retry, timeout, wrap, type IPolicy } from 'cockatiel';
import { DomainError, TransportError, crashAt } from '@bookshop/runtime';
import { StockOutcomeUnknown, type HeldStock, type StockReservations } from './domain/stock-reservations.js';
import { refusedByPolicy, subgraphCaller, transportBreaker } from './remote-subgraph.js';

export interface StockClientOptions {
  /** The book subgraph's own URL: the call does not go through the router. */
  bookUrl: string;
  token: () => Promise<string>;
  /** One budget for the whole call, retries included (the seed's Hystrix setting). */
  timeoutMs?: number;
  /** Consecutive transport failures or timeouts that open the breaker. */
  breakerThreshold?: number;
  breakerHalfOpenAfterMs?: number;
  /**
   * Calls in flight at once, and calls that may wait for a slot, before refusing at once. Time
   * waiting for a slot is outside the call's budget; fewer calls in flight than book has database
   * connections keeps book's own queue (inside the budget) short.
   */
  maxConcurrent?: number;
  maxQueued?: number;
}

const RESERVE = `mutation ReserveStock($orderId: ID!, $title: String!, $quantity: Int!) {
  reserveStock(orderId: $orderId, title: $title, quantity: $quantity) { bookId }
}`;
const RELEASE = `mutation ReleaseStock($orderId: ID!) { releaseStock(orderId: $orderId) { status } }`;
const FIND = `query StockReservation($orderId: ID!) { stockReservation(orderId: $orderId) { bookId quantity status } }`;

/** Book's business answers: the call worked and nothing is held. Any other refusal is a fault. */
const BUSINESS_ANSWERS = ['OUT_OF_STOCK', 'BOOK_NOT_FOUND', 'RESERVATION_RELEASED', 'INVALID_INPUT'] as const;

/**
 * order → book over HTTP/GraphQL through one cockatiel policy: bulkhead → circuit breaker →
 * timeout (one budget for the call) → retry (connection refused only; both operations are
 * idempotent by order id). An open breaker or a full bulkhead refuses at once with
 * SERVICE_UNAVAILABLE and a retry hint; a timeout or a lost connection is an unknown outcome.
 */
export function createStockClient(options: StockClientOptions): StockReservations & { breaker: { state: unknown } } {
  const halfOpenAfter = options.breakerHalfOpenAfterMs ?? 5_000;
  const breaker = transportBreaker('book', { threshold: options.breakerThreshold ?? 5, halfOpenAfterMs: halfOpenAfter });
  const book = subgraphCaller({ url: options.bookUrl, token: options.token, businessCodes: BUSINESS_ANSWERS });

  const reservePolicy: IPolicy = wrap(
    bulkhead(options.maxConcurrent ?? 8, options.maxQueued ?? 1_000),
    breaker,
    timeout(options.timeoutMs ?? 500, TimeoutStrategy.Aggressive),
    retry(
      handleWhen((error) => error instanceof TransportError && error.connectionRefused),
      {
        maxAttempts: 2,
        backoff: new ExponentialBackoff({ initialDelay: 25, maxDelay: 100 }),
      },
    ),
  );
  // Compensation must not be refused by the breaker it cleans up after: it has its own budget,
  // and releasing is safe to repeat.
  const releasePolicy: IPolicy = wrap(
    timeout(2_000, TimeoutStrategy.Aggressive),
    retry(
      handleWhen((error) => error instanceof TransportError),
      {
        maxAttempts: 3,
        backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 400 }),
      },
    ),
  );
  // The reconciler's question goes through the breaker: a book known to be down is not asked, and
  // once the breaker half-opens the question is as good a trial call as an order.
  const findPolicy: IPolicy = wrap(breaker, releasePolicy);

  function translate(error: unknown): never {
    const refused = refusedByPolicy(
      error,
      {
        breakerOpen: 'Ordering is paused for a moment: the catalogue is not answering. Please try again shortly.',
        busy: 'The shop is busy right now. Please try again in a moment.',
      },
      halfOpenAfter,
    );
    if (refused) throw refused;
    if (error instanceof DomainError) throw error;
    throw new StockOutcomeUnknown(`reserving stock failed: ${(error as Error).message}`, { cause: error });
  }

  return {
    breaker,
    async reserve(request) {
      let reserved: { bookId: string };
      try {
        reserved = await book.call<{ bookId: string }>(reservePolicy, RESERVE, { ...request }, 'reserveStock');
      } catch (error) {
        return translate(error);
      }
      crashAt('order.after-reserve');
      return reserved;
    },
    async release(orderId) {
      return (await book.call<{ status: HeldStock['status'] }>(releasePolicy, RELEASE, { orderId }, 'releaseStock')).status;
    },
    find(orderId) {
      return book.call<HeldStock | null>(findPolicy, FIND, { orderId }, 'stockReservation', true);
    },
  };
}
