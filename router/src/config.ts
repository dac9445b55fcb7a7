import { readServiceEnv, type ServiceConfig } from '@bookshop/runtime';
import { z } from 'zod';
import { subgraphUrlOverrides, type SubgraphName } from './subgraphs.js';

export interface RouterConfig extends ServiceConfig {
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  /** Apollo Sandbox on the landing page: development only. */
  sandbox: boolean;
  /** Load shedding: operations in flight at once, overall and per client. */
  maxInFlight: number;
  maxInFlightPerClient: number;
  /** A subgraph that does not answer within this long answers SERVICE_UNAVAILABLE (queries and subscription events). */
  subgraphTimeoutMs: number;
}

export function routerConfig(env: NodeJS.ProcessEnv = process.env): RouterConfig {
  const { env: own, ...shared } = readServiceEnv(
    4000,
    {
      ROUTER_PORT: z.coerce.number().int().min(0).max(65535).optional(),
      ROUTER_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(1_024),
      ROUTER_MAX_IN_FLIGHT_PER_CLIENT: z.coerce.number().int().min(1).default(128),
      ROUTER_SUBGRAPH_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    },
    env,
  );
  return {
    ...shared,
    port: own.ROUTER_PORT ?? shared.port,
    subgraphUrls: subgraphUrlOverrides(env),
    sandbox: !shared.production,
    maxInFlight: own.ROUTER_MAX_IN_FLIGHT,
    maxInFlightPerClient: own.ROUTER_MAX_IN_FLIGHT_PER_CLIENT,
    subgraphTimeoutMs: own.ROUTER_SUBGRAPH_TIMEOUT_MS,
  };
}
