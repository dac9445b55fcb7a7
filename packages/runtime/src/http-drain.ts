import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

export interface HttpDrain {
  /**
   * Stops the server without refusing or resetting a request: from now on every response says
   * `Connection: close`; after `delayMs` (listener still open, so a balancer that has not yet seen
   * /readyz fail still gets answers) the listener closes; then it waits for in-flight requests and
   * for idle keep-alive connections to end, and after `graceMs` cuts whatever is left.
   */
  drain(options: { delayMs: number; graceMs: number }): Promise<void>;
}

/**
 * Tracks a server's sockets and responses so that its stop is graceful. Idle keep-alive
 * connections are not cut at once (a request may already be on its way on one); they end on the
 * server's keep-alive timeout, which clients anticipate: Node's fetch stops reusing a socket a
 * second before the `Keep-Alive: timeout=5` the server announced.
 */
export function trackConnections(server: Server): HttpDrain {
  const sockets = new Set<Socket>();
  const pending = new Set<ServerResponse>();
  let draining = false;

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Registered before the service's own handler, so the header is set before anything is written.
  server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (draining) response.setHeader('connection', 'close');
    pending.add(response);
    response.once('close', () => pending.delete(response));
  });

  return {
    async drain({ delayMs, graceMs }) {
      draining = true;
      for (const response of pending) if (!response.headersSent) response.setHeader('connection', 'close');
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const cutOff = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      // net.Server's close stops accepting and waits for every connection to end; http.Server's
      // would also cut idle keep-alive connections at once, racing a request already sent on one.
      await new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      clearTimeout(cutOff);
    },
  };
}
