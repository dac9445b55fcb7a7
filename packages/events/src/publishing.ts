import { logger, type ReadinessCheck } from '@bookshop/runtime';
import { reportOutboxBacklog, type ReadOutboxBacklog } from './event-metrics.js';
import { connectEventBus, type EventBus, type EventBusSettings } from './nats.js';
import { startOutboxRelay, type OutboxRelay, type OutboxRow, type OutboxStore } from './outbox-relay.js';

export interface EventPublishing {
  /** Publish what was just committed to the outbox now, not at the next poll (the rows, when the caller has them). */
  wake: (committed?: OutboxRow[]) => void;
  /** Reported in /readyz, never a reason to be unready: the outbox holds events meanwhile. */
  readiness: ReadinessCheck;
  stop: () => Promise<void>;
}

/**
 * A context's side of the event backbone: connects to NATS in the background (a broker that is
 * away at start does not stop the service), then relays the outbox for as long as it runs.
 * `backlog` reads what waits in the outbox for the metrics, from the start: NATS away or not.
 */
export function startEventPublishing(options: {
  settings: EventBusSettings;
  name: string;
  store: OutboxStore;
  backlog?: ReadOutboxBacklog;
}): EventPublishing {
  const stopReporting = options.backlog ? reportOutboxBacklog(options.backlog) : undefined;
  let bus: EventBus | undefined;
  let relay: OutboxRelay | undefined;
  let stopped = false;
  const connecting = connectEventBus({ ...options.settings, name: options.name }).then(
    (connected) => {
      if (stopped) return void connected.close();
      bus = connected;
      relay = startOutboxRelay({ bus: connected, store: options.store, name: options.name });
    },
    (error: unknown) => logger.error({ err: error }, 'could not set up the event bus'),
  );
  return {
    wake: (committed) => relay?.wake(committed),
    readiness: {
      name: 'nats',
      required: false,
      check: async () => {
        if (!bus?.isConnected()) throw new Error('not connected to NATS; events wait in the outbox');
      },
    },
    stop: async () => {
      stopped = true;
      stopReporting?.();
      await relay?.stop();
      await bus?.close();
      void connecting;
    },
  };
}
