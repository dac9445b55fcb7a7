import type { Server } from 'node:http';
import {
  GraphQLError,
  subscribe as graphqlSubscribe,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerToken, verifyToken, type UserTokenKeys, type Viewer } from './auth.js';
import { DomainError, formatError } from './errors.js';
import type { EdgeOptions } from './graphql-service.js';
import { clientAddress, Quota, SocketLedger, type LoadShedder, type Release, type SocketSeat } from './load-shedding.js';
import { logger } from './logger.js';
import { METRICS } from './metric-catalogue.js';
import { counter, gauge } from './metrics.js';
import { checkOperation } from './operation-checks.js';
import { correlationIdFrom, type RequestMeta } from './request-context.js';
import type { ServiceTrust } from './service-credentials.js';
import { atTime } from './subscriptions-clock.js';
import {
  callerOnAnOwnSocket,
  namesACaller,
  onlySubscriptionsRelayed,
  relayedCallerOf,
  relayedTooSlow,
  relayingServiceOf,
  untilExpiry,
} from './subscriptions-relay.js';

type Subscribe = (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | AsyncIterable<ExecutionResult> | ExecutionResult>;

export interface SubscriptionOptions {
  schema: GraphQLSchema;
  /** Subscriptions one caller's own socket may hold at once. Default 20. */
  maxPerConnection?: number;
  /**
   * Subscriptions one relaying service's socket (the router's, see subscriptions-relay.ts) may
   * carry at once, for all its callers: each still counts against its own caller's share. Default
   * 10,000 (the router puts at most ROUTER_UPSTREAM_SUBSCRIPTIONS_PER_SOCKET, 5,000, on one).
   */
  maxPerRelayConnection?: number;
  /** Bytes queued for a socket that does not read before it is closed (1013, try again later). Default 4 MiB. */
  maxBufferedBytes?: number;
  /** The same for a relaying service's socket, which carries thousands of callers' results. Default 64 MiB. */
  maxRelayBufferedBytes?: number;
  /** The services whose credentials this one accepts: a relaying service's socket proves itself with one. */
  serviceTrust?: ServiceTrust;
  /**
   * Executes a subscription itself (the router). `schema` then only describes the API (it has no
   * resolvers), so queries and mutations sent on the socket are refused with BAD_REQUEST: they
   * belong on HTTP. Without it, graphql-js runs every operation on `schema`.
   */
  subscribe?: Subscribe;
  /** The public edge's rules (operation limits, persisted operations, no introspection in production). */
  edge?: EdgeOptions;
  /** Largest message a socket may send; a bigger one closes the socket (1009) before it is read whole. Default 64 KiB. */
  maxPayloadBytes?: number;
  /** How long a new socket may take to send connection_init before it is closed (4408). Default 3 s. */
  connectionInitWaitTimeoutMs?: number;
  /** Tokens a subscribe message's operation may have. Default 5,000. */
  maxTokens?: number;
  /** Sockets open at once. Default 10,000. */
  maxSockets?: number;
  /**
   * Sockets one caller (a token's subject, or a relaying service) may hold. Default 8 on the public
   * edge (`edge` set) and 256 on a subgraph, whose sockets are the routers' (a few each, counted as
   * the router) and, outside a cluster's network rules, tools and tests.
   */
  maxSocketsPerCaller?: number;
  /**
   * Subscriptions one caller may hold across all its sockets, relayed ones included (counted
   * against the caller the subscription names, not the router). Default 100 on the edge, 256 on a subgraph.
   */
  maxSubscriptionsPerCaller?: number;
  /** Sockets open that have not yet authenticated, overall. Default 1,000. */
  maxUnauthenticatedSockets?: number;
  /**
   * Sockets not yet authenticated per address. Default 16 on the edge, 1,000 on a subgraph (every
   * socket there comes from a router's address). Behind a proxy, set trustForwardedFor, or every
   * client shares the proxy's address and with it this bound.
   */
  maxUnauthenticatedSocketsPerAddress?: number;
  /** Name an anonymous socket by `x-forwarded-for` (see clientAddress). Default: the load shedder's setting, else false. */
  trustForwardedFor?: boolean;
}

/**
 * Thrown by a subscription's stream when its reader fell too far behind. The socket is closed
 * with 1013 (try again later) rather than the subscription completed: a client reconnects on
 * 1013 and gets the current state first, while a plain `complete` would end its updates silently.
 */
export class SubscriberTooSlow extends Error {
  override name = 'SubscriberTooSlow';
  constructor() {
    super('This subscriber fell too far behind; reconnect to get the latest state.');
  }
}

interface SocketExtra {
  viewer: Viewer;
  request: RequestMeta;
}

const socketsOpen = gauge(METRICS.websocketSocketsOpen);
const subscriptionsActive = gauge(METRICS.subscriptionsActive);
const socketsShed = counter(METRICS.requestsShed);

/** A running subscription's share of its caller's quota, counted as active until it is given back (once). */
function activeSubscription(slot: Release): Release {
  subscriptionsActive.inc();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    subscriptionsActive.dec();
    slot();
  };
}

