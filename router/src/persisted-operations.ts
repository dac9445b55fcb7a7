import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GraphQLError } from 'graphql';
import { z } from 'zod';
import { edgeRefusal } from './edge-refusal.js';

/** Where the committed manifest lives (`pnpm operations:register` writes it); the router reads it at start. */
export const PERSISTED_OPERATIONS_FILE = new URL('../persisted-operations.json', import.meta.url);

/** `enforce`: only registered operations run. `off`: any operation runs (within the limits). */
export type PersistedOperationsMode = 'off' | 'enforce';

/** Apollo's persisted query manifest format, so Apollo's client tooling reads it as it is. */
const manifestSchema = z.object({
  format: z.literal('apollo-persisted-query-manifest'),
  version: z.literal(1),
  operations: z.array(
    z.object({
      id: z.string().regex(/^[0-9a-f]{64}$/),
      name: z.string(),
      type: z.enum(['query', 'mutation', 'subscription']),
      body: z.string(),
    }),
  ),
});
export type PersistedOperationsManifest = z.infer<typeof manifestSchema>;
export type PersistedOperation = PersistedOperationsManifest['operations'][number];

/** An operation's id: the sha256 of its exact text, as Apollo's `persistedQuery.sha256Hash`. */
export const operationId = (body: string) => createHash('sha256').update(body).digest('hex');

/** The registered operations by id. */
export class PersistedOperations {
  private readonly bodies: ReadonlyMap<string, string>;

  constructor(manifest: PersistedOperationsManifest) {
    this.bodies = new Map(manifest.operations.map((operation) => [operation.id, operation.body]));
  }

  static load(file: URL = PERSISTED_OPERATIONS_FILE): PersistedOperations {
    return new PersistedOperations(manifestSchema.parse(JSON.parse(readFileSync(file, 'utf8'))));
  }

  get size(): number {
    return this.bodies.size;
  }

  bodyOf(id: string): string | undefined {
    return this.bodies.get(id);
  }

  isRegistered(body: string): boolean {
    return this.bodies.has(operationId(body));
  }
}

export const notRegistered = (): GraphQLError =>
  edgeRefusal(
    'OPERATION_NOT_ALLOWED',
    "Only the shop's registered operations run here (ROUTER_PERSISTED_OPERATIONS=enforce): send the exact text of one, or its sha256Hash as extensions.persistedQuery.",
  );
