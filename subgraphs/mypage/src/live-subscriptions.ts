import { DomainError } from '@bookshop/runtime';
import type { MyPageDatabase } from './database.js';
import { allEntriesOfCustomer, findVisibleEntry } from './entry-queries.js';
import { LiveFeed } from './live-feed.js';
import type { Channel, LiveUpdates } from './live-updates.js';

/** A subscription to an order not projected yet waits this long for it (docs/architecture.md, "Live subscriptions"). */
export const WAIT_FOR_ORDER_MS = 10_000;

/**
 * Wraps a subscription's initial read. Production reads straight away; a test passes one that
 * projects a change before, during or after the real read, to pin down the race a subscriber
 * has with the changes made while it subscribes.
 */
export type InitialReadSeam = <T>(channel: Channel, read: () => Promise<T>) => Promise<T>;
const readNow: InitialReadSeam = (_channel, read) => read();

export interface LiveSubscriptionOptions {
  waitForOrderMs?: number;
  aroundInitialRead?: InitialReadSeam;
}

/**
 * Opens live feeds. Each one starts listening BEFORE it reads the current state: a change
 * committed after the read began is then heard, and one the read saw as well is sent once (the
 * feed sends per order only versions newer than the last it sent). Reading first would lose a
 * change committed between the read and the start of listening.
 */
export class LiveSubscriptions {
  private readonly waitForOrderMs: number;
  private readonly aroundInitialRead: InitialReadSeam;

  constructor(
    private readonly db: MyPageDatabase,
    private readonly live: LiveUpdates,
    options: LiveSubscriptionOptions = {},
  ) {
    this.waitForOrderMs = options.waitForOrderMs ?? WAIT_FOR_ORDER_MS;
    this.aroundInitialRead = options.aroundInitialRead ?? readNow;
  }

  /** Every current entry of the customer, oldest first, then each change of any of them. */
  customer(customerId: string): Promise<LiveFeed> {
    const channel: Channel = `customer:${customerId}`;
    return this.open(channel, async (feed) => {
      feed.startWith(await this.aroundInitialRead(channel, () => allEntriesOfCustomer(this.db, customerId)));
    });
  }

  /**
   * The order's current entry, then each change; only to the order's customer. An order not
   * projected yet is waited for (up to `waitForOrderMs`, then ORDER_NOT_FOUND) on the same feed,
   * which has listened since before the read: an entry that became visible in between is not missed.
   */
  order(orderId: string, customerId: string): Promise<LiveFeed> {
    const channel: Channel = `order:${orderId}`;
    return this.open(channel, async (feed) => {
      // A placeholder (events that came before OrderPlaced) counts as not projected yet.
      const current = await this.aroundInitialRead(channel, () => findVisibleEntry(this.db, orderId));
      const entry = current ?? (await feed.firstChange(this.waitForOrderMs));
      if (!entry) throw new DomainError('ORDER_NOT_FOUND', 'There is no such order.');
      // An order's customer never changes, so checking one entry of it checks them all.
      if (entry.customerId !== customerId) throw new DomainError('FORBIDDEN', 'This order is not yours.');
      // Without a current entry, what came while waiting is queued in the feed already.
      feed.startWith(current ? [current] : []);
    });
  }

  /** A feed listening on `channel`, handed out once `prepare` succeeds; on failure it stops listening before the error goes out. */
  private async open(channel: Channel, prepare: (feed: LiveFeed) => Promise<void>): Promise<LiveFeed> {
    const feed = new LiveFeed(this.live, channel);
    try {
      await prepare(feed);
      return feed;
    } catch (error) {
      feed.close();
      throw error;
    }
  }
}
