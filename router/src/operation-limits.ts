import { Kind, type ValidationContext, type ValidationRule } from 'graphql';
import { edgeRefusal } from './edge-refusal.js';
import { measureOperation, type OperationMeasure } from './operation-measure.js';

/** How big an operation the router accepts from a client; each is a ROUTER_MAX_* setting. */
export interface OperationLimits {
  /** Nested fields (ROUTER_MAX_DEPTH). */
  maxDepth: number;
  /** Aliased fields (ROUTER_MAX_ALIASES). */
  maxAliases: number;
  /** Fields at the root, each one a plan of its own (ROUTER_MAX_ROOT_FIELDS). */
  maxRootFields: number;
  /** The most objects an operation can fetch (ROUTER_MAX_COST; see operation-cost.ts). */
  maxCost: number;
  /** Lexical tokens of the document, checked before it is parsed (ROUTER_MAX_TOKENS). */
  maxTokens: number;
  /** UTF-8 bytes of the document, checked before it is parsed (ROUTER_MAX_DOCUMENT_BYTES). */
  maxDocumentBytes: number;
}

/**
 * Several times what the shop's own operations need (router/operations: at most 5 levels deep,
 * no aliases, 1 root field, a cost of 4,020 for `books(first: 20) { reviews }`, under 100
 * tokens and 500 bytes); far below what it takes to make the router or a subgraph work for long.
 */
export const DEFAULT_OPERATION_LIMITS: OperationLimits = {
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 10,
  maxCost: 5_000,
  maxTokens: 2_000,
  maxDocumentBytes: 32 * 1024,
};

interface Limit {
  setting: string;
  maximum: (limits: OperationLimits) => number;
  found: (measure: OperationMeasure) => number;
  message: (found: number, maximum: number) => string;
}

const MEASURED_LIMITS: readonly Limit[] = [
  {
    setting: 'ROUTER_MAX_DEPTH',
    maximum: (limits) => limits.maxDepth,
    found: (measure) => measure.depth,
    message: (found, maximum) => `The operation is ${found} levels deep; the limit (ROUTER_MAX_DEPTH) is ${maximum}.`,
  },
  {
    setting: 'ROUTER_MAX_ALIASES',
    maximum: (limits) => limits.maxAliases,
    found: (measure) => measure.aliases,
    message: (found, maximum) => `The operation has ${found} aliases; the limit (ROUTER_MAX_ALIASES) is ${maximum}.`,
  },
  {
    setting: 'ROUTER_MAX_ROOT_FIELDS',
    maximum: (limits) => limits.maxRootFields,
    found: (measure) => measure.rootFields,
    message: (found, maximum) => `The operation has ${found} root fields; the limit (ROUTER_MAX_ROOT_FIELDS) is ${maximum}.`,
  },
  {
    setting: 'ROUTER_MAX_COST',
    maximum: (limits) => limits.maxCost,
    found: (measure) => measure.cost,
    message: (found, maximum) =>
      `The operation could fetch up to ${found} objects; the limit (ROUTER_MAX_COST) is ${maximum}. ` +
      'Ask for smaller pages (`first`) or fewer nested lists.',
  },
];

const tooComplex = (limit: Limit, found: number, maximum: number, node?: Parameters<typeof edgeRefusal>[3]) =>
  edgeRefusal('OPERATION_TOO_COMPLEX', limit.message(found, maximum), { limit: limit.setting, maximum, found }, node);

/**
 * One validation rule for depth, aliases, root fields and cost: it runs in the same validation as
 * graphql-js's own rules, before the gateway plans anything, over HTTP and WebSocket alike.
 */
export function operationLimitsRule(limits: OperationLimits): ValidationRule {
  return (context: ValidationContext) => ({
    [Kind.OPERATION_DEFINITION]: {
      enter(operation) {
        const measure = measureOperation(context.getSchema(), operation, (name) => context.getFragment(name) ?? undefined);
        for (const limit of MEASURED_LIMITS) {
          const found = limit.found(measure);
          const maximum = limit.maximum(limits);
          if (found > maximum) context.reportError(tooComplex(limit, found, maximum, [operation]));
        }
        return false; // the walk above has seen the whole operation
      },
    },
  });
}
