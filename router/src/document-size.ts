import { Lexer, Source, TokenKind, type GraphQLError } from 'graphql';
import { edgeRefusal } from './edge-refusal.js';
import type { OperationLimits } from './operation-limits.js';

/** True when the document has more than `maxTokens` tokens; it stops reading at the first one over. */
function hasMoreTokensThan(query: string, maxTokens: number): boolean {
  const lexer = new Lexer(new Source(query));
  let tokens = 0;
  try {
    // Counted as graphql-js's parser counts them for its `maxTokens` (comments are not tokens).
    while (lexer.advance().kind !== TokenKind.EOF) {
      if (++tokens > maxTokens) return true;
    }
  } catch {
    return false; // not GraphQL at all: the parser answers GRAPHQL_PARSE_FAILED
  }
  return false;
}

/**
 * Refuses a document too large to be worth parsing, before it is parsed: its size first (one
 * pass in native code), then its tokens (lexed only up to the limit). Apollo Server offers no
 * parse options (graphql-js's `maxTokens`), so this runs on the text, for HTTP and WebSocket.
 */
export function refuseOversizedDocument(
  query: string,
  limits: Pick<OperationLimits, 'maxTokens' | 'maxDocumentBytes'>,
): GraphQLError | undefined {
  const bytes = Buffer.byteLength(query, 'utf8');
  if (bytes > limits.maxDocumentBytes) {
    return edgeRefusal(
      'OPERATION_TOO_COMPLEX',
      `The operation is ${bytes} bytes long; the limit (ROUTER_MAX_DOCUMENT_BYTES) is ${limits.maxDocumentBytes}.`,
      { limit: 'ROUTER_MAX_DOCUMENT_BYTES', maximum: limits.maxDocumentBytes, found: bytes },
    );
  }
  if (hasMoreTokensThan(query, limits.maxTokens)) {
    return edgeRefusal(
      'OPERATION_TOO_COMPLEX',
      `The operation has more than ${limits.maxTokens} tokens; the limit (ROUTER_MAX_TOKENS) is ${limits.maxTokens}.`,
      { limit: 'ROUTER_MAX_TOKENS', maximum: limits.maxTokens },
    );
  }
  return undefined;
}
