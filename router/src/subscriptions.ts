import { Supergraph, operationFromDocument } from '@apollo/federation-internals';
import { buildOperationContext, executeQueryPlan, type ServiceMap } from '@apollo/gateway';
import { QueryPlanner, type FetchNode, type PlanNode, type QueryPlan } from '@apollo/query-planner';
import { logger, relayedIdentity, type ServiceContext } from '@bookshop/runtime';
import { GraphQLError, print, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { versionedPrimary, type VersionedPrimary } from './feed-identity.js';
import { subgraphDataSource, type PropagatingDataSource, type SubgraphUpstream } from './gateway.js';
import { SharedFeeds, type FeedItem, type FeedSource, type IsNew } from './shared-feeds.js';
import { openUpstream, type UpstreamEvent } from './upstream.js';
import { UpstreamSockets, type UpstreamSocketLimits } from './upstream-sockets.js';

interface PlannedSubscription {
  primary: FetchNode;
  rest: PlanNode | undefined;
  upstream: VersionedPrimary;
}

/** Whatever a library hands over as an error becomes a GraphQLError (formatted, coded, at the edge). */
const asGraphQLError = (error: unknown): GraphQLError =>
  error instanceof GraphQLError
    ? error
    : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error instanceof Error ? error : null });

/**
 * Federated subscriptions, which @apollo/gateway does not execute: the router plans the operation
 * with the gateway's query planner, opens the primary field on the subgraph that owns it over one
 * of its few graphql-ws connections to that subgraph (the subscribe message carrying the caller's
 * token and correlation id), and resolves the rest of every event through the plan's entity
 * fetches — so one subscription can select fields of every subgraph. An entity fetch that fails
 * costs its event the fields it would have brought (and a coded error, as in a query), never the
 * subscription.
 */
export function createSubscriptionExecutor(supergraphSdl: string, upstreamOf: SubgraphUpstream, socketLimits: UpstreamSocketLimits) {
  const supergraph = Supergraph.build(supergraphSdl);
  const apiSchema = supergraph.apiSchema();
  const schema: GraphQLSchema = apiSchema.toGraphQLJSSchema();
  const supergraphSchema = supergraph.schema.toGraphQLJSSchema();
  const planner = new QueryPlanner(supergraph);
  const dataSources: Record<string, PropagatingDataSource> = Object.fromEntries(
    supergraph
      .subgraphs()
      .values()
      .map((subgraph) => [subgraph.name, subgraphDataSource(subgraph, upstreamOf)]),
  );
  const feeds = new SharedFeeds();
  // Connections to the subgraphs, authenticated as the router: shared by every caller's feeds.
  const sockets = new UpstreamSockets(upstreamOf.credential, socketLimits);

  // Plans by operation text: subscribers of one screen send the same few operations.
  const plans = new Map<string, PlannedSubscription | undefined>();
  const planOf = (source: string, args: ExecutionArgs, operationName: string | undefined) => {
    const key = `${operationName ?? ''}\n${source}`;
    if (!plans.has(key)) {
      if (plans.size >= 1_000) plans.delete(plans.keys().next().value!);
      const operation = operationFromDocument(apiSchema, args.document, operationName ? { operationName } : {});
      const node = planner.buildQueryPlan(operation).node;
      plans.set(
        key,
        node?.kind === 'Subscription'
          ? { primary: node.primary, rest: node.rest, upstream: versionedPrimary(node.primary.operation, supergraphSchema) }
          : undefined,
      );
    }
    return plans.get(key);
  };

  async function subscribe(args: ExecutionArgs): Promise<AsyncGenerator<ExecutionResult> | ExecutionResult> {
    const operationName = args.operationName ?? undefined;
    const source = args.document.loc?.source.body ?? print(args.document);
    const planned = planOf(source, args, operationName);
    if (!planned)
      return { errors: [new GraphQLError('Only subscriptions are served over this socket.', { extensions: { code: 'BAD_REQUEST' } })] };
    const context = args.contextValue as ServiceContext;
    const variables = (args.variableValues ?? {}) as Record<string, unknown>;
    // The same operation, variables and token: the same results, so one upstream feed for all.
    const key = JSON.stringify([source, operationName ?? null, variables, context.request.authorization ?? null]);
    return feeds.join(key, (isNew) => {
      const operationContext = buildOperationContext({
        schema,
        operationDocument: args.document,
        ...(operationName ? { operationName } : {}),
      });
      return follow(planned, context, variables, operationContext, isNew);
    });
  }

  function follow(
    { primary, rest, upstream }: PlannedSubscription,
    context: ServiceContext,
    variables: Record<string, unknown>,
    operationContext: ReturnType<typeof buildOperationContext>,
    isNew: IsNew,
  ): FeedSource {
    const primaryVariables = Object.fromEntries(
      (primary.variableUsages ?? []).filter((name) => name in variables).map((name) => [name, variables[name]]),
    );
    const plan: QueryPlan = { kind: 'QueryPlan', node: rest ? { kind: 'Sequence', nodes: [primary, rest] } : primary };
    const subscription = openUpstream({
      sockets,
      url: dataSources[primary.serviceName]!.url!.replace(/^http/, 'ws'),
      serviceName: primary.serviceName,
      identity: relayedIdentity(context.request),
      query: upstream.operation,
      variables: primaryVariables,
    });
    return { items: resolveEach(), stop: subscription.stop };

    async function* resolveEach(): AsyncGenerator<FeedItem> {
      for await (const event of subscription.events) {
        const entity = upstream.entityOf(event.data);
        // A version the feed has forwarded already (a re-subscription's snapshot): spare the subgraphs its fetches.
        if (entity && !isNew(entity)) continue;
        yield { result: await resolve(event), ...(entity ? { entity } : {}) };
      }
    }

    async function resolve(event: UpstreamEvent): Promise<ExecutionResult> {
      if (!event.data)
        return { errors: (event.errors ?? []).map((error) => new GraphQLError(error.message, { extensions: error.extensions ?? {} })) };
      // The event stands in for the primary fetch; every other fetch of the plan goes to its subgraph.
      const real: ServiceMap[string] = dataSources[primary.serviceName]!;
      const serviceMap: ServiceMap = {
        ...dataSources,
        [primary.serviceName]: {
          process: (options) => (options.request.query === primary.operation ? Promise.resolve(event as never) : real.process(options)),
        },
      };
      const requestContext = { request: { variables }, context, metrics: {} } as unknown as Parameters<typeof executeQueryPlan>[2];
      try {
        const result = await executeQueryPlan(plan, serviceMap, requestContext, operationContext, supergraphSchema, apiSchema);
        return { data: result.data ?? null, ...(result.errors?.length ? { errors: result.errors.map(asGraphQLError) } : {}) };
      } catch (error) {
        logger.error({ err: error }, 'resolving a subscription event failed');
        return { data: null, errors: [asGraphQLError(error)] };
      }
    }
  }

  // `feeds` and `sockets` too: the router reports how many are open (/readyz), so a leak shows from outside.
  return { schema, subscribe, feeds, sockets };
}
