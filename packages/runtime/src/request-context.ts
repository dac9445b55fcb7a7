import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { tracing } from './tracing.js';

/** What travels with one request through a service and on to the next: docs/architecture.md, "Conventions". */
export interface RequestMeta {
  correlationId: string;
  traceparent?: string;
  authorization?: string;
}

const storage = new AsyncLocalStorage<RequestMeta>();

export const currentRequest = (): RequestMeta | undefined => storage.getStore();

export function runWithRequest<T>(meta: RequestMeta, run: () => T): T {
  return storage.run(meta, run);
}

const CORRELATION_ID = /^[\w.:-]{1,128}$/;

const TRACEPARENT = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * The caller's W3C traceparent when it is a valid one, otherwise a fresh trace (sampled): every
 * request then has a trace id its log lines and events carry, with tracing on or off.
 */
export function traceparentFrom(header: string | undefined): string {
  return header && TRACEPARENT.test(header) ? header : `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01`;
}

/** The caller's correlation id when it is a sane one, otherwise a fresh one. */
export function correlationIdFrom(header: string | undefined): string {
  return header && CORRELATION_ID.test(header) ? header : randomUUID();
}

/**
 * Headers that carry the request's identity and trace to another service. With tracing on, the
 * HTTP client's instrumentation writes the traceparent (of its own client span); a second one
 * here would make the header unreadable, so the caller's is forwarded only without tracing.
 */
export function propagationHeaders(meta: RequestMeta | undefined = currentRequest()): Record<string, string> {
  if (!meta) return {};
  return {
    'x-correlation-id': meta.correlationId,
    ...(meta.traceparent && !tracing() ? { traceparent: meta.traceparent } : {}),
  };
}
