import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, HeaderMap, type ApolloServerOptionsWithGateway, type ApolloServerPlugin, type BaseContext } from '@apollo/server';
import type { GraphQLError, GraphQLSchema, ValidationRule } from 'graphql';
import { attachSubscriptions, type SubscriptionOptions } from './subscriptions.js';
import { requireUserTokenKeys } from './config.js';
import { bearerToken, verifyToken, type UserTokenKeys, type Viewer } from './auth.js';
import { SERVICE_TOKEN_HEADER, ServiceTrust } from './service-credentials.js';
import { DomainError, formatError, graphQLError } from './errors.js';
import { Health, writeJson, type HealthInfo, type LivenessOptions, type ReadinessCheck } from './health.js';
import { graphqlMetricsPlugin } from './graphql-metrics.js';
import { countInFlight, countResponse } from './http-metrics.js';
import { trackConnections } from './http-drain.js';
import { LoadShedder, type LoadSheddingOptions } from './load-shedding.js';
import { logger } from './logger.js';
import { startProcessMetrics, writeMetrics } from './metrics.js';
import { correlationIdFrom, runWithRequest, traceparentFrom, type RequestMeta } from './request-context.js';

// What a subscription stream throws to have its socket closed with 1013 (the router's shared feeds).
export { SubscriberTooSlow } from './subscriptions.js';

/** What every resolver of every service receives. */
export interface ServiceContext extends BaseContext {
  /** The end user the request acts for (their bearer token), if any. */
  viewer: Viewer | null;
  /** The shop's service that sent the request (its `x-service-token`), if any: `router`, `order`. */
  caller: string | null;
  request: RequestMeta;
}

export interface GraphQLServiceOptions {
  name: string;
  port: number;
  host?: string;
  /** A subgraph serves a schema; the router serves a gateway. */
  apollo: { schema: GraphQLSchema } | { gateway: ApolloServerOptionsWithGateway<ServiceContext>['gateway'] };
  /** What users' bearer tokens are verified with (a secret, or the current and previous ones). */
  jwtSecret: string | UserTokenKeys;
  /** The services whose credentials this one accepts (their public keys); none when absent. */
  serviceTrust?: ServiceTrust;
  readiness?: ReadinessCheck[];
  /** Figures for /readyz's body (`info`), e.g. live subscriptions open: leaks show from outside. */
  healthInfo?: HealthInfo;
  plugins?: ApolloServerPlugin<ServiceContext>[];
  /** How long a draining server waits for in-flight requests and open connections. */
  shutdownGraceMs?: number;
  /** How long a stopping server keeps accepting connections after it turned unready. */
  shutdownDelayMs?: number;
  /** When /healthz fails: an event-loop turn longer than `maxEventLoopDelayMs` within the last `stallWindowMs`. */
  liveness?: LivenessOptions;
  /** Refuse GraphQL requests past these in-flight limits instead of queueing them (the router). */
  shedding?: LoadSheddingOptions;
  /** Called after the HTTP server has drained: close databases, brokers. */
  onStop?: () => Promise<void>;
  /** graphql-ws subscriptions on the same port and path as HTTP (/graphql). */
  subscriptions?: SubscriptionOptions;
  /**
   * What a public edge (the router) enforces on every operation, over HTTP and WebSocket alike:
   * extra validation rules (operation limits) and a gate that may refuse an operation's text
   * (persisted operations). `production` hides schema details and refuses introspection.
   */
  edge?: EdgeOptions;
}

export interface EdgeOptions {
  validationRules?: readonly ValidationRule[];
  /** Refuses an operation before it is parsed (e.g. not a registered one); undefined admits it. */
  admitOperation?: (query: string) => GraphQLError | undefined;
  production?: boolean;
}

export interface RunningService {
  name: string;
  port: number;
  url: string;
  httpServer: Server;
  health: Health;
  /** Stops being ready, drains in-flight requests, then closes everything. Idempotent. */
  stop: () => Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.removeAllListeners('data');
        reject(new DomainError('INVALID_INPUT', 'The request body is larger than 1 MiB.'));
        return;
      }
      chunks.push(chunk);
    });
    request.once('end', () => resolve(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8')));
    request.once('error', reject);
  });
}

