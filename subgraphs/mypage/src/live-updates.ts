import { EventEmitter } from 'node:events';
import type { MyPageEntry } from './database.js';

/**
 * Entries pushed to live subscribers of this instance, after the projection that changed them
 * has committed. Every my page instance projects every event itself, so a subscriber on any
 * instance hears every change of its orders.
 */
export class LiveUpdates {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  publish(entry: MyPageEntry): void {
    this.emitter.emit(`customer:${entry.customerId}`, entry);
    this.emitter.emit(`order:${entry.orderId}`, entry);
  }

  /**
   * The entries of one channel as they come, after `initial` ones. A subscriber that does not
   * keep up (more than `maxQueued` entries waiting) is ended rather than let memory grow.
   */
  async *stream(channel: `customer:${string}` | `order:${string}`, initial: MyPageEntry[], maxQueued = 256): AsyncGenerator<MyPageEntry> {
    const queue: MyPageEntry[] = [...initial];
    let wake: (() => void) | undefined;
    let overflowed = false;
    const listener = (entry: MyPageEntry) => {
      if (queue.length >= maxQueued) overflowed = true;
      else queue.push(entry);
      wake?.();
    };
    this.emitter.on(channel, listener);
    try {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (overflowed) throw new Error('This subscriber fell too far behind; subscribe again to get the latest state.');
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.emitter.off(channel, listener);
    }
  }

  /** Resolves with the entry once it has been projected, or with null after `timeoutMs`. */
  waitForOrder(orderId: string, timeoutMs: number): Promise<MyPageEntry | null> {
    return new Promise((resolve) => {
      const listener = (entry: MyPageEntry) => {
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
