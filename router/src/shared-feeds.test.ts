import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SharedFeeds, type FeedSource } from './shared-feeds.js';

/** A source the test feeds by hand, counting how often it was opened and stopped. */
function manualSource() {
  const pending: Array<(result: IteratorResult<ExecutionResult>) => void> = [];
  const buffered: ExecutionResult[] = [];
  let stopped = false;
  const counts = { opened: 0, stopped: 0 };
  const source = (): FeedSource => {
    counts.opened += 1;
    return {
      results: {
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
      },
    };
  };
  const emit = (version: number) => {
    const value = { data: { version } };
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
