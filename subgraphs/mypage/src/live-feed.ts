import { SubscriberTooSlow } from '@bookshop/runtime';
import type { VisibleEntry } from './entry-queries.js';
import type { Channel, LiveUpdates } from './live-updates.js';

/** Changes a subscriber may fall behind by before it is ended (the router keeps the same bound). */
export const MAX_QUEUED_CHANGES = 256;

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * One subscriber's entries: the current ones (its initial read) first, then each change as it is
 * pushed.
 *
 * It listens from the moment it is made, so a subscription makes it BEFORE it reads the current
 * state: a change committed while the read is in flight is then queued here, whether or not the
 * read saw it too. Per order only a version newer than the last one sent goes out, so that
 * overlap never shows as a duplicate, and no version ever goes back within one subscription.
 *
 * A hand-written iterator rather than an async generator: graphql-ws calls return() when the
 * subscriber leaves (complete, socket closed or reset), and a generator suspended in an await only
 * runs its `finally` (which removed its listener) once the next change comes — for a delivered and
 * reviewed order, never. Here return() stops listening at once and ends a pending next().
 * One consumer at a time (graphql-js's for-await); it is not meant to be shared.
 */
export class LiveFeed implements AsyncIterableIterator<VisibleEntry> {
  private readonly stopListening: () => void;
  private current: VisibleEntry[] = [];
  private currentAt = 0; // an index, not shift(): a customer's current entries may be many
  private readonly changes: VisibleEntry[] = [];
  private readonly sent = new Map<string, number>(); // order id → the latest version sent
  private readonly wakers = new Set<() => void>();
  private closed = false;
  private failure: SubscriberTooSlow | undefined;

  constructor(
    live: LiveUpdates,
    channel: Channel,
    private readonly maxQueued = MAX_QUEUED_CHANGES,
  ) {
    this.stopListening = live.listen(channel, (entry) => this.push(entry));
  }

  /** The state read after this feed began to listen: sent before any change. */
  startWith(current: VisibleEntry[]): this {
    this.current = current;
    this.currentAt = 0;
    return this;
  }

  /**
   * The first change heard since this feed was made (it stays queued), waiting up to `timeoutMs`
   * for one; null if none comes or the feed closes. Since the feed listened before the caller
   * read, a change that came between that read and this wait is already here.
   */
  async firstChange(timeoutMs: number): Promise<VisibleEntry | null> {
    if (!this.changes[0] && !this.closed && !this.failure) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(wake, timeoutMs);
        const wakers = this.wakers;
        function wake() {
          clearTimeout(timer);
          wakers.delete(wake);
          resolve();
        }
        wakers.add(wake);
      });
    }
    if (this.failure) throw this.failure;
    return this.changes[0] ?? null;
  }

  async next(): Promise<IteratorResult<VisibleEntry>> {
    for (;;) {
      if (this.failure) {
        const failure = this.failure;
        this.failure = undefined;
        this.close();
        throw failure;
      }
      const entry = this.take();
      if (entry) return { done: false, value: entry };
      if (this.closed) return DONE;
      await new Promise<void>((resolve) => this.wakers.add(resolve));
    }
  }

  /** The subscriber left: stop listening now, and end a next() that waits. Resolves at once. */
  async return(): Promise<IteratorResult<VisibleEntry>> {
    this.close();
    return DONE;
  }

  async throw(error: unknown): Promise<IteratorResult<VisibleEntry>> {
    this.close();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Stops listening and drops what is queued. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopListening();
    this.current = [];
    this.changes.length = 0;
    this.wake();
  }

  private push(entry: VisibleEntry): void {
    if (this.changes.length >= this.maxQueued) {
      // Too slow: ended rather than let memory grow (its socket is closed with 1013, so its client
      // reconnects and gets the current entries first). It stops listening now, not when it next reads.
      this.failure = new SubscriberTooSlow();
      this.close();
      return;
    }
    this.changes.push(entry);
    this.wake();
  }

  /** The next entry to send: current ones first, then changes, skipping any version not newer than the one sent. */
  private take(): VisibleEntry | undefined {
    for (;;) {
      const entry = this.currentAt < this.current.length ? this.current[this.currentAt++] : this.changes.shift();
      if (!entry) return undefined;
      if (entry.version <= (this.sent.get(entry.orderId) ?? 0)) continue;
      this.sent.set(entry.orderId, entry.version);
      return entry;
    }
  }

  private wake(): void {
    const wakers = [...this.wakers];
    this.wakers.clear();
    for (const wake of wakers) wake();
  }
}
