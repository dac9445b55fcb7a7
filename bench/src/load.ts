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

export interface OpenLoopOptions {
  url: string;
  /** Requests started per second, by the clock: request `n` is due at start + n / rate. */
  ratePerSecond: number;
  /** How many requests to send (rate × seconds for a timed run). */
  count: number;
  /** The JSON body and the headers of request number `n`. */
  body: (n: number) => string;
  headers?: (n: number) => Record<string, string>;
  /** Sockets to the server; a request due while all are busy waits in the pool's queue, and that wait counts. */
  connections?: number;
  /** Each successful answer's body, and when it arrived (performance.now()). */
  onAnswer?: (n: number, body: string, answeredAt: number) => void;
}

export interface OpenLoopResult extends LoadResult {
  offeredRps: number;
  /** The slowest answer (ms from when it was due). */
  max: number;
  /** How far behind its schedule the bench itself sent a request at worst (its own event loop, not the shop). */
  maxSendLagMs: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * An open-loop load: requests go out on a fixed schedule whether or not earlier ones have been
 * answered, as independent users would send them, so a slow shop meets a growing queue instead of
 * a politely slower client. Latency runs from when a request was due, so time spent late in the
 * bench or queued for a socket counts. `rps` is successful answers per second, from the first due
 * request to the last answer.
 */
export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const target = new URL(options.url);
  // A request without an answer in 60 s counts as an error rather than holding the run forever.
  const pool = new Pool(target.origin, { connections: options.connections ?? 256, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const interval = 1000 / options.ratePerSecond;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let maxSendLagMs = 0;
  let lastAnswer = 0;
  const sending: Promise<void>[] = [];
  const started = performance.now();

  const send = async (n: number, due: number) => {
    try {
      const response = await pool.request({
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers?.(n) },
        body: options.body(n),
      });
      const text = await response.body.text();
      const answeredAt = performance.now();
      lastAnswer = Math.max(lastAnswer, answeredAt);
      latencies.push(answeredAt - due);
      if (graphqlOk(response.statusCode, text)) options.onAnswer?.(n, text, answeredAt);
      else {
        errors += 1;
        firstError ??= `${response.statusCode} ${text.slice(0, 300)}`;
      }
    } catch (error) {
      errors += 1;
      firstError ??= String(error);
    }
  };
  for (let n = 0; n < options.count; n++) {
    const due = started + n * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
    sending.push(send(n, due));
  }
  await Promise.all(sending);
  await pool.close();
  const { p50, p99, max } = latencyStats(latencies);
  return {
    requests: latencies.length,
    errors,
    rps: lastAnswer > started ? ((options.count - errors) / (lastAnswer - started)) * 1000 : 0,
    offeredRps: options.ratePerSecond,
    p50,
    p99,
    max,
    maxSendLagMs,
    ...(firstError ? { firstError } : {}),
  };
}

/** Runs `task(0)` … `task(count - 1)`, at most `concurrency` at a time (a closed loop over a fixed amount of work). */
export async function inParallel(count: number, concurrency: number, task: (n: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** The run with the median rate, whose latencies stand for the set. */
export const medianRun = <R extends { rps: number }>(runs: R[]): R => [...runs].sort((a, b) => a.rps - b.rps)[Math.floor(runs.length / 2)]!;
