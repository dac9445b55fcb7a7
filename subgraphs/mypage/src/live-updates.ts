import { EventEmitter } from 'node:events';
import type { VisibleEntry } from './entry-queries.js';

/**
 * Entries pushed to live subscribers of this instance, after the projection that changed them
 * has committed. Every my page instance projects every event itself, so a subscriber on any
 * instance hears every change of its orders.
 */
export class LiveUpdates {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(entry: VisibleEntry): void {
    this.emitter.emit(`customer:${entry.customerId}`, entry);
    this.emitter.emit(`order:${entry.orderId}`, entry);
  }

  /**
   * The entries of one channel as they come, after `initial` ones. A subscriber that does not
   * keep up (more than `maxQueued` entries waiting) is ended rather than let memory grow.
   * An entry no newer than one this subscriber already got is dropped (a push may bring the version
   * the initial read already had): a subscriber never sees a version twice, nor one going back.
   */
  async *stream(channel: `customer:${string}` | `order:${string}`, initial: VisibleEntry[], maxQueued = 256): AsyncGenerator<VisibleEntry> {
    const queue: VisibleEntry[] = [...initial];
    const shown = new Map<string, number>(); // order id → the latest version yielded
    let wake: (() => void) | undefined;
    let overflowed = false;
    const listener = (entry: VisibleEntry) => {
      if (queue.length >= maxQueued) overflowed = true;
      else queue.push(entry);
      wake?.();
    };
    this.emitter.on(channel, listener);
    try {
      for (;;) {
        while (queue.length) {
          const entry = queue.shift()!;
          if (entry.version <= (shown.get(entry.orderId) ?? 0)) continue;
          shown.set(entry.orderId, entry.version);
          yield entry;
        }
        if (overflowed) throw new Error('This subscriber fell too far behind; subscribe again to get the latest state.');
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.emitter.off(channel, listener);
    }
  }

  /** Resolves with the entry once it has been projected, or with null after `timeoutMs`. */
  waitForOrder(orderId: string, timeoutMs: number): Promise<VisibleEntry | null> {
    return new Promise((resolve) => {
      const listener = (entry: VisibleEntry) => {
        clearTimeout(timer);
        resolve(entry);
      };
      const timer = setTimeout(() => {
        this.emitter.off(`order:${orderId}`, listener);
        resolve(null);
      }, timeoutMs);
      this.emitter.once(`order:${orderId}`, listener);
    });
  }
}
