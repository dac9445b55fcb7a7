import { SERVICE_TOKEN_HEADER, logger } from '@bookshop/runtime';
import type { FormattedExecutionResult } from 'graphql';
import { createClient, type Client, type Sink, type SubscribePayload } from 'graphql-ws';
import WebSocket from 'ws';

export interface UpstreamSocketLimits {
  /** graphql-ws connections the router opens to one subgraph, at most (ROUTER_UPSTREAM_SOCKETS_PER_SUBGRAPH). */
  socketsPerSubgraph: number;
  /** Subscriptions one connection carries at most (ROUTER_UPSTREAM_SUBSCRIPTIONS_PER_SOCKET). */
  subscriptionsPerSocket: number;
}

/** One graphql-ws connection to a subgraph, carrying many callers' subscriptions. */
interface Connection {
  client: Client;
  /** Subscriptions on it now: the next subscription goes to the connection that carries fewest. */
  carried: number;
  /** Open and acknowledged (for /readyz): a lazy client closes its socket when idle. */
  open: boolean;
}

/** How long an idle connection stays open: a subscriber that comes back (a page reload) finds it there. */
const IDLE_CLOSE_MS = 2_000;

/**
 * The router's graphql-ws connections to its subgraphs: a few per subgraph, each carrying many
 * callers' subscriptions, instead of one connection per feed. A connection is authenticated with
 * the router's own service credential (fresh on every reconnect); each subscription names its
 * caller in its subscribe message (relayedIdentity), and the subgraph verifies and counts each one
 * as that caller's (docs/decisions/0018).
 *
 * Subscriptions are spread over the connections (the next goes to the one that carries fewest):
 * a subgraph with several instances behind one address (a Kubernetes Service balances per
 * connection) gets the router's feeds spread over as many of them as there are connections.
 * A lost connection (a subgraph restart) is opened again, and graphql-ws subscribes each of its
 * subscriptions again on it; the subgraph sends their current state first. A refusal of one
 * subscription ends that one only. A connection closes once its last subscription has been gone
 * for IDLE_CLOSE_MS, and opens again on the next one.
 */
export class UpstreamSockets {
  private readonly bySubgraph = new Map<string, Connection[]>();

  constructor(
    private readonly credential: () => Promise<string>,
    private readonly limits: UpstreamSocketLimits,
  ) {}

  /**
   * Subscribes on a connection to `url` (a new one while fewer than allowed exist, else the one
   * that carries fewest), and returns how to unsubscribe; undefined when every one is full.
   */
  subscribe(
    url: string,
    payload: SubscribePayload,
    sink: Sink<FormattedExecutionResult<Record<string, unknown>, unknown>>,
  ): (() => void) | undefined {
    const connections = this.bySubgraph.get(url) ?? [];
    this.bySubgraph.set(url, connections);
    if (connections.length < this.limits.socketsPerSubgraph) connections.push(this.connect(url));
    const on = connections.reduce((fewest, candidate) => (candidate.carried < fewest.carried ? candidate : fewest));
    if (on.carried >= this.limits.subscriptionsPerSocket) return undefined;
    on.carried += 1;
    let carried = true;
    const release = () => {
      if (!carried) return;
      carried = false;
      on.carried -= 1;
    };
    const unsubscribe = on.client.subscribe<Record<string, unknown>>(payload, {
      next: (result) => sink.next(result),
      error: (error) => {
        release();
        sink.error(error);
      },
      complete: () => {
        release();
        sink.complete();
      },
    });
    return () => {
      release();
      unsubscribe();
    };
  }

  /** Connections open now, over every subgraph. */
  get open(): number {
    let count = 0;
    for (const connections of this.bySubgraph.values()) count += connections.filter((connection) => connection.open).length;
    return count;
  }

  /** Closes every connection (the router stops); a reconnect in progress is abandoned. */
  async close(): Promise<void> {
    const clients = [...this.bySubgraph.values()].flat().map((connection) => connection.client);
    this.bySubgraph.clear();
    // dispose() waits for (and rejects with) a reconnect in progress: nobody waits for it.
    await Promise.all(clients.map((client) => Promise.resolve(client.dispose()).catch(() => {})));
  }

  private connect(url: string): Connection {
    const connection = { carried: 0, open: false } as Connection;
    connection.client = createClient({
      url,
      webSocketImpl: WebSocket,
      lazy: true,
      lazyCloseTimeout: IDLE_CLOSE_MS,
      retryAttempts: 60,
      retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** retries, 2_000))),
      // 4401/4403 on this socket refuse the router's credential itself: retrying would not change it.
      shouldRetry: (event) => ![4401, 4403].includes((event as { code?: number }).code ?? 0),
      // Asked on every (re)connect: a credential renewed since then is the one sent.
      connectionParams: async () => ({ [SERVICE_TOKEN_HEADER]: await this.credential() }),
      on: {
        connected: () => (connection.open = true),
        closed: (event) => {
          connection.open = false;
          const code = (event as { code?: number }).code;
          if (code === 4401 || code === 4403)
            logger.error({ url, code }, "a subgraph refused the router's service credential on its socket");
        },
      },
    });
    return connection;
  }
}