function headerMapOf(request: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [key, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

function requestMetaOf(request: IncomingMessage): RequestMeta {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const authorization = header('authorization');
  return {
    correlationId: correlationIdFrom(header('x-correlation-id')),
    traceparent: traceparentFrom(header('traceparent')),
    ...(authorization ? { authorization } : {}),
  };
}

/** Resolves the caller from the request's bearer token; a bad token refuses the whole request. */
export async function viewerOf(meta: RequestMeta, keys: string | UserTokenKeys): Promise<Viewer | null> {
  try {
    const token = bearerToken(meta.authorization);
    if (!token) return null;
    const { subject, role } = await verifyToken(token, keys);
    return { subject, role };
  } catch (error) {
    if (error instanceof DomainError) throw graphQLError(error.code, error.message, 401);
    throw error;
  }
}

/** The calling service named by a request's credential; a bad credential refuses the whole request. */
async function callerOf(request: IncomingMessage, trust: ServiceTrust | undefined): Promise<string | null> {
  const header = request.headers[SERVICE_TOKEN_HEADER];
  const token = Array.isArray(header) ? header[0] : header;
  if (!token) return null;
  try {
    return (await (trust ?? NO_TRUST).callerOf(token)) ?? null;
  } catch (error) {
    if (error instanceof DomainError) throw graphQLError(error.code, error.message, 401);
    throw error;
  }
}
const NO_TRUST = new ServiceTrust([]);

/** The operator's paths: answered like any other, but not client traffic in bookshop_http_responses_total. */
const OPERATOR_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One HTTP server per service: GraphQL on /graphql (Apollo Server 5, no framework), /healthz,
 * /readyz, /metrics (Prometheus), a correlation id on every request and response, and a graceful
 * drain on stop().
 */
export async function startGraphQLService(options: GraphQLServiceOptions): Promise<RunningService> {
  requireUserTokenKeys(options.jwtSecret);
  startProcessMetrics(options.name);
  const shedder = options.shedding ? new LoadShedder(options.shedding) : undefined;
  // What the service holds (operations, sockets) beside its own figures: a leak shows from outside.
  const health = new Health([...(options.readiness ?? [])], options.liveness, () => ({
    ...options.healthInfo?.(),
    ...shedder?.counts(),
    ...subscriptions?.counts(),
  }));
  const httpServer = createServer();
  const connections = trackConnections(httpServer);
  const apollo = new ApolloServer<ServiceContext>({
    ...options.apollo,
    formatError,
    includeStacktraceInErrorResponses: false,
    // Signals are ours to handle (stopOnSignals): Apollo's own handler would re-raise the signal.
    stopOnTerminationSignals: false,
    plugins: [graphqlMetricsPlugin(), ...(options.plugins ?? [])],
    ...(options.edge?.validationRules ? { validationRules: [...options.edge.validationRules] } : {}),
    ...(options.edge?.production ? { introspection: false, hideSchemaDetailsFromClientErrors: true } : {}),
  });
  await apollo.start();

  async function handleGraphQL(request: IncomingMessage, response: ServerResponse, meta: RequestMeta, url: URL) {
    // Verified once: it names the client for load shedding and the viewer for resolvers.
    const viewer = viewerOf(meta, options.jwtSecret);
    if (shedder) {
      const subject = await viewer.then(
        (known) => known?.subject,
        () => undefined,
      );
      if (!shedder.admit(shedder.clientOf(request, subject), response)) return;
    } else {
      viewer.catch(() => {}); // a bad token is answered by the context below
    }
    countInFlight(response);
    const body = request.method === 'POST' ? await readBody(request) : '';
    const headers = headerMapOf(request);
    let parsedBody: unknown = body;
    if (headers.get('content-type')?.startsWith('application/json') && body) {
      try {
        parsedBody = JSON.parse(body);
      } catch {
        writeJson(response, 400, { errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_REQUEST' } }] });
        return;
      }
    }
    // The edge's gate reads the operation's text before Apollo parses it. Apollo has no hook for
    // this: an error thrown before parsing (didResolveSource) is answered as a 500.
    const text = request.method === 'POST' ? (parsedBody as { query?: unknown } | null)?.query : url.searchParams.get('query');
    const refusal = typeof text === 'string' ? options.edge?.admitOperation?.(text) : undefined;
    if (refusal) {
      writeJson(response, 400, { errors: [formatError(refusal.toJSON(), refusal)] });
      return;
    }
    const caller = callerOf(request, options.serviceTrust);
    caller.catch(() => {}); // answered by the context below
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: request.method ?? 'GET', headers, search: url.search, body: parsedBody },
      context: async () => ({ viewer: await viewer, caller: await caller, request: meta }),
    });
    for (const [key, value] of result.headers) response.setHeader(key, value);
    response.statusCode = result.status ?? 200;
    if (result.body.kind === 'complete') {
      response.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) response.write(chunk);
    response.end();
  }

  httpServer.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const meta = requestMetaOf(request);
    response.setHeader('x-correlation-id', meta.correlationId);
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!OPERATOR_PATHS.has(url.pathname)) countResponse(response);
    // Every failure is answered inside (the catch below): nothing is left to reject.
    void runWithRequest(meta, async () => {
      try {
        if (url.pathname === '/healthz') return health.writeLiveness(response);
        if (url.pathname === '/readyz') return await health.writeReadiness(response);
        if (url.pathname === '/metrics') {
          await health.evaluate(); // bookshop_ready as of this scrape, not only of the last probe
          return await writeMetrics(response);
        }
        if (url.pathname === '/graphql' || url.pathname === '/') return await handleGraphQL(request, response, meta, url);
        writeJson(response, 404, { error: 'not found' });
      } catch (error) {
        if (error instanceof DomainError) {
          writeJson(response, 413, { errors: [{ message: error.message, extensions: { code: error.code } }] });
          return;
        }
        logger.error({ err: error }, 'request failed');
        if (!response.headersSent)
          writeJson(response, 500, { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
        else response.destroy();
      }
    });
  });

  const subscriptions = options.subscriptions
    ? attachSubscriptions(
        httpServer,
        {
          ...options.subscriptions,
          ...(options.edge ? { edge: options.edge } : {}),
          // A relaying service (the router) proves itself on a socket with the same credential as over HTTP.
          ...(options.serviceTrust ? { serviceTrust: options.serviceTrust } : {}),
        },
        options.jwtSecret,
        shedder,
      )
    : undefined;
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host ?? '0.0.0.0', () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  logger.info({ port }, `${options.name} listening on :${port}`);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      health.startDraining();
      const graceMs = options.shutdownGraceMs ?? 10_000;
      // Subscribers are told to go away (1001) at once, so they reconnect elsewhere; the HTTP drain
      // runs meanwhile, not after them: a client that never answers the close waits out the same
      // grace as a request, then is cut, instead of holding the drain back.
      await Promise.all([subscriptions?.close(graceMs), connections.drain({ delayMs: options.shutdownDelayMs ?? 0, graceMs })]);
      await apollo.stop();
      await options.onStop?.();
      health.stop();
      logger.info(`${options.name} stopped`);
    })());

  return { name: options.name, port, url: `http://127.0.0.1:${port}/graphql`, httpServer, health, stop };
}
