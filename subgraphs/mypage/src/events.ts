import { EVENTS, applyOnce, on, type EventDefinition, type EventEnvelope, type EventHandler } from '@bookshop/events';
import type { MyPageDatabase } from './database.js';
import { projections } from './domain/projection.js';
import type { Prisma } from './generated/prisma/client.js';

/** Every event the projection knows how to apply. */
export const PROJECTED_EVENTS: EventDefinition[] = EVENTS.filter((definition) => definition.type in projections);

/** Each my page instance keeps its own read model, fed by its own durable consumer. */
export const consumerName = (instance: string) => `mypage-${instance}`;

export function myPageHandlers(db: MyPageDatabase, consumer: string, projected: (orderId: string) => void): EventHandler[] {
  const inTransaction = (work: (tx: Prisma.TransactionClient) => Promise<void>) => db.$transaction(work);
  return PROJECTED_EVENTS.map((definition) =>
    on(definition, async (event: EventEnvelope) => {
      const project = projections[definition.type as keyof typeof projections] as (tx: Prisma.TransactionClient, e: EventEnvelope) => Promise<void>;
      // Pushed once per change: a redelivered event changes nothing and pushes nothing.
      if ((await applyOnce(inTransaction, consumer, event.id, (tx) => project(tx, event))) && event.orderId) projected(event.orderId);
    }),
  );
}
