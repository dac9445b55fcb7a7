import { EVENTS, type Consumption, type EventDefinition } from '@bookshop/events';
import { inSpan } from '@bookshop/runtime';
import { PROJECTED_EVENT_TYPES, type ProjectedEvent } from './domain/projection.js';
import { isVisible, type VisibleEntry } from './entry-queries.js';
import type { Prisma } from './generated/prisma/client.js';
import { projectEvents } from './projection-store.js';

/** Every event the projection knows how to apply. */
export const PROJECTED_EVENTS: EventDefinition[] = EVENTS.filter((definition) =>
  (PROJECTED_EVENT_TYPES as readonly string[]).includes(definition.type),
);

/** Each my page instance keeps its own read model, fed by its own durable consumer. */
export const consumerName = (instance: string) => `mypage-${instance}`;

/**
 * The projection behind the inbox: each event applied at most once, and `projected` called with
 * each change as written, after the commit, only when the event changed an entry customers can
 * see — a redelivered event, one that teaches the entry nothing new, or one that only fills a
 * placeholder pushes nothing. Batches are applied one after the other and each batch's changes are
 * pushed in the order they were made, so `projected` gets an order's versions in the order they
 * were written.
 */
export function myPageConsumption(projected: (entry: VisibleEntry) => void): Consumption<Prisma.TransactionClient> {
  return {
    events: PROJECTED_EVENTS,
    apply: async ({ tx, events, afterCommit }) => {
      // The consumer validated each payload against its type's definition: each is a ProjectedEvent.
      const projectedEvents = events.map(({ type, payload }) => ({ type, payload }) as ProjectedEvent);
      const versions = await inSpan('mypage: project events', { attributes: { 'bookshop.events': events.length } }, () =>
        projectEvents(tx, projectedEvents),
      );
      const visible = versions.filter(isVisible);
      if (visible.length === 0) return;
      afterCommit(() => void inSpan('mypage: push to live subscribers', {}, async () => visible.forEach((entry) => projected(entry))));
    },
  };
}
