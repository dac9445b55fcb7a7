import { Supergraph } from '@apollo/federation-internals';
import { DomainError } from '@bookshop/runtime';
import { Kind, getIntrospectionQuery, parse, specifiedRules, validate, type DocumentNode, type GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { refuseOversizedDocument } from './document-size.js';
import { DEFAULT_OPERATION_LIMITS, operationLimitsRule } from './operation-limits.js';
import { loadSupergraph } from './supergraph-file.js';

// The rules on their own, against the router's real API schema; e2e/edge-limits.test.ts sends the
// same attacks through the running shop.
const schema = Supergraph.build(loadSupergraph()).apiSchema().toGraphQLJSSchema();
// What the client sees beside the message: the refusal's code and its details.
const extensionsOf = (error: GraphQLError): Record<string, unknown> | undefined =>
  error.originalError instanceof DomainError ? { code: error.originalError.code, ...error.originalError.details } : undefined;
const refusals = (query: string | DocumentNode) =>
  validate(schema, typeof query === 'string' ? parse(query) : query, [
    ...specifiedRules,
    operationLimitsRule(DEFAULT_OPERATION_LIMITS),
  ]).map((error) => ({
    message: error.message,
    extensions: extensionsOf(error),
  }));
// An order's delivery's order's delivery…: one object per level, so only the depth grows.
const nested = (levels: number) => `{ order(id: "1") { ${'delivery { order { '.repeat(levels)}id${' } }'.repeat(levels)} } }`;

describe('operation limits', () => {
  it('refuse a nested operation deeper than ROUTER_MAX_DEPTH, naming its depth and the limit', () => {
    expect(refusals(nested(5))).toEqual([]); // 12 levels
    expect(refusals(nested(20))).toEqual([
      expect.objectContaining({
        message: 'The operation is 42 levels deep; the limit (ROUTER_MAX_DEPTH) is 12.',
        extensions: { code: 'OPERATION_TOO_COMPLEX', limit: 'ROUTER_MAX_DEPTH', maximum: 12, found: 42 },
      }),
    ]);
  });

  it('refuse more aliases than ROUTER_MAX_ALIASES, counting a fragment as often as it is spread', () => {
    const aliased = (count: number) => Array.from({ length: count }, (_, i) => `b${i}: book(id: "${i}") { id }`).join(' ');
    expect(refusals(`{ books(first: 1) { ${Array.from({ length: 30 }, (_, i) => `t${i}: title`).join(' ')} } }`)).toEqual([]);
    expect(
      refusals(
        `{ books(first: 1) { ...Titles ...Titles } } fragment Titles on Book { ${Array.from({ length: 16 }, (_, i) => `t${i}: title`).join(' ')} }`,
      ),
    ).toEqual([expect.objectContaining({ message: 'The operation has 32 aliases; the limit (ROUTER_MAX_ALIASES) is 30.' })]);
    expect(refusals(`{ books(first: 1) { id } ${aliased(40)} }`).map((refusal) => refusal.extensions?.limit)).toEqual([
      'ROUTER_MAX_ALIASES',
      'ROUTER_MAX_ROOT_FIELDS',
    ]);
  });

  it('refuse more root fields than ROUTER_MAX_ROOT_FIELDS; a field asked twice is one', () => {
    const roots = (count: number) => Array.from({ length: count }, (_, i) => `r${i}: books(first: 1) { id }`).join(' ');
    expect(refusals(`{ ${roots(10)} books { id } books { title } }`)).toEqual([
      expect.objectContaining({ message: 'The operation has 11 root fields; the limit (ROUTER_MAX_ROOT_FIELDS) is 10.' }),
    ]);
    expect(refusals(`{ ${roots(9)} books { id } books { title } __typename }`)).toEqual([]);
  });

  it('cost a list by its page: `first`, else its default (50); a variable or no `first` at all counts as the largest page (200)', () => {
    const costOf = (query: string) => {
      const cost = refusals(query).find((refusal) => refusal.extensions?.limit === 'ROUTER_MAX_COST');
      return cost ? cost.extensions!.found : 'within';
    };
    expect(costOf('{ books(first: 20) { title reviews { rating } } }')).toBe('within'); // 20 × (1 + 200) = 4,020: the bench's query
    expect(costOf('{ books { title reviews { rating } } }')).toBe(50 * 201);
    expect(costOf('query($n: Int) { books(first: $n) { title reviews { rating } } }')).toBe(200 * 201);
    expect(costOf('{ books(first: 100000) { reviews { rating } } }')).toBe(200 * 201);
    expect(costOf('{ books(first: 200) { reviews { book { reviews { book { title } } } } } }')).toBe(
      200 * (1 + 200 * (1 + 1 + 200 * (1 + 1))),
    );
  });

  it('measure every fragment once: a document of fragments spreading each other twice over is refused at once', () => {
    const levels = 40;
    const fragments = Array.from(
      { length: levels },
      (_, i) => `fragment F${i} on Book { ${i + 1 < levels ? `...F${i + 1} x${i}: reviews { book { ...F${i + 1} } }` : 'id'} }`,
    ).join('\n');
    // Each fragment's selections are read through a counter: walking every spread would read them
    // 2^40 times, measuring each fragment once a few times each. (Past a ceiling a read throws, so
    // such a walk fails the test instead of hanging it.)
    let reads = 0;
    const document = parse(`{ books(first: 1) { ...F0 } }\n${fragments}`);
    const counted: DocumentNode = {
      ...document,
      definitions: document.definitions.map((definition) =>
        definition.kind !== Kind.FRAGMENT_DEFINITION
          ? definition
          : new Proxy(definition, {
              get: (target, key, receiver) => {
                if (key === 'selectionSet' && ++reads > 100_000) throw new Error('the fragments were read 100,000 times');
                return Reflect.get(target, key, receiver) as unknown;
              },
            }),
      ),
    };
    const found = refusals(counted);
    expect(reads).toBeGreaterThanOrEqual(levels); // every fragment was measured, through the counter
    expect(found.map((refusal) => refusal.extensions?.limit)).toEqual(['ROUTER_MAX_DEPTH', 'ROUTER_MAX_ALIASES', 'ROUTER_MAX_COST']);
  });

  it('leave introspection to the schema (Apollo Sandbox in development; production refuses it outright)', () => {
    expect(refusals(getIntrospectionQuery())).toEqual([]);
  });
});

describe('document size, before parsing', () => {
  it('refuses a document over ROUTER_MAX_DOCUMENT_BYTES, then one over ROUTER_MAX_TOKENS', () => {
    const big = `{ books { id } } # ${'x'.repeat(40_000)}`;
    expect(refuseOversizedDocument(big, DEFAULT_OPERATION_LIMITS)?.message).toBe(
      `The operation is ${big.length} bytes long; the limit (ROUTER_MAX_DOCUMENT_BYTES) is 32768.`,
    );
    const manyTokens = `{ ${'__typename '.repeat(2_000)} }`; // 2,002 tokens in 22 KB
    expect(refuseOversizedDocument(manyTokens, DEFAULT_OPERATION_LIMITS)?.message).toBe(
      'The operation has more than 2000 tokens; the limit (ROUTER_MAX_TOKENS) is 2000.',
    );
    expect(refuseOversizedDocument(`{ ${'__typename '.repeat(1_998)} }`, DEFAULT_OPERATION_LIMITS)).toBeUndefined();
    expect(refuseOversizedDocument('{ "unterminated', DEFAULT_OPERATION_LIMITS)).toBeUndefined(); // the parser's to answer
  });
});
