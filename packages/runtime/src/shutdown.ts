import { logger } from './logger.js';

/**
 * Stops the given services on SIGTERM or SIGINT (in order), then exits. A second signal exits at
 * once; a stop that takes longer than `forceAfterMs` is cut short so a pod never hangs.
 */
export function stopOnSignals(stops: Array<() => Promise<void>>, forceAfterMs = 30_000): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    setTimeout(() => {
      logger.error('stop took too long: exiting');
      process.exit(1);
    }, forceAfterMs).unref();
    logger.info({ signal }, 'stopping: draining in-flight work');
    (async () => {
      for (const stop of stops) await stop();
    })().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
