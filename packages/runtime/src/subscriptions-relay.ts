import { GraphQLError, getOperationAST, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { bearerToken, verifyToken, type UserTokenKeys, type Viewer } from './auth.js';
import { DomainError } from './errors.js';
import { correlationIdFrom, type RequestMeta } from './request-context.js';
import { SERVICE_TOKEN_HEADER, ServiceTrust } from './service-credentials.js';
import { atTime } from './subscriptions-clock.js';

/**
 * Relayed subscriptions: one socket of a trusted service (the router) carries many callers'
 * subscriptions. The socket proves the service (its own credential in `connection_init`); each
 * subscribe message names its caller in `extensions` (their bearer token and correlation id),
 * verified exactly as a socket's token is, and runs as that caller (docs/decisions/0018).
 */

/** The services whose sockets may carry other callers' subscriptions. */
export const RELAYING_SERVICES: readonly string[] = ['router'];

// The caller's part of a relayed subscribe message: the names of the HTTP headers that carry the same.
const AUTHORIZATION = 'authorization';
const CORRELATION_ID = 'x-correlation-id';

/** The `extensions` a relaying service puts on a subscribe message sent for the caller of `meta`. */
export function relayedIdentity(meta: RequestMeta): Record<string, string> {
  return { ...(meta.authorization ? { [AUTHORIZATION]: meta.authorization } : {}), [CORRELATION_ID]: meta.correlationId };
}

/** A subscribe message that names a caller: relayed, or someone trying to act for another. */
export const namesACaller = (extensions: unknown): boolean =>
  typeof extensions === 'object' && extensions !== null && AUTHORIZATION in extensions;

const NO_TRUST = new ServiceTrust([]);

/**
 * The relaying service a socket's `connection_init` proves, or null when it carries no service
 * credential (a caller's own socket). A credential that does not verify, or a service that may not
 * relay, throws: the socket is refused (4403), whatever else its `connection_init` says.
 */
export async function relayingServiceOf(params: Record<string, unknown>, trust: ServiceTrust | undefined): Promise<string | null> {
  const credential = params[SERVICE_TOKEN_HEADER];
  if (credential === undefined) return null;
  if (typeof credential !== 'string') throw new DomainError('UNAUTHENTICATED', 'The service credential is not valid.');
  const service = await (trust ?? NO_TRUST).callerOf(credential);
  if (!service || !RELAYING_SERVICES.includes(service)) {
    throw new DomainError('FORBIDDEN', `Only ${RELAYING_SERVICES.join(' or ')} may relay subscriptions.`);
  }
  return service;
}

/** The caller of one relayed subscription, and when their token ends it. */
export interface RelayedCaller {
  viewer: Viewer;
  request: RequestMeta;
  expiresAt: Date;
}

const refusal = (error: DomainError): GraphQLError[] => [new GraphQLError(error.message, { originalError: error })];

/**
 * The caller a relayed subscribe message names, verified as a socket's `connection_init` token is:
 * a message that names nobody, or a token that does not verify, is refused UNAUTHENTICATED — that
 * subscription only, never the socket, which carries other callers' subscriptions.
 */
export async function relayedCallerOf(extensions: unknown, keys: string | UserTokenKeys): Promise<RelayedCaller | GraphQLError[]> {
  const named = (typeof extensions === 'object' && extensions !== null ? extensions : {}) as Record<string, unknown>;
  const authorization = typeof named[AUTHORIZATION] === 'string' ? named[AUTHORIZATION] : undefined;
  const correlation = typeof named[CORRELATION_ID] === 'string' ? named[CORRELATION_ID] : undefined;
  try {
    const token = bearerToken(authorization);
    if (!token)
      throw new DomainError('UNAUTHENTICATED', `A relayed subscription carries its caller's token in extensions.${AUTHORIZATION}.`);
    const { subject, role, expiresAt } = await verifyToken(token, keys);
    return {
      viewer: { subject, role },
      request: { correlationId: correlationIdFrom(correlation), authorization: authorization! },
      expiresAt,
    };
  } catch (error) {
    return refusal(error instanceof DomainError ? error : new DomainError('UNAUTHENTICATED', 'The token is not valid.'));
  }
}

/**
 * A socket that is not a relaying service's names no other caller: one that tries (a customer's
 * socket sending someone else's token) is refused rather than ignored. Ignoring it would run the
 * subscription as the socket's own caller, while whoever sent it believes it runs as the caller
 * it named: a misconfigured relay would then hand one customer's entries to another.
 */
export const callerOnAnOwnSocket = (): GraphQLError[] =>
  refusal(
    new DomainError(
      'FORBIDDEN',
      `This socket acts for its own caller only: extensions.${AUTHORIZATION} is for the shop's ${RELAYING_SERVICES.join(', ')}.`,
    ),
  );

/** A relaying service relays subscriptions only: queries and mutations go over HTTP, where the usual rules apply. */
export function onlySubscriptionsRelayed(args: ExecutionArgs): GraphQLError[] | undefined {
  if (getOperationAST(args.document, args.operationName)?.operation === 'subscription') return undefined;
  return [new GraphQLError('Only subscriptions are relayed over this socket.', { extensions: { code: 'BAD_REQUEST' } })];
}

/**
 * A relayed subscription that fell too far behind ends with this, not with the socket's close
 * (1013) that a caller's own socket gets: the socket carries other callers' subscriptions. The
 * relaying service subscribes again (asksToResubscribe); the first results are the current state.
 */
export const relayedTooSlow = (): DomainError =>
  new DomainError('SERVICE_UNAVAILABLE', 'This subscription fell too far behind; subscribe again to get the latest state.', {
    retryAfterSeconds: 0,
    resubscribe: true,
  });

/** The subgraph ended a relayed subscription for the relaying service to open again at once (relayedTooSlow). */
export const asksToResubscribe = (errors: readonly GraphQLFormattedError[]): boolean =>
  errors.some((error) => error.extensions?.code === 'SERVICE_UNAVAILABLE' && error.extensions?.resubscribe === true);

const expired = () => new DomainError('UNAUTHENTICATED', 'Your token has expired. Get a new one and subscribe again.');

/**
 * Ends a relayed subscription when its caller's token does — the socket's close (4401) that a
 * caller's own socket gets, for this subscription alone: a pending read fails with UNAUTHENTICATED
 * (sent as the subscription's error) and the stream underneath is ended.
 */
export function untilExpiry(
  stream: AsyncGenerator<ExecutionResult> | AsyncIterable<ExecutionResult>,
  expiresAt: Date,
): AsyncGenerator<ExecutionResult> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<ExecutionResult>;
  const done = (): IteratorResult<ExecutionResult> => ({ done: true, value: undefined });
  let state: 'open' | 'expired' | 'returned' = 'open';
  let failPending: ((error: DomainError) => void) | undefined;
  const end = async (why: 'expired' | 'returned') => {
    state = why;
    expiry.cancel();
    await iterator.return?.();
  };
  const expiry = atTime(expiresAt.getTime(), () => {
    if (state !== 'open') return;
    failPending?.(expired());
    void end('expired').catch(() => {}); // the stream underneath ends quietly (endsQuietly): nothing to report
  });
  const wrapped = {
    next: () => {
      if (state === 'expired') return Promise.reject(expired());
      if (state === 'returned') return Promise.resolve(done());
      return new Promise<IteratorResult<ExecutionResult>>((resolve, reject) => {
        failPending = reject;
        iterator.next().then(
          (result) => {
            if (result.done) expiry.cancel();
            resolve(result);
          },
          (error: unknown) => {
            expiry.cancel();
            reject(error as Error);
          },
        );
      });
    },
    return: async () => {
      if (state === 'open') await end('returned');
      return done();
    },
    throw: async (error: unknown) => {
      await wrapped.return(undefined);
      throw error;
    },
    [Symbol.asyncIterator]: () => wrapped,
  } as AsyncGenerator<ExecutionResult>;
  return wrapped;
}
