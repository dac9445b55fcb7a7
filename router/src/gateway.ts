import { ApolloGateway, RemoteGraphQLDataSource, type GraphQLDataSourceProcessOptions } from '@apollo/gateway';
import type { ServiceContext } from '@bookshop/runtime';

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

/** A gateway over a static supergraph; a subgraph's URL can be overridden at run time. */
export function createGateway(supergraphSdl: string, urlOverrides: Partial<Record<string, string>>): ApolloGateway {
  return new ApolloGateway({
    supergraphSdl,
    // Node's own fetch keeps connections alive; the gateway's default fetcher costs far more CPU.
    buildService: ({ name, url }) => new PropagatingDataSource({ url: urlOverrides[name] ?? url, fetcher: fetch }),
  });
}
