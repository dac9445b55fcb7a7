import {
  Kind,
  getNamedType,
  isObjectType,
  parse,
  print,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { EntityVersion } from './shared-feeds.js';

/** The fields that name an entry and count its changes: my page's entries (`version` rises by one per change). */
const KEY_FIELD = 'orderId';
const VERSION_FIELD = 'version';
/** Response names of the router's own, so whatever the subscriber selected (or not) stays as it is. */
const KEY_ALIAS = '_routerEntityKey';
const VERSION_ALIAS = '_routerEntityVersion';

export interface VersionedPrimary {
  /** The primary operation as the subgraph gets it: with the entity's key and version when its type has them. */
  operation: string;
  /** The entity and version an event of that operation is about, if its type is versioned. */
  entityOf: (data: unknown) => EntityVersion | undefined;
}

const aliased = (name: string, alias: string): FieldNode => ({
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: alias },
  name: { kind: Kind.NAME, value: name },
});

/**
 * Every event of a versioned subscription tells which entity it is about and which version, even
 * when the subscriber selected neither, and even when an entity fetch of the event later fails
 * (its data may then be null): the feed needs both to forward each version once.
 */
export function versionedPrimary(operation: string, schema: GraphQLSchema): VersionedPrimary {
  const unversioned = { operation, entityOf: () => undefined };
  const document = parse(operation);
  const definition = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const root = definition?.selectionSet.selections.length === 1 ? definition.selectionSet.selections[0] : undefined;
  if (!definition || root?.kind !== Kind.FIELD || !root.selectionSet) return unversioned;
  const type = getNamedType(schema.getSubscriptionType()?.getFields()[root.name.value]?.type);
  if (!isObjectType(type) || !(KEY_FIELD in type.getFields()) || !(VERSION_FIELD in type.getFields())) return unversioned;

  const withIdentity: FieldNode = {
    ...root,
    selectionSet: {
      ...root.selectionSet,
      selections: [...root.selectionSet.selections, aliased(KEY_FIELD, KEY_ALIAS), aliased(VERSION_FIELD, VERSION_ALIAS)],
    },
  };
  const augmented: DocumentNode = {
    ...document,
    definitions: document.definitions.map((d) =>
      d === definition ? { ...definition, selectionSet: { ...definition.selectionSet, selections: [withIdentity] } } : d,
    ),
  };
  const responseName = root.alias?.value ?? root.name.value;
  return {
    operation: print(augmented),
    entityOf: (data) => {
      const value = (data as Record<string, Record<string, unknown> | null> | null | undefined)?.[responseName];
      const key = value?.[KEY_ALIAS];
      const version = value?.[VERSION_ALIAS];
      return typeof key === 'string' && typeof version === 'number' ? { key, version } : undefined;
    },
  };
}
