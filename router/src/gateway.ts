import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { ServiceContext } from '@bookshop/runtime';
import type { SubgraphFetcher } from './subgraph-fetcher.js';

/** Carries the caller's identity and trace to every subgraph the plan touches. */
export class PropagatingDataSource extends RemoteGraphQLDataSource<ServiceContext> {
  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<ServiceContext>): void {
    const meta = (context as Partial<ServiceContext>).request;
    if (!meta || !request.http) return;
    request.http.headers.set('x-correlation-id', meta.correlationId);
    if (meta.authorization) request.http.headers.set('authorization', meta.authorization);
    if (meta.traceparent) request.http.headers.set('traceparent', meta.traceparent);
  }
}

/**
 * The router's client of one subgraph, for queries and subscriptions alike: its URL can be
 * overridden at run time. The router sets no cache policy, so subgraphs' Cache-Control headers
 * are not parsed.
 */
export function subgraphDataSource(
  subgraph: { name: string; url?: string | undefined },
  urlOverrides: Partial<Record<string, string>>,
  fetcher: SubgraphFetcher,
): PropagatingDataSource {
  const url = urlOverrides[subgraph.name] ?? subgraph.url;
  return new PropagatingDataSource({ ...(url ? { url } : {}), fetcher, honorSubgraphCacheControlHeader: false });
}

/** A gateway over a static supergraph. */
export function createGateway(supergraphSdl: string, urlOverrides: Partial<Record<string, string>>, fetcher: SubgraphFetcher): ApolloGateway {
  return new ApolloGateway({ supergraphSdl, buildService: (subgraph) => subgraphDataSource(subgraph, urlOverrides, fetcher) });
}
