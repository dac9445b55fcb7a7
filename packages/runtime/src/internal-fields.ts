import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';
import { graphQLError } from './errors.js';
import type { ServiceContext } from './graphql-service.js';

/** Federation's own root fields: entities by key and the subgraph's SDL. Only the shop's services ask for them. */
export const FEDERATION_FIELDS: readonly string[] = ['_entities', '_service'];

/** The root fields an operation selects, through fragments and inline fragments. */
function rootFieldNames(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  seen = new Set<string>(),
): string[] {
  return selectionSet.selections.flatMap((selection) => {
    if (selection.kind === Kind.FIELD) return [selection.name.value];
    if (selection.kind === Kind.INLINE_FRAGMENT) return rootFieldNames(selection.selectionSet, fragments, seen);
    const name = selection.name.value;
    const fragment = fragments.get(name);
    if (!fragment || seen.has(name)) return [];
    seen.add(name);
    return rootFieldNames(fragment.selectionSet, fragments, seen);
  });
}

/**
 * Refuses, before anything runs, an operation that selects one of `fields` unless a service of
 * `callers` sent it (its credential in `x-service-token`): `_entities` answers any entity by id,
 * so a client that reached a subgraph directly could otherwise read what the router would refuse.
 */
export function internalFieldsOnlyFor(
  callers: readonly string[],
  fields: readonly string[] = FEDERATION_FIELDS,
): ApolloServerPlugin<ServiceContext> {
  const internal = new Set(fields);
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ operation, document, contextValue }) => {
        if (!operation || operation.operation !== 'query' || (contextValue.caller && callers.includes(contextValue.caller))) return;
        const fragments = new Map(
          document.definitions
            .filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION)
            .map((fragment) => [fragment.name.value, fragment]),
        );
        const refused = rootFieldNames(operation.selectionSet, fragments).find((name) => internal.has(name));
        if (refused)
          throw graphQLError('FORBIDDEN', `${refused} is internal to the shop: only ${callers.join(' or ')} may ask for it.`, 403);
      },
    }),
  };
}
