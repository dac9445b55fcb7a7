import { EVENTS, applyOnce, on, type EventDefinition, type EventEnvelope, type EventHandler } from '@bookshop/events';
import { inSpan } from '@bookshop/runtime';
import type { MyPageDatabase, MyPageEntry } from './database.js';
import { PROJECTED_EVENT_TYPES, type ProjectedEvent } from './domain/projection.js';
import { isVisible, type VisibleEntry } from './entry-queries.js';
import type { Prisma } from './generated/prisma/client.js';
import { projectEvent } from './projection-store.js';

/** Every event the projection knows how to apply. */
export const PROJECTED_EVENTS: EventDefinition[] = EVENTS.filter((definition) =>
  (PROJECTED_EVENT_TYPES as readonly string[]).includes(definition.type),
);

/** Each my page instance keeps its own read model, fed by its own durable consumer. */
export const consumerName = (instance: string) => `mypage-${instance}`;

/**
 * The projection behind the inbox: each event applied at most once, and `projected` called with
 * the entry as written, after the commit, only when the event changed an entry customers can see —
 * a redelivered event, one that teaches the entry nothing new, or one that only fills a placeholder
 * pushes nothing. The consumer handles one event at a time, so `projected` gets an order's versions
 * in the order they were written.
 */
export function myPageHandlers(db: MyPageDatabase, consumer: string, projected: (entry: VisibleEntry) => void): EventHandler[] {
  const inTransaction = (work: (tx: Prisma.TransactionClient) => Promise<void>) => db.$transaction(work);
  return PROJECTED_EVENTS.map((definition) =>
    on(definition, async (event: EventEnvelope) => {
      // The consumer validated the payload against this definition: the pair is a ProjectedEvent.
      const projectedEvent = { type: definition.type, payload: event.payload } as ProjectedEvent;
      let written = null as MyPageEntry | null;
      const applied = await inSpan(`mypage: project ${definition.type}`, {}, () =>
        applyOnce(inTransaction, consumer, event.id, async (tx) => {
          written = await projectEvent(tx, projectedEvent);
        }),
      );
      const visible = written;
      if (applied && visible && isVisible(visible)) await inSpan('mypage: push to live subscribers', {}, async () => projected(visible));
    }),
  );
}
