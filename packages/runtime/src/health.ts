import type { ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

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

/** Liveness and readiness of one process: what /healthz and /readyz answer. */
export class Health {
  private draining = false;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 });

  private readonly maxEventLoopDelayMs: number;

  constructor(private readonly checks: ReadinessCheck[] = [], options: { maxEventLoopDelayMs?: number | undefined } = {}) {
    this.maxEventLoopDelayMs = options.maxEventLoopDelayMs ?? 3_000;
    this.loopDelay.enable();
  }

  startDraining(): void {
    this.draining = true;
  }

  /**
   * Liveness. A stuck event loop cannot answer at all, so the probe's timeout fails it; a loop
   * that stalls for seconds at a time may still answer between stalls, so the longest stall
   * since the previous probe is checked too.
   */
  writeLiveness(response: ServerResponse): void {
    const maxDelayMs = Math.round(this.loopDelay.max / 1e6);
    this.loopDelay.reset();
    const alive = maxDelayMs <= this.maxEventLoopDelayMs;
    writeJson(response, alive ? 200 : 503, {
      status: alive ? 'ok' : 'event loop stalled',
      eventLoopMaxDelayMs: maxDelayMs,
      limitMs: this.maxEventLoopDelayMs,
    });
  }

  async writeReadiness(response: ServerResponse): Promise<void> {
    const results = await Promise.all(this.checks.map(runCheck));
    const ready = !this.draining && results.every((result) => result.ok || !result.required);
    writeJson(response, ready ? 200 : 503, {
      status: ready ? 'ready' : this.draining ? 'draining' : 'unready',
      checks: results,
    });
  }

  stop(): void {
    this.loopDelay.disable();
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
