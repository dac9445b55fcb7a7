import type { VisibleEntry } from './entry-queries.js';

/** Where an entry is published: to its customer's channel and to its order's. */
export type Channel = `customer:${string}` | `order:${string}`;
export type Listener = (entry: VisibleEntry) => void;

/**
 * Entries pushed to live subscribers of this instance, after the projection that changed them
 * has committed. Every my page instance projects every event itself, so a subscriber on any
 * instance hears every change of its orders.
 *
 * A map of listener sets rather than an EventEmitter: removing a listener is one delete that
 * takes effect at once, an empty channel leaves nothing behind, and the count of listeners is
 * exact (tests use it to prove a subscriber that left is gone).
 */
export class LiveUpdates {
  private readonly channels = new Map<Channel, Set<Listener>>();

  publish(entry: VisibleEntry): void {
    this.emit(`customer:${entry.customerId}`, entry);
    this.emit(`order:${entry.orderId}`, entry);
  }

  /** Calls `listener` with each entry published to `channel` from now on, until the returned function is called (once is enough; more is harmless). */
  listen(channel: Channel, listener: Listener): () => void {
    let listeners = this.channels.get(channel);
    if (!listeners) this.channels.set(channel, (listeners = new Set()));
    // A wrapper of our own, so one function listening twice counts, and is removed, twice.
    const own: Listener = (entry) => listener(entry);
    listeners.add(own);
    return () => {
      const current = this.channels.get(channel);
      if (current?.delete(own) && current.size === 0) this.channels.delete(channel);
    };
  }

  /** Listeners on every channel: zero once every subscriber has left. */
  listenerCount(): number {
    let count = 0;
    for (const listeners of this.channels.values()) count += listeners.size;
    return count;
  }

  private emit(channel: Channel, entry: VisibleEntry): void {
    // Iterating a Set while a listener removes itself is safe: the removed one is simply not visited.
    for (const listener of this.channels.get(channel) ?? []) listener(entry);
  }
}
