import { logger } from '@bookshop/runtime';
import { startConsumer, type EventHandling, type RunningConsumer } from './consumer.js';
import { connectEventBus, type EventBus, type EventBusSettings } from './nats.js';

/**
 * A context's durable consumer, set up in the background: a broker that is away at start delays
 * the events, never the service. Stop it before the database closes: it finishes and acks the
 * event in hand first.
 */
export function startEventConsuming(options: {
  settings: EventBusSettings;
  durable: string;
  handling: EventHandling;
  maxDeliver?: number;
}): { stop: () => Promise<void> } {
  let bus: EventBus | undefined;
  let consumer: RunningConsumer | undefined;
  let stopped = false;
  void (async () => {
    for (let attempt = 1; !stopped; attempt++) {
      try {
        bus = await connectEventBus({ ...options.settings, name: options.durable });
        if (stopped) return void (await bus.close());
        consumer = await startConsumer({
          bus,
          durable: options.durable,
          handling: options.handling,
          ...(options.maxDeliver ? { maxDeliver: options.maxDeliver } : {}),
          ...(options.settings.ackWaitMs ? { ackWaitMs: options.settings.ackWaitMs } : {}),
        });
        if (stopped) await consumer.stop().then(() => bus?.close());
        return;
      } catch (error) {
        logger.warn({ consumer: options.durable, err: error, attempt }, 'could not start the event consumer; trying again');
        await bus?.close().catch(() => undefined);
        bus = undefined;
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 5_000)));
      }
    }
  })();
  return {
    stop: async () => {
      stopped = true; // a connection still being made closes itself when it arrives
      await consumer?.stop();
      await bus?.close();
    },
  };
}