const TOO_SLOW = { code: 1013, reason: 'Too slow: reconnect to get the latest state' } as const;
/** A socket past the limits: graphql-ws clients surface the reason, and do not retry on 4429. */
const TOO_MANY_CONNECTIONS = { code: 4429, reason: 'TOO_MANY_CONNECTIONS' } as const;
/**
 * How long a socket we closed may take to answer the close before it is cut: ws would wait 30 s,
 * and its seat is held until it is gone.
 */
const CLOSE_GRACE_MS = 2_000;

/** Cuts `socket` after `ms` unless it is gone by then, or `spare()` says to keep it. */
function cutAfter(socket: WebSocket, ms: number, spare: () => boolean = () => false): void {
  const timer = setTimeout(() => spare() || socket.terminate(), ms);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * graphql-ws on the HTTP server's /graphql. The caller's token comes in `connection_init`
 * (`{ "authorization": "Bearer …" }`); a socket without a valid one is closed with 4403. The
 * router's sockets bring its service credential instead, and each subscription its caller's
 * token (subscriptions-relay.ts).
 */
const toWire = (error: GraphQLError): GraphQLFormattedError =>
  // An error that is not a GraphQLError (a raw one a library let through) is formatted too, never thrown on.
  error instanceof GraphQLError
    ? formatError(error.toJSON(), error)
    : formatError({ message: String((error as { message?: unknown })?.message ?? error) }, error);

/**
 * A subscription whose ending fails (a stream's cleanup that rejects) is logged and counted as
 * ended: graphql-ws awaits `return()` when a client completes (a rejection there closes the whole
 * socket with 4500) and when a socket closes (a rejection there is unhandled: the process exits).
 */
function endsQuietly(stream: AsyncGenerator<ExecutionResult> | AsyncIterable<ExecutionResult>): AsyncGenerator<ExecutionResult> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<ExecutionResult> & Partial<AsyncGenerator<ExecutionResult>>;
  const done = (): IteratorResult<ExecutionResult> => ({ done: true, value: undefined });
  const quiet = {
    next: () => iterator.next(),
    return: async () => {
      try {
        await iterator.return?.();
      } catch (error) {
        logger.error({ err: error }, 'a subscription failed to end cleanly');
      }
      return done();
    },
    throw: async (error: unknown) => {
      await quiet.return(undefined);
      throw error;
    },
    [Symbol.asyncIterator]: () => quiet,
  } as AsyncGenerator<ExecutionResult>;
  return quiet;
}

/** Runs `subscribe`; whatever it throws becomes a result with an error, never a 4500 for the whole socket. */
function guarded(subscribe: Subscribe): Subscribe {
  return async (args) => {
    try {
      const outcome = await subscribe(args);
      return Symbol.asyncIterator in outcome ? endsQuietly(outcome) : outcome;
    } catch (error) {
      return {
        errors: [
          error instanceof GraphQLError
            ? error
            : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error as Error }),
        ],
      };
    }
  };
}

/** A refusal as graphql-ws sends it: formatted by toWire, which reads the DomainError's code. */
const asGraphQLError = (refusal: DomainError): GraphQLError => new GraphQLError(refusal.message, { originalError: refusal });

const tooManySubscriptions = (message: string): GraphQLError[] => [asGraphQLError(new DomainError('TOO_MANY_SUBSCRIPTIONS', message))];

