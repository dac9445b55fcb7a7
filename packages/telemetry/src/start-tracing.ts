import { register } from 'node:module';

/** A started tracer: `stop` flushes the spans still buffered, before the process exits. */
export interface Tracing {
  stop: () => Promise<void>;
}

const NOT_TRACING: Tracing = { stop: async () => {} };

/** Tracing is on when an OTLP endpoint is configured, by the standard variables only. */
export function tracingConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.OTEL_SDK_DISABLED === 'true') return false;
  if (env.OTEL_TRACES_EXPORTER?.split(',').every((name) => name.trim() === 'none')) return false;
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/**
 * Starts the OpenTelemetry SDK for this process, before the code it traces is loaded: call it
 * first in a main, then import the service (the ESM hook and require hooks only see modules loaded
 * after them). Without an endpoint nothing is loaded at all, and the API stays a no-op.
 *
 * Only traces go to the collector: metrics are scraped from /metrics and logs go to stdout, unless
 * the standard OTEL_METRICS_EXPORTER / OTEL_LOGS_EXPORTER ask for more.
 */
export async function startTracing(serviceName: string, env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!tracingConfigured(env)) return NOT_TRACING;
  env.OTEL_SERVICE_NAME ??= serviceName;
  env.OTEL_METRICS_EXPORTER ??= 'none';
  env.OTEL_LOGS_EXPORTER ??= 'none';
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url);
  const [
    { NodeSDK },
    { HttpInstrumentation },
    { UndiciInstrumentation },
    { GraphQLInstrumentation },
    { PgInstrumentation },
    { PrismaInstrumentation },
  ] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/instrumentation-http'),
    import('@opentelemetry/instrumentation-undici'),
    import('@opentelemetry/instrumentation-graphql'),
    import('@opentelemetry/instrumentation-pg'),
    import('@prisma/instrumentation'),
  ]);
  const sdk = new NodeSDK({
    instrumentations: [
      // Probes and scrapes are not worth a trace each.
      new HttpInstrumentation({ ignoreIncomingRequestHook: (request) => /^\/(healthz|readyz|metrics)\b/.test(request.url ?? '') }),
      new UndiciInstrumentation(),
      // Resolver spans for every field would bury the saga's own: parse, validate and execute are enough.
      new GraphQLInstrumentation({ ignoreTrivialResolveSpans: true, ignoreResolveSpans: true }),
      new PgInstrumentation(),
      // Prisma's own: a span per model operation and per statement, SQLite's included (pg sees only PostgreSQL).
      new PrismaInstrumentation(),
    ],
  });
  sdk.start();
  return { stop: () => sdk.shutdown() };
}
