/** setTimeout's longest wait (2^31−1 ms, 24.8 days): a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `fire` at `at` (epoch ms), however far away: a wait longer than a timer can hold is
 * re-armed. A token's end is the usual `at`, and a token may live longer than 24.8 days.
 */
export function atTime(at: number, fire: () => void): { cancel: () => void } {
  let timer: NodeJS.Timeout;
  const arm = () => {
    const left = at - Date.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(fire, Math.max(0, left));
    timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
