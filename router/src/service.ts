import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { serviceCredential, startGraphQLService, type RunningService } from '@bookshop/runtime';
import type { RouterConfig } from './config.js';
import { routerEdge } from './edge.js';
import { operationResolutionPlugin } from './operation-resolution.js';
import { createGateway } from './gateway.js';
import { createSubgraphFetcher } from './subgraph-fetcher.js';
import { createSubscriptionExecutor } from './subscriptions.js';
import { loadSupergraph } from './supergraph-file.js';

/** The federated router: one GraphQL endpoint in front of every subgraph. */
export async function startRouter(config: RouterConfig, supergraphSdl = loadSupergraph()): Promise<RunningService> {
  // One keep-alive pool per subgraph, for queries and for the entity fetches of subscriptions alike.
  const fetcher = createSubgraphFetcher({ timeoutMs: config.subgraphTimeoutMs });
  const upstream = { urlOverrides: config.subgraphUrls, fetcher, credential: serviceCredential(config.signingKey) };
  const gateway = createGateway(supergraphSdl, upstream);
  const { sockets, ...subscriptions } = createSubscriptionExecutor(supergraphSdl, upstream, config.upstreamSockets);
  // Operation limits and persisted operations, before anything is planned, over HTTP and WebSocket.
  const { edge, plugin: edgePlugin } = routerEdge({
    limits: config.operationLimits,
    persistedOperations: config.persistedOperations,
    production: config.production,
  });
  return startGraphQLService({
    name: 'router',
    port: config.port,
    apollo: { gateway },
    host: config.host,
    jwtSecret: config.userTokens,
    shutdownGraceMs: config.shutdownGraceMs,
    shutdownDelayMs: config.shutdownDelayMs,
    liveness: config.liveness,
    shedding: {
      maxInFlight: config.maxInFlight,
      maxInFlightPerClient: config.maxInFlightPerClient,
      trustForwardedFor: config.trustForwardedFor,
    },
    subscriptions: {
      ...subscriptions,
      maxSocketsPerCaller: config.maxSocketsPerCaller,
      maxSubscriptionsPerCaller: config.maxSubscriptionsPerCaller,
    },
    edge,
    // Upstream feeds open and subscribers on them (both zero once every subscriber has left), and
    // the connections to subgraphs that carry the feeds (a few per subgraph, however many feeds).
    healthInfo: () => ({
      subscriptionFeeds: subscriptions.feeds.size,
      subscribers: subscriptions.feeds.listeners,
      upstreamSockets: sockets.open,
    }),
    onStop: async () => {
      await sockets.close();
      await fetcher.close();
    },
    plugins: [
      // The router sets no cache policy: computing one per field is work nobody reads (subgraph
      // responses' Cache-Control is not parsed either: see subgraphDataSource).
      ApolloServerPluginCacheControlDisabled(),
      edgePlugin,
      operationResolutionPlugin,
      config.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
    ],
  });
}
