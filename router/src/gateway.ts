import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import { SERVICE_TOKEN_HEADER, logger, propagationHeaders, type ServiceContext } from '@bookshop/runtime';
import { GraphQLError } from 'graphql';
import type { SubgraphFetcher } from './subgraph-fetcher.js';

/** Statuses a proxy or a balancer answers for a subgraph that is not there. */
const GATEWAY_STATUSES = new Set([502, 503, 504]);

/** A subgraph that did not answer (refused, reset, timed out): a refusal with a code, naming it. */
export function subgraphUnavailable(serviceName: string): GraphQLError {
  return new GraphQLError(`The ${serviceName} service did not answer. Please try again in a moment.`, {
    extensions: { code: 'SERVICE_UNAVAILABLE', serviceName, retryAfterSeconds: 1 },
  });
}

/** Carries the caller's identity and trace to every subgraph the plan touches. */
export class PropagatingDataSource extends RemoteGraphQLDataSource<ServiceContext> {
  constructor(
    readonly serviceName: string,
    private readonly credential: () => Promise<string>,
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<ServiceContext>>[0],
  ) {
    super(config);
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<ServiceContext>): Promise<void> {
    if (!request.http) return;
    // The router's own credential: subgraphs answer `_entities` only to the shop's services.
    request.http.headers.set(SERVICE_TOKEN_HEADER, await this.credential());
    const meta = (context as Partial<ServiceContext>).request;
    if (!meta) return;
    // The same identity and trace headers as every other service-to-service call.
    for (const [name, value] of Object.entries(propagationHeaders(meta))) request.http.headers.set(name, value);
    if (meta.authorization) request.http.headers.set('authorization', meta.authorization);
  }

  /**
   * The gateway hands a transport failure over raw (undici's error): a query answered it as
   * INTERNAL_SERVER_ERROR, and a subscription event could not even be formatted. It becomes
   * SERVICE_UNAVAILABLE naming the subgraph, in queries and subscription events alike; the rest of
   * the answer keeps what the other subgraphs gave. A GraphQL answer of the subgraph stays as it is.
   */
  override didEncounterError(error: Error, _request: unknown, response?: { status: number }): void {
    if (error instanceof GraphQLError && !(response && GATEWAY_STATUSES.has(response.status))) throw error;
    logger.warn({ err: error, serviceName: this.serviceName }, 'a subgraph did not answer');
    throw subgraphUnavailable(this.serviceName);
  }
}

/**
 * The router's client of one subgraph, for queries and subscriptions alike: its URL can be
 * overridden at run time. The router sets no cache policy, so subgraphs' Cache-Control headers
 * are not parsed.
 */
export function subgraphDataSource(
  subgraph: { name: string; url?: string | undefined },
  upstream: SubgraphUpstream,
): PropagatingDataSource {
  const url = upstream.urlOverrides[subgraph.name] ?? subgraph.url;
  return new PropagatingDataSource(subgraph.name, upstream.credential, {
    ...(url ? { url } : {}),
    fetcher: upstream.fetcher,
    honorSubgraphCacheControlHeader: false,
  });
}

/** How the router reaches its subgraphs: where (URL overrides), through which pool, with which credential. */
export interface SubgraphUpstream {
  urlOverrides: Partial<Record<string, string>>;
  fetcher: SubgraphFetcher;
  credential: () => Promise<string>;
}

/** A gateway over a static supergraph. */
export function createGateway(supergraphSdl: string, upstream: SubgraphUpstream): ApolloGateway {
  return new ApolloGateway({ supergraphSdl, buildService: (subgraph) => subgraphDataSource(subgraph, upstream) });
}
