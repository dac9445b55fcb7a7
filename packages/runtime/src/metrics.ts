import type { ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type CollectFunction } from 'prom-client';
import type { MetricDefinition } from './metric-catalogue.js';

/**
 * The process's one registry: what its /metrics answers. A process runs one service, whose name
 * is every series' `service` label (startProcessMetrics). Metrics are created on first use and
 * found again after (a module loaded twice, two services started in one test process): a name is
 * registered once.
 */
export const metricsRegistry = new Registry();

let processMetricsStarted = false;

/** Names the process's service on every series and starts prom-client's Node process metrics (once). */
export function startProcessMetrics(service: string): void {
  metricsRegistry.setDefaultLabels({ service });
  if (processMetricsStarted) return;
  processMetricsStarted = true;
  collectDefaultMetrics({ register: metricsRegistry });
}

const existing = (definition: MetricDefinition) => metricsRegistry.getSingleMetric(definition.name);

export function counter<Label extends string>(definition: MetricDefinition<'counter', Label>): Counter<Label> {
  return (
    (existing(definition) as Counter<Label> | undefined) ??
    new Counter({ name: definition.name, help: definition.help, labelNames: definition.labelNames, registers: [metricsRegistry] })
  );
}

/**
 * A gauge; `collect` refreshes it when it is scraped (a value read from elsewhere: a table, a
 * broker). Only the first creation's `collect` is kept: pass it from one place.
 */
export function gauge<Label extends string>(
  definition: MetricDefinition<'gauge', Label>,
  collect?: CollectFunction<Gauge<Label>>,
): Gauge<Label> {
  return (
    (existing(definition) as Gauge<Label> | undefined) ??
    new Gauge({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames,
      registers: [metricsRegistry],
      ...(collect ? { collect } : {}),
    })
  );
}

export function histogram<Label extends string>(definition: MetricDefinition<'histogram', Label>): Histogram<Label> {
  return (
    (existing(definition) as Histogram<Label> | undefined) ??
    new Histogram({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames,
      registers: [metricsRegistry],
      ...(definition.buckets ? { buckets: [...definition.buckets] } : {}),
    })
  );
}

/** Answers a scrape: every metric of the process in Prometheus' text format. */
export async function writeMetrics(response: ServerResponse): Promise<void> {
  const text = await metricsRegistry.metrics();
  response.writeHead(200, { 'content-type': metricsRegistry.contentType, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
