/**
 * Every metric of the shop's own, declared once: its name, kind, meaning and labels. The services
 * create them from here (metrics.ts), and METRIC_NAMES lets a check (an alert rule's manifest
 * test) know which names exist. Every label's values are bounded: never an id, a customer or an
 * address, and a client-chosen name only through OperationLabels.
 */

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export interface MetricDefinition<Kind extends MetricKind = MetricKind, Label extends string = string> {
  kind: Kind;
  name: string;
  help: string;
  labelNames: readonly Label[];
  /** A histogram's bucket bounds, in the metric's unit. */
  buckets?: readonly number[];
}

export const METRICS = {
  // Every service and the router (packages/runtime).
  graphqlRequests: {
    kind: 'counter',
    name: 'bookshop_graphql_requests_total',
    help: 'GraphQL operations answered over HTTP, by operation name (the first 50 seen, then "other"; "anonymous" for none) and outcome (ok, or error when the answer carries errors).',
    labelNames: ['operation', 'outcome'],
  },
  graphqlRequestDuration: {
    kind: 'histogram',
    name: 'bookshop_graphql_request_duration_seconds',
    help: 'Time from receiving a GraphQL operation over HTTP to sending its answer, by operation name.',
    labelNames: ['operation'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  operationsInFlight: {
    kind: 'gauge',
    name: 'bookshop_operations_in_flight',
    help: 'GraphQL operations over HTTP admitted and not yet answered.',
    labelNames: [],
  },
  requestsShed: {
    kind: 'counter',
    name: 'bookshop_requests_shed_total',
    help: "Requests and sockets refused at once for load: in-flight (everyone's limit), client-in-flight (one client's), sockets, address-sockets, caller-sockets.",
    labelNames: ['reason'],
  },
  websocketSocketsOpen: {
    kind: 'gauge',
    name: 'bookshop_websocket_sockets_open',
    help: 'WebSocket (graphql-ws) sockets open and admitted.',
    labelNames: [],
  },
  subscriptionsActive: {
    kind: 'gauge',
    name: 'bookshop_subscriptions_active',
    help: 'GraphQL subscriptions running over WebSocket.',
    labelNames: [],
  },
  httpResponses: {
    kind: 'counter',
    name: 'bookshop_http_responses_total',
    help: 'HTTP responses sent to clients, by status class (2xx, 4xx, 5xx); probes and scrapes are not counted.',
    labelNames: ['status_class'],
  },
  ready: {
    kind: 'gauge',
    name: 'bookshop_ready',
    help: '1 while /readyz answers ready, 0 while it does not (a required check fails, or the process drains).',
    labelNames: [],
  },

  // The event backbone (packages/events).
  outboxPendingEvents: {
    kind: 'gauge',
    name: 'bookshop_outbox_pending_events',
    help: "Events in this context's outbox table not yet published to JetStream (read from the table at scrape time).",
    labelNames: [],
  },
  outboxOldestPendingAge: {
    kind: 'gauge',
    name: 'bookshop_outbox_oldest_pending_age_seconds',
    help: "Age of the oldest event in this context's outbox not yet published; 0 when none waits.",
    labelNames: [],
  },
  consumerLag: {
    kind: 'gauge',
    name: 'bookshop_consumer_lag_events',
    help: "Events in the stream that a durable consumer has not been delivered yet (JetStream's num_pending), read at scrape time.",
    labelNames: ['consumer'],
  },
  consumerRedeliveries: {
    kind: 'counter',
    name: 'bookshop_consumer_redeliveries_total',
    help: 'Events a durable consumer received again after a failed or unacknowledged delivery.',
    labelNames: ['consumer'],
  },
  eventsDeadLettered: {
    kind: 'counter',
    name: 'bookshop_events_dead_lettered_total',
    help: 'Events a consumer parked in the dead-letter subject, by consumer and event type ("unreadable" when it had none).',
    labelNames: ['consumer', 'event'],
  },

  // Order.
  ordersPlaced: {
    kind: 'counter',
    name: 'bookshop_orders_placed_total',
    help: 'Orders that became PLACED (by the saga or the reconciler).',
    labelNames: [],
  },
  ordersRefused: {
    kind: 'counter',
    name: 'bookshop_orders_refused_total',
    help: 'New orders refused, by reason: the error code the customer was answered (OUT_OF_STOCK, SERVICE_UNAVAILABLE, …).',
    labelNames: ['reason'],
  },
  circuitBreakerOpen: {
    kind: 'gauge',
    name: 'bookshop_circuit_breaker_open',
    help: 'Whether the circuit breaker to a dependency refuses calls: 1 open or half-open, 0 closed.',
    labelNames: ['dependency'],
  },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = (typeof METRICS)[keyof typeof METRICS]['name'];

/** The names of the shop's own metrics (the process metrics of prom-client come beside them). */
export const METRIC_NAMES: readonly MetricName[] = Object.values(METRICS).map((metric) => metric.name);
