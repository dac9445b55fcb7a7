import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  TaskCancelledError,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
  type IPolicy,
} from 'cockatiel';
import {
  DomainError,
  METRICS,
  SERVICE_TOKEN_HEADER,
  TransportError,
  gauge,
  isKnownCode,
  logger,
  postGraphQL,
  type ErrorCode,
} from '@bookshop/runtime';

/**
 * What order's synchronous calls to another subgraph share (to book for stock, to delivery to stop
 * a shipment): a circuit breaker that counts only transport failures, a GraphQL call with a
 * service token that tells the other side's business answers from faults, and the translation
 * of a refusal by the policy into SERVICE_UNAVAILABLE with a retry hint.
 */

/** Only failures of the transport count against a subgraph: a business answer is a healthy one. */
export const isTransportFailure = (error: unknown) =>
  error instanceof TransportError || error instanceof TaskCancelledError || (error as Error)?.name === 'AbortError';

/**
 * A breaker to `name` that opens after `threshold` consecutive transport failures; changes are
 * logged, and shown in bookshop_circuit_breaker_open{dependency=name}.
 */
export function transportBreaker(name: string, options: { threshold: number; halfOpenAfterMs: number }): CircuitBreakerPolicy {
  const breaker = circuitBreaker(handleWhen(isTransportFailure), {
    halfOpenAfter: options.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(options.threshold),
  });
  const open = gauge(METRICS.circuitBreakerOpen);
  open.set({ dependency: name }, 0);
  breaker.onStateChange((state) => {
    // Half-open refuses every call but its one trial: for an alert it is still open.
    open.set({ dependency: name }, state === CircuitState.Closed ? 0 : 1);
    const label = {
      [CircuitState.Closed]: 'closed',
      [CircuitState.Open]: 'open',
      [CircuitState.HalfOpen]: 'half-open',
      [CircuitState.Isolated]: 'isolated',
    }[state];
    logger.warn({ breaker: name, state: label }, `circuit breaker to ${name} is now ${label}`);
  });
  return breaker;
}

export interface SubgraphCaller {
  /**
   * Runs one operation through `policy` and answers its `field`. A business answer (one of the
   * caller's `businessCodes`) rejects with that DomainError; anything else unexpected is a
   * TransportError (the outcome is unknown). `nullable` lets a null field be an answer.
   */
  call<T>(policy: IPolicy, query: string, variables: Record<string, unknown>, field: string, nullable?: boolean): Promise<T>;
}

export function subgraphCaller(options: {
  url: string;
  token: () => Promise<string>;
  businessCodes: readonly ErrorCode[];
}): SubgraphCaller {
  const business: ReadonlySet<string> = new Set(options.businessCodes);
  return {
    async call<T>(policy: IPolicy, query: string, variables: Record<string, unknown>, field: string, nullable = false): Promise<T> {
      const token = await options.token();
      return policy.execute(async ({ signal }) => {
        const response = await postGraphQL<Record<string, T>>(
          options.url,
          { query, variables },
          { headers: { [SERVICE_TOKEN_HEADER]: token }, signal },
        );
        const error = response.errors?.[0];
        const code = error?.extensions?.code;
        if (typeof code === 'string' && business.has(code) && isKnownCode(code)) throw new DomainError(code, error?.message ?? code);
        const data = response.data?.[field];
        if (!error && nullable && data === null) return data as T;
        if (error || !data) throw new TransportError(`${options.url} answered ${field} without data: ${error?.message ?? 'no data'}`);
        return data;
      });
    },
  };
}

/** A call the policy refused before it left (open breaker, full bulkhead), as the customer's answer; null otherwise. */
export function refusedByPolicy(
  error: unknown,
  messages: { breakerOpen: string; busy?: string },
  halfOpenAfterMs: number,
): DomainError | null {
  if (error instanceof BrokenCircuitError) {
    return new DomainError('SERVICE_UNAVAILABLE', messages.breakerOpen, { retryAfterSeconds: Math.ceil(halfOpenAfterMs / 1000) });
  }
  if (error instanceof BulkheadRejectedError)
    return new DomainError('SERVICE_UNAVAILABLE', messages.busy ?? 'The shop is busy right now. Please try again in a moment.', {
      retryAfterSeconds: 1,
    });
  return null;
}
