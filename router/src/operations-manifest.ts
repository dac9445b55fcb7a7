import { readdirSync, readFileSync } from 'node:fs';
import { Supergraph } from '@apollo/federation-internals';
import { Kind, parse, print, specifiedRules, validate, type GraphQLSchema } from 'graphql';
import { refuseOversizedDocument } from './document-size.js';
import { DEFAULT_OPERATION_LIMITS, operationLimitsRule } from './operation-limits.js';
import { operationId, type PersistedOperation, type PersistedOperationsManifest } from './persisted-operations.js';
import { loadSupergraph } from './supergraph-file.js';

/** The shop's public operations, one per file, named as the operation in it (`PlaceOrder.graphql`). */
export const OPERATIONS_DIR = new URL('../operations/', import.meta.url);

/** What a client of the shop can run: the supergraph without its @inaccessible parts. */
const apiSchemaOf = (supergraphSdl: string): GraphQLSchema => Supergraph.build(supergraphSdl).apiSchema().toGraphQLJSSchema();

/**
 * One file's operation as it is registered. Its body is graphql-js's `print` of the document
 * (comments and layout dropped), the text GraphQL clients send for a parsed document, so a client
 * that loads the .graphql file and prints it sends exactly the registered text. The operation
 * must be one the router accepts with its default limits: the manifest holds nothing it refuses.
 */
function registeredOperation(fileName: string, text: string, schema: GraphQLSchema): PersistedOperation {
  const document = parse(text);
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const [operation] = operations;
  const expectedName = fileName.replace(/\.graphql$/, '');
  if (operations.length !== 1 || !operation || operation.name?.value !== expectedName) {
    throw new Error(`${fileName}: must hold exactly one operation, named ${expectedName}`);
  }
  const body = print(document);
  const problems = [
    ...validate(schema, document, [...specifiedRules, operationLimitsRule(DEFAULT_OPERATION_LIMITS)]),
    ...[refuseOversizedDocument(body, DEFAULT_OPERATION_LIMITS)].filter((refusal) => refusal !== undefined),
  ];
  if (problems.length > 0) throw new Error(`${fileName}: ${problems.map((problem) => problem.message).join('; ')}`);
  return { id: operationId(body), name: expectedName, type: operation.operation, body };
}

/** The manifest the router enforces, from router/operations/*.graphql (sorted, so it is reproducible). */
export function buildPersistedOperationsManifest(supergraphSdl = loadSupergraph(), dir = OPERATIONS_DIR): PersistedOperationsManifest {
  const schema = apiSchemaOf(supergraphSdl);
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.graphql'))
    .sort();
  const operations = files.map((name) => registeredOperation(name, readFileSync(new URL(name, dir), 'utf8'), schema));
  return { format: 'apollo-persisted-query-manifest', version: 1, operations };
}

/** The manifest as the committed file holds it. */
export const renderManifest = (manifest: PersistedOperationsManifest) => `${JSON.stringify(manifest, null, 2)}\n`;
