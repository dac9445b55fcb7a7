import { readFileSync } from 'node:fs';
import { CONTEXT_NAMES, type ContextName } from '@bookshop/contexts';
import { METRIC_NAMES } from '@bookshop/runtime';
import { eventually, graphql, sampleValue, scrapeMetrics, tokenFor, type MetricFamily } from '@bookshop/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { registerBook } from './support/orders.js';
import { startShop, type TestShop } from './support/shop.js';

let shop: TestShop;
let alice: string;

beforeAll(async () => {
  // A broker of its own: the last test stops it.
  shop = await startShop({ privateNats: true });
  alice = await tokenFor('customer', 'alice');
});
afterAll(async () => {
  if (process.env.SHOW_SHOP_LOGS) console.log(shop?.logs().join('\n'));
  await shop?.stop();
});

const PROCESSES = ['router', ...CONTEXT_NAMES] as const;

/** The PrometheusRule in k8s/base/alerts.yaml, as far as this test reads it. */
interface AlertRules {
  spec: { groups: Array<{ rules: Array<{ alert: string; expr: string; annotations: { metric_services: string } }> }> };
}
const metricsOf = (service: ContextName | 'router') => scrapeMetrics(shop.urls[service].replace(/\/graphql$/, '/metrics'));
const valueIn = (families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}) =>
  sampleValue(families, name, labels) ?? 0;

const PLACE_ORDER = `mutation MetricsPlaceOrder($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`;
const placeOrder = (title: string, quantity = 1) =>
  graphql(shop.url, PLACE_ORDER, { input: { title, quantity, address: '3 Scrape Lane' } }, { token: alice });

