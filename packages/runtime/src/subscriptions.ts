import type { Server } from 'node:http';
import {
  GraphQLError,
  subscribe as graphqlSubscribe,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { bearerToken, verifyToken, type Viewer } from './auth.js';
import { DomainError, formatError } from './errors.js';
import { logger } from './logger.js';
import { correlationIdFrom, type RequestMeta } from './request-context.js';

type Subscribe = (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | AsyncIterable<ExecutionResult> | ExecutionResult>;

export interface SubscriptionOptions {
  schema: GraphQLSchema;
  /** Subscriptions one socket may hold at once. */
  maxPerConnection?: number;
  /** Bytes queued for a socket that does not read before it is closed (1013, try again later). */
  maxBufferedBytes?: number;
  /**
   * Executes a subscription itself (the router). `schema` then only describes the API (it has no
   * resolvers), so queries and mutations sent on the socket are refused with BAD_REQUEST: they
   * belong on HTTP. Without it, graphql-js runs every operation on `schema`.
   */
  subscribe?: Subscribe;
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

const TOO_SLOW = { code: 1013, reason: 'Too slow: reconnect to get the latest state' } as const;

/**
 * graphql-ws on the HTTP server's /graphql. The caller's token comes in `connection_init`
 * (`{ "authorization": "Bearer …" }`); a socket without a valid one is closed with 4403.
 */
const toWire = (error: GraphQLError): GraphQLFormattedError =>
  // An error that is not a GraphQLError (a raw one a library let through) is formatted too, never thrown on.
  error instanceof GraphQLError ? formatError(error.toJSON(), error) : formatError({ message: String((error as { message?: unknown })?.message ?? error) }, error);

/** setTimeout's longest wait (2^31−1 ms, 24.8 days): a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Calls `fire` at `at` (epoch ms), however far away: a wait longer than a timer can hold is re-armed. */
function atTime(at: number, fire: () => void): { cancel: () => void } {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = at - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fire, Math.max(0, left));
    timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}

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
      return { errors: [error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error as Error })] };
    }
  };
}

const onlySubscriptions = (): ExecutionResult => ({
  errors: [new GraphQLError('This socket carries subscriptions only: send queries and mutations over HTTP (POST /graphql).', { extensions: { code: 'BAD_REQUEST' } })],
});

export function attachSubscriptions(httpServer: Server, options: SubscriptionOptions, jwtSecret: string) {
  const webSocketServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const identities = new WeakMap<object, SocketExtra>();
  const active = new WeakMap<object, Set<string>>();
  const maxPerConnection = options.maxPerConnection ?? 20;
  const maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const socketOf = (context: { extra: unknown }) => (context.extra as { socket?: WebSocket }).socket;
  const cleanup = useServer(
    {
      schema: options.schema,
      subscribe: guarded(options.subscribe ?? graphqlSubscribe),
      ...(options.subscribe ? { execute: onlySubscriptions } : {}),
      onConnect: async (context) => {
        const params = (context.connectionParams ?? {}) as Record<string, unknown>;
        const authorization = typeof params.authorization === 'string' ? params.authorization : undefined;
        const correlation = typeof params['x-correlation-id'] === 'string' ? params['x-correlation-id'] : undefined;
        try {
          const token = bearerToken(authorization);
          if (!token) return false;
          const { subject, role, expiresAt } = await verifyToken(token, jwtSecret);
          // The token's end is the socket's end: 4401, and the client must come back with a new one.
          const socket = socketOf(context);
          if (socket) {
            const expiry = atTime(expiresAt.getTime(), () => socket.close(4401, 'Token expired'));
            socket.once('close', expiry.cancel);
          }
          identities.set(context, {
            viewer: { subject, role },
            request: { correlationId: correlationIdFrom(correlation), ...(authorization ? { authorization } : {}) },
          });
          return true;
        } catch {
          return false;
        }
      },
      onSubscribe: (context, id) => {
        const ids = active.get(context) ?? new Set<string>();
        active.set(context, ids);
        if (ids.size >= maxPerConnection) {
          const refusal = new DomainError('TOO_MANY_SUBSCRIPTIONS', `At most ${maxPerConnection} subscriptions per connection.`);
          return [new GraphQLError(refusal.message, { originalError: refusal })];
        }
        ids.add(id);
        return undefined;
      },
      onComplete: (context, id) => void active.get(context)?.delete(id),
      // The same error formatting as HTTP: codes for refusals, nothing internal for the rest.
      onError: (context, id, _payload, errors) => {
        active.get(context)?.delete(id);
        if (errors.some((error) => error.originalError instanceof SubscriberTooSlow)) {
          socketOf(context)?.close(TOO_SLOW.code, TOO_SLOW.reason); // nothing more is sent on a closing socket
          return [{ message: TOO_SLOW.reason }];
        }
        return errors.map(toWire);
      },
      onNext: (context, _id, _payload, _args, result) => {
        // A client that does not read must not make us hold its events without bound.
        const socket = socketOf(context);
        if (socket && socket.bufferedAmount > maxBufferedBytes) socket.close(TOO_SLOW.code, TOO_SLOW.reason);
        return 'errors' in result && result.errors ? { ...result, errors: (result.errors as GraphQLError[]).map(toWire) } : result;
      },
      context: (context) => {
        const identity = identities.get(context);
        return { viewer: identity?.viewer ?? null, request: identity?.request ?? { correlationId: correlationIdFrom(undefined) } };
      },
    },
    webSocketServer,
  );
  webSocketServer.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  return {
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
