import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import { startGraphQLService, type RunningService } from '@bookshop/runtime';
import { loadSupergraph } from './compose.js';
import type { RouterConfig } from './config.js';
import { createGateway } from './gateway.js';
import { createSubscriptionExecutor } from './subscriptions.js';

/** The federated router: one GraphQL endpoint in front of every subgraph. */
export async function startRouter(config: RouterConfig, supergraphSdl = loadSupergraph()): Promise<RunningService> {
  const gateway = createGateway(supergraphSdl, config.subgraphUrls);
  const subscriptions = createSubscriptionExecutor(supergraphSdl, config.subgraphUrls);
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
    plugins: [
      // The router sets no cache policy; computing one per field, and parsing every subgraph
      // response's Cache-Control, is work nobody reads.
      ApolloServerPluginCacheControlDisabled(),
      config.sandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false })
        : ApolloServerPluginLandingPageProductionDefault({ footer: false }),
    ],
  });
}
