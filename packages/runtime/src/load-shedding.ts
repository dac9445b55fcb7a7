import type { IncomingMessage, ServerResponse } from 'node:http';
import { writeJson } from './health.js';
import { METRICS } from './metric-catalogue.js';
import { counter } from './metrics.js';

// Requests refused for load, by which limit refused them (the WebSocket side counts its sockets).
const requestsShed = counter(METRICS.requestsShed);

export interface LoadSheddingOptions {
  /** Operations in flight at once; past it, a request is refused at once instead of queueing. */
  maxInFlight: number;
  /** Operations one client (a token's subject, else an address) may hold, so nobody takes all. */
  maxInFlightPerClient: number;
  retryAfterSeconds?: number;
  /**
   * A proxy we trust (the ingress) stands in front and names the caller in `x-forwarded-for`: an
   * anonymous client is then its address there, not the proxy's address that everyone shares.
   * Also the default of the WebSocket side (SubscriptionOptions.trustForwardedFor).
   */
  trustForwardedFor?: boolean;
}

/** Gives back what a take took; calling it again does nothing. */
export type Release = () => void;

/** Why a take found no room: everyone's limit, or the key's own. */
export type NoRoom = 'full' | 'own-limit';

/** Units held overall and per key; a take past either limit is refused. */
export class Quota {
  private held = 0;
  private readonly perKey = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly maxPerKey: number,
  ) {}

  take(key: string): Release | NoRoom {
    const own = this.perKey.get(key) ?? 0;
    if (own >= this.maxPerKey) return 'own-limit';
    if (this.held >= this.max) return 'full';
    this.held += 1;
    this.perKey.set(key, own + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held -= 1;
      const left = (this.perKey.get(key) ?? 1) - 1;
      if (left === 0) this.perKey.delete(key);
      else this.perKey.set(key, left);
    };
  }

  /** Units held now. */
  get size(): number {
    return this.held;
  }

  /** Keys holding at least one unit. */
  get holders(): number {
    return this.perKey.size;
  }
}

/**
 * The caller's address for counting: the socket's peer, or — when a trusted proxy stands in front —
 * the last address of `x-forwarded-for`, the one that proxy saw. Not the first: a proxy that
 * appends keeps whatever the client sent before it, so the first is the client's to choose.
 */
export function clientAddress(request: IncomingMessage, trustForwardedFor = false): string {
  const forwarded = trustForwardedFor ? request.headers['x-forwarded-for'] : undefined;
  const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? ''))
    .split(',')
    .map((hop) => hop.trim())
    .filter(Boolean);
  return `address:${hops.at(-1) ?? request.socket.remoteAddress ?? 'unknown'}`;
}

export interface SocketLimits {
  /** Sockets open at once, whoever holds them. */
  maxSockets: number;
  /** Sockets one caller (a token's subject) may hold once its connection_init is verified. */
  maxSocketsPerCaller: number;
  /** Sockets open but not yet authenticated, overall: anonymous sockets get this share, no more. */
  maxUnauthenticatedSockets: number;
  /** Sockets not yet authenticated per address (see clientAddress). */
  maxUnauthenticatedSocketsPerAddress: number;
}

/** One open socket's place in the ledger. */
export interface SocketSeat {
  /**
   * The socket's connection_init was verified: it leaves its address's share for its caller's.
   * False (and nothing moves) when the caller holds as many as allowed, or the seat was released.
   */
  authenticate(subject: string): boolean;
  readonly authenticated: boolean;
  /** The socket closed. */
  release: Release;
}

/**
 * Counts WebSocket sockets, against figures of their own: a socket is long-lived and holds little
 * while it waits, an operation in flight is short and costs CPU, so one figure cannot fit both
 * (a thousand idle subscribers must not shed every HTTP request). A socket counts against its
 * address until it authenticates, then against its token's subject: an address shared by many
 * (an ingress, a NAT) bounds only the few sockets still introducing themselves.
 */
export class SocketLedger {
  private readonly all: Quota;
  private readonly unauthenticated: Quota;
  private readonly callers: Quota;

  constructor(limits: SocketLimits) {
    this.all = new Quota(limits.maxSockets, Infinity);
    this.unauthenticated = new Quota(limits.maxUnauthenticatedSockets, limits.maxUnauthenticatedSocketsPerAddress);
    this.callers = new Quota(Infinity, limits.maxSocketsPerCaller);
  }

  /** A socket just opened from `address`: its seat, or why there is none (then close it). */
  open(address: string): SocketSeat | NoRoom {
    const pending = this.unauthenticated.take(address);
    if (typeof pending === 'string') return pending;
    const seat = this.all.take('');
    if (typeof seat === 'string') {
      pending();
      return seat;
    }
    let caller: Release | undefined;
    let released = false;
    return {
      authenticate: (subject) => {
        if (released || caller) return false;
        const taken = this.callers.take(subject);
        if (typeof taken === 'string') return false;
        caller = taken;
        pending();
        return true;
      },
      get authenticated() {
        return caller !== undefined;
      },
      release: () => {
        released = true;
        pending();
        caller?.();
        seat();
      },
    };
  }

  /** For /readyz: sockets open, those not yet authenticated, and callers holding any. */
  counts(): { sockets: number; unauthenticatedSockets: number; socketCallers: number } {
    return { sockets: this.all.size, unauthenticatedSockets: this.unauthenticated.size, socketCallers: this.callers.holders };
  }
}

/**
 * Counts operations in flight, overall and per client. A request that finds no room is shed:
 * 503 with `Retry-After` and a GraphQL error SERVICE_UNAVAILABLE carrying `retryAfterSeconds`.
 * Shedding costs a few microseconds; queueing without bound would cost everyone their latency.
 * The service's WebSocket sockets are counted here too (countSockets), on their own figures.
 */
export class LoadShedder {
  private readonly inFlight: Quota;
  private sockets: SocketLedger | undefined;

  constructor(private readonly options: LoadSheddingOptions) {
    this.inFlight = new Quota(options.maxInFlight, options.maxInFlightPerClient);
  }

  get trustsForwardedFor(): boolean {
    return this.options.trustForwardedFor ?? false;
  }

  /** Who a request counts against: its token's subject, else its address. */
  clientOf(request: IncomingMessage, subject: string | undefined): string {
    return subject ?? clientAddress(request, this.trustsForwardedFor);
  }

  /** Admits one operation of `client` until `response` closes; false when it was shed (and answered). */
  admit(client: string, response: ServerResponse): boolean {
    const release = this.inFlight.take(client);
    if (typeof release === 'string') {
      this.shed(response, release === 'own-limit');
      return false;
    }
    response.once('close', release);
    return true;
  }

  /** The sockets of the service's WebSocket server, so `counts()` covers everything it holds. */
  countSockets(ledger: SocketLedger): void {
    this.sockets = ledger;
  }

  /** For /readyz: what is held now. */
  counts(): Record<string, number> {
    return { operationsInFlight: this.inFlight.size, ...this.sockets?.counts() };
  }

  private shed(response: ServerResponse, ownLimit: boolean): void {
    requestsShed.inc({ reason: ownLimit ? 'client-in-flight' : 'in-flight' });
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
