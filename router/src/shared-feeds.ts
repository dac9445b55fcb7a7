import { SubscriberTooSlow, logger } from '@bookshop/runtime';
import type { ExecutionResult } from 'graphql';

/** Which entity a result is about, and its version (my page's entries: `orderId` and `version`). */
export interface EntityVersion {
  key: string;
  version: number;
}

/** One result of a feed; `entity` when it is one version of one entity. */
export interface FeedItem {
  result: ExecutionResult;
  entity?: EntityVersion;
}

/** A stream of items that can be stopped from outside, even while it waits for its next one. */
export interface FeedSource {
  items: AsyncIterable<FeedItem>;
  /** Must end `items` soon; may fail (a reconnect in progress), which is logged, never thrown. */
  stop: () => void | Promise<void>;
}

/** Tells a source whether a version is worth resolving: newer than the feed has forwarded. */
export type IsNew = (entity: EntityVersion) => boolean;

interface Listener {
  push: (result: ExecutionResult) => void;
  end: () => void;
}

interface Feed {
  listeners: Set<Listener>;
  /** Per entity, the latest version forwarded and its result: what a subscriber joining now gets first. */
  entities: Map<string, { version: number; result: ExecutionResult }>;
  /** The latest result that names no entity (a feed of whole snapshots, or a refusal). */
  latest?: ExecutionResult;
  ended: boolean;
  source: FeedSource;
}

/** Results a subscriber may fall behind by before it is let go (the subgraph's own bound, too). */
const MAX_QUEUED = 256;

const done = (): IteratorResult<ExecutionResult> => ({ done: true, value: undefined });

/**
 * Identical subscriptions share one feed: the same operation, variables and token get the same
 * results, so the router keeps one upstream subscription and executes each event's plan once,
 * then hands the result to every subscriber. The upstream subscription ends with the last one.
 *
 * Versions: per entity, only a version newer than the last one forwarded goes out, so a
 * re-subscription (my page restarted, and sends every current entry again) or an instance that is
 * behind never repeats an entry nor takes it back. A subscriber joining a running feed gets the
 * latest result of every entity first — what a first joiner got from the subgraph's own snapshot
 * (for `myPageUpdated` that is every entry of the customer, one result each).
 */
export class SharedFeeds {
  private readonly feeds = new Map<string, Feed>();

  /** Upstream feeds open. */
  get size(): number {
    return this.feeds.size;
  }

  /** Subscribers listening, over every feed. */
  get listeners(): number {
    let count = 0;
    for (const feed of this.feeds.values()) count += feed.listeners.size;
    return count;
  }

  join(key: string, open: (isNew: IsNew) => FeedSource): AsyncGenerator<ExecutionResult> {
    let feed = this.feeds.get(key);
    if (!feed || feed.ended) {
      const entities: Feed['entities'] = new Map();
      const isNew: IsNew = (entity) => entity.version > (entities.get(entity.key)?.version ?? -Infinity);
      feed = { listeners: new Set(), entities, ended: false, source: open(isNew) };
      this.feeds.set(key, feed);
      void this.pump(key, feed, isNew);
    }
    return this.listen(key, feed);
  }

  private async pump(key: string, feed: Feed, isNew: IsNew): Promise<void> {
    try {
      for await (const { result, entity } of feed.source.items) {
        if (entity) {
          if (!isNew(entity)) continue;
          feed.entities.set(entity.key, { version: entity.version, result });
        } else {
          feed.latest = result;
        }
        for (const listener of feed.listeners) listener.push(result);
      }
    } catch (error) {
      // The source turns what it knows into results; anything else ends the feed, not the process.
      logger.error({ err: error }, 'a shared subscription feed failed');
    } finally {
      this.end(key, feed);
      for (const listener of feed.listeners) listener.end();
      feed.listeners.clear();
    }
  }

  private end(key: string, feed: Feed): void {
    feed.ended = true;
    if (this.feeds.get(key) === feed) this.feeds.delete(key);
  }

  /** Stops the upstream subscription; a failure to stop it cleanly is logged, never thrown. */
  private stop(key: string, feed: Feed): void {
    this.end(key, feed);
    const failed = (error: unknown) => logger.warn({ err: error }, 'an upstream subscription did not stop cleanly');
    try {
      void Promise.resolve(feed.source.stop()).catch(failed);
    } catch (error) {
      failed(error);
    }
  }

  /**
   * One subscriber's view of a feed. A hand-written iterator rather than an async generator: a
   * subscriber who leaves while waiting for the next event must leave at once (a generator's
   * return() would wait for that event), releasing the upstream subscription if it was the last.
   */
  private listen(key: string, feed: Feed): AsyncGenerator<ExecutionResult> {
    // What the feed knows now, then what comes: only the second part counts towards "too slow".
    const snapshot = [...[...feed.entities.values()].map((entry) => entry.result), ...(feed.latest ? [feed.latest] : [])];
    const queue: ExecutionResult[] = [];
    let state: 'listening' | 'ended' | 'too slow' = 'listening';
    let waiting: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
    const wake = (result: IteratorResult<ExecutionResult>) => {
      const resolve = waiting;
      waiting = undefined;
      resolve?.(result);
    };

    const listener: Listener = {
      push: (result) => {
        if (waiting) return wake({ done: false, value: result });
        queue.push(result);
        if (queue.length > MAX_QUEUED) {
          // Let go at once, even if it never reads again; its next read closes its socket (1013).
          state = 'too slow';
          snapshot.length = 0;
          queue.length = 0;
          release();
        }
      },
      end: () => {
        if (state === 'listening') state = 'ended';
        wake(done());
      },
    };
    feed.listeners.add(listener);

    const release = () => {
      if (feed.listeners.delete(listener) && feed.listeners.size === 0 && !feed.ended) this.stop(key, feed);
    };
    const leave = (): IteratorResult<ExecutionResult> => {
      state = 'ended';
      snapshot.length = 0;
      queue.length = 0;
      release();
      wake(done());
      return done();
    };

    const iterator = {
      next: async (): Promise<IteratorResult<ExecutionResult>> => {
        const ready = snapshot.shift() ?? queue.shift();
        if (ready) return { done: false, value: ready };
        if (state === 'too slow') {
          leave();
          throw new SubscriberTooSlow();
        }
        if (state === 'ended') return leave();
        const next = await new Promise<IteratorResult<ExecutionResult>>((resolve) => (waiting = resolve));
        return next.done ? leave() : next;
      },
      return: async () => leave(),
      throw: async (error: unknown) => {
        leave();
        throw error;
      },
      [Symbol.asyncIterator]: () => iterator,
    } as AsyncGenerator<ExecutionResult>;
    return iterator;
  }
}
