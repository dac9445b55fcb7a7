import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

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

/** The caller's correlation id when it is a sane one, otherwise a fresh one. */
export function correlationIdFrom(header: string | undefined): string {
  return header && CORRELATION_ID.test(header) ? header : randomUUID();
}

/** Headers that carry the request's identity and trace to another service. */
export function propagationHeaders(meta: RequestMeta | undefined = currentRequest()): Record<string, string> {
  if (!meta) return {};
  return {
    'x-correlation-id': meta.correlationId,
    ...(meta.traceparent ? { traceparent: meta.traceparent } : {}),
  };
}
