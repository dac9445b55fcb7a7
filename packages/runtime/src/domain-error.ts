/**
 * The shop's refusals as values: a stable code and a sentence a person can act on. Domain code
 * throws these; only the edge (errors.ts) turns them into GraphQL responses, so this module
 * imports no transport.
 */

/** Every code the shop answers with, each listed once (the public contract lists them too). */
export const ERROR_CODES = [
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'INVALID_INPUT',
  'BOOK_NOT_FOUND',
  'BOOK_ALREADY_EXISTS',
  'OUT_OF_STOCK',
  'ORDER_NOT_FOUND',
  'ORDER_NOT_CANCELLABLE',
  'DELIVERY_NOT_FOUND',
  'DELIVERY_NOT_COMPLETABLE',
  'REVIEW_NOT_ALLOWED',
  'RESERVATION_RELEASED',
  'SERVICE_UNAVAILABLE',
  'TOO_MANY_SUBSCRIPTIONS',
  // The public edge (the router): an operation over a limit, or not a registered one.
  'OPERATION_TOO_COMPLEX',
  'OPERATION_NOT_ALLOWED',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/** True for the shop's own codes (also when they arrive from a subgraph through the router). */
export function isKnownCode(code: string): code is ErrorCode {
  return KNOWN_CODES.has(code);
}

/** A refusal with a code and a sentence a person can act on. Thrown by domain code. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DomainError';
  }
}

export const isDomainError = (error: unknown): error is DomainError => error instanceof DomainError;
