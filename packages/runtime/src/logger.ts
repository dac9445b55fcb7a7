import { trace } from '@opentelemetry/api';
import { pino } from 'pino';
import { currentRequest } from './request-context.js';

/** The trace a line belongs to: the active span's, else (tracing off) the caller's traceparent. */
function traceFields(traceparent: string | undefined): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  if (span) return { trace_id: span.traceId, span_id: span.spanId };
  const [, traceId, spanId] = traceparent?.split('-') ?? [];
  return traceId && spanId ? { trace_id: traceId, span_id: spanId } : {};
}

/**
 * Structured JSON logs; every line written while a request or an event is handled carries its
 * correlation id and its trace, without passing a logger around.
 */
export const logger = pino({
  level: process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'warn' : 'info'),
  base: { service: process.env.SERVICE_NAME },
  mixin() {
    const request = currentRequest();
    return request ? { correlationId: request.correlationId, ...traceFields(request.traceparent) } : traceFields(undefined);
  },
});

export type Logger = typeof logger;
