/** How `pnpm start` brings back a service that exits on its own. */
export interface RestartPolicy {
  /** The wait before the first restart; it doubles with each further crash in the window. */
  initialDelayMs: number;
  /** The longest wait between restarts. */
  maxDelayMs: number;
  /** This many crashes within `windowMs` is a crash loop: give up. */
  maxCrashes: number;
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  maxCrashes: 5,
  windowMs: 60_000,
};

export type RestartDecision = { restart: true; delayMs: number } | { restart: false; reason: string };

/**
 * What to do after a crash, given when the service crashed so far (this crash included, in ms).
 * Only the crashes of the last `windowMs` count, so a service that has run well for a while starts
 * again from the shortest wait.
 */
export function decideRestart(crashTimes: readonly number[], now: number, policy: RestartPolicy = DEFAULT_RESTART_POLICY): RestartDecision {
  const recent = crashTimes.filter((time) => now - time < policy.windowMs).length;
  if (recent >= policy.maxCrashes) {
    return { restart: false, reason: `it crashed ${recent} times within ${policy.windowMs / 1000} s` };
  }
  const delayMs = Math.min(policy.initialDelayMs * 2 ** Math.max(0, recent - 1), policy.maxDelayMs);
  return { restart: true, delayMs };
}
