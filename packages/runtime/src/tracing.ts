import {
  context,
  propagation,
  trace,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

/**
 * The shop's own spans, for what no instrumentation sees: saga steps, the outbox relay, each
 * consumer's handling, my page's projection and the subscription push. Through the OpenTelemetry
 * API only: without the SDK (no OTLP endpoint, packages/telemetry) every call here is a no-op.
 */
const tracer = trace.getTracer('bookshop');

export { SpanKind };

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent, when it is not the active context: a remote one, from an event or a message. */
  parent?: Context;
  /** Spans this one follows from without being their child: the publishes of a batch's events. */
  links?: Context[];
}

/** Runs `work` in a new span, active for everything it calls; an error marks the span and goes on. */
export async function inSpan<T>(name: string, options: SpanOptions, work: () => Promise<T>): Promise<T> {
  const span = startSpan(name, options);
  try {
    const result = await context.with(trace.setSpan(options.parent ?? context.active(), span), work);
    endSpan(span);
    return result;
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
}

function startSpan(name: string, options: SpanOptions): Span {
  const links = (options.links ?? []).flatMap((linked) => {
    const spanContext = trace.getSpanContext(linked);
    return spanContext ? [{ context: spanContext }] : [];
  });
  return tracer.startSpan(
    name,
    {
      kind: options.kind ?? SpanKind.INTERNAL,
      ...(options.attributes ? { attributes: options.attributes } : {}),
      ...(links.length ? { links } : {}),
    },
    options.parent ?? context.active(),
  );
}

function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}

/** Whether a span is active here: then the HTTP instrumentations carry the trace, and nothing else must add a header. */
export const tracing = (): boolean => trace.getActiveSpan() !== undefined;

/** The W3C traceparent of the active span, when tracing is on. */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The context a traceparent (from an event's envelope or a message's headers) continues. */
export function contextOf(traceparent: string | null | undefined): Context {
  return traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT;
}

/** A span the caller ends itself (a publish whose answer comes later), and the traceparent that continues it. */
export function openSpan(name: string, options: SpanOptions): { traceparent: string | undefined; end: (error?: unknown) => void } {
  const span = startSpan(name, options);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  return { traceparent: carrier.traceparent, end: (error?: unknown) => endSpan(span, error) };
}
