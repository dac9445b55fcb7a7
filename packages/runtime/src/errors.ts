import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError, isKnownCode, type ErrorCode } from './domain-error.js';
import { logger } from './logger.js';

export * from './domain-error.js';

/** GraphQL's own refusals (parse, validation, variable coercion) keep their codes. */
const GRAPHQL_OWN_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

/**
 * Apollo Server refuses some malformed requests (a persisted query hash that does not match the
 * text, an unsupported persisted query version) with an HTTP 4xx but no code: they are the
 * client's BAD_REQUEST, not an error on our side. Our own errors always carry a code.
 */
function isApolloRequestRefusal(error: unknown): boolean {
  // Apollo fills in INTERNAL_SERVER_ERROR for a missing code: look at the error as thrown.
  if (!(error instanceof GraphQLError) || error.originalError || error.extensions?.code !== undefined) return false;
  const status = (error.extensions?.http as { status?: unknown } | undefined)?.status;
  return typeof status === 'number' && status >= 400 && status < 500;
}

/**
 * The one place where errors become responses: domain errors keep their code and message,
 * GraphQL's own errors pass, and anything else becomes INTERNAL_SERVER_ERROR with the detail
 * in the log only — no stack trace or SQL ever reaches a caller.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const unwrapped = unwrapResolverError(error);
  // A refusal wrapped outside a resolver (e.g. a subscription hook) still carries its DomainError.
  const original = unwrapped instanceof GraphQLError && unwrapped.originalError ? unwrapped.originalError : unwrapped;
  if (original instanceof DomainError) {
    return {
      message: original.message,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { ...original.details, code: original.code },
    };
  }
  if (isApolloRequestRefusal(original)) {
    return { message: formatted.message, extensions: { code: 'BAD_REQUEST' } };
  }
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && (GRAPHQL_OWN_CODES.has(code) || isKnownCode(code))) {
    const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions };
  }
  logger.error({ err: original }, 'unexpected error while executing an operation');
  return {
    message: 'Something went wrong on our side. Please try again.',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  };
}

/** A GraphQLError with a code, for refusals outside resolvers (context creation). */
export function graphQLError(code: ErrorCode, message: string, httpStatus?: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code, ...(httpStatus ? { http: { status: httpStatus } } : {}) },
  });
}
