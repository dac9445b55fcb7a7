import fc from 'fast-check';
import { CONTEXT_NAMES, type ContextName } from '@bookshop/contexts';

/**
 * What fast-check generates: a scenario of commands as plain data. Commands name books,
 * customers and orders by small indexes, resolved against the run's model when they are fired,
 * so a shrunk scenario still means something (an index past the end wraps around; a command on
 * an order the model does not know yet is skipped).
 */

/** Each run has its own customers and titles, so runs on one shop never see each other's data. */
export const CUSTOMERS_PER_RUN = 3;
/** All but the last title are registered by the scenario's opening; the last only by a later command. */
export const TITLES_PER_RUN = 4;
/** Idempotency keys per customer: few, so that keys repeat. */
const KEYS_PER_CUSTOMER = 2;

export type Action =
  | { kind: 'registerBook'; book: number; stock: number }
  | { kind: 'restockBook'; book: number; quantity: number }
  | { kind: 'placeOrder'; customer: number; book: number; quantity: number; idempotencyKey: number | null }
  | { kind: 'cancelOrder'; order: number }
  | { kind: 'completeDelivery'; order: number }
  /** The order's customer cancels and the courier completes its shipment in the same instant. */
  | { kind: 'cancelAndCompleteAtOnce'; order: number }
  | { kind: 'writeReview'; order: number; rating: number };

/** Commands fired together (concurrently); optionally one service restarted while they run. */
export interface Step {
  actions: Action[];
  restart: ContextName | null;
}

export type Scenario = Step[];

export function describeAction(action: Action): string {
  switch (action.kind) {
    case 'registerBook':
      return `registerBook(book${action.book}, stock ${action.stock})`;
    case 'restockBook':
      return `restockBook(book${action.book}, +${action.quantity})`;
    case 'placeOrder':
      return `placeOrder(customer${action.customer}, book${action.book}, ×${action.quantity}${action.idempotencyKey === null ? '' : `, key k${action.idempotencyKey}`})`;
    case 'cancelOrder':
    case 'completeDelivery':
    case 'cancelAndCompleteAtOnce':
      return `${action.kind}(order#${action.order})`;
    case 'writeReview':
      return `writeReview(order#${action.order}, ${action.rating}★)`;
  }
}

export const describeStep = (step: Step) =>
  `[ ${step.actions.map(describeAction).join(' ‖ ')} ]${step.restart ? ` while restarting ${step.restart}` : ''}`;

/** fast-check prints a counterexample with this, so a failing scenario reads as commands. */
const printable = <T extends object>(value: T, describe: (value: T) => string): T => {
  // A copy: shrinking maps the same generated value again.
  const copy = { ...value };
  return Object.defineProperty(copy, fc.toStringMethod, { value: () => describe(copy), enumerable: false });
};

const book = fc.integer({ min: 0, max: TITLES_PER_RUN - 1 });
const customer = fc.integer({ min: 0, max: CUSTOMERS_PER_RUN - 1 });
const order = fc.nat({ max: 20 });

const registerBook = fc.record({ kind: fc.constant('registerBook' as const), book, stock: fc.integer({ min: 0, max: 8 }) });

const action: fc.Arbitrary<Action> = fc
  .oneof(
    { weight: 1, arbitrary: registerBook },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('restockBook' as const), book, quantity: fc.integer({ min: 1, max: 4 }) }) },
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('placeOrder' as const),
        customer,
        book,
        quantity: fc.integer({ min: 1, max: 3 }),
        idempotencyKey: fc.option(fc.nat({ max: KEYS_PER_CUSTOMER - 1 }), { nil: null, freq: 2 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('cancelOrder' as const), order }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('completeDelivery' as const), order }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('cancelAndCompleteAtOnce' as const), order }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('writeReview' as const), order, rating: fc.integer({ min: 1, max: 5 }) }) },
  )
  .map((value) => printable(value, describeAction));

const step = (restarts: boolean): fc.Arbitrary<Step> =>
  fc
    .record({
      actions: fc.array(action, { minLength: 1, maxLength: 6 }),
      // About one step in six restarts a subgraph, when the run group allows it.
      restart: restarts ? fc.option(fc.constantFrom<ContextName>(...CONTEXT_NAMES), { nil: null, freq: 6 }) : fc.constant(null),
    })
    .map((value) => printable(value, describeStep));

/** The books come first (registered together), so most orders after them find theirs. */
const opening: fc.Arbitrary<Step> = fc
  .array(fc.integer({ min: 0, max: 8 }), { minLength: TITLES_PER_RUN - 1, maxLength: TITLES_PER_RUN - 1 })
  .map((stocks) => {
    const actions = stocks.map((stock, book) => printable<Action>({ kind: 'registerBook', book, stock }, describeAction));
    return printable({ actions, restart: null }, describeStep);
  });

/**
 * At least two steps: orders placed in one can be acted on in a later one. The steps come first in
 * the tuple because fast-check shrinks a tuple's parts in order: dropping steps finds more than
 * smaller stocks.
 */
export const scenarios = (options: { restarts: boolean }): fc.Arbitrary<Scenario> =>
  fc.tuple(fc.array(step(options.restarts), { minLength: 2, maxLength: 6 }), opening).map(([steps, first]) => [first, ...steps]);
