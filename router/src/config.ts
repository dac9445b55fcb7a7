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
}

export function routerConfig(env: NodeJS.ProcessEnv = process.env): RouterConfig {
  const { env: own, ...shared } = readServiceEnv(
    4000,
    {
      ROUTER_PORT: z.coerce.number().int().min(0).max(65535).optional(),
      ROUTER_MAX_IN_FLIGHT: z.coerce.number().int().min(1).default(1_024),
      ROUTER_MAX_IN_FLIGHT_PER_CLIENT: z.coerce.number().int().min(1).default(128),
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
  };
}
