import { asksToResubscribe, logger } from '@bookshop/runtime';
import type { FormattedExecutionResult, GraphQLFormattedError } from 'graphql';
import type { UpstreamSockets } from './upstream-sockets.js';

export interface UpstreamOptions {
  /** The router's connections to its subgraphs: the subscription goes on one of them. */
  sockets: UpstreamSockets;
  /** The subgraph's ws:// URL. */
  url: string;
  serviceName: string;
  /** Who the subscription is for (their token and correlation id): the subscribe message's extensions. */
  identity: Record<string, unknown>;
  query: string;
  variables: Record<string, unknown>;
  /** Events waiting to be resolved before the router gives up on them and subscribes again. */
  maxQueued?: number;
}

/** One event of a subgraph's subscription, as graphql-ws hands it over. */
export type UpstreamEvent = FormattedExecutionResult<Record<string, unknown>, unknown>;

/** One subscription on a subgraph, as the router's feed reads it. */
export interface Upstream {
  /** The subgraph's events; a refusal or a lost subgraph ends them with a result carrying errors. */
  events: AsyncIterable<UpstreamEvent>;
  /** Ends `events` at once, even during a reconnect; never throws nor waits. */
  stop: () => void;
}

/** The subgraph did not come back within the retries: a coded error, then the feed ends. */
const unavailable = (serviceName: string): GraphQLFormattedError => ({
  message: `Live updates from ${serviceName} are unavailable right now; subscribe again in a moment.`,
  extensions: { code: 'SERVICE_UNAVAILABLE', serviceName, retryAfterSeconds: 5 },
});

/** Every connection the router may open to the subgraph carries as many subscriptions as it may. */
const atCapacity = (serviceName: string): GraphQLFormattedError => ({
  message: `The shop carries as many live updates from ${serviceName} as it can right now; subscribe again in a moment.`,
  extensions: { code: 'SERVICE_UNAVAILABLE', serviceName, retryAfterSeconds: 5 },
});

/** graphql-ws ends a subscription with the subgraph's GraphQL errors, or with a socket's close/error event. */
const errorsOf = (error: unknown, serviceName: string): GraphQLFormattedError[] =>
  Array.isArray(error) && error.every((e) => typeof (e as { message?: unknown } | null)?.message === 'string')
    ? (error as GraphQLFormattedError[])
    : [unavailable(serviceName)];

/**
 * Opens the primary field on the subgraph that owns it, for the caller `identity` names, on one of
 * the router's shared connections to it (UpstreamSockets). A lost connection (a restart, a deploy)
 * is re-established and the subscription re-subscribed; the subgraph sends the current state
 * first, so nothing is missed (the feed drops versions it has already forwarded). Events wait in a
 * bounded queue while the router resolves earlier ones: past `maxQueued` (a subgraph the plan
 * calls is slow) they are dropped and the subscription is opened again, whose first events are
 * the current state — later than anything dropped. The subgraph may ask for the same (it ended the
 * subscription because it fell behind there: asksToResubscribe).
 */
export function openUpstream(options: UpstreamOptions): Upstream {
  const maxQueued = options.maxQueued ?? 256;
  const queue: UpstreamEvent[] = [];
  let finished = false;
  let stopped = false;
  let wake: (() => void) | undefined;
  let unsubscribe = () => {};
  let generation = 0;

  const subscribe = () => {
    const own = ++generation; // callbacks of a subscription replaced by a newer one are ignored
    const current = () => own === generation && !stopped;
    const previous = unsubscribe;
    const payload = { query: options.query, variables: options.variables, extensions: options.identity };
    const opened = options.sockets.subscribe(options.url, payload, {
      next: (event) => {
        if (!current()) return;
        queue.push(event);
        if (queue.length > maxQueued) {
          logger.warn(
            { serviceName: options.serviceName, dropped: queue.length },
            'a live feed fell behind its subgraph: subscribing again from the current state',
          );
          queue.length = 0;
          subscribe();
        }
        wake?.();
      },
      error: (error) => {
        if (!current()) return;
        const errors = errorsOf(error, options.serviceName);
        if (asksToResubscribe(errors)) return subscribe();
        queue.push({ errors });
        finished = true;
        wake?.();
      },
      complete: () => {
        if (!current()) return;
        finished = true;
        wake?.();
      },
    });
    unsubscribe = opened ?? (() => {});
    if (!opened) {
      queue.push({ errors: [atCapacity(options.serviceName)] });
      finished = true;
      wake?.();
    }
    previous(); // after the new one holds the socket, so the socket stays open
  };

  const stop = () => {
    if (stopped) return;
    stopped = true;
    unsubscribe(); // the connection stays for the other subscriptions on it
    wake?.();
  };

  async function* events(): AsyncGenerator<UpstreamEvent> {
    subscribe();
    try {
      for (;;) {
        while (queue.length > 0 && !stopped) yield queue.shift()!;
        if (finished || stopped) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      stop();
    }
  }

  return { events: events(), stop };
}
