import {
  Kind,
  getNamedType,
  isCompositeType,
  isObjectType,
  isInterfaceType,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { listBound } from './operation-cost.js';

/** What the operation limits look at, for one operation with its fragments spread in. */
export interface OperationMeasure {
  /** Nested fields, counted from the root field (1); fragments add no level. */
  depth: number;
  /** Aliased fields, each fragment counted as often as it is spread. */
  aliases: number;
  /** Distinct response keys at the root (not `__typename`). */
  rootFields: number;
  /** The most objects the operation can return (see operation-cost.ts). */
  cost: number;
}

interface Part {
  depth: number;
  aliases: number;
  cost: number;
}

const NOTHING: Part = { depth: 0, aliases: 0, cost: 0 };

/**
 * Introspection is answered by the router itself (no subgraph), its standard query is deeper than
 * any shop operation, and in production it is refused outright: it is not measured.
 */
const isIntrospection = (field: FieldNode) => field.name.value === '__schema' || field.name.value === '__type';

function fieldOf(parent: GraphQLCompositeType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  return parent && (isObjectType(parent) || isInterfaceType(parent)) ? parent.getFields()[name] : undefined;
}

/**
 * Measures an operation in one walk. A fragment is measured once, however often it is spread (a
 * document of fragments that spread each other twice over would otherwise take exponential time);
 * a fragment cycle (refused by graphql-js's own rules in the same validation) counts as nothing.
 */
export function measureOperation(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragmentNamed: (name: string) => FragmentDefinitionNode | undefined,
): OperationMeasure {
  const fragments = new Map<string, Part>();

  const measureFragment = (name: string): Part => {
    const known = fragments.get(name);
    if (known) return known;
    fragments.set(name, NOTHING); // a cycle back to this fragment sees nothing
    const fragment = fragmentNamed(name);
    const type = fragment && schema.getType(fragment.typeCondition.name.value);
    const part = fragment ? measureSelections(fragment.selectionSet, type && isCompositeType(type) ? type : undefined) : NOTHING;
    fragments.set(name, part);
    return part;
  };

  function measureSelections(selectionSet: SelectionSetNode, parent: GraphQLCompositeType | undefined): Part {
    let depth = 0;
    let aliases = 0;
    let cost = 0;
    for (const selection of selectionSet.selections) {
      let part: Part;
      if (selection.kind === Kind.FIELD) {
        part = measureField(selection, parent);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        part = measureSelections(selection.selectionSet, type && isCompositeType(type) ? type : undefined);
      } else {
        part = measureFragment(selection.name.value);
      }
      depth = Math.max(depth, part.depth);
      aliases += part.aliases;
      cost += part.cost;
    }
    return { depth, aliases, cost };
  }

  function measureField(node: FieldNode, parent: GraphQLCompositeType | undefined): Part {
    if (isIntrospection(node)) return NOTHING;
    const field = fieldOf(parent, node.name.value);
    const type = field ? getNamedType(field.type) : undefined;
    const children = node.selectionSet ? measureSelections(node.selectionSet, type && isCompositeType(type) ? type : undefined) : NOTHING;
    return {
      depth: 1 + children.depth,
      aliases: (node.alias ? 1 : 0) + children.aliases,
      // Scalars cost nothing: the work behind an operation is the objects it fetches.
      cost: field && type && isCompositeType(type) ? listBound(field, node) * (1 + children.cost) : children.cost,
    };
  }

  const rootType = schema.getRootType(operation.operation) ?? undefined;
  const measured = measureSelections(operation.selectionSet, rootType);
  return { ...measured, rootFields: rootResponseKeys(operation.selectionSet, fragmentNamed).size };
}

/** The root's response keys, through fragments: `books` twice is one field, `a: books b: books` two. */
function rootResponseKeys(
  selectionSet: SelectionSetNode,
  fragmentNamed: (name: string) => FragmentDefinitionNode | undefined,
  keys = new Set<string>(),
  visited = new Set<string>(),
): Set<string> {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (!selection.name.value.startsWith('__')) keys.add(selection.alias?.value ?? selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      rootResponseKeys(selection.selectionSet, fragmentNamed, keys, visited);
    } else if (!visited.has(selection.name.value)) {
      visited.add(selection.name.value);
      const fragment = fragmentNamed(selection.name.value);
      if (fragment) rootResponseKeys(fragment.selectionSet, fragmentNamed, keys, visited);
    }
  }
  return keys;
}
