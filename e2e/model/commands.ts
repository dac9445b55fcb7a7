import type { ContextName } from '@bookshop/contexts';
import { certaintyOf, describeOutcome, type BookLedger, type KnownOrder, type Outcome, type RunModel } from './model.js';
import { describeAction, describeStep, type Action, type Scenario, type Step } from './scenario.js';
import type { ShopDriver } from './shop-driver.js';

/**
 * Fires a scenario's commands at the shop and records in the model what each answer tells. The
 * commands of one step are fired together and all awaited (settled) before the next step, so a
 * failing command never leaves work running into the next.
 */

export interface CommandContext {
  driver: ShopDriver;
  model: RunModel;
  restart: (service: ContextName) => Promise<void>;
}

/** How long a courier command waits for an order's shipment to appear (events are asynchronous). */
const SHIPMENT_WAIT_MS = 5_000;

export async function playScenario(scenario: Scenario, context: CommandContext): Promise<void> {
  for (const [index, step] of scenario.entries()) {
    context.model.trace.push(`step ${index}: ${describeStep(step)}`);
    await playStep(step, context);
  }
}

async function playStep(step: Step, context: CommandContext): Promise<void> {
  const restarting = step.restart ? context.restart(step.restart) : Promise.resolve();
  const fired = await Promise.allSettled([...step.actions.map((action) => fire(action, context)), restarting]);
  for (const [i, result] of fired.entries()) {
    if (result.status === 'fulfilled') continue;
    // A bug of the test itself, or a restart that failed: both stop the run, loudly.
    const what = i < step.actions.length ? describeAction(step.actions[i]!) : `restart ${step.restart}`;
    throw new Error(`${what} threw: ${result.reason instanceof Error ? result.reason.stack : String(result.reason)}`);
  }
}

async function fire(action: Action, context: CommandContext): Promise<void> {
  const log = (line: string) => {
    context.model.trace.push(`  ${describeAction(action)} → ${line}`);
  };
  switch (action.kind) {
    case 'registerBook':
      return registerBook(context, context.model.books[action.book]!, action.stock, log);
    case 'restockBook':
      return restockBook(context, context.model.books[action.book]!, action.quantity, log);
    case 'placeOrder':
      return placeOrder(context, action, log);
    case 'cancelOrder':
    case 'completeDelivery':
    case 'cancelAndCompleteAtOnce':
    case 'writeReview':
      break; // commands on an order: below, once the order is known
  }
  const order = context.model.orderAt(action.order);
  if (!order) return log('skipped: no order known yet');
  const named = (line: string) => log(`order ${order.id}: ${line}`);
  switch (action.kind) {
    case 'cancelOrder':
      return cancelOrder(context, order, named);
    case 'completeDelivery':
      return completeDelivery(context, order, named);
    case 'cancelAndCompleteAtOnce':
      return cancelAndCompleteAtOnce(context, order, named);
    case 'writeReview':
      return writeReview(context, order, action.rating, named);
  }
}

type Log = (line: string) => void;

async function registerBook({ driver }: CommandContext, book: BookLedger, stock: number, log: Log) {
  const outcome = await driver.registerBook(book.title, stock);
  const certainty = certaintyOf(outcome);
  if (certainty) book.registrations.push({ stock, certainty });
  if (outcome.kind === 'ok') book.id = outcome.value.registerBook.id;
  log(describeOutcome(outcome, () => 'registered'));
}

async function restockBook({ driver }: CommandContext, book: BookLedger, quantity: number, log: Log) {
  book.id ??= await driver.bookIdByTitle(book.title);
  if (!book.id) return log('skipped: the book is not in the catalogue');
  const outcome = await driver.restockBook(book.id, quantity);
  const certainty = certaintyOf(outcome);
  if (certainty) book.restocks.push({ quantity, certainty });
  log(describeOutcome(outcome, () => 'restocked'));
}

async function placeOrder({ driver, model }: CommandContext, action: Extract<Action, { kind: 'placeOrder' }>, log: Log) {
  const customer = model.customers[action.customer]!;
  const idempotencyKey = action.idempotencyKey === null ? null : `k${action.idempotencyKey}`;
  const outcome = await driver.placeOrder(customer, { title: model.books[action.book]!.title, quantity: action.quantity, idempotencyKey });
  if (outcome.kind === 'ok') {
    const order = model.rememberOrder(outcome.value.placeOrder.id, customer, idempotencyKey);
    return log(`${outcome.value.placeOrder.status}: order#${model.orders.indexOf(order)} = ${order.id}`);
  }
  log(describeOutcome(outcome));
}

async function cancelOrder({ driver }: CommandContext, order: KnownOrder, log: Log) {
  const outcome = await driver.cancelOrder(order.customer, order.id);
  recordCancel(order, outcome);
  log(`cancel ${describeOutcome(outcome, (value: { cancelOrder: { status: string } }) => value.cancelOrder.status)}`);
}

async function completeDelivery({ driver }: CommandContext, order: KnownOrder, log: Log) {
  const shipment = await waitForShipment(driver, order.id);
  if (!shipment) return log('skipped: no shipment appeared');
  const outcome = await driver.completeDelivery(shipment.id);
  recordCompletion(order, outcome);
  log(`complete ${describeOutcome(outcome, (value: { completeDelivery: { status: string } }) => value.completeDelivery.status)}`);
}

/** Both requests leave together, once the shipment is known: the race a real courier and customer can run. */
async function cancelAndCompleteAtOnce({ driver }: CommandContext, order: KnownOrder, log: Log) {
  const shipment = await waitForShipment(driver, order.id);
  if (!shipment) return log('skipped: no shipment appeared');
  const [cancelled, completed] = await Promise.all([driver.cancelOrder(order.customer, order.id), driver.completeDelivery(shipment.id)]);
  recordCancel(order, cancelled);
  recordCompletion(order, completed);
  log(
    `cancel ${describeOutcome(cancelled, (value: { cancelOrder: { status: string } }) => value.cancelOrder.status)}, ` +
      `complete ${describeOutcome(completed, (value: { completeDelivery: { status: string } }) => value.completeDelivery.status)}`,
  );
}

async function writeReview({ driver }: CommandContext, order: KnownOrder, rating: number, log: Log) {
  const outcome = await driver.writeReview(order.customer, order.id, rating);
  if (outcome.kind === 'ok') order.reviewAcknowledged = outcome.value.writeReview.rating;
  log(`review ${describeOutcome(outcome, () => 'written')}`);
}

function recordCancel(order: KnownOrder, outcome: Outcome<{ cancelOrder: { status: string } }>) {
  if (outcome.kind === 'ok' && outcome.value.cancelOrder.status === 'CANCELLED') order.cancelAcknowledged = true;
}

function recordCompletion(order: KnownOrder, outcome: Outcome<{ completeDelivery: { status: string } }>) {
  if (outcome.kind === 'ok' && outcome.value.completeDelivery.status === 'DELIVERED') order.deliveryAcknowledged = true;
}

async function waitForShipment(driver: ShopDriver, orderId: string) {
  const deadline = Date.now() + SHIPMENT_WAIT_MS;
  for (;;) {
    const shipment = await driver.shipmentOf(orderId);
    if (shipment || Date.now() > deadline) return shipment;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
