import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { buildPersistedOperationsManifest, renderManifest } from './operations-manifest.js';
import { PERSISTED_OPERATIONS_FILE, PersistedOperations, operationId } from './persisted-operations.js';
import { loadSupergraph } from './supergraph-file.js';

it('the committed manifest is what router/operations/*.graphql register to (run `pnpm operations:register` after changing one)', () => {
  expect(readFileSync(PERSISTED_OPERATIONS_FILE, 'utf8')).toBe(renderManifest(buildPersistedOperationsManifest()));
});

it('the manifest registers every operation of the public API, each by the sha256 of its text', () => {
  const manifest = buildPersistedOperationsManifest();
  const registered = new PersistedOperations(manifest);
  const rootFields = manifest.operations.map((operation) => /\{\s*(\w+)/.exec(operation.body)?.[1]).sort();
  expect(rootFields).toEqual(
    [
      'book',
      'bookByTitle',
      'books',
      'cancelOrder',
      'completeDelivery',
      'deliveries',
      'myPage',
      'myPageUpdated',
      'order',
      'orderStatusChanged',
      'placeOrder',
      'registerBook',
      'restockBook',
      'review',
      'writeReview',
    ].sort(),
  );
  for (const operation of manifest.operations) {
    expect(operation.id).toBe(operationId(operation.body));
    expect(registered.isRegistered(operation.body)).toBe(true);
  }
  expect(registered.isRegistered(`${manifest.operations[0]!.body} `)).toBe(false);
});

const folders: string[] = [];
afterEach(() => folders.splice(0).forEach((folder) => rmSync(folder, { recursive: true, force: true })));
function operationsFolder(files: Record<string, string>): URL {
  const folder = mkdtempSync(path.join(tmpdir(), 'operations-'));
  folders.push(folder);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(folder, name), text);
  return pathToFileURL(`${folder}/`);
}

it('an operation the router would refuse cannot be registered: unknown fields, over a limit, or misnamed', () => {
  const register = (files: Record<string, string>) => () => buildPersistedOperationsManifest(loadSupergraph(), operationsFolder(files));
  expect(register({ 'Stock.graphql': 'query Stock { stockReservation(orderId: "1") { quantity } }' })).toThrow(
    /Stock.graphql: Cannot query field "stockReservation"/,
  );
  expect(register({ 'Greedy.graphql': 'query Greedy { books(first: 200) { reviews { book { reviews { id } } } } }' })).toThrow(
    /ROUTER_MAX_COST/,
  );
  expect(register({ 'Books.graphql': 'query Catalogue { books { id } }' })).toThrow(/must hold exactly one operation, named Books/);
  expect(register({ 'Books.graphql': 'query Books { books { id } }' })().operations).toEqual([
    {
      id: operationId('query Books {\n  books {\n    id\n  }\n}'),
      name: 'Books',
      type: 'query',
      body: 'query Books {\n  books {\n    id\n  }\n}',
    },
  ]);
});
