import type { ServerResponse } from 'node:http';
import { writeJson } from './health.js';

export interface LoadSheddingOptions {
  /** Operations in flight at once; past it, a request is refused at once instead of queueing. */
  maxInFlight: number;
  /** Operations one client (a token's subject, else an address) may hold, so nobody takes all. */
  maxInFlightPerClient: number;
  retryAfterSeconds?: number;
}

/**
 * Counts operations in flight, overall and per client. A request that finds no room is shed:
 * 503 with `Retry-After` and a GraphQL error SERVICE_UNAVAILABLE carrying `retryAfterSeconds`.
 * Shedding costs a few microseconds; queueing without bound would cost everyone their latency.
 */
export class LoadShedder {
  private inFlight = 0;
  private readonly perClient = new Map<string, number>();

  constructor(private readonly options: LoadSheddingOptions) {}

  /** Admits one operation of `client` until `response` closes; false when it was shed (and answered). */
  admit(client: string, response: ServerResponse): boolean {
    const held = this.perClient.get(client) ?? 0;
    if (this.inFlight >= this.options.maxInFlight || held >= this.options.maxInFlightPerClient) {
      this.shed(response, held >= this.options.maxInFlightPerClient);
      return false;
    }
    this.inFlight += 1;
    this.perClient.set(client, held + 1);
    response.once('close', () => {
      this.inFlight -= 1;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left === 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    });
    return true;
  }

  private shed(response: ServerResponse, ownLimit: boolean): void {
    const retryAfterSeconds = this.options.retryAfterSeconds ?? 1;
    const message = ownLimit
      ? 'You have too many requests in progress. Wait for them to finish, then try again.'
      : 'The shop is very busy right now. Please try again in a moment.';
    writeJson(
      response,
      503,
      { errors: [{ message, extensions: { code: 'SERVICE_UNAVAILABLE', retryAfterSeconds } }] },
      { 'retry-after': String(retryAfterSeconds) },
    );
  }
}
