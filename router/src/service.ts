import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import { startGraphQLService, type RunningService } from '@bookshop/runtime';
import type { RouterConfig } from './config.js';
import { createGateway } from './gateway.js';
import { createSubgraphFetcher } from './subgraph-fetcher.js';
import { createSubscriptionExecutor } from './subscriptions.js';
import { loadSupergraph } from './supergraph-file.js';

/** The federated router: one GraphQL endpoint in front of every subgraph. */
export async function startRouter(config: RouterConfig, supergraphSdl = loadSupergraph()): Promise<RunningService> {
  // One keep-alive pool per subgraph, for queries and for the entity fetches of subscriptions alike.
  const fetcher = createSubgraphFetcher({ timeoutMs: config.subgraphTimeoutMs });
  const gateway = createGateway(supergraphSdl, config.subgraphUrls, fetcher);
  const subscriptions = createSubscriptionExecutor(supergraphSdl, config.subgraphUrls, fetcher);
  return startGraphQLService({
    name: 'router',
    port: config.port,
    apollo: { gateway },
    jwtSecret: config.jwtSecret,
    shutdownGraceMs: config.shutdownGraceMs,
    shutdownDelayMs: config.shutdownDelayMs,
    liveness: config.liveness,
    shedding: { maxInFlight: config.maxInFlight, maxInFlightPerClient: config.maxInFlightPerClient },
    subscriptions,
    // Upstream feeds open and subscribers on them: both zero once every subscriber has left.
    healthInfo: () => ({ subscriptionFeeds: subscriptions.feeds.size, subscribers: subscriptions.feeds.listeners }),
    onStop: () => fetcher.close(),
    plugins: [
      // The router sets no cache policy: computing one per field is work nobody reads (subgraph
      // responses' Cache-Control is not parsed either: see subgraphDataSource).
      ApolloServerPluginCacheControlDisabled(),
      config.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
    ],
  });
}
