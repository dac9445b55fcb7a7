import { SubscriberTooSlow } from '@bookshop/runtime';
import type { ExecutionResult } from 'graphql';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SharedFeeds, type FeedItem, type FeedSource } from './shared-feeds.js';

/**
 * A source the test feeds by hand, counting how often it was opened and stopped. `emit(version)`
 * sends a result that names no entity; `emit(version, orderId)` one entry of a versioned entity.
 */
function manualSource(options: { stop?: () => Promise<void> } = {}) {
  const pending: Array<(result: IteratorResult<FeedItem>) => void> = [];
  const buffered: FeedItem[] = [];
  let stopped = false;
  const counts = { opened: 0, stopped: 0 };
  const source = (): FeedSource => {
    counts.opened += 1;
    return {
      items: {
        [Symbol.asyncIterator]: () => ({
          next: () =>
            buffered.length > 0
              ? Promise.resolve({ done: false, value: buffered.shift()! })
              : stopped
                ? Promise.resolve({ done: true, value: undefined })
                : new Promise((resolve) => pending.push(resolve)),
        }),
      },
      stop: async () => {
        counts.stopped += 1;
        stopped = true;
        for (const resolve of pending.splice(0)) resolve({ done: true, value: undefined });
        await options.stop?.();
      },
    };
  };
  const emit = (version: number, orderId?: string) => {
    const value: FeedItem = orderId
      ? { result: { data: { entry: { orderId, version } } }, entity: { key: orderId, version } }
      : { result: { data: { version } } };
    const resolve = pending.shift();
    if (resolve) resolve({ done: false, value });
    else buffered.push(value);
  };
  return { source, emit, counts };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('shared subscription feeds', () => {
  it('opens one upstream feed for identical subscriptions and gives every subscriber every result', async () => {
    const feeds = new SharedFeeds();
    const upstream = manualSource();
    const first = feeds.join('same', upstream.source);
    const second = feeds.join('same', upstream.source);
    const other = feeds.join('different', manualSource().source);
    expect(upstream.counts.opened).toBe(1);
    expect(feeds.size).toBe(2);

    const nextOfBoth = Promise.all([first.next(), second.next()]);
    upstream.emit(1);
    expect((await nextOfBoth).map((r) => r.value)).toEqual([{ data: { version: 1 } }, { data: { version: 1 } }]);
    await other.return(undefined);
  });

  it('gives a late subscriber the latest result first, then what follows', async () => {
    const feeds = new SharedFeeds();
    const upstream = manualSource();
    const first = feeds.join('k', upstream.source);
    const seen = first.next();
    upstream.emit(1);
    upstream.emit(2);
    await seen;
    await first.next();
    await tick();
    const late = feeds.join('k', upstream.source);
    expect((await late.next()).value).toEqual({ data: { version: 2 } });
    const following = late.next();
    upstream.emit(3);
    expect((await following).value).toEqual({ data: { version: 3 } });
    expect(upstream.counts.opened).toBe(1);
  });

  it('stops the upstream feed when its last subscriber leaves — at once, even while waiting for an event', async () => {
    const feeds = new SharedFeeds();
    const upstream = manualSource();
    const first = feeds.join('k', upstream.source);
    const second = feeds.join('k', upstream.source);
    const waiting = first.next();
    await first.return(undefined);
    expect(await waiting).toEqual({ done: true, value: undefined });
    expect(upstream.counts.stopped).toBe(0); // the second subscriber still listens
    await second.return(undefined);
    expect(upstream.counts.stopped).toBe(1);
    expect(feeds.size).toBe(0);
    feeds.join('k', upstream.source); // a new subscriber after that opens a new feed
    expect(upstream.counts.opened).toBe(2);
  });
});

const entry = (orderId: string, version: number): ExecutionResult => ({ data: { entry: { orderId, version } } });

/** The next result of a subscriber, or 'nothing' when none comes within `ms` (so a wrong feed cannot hang the test). */
const nextWithin = async (subscriber: AsyncGenerator<ExecutionResult>, ms = 1_000) => {
  let timer: NodeJS.Timeout | undefined;
  const nothing = new Promise<'nothing'>((resolve) => (timer = setTimeout(() => resolve('nothing'), ms)));
  const next = await Promise.race([subscriber.next(), nothing]);
  clearTimeout(timer);
  return next === 'nothing' ? next : next.done ? 'done' : next.value;
};

describe('shared feeds when things go wrong', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => void unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => void process.off('unhandledRejection', onUnhandled));

  it('a subscriber leaving while the upstream cannot be stopped cleanly (my page down, a reconnect pending) leaves at once and throws nothing', async () => {
    const feeds = new SharedFeeds();
    // graphql-ws's dispose() rejects with the socket's error event (not even an Error) while it reconnects.
    const upstream = manualSource({ stop: () => Promise.reject({ type: 'error', target: 'ws://mypage' }) });
    const first = feeds.join('k', upstream.source);
    const second = feeds.join('k', upstream.source);
    const waiting = first.next();
    await expect(first.return(undefined)).resolves.toEqual({ done: true, value: undefined });
    expect(await waiting).toEqual({ done: true, value: undefined });
    await expect(second.return(undefined)).resolves.toEqual({ done: true, value: undefined });
    await tick();
    expect(upstream.counts.stopped).toBe(1);
    expect([feeds.size, feeds.listeners]).toEqual([0, 0]);
    expect(unhandled).toEqual([]);
  });

  it('a late joiner gets what a first joiner got: the latest result of every entity, then what follows', async () => {
    const feeds = new SharedFeeds();
    const upstream = manualSource();
    const first = feeds.join('customer alice', upstream.source);
    // my page's first results: every entry of the customer (a snapshot), then a change of one of them.
    upstream.emit(1, 'a');
    upstream.emit(1, 'b');
    upstream.emit(2, 'a');
    expect([await nextWithin(first), await nextWithin(first), await nextWithin(first)]).toEqual([
      entry('a', 1),
      entry('b', 1),
      entry('a', 2),
    ]);
    await tick();

    const late = feeds.join('customer alice', upstream.source);
    expect([await nextWithin(late), await nextWithin(late)]).toEqual([entry('a', 2), entry('b', 1)]);
    upstream.emit(2, 'b');
    expect([await nextWithin(late), await nextWithin(first)]).toEqual([entry('b', 2), entry('b', 2)]);
    expect(upstream.counts.opened).toBe(1);
  });

  it('per entity, a version is forwarded once and never one older, also after the source subscribed again', async () => {
    const feeds = new SharedFeeds();
    const upstream = manualSource();
    let isNew: ((entity: { key: string; version: number }) => boolean) | undefined;
    const subscriber = feeds.join('k', (check) => {
      isNew = check;
      return upstream.source();
    });
    upstream.emit(1, 'a');
    upstream.emit(2, 'a');
    upstream.emit(1, 'b');
    // my page restarted: the subscription is opened again and sends every current entry again
    // (the same versions) — or lands on an instance that is behind (older versions).
    upstream.emit(2, 'a');
    upstream.emit(1, 'b');
    upstream.emit(1, 'a');
    upstream.emit(3, 'a');
    upstream.emit(2, 'b');
    const seen = [];
    for (let i = 0; i < 5; i++) seen.push(await nextWithin(subscriber));
    expect(seen).toEqual([entry('a', 1), entry('a', 2), entry('b', 1), entry('a', 3), entry('b', 2)]);
    // A subscriber gets the feed's results in the order they came: a repeat or an older version let
    // through would come before this later one (of an entity of its own, so the checks below hold).
    upstream.emit(1, 'd');
    expect(await nextWithin(subscriber)).toEqual(entry('d', 1));
    // The source may ask before it resolves an event, to spare the subgraphs work nobody gets.
    expect([isNew!({ key: 'a', version: 3 }), isNew!({ key: 'a', version: 4 }), isNew!({ key: 'c', version: 1 })]).toEqual([
      false,
      true,
      true,
    ]);
  });

  it('a reader too slow for its queue is ended with SubscriberTooSlow (its socket is closed with 1013) and released at once', async () => {
    const feeds = new SharedFeeds();
    const upstream = manualSource();
    const slow = feeds.join('k', upstream.source);
    const keeping = feeds.join('k', upstream.source);
    const kept: unknown[] = [];
    const reading = (async () => {
      for await (const result of keeping) kept.push(result);
    })();
    for (let version = 1; version <= 300; version++) upstream.emit(version, 'a');
    await tick();
    expect(feeds.listeners).toBe(1); // the slow one was let go without waiting for it to read
    await expect(slow.next()).rejects.toBeInstanceOf(SubscriberTooSlow);
    expect(await slow.next()).toEqual({ done: true, value: undefined });
    expect(kept).toHaveLength(300);
    expect(upstream.counts.stopped).toBe(0);

    await keeping.return(undefined);
    await reading;
    expect([feeds.size, feeds.listeners, upstream.counts.stopped]).toEqual([0, 0, 1]);
  });

  it('the last reader being too slow stops the upstream feed at once', async () => {
    const feeds = new SharedFeeds();
    const upstream = manualSource();
    const slow = feeds.join('k', upstream.source);
    for (let version = 1; version <= 300; version++) upstream.emit(version, 'a');
    await tick();
    expect([feeds.size, feeds.listeners, upstream.counts.stopped]).toEqual([0, 0, 1]);
    await expect(slow.next()).rejects.toBeInstanceOf(SubscriberTooSlow);
  });

  it('every subscriber is let go when the upstream feed ends, and a source that throws ends the feed without an unhandled rejection', async () => {
    const feeds = new SharedFeeds();
    const failing = feeds.join('k', () => ({
      items: {
        [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('upstream broke')) }),
      },
      stop: () => undefined,
    }));
    expect(await nextWithin(failing)).toBe('done');
    await tick();
    expect([feeds.size, feeds.listeners]).toEqual([0, 0]);
    expect(unhandled).toEqual([]);
  });
});
