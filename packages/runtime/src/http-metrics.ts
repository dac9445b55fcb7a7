import type { ServerResponse } from 'node:http';
import { METRICS } from './metric-catalogue.js';
import { counter, gauge } from './metrics.js';

const responses = counter(METRICS.httpResponses);
const inFlight = gauge(METRICS.operationsInFlight);

/** 2xx, 4xx, 5xx (and 1xx, 3xx): five values at most. */
const statusClassOf = (status: number) => `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx`;

/** Counts `response` by its status class once it is sent (one cut off before its end is not counted). */
export function countResponse(response: ServerResponse): void {
  response.once('finish', () => responses.inc({ status_class: statusClassOf(response.statusCode) }));
}

/** Counts a GraphQL operation as in flight until its response closes (answered or abandoned). */
export function countInFlight(response: ServerResponse): void {
  inFlight.inc();
  response.once('close', () => inFlight.dec());
}
