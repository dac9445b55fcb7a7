import { METRICS, counter, logger, type DomainError } from '@bookshop/runtime';

const placed = counter(METRICS.ordersPlaced);
const refused = counter(METRICS.ordersRefused);

/** An order became PLACED (the saga's or the reconciler's decision, each order once). */
export const countPlaced = (): void => void placed.inc();

/**
 * A new order was refused: counted by the code the customer is answered (a fixed set, never the
 * order or the customer) and logged with the request's trace, then handed back to be thrown.
 */
export function refusal<E extends DomainError>(error: E): E {
  refused.inc({ reason: error.code });
  logger.info({ reason: error.code }, 'order refused');
  return error;
}
