import { randomBytes } from 'node:crypto';
import { CUSTOMERS_PER_RUN, TITLES_PER_RUN } from './scenario.js';

/**
 * The model: only what the invariants need that the databases cannot tell — what each book was
 * given (registered and restocked copies), the orders the shop told us about, and what it
 * acknowledged. A command whose outcome is unknown (SERVICE_UNAVAILABLE, a network error) is
 * recorded as such: the checks then accept either outcome, and nothing more.
 */

/** What the shop answered to one command. */
export type Outcome<T> =
  | { kind: 'ok'; value: T }
  /** A coded refusal: the command changed nothing. */
  | { kind: 'refused'; code: string }
  /** SERVICE_UNAVAILABLE, a timeout, a dropped connection…: it may or may not have happened. */
  | { kind: 'unknown'; reason: string };

export type Certainty = 'applied' | 'unknown';

export interface BookLedger {
  title: string;
  /** Known once registerBook answered it, or found by title later. */
  id: string | null;
  /** Stock given by each registration that succeeded or may have (only one can have: titles are unique). */
  registrations: Array<{ stock: number; certainty: Certainty }>;
  restocks: Array<{ quantity: number; certainty: Certainty }>;
}

export interface KnownOrder {
  id: string;
  customer: string;
  /** The shop answered cancelOrder with the order CANCELLED. */
  cancelAcknowledged: boolean;
  /** The shop answered completeDelivery with the shipment DELIVERED. */
  deliveryAcknowledged: boolean;
  /** The rating of the review the shop accepted for it. */
  reviewAcknowledged: number | null;
}

export class RunModel {
  /** Tags this run's customers and titles: unique, so runs sharing one shop never meet. */
  readonly tag = randomBytes(4).toString('hex');
  readonly customers = Array.from({ length: CUSTOMERS_PER_RUN }, (_, i) => `model-${this.tag}-customer${i}`);
  readonly books: BookLedger[] = Array.from({ length: TITLES_PER_RUN }, (_, i) => ({
    title: `Model ${this.tag} book${i}`,
    id: null,
    registrations: [],
    restocks: [],
  }));
  /** Orders in the order the shop first named them; commands refer to them by index. */
  readonly orders: KnownOrder[] = [];
  /** Every order id answered for one customer's idempotency key. */
  readonly answersByKey = new Map<string, Set<string>>();
  /** What was fired and what came back, for the failure report. */
  readonly trace: string[] = [];

  get titles() {
    return this.books.map((book) => book.title);
  }

  orderAt(index: number): KnownOrder | undefined {
    return this.orders.length ? this.orders[index % this.orders.length] : undefined;
  }

  /** An order the shop answered with (a new one, or the earlier one of a repeated key). */
  rememberOrder(id: string, customer: string, idempotencyKey: string | null): KnownOrder {
    if (idempotencyKey !== null) {
      const key = `${customer}/${idempotencyKey}`;
      this.answersByKey.set(key, (this.answersByKey.get(key) ?? new Set()).add(id));
    }
    let known = this.orders.find((order) => order.id === id);
    if (!known) {
      known = { id, customer, cancelAcknowledged: false, deliveryAcknowledged: false, reviewAcknowledged: null };
      this.orders.push(known);
    }
    return known;
  }
}

/** `applied` for a success, `unknown` for an unknown outcome, nothing for a refusal. */
export const certaintyOf = (outcome: Outcome<unknown>): Certainty | null =>
  outcome.kind === 'ok' ? 'applied' : outcome.kind === 'unknown' ? 'unknown' : null;

export const describeOutcome = (outcome: Outcome<unknown>, ok: (value: never) => string = () => 'ok'): string =>
  outcome.kind === 'ok' ? ok(outcome.value as never) : outcome.kind === 'refused' ? outcome.code : `unknown (${outcome.reason})`;
