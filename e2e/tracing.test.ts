import { randomBytes } from 'node:crypto';
import { eventually, startOtlpReceiver, tokenFor, type OtlpReceiver, type ReceivedSpan } from '@bookshop/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { placeOrder, registerBook } from './support/orders.js';
import { startShop, type TestShop } from './support/shop.js';

let receiver: OtlpReceiver;
let shop: TestShop;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  shop = await startShop({
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      // An event applied alone is a child of its publish; a batch of several gets a span of its own
      // linked to each. A consumer that lingers for a batch could join this test's order's event with
      // the previous test's tail, so here each event is applied as it comes.
      EVENT_BATCH_LINGER_MS: '0',
    },
  });
});
afterAll(async () => {
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
  await receiver?.close();
});

const SPAN_KIND = { SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

/** A new book, and one order of it placed by `customer` in a trace of its own; the trace id. */
async function placeTracedOrder(customer: string): Promise<string> {
  const { title } = await registerBook(shop, 3);
  const traceId = randomBytes(16).toString('hex');
  const placed = await placeOrder(
    shop.url,
    await tokenFor('customer', customer),
    { title, quantity: 1 },
    {
      headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
    },
  );
  expect(placed.data?.placeOrder.status).toBe('PLACED');
  return traceId;
}

it('one placed order is one trace: router, order, book, delivery, review and my page, the consumers under the publish', async () => {
  // The client starts the trace: everything the order causes must carry its trace id.
  const traceId = await placeTracedOrder('alice');

  const inTrace = () => receiver.spans().filter((span) => span.traceId === traceId);
  const servicesOf = (spans: ReceivedSpan[]) => new Set(spans.map((span) => span.service));
  const spans = await eventually(
    async () => inTrace(),
    (found) =>
      ['router', 'order', 'book', 'delivery', 'review', 'mypage'].every((service) => servicesOf(found).has(service)) &&
      found.some((span) => span.service === 'mypage' && span.name === 'mypage: push to live subscribers') &&
      // A span is exported after its children: wait for each consumer's own span, not only its statements'.
      ['delivery', 'review', 'mypage'].every((service) =>
        found.some((span) => span.service === service && span.name === 'consume OrderPlaced'),
      ),
  );

  if (process.env.SHOW_SPANS)
    console.log(spans.map((s) => `${s.service} ${s.kind} ${s.name} ${JSON.stringify(s.attributes).slice(0, 120)}`).join('\n'));
  // The instrumentations, not hand-made spans, cover HTTP in and out, GraphQL and PostgreSQL.
  expect(spans.some((span) => span.service === 'router' && span.kind === SPAN_KIND.SERVER)).toBe(true);
  expect(spans.some((span) => span.service === 'router' && span.kind === SPAN_KIND.CLIENT)).toBe(true);
  expect(spans.some((span) => span.service === 'book' && span.attributes['db.system.name'] === 'postgresql')).toBe(true);
  expect(spans.some((span) => span.service === 'order' && span.name.startsWith('graphql.'))).toBe(true);
  // The saga's steps are the order service's own spans.
  expect(spans.filter((span) => span.service === 'order').map((span) => span.name)).toEqual(
    expect.arrayContaining(['saga: start order', 'saga: reserve stock', 'saga: record placed']),
  );

  // Every span's parent is in the same trace, and each consumer's handling hangs under order's publish.
  const byId = new Map(spans.map((span) => [span.spanId, span]));
  const publish = spans.find((span) => span.service === 'order' && span.kind === SPAN_KIND.PRODUCER);
  expect(publish).toBeDefined();
  for (const service of ['delivery', 'review', 'mypage']) {
    const consume = spans.find((span) => span.service === service && span.name === 'consume OrderPlaced');
    expect({ service, parent: consume?.parentSpanId }).toEqual({ service, parent: publish!.spanId });
  }
  // The publish hangs under the saga step that wrote the event, in the request's trace.
  expect(byId.get(publish!.parentSpanId)?.service).toBe('order');
});

/**
 * The database statements one placed order costs, per service, as Prisma's instrumentation sees
 * them (PostgreSQL and SQLite alike): every statement of its trace — the request, and each
 * consumer's handling of OrderPlaced and of delivery's DeliveryStarted. The outbox relays' reads
 * and marks are batched across orders and run outside any order's trace, so they are not counted.
 * Lower a budget when a change saves a statement; a change that adds one fails here.
 */
const STATEMENT_BUDGET: Record<string, number> = { router: 0, book: 1, order: 2, delivery: 4, review: 4, mypage: 8 };

it('a placed order costs no more database statements per service than its budget', async () => {
  const traceId = await placeTracedOrder('carol');

  // A span is exported after its children: once these handlings are in, so are their statements.
  const last = [
    ['order', SPAN_KIND.SERVER],
    ['delivery', 'consume OrderPlaced'],
    ['review', 'consume OrderPlaced'],
    ['mypage', 'consume OrderPlaced'],
    ['mypage', 'consume DeliveryStarted'],
  ] as const;
  const spans = await eventually(
    async () => receiver.spans().filter((span) => span.traceId === traceId),
    (found) =>
      last.every(([service, what]) => found.some((span) => span.service === service && (span.name === what || span.kind === what))),
  );
  const statements = Object.fromEntries(
    Object.keys(STATEMENT_BUDGET).map((service) => [
      service,
      spans.filter((span) => span.service === service && span.name === 'prisma:client:db_query').length,
    ]),
  );
  console.log(`statements per placed order: ${JSON.stringify(statements)}`);
  for (const [service, budget] of Object.entries(STATEMENT_BUDGET)) {
    expect({ service, statements: statements[service]! <= budget }).toEqual({ service, statements: true });
  }
  // Counted at all: the order service's saga writes in its database.
  expect(statements.order).toBeGreaterThan(0);
});
