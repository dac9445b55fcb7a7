import type { ExecutionResult } from 'graphql';

/** A stream of results that can be stopped from outside, even while it waits for its next one. */
export interface FeedSource {
  results: AsyncIterable<ExecutionResult>;
  stop: () => Promise<void>;
}

interface Listener {
  push: (result: ExecutionResult) => void;
  end: () => void;
}

interface Feed {
  listeners: Set<Listener>;
  /** The latest result: what a subscriber joining now would have been sent first. */
  latest?: ExecutionResult;
  ended: boolean;
  source: FeedSource;
}

/** Results a subscriber may fall behind by before it is ended (the subgraph's own bound, too). */
const MAX_QUEUED = 256;

/**
 * Identical subscriptions share one feed: the same operation, variables and token get the same
 * results, so the router keeps one upstream subscription and executes each event's plan once,
 * then hands the result to every subscriber. A subscriber joining a running feed gets its latest
 * result first — an entry is a whole snapshot with a version, as the subgraph itself would send.
 * The upstream subscription ends with the last subscriber.
 */
export class SharedFeeds {
  private readonly feeds = new Map<string, Feed>();

  get size(): number {
    return this.feeds.size;
  }

  join(key: string, open: () => FeedSource): AsyncGenerator<ExecutionResult> {
    let feed = this.feeds.get(key);
    if (!feed || feed.ended) {
      feed = { listeners: new Set(), ended: false, source: open() };
      this.feeds.set(key, feed);
      void this.pump(key, feed);
    }
    return this.listen(key, feed);
  }

  private async pump(key: string, feed: Feed): Promise<void> {
    try {
      for await (const result of feed.source.results) {
        feed.latest = result;
        for (const listener of feed.listeners) listener.push(result);
      }
    } finally {
      feed.ended = true;
      if (this.feeds.get(key) === feed) this.feeds.delete(key);
      for (const listener of feed.listeners) listener.end();
    }
  }

  /**
   * One subscriber's view of a feed. A hand-written iterator rather than an async generator: a
   * subscriber who leaves while waiting for the next event must leave at once (a generator's
   * return() would wait for that event), releasing the upstream subscription if it was the last.
   */
  private listen(key: string, feed: Feed): AsyncGenerator<ExecutionResult> {
    const queue: ExecutionResult[] = feed.latest ? [feed.latest] : [];
    let ended = feed.ended;
    let waiting: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
    const done = (): IteratorResult<ExecutionResult> => ({ done: true, value: undefined });

    const listener: Listener = {
      push: (result) => {
        if (waiting) {
          const resolve = waiting;
          waiting = undefined;
          resolve({ done: false, value: result });
          return;
        }
        queue.push(result);
        if (queue.length > MAX_QUEUED) void leave(); // too slow: it reconnects and starts from the latest
      },
      end: () => {
        ended = true;
        if (waiting) {
          const resolve = waiting;
          waiting = undefined;
          resolve(done());
        }
      },
    };
    feed.listeners.add(listener);

    const leave = async (): Promise<IteratorResult<ExecutionResult>> => {
      ended = true;
      queue.length = 0;
      listener.end();
      if (feed.listeners.delete(listener) && feed.listeners.size === 0 && !feed.ended) {
        if (this.feeds.get(key) === feed) this.feeds.delete(key);
        await feed.source.stop();
      }
      return done();
    };

    const iterator: AsyncGenerator<ExecutionResult> = {
      next: async () => {
        if (queue.length > 0) return { done: false, value: queue.shift()! };
        if (ended) return leave();
        return new Promise<IteratorResult<ExecutionResult>>((resolve) => (waiting = resolve)).then((result) =>
          result.done ? leave() : result,
        );
      },
      return: () => leave(),
      throw: async (error: unknown) => {
        await leave();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    } as AsyncGenerator<ExecutionResult>;
    return iterator;
  }
}
