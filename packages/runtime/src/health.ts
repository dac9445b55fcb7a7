import type { ServerResponse } from 'node:http';
import { METRICS } from './metric-catalogue.js';
import { gauge } from './metrics.js';

/** One dependency a service needs to serve requests (its own database), or merely reports (NATS). */
export interface ReadinessCheck {
  name: string;
  /** Resolves when the dependency answers; rejects otherwise. */
  check: () => Promise<void>;
  /** A required check makes the service unready when it fails; others are only reported. */
  required?: boolean;
}

const CHECK_TIMEOUT_MS = 2_000;

async function runCheck(check: ReadinessCheck): Promise<{ name: string; ok: boolean; required: boolean; error?: string }> {
  const required = check.required ?? true;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check.check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { name: check.name, ok: true, required };
  } catch (error) {
    return { name: check.name, ok: false, required, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export interface LivenessOptions {
  /** A turn of the event loop longer than this is a stall. */
  maxEventLoopDelayMs?: number | undefined;
  /** How long after a stall /healthz keeps failing (about one probe period). */
  stallWindowMs?: number | undefined;
}

const SAMPLE_EVERY_MS = 100;

// Whatever evaluated readiness last (a probe, a scrape): an alert on flapping counts its changes.
const readyGauge = gauge(METRICS.ready);

/** Figures a process reports in its /readyz body (`info`): what is open now, read when asked. */
export type HealthInfo = () => Record<string, number>;

/** Liveness and readiness of one process: what /healthz and /readyz answer. */
export class Health {
  private draining = false;
  private lastStall: { endedAt: number; ms: number } | undefined;
  private readonly maxEventLoopDelayMs: number;
  private readonly stallWindowMs: number;
  private readonly sampler: NodeJS.Timeout;

  constructor(
    private readonly checks: ReadinessCheck[] = [],
    options: LivenessOptions = {},
    private readonly info?: HealthInfo,
  ) {
    this.maxEventLoopDelayMs = options.maxEventLoopDelayMs ?? 3_000;
    this.stallWindowMs = options.stallWindowMs ?? 10_000;
    // A timer that fires late by more than the limit means the loop was stuck that long.
    let due = Date.now() + SAMPLE_EVERY_MS;
    this.sampler = setInterval(() => {
      const now = Date.now();
      const late = now - due;
      if (late > this.maxEventLoopDelayMs) this.lastStall = { endedAt: now, ms: late };
      due = now + SAMPLE_EVERY_MS;
    }, SAMPLE_EVERY_MS);
    this.sampler.unref();
  }

  startDraining(): void {
    this.draining = true;
  }

  /**
   * Liveness. A stuck event loop cannot answer at all, so the probe's timeout fails it; a loop
   * that stalls for seconds at a time may still answer between stalls, so /healthz also fails for
   * a while after each stall longer than the limit.
   */
  writeLiveness(response: ServerResponse): void {
    const stall = this.lastStall && Date.now() - this.lastStall.endedAt < this.stallWindowMs ? this.lastStall : undefined;
    if (stall) {
      writeJson(response, 503, { status: 'event loop stalled', stalledMs: stall.ms, limitMs: this.maxEventLoopDelayMs });
      return;
    }
    writeJson(response, 200, { status: 'ok' });
  }

  /** Runs the checks: whether the process is ready now, and each check's result. */
  async evaluate(): Promise<{ ready: boolean; results: Awaited<ReturnType<typeof runCheck>>[] }> {
    const results = await Promise.all(this.checks.map(runCheck));
    const ready = !this.draining && results.every((result) => result.ok || !result.required);
    readyGauge.set(ready ? 1 : 0);
    return { ready, results };
  }

  async writeReadiness(response: ServerResponse): Promise<void> {
    const { ready, results } = await this.evaluate();
    writeJson(response, ready ? 200 : 503, {
      status: ready ? 'ready' : this.draining ? 'draining' : 'unready',
      checks: results,
      // Read after the checks: the figures are as fresh as the answer.
      ...(this.info ? { info: this.info() } : {}),
    });
  }

  stop(): void {
    clearInterval(this.sampler);
  }
}

export function writeJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  response.end(payload);
}

/** Readiness of a service's own database: one trivial query answers. */
export const databaseReadiness = (db: { $queryRawUnsafe(query: string): Promise<unknown> }): ReadinessCheck => ({
  name: 'database',
  check: async () => void (await db.$queryRawUnsafe('SELECT 1')),
});
