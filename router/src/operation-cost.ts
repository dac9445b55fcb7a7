import { Kind, getNullableType, isListType, type FieldNode, type GraphQLField } from 'graphql';

/**
 * The largest page a list answers: the subgraphs refuse `first` over 200 (runtime bounds'
 * pageSize), and a list without `first` (Book.reviews) is capped at 200 by its subgraph.
 */
export const MAX_PAGE = 200;

/**
 * How many items a field can return at most, for the cost of an operation. A page size given by a
 * variable counts as the largest page: validation runs before the variables are known (and is the
 * same for HTTP and WebSocket), and a client must not get past the limit by moving `first` into
 * a variable. An absent `first` counts as its default (50), a list without one as the largest page.
 */
export function listBound(field: GraphQLField<unknown, unknown>, node: FieldNode): number {
  if (!isListType(getNullableType(field.type))) return 1;
  const first = field.args.find((argument) => argument.name === 'first');
  if (!first) return MAX_PAGE;
  const given = node.arguments?.find((argument) => argument.name.value === 'first')?.value;
  if (!given) return typeof first.defaultValue === 'number' ? clampPage(first.defaultValue) : MAX_PAGE;
  return given.kind === Kind.INT ? clampPage(Number(given.value)) : MAX_PAGE;
}

// A page over the largest is refused by the subgraph, so it costs at most the largest page.
const clampPage = (size: number) => Math.min(Math.max(size, 0), MAX_PAGE);
