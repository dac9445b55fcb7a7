import { logger } from '@bookshop/runtime';

/**
 * Runs the reconciler's pass every `intervalMs`, one pass at a time, beside the server. Every
 * replica may run it: each step of a pass is conditional, so two passes never decide an order twice.
 */
export function startReconciler(pass: () => Promise<unknown>, intervalMs: number): { stop: () => Promise<void> } {
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= pass()
      .then(
        () => undefined,
        (error: unknown) => logger.warn({ err: error }, 'a reconciliation pass failed; the next one tries again'),
      )
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
