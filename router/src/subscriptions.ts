import { Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { buildOperationContext, executeQueryPlan, type ServiceMap } from '@apollo/gateway';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import type { ServiceContext } from '@bookshop/runtime';
import { GraphQLError, print, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { subgraphDataSource, type PropagatingDataSource } from './gateway.js';
import { SharedFeeds, type FeedSource } from './shared-feeds.js';
import type { SubgraphFetcher } from './subgraph-fetcher.js';

/**
 * Federated subscriptions, which @apollo/gateway does not execute: the router plans the operation
 * with the gateway's query planner, opens the primary field on the subgraph that owns it over
 * graphql-ws (carrying the caller's token and correlation id), and resolves the rest of every
 * event through the plan's entity fetches — so one subscription can select fields of every subgraph.
 */
export function createSubscriptionExecutor(supergraphSdl: string, urlOverrides: Partial<Record<string, string>>, fetcher: SubgraphFetcher) {
  const supergraph = Supergraph.build(supergraphSdl);
  const apiSchema = supergraph.apiSchema();
  const schema: GraphQLSchema = apiSchema.toGraphQLJSSchema();
  const supergraphSchema = supergraph.schema.toGraphQLJSSchema();
  const planner = new QueryPlanner(supergraph);
  const dataSources: Record<string, PropagatingDataSource> = Object.fromEntries(
    supergraph.subgraphs().values().map((subgraph) => [subgraph.name, subgraphDataSource(subgraph, urlOverrides, fetcher)]),
  );
  const feeds = new SharedFeeds();

  // Plans by operation text: subscribers of one screen send the same few operations.
  const plans = new Map<string, QueryPlan['node']>();
  const planOf = (source: string, args: ExecutionArgs, operationName: string | undefined) => {
    const key = `${operationName ?? ''}\n${source}`;
    if (!plans.has(key)) {
      if (plans.size >= 1_000) plans.delete(plans.keys().next().value!);
      const operation = operationFromDocument(apiSchema, args.document, operationName ? { operationName } : {});
      plans.set(key, planner.buildQueryPlan(operation).node);
    }
    return plans.get(key);
  };

  async function subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
    const operationName = args.operationName ?? undefined;
    const source = args.document.loc?.source.body ?? print(args.document);
    const node = planOf(source, args, operationName);
    if (node?.kind !== 'Subscription') return { errors: [new GraphQLError('Only subscriptions are served over this socket.')] };
    const context = args.contextValue as ServiceContext;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    // The same operation, variables and token: the same results, so one upstream feed for all.
    const key = JSON.stringify([source, operationName ?? null, variables, context.request.authorization ?? null]);
    return feeds.join(key, () => {
      const operationContext = buildOperationContext({ schema, operationDocument: args.document, ...(operationName ? { operationName } : {}) });
      return follow(node.primary, node.rest, context, variables, operationContext);
    });
  }

  function follow(
    primary: FetchNode,
    rest: PlanNode | undefined,
    context: ServiceContext,
    variables: Record<string, unknown>,
    operationContext: ReturnType<typeof buildOperationContext>,
  ): FeedSource {
    const url = dataSources[primary.serviceName]!.url!.replace(/^http/, 'ws');
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      // A lost subgraph connection (a restart, a deploy) is re-established and the subscription
      // re-subscribed; the subgraph sends the current state first, so the subscriber misses nothing.
      retryAttempts: 60,
      retryWait: async (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** retries, 2_000))),
      shouldRetry: (event) => ![4401, 4403].includes((event as { code?: number }).code ?? 0),
      connectionParams: {
        ...(context.request.authorization ? { authorization: context.request.authorization } : {}),
        'x-correlation-id': context.request.correlationId,
      },
    });
    const primaryVariables = Object.fromEntries((primary.variableUsages ?? []).filter((name) => name in variables).map((name) => [name, variables[name]]));
    const plan: QueryPlan = { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary };
    return { results: execute(), stop: async () => void (await client.dispose()) };

    async function* execute(): AsyncGenerator<ExecutionResult> {
      try {
        for await (const event of client.iterate({ query: primary.operation, variables: primaryVariables })) {
          if (!event.data) {
            yield { errors: (event.errors ?? []).map((error) => new GraphQLError(error.message, { extensions: error.extensions ?? {} })) };
            continue;
          }
          // The event stands in for the primary fetch; every other fetch of the plan goes to its subgraph.
          const real: ServiceMap[string] = dataSources[primary.serviceName]!;
          const serviceMap: ServiceMap = {
            ...dataSources,
            [primary.serviceName]: {
              process: (options) => (options.request.query === primary.operation ? Promise.resolve(event as never) : real.process(options)),
            },
          };
          const requestContext = { request: { variables }, context, metrics: {} } as unknown as Parameters<typeof executeQueryPlan>[2];
          const result = await executeQueryPlan(plan, serviceMap, requestContext, operationContext, supergraphSchema, apiSchema);
          yield { data: result.data ?? null, ...(result.errors?.length ? { errors: result.errors as GraphQLError[] } : {}) };
        }
      } catch (error) {
        // The subgraph refused the subscription (graphql-ws hands its errors over as an array).
        const errors = Array.isArray(error) ? error : [error];
        yield { errors: errors.map((e: { message?: string; extensions?: Record<string, unknown> }) => new GraphQLError(e.message ?? String(e), { extensions: e.extensions ?? {} })) };
      } finally {
        await client.dispose();
      }
    }
  }

  return { schema, subscribe };
}
