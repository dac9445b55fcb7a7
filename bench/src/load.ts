import { Pool } from 'undici';

export interface LoadResult {
  requests: number;
  errors: number;
  /** Completed requests per second. */
  rps: number;
  p50: number;
  p99: number;
  /** The first error seen, to tell what went wrong. */
  firstError?: string;
}

export interface ClosedLoopOptions {
  url: string;
  /** Requests in flight at once (each connection sends its next request when the last is answered). */
  connections: number;
  durationMs: number;
  /** The JSON body of every request. */
  body: string;
  /** Headers of request number `n`. */
  headers?: (n: number) => Record<string, string>;
}

/** A response counts as an error unless it is a 200 without `errors` (a GraphQL error is a 200). */
const graphqlOk = (status: number, body: string) => status === 200 && !body.includes('"errors"');

/** p50, p99 and the maximum of latencies, in ms (NaN when there are none). */
export function latencyStats(latencies: number[]): { p50: number; p99: number; max: number } {
  const sorted = Float64Array.from(latencies).sort();
  const at = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : NaN);
  return { p50: at(0.5), p99: at(0.99), max: sorted.length ? sorted[sorted.length - 1]! : NaN };
}

/** Median and spread (min–max) of repeated runs of one figure. */
export function summarize(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/**
 * A closed-loop load: `connections` clients on keep-alive sockets, each sending its next request
 * as soon as the previous one is answered, for `durationMs`. Latency is per request, in ms.
 */
export async function closedLoop(options: ClosedLoopOptions): Promise<LoadResult> {
  const target = new URL(options.url);
  const pool = new Pool(target.origin, { connections: options.connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let sent = 0;
  const started = performance.now();
  const until = started + options.durationMs;

  async function client() {
    while (performance.now() < until) {
      const n = sent++;
      const begin = performance.now();
      try {
        const response = await pool.request({
          path: target.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...options.headers?.(n) },
          body: options.body,
        });
        const text = await response.body.text();
        latencies.push(performance.now() - begin);
        if (!graphqlOk(response.statusCode, text)) {
          errors += 1;
          firstError ??= `${response.statusCode} ${text.slice(0, 300)}`;
        }
      } catch (error) {
        errors += 1;
        firstError ??= String(error);
      }
    }
  }
  await Promise.all(Array.from({ length: options.connections }, client));
  const elapsed = performance.now() - started;
  await pool.close();
  const { p50, p99 } = latencyStats(latencies);
  return {
    requests: latencies.length,
    errors,
    rps: (latencies.length / elapsed) * 1000,
    p50,
    p99,
    ...(firstError ? { firstError } : {}),
  };
}

/** The run with the median rate, whose latencies stand for the set. */
export const medianRun = <R extends { rps: number }>(runs: R[]): R => [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!;
