import { DomainError, type ErrorCode } from '@bookshop/runtime';
import { GraphQLError, type ASTNode } from 'graphql';

export type EdgeRefusalCode = Extract<ErrorCode, 'OPERATION_TOO_COMPLEX' | 'OPERATION_NOT_ALLOWED'>;

/**
 * A refusal of a whole operation at the edge, before any subgraph is asked. The DomainError inside
 * keeps its code through every path: Apollo re-codes validation errors GRAPHQL_VALIDATION_FAILED,
 * and the runtime's formatError (HTTP and WebSocket alike) answers the original's code instead.
 * `details` reach the client as extensions beside the code.
 */
export function edgeRefusal(
  code: EdgeRefusalCode,
  message: string,
  details: Record<string, unknown> = {},
  nodes?: readonly ASTNode[],
): GraphQLError {
  return new GraphQLError(message, {
    ...(nodes ? { nodes } : {}),
    originalError: new DomainError(code, message, details),
    extensions: { code, http: { status: 400 } },
  });
}
