import type { Server } from 'node:http';
import type { GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { bearerToken, verifyToken, type Viewer } from './auth.js';
import { logger } from './logger.js';
import { correlationIdFrom, type RequestMeta } from './request-context.js';

export interface SubscriptionOptions {
  schema: GraphQLSchema;
}

interface SocketExtra {
  viewer: Viewer;
  request: RequestMeta;
}

/**
 * graphql-ws on the HTTP server's /graphql. The caller's token comes in `connection_init`
 * (`{ "authorization": "Bearer …" }`); a socket without a valid one is closed with 4403.
 */
export function attachSubscriptions(httpServer: Server, options: SubscriptionOptions, jwtSecret: string) {
  const webSocketServer = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const identities = new WeakMap<object, SocketExtra>();
  const cleanup = useServer(
    {
      schema: options.schema,
      onConnect: async (context) => {
        const params = (context.connectionParams ?? {}) as Record<string, unknown>;
        const authorization = typeof params.authorization === 'string' ? params.authorization : undefined;
        const correlation = typeof params['x-correlation-id'] === 'string' ? params['x-correlation-id'] : undefined;
        try {
          const token = bearerToken(authorization);
          if (!token) return false;
          const { subject, role } = await verifyToken(token, jwtSecret);
          identities.set(context, {
            viewer: { subject, role },
            request: { correlationId: correlationIdFrom(correlation), ...(authorization ? { authorization } : {}) },
          });
          return true;
        } catch {
          return false;
        }
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
