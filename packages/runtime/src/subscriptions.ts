import type { Server } from 'node:http';
import { GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { bearerToken, verifyToken, type Viewer } from './auth.js';
import { DomainError, formatError } from './errors.js';
import { logger } from './logger.js';
import { correlationIdFrom, type RequestMeta } from './request-context.js';

export interface SubscriptionOptions {
  schema: GraphQLSchema;
  /** Subscriptions one socket may hold at once. */
  maxPerConnection?: number;
  /** Bytes queued for a socket that does not read before it is closed (1013, try again later). */
  maxBufferedBytes?: number;
  /** Executes a subscription itself (the router); by default graphql-js runs it on `schema`. */
  subscribe?: (args: ExecutionArgs) => Promise<AsyncGenerator<ExecutionResult> | AsyncIterable<ExecutionResult> | ExecutionResult>;
}

interface SocketExtra {
  viewer: Viewer;
  request: RequestMeta;
}

/**
 * graphql-ws on the HTTP server's /graphql. The caller's token comes in `connection_init`
 * (`{ "authorization": "Bearer …" }`); a socket without a valid one is closed with 4403.
 */
const toWire = (error: GraphQLError): GraphQLFormattedError => formatError(error.toJSON(), error);

export function attachSubscriptions(httpServer: Server, options: SubscriptionOptions, jwtSecret: string) {
  const webSocketServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const identities = new WeakMap<object, SocketExtra>();
  const active = new WeakMap<object, Set<string>>();
  const maxPerConnection = options.maxPerConnection ?? 20;
  const maxBufferedBytes = options.maxBufferedBytes ?? 4 * 1024 * 1024;
  const cleanup = useServer(
    {
      schema: options.schema,
      ...(options.subscribe ? { subscribe: options.subscribe } : {}),
      onConnect: async (context) => {
        const params = (context.connectionParams ?? {}) as Record<string, unknown>;
        const authorization = typeof params.authorization === 'string' ? params.authorization : undefined;
        const correlation = typeof params['x-correlation-id'] === 'string' ? params['x-correlation-id'] : undefined;
        try {
          const token = bearerToken(authorization);
          if (!token) return false;
          const { subject, role, expiresAt } = await verifyToken(token, jwtSecret);
          // The token's end is the socket's end: 4401, and the client must come back with a new one.
          const socket = (context.extra as { socket?: { close(code: number, reason: string): void; once(event: 'close', listener: () => void): void } }).socket;
          if (socket) {
            const expiry = setTimeout(() => socket.close(4401, 'Token expired'), Math.max(0, expiresAt.getTime() - Date.now()));
            expiry.unref();
            socket.once('close', () => clearTimeout(expiry));
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
        return errors.map(toWire);
      },
      onNext: (context, _id, _payload, _args, result) => {
        // A client that does not read must not make us hold its events without bound.
        const socket = (context.extra as { socket?: { bufferedAmount: number; close(code: number, reason: string): void } }).socket;
        if (socket && socket.bufferedAmount > maxBufferedBytes) socket.close(1013, 'Too slow: reconnect to get the latest state');
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
    close: async () => {
      for (const socket of webSocketServer.clients) socket.close(1001, 'Going away');
      await cleanup.dispose();
    },
  };
}
