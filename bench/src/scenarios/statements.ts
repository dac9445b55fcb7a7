import { placeOrder, registerBook } from '@bookshop/e2e/orders';
import { graphql, tokenFor, type OtlpReceiver, type ReceivedSpan } from '@bookshop/testing';
import type { BenchContext } from '../context.js';
import { inParallel } from '../load.js';

/** Services whose statements are counted (the router has no database: its row says so). */
const SERVICES = ['router', 'book', 'order', 'delivery', 'review', 'mypage'] as const;
/** Prisma's instrumentation: a span per statement sent (COMMIT included; BEGIN is not one), and one per transaction opened. */
const STATEMENT = 'prisma:client:db_query';
const TRANSACTION = 'prisma:client:start_transaction';
const ORDERS_PER_CUSTOMER = 10;
const IDLE_WINDOW_MS = 3_000;
const SETTLE_TIMEOUT_MS = 60_000;

/** Services export their spans to the receiver as JSON, every 100 ms. */
export const tracingEnv = (receiver: OtlpReceiver): NodeJS.ProcessEnv => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_BSP_SCHEDULE_DELAY: '100',
});

export interface ServiceStatements {
  statementsPerOrder: number;
  transactionsPerOrder: number;
  /** Statements per second with no orders (the outbox relays' polls): part of the per-order figure, ≈ idlePerSecond × windowSeconds / orders. */
  idlePerSecond: number;
}

export interface StatementFigures {
  orders: number;
  errors: number;
  firstError?: string;
  /** From the first order sent until the statements were back at the idle pace, every order on my page. */
  windowSeconds: number;
  /** Every statement each service sent in the window, divided by the orders: requests, outbox relays, consumers. */
  perService: Record<string, ServiceStatements>;
  total: { statementsPerOrder: number; transactionsPerOrder: number };
}

type Counts = Record<string, { statements: number; transactions: number }>;

function count(spans: ReceivedSpan[]): Counts {
  const counts: Counts = Object.fromEntries(SERVICES.map((service) => [service, { statements: 0, transactions: 0 }]));
  for (const span of spans) {
    const service = counts[span.service];
    if (!service) continue;
    if (span.name === STATEMENT) service.statements += 1;
    else if (span.name === TRANSACTION) service.transactions += 1;
  }
  return counts;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every order of every customer on their my page with its delivery started: both of its events projected. */
async function onMyPages(url: string, placed: Map<string, string[]>): Promise<boolean> {
  for (const [token, ids] of placed) {
    const page = await graphql<{ myPage: Array<{ orderId: string; deliveryStatus: string | null }> }>(
      url,
      'query ($first: Int) { myPage(first: $first) { orderId deliveryStatus } }',
      { first: ids.length },
      { token },
    );
    const ready = new Set(page.data?.myPage.filter((entry) => entry.deliveryStatus).map((entry) => entry.orderId));
    if (!ids.every((id) => ready.has(id))) return false;
  }
  return true;
}

/**
 * Database statements per placed order, per service, as the services' own Prisma instrumentation
 * reports them to an OTLP receiver: `orders` orders through the router, then every statement
 * until the events have settled — the request's, the outbox relays', the consumers' and the
 * projections' alike, in any trace or none — divided by the orders. The shop must have been
 * started with tracingEnv(receiver).
 */
export async function statementsPerOrder(context: BenchContext, receiver: OtlpReceiver, orders: number): Promise<StatementFigures> {
  const { shop } = context;
  const book = await registerBook(shop, orders * 2);
  const customers = Math.ceil(orders / ORDERS_PER_CUSTOMER);
  const tokens = await Promise.all(Array.from({ length: customers }, (_, n) => tokenFor('customer', `statements-customer-${n}`)));

  // What the services send with nothing to do, so the reader can tell polling from work.
  await sleep(1_000); // start-up's and registerBook's spans exported
  const idleFrom = receiver.spans().length;
  await sleep(IDLE_WINDOW_MS);
  const idle = count(receiver.spans().slice(idleFrom));

  const from = receiver.spans().length;
  const started = performance.now();
  const placed = new Map<string, string[]>(tokens.map((token) => [token, []]));
  let errors = 0;
  let firstError: string | undefined;
  await inParallel(orders, 8, async (n) => {
    const token = tokens[n % customers]!;
    const result = await placeOrder(shop.url, token, { title: book.title, quantity: 1 }, { timeoutMs: 30_000 }).catch((error: unknown) => ({
      errors: [{ message: String(error) }],
      data: undefined,
    }));
    const id = (result.data?.placeOrder as { id?: string } | undefined)?.id;
    if (id) placed.get(token)!.push(id);
    else {
      errors += 1;
      firstError ??= JSON.stringify(result.errors).slice(0, 300);
    }
  });

  // Settled: every order on my page, then the statements back at the idle pace (the relays' last
  // marks and the other consumers done) for a second.
  for (let waited = 0; !(await onMyPages(shop.url, placed)) && waited < SETTLE_TIMEOUT_MS; waited += 250) await sleep(250);
  const idlePerSecond = (service: string) => (idle[service]!.statements * 1000) / IDLE_WINDOW_MS;
  for (let previous = count(receiver.spans().slice(from)), waited = 0; waited < SETTLE_TIMEOUT_MS; waited += 1_000) {
    await sleep(1_000);
    const now = count(receiver.spans().slice(from));
    const quiet = SERVICES.every((service) => now[service]!.statements - previous[service]!.statements <= idlePerSecond(service) + 1);
    if (quiet) break;
    previous = now;
  }
  const windowSeconds = (performance.now() - started) / 1000;
  const counts = count(receiver.spans().slice(from));
  const ordersPlaced = orders - errors;
  const perOrder = (n: number) => (ordersPlaced ? n / ordersPlaced : NaN);
  const perService = Object.fromEntries(
    SERVICES.map((service) => [
      service,
      {
        statementsPerOrder: perOrder(counts[service]!.statements),
        transactionsPerOrder: perOrder(counts[service]!.transactions),
        idlePerSecond: idlePerSecond(service),
      },
    ]),
  );
  return {
    orders: ordersPlaced,
    errors,
    ...(firstError ? { firstError } : {}),
    windowSeconds,
    perService,
    total: {
      statementsPerOrder: perOrder(SERVICES.reduce((sum, service) => sum + counts[service]!.statements, 0)),
      transactionsPerOrder: perOrder(SERVICES.reduce((sum, service) => sum + counts[service]!.transactions, 0)),
    },
  };
}
