import { GraphQLError, buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkOperation, type OperationChecks } from './operation-checks.js';

const schema = buildSchema(`
  type Query { ok: Boolean }
  type Subscription { ticks(every: Int!): Int }
`);
const WATCH = 'subscription ($every: Int!) { ticks(every: $every) }';

const documentOf = (result: ReturnType<typeof checkOperation>) => {
  if (Array.isArray(result)) throw new Error(`refused: ${result.map((error) => error.message).join('; ')}`);
  return result.document;
};
const codesOf = (result: ReturnType<typeof checkOperation>) =>
  Array.isArray(result) ? result.map((error) => error.extensions.code) : 'passed';

describe('an operation sent over a socket', () => {
  it('is parsed and validated once per text: subscribers of the same operation share one document', () => {
    const checks: OperationChecks = { schema, maxTokens: 100 };
    const first = checkOperation(checks, { query: WATCH, variables: { every: 1 } });
    const second = checkOperation(checks, { query: WATCH, variables: { every: 2 } });
    expect(documentOf(second)).toBe(documentOf(first));
    // Each keeps its own variables.
    expect([first, second].map((result) => (Array.isArray(result) ? null : result.variableValues))).toEqual([{ every: 1 }, { every: 2 }]);
    // Another text, or the same text under other checks, is checked on its own.
    expect(documentOf(checkOperation(checks, { query: `${WATCH} ` }))).not.toBe(documentOf(first));
    expect(documentOf(checkOperation({ schema, maxTokens: 100 }, { query: WATCH }))).not.toBe(documentOf(first));
  });

  it('is refused every time it is invalid (a refusal is never remembered)', () => {
    const checks: OperationChecks = { schema, maxTokens: 100 };
    const invalid = 'subscription { ticks }';
    expect(codesOf(checkOperation(checks, { query: invalid }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(codesOf(checkOperation(checks, { query: invalid }))).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(codesOf(checkOperation(checks, { query: 'subscription {' }))).toEqual(['GRAPHQL_PARSE_FAILED']);
  });

  it("goes through the edge's gate every time, even after the same text passed", () => {
    let admit = true;
    const refusal = new GraphQLError('Only registered operations.', { extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });
    const checks: OperationChecks = { schema, maxTokens: 100, edge: { admitOperation: () => (admit ? undefined : refusal) } };
    expect(codesOf(checkOperation(checks, { query: WATCH }))).toBe('passed');
    admit = false;
    expect(codesOf(checkOperation(checks, { query: WATCH }))).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
  });
});
