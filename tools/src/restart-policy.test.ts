import { describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, decideRestart } from './restart-policy.js';

const second = 1_000;

describe('decideRestart (pnpm start supervision)', () => {
  it('backs off 1 s, 2 s, 4 s, 8 s for crashes close together', () => {
    const crashes: number[] = [];
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const now = i * second;
      crashes.push(now);
      const decision = decideRestart(crashes, now);
      expect(decision.restart).toBe(true);
      if (decision.restart) delays.push(decision.delayMs);
    }
    expect(delays).toEqual([1 * second, 2 * second, 4 * second, 8 * second]);
  });

  it('never waits longer than maxDelayMs', () => {
    const policy = { ...DEFAULT_RESTART_POLICY, maxCrashes: 100 };
    const crashes = Array.from({ length: 10 }, (_, i) => i * second);
    expect(decideRestart(crashes, 9 * second, policy)).toEqual({ restart: true, delayMs: 30 * second });
  });

  it('gives up with the reason on the 5th crash within 60 s', () => {
    const crashes = [0, 5, 10, 20, 40].map((s) => s * second);
    expect(decideRestart(crashes, 40 * second)).toEqual({ restart: false, reason: 'it crashed 5 times within 60 s' });
  });

  it('forgets crashes older than the window: a service that ran a while starts again from 1 s', () => {
    const crashes = [0, 1, 2, 3, 120].map((s) => s * second);
    expect(decideRestart(crashes, 120 * second)).toEqual({ restart: true, delayMs: 1 * second });
  });
});
