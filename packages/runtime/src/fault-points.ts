import { logger } from './logger.js';

/**
 * Test-only fault injection, so tests can break a process for real at a chosen point:
 * FAULT_POINTS=<name>[,<name>] in the environment (refused when NODE_ENV=production, see config.ts).
 * - `order.after-reserve`: the order process dies (SIGKILL) after book reserved stock, before
 *   the order records the result;
 * - `consumer.after-effect`: a consumer's process dies after its effect committed, before the ack;
 * - `consumer.fail-first-attempt`: a consumer's handler throws on the first delivery of every
 *   event, before its effect commits, so each event is applied on a redelivery (out of order with
 *   the events behind it), as after a transient database error;
 * - `event-loop.stall-on-sigusr2`: SIGUSR2 blocks the event loop for FAULT_STALL_MS (default 4 s).
 */
export const FAULT_POINTS = [
  'order.after-reserve',
  'consumer.after-effect',
  'consumer.fail-first-attempt',
  'event-loop.stall-on-sigusr2',
] as const;
export type FaultPoint = (typeof FAULT_POINTS)[number];

const armed = new Set(
  (process.env.FAULT_POINTS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean),
);

export const isArmed = (point: FaultPoint) => armed.has(point);

/** Dies on the spot, as a crash or an OOM kill would: no handler runs, nothing is flushed. */
export function crashAt(point: FaultPoint): void {
  if (!armed.has(point)) return;
  logger.warn({ faultPoint: point }, `fault point ${point}: killing this process`);
  logger.flush();
  process.kill(process.pid, 'SIGKILL');
}

if (armed.has('event-loop.stall-on-sigusr2')) {
  process.on('SIGUSR2', () => {
    const until = Date.now() + Number(process.env.FAULT_STALL_MS ?? 4_000);
    while (Date.now() < until) {
      // a stuck event loop: nothing else in this process runs until it ends
    }
  });
}