const onlySubscriptions = (): ExecutionResult => ({
  errors: [
    new GraphQLError('This socket carries subscriptions only: send queries and mutations over HTTP (POST /graphql).', {
      extensions: { code: 'BAD_REQUEST' },
    }),
  ],
});

/**
 * `shedder`: the service's load shedder, when it sheds load. Its sockets are counted there too (on
 * figures of their own, see SocketLedger), and its trustForwardedFor names anonymous sockets.
 */
export function attachSubscriptions(
  httpServer: Server,
  options: SubscriptionOptions,
  jwtSecret: string | UserTokenKeys,
  shedder?: LoadShedder,
) {
  const edge = options.edge !== undefined;
  const initWaitMs = options.connectionInitWaitTimeoutMs ?? 3_000;
  const trustForwardedFor = options.trustForwardedFor ?? shedder?.trustsForwardedFor ?? false;
  const ledger = new SocketLedger({
    maxSockets: options.maxSockets ?? 10_000,
    maxSocketsPerCaller: options.maxSocketsPerCaller ?? (edge ? 8 : 256),
    maxUnauthenticatedSockets: options.maxUnauthenticatedSockets ?? 1_000,
    maxUnauthenticatedSocketsPerAddress: options.maxUnauthenticatedSocketsPerAddress ?? (edge ? 16 : 1_000),
  });
  shedder?.countSockets(ledger);
  const callerSubscriptions = new Quota(Infinity, options.maxSubscriptionsPerCaller ?? (edge ? 100 : 256));
  const checks = { schema: options.schema, edge: options.edge, maxTokens: options.maxTokens ?? 5_000 };
  // maxPayload: ws reads a frame's length first and closes with 1009 past it, before buffering any of it.
  const webSocketServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: options.maxPayloadBytes ?? 64 * 1024 });
  const seats = new WeakMap<WebSocket, SocketSeat>();
  // A socket's caller (its connection_init token), or for a relaying service's socket the service.
  const identities = new WeakMap<object, SocketExtra>();
  const relays = new WeakMap<object, string>();
  let relaySockets = 0;
  // Each relayed subscription's context, with the end of its caller's token (see onOperation).
  const relayedExpiries = new WeakMap<object, Date>();
  // Per socket, its subscriptions, each with what it holds of its caller's share.
  const active = new WeakMap<WebSocket, Map<string, Release>>();
  const maxPerConnection = options.maxPerConnection ?? 20;
  const maxPerRelayConnection = options.maxPerRelayConnection ?? 10_000;
  const maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const maxRelayBufferedBytes = options.maxRelayBufferedBytes ?? 64 * 1024 * 1024;
  const socketOf = (context: { extra: unknown }) => (context.extra as { socket?: WebSocket }).socket;
  const subscriptionsOf = (context: { extra: unknown }) => {
    const socket = socketOf(context)!; // graphql-ws/use/ws always hands it over
    const ids = active.get(socket) ?? new Map<string, Release>();
    active.set(socket, ids);
    return ids;
  };
  const endSubscription = (context: { extra: unknown }, id: string) => {
    const ids = subscriptionsOf(context);
    ids.get(id)?.();
    ids.delete(id);
  };

  // Registered before graphql-ws's own listener, so a socket past the limits is closed before
  // graphql-ws reads a message of it (one that slips in meanwhile finds no seat in onConnect).
  webSocketServer.on('connection', (socket, request) => {
    const seat = ledger.open(clientAddress(request, trustForwardedFor));
    if (typeof seat === 'string') {
      socketsShed.inc({ reason: seat === 'full' ? 'sockets' : 'address-sockets' });
      logger.info(
        { limit: seat === 'full' ? 'sockets' : 'unauthenticated sockets per address' },
        'a socket was refused: too many connections',
      );
      socket.close(TOO_MANY_CONNECTIONS.code, TOO_MANY_CONNECTIONS.reason);
      cutAfter(socket, CLOSE_GRACE_MS);
      return;
    }
    seats.set(socket, seat);
    socketsOpen.inc();
    socket.once('close', () => {
      socketsOpen.dec();
      seat.release();
      // Its subscriptions give their share back now, even one whose stream is slow to end.
      for (const release of active.get(socket)?.values() ?? []) release();
    });
    // graphql-ws closes a socket without a valid connection_init (4408, 4403); one that does not
    // answer that close would keep its address's seat for ws's 30 s: it is cut.
    cutAfter(socket, initWaitMs + CLOSE_GRACE_MS, () => seat.authenticated);
  });

  /**
   * A subscription a relaying service sends for one of its callers: it runs as that caller (the
   * token in its extensions, verified as a socket's is) and counts against that caller's share;
   * a refusal ends it alone, never the socket, which carries other callers' subscriptions.
   */
  const subscribeRelayed = async (
    context: { extra: unknown },
    id: string,
    payload: SubscribePayload,
    service: string,
  ): Promise<ExecutionArgs | GraphQLError[]> => {
    const caller = await relayedCallerOf(payload.extensions, jwtSecret);
    if (Array.isArray(caller)) return caller;
    // From here on nothing waits: the socket cannot close between this check and the bookkeeping.
    const socket = socketOf(context);
    if (!socket || socket.readyState !== socket.OPEN)
      return [asGraphQLError(new DomainError('SERVICE_UNAVAILABLE', 'The connection closed.'))];
    const ids = subscriptionsOf(context);
    if (ids.size >= maxPerRelayConnection)
      return tooManySubscriptions(`At most ${maxPerRelayConnection} relayed subscriptions per connection.`);
    const checked = checkOperation(checks, payload);
    if (Array.isArray(checked)) return checked;
    const refused = onlySubscriptionsRelayed(checked);
    if (refused) return refused;
    const slot = callerSubscriptions.take(caller.viewer.subject);
    if (typeof slot === 'string')
      return tooManySubscriptions('You hold as many subscriptions as allowed across your connections: complete one first.');
    ids.set(id, activeSubscription(slot));
    const contextValue = { viewer: caller.viewer, caller: service, request: caller.request };
    relayedExpiries.set(contextValue, caller.expiresAt);
    return { ...checked, contextValue };
  };

  const cleanup = useServer(
    {
      schema: options.schema,
      connectionInitWaitTimeout: initWaitMs,
      subscribe: guarded(options.subscribe ?? graphqlSubscribe),
      ...(options.subscribe ? { execute: onlySubscriptions } : {}),
      onConnect: async (context) => {
        const socket = socketOf(context);
        const seat = socket && seats.get(socket);
        if (!socket || !seat) return false; // refused when it opened: it is closing already
        const params = (context.connectionParams ?? {}) as Record<string, unknown>;
        const authorization = typeof params.authorization === 'string' ? params.authorization : undefined;
        const correlation = typeof params['x-correlation-id'] === 'string' ? params['x-correlation-id'] : undefined;
        // From its address's share to its caller's: the address bound holds only sockets still unknown.
        // Callers and services are counted apart, so no token's subject can take the router's share.
        const seated = (caller: string) => {
          if (seat.authenticate(caller)) return true;
          socketsShed.inc({ reason: 'caller-sockets' });
          socket.close(TOO_MANY_CONNECTIONS.code, TOO_MANY_CONNECTIONS.reason); // graphql-ws's 4403 then finds it closing
          return false;
        };
        try {
          // A relaying service's socket: authenticated as the service; its callers come per subscription.
          const service = await relayingServiceOf(params, options.serviceTrust);
          if (service) {
            if (!seated(`service:${service}`)) return false;
            relays.set(context, service);
            relaySockets += 1;
            socket.once('close', () => (relaySockets -= 1));
            return true;
          }
          const token = bearerToken(authorization);
          if (!token) return false;
          const { subject, role, expiresAt } = await verifyToken(token, jwtSecret);
          if (!seated(`user:${subject}`)) return false;
          // The token's end is the socket's end: 4401, and the client must come back with a new one.
          const expiry = atTime(expiresAt.getTime(), () => socket.close(4401, 'Token expired'));
          socket.once('close', expiry.cancel);
          identities.set(context, {
            viewer: { subject, role },
            request: { correlationId: correlationIdFrom(correlation), ...(authorization ? { authorization } : {}) },
          });
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: async (context, id, payload) => {
        const service = relays.get(context);
        if (service) return subscribeRelayed(context, id, payload, service);
        if (namesACaller(payload.extensions)) return callerOnAnOwnSocket();
        const ids = subscriptionsOf(context);
        if (ids.size >= maxPerConnection) return tooManySubscriptions(`At most ${maxPerConnection} subscriptions per connection.`);
        const slot = callerSubscriptions.take(identities.get(context)?.viewer.subject ?? '');
        if (typeof slot === 'string')
          return tooManySubscriptions('You hold as many subscriptions as allowed across your connections: complete one first.');
        // The checks HTTP runs: a refusal is returned as the subscription's error.
        const checked = checkOperation(checks, payload);
        if (Array.isArray(checked)) {
          slot();
          return checked;
        }
        ids.set(id, activeSubscription(slot));
        return checked;
      },
      // A relayed subscription ends when its caller's token does, as a caller's own socket closes then.
      onOperation: (_context, _id, _payload, args, result) => {
        const expiresAt = relayedExpiries.get(args.contextValue as object);
        return expiresAt && typeof result === 'object' && result !== null && Symbol.asyncIterator in result
          ? untilExpiry(result, expiresAt)
          : undefined;
      },
      onComplete: (context, id) => endSubscription(context, id),
      // The same error formatting as HTTP: codes for refusals, nothing internal for the rest.
      onError: (context, id, _payload, errors) => {
        endSubscription(context, id);
        if (errors.some((error) => error.originalError instanceof SubscriberTooSlow)) {
          // A relaying service's socket carries other callers: only this subscription ends.
          if (relays.has(context)) return [toWire(asGraphQLError(relayedTooSlow()))];
          socketOf(context)?.close(TOO_SLOW.code, TOO_SLOW.reason); // nothing more is sent on a closing socket
          return [{ message: TOO_SLOW.reason }];
        }
        return errors.map(toWire);
      },
      onNext: (context, _id, _payload, _args, result) => {
        // A client that does not read must not make us hold its events without bound.
        const socket = socketOf(context);
        const bound = relays.has(context) ? maxRelayBufferedBytes : maxBufferedBytes;
        if (socket && socket.bufferedAmount > bound) socket.close(TOO_SLOW.code, TOO_SLOW.reason);
        return 'errors' in result && result.errors ? { ...result, errors: (result.errors as GraphQLError[]).map(toWire) } : result;
      },
      context: (context) => {
        const identity = identities.get(context);
        return {
          viewer: identity?.viewer ?? null,
          caller: null,
          request: identity?.request ?? { correlationId: correlationIdFrom(undefined) },
        };
      },
    },
    webSocketServer,
  );
  // graphql-ws takes every socket error for its own failure: console.error, then a 4500 close.
  // Here one is the peer's doing — a message over maxPayload (1009), a broken frame (1002) — and
  // ws has already sent the close with the right code. But ws then reads on until the peer's
  // close, which comes after the rest of the oversized message: it would read all of it after
  // all, only to drop it. So reading stops (ws resumes the connection on the next tick; this
  // runs after it), and the peer, which still reads our close, is cut after a grace.
  webSocketServer.on('connection', (socket, request) => {
    socket.removeAllListeners('error');
    socket.on('error', (error) => {
      logger.debug({ err: error }, 'a WebSocket peer broke the protocol; its socket is closed');
      process.nextTick(() => request.socket.pause());
      cutAfter(socket, CLOSE_GRACE_MS);
    });
  });
  webSocketServer.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  return {
    /** For /readyz: sockets open, not yet authenticated, callers holding any, and relaying services' sockets. */
    counts: () => ({ ...ledger.counts(), relaySockets }),
    /**
     * Tells every subscriber to go away (1001) so it reconnects elsewhere, and resolves once every
     * socket has closed. A client that does not answer the close (ws would wait 30 s for it) is
     * cut after `graceMs`, the same grace the HTTP drain gives a request.
     */
    close: async (graceMs: number) => {
      for (const socket of webSocketServer.clients) socket.close(1001, 'Going away');
      const cutOff = setTimeout(() => {
        for (const socket of webSocketServer.clients) socket.terminate();
      }, graceMs);
      try {
        await cleanup.dispose();
      } finally {
        clearTimeout(cutOff);
      }
    },
  };
}
