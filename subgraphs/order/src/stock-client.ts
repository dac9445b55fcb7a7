import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { DomainError, TransportError, isKnownCode, logger, postGraphQL } from '@bookshop/runtime';
import { StockOutcomeUnknown, type HeldStock, type StockReservations } from './domain/stock-reservations.js';

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
const BUSINESS_ANSWERS = new Set(['OUT_OF_STOCK', 'BOOK_NOT_FOUND', 'RESERVATION_RELEASED', 'INVALID_INPUT']);

/** Only failures of the transport count against book: a business answer is a healthy book. */
const isTransportFailure = (error: unknown) =>
  error instanceof TransportError || error instanceof TaskCancelledError || (error as Error)?.name === 'AbortError';

/**
 * order → book over HTTP/GraphQL through one cockatiel policy: bulkhead → circuit breaker →
 * timeout (one budget for the call) → retry (connection refused only; both operations are
 * idempotent by order id). An open breaker or a full bulkhead refuses at once with
 * SERVICE_UNAVAILABLE and a retry hint; a timeout or a lost connection is an unknown outcome.
 */
export function createStockClient(options: StockClientOptions): StockReservations & { breaker: { state: unknown } } {
  const halfOpenAfter = options.breakerHalfOpenAfterMs ?? 5_000;
  const breaker = circuitBreaker(handleWhen(isTransportFailure), {
    halfOpenAfter,
    breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
  });
  breaker.onStateChange((state) => {
    const name = { [CircuitState.Closed]: 'closed', [CircuitState.Open]: 'open', [CircuitState.HalfOpen]: 'half-open', [CircuitState.Isolated]: 'isolated' }[state];
    logger.warn({ breaker: 'book', state: name }, `circuit breaker to book is now ${name}`);
  });

  const reservePolicy: IPolicy = wrap(
    bulkhead(options.maxConcurrent ?? 8, options.maxQueued ?? 1_000),
    breaker,
    timeout(options.timeoutMs ?? 500, TimeoutStrategy.Aggressive),
    retry(handleWhen((error) => error instanceof TransportError && error.connectionRefused), {
      maxAttempts: 2,
      backoff: new ExponentialBackoff({ initialDelay: 25, maxDelay: 100 }),
    }),
  );
  // Compensation must not be refused by the breaker it cleans up after: it has its own budget,
  // and releasing is safe to repeat.
  const releasePolicy: IPolicy = wrap(
    timeout(2_000, TimeoutStrategy.Aggressive),
    retry(handleWhen((error) => error instanceof TransportError), {
      maxAttempts: 3,
      backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 400 }),
    }),
  );
  // The reconciler's question goes through the breaker: a book known to be down is not asked, and
  // once the breaker half-opens the question is as good a trial call as an order.
  const findPolicy: IPolicy = wrap(breaker, releasePolicy);

  async function call<T>(policy: IPolicy, query: string, variables: Record<string, unknown>, field: string, nullable = false): Promise<T> {
    const token = await options.token();
    return policy.execute(async ({ signal }) => {
      const response = await postGraphQL<Record<string, T>>(
        options.bookUrl,
        { query, variables },
        { headers: { authorization: `Bearer ${token}` }, signal },
      );
      const error = response.errors?.[0];
      const code = error?.extensions?.code;
      if (typeof code === 'string' && BUSINESS_ANSWERS.has(code) && isKnownCode(code)) {
        throw new DomainError(code, error?.message ?? code);
      }
      const data = response.data?.[field];
      if (!error && nullable && data === null) return data as T;
      if (error || !data) throw new TransportError(`book answered ${field} without data: ${error?.message ?? 'no data'}`);
      return data;
    });
  }

  function translate(error: unknown): never {
    if (error instanceof BrokenCircuitError) {
      throw new DomainError('SERVICE_UNAVAILABLE', 'Ordering is paused for a moment: the catalogue is not answering. Please try again shortly.', {
        retryAfterSeconds: Math.ceil(halfOpenAfter / 1000),
      });
    }
    if (error instanceof BulkheadRejectedError) {
      throw new DomainError('SERVICE_UNAVAILABLE', 'The shop is busy right now. Please try again in a moment.', {
        retryAfterSeconds: 1,
      });
    }
    if (error instanceof DomainError) throw error;
    throw new StockOutcomeUnknown(`reserving stock failed: ${(error as Error).message}`, { cause: error });
  }

  return {
    breaker,
    async reserve(request) {
      try {
        return await call<{ bookId: string }>(reservePolicy, RESERVE, { ...request }, 'reserveStock');
      } catch (error) {
        return translate(error);
      }
    },
    async release(orderId) {
      await call(releasePolicy, RELEASE, { orderId }, 'releaseStock');
    },
    find(orderId) {
      return call<HeldStock | null>(findPolicy, FIND, { orderId }, 'stockReservation', true);
    },
  };
}