describe('every process serves /metrics', () => {
  it.each(PROCESSES)("%s answers in Prometheus' text format, each series labelled with its service", async (service) => {
    const families = await metricsOf(service);
    const samples = [...families.values()].flatMap((family) => family.samples);
    expect(samples.length).toBeGreaterThan(0);
    for (const sample of samples) expect(sample.labels.service).toBe(service);
    // The shop's own metrics are all catalogued (the alerts' manifest test relies on the list).
    const own = [...families.keys()].filter((name) => name.startsWith('bookshop_'));
    for (const name of own) expect(METRIC_NAMES).toContain(name);
    expect(own).toEqual(expect.arrayContaining(['bookshop_ready', 'bookshop_operations_in_flight', 'bookshop_http_responses_total']));
    expect(valueIn(families, 'bookshop_ready')).toBe(1);
    expect(valueIn(families, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  });

  it("carries every alert's metrics on /metrics of each service the alert names", async () => {
    const rules = (parse(readFileSync(new URL('../k8s/base/alerts.yaml', import.meta.url), 'utf8')) as AlertRules).spec.groups.flatMap(
      (group) => group.rules,
    );
    expect(rules.length).toBeGreaterThan(0);
    const scraped = new Map<string, Set<string>>();
    for (const service of PROCESSES) scraped.set(service, new Set((await metricsOf(service)).keys()));
    for (const rule of rules) {
      const metrics = [...new Set(rule.expr.match(/\b(?:bookshop|process|nodejs)_\w+/g) ?? [])].map((name) =>
        name.replace(/_(bucket|sum|count)$/, ''),
      );
      const services = rule.annotations.metric_services.split(',').map((service) => service.trim());
      expect(metrics.length).toBeGreaterThan(0);
      for (const service of services) {
        const missing = metrics.filter((metric) => !scraped.get(service)?.has(metric));
        expect({ alert: rule.alert, service, missing }).toEqual({ alert: rule.alert, service, missing: [] });
      }
    }
  });

  it("shows each durable consumer's lag, and order's breaker to book closed", async () => {
    const delivery = await eventually(
      () => metricsOf('delivery'),
      (families) => sampleValue(families, 'bookshop_consumer_lag_events', { consumer: 'delivery' }) !== undefined,
    );
    expect(valueIn(delivery, 'bookshop_consumer_redeliveries_total', { consumer: 'delivery' })).toBe(0);
    const order = await metricsOf('order');
    expect(sampleValue(order, 'bookshop_circuit_breaker_open', { dependency: 'book' })).toBe(0);
  });
});

describe('what the shop does shows in its metrics', () => {
  it('one order placed through the router counts once in order, and the router counts the operation', async () => {
    const { title } = await registerBook(shop, 3);
    const [orderBefore, routerBefore] = await Promise.all([metricsOf('order'), metricsOf('router')]);
    const operation = { operation: 'MetricsPlaceOrder' };

    const placed = await placeOrder(title);
    expect(placed.data?.placeOrder.status).toBe('PLACED');

    const [orderAfter, routerAfter] = await Promise.all([metricsOf('order'), metricsOf('router')]);
    expect(valueIn(orderAfter, 'bookshop_orders_placed_total')).toBe(valueIn(orderBefore, 'bookshop_orders_placed_total') + 1);
    expect(valueIn(routerAfter, 'bookshop_graphql_requests_total', { ...operation, outcome: 'ok' })).toBe(
      valueIn(routerBefore, 'bookshop_graphql_requests_total', { ...operation, outcome: 'ok' }) + 1,
    );
    expect(valueIn(routerAfter, 'bookshop_graphql_request_duration_seconds_count', operation)).toBe(
      valueIn(routerBefore, 'bookshop_graphql_request_duration_seconds_count', operation) + 1,
    );
    expect(valueIn(routerAfter, 'bookshop_http_responses_total', { status_class: '2xx' })).toBeGreaterThan(
      valueIn(routerBefore, 'bookshop_http_responses_total', { status_class: '2xx' }),
    );
  });

  it('an order refused for want of stock counts under its reason, and as an operation with an error', async () => {
    const { title } = await registerBook(shop, 1);
    const [orderBefore, routerBefore] = await Promise.all([metricsOf('order'), metricsOf('router')]);
    const refused = await placeOrder(title, 2);
    expect(refused.errors?.[0]?.extensions?.code).toBe('OUT_OF_STOCK');
    const [orderAfter, routerAfter] = await Promise.all([metricsOf('order'), metricsOf('router')]);
    const reason = { reason: 'OUT_OF_STOCK' };
    expect(valueIn(orderAfter, 'bookshop_orders_refused_total', reason)).toBe(
      valueIn(orderBefore, 'bookshop_orders_refused_total', reason) + 1,
    );
    expect(valueIn(orderAfter, 'bookshop_orders_placed_total')).toBe(valueIn(orderBefore, 'bookshop_orders_placed_total'));
    const failed = { operation: 'MetricsPlaceOrder', outcome: 'error' };
    expect(valueIn(routerAfter, 'bookshop_graphql_requests_total', failed)).toBe(
      valueIn(routerBefore, 'bookshop_graphql_requests_total', failed) + 1,
    );
  });

  it("order's outbox gauges rise while NATS is down and come back to 0 once it is up again", async () => {
    const { title } = await registerBook(shop, 2);
    const outbox = async () => {
      const families = await metricsOf('order');
      return {
        pending: valueIn(families, 'bookshop_outbox_pending_events'),
        oldestAgeSeconds: valueIn(families, 'bookshop_outbox_oldest_pending_age_seconds'),
      };
    };
    await eventually(outbox, ({ pending }) => pending === 0);
    await shop.nats!.stop();
    try {
      // The saga needs only book and order's own database: the order is placed, its event waits.
      expect((await placeOrder(title)).data?.placeOrder.status).toBe('PLACED');
      const waiting = await eventually(outbox, ({ pending }) => pending > 0);
      expect(waiting.oldestAgeSeconds).toBeGreaterThan(0);
    } finally {
      await shop.nats!.start();
    }
    const drained = await eventually(outbox, ({ pending }) => pending === 0, 30_000);
    expect(drained.oldestAgeSeconds).toBe(0);
  });
});
