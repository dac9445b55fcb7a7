import { BulkheadRejectedError, bulkhead } from 'cockatiel';
import { DomainError } from '@bookshop/runtime';
import { refusal } from './domain/order-metrics.js';

/**
 * At most `concurrent` sagas run at once; the rest wait their turn, up to `queued`, and beyond
 * that are refused at once with SERVICE_UNAVAILABLE. A saga's stock call has a 500 ms budget, and
 * it is this process's own event loop that reads book's answer: a hundred sagas at once would
 * keep it so busy that answers wait past the budget. Waiting here costs no budget.
 */
export function sagaAdmission(concurrent = 16, queued = 2_000) {
  const limit = bulkhead(concurrent, queued);
  return async <T>(saga: () => Promise<T>): Promise<T> => {
    try {
      return await limit.execute(saga);
    } catch (error) {
      if (error instanceof BulkheadRejectedError) {
        throw refusal(
          new DomainError('SERVICE_UNAVAILABLE', 'The shop is taking many orders right now. Please try again in a moment.', {
            retryAfterSeconds: 1,
          }),
        );
      }
      throw error;
    }
  };
}
