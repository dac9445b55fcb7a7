import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

// `pnpm -s watch <orderId> [--token <customer token>]`: follows one order through the router's
// subscription and prints each update as one JSON line, until Ctrl-C. The token comes from
// --token or TOKEN; the router from ROUTER_URL (ws://localhost:4000/graphql).
// The registered operation itself (router/operations), so a watch also runs where the router
// enforces persisted operations.
const WATCH = readFileSync(new URL('../../router/operations/WatchOrder.graphql', import.meta.url), 'utf8');

const { values, positionals } = parseArgs({ options: { token: { type: 'string' } }, allowPositionals: true });
const [orderId] = positionals;
const token = values.token ?? process.env.TOKEN;
if (!orderId || !token) {
  process.stderr.write('usage: TOKEN=$(pnpm -s token customer alice) pnpm -s watch <orderId>   (or --token <token>)\n');
  process.exit(2);
}
const url = process.env.ROUTER_URL ?? 'ws://localhost:4000/graphql';

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  // A watcher, not a service: a refused token or a router that is down is told at once.
  retryAttempts: 0,
});

// Ctrl-C is how a watch ends: close the socket and succeed.
let stopping = false;
const stop = () => {
  stopping = true;
  // Closing a socket still being opened rejects graphql-ws' pending connect: we are leaving anyway.
  process.on('unhandledRejection', () => undefined);
  // dispose() sends the close frame; its promise may never settle on a socket not yet acknowledged.
  void Promise.resolve(client.dispose()).catch(() => undefined);
  setTimeout(() => process.exit(0), 100);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, stop);

try {
  for await (const result of client.iterate({ query: WATCH, variables: { id: orderId } })) {
    if (result.errors?.length) {
      process.stderr.write(`${JSON.stringify({ errors: result.errors })}\n`);
      process.exit(1);
    }
    process.stdout.write(`${JSON.stringify(result.data?.orderStatusChanged ?? result.data)}\n`);
  }
} catch (error) {
  if (!stopping) {
    process.stderr.write(`watch: ${describe(error)}\n`);
    process.exit(1);
  }
}

/** graphql-ws rejects with GraphQL errors (FORBIDDEN …), a close event (4403) or a socket error. */
function describe(error: unknown): string {
  if (Array.isArray(error)) return JSON.stringify({ errors: error });
  if (error && typeof error === 'object' && 'code' in error && 'reason' in error) {
    const { code, reason } = error as { code: number; reason: string };
    return `the router closed the connection (${code}${reason ? `: ${reason}` : ''}) at ${url}`;
  }
  // ws reports a refused connection as an ErrorEvent, which is no Error but has a message.
  if (error && typeof error === 'object' && 'message' in error) return `${String(error.message)} (${url})`;
  return `${String(error)} (${url})`;
}
