import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type GraphQLSchema,
} from 'graphql';
import type { SubscribePayload } from 'graphql-ws';
import type { EdgeOptions } from './graphql-service.js';

export interface OperationChecks {
  schema: GraphQLSchema;
  edge?: EdgeOptions | undefined;
  /** Tokens an operation's text may have: parsing stops there, however long the text. */
  maxTokens: number;
}

/** Apollo's "Did you mean …?" suggestions name fields a caller did not ask about. */
const SUGGESTION = / ?Did you mean(.+?)\?$/;

// The codes Apollo Server gives the same refusals over HTTP, with the rule's own error kept as the
// original: formatError then answers a DomainError's code, and GraphQL's own code for the rest.
const parseFailed = (error: GraphQLError): GraphQLError =>
  new GraphQLError(error.message, {
    source: error.source,
    positions: error.positions,
    originalError: error,
    extensions: { ...error.extensions, code: 'GRAPHQL_PARSE_FAILED' },
  });

const validationFailed = (error: GraphQLError, hideSchema: boolean): GraphQLError =>
  new GraphQLError(hideSchema ? error.message.replace(SUGGESTION, '') : error.message, {
    nodes: error.nodes,
    originalError: error.originalError ?? error,
    extensions: { ...error.extensions, code: 'GRAPHQL_VALIDATION_FAILED' },
  });

/**
 * Operations that passed, by text, per set of checks: the subscribers of one screen send the same
 * few operations, so each is parsed and validated once and its document shared (thousands of live
 * subscriptions hold one syntax tree, not one each). Bounded in entries and in text length, so
 * distinct operations cannot make it grow without end; a refused operation is never kept.
 */
const passed = new WeakMap<OperationChecks, Map<string, DocumentNode>>();
const PASSED_ENTRIES = 500;
const PASSED_TEXT_LENGTH = 4_096;

function remember(checks: OperationChecks, query: string, document: DocumentNode): void {
  if (query.length > PASSED_TEXT_LENGTH) return;
  const documents = passed.get(checks) ?? new Map<string, DocumentNode>();
  passed.set(checks, documents);
  if (documents.size >= PASSED_ENTRIES) documents.delete(documents.keys().next().value!);
  documents.set(query, document);
}

/**
 * What HTTP does to an operation before it runs, done to one sent over a socket: the edge's gate
 * (persisted operations), a parse bounded in tokens, then validation with the edge's rules
 * (operation limits) and, in production, no introspection and no suggestions. Returns the
 * arguments to execute it with, or the refusals.
 */
export function checkOperation(checks: OperationChecks, payload: SubscribePayload): ExecutionArgs | GraphQLError[] {
  const { schema, edge, maxTokens } = checks;
  const refusal = edge?.admitOperation?.(payload.query);
  if (refusal) return [refusal];
  const known = passed.get(checks)?.get(payload.query);
  if (known) return { schema, document: known, operationName: payload.operationName, variableValues: payload.variables };
  let document: DocumentNode;
  try {
    document = parse(payload.query, { maxTokens });
  } catch (error) {
    return [
      error instanceof GraphQLError
        ? parseFailed(error)
        : new GraphQLError('The operation could not be parsed.', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } }),
    ];
  }
  const production = edge?.production ?? false;
  const rules = [...specifiedRules, ...(edge?.validationRules ?? []), ...(production ? [NoSchemaIntrospectionCustomRule] : [])];
  const errors = validate(schema, document, rules);
  if (errors.length > 0) return errors.map((error) => validationFailed(error, production));
  remember(checks, payload.query, document);
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
}
