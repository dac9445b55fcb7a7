import { SubscriberTooSlow } from '@bookshop/runtime';
import { describe, expect, it } from 'vitest';
import type { VisibleEntry } from './entry-queries.js';
import { LiveFeed } from './live-feed.js';
import { LiveUpdates } from './live-updates.js';

const entry = (orderId: string, version: number, customerId = 'alice'): VisibleEntry => ({
  orderId,
  customerId,
  bookId: 'b',
  title: 'Dune',
  quantity: 1,
  address: 'x',
  orderStatus: 'PLACED',
  deliveryStatus: null,
  deliveryStarted: false,
  reviewRating: null,
  reviewContent: null,
  stockReleased: false,
  version,
  createdAt: new Date(0),
  updatedAt: new Date(0),
});
const versions = (entries: VisibleEntry[]) => entries.map((e) => `${e.orderId}@${e.version}`);

async function take(feed: LiveFeed, count: number): Promise<VisibleEntry[]> {
  const taken: VisibleEntry[] = [];
  for (let i = 0; i < count; i++) {
    const next = await feed.next();
    if (next.done) break;
    taken.push(next.value);
  }
  return taken;
}

describe('LiveFeed', () => {
  it('return() while a next() waits resolves at once, ends that next(), and removes the listener', async () => {
    const live = new LiveUpdates();
    const feed = new LiveFeed(live, 'order:o1').startWith([]);
    const waiting = feed.next();
    expect(live.listenerCount()).toBe(1);
    await expect(feed.return()).resolves.toEqual({ done: true, value: undefined });
    expect(live.listenerCount()).toBe(0);
    await expect(waiting).resolves.toEqual({ done: true, value: undefined });
    live.publish(entry('o1', 2)); // nobody hears it, nothing breaks
  });

  it('listens from the moment it is made: a change pushed before the initial read is set is kept', async () => {
    const live = new LiveUpdates();
    const feed = new LiveFeed(live, 'customer:alice');
    live.publish(entry('o1', 2)); // committed while the read was in flight
    feed.startWith([entry('o1', 1), entry('o2', 1)]);
    expect(versions(await take(feed, 3))).toEqual(['o1@1', 'o2@1', 'o1@2']);
    await feed.return();
  });

  it('sends per order only versions newer than the last one sent: no duplicate, no step back', async () => {
    const live = new LiveUpdates();
    const feed = new LiveFeed(live, 'customer:alice');
    live.publish(entry('o1', 2)); // the read will have seen it too
    live.publish(entry('o1', 3));
    feed.startWith([entry('o1', 2)]);
    live.publish(entry('o1', 1)); // an older one must never follow a newer one
    live.publish(entry('o1', 3));
    live.publish(entry('o1', 4));
    expect(versions(await take(feed, 3))).toEqual(['o1@2', 'o1@3', 'o1@4']);
    await feed.return();
  });

  it('a subscriber that falls behind stops listening at once and is ended as too slow (its socket closes with 1013)', async () => {
    const live = new LiveUpdates();
    const feed = new LiveFeed(live, 'order:o1', 3).startWith([]);
    for (let version = 1; version <= 4; version++) live.publish(entry('o1', version));
    expect(live.listenerCount()).toBe(0);
    const failure = await feed.next().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SubscriberTooSlow);
    await expect(feed.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('firstChange: finds a change heard before the wait began, waits for one, or gives null after the timeout', async () => {
    const live = new LiveUpdates();
    const early = new LiveFeed(live, 'order:o1');
    live.publish(entry('o1', 1));
    await expect(early.firstChange(10_000)).resolves.toMatchObject({ orderId: 'o1', version: 1 });
    expect(versions(await take(early.startWith([]), 1))).toEqual(['o1@1']); // still queued for the subscriber

    const later = new LiveFeed(live, 'order:o2');
    const waiting = later.firstChange(10_000);
    live.publish(entry('o2', 1));
    await expect(waiting).resolves.toMatchObject({ orderId: 'o2', version: 1 });

    const never = new LiveFeed(live, 'order:o3');
    await expect(never.firstChange(20)).resolves.toBeNull();
    for (const feed of [early, later, never]) await feed.return();
    expect(live.listenerCount()).toBe(0);
  });

  it('LiveUpdates removes a listener once, even when the same function listens twice', () => {
    const live = new LiveUpdates();
    const heard: number[] = [];
    const listener = (e: VisibleEntry) => heard.push(e.version);
    const stopFirst = live.listen('order:o1', listener);
    const stopSecond = live.listen('order:o1', listener);
    live.publish(entry('o1', 1));
    stopFirst();
    stopFirst();
    live.publish(entry('o1', 2));
    stopSecond();
    live.publish(entry('o1', 3));
    expect(heard).toEqual([1, 1, 2]);
    expect(live.listenerCount()).toBe(0);
  });
});
